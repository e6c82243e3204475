"""Login hardening: throttling and lockout (django-axes), the client address, and the audit of every login.

- `LoginThrottleBackend` is django-axes' backend, first in AUTHENTICATION_BACKENDS: a locked-out
  username/address pair is refused before the password is checked. `authenticate()` without a request
  (the shell, the test client's `login()`) is left to the next backend: only HTTP logins are throttled.
- `client_ip` is the address axes and the audit record: the peer address, or, behind GAOQI_PROXY_COUNT
  reverse proxies, the address the outermost proxy saw (X-Forwarded-For read from the right).
- Failed HTTP logins (and the one that starts a lockout, and each attempt refused during one) are audited
  by a signal receiver (connected in AccountsConfig.ready); successful ones by the login view. Both call
  `gaoqi.accounts.services.login_audit`. `force_login()` and `login()` without credentials are not audited.
"""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from django.conf import settings


class LoginThrottleBackend(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def client_ip(request) -> str:
    peer = request.META.get("REMOTE_ADDR", "") or ""
    hops = settings.GAOQI_PROXY_COUNT
    if hops <= 0:
        return peer
    forwarded = [
        part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
    ]
    # Each proxy appends the address it received the request from; the last `hops` entries are trustworthy.
    return forwarded[-hops] if len(forwarded) >= hops else peer


def _on_login_failed(sender, credentials, request=None, **kwargs):
    """Audit a failed HTTP login. Runs after axes' own receiver (axes comes first in INSTALLED_APPS), which
    has by then counted the failure (`axes_failures_since_start`) and set `axes_locked_out`. A lockout starts
    at the failure that reaches the limit; beyond it, attempts are refused without checking the password
    (and, with AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT, start the cool-off again)."""
    if request is None:
        return
    from axes.helpers import get_failure_limit

    from gaoqi.accounts.services import login_audit

    outcome = "failed"
    if getattr(request, "axes_locked_out", False):
        failures = getattr(request, "axes_failures_since_start", None) or 0
        outcome = "refused_locked_out" if failures > get_failure_limit(request, credentials) else "locked_out"
    login_audit(request=request, username=str(credentials.get("username") or ""), outcome=outcome)


def connect_signals() -> None:
    from django.contrib.auth.signals import user_login_failed

    user_login_failed.connect(_on_login_failed, dispatch_uid="gaoqi.login.failed")
