"""An unknown indicator in the targets API is a 422 naming it, never silently dropped or replaced."""

import pytest
from django.test import Client
from django.utils import timezone

from gaoqi.errors import ValidationFailed
from gaoqi.regions.models import Region
from gaoqi.targets import selectors, services

pytestmark = pytest.mark.django_db


@pytest.fixture
def targets(world):
    year = timezone.localdate().year
    suzhou = Region.objects.get(code="320500")
    for indicator, value in (("new_hte", 812), ("valid_hte", 4210)):
        services.target_set(
            actor=world["province"], region=suzhou, year=year, indicator=indicator, value=value
        )
    client = Client()
    client.force_login(world["province"])
    return client, year


def test_history_filters_by_a_known_indicator(targets):
    client, year = targets
    rows = client.get(f"/api/targets/history/320500/{year}", {"indicator": "new_hte"}).json()
    assert [(r["indicator"], r["value"]) for r in rows] == [("new_hte", 812)]
    assert len(client.get(f"/api/targets/history/320500/{year}").json()) == 2


@pytest.mark.parametrize("bad", ["new_htee", "overall", "NEW_HTE", ""])
def test_history_refuses_an_unknown_indicator(targets, bad):
    client, year = targets
    response = client.get(f"/api/targets/history/320500/{year}", {"indicator": bad})
    assert response.status_code == 422
    body = response.json()
    assert body["message"] == f"未知的指标“{bad}”"
    assert body["extra"]["errors"] == [
        {"field": "indicator", "reason": "可选：new_hte, valid_hte, tech_sme, pool_size"}
    ]


def test_progress_refuses_an_unknown_indicator_too(targets):
    client, year = targets
    assert client.get("/api/targets/progress", {"year": year, "indicator": "overall"}).status_code == 200
    response = client.get("/api/targets/progress", {"year": year, "indicator": "speed"})
    assert response.status_code == 422 and response.json()["message"] == "未知的指标“speed”"
    assert "overall" in response.json()["extra"]["errors"][0]["reason"]


def test_the_selector_refuses_it(world):
    with pytest.raises(ValidationFailed):
        selectors.target_history(actor=world["province"], region_code="320500", year=2026, indicator="x")
