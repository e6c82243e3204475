"""The officers' tech-SME queue export (xlsx): the phase and filters of the page, every row in scope, nothing
for anyone else."""

from io import BytesIO

import pytest
from django.test import Client
from python_calamine import CalamineWorkbook

from gaoqi.programmes.tech_sme.evaluation import FLAG_LABELS
from gaoqi.programmes.tech_sme.export import COLUMNS
from gaoqi.workflow.models import Application
from tests.workflow.conftest import submitted

pytestmark = pytest.mark.django_db
URL = "/programmes/tech-sme/queue/export/"


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _rows(res) -> list[list]:
    assert res.status_code == 200
    assert res["Content-Disposition"].startswith("attachment;")
    book = CalamineWorkbook.from_filelike(BytesIO(b"".join(res.streaming_content)))
    return book.get_sheet_by_index(0).to_python()


def _names(rows) -> list[str]:
    return [r[3] for r in rows[1:] if isinstance(r[0], int | float) and r[0]]


def test_the_export_lists_the_phase_in_scope_with_the_pages_filters(sme_world):
    w = sme_world
    ks, wz, _nj = (submitted(w, k) for k in ("ks", "wz", "nj"))
    Application.objects.exclude(pk=wz.pk).update(flags=[])  # (a first application is itself a flag)
    Application.objects.filter(pk=wz.pk).update(flags=["few_employees", "no_ip"])
    rows = _rows(_client(w["province"]).get(URL, {"phase": "submitted"}))
    assert tuple(rows[0][: len(COLUMNS)]) == COLUMNS
    assert _names(rows) == [w["ks"].name, w["wz"].name, w["nj"].name]  # oldest first, as the queue
    first = rows[1]
    assert first[1] == ks.pk and first[2] == w["ks"].credit_code
    assert (first[4], first[5], first[7]) == ("苏州市", "昆山市", "待形式审查")
    assert first[11] == "通过" and first[12] == ks.snapshot["score"]
    flagged = next(r for r in rows[1:] if r[3] == w["wz"].name)
    assert flagged[13] == f"{FLAG_LABELS['few_employees']}；{FLAG_LABELS['no_ip']}"
    # The page's filters: county, flagged, name; another phase.
    province = _client(w["province"])
    assert _names(_rows(province.get(URL, {"phase": "submitted", "county": "320506"}))) == [w["wz"].name]
    assert _names(_rows(province.get(URL, {"phase": "submitted", "flagged": "1"}))) == [w["wz"].name]
    assert _names(_rows(province.get(URL, {"phase": "submitted", "q": "南京"}))) == [w["nj"].name]
    assert _names(_rows(province.get(URL, {"phase": "accepted"}))) == []
    # Scope: the Suzhou officer's export holds Suzhou's firms only; the Kunshan officer's, Kunshan's.
    assert _names(_rows(_client(w["suzhou"]).get(URL, {"phase": "submitted"}))) == [
        w["ks"].name,
        w["wz"].name,
    ]
    assert _names(_rows(_client(w["kunshan"]).get(URL, {"phase": "submitted"}))) == [w["ks"].name]
    assert _names(_rows(_client(w["nanjing"]).get(URL, {"phase": "submitted", "county": "320583"}))) == []


@pytest.mark.parametrize("who", ["ks_user", "expert", "agency"])
def test_no_export_for_firms_experts_or_agencies(sme_world, who):
    submitted(sme_world, "ks")
    assert _client(sme_world[who]).get(URL, {"phase": "submitted"}).status_code == 404


def test_the_queue_page_links_the_export_with_its_filters(sme_world):
    submitted(sme_world, "ks")
    page = _client(sme_world["province"]).get(
        "/programmes/tech-sme/queue/", {"phase": "submitted", "county": "320583", "flagged": "1", "q": "昆山"}
    )
    html = page.content.decode()
    assert 'data-testid="queue-export"' in html
    assert f"{URL}?phase=submitted&amp;county=320583&amp;q=%E6%98%86%E5%B1%B1&amp;flagged=1" in html


def test_the_api_exports_the_same_queue_for_officers_only(sme_world):
    w = sme_world
    for key in ("ks", "wz", "nj"):
        submitted(w, key)
    res = _client(w["suzhou"]).get("/api/tech-sme/queue.xlsx", {"phase": "submitted", "county": "320583"})
    assert _names(_rows(res)) == [w["ks"].name]
    assert _names(_rows(_client(w["suzhou"]).get("/api/tech-sme/queue.xlsx"))) == [w["ks"].name, w["wz"].name]
    for who in ("ks_user", "expert", "agency"):
        res = _client(w[who]).get("/api/tech-sme/queue.xlsx")
        assert res.status_code == 404 and res.json()["message"]
    assert _client(w["province"]).get("/api/tech-sme/queue.xlsx", {"phase": "nonsense"}).status_code == 404
