"""Following a page's htmx wiring in Django's test client (the browser tests follow it in Chromium)."""

from html import unescape


def list_after_load(client, html: str) -> str:
    """What htmx puts into a page's list placeholder after the page has loaded (`hx-trigger="load"`): the
    placeholder's hx-get, asked for as htmx asks (HX-Request)."""
    pending = html.split('data-testid="missing-pending"')[1].split(">")[0]
    assert 'hx-trigger="load"' in pending
    url = unescape(pending.split('hx-get="')[1].split('"')[0])
    res = client.get(url, HTTP_HX_REQUEST="true")
    assert res.status_code == 200, url
    return res.content.decode()
