import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gaoqi.settings")
application = get_wsgi_application()

from gaoqi.deploy import refuse_insecure_start  # noqa: E402  (settings are configured by now)

refuse_insecure_start()
