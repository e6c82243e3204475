"""Start-up safety: a web server does not start without DEBUG on a secret key anyone can read.

`refuse_insecure_start()` is called where a web server starts (gaoqi.wsgi, which runserver and gunicorn
load, and `gaoqi serve` before it starts gunicorn). Management commands still run with the demo key (they
sign nothing), and `manage.py check --deploy` reports it as an error (gaoqi.E001).
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

INSECURE_KEY_MESSAGE = (
    "GAOQI_SECRET_KEY is not set (or is the published demo key) while GAOQI_DEBUG is off: refusing to start. "
    "Set GAOQI_SECRET_KEY to a long random value, e.g. the output of "
    "python -c 'import secrets; print(secrets.token_urlsafe(50))', or GAOQI_DEBUG=1 for a local demo. "
    "See docs/DEPLOY.md."
)


def insecure_key() -> bool:
    return not settings.DEBUG and settings.SECRET_KEY in ("", settings.DEMO_SECRET_KEY)


def refuse_insecure_start() -> None:
    if insecure_key():
        raise ImproperlyConfigured(INSECURE_KEY_MESSAGE)


@checks.register(checks.Tags.security, deploy=True)
def check_secret_key(app_configs=None, **kwargs):
    if settings.SECRET_KEY in ("", settings.DEMO_SECRET_KEY):
        return [checks.Error(INSECURE_KEY_MESSAGE, id="gaoqi.E001")]
    return []
