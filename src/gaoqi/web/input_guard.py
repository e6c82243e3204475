"""Request parameters with NUL bytes or other control characters are refused with a 400, before any view or
database sees them (PostgreSQL rejects NUL in text: every string parameter used to answer 500).

Checked: the path, every query parameter (names and values), form fields (not uploaded files), cookies, and
NUL (the JSON escape backslash-u0000) in a JSON body. Under /api/, a query parameter given twice is a 422 too.
Tab, line feed and carriage return stay allowed in query and form values (text areas, pasted lists).
"""

from __future__ import annotations

import re

from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _

# C0 controls and DEL; tab, LF, CR allowed in values only
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_STRICT = re.compile(r"[\x00-\x1f\x7f]")


def _bad_char(text: str, strict: bool = False) -> str | None:
    m = (CONTROL_STRICT if strict else CONTROL).search(text)
    return None if m is None else f"U+{ord(m.group()):04X}"


def find_control_characters(request) -> dict | None:
    """The first offending parameter: {"where": ..., "name": ..., "char": "U+0000"}, or None."""
    if char := _bad_char(request.path, strict=True):
        return {"where": "path", "name": "", "char": char}
    sources = [("query", request.GET)]
    content_type = request.content_type or ""
    if request.method in ("POST", "PUT", "PATCH") and content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        sources.append(("form", request.POST))
    for where, data in sources:
        for name, values in data.lists():
            if char := _bad_char(name, strict=True):
                return {"where": where, "name": name.encode("unicode_escape").decode()[:60], "char": char}
            for value in values:
                if char := _bad_char(value):
                    return {"where": where, "name": name[:60], "char": char}
    if request.method in ("POST", "PUT", "PATCH") and content_type == "application/json":
        body = request.body  # read once and kept: the view reads it again
        if re.search(rb"\\u0000", body, re.IGNORECASE) or b"\x00" in body:
            return {"where": "body", "name": "", "char": "U+0000"}
    for name, value in request.COOKIES.items():
        if char := _bad_char(name, strict=True) or _bad_char(value, strict=True):
            return {"where": "cookie", "name": name.encode("unicode_escape").decode()[:60], "char": char}
    return None


def repeated_query(request) -> str | None:
    """The first query parameter given more than once. No API operation takes a list in its query: ninja would
    read one of the values and drop the others without a word (found by schemathesis's negative_data_rejection)."""
    for name, values in request.GET.lists():
        if len(values) > 1:
            return name
    return None


def _repeated_answer(name: str) -> JsonResponse:
    shown = name.encode("unicode_escape").decode()[:60]
    return JsonResponse(
        {
            "message": _("查询参数“%(name)s”重复，只能给出一次") % {"name": shown},
            "extra": {"errors": [{"field": shown, "reason": _("重复的查询参数")}]},
        },
        status=422,
        json_dumps_params={"ensure_ascii": False},
    )


class ControlCharacterMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = find_control_characters(request)
        if problem is None:
            if request.path.startswith("/api/") and (repeated := repeated_query(request)):
                return _repeated_answer(repeated)
            return self.get_response(request)
        message = _("请求参数含有不允许的控制字符（%(char)s）：%(where)s %(name)s") % {
            "char": problem["char"],
            "where": {
                "path": _("路径"),
                "query": _("查询参数"),
                "form": _("表单字段"),
                "body": _("请求正文"),
                "cookie": "Cookie",
            }[problem["where"]],
            "name": problem["name"],
        }
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"message": message, "extra": problem}, status=400, json_dumps_params={"ensure_ascii": False}
            )
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
