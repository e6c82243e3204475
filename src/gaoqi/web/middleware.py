"""Request middleware: the platform's language, idle sessions, private caching, htmx after logout.

Chinese unless the user picks English: the browser's Accept-Language header does not choose the language.
"""

import time
from urllib.parse import urlencode, urlsplit


class IgnoreAcceptLanguageMiddleware:
    """Placed before LocaleMiddleware: the language comes from the set_language cookie or LANGUAGE_CODE only.

    A provincial platform answers in Simplified Chinese by default, whatever the browser's settings;
    English is one click away in the top bar.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class SessionIdleTimeoutMiddleware:
    """Log a session out after GAOQI_SESSION_IDLE_MINUTES without a request, and GAOQI_SESSION_MAX_HOURS
    (SESSION_COOKIE_AGE) after the login however active it is.

    The time of the last request is kept in the session and rewritten at most once a minute, so an active
    user costs one session write a minute, not one per request. A request after the idle limit flushes the
    session: the page then redirects to the login (htmx: HX-Redirect), the API answers 401.
    """

    KEY = "_gaoqi_seen"
    LOGIN_KEY = "_gaoqi_login"
    REFRESH_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings
        from django.contrib.auth import logout

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            seen = request.session.get(self.KEY)
            since = request.session.get(self.LOGIN_KEY)
            idle = seen is not None and now - seen > settings.GAOQI_SESSION_IDLE_MINUTES * 60
            too_old = since is not None and now - since > settings.SESSION_COOKIE_AGE
            if idle or too_old:
                logout(request)
                request.session_idle_expired = True
            elif seen is None or now - seen >= self.REFRESH_SECONDS:
                request.session[self.KEY] = now
        return self.get_response(request)


def mark_session_seen(sender, request, user, **kwargs):
    """At login, the session starts its idle clock (connected to user_logged_in in WebConfig.ready), so the
    first request after a login does not write the session again."""
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[SessionIdleTimeoutMiddleware.KEY] = now
        request.session[SessionIdleTimeoutMiddleware.LOGIN_KEY] = now


class PrivateNoStoreMiddleware:
    """`Cache-Control: private, no-store` on every answer to a logged-in user and on the whole API:
    no shared cache (proxy) and no browser cache keeps a page with officers' or firms' data."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or request.path.startswith("/api/"):
            current = response.get("Cache-Control", "")
            if "no-store" not in current or "private" not in current:
                response["Cache-Control"] = "private, no-store"
        return response


class HtmxLoginRedirectMiddleware:
    """An htmx request whose session has ended gets `HX-Redirect` to the login page, so htmx loads the login
    as a whole page instead of swapping it into a panel. The login's `next` is the page the user was on."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.headers.get("HX-Request") != "true" or response.status_code not in (301, 302, 303):
            return response
        from django.conf import settings
        from django.http import HttpResponse
        from django.shortcuts import resolve_url

        login = resolve_url(settings.LOGIN_URL)
        location = response.get("Location", "")
        if urlsplit(location).path != login:
            return response
        target = (
            _same_origin_path(request, request.headers.get("HX-Current-URL", "")) or request.get_full_path()
        )
        redirect = HttpResponse(status=204)
        redirect["HX-Redirect"] = f"{login}?{urlencode({'next': target})}"
        return redirect


def _same_origin_path(request, url: str) -> str:
    """The path and query of `url` when it is on this site, else ''."""
    parts = urlsplit(url)
    if not parts.path.startswith("/") or (parts.netloc and parts.netloc != request.get_host()):
        return ""
    return parts.path + (f"?{parts.query}" if parts.query else "")


class ApiJsonErrorsMiddleware:
    """Under /api/ every error is the API's JSON {"message", "extra"}: also the answers that django-ninja or
    Django give as text or HTML (405 from a route, a CSRF refusal, a 413). JSON errors pass untouched."""

    MESSAGES = {
        400: "请求有误",
        401: "未登录或令牌无效",
        403: "无权访问",
        404: "对象不存在或无权访问",
        405: "不支持该请求方法",
        413: "请求内容过大",
        429: "请求过于频繁，请稍后再试",
    }

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path.startswith("/api/")
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        from django.http import JsonResponse

        extra = (
            {"allowed": [m.strip() for m in response["Allow"].split(",")]}
            if response.has_header("Allow")
            else {}
        )
        message = self.MESSAGES.get(
            response.status_code, "服务器内部错误" if response.status_code >= 500 else "请求有误"
        )
        replaced = JsonResponse(
            {"message": message, "extra": extra},
            status=response.status_code,
            json_dumps_params={"ensure_ascii": False},
        )
        for header in ("Allow", "Retry-After", "WWW-Authenticate", "Vary"):
            if response.has_header(header):
                replaced[header] = response[header]
        replaced["Cache-Control"] = "private, no-store"  # as PrivateNoStoreMiddleware does for the API
        return replaced
