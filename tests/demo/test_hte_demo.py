"""The demo's HTE certification: an expert registry large enough for the draws (≥ 3× the panel eligible in
every field), applications at every stage made through the services, the demo expert with something to score
and a panel to aggregate, deterministic by seed, synthetic, idempotent."""

import time
from collections import Counter

import pytest
from django.utils import timezone

from gaoqi.demo.accounts import ensure_demo_accounts
from gaoqi.demo.generator import generate
from gaoqi.demo.hte import FIELDS, PLAN, ensure_demo_hte
from gaoqi.demo.loader import load
from gaoqi.experts.models import ExpertAssignment, ExpertKind, ExpertProfile
from gaoqi.ledger.services import reevaluate
from gaoqi.programmes.hte import panels, params, services
from gaoqi.programmes.hte.models import AnnualReport, CancellationCase, HteRecord, PanelDraw, SiteCheck
from gaoqi.workflow.models import Application

N = 12_000  # enough Suzhou firms whose facts can pass the panel (score above 70) for every stage


def _state():
    return sorted(
        Application.objects.filter(programme="hte").values_list(
            "enterprise__credit_code", "phase", "reference_no", "hte_record__panel_score"
        )
    ), sorted(PanelDraw.objects.values_list("seed", "leader__username"))


@pytest.fixture
def demo(db):
    """The demo made twice on the same register (the first undone by a savepoint): the same state."""
    from django.db import transaction

    today = timezone.localdate()
    load(generate(N, 2019, today), progress=False)
    reevaluate(as_of=today)
    ensure_demo_accounts()
    sid = transaction.savepoint()
    ensure_demo_hte(seed=2019)
    first = _state()
    transaction.savepoint_rollback(sid)
    started = time.perf_counter()
    counts = ensure_demo_hte(seed=2019)
    return counts, time.perf_counter() - started, first


def test_every_stage_registry_the_demo_expert_deterministic(demo):
    counts, seconds, first = demo
    assert _state() == first and len(first[0]) >= len(PLAN)  # deterministic by seed
    apps = Application.objects.filter(programme="hte")
    phases = Counter(apps.values_list("phase", flat=True))
    assert counts["applications"] == len(PLAN)
    for phase in ("draft", "submitted", "recommended", "accepted", "reviewed", "approved", "in_notice",
                  "certified", "cancel_notice"):  # fmt: skip
        assert phases[phase] >= 1, (phase, phases)
    assert phases["certified"] == 3 and phases["accepted"] >= 5  # drawn, scored, aggregated among them
    accepted = apps.filter(phase="accepted")
    assert accepted.filter(hte_draws__isnull=True).count() == 1  # accepted, no panel yet
    assert HteRecord.objects.filter(application__phase="accepted", panel_score__isnull=False).count() == 1
    assert SiteCheck.objects.filter(passed__isnull=True, application__phase="reviewed").count() == 1
    certified = apps.filter(phase="certified")
    assert all(a.reference_no.startswith("SYN-GR") and a.synthetic for a in certified)
    assert all(a.hte_record.report_batch.reported_on for a in certified)
    in_notice = apps.get(phase="in_notice")
    assert in_notice.hte_record.report_batch.reported_on is None  # this year's list, not reported yet
    assert AnnualReport.objects.count() == 2  # two of the three certified filed last year's report
    (case,) = CancellationCase.objects.all()
    assert case.ground == "reports" and len(case.missed_years) == 2 and case.outcome == ""
    assert seconds < 60  # 4 s on a quiet machine, up to 19 s on the shared one
    # the registry: ≥ 20 technical experts in each field, financial experts, a draw possible in every field
    tech = list(
        ExpertProfile.objects.filter(kind=ExpertKind.TECHNICAL, user__username__startswith="demo-hte-")
    )
    for field in FIELDS:
        assert sum(1 for p in tech if field in p.tech_fields) >= 20
    assert ExpertProfile.objects.filter(kind=ExpertKind.FINANCIAL).count() >= 20
    assert all(p.user.display_name.endswith("（合成）") for p in tech)
    rules = params.panel_rules(timezone.localdate())
    registry = panels.Registry(services.candidates())
    for field in FIELDS:
        d = panels.draw(registry, panels.Request(field, "91SYNNOFIRM0000000"), seed=1, rules=rules)
        assert d.eligible_technical + d.eligible_financial >= rules.pool_factor * rules.size
    # the demo expert: one application to score, one panel he leads waiting for his aggregation, a past one
    mine = ExpertAssignment.objects.filter(expert__username="expert", application__programme="hte")
    assert mine.filter(scored_at__isnull=True, application__phase="accepted").count() == 1
    leads = PanelDraw.objects.filter(current=True, leader__username="expert").select_related("application")
    assert any(
        d.application.phase == "accepted" and d.application.hte_record.aggregated_at is None for d in leads
    )
    assert mine.filter(application__phase="certified").exists()
    assert ensure_demo_hte(seed=2019) == {}  # idempotent
