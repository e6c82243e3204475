"""API authentication: the browser session (with CSRF) or a bearer token that has not expired."""

from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from gaoqi.accounts.models import ApiToken


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        now = timezone.now()
        found = (
            ApiToken.objects.select_related("user")
            .filter(digest=ApiToken.hash(token), expires_at__gt=now)
            .first()
        )
        if found is None or not found.user.is_active:
            return None
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return found.user


AUTH = [TokenAuth(), SessionAuth()]
