"""The province's decision pages of the HTE certification (on-site check, 报备 lists, cancellation) in English:
no Chinese UI text left. Data typed by the officers here is English; the parameter's legal source is a cited
original. (The application page's frozen evaluation snapshot keeps the engine's Chinese texts as stored: only
the sections this file's features add are checked there.)"""

import re
from datetime import date

import pytest
from django.urls import reverse

from gaoqi.programmes.hte import decisions
from gaoqi.programmes.hte.models import ReportBatch
from tests.hte.conftest import DAY, act, at, fresh, scored_and_aggregated
from tests.web.test_i18n_pages import check, english, leftovers

pytestmark = pytest.mark.django_db
SECTIONS = ("site-checks", "report-batch", "cancellation-case", "cancellation-open")


def sections(html: str) -> str:
    """The page's sections of the decision steps (by data-testid)."""
    out = []
    for name in SECTIONS:
        m = re.search(rf'<section class="panel" data-testid="{name}">.*?</section>', html, re.S)
        if m:
            out.append(m.group(0))
    return "".join(out)


def test_decision_pages_speak_english(hte_world):
    from gaoqi.workflow.notices import notice_close, notice_publish

    w = hte_world
    app, _draw = scored_and_aggregated(w)
    act(w["province"], app, "expert_pass")
    act(w["province"], app, "approve")
    batch = decisions.report_batch_create(
        actor=w["province"], year=2026, title="List 1", application_ids=[app.pk]
    )
    decisions.report_batch_mark_reported(actor=w["province"], batch=batch, reported_on=DAY, reference="No. 1")
    notice, _r = notice_publish(actor=w["province"], programme_code="hte", title="Notice", starts_on=DAY,
                                working_days=10, items=[(app.pk, fresh(app).version)])  # fmt: skip
    with at(date(2026, 6, 30)):
        notice_close(actor=w["province"], notice=notice)
        act(w["province"], app, "certify")
    nj, _draw = scored_and_aggregated(w, "nj")
    act(w["province"], nj, "expert_pass")
    decisions.site_check_order(actor=w["province"], application=fresh(nj), reason="premises")
    with at(date(2028, 6, 10)):  # two reports missed: a candidate, the form pre-filled
        client = english(w["province"])
        assert check(client, [reverse("hte:after"), reverse("hte:decisions")]) == {}
        assert (
            leftovers(sections(client.get(reverse("hte:application", args=[app.pk])).content.decode())) == []
        )
    with at(date(2027, 6, 10)):
        decisions.cancellation_open(actor=w["province"], application=fresh(app), ground="reports",
                                    detail="report missing", version=fresh(app).version, missed_years=[2026])  # fmt: skip
        client = english(w["province"])
        assert check(client, [reverse("hte:decisions"), reverse("hte:report_batch", args=[batch.pk])]) == {}
        desk = client.get(reverse("hte:decisions")).content.decode()
        assert "Cancellations proposed (awaiting notice)" in desk and "195号" in desk
        for pk, shown in ((app.pk, "cancellation-case"), (nj.pk, "site-checks")):
            page = sections(client.get(reverse("hte:application", args=[pk])).content.decode())
            assert shown in page and leftovers(page) == [], pk
        page = client.get(reverse("hte:application", args=[nj.pk])).content.decode()
        assert "Order an on-site check" in page and "Check failed (reject)" in page
        assert ReportBatch.objects.get().reported_on == DAY
