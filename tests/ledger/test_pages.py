"""The ledger pages as officers use them: scope, lists, counts, pinyin order, export."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from python_calamine import CalamineWorkbook

from gaoqi.accounts.models import Role
from gaoqi.demo.generator import generate
from gaoqi.demo.loader import load
from gaoqi.ledger.models import LedgerEntry
from gaoqi.ledger.pinyin import sort_key
from gaoqi.ledger.services import reevaluate
from tests import factories

AS_OF = date(2025, 6, 30)


@pytest.fixture
def ledger(db):
    load(generate(300, 3, AS_OF), progress=False)
    reevaluate(as_of=AS_OF)
    return {
        "province": factories.province_admin(),
        "suzhou": factories.officer(Role.CITY_OFFICER, "320500"),
        "nanjing": factories.officer(Role.CITY_OFFICER, "320100"),
    }


def _get(client, user, **params):
    client.force_login(user)
    return client.get("/ledger/", params)


def test_every_firm_has_one_ledger_entry_and_counts_add_up(client, ledger):
    assert LedgerEntry.objects.count() == 300
    response = _get(client, ledger["province"])
    assert response.status_code == 200
    summary = response.context["summary"]
    assert summary.total == 300 == sum(r["total"] for r in summary.rows)
    for grade, n in summary.by_grade.items():
        assert n == LedgerEntry.objects.filter(grade=grade).count()


def test_a_city_officer_sees_only_the_city(client, ledger):
    response = _get(client, ledger["suzhou"])
    entries = list(response.context["page"].object_list)
    assert entries and all(e.city_id == "320500" for e in entries)
    assert response.context["summary"].total == LedgerEntry.objects.filter(city_id="320500").count()
    # a foreign filter is not applied (no Nanjing rows appear)
    response = _get(client, ledger["suzhou"], city="320100")
    assert all(e.city_id == "320500" for e in response.context["page"].object_list)


def test_lists_sme_due_and_hte_reserve(client, ledger):
    page = _get(client, ledger["province"], list="sme_due").context["page"]
    assert page.object_list and all(
        e.tech_sme_eligible and not e.tech_sme_registered for e in page.object_list
    )
    due = LedgerEntry.objects.filter(tech_sme_eligible=True, tech_sme_registered=False)
    assert page.total == due.count() and not page.capped  # the summary's count is the page's
    response = _get(client, ledger["province"], list="hte_reserve")
    reserve = list(response.context["page"].object_list)
    assert reserve and all(e.hte_hard_failed == 0 and not e.has_hte_certificate for e in reserve)
    # The advice comes after the page, for the firms of the page, each in its own cell.
    ids = [e.enterprise_id for e in reserve]
    assert f'id="advice-{ids[0]}"' in response.content.decode()
    advice = client.get("/ledger/advice/", {"ids": ",".join(map(str, ids))})
    assert set(advice.context["advice"]) == set(ids)
    assert advice.content.decode().count('hx-swap-oob="true"') == len(ids)


def test_advice_is_scoped(client, ledger):
    nanjing = LedgerEntry.objects.filter(city_id="320100", has_hte_certificate=False).first()
    suzhou = LedgerEntry.objects.filter(city_id="320500").first()
    client.force_login(ledger["suzhou"])
    advice = client.get("/ledger/advice/", {"ids": f"{nanjing.enterprise_id},{suzhou.enterprise_id}"})
    assert set(advice.context["advice"]) == {suzhou.enterprise_id}
    client.force_login(factories.enterprise_user(suzhou.enterprise))
    assert client.get("/ledger/advice/", {"ids": str(suzhou.enterprise_id)}).status_code == 404


def test_names_are_in_pinyin_order(client, ledger):
    names = [e.enterprise.name for e in _get(client, ledger["province"]).context["page"].object_list]
    assert names == sorted(names, key=sort_key)


def test_export_holds_the_filtered_rows(client, ledger):
    client.force_login(ledger["suzhou"])
    response = client.get("/ledger/export.xlsx", {"grade": "E"})
    assert response.status_code == 200
    book = CalamineWorkbook.from_filelike(BytesIO(b"".join(response.streaming_content)))
    rows = book.get_sheet_by_index(0).to_python()
    expected = LedgerEntry.objects.filter(city_id="320500", grade="E").count()
    assert len(rows) - 1 == expected
    assert all(r[5].startswith("E") for r in rows[1:])


def test_firms_and_others_get_404(client, ledger, db):
    firm = LedgerEntry.objects.first().enterprise
    user = factories.enterprise_user(firm)
    client.force_login(user)
    assert client.get("/ledger/").status_code == 404
    assert client.get("/ledger/export.xlsx").status_code == 404


def test_an_officer_starts_a_reevaluation_job_of_the_region(client, ledger, settings):
    from gaoqi.jobs.models import Job
    from gaoqi.jobs.testing import run_queued_jobs

    client.force_login(ledger["suzhou"])
    response = client.post("/ledger/reevaluate/")
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/jobs/{job.pk}/")
    run_queued_jobs()
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert f"{LedgerEntry.objects.filter(city_id='320500').count()} 家企业" in job.result["summary"]


def test_the_zone_filter_follows_the_registry(client, ledger):
    from gaoqi.registry.models import Enterprise

    in_zone = _get(client, ledger["province"], hitech_zone="any").context["page"]
    assert in_zone.total == Enterprise.objects.filter(in_hitech_zone=True).count() > 0
    firm = Enterprise.objects.filter(hitech_zone__isnull=False).first()
    one = _get(client, ledger["province"], hitech_zone=firm.hitech_zone_id).context["page"]
    assert one.total == Enterprise.objects.filter(hitech_zone=firm.hitech_zone_id).count()
    assert {e.hitech_zone_id for e in one} == {firm.hitech_zone_id}


def test_the_ledgers_own_scope_reaches_what_the_enterprise_scope_reaches(ledger):
    """The ledger is scoped on its own city/county/enterprise columns (no join): for every role the rows are
    exactly those of the firms `scope_enterprises` gives, also with a second province in the region tree."""
    from gaoqi.accounts.scope import regional_q, scope_enterprises
    from gaoqi.regions.models import Level, Region

    firm = LedgerEntry.objects.filter(city_id="320500").first().enterprise
    actors = [
        ledger["province"],
        ledger["suzhou"],
        factories.officer(Role.COUNTY_OFFICER, firm.county_id),
        factories.enterprise_user(firm),
        factories.officer(Role.EXPERT, "320000"),
        factories.agency_user(firms=[firm]),
    ]

    def same():
        for actor in actors:
            mine = set(LedgerEntry.objects.filter(regional_q(actor)).values_list("enterprise_id", flat=True))
            assert mine == set(scope_enterprises(actor).values_list("pk", flat=True)), actor.role

    same()
    Region.objects.create(code="330000", name="浙江省", level=Level.PROVINCE)  # the short cut no longer holds
    same()
