"""Error answers: pages in Chinese in the platform's layout; under /api/ always the API's JSON
{"message", "extra"} (a path no route matches included, with or without a trailing slash).

Installed as the project's handler400/403/404/500 (gaoqi.urls). The 500 page is rendered without the
request context (no database query, no session): whatever broke must not break the error page too.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.views import defaults

API_PREFIX = "/api/"

MESSAGES = {
    400: "请求有误",
    403: "无权访问",
    404: "对象不存在或无权访问",
    500: "服务器内部错误，请稍后再试；如问题持续，请联系平台管理员",
}


def _is_api(request) -> bool:
    return request.path == API_PREFIX.rstrip("/") or request.path.startswith(API_PREFIX)


def api_error(status: int) -> JsonResponse:
    response = JsonResponse(
        {"message": MESSAGES[status], "extra": {}}, status=status, json_dumps_params={"ensure_ascii": False}
    )
    response["Cache-Control"] = "private, no-store"
    return response


def bad_request(request, exception):
    return api_error(400) if _is_api(request) else defaults.bad_request(request, exception)


def permission_denied(request, exception):
    return api_error(403) if _is_api(request) else defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    return api_error(404) if _is_api(request) else defaults.page_not_found(request, exception)


def server_error(request):
    return api_error(500) if _is_api(request) else defaults.server_error(request)
