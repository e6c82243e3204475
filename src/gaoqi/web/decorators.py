"""View decorators shared by the officer-only pages."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404

from gaoqi.errors import NotFound


def officer_page(view):
    """Officers only; for everyone else the page does not exist. NotFound from scope answers 404."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_officer:
            raise Http404
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc

    return wrapper
