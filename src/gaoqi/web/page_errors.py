"""Input a page cannot use (a page number beyond the last page, a per_page out of range, a filter that is not
one) raised by a selector as ValidationFailed: a 400 page that says what is wrong, never a 500 and never a
silently replaced value. The API renders the same exception as its JSON {message, extra} (gaoqi.api.main)."""

from __future__ import annotations

from django.shortcuts import render

from gaoqi.errors import ValidationFailed
from gaoqi.web.error_views import _is_api


class ValidationFailedPageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, ValidationFailed) or _is_api(request):
            return None
        response = render(request, "400.html", {"problems": exception}, status=400)
        if request.headers.get("HX-Request") == "true":
            # htmx swaps only successful answers: the whole page goes to the answer instead of nothing happening.
            response["HX-Redirect"] = request.get_full_path()
        return response
