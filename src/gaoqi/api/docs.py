"""The API documentation page (/api/docs): Swagger UI from our own static files, behind login.

django-ninja's own Swagger page loads Swagger UI from a CDN unless `ninja` is an installed app; we serve
the swagger-ui-dist package fetched from the npm registry at build time (`make vendor`), like htmx.
"""

from __future__ import annotations

import json
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.shortcuts import render
from ninja.openapi.docs import Swagger


class OwnSwagger(Swagger):
    def render_page(self, request, api, **kwargs):
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        context = {"swagger_settings": json.dumps(self.settings), "api": api}
        return render(request, "web/api_docs.html", context)


def docs_login_required(view):
    """The docs page and the schema for logged-in users only (session or API token is not enough for a
    browser page): the page redirects to the login, the schema answers 401 as the API does."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if request.path.endswith(".json"):
            return JsonResponse(
                {"message": "未登录或令牌无效", "extra": {}},
                status=401,
                json_dumps_params={"ensure_ascii": False},
            )
        return redirect_to_login(request.get_full_path())

    return wrapper
