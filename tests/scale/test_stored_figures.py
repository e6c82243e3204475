"""The home page's key figures at province size: read from today's KPI snapshot when there is one (a count
over every firm in scope per page view is what a 4-million-firm province cannot afford), live otherwise."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from gaoqi.accounts.models import Role
from gaoqi.monitoring.services import snapshot_month
from gaoqi.web.selectors import key_figures, subregion_counts
from tests import factories


def _firms():
    province = factories.province_admin()
    today = timezone.localdate()
    factories.enterprise("320583", name="昆山一号科技有限公司", actor=province)
    factories.enterprise("320583", name="昆山二号科技有限公司", actor=province, in_hitech_zone=True)
    factories.enterprise("320506", name="吴中一号科技有限公司", actor=province)
    factories.enterprise("320115", name="江宁一号科技有限公司", actor=province)
    from gaoqi.registry.models import Enterprise

    # Status as the certificate service keeps it: one HTE in a zone, one tech SME.
    Enterprise.objects.filter(name="昆山二号科技有限公司").update(hte_valid_until=today + timedelta(days=30))
    Enterprise.objects.filter(name="吴中一号科技有限公司").update(tech_sme_valid_until=today)
    return province


def test_live_figures_without_a_snapshot(db):
    province = _firms()
    figures = key_figures(actor=province)
    assert (figures["total"], figures["hte"], figures["tech_sme"], figures["candidate"]) == (4, 1, 1, 2)
    assert figures["hte_zone_share"] == 1 and "computed_at" not in figures


def test_stored_figures_equal_the_live_ones_and_stay_until_the_next_snapshot(db, client):
    province = _firms()
    suzhou = factories.officer(Role.CITY_OFFICER, "320500")
    live = {a: key_figures(actor=a) for a in (province, suzhou)}
    live_rows = {a: subregion_counts(actor=a) for a in (province, suzhou)}
    snapshot_month(month=timezone.localdate().replace(day=1))
    for actor in (province, suzhou):
        stored = key_figures(actor=actor)
        assert stored["computed_at"] is not None
        assert {k: stored[k] for k in live[actor]} == live[actor]
        assert [
            (r.region.code, r.total, r.hte, r.tech_sme, r.candidate) for r in subregion_counts(actor=actor)
        ] == [(r.region.code, r.total, r.hte, r.tech_sme, r.candidate) for r in live_rows[actor]]
    # A firm registered after the snapshot counts from the next one; the page says where its figures come from.
    factories.enterprise("320583", name="昆山三号科技有限公司", actor=province)
    assert key_figures(actor=suzhou)["total"] == 3
    client.force_login(suzhou)
    response = client.get("/")
    assert response.status_code == 200
    assert 'data-testid="figures-stored"' in response.content.decode()
    snapshot_month(month=timezone.localdate().replace(day=1))
    assert key_figures(actor=suzhou)["total"] == 4
    assert [r.total for r in subregion_counts(actor=province) if r.region.code == "320500"] == [4]
