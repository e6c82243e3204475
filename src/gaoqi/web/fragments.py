"""htmx fragments: a page refreshed in part (`render_partial`), and a list loaded after its page (htmx
`hx-trigger="load"`, `render_fragment`): the fragment for htmx, the same fragment inside a page of its own for a
plain request (the no-JS fallback link, a bookmarked cursor link)."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def is_partial(request) -> bool:
    """An htmx request that swaps a fragment (a history restore wants the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render_partial(request, template: str, partial_template: str, context: dict):
    """A page that htmx refreshes in part: `partial_template` for an htmx swap, `template` otherwise."""
    response = render(request, partial_template if is_partial(request) else template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def render_fragment(request, template: str, context: dict, *, title: str, back_url: str, back_label: str):
    """`template` alone for htmx; otherwise `web/fragment_page.html` around it (title, a link back)."""
    if is_partial(request):
        response = render(request, template, context)
    else:
        page = {
            **context,
            "fragment": template,
            "title": title,
            "back_url": back_url,
            "back_label": back_label,
        }
        response = render(request, "web/fragment_page.html", page)
    patch_vary_headers(response, ["HX-Request"])
    return response
