"""The API documentation (issue 11 §6): Swagger UI from our own static files (npm, `make vendor`), behind
login; nothing from a CDN."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_docs_need_a_login(client):
    response = client.get("/api/docs")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/api/docs"
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 401 and schema.json() == {"message": "未登录或令牌无效", "extra": {}}


@pytest.mark.parametrize("who", ["suzhou", "ks_user", "expert"])
def test_the_docs_come_from_our_static_files(world, who):
    client = Client()
    client.force_login(world[who])
    page = client.get("/api/docs").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in assets
    assert "/static/vendor/swagger-ui/swagger-ui.css" in assets
    assert all(a.startswith("/static/") or a.startswith("data:") for a in assets), assets
    assert "cdn" not in page.lower() and "unpkg" not in page.lower()
    assert '"url": "/api/openapi.json"' in page
    for asset in (
        "vendor/swagger-ui/swagger-ui-bundle.js",
        "vendor/swagger-ui/swagger-ui.css",
        "web/api-docs.js",
    ):
        assert finders.find(asset), f"{asset} missing: run `make vendor`"
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200 and "/api/enterprises" in schema.json()["paths"]
