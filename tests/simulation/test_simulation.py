"""Policy simulation: the job's counts equal a direct per-firm evaluation of a small register, reforms are
validated like parameter files, nothing writes a policy file, province officers only, runs audited, export."""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from gaoqi.accounts.models import Role
from gaoqi.audit.models import AuditEvent
from gaoqi.demo.generator import generate
from gaoqi.demo.loader import load
from gaoqi.errors import NotFound, ValidationFailed
from gaoqi.jobs.testing import run_queued_jobs
from gaoqi.policy import evaluate, load_policy
from gaoqi.registry.models import Enterprise
from gaoqi.registry.selectors import facts_for_policy
from gaoqi.simulation import selectors, services
from gaoqi.simulation.models import Reform, Run
from tests import factories

pytestmark = pytest.mark.django_db
AS_OF = date(2025, 6, 30)
N = 150
POLICY_DIR = Path(__file__).resolve().parents[2] / "src/gaoqi/policy/policies"


@pytest.fixture
def register(db):
    load(generate(N, 7, AS_OF), progress=False)
    return factories.province_admin()


def _policy_files_digest() -> str:
    h = hashlib.sha256()
    for p in sorted(POLICY_DIR.rglob("*.yaml")):
        h.update(p.read_bytes())
    return h.hexdigest()


def _run(actor, reform) -> Run:
    run = services.run_start(actor=actor, reform=reform)
    run_queued_jobs()
    run.refresh_from_db()
    assert run.job.status == "succeeded", run.job.error
    return run


def test_the_jobs_counts_equal_a_direct_evaluation(register):
    p = register
    reform = services.reform_save(
        actor=p,
        name="培育库研发5%科技人员5%",
        policy="pool",
        as_of=AS_OF,
        values={
            "rnd.min_ratio": "5",
            "tech_staff.min_ratio": "5",
            "ip.min_count": "1",
            "reward.admission_amount": "200000",
        },
    )
    assert reform.overrides == {  # only what differs from the baseline
        "rnd.min_ratio": "5",
        "tech_staff.min_ratio": "5",
        "reward.admission_amount": 200000,
    }
    digest = _policy_files_digest()
    run = _run(p, reform)
    s = run.summary
    base = load_policy("pool", AS_OF)
    new = base.with_overrides(reform.overrides)
    by_city, by_county, changed = Counter(), Counter(), {}
    evaluable = 0
    for firm in Enterprise.objects.all():
        facts = facts_for_policy(actor=p, enterprise=firm, as_of=AS_OF)
        b = evaluate(facts, base, AS_OF, on_error="report", with_gaps=False)
        r = evaluate(facts, new, AS_OF, on_error="report", with_gaps=False)
        if b.errors:
            continue
        evaluable += 1
        for counter, code in ((by_city, firm.city_id), (by_county, firm.county_id)):
            counter[(code, "base")] += b.outcome == "pass"
            counter[(code, "reform")] += r.outcome == "pass"
        if b.outcome != r.outcome:
            changed[firm.pk] = (b.outcome, r.outcome)
    assert s["n_firms"] == N and s["n_firms"] - s["n_unevaluable"] == evaluable
    assert s["baseline_pass"] == sum(v for (_c, k), v in by_city.items() if k == "base")
    assert s["reform_pass"] == sum(v for (_c, k), v in by_city.items() if k == "reform")
    for key, counter in (("by_city", by_city), ("by_county", by_county)):
        for code, row in s[key].items():
            assert (row["baseline_pass"], row["reform_pass"]) == (
                counter[(code, "base")],
                counter[(code, "reform")],
            )
    assert {"pass", "fail"} == {b for b, _r in changed.values()}, "firms should change both ways"
    assert {c.enterprise_id: (c.baseline, c.reform) for c in run.changes.all()} == changed
    assert all(c.criteria for c in run.changes.all())  # the criteria that flipped are named
    # the reward cost: the policy's own reward parameter, before and after
    assert s["cost"]["net"] == s["reform_pass"] * 200000 - s["baseline_pass"] * 300000
    assert run.baseline_hash == base.param_hash and run.reform_hash == new.param_hash != base.param_hash
    assert _policy_files_digest() == digest  # nothing wrote a parameter file
    assert load_policy("pool", AS_OF).param_hash == base.param_hash
    assert AuditEvent.objects.filter(target_type="simulation.reform", target_id=str(reform.pk)).exists()
    assert AuditEvent.objects.filter(target_type="simulation.run", target_id=str(run.pk)).exists()


def test_reforms_are_validated_like_parameter_files(db):
    p = factories.province_admin()
    with pytest.raises(ValidationFailed) as exc:
        services.reform_save(
            actor=p, name="x", policy="hte", as_of=AS_OF, values={"tech_staff.min_ratio": "abc"}
        )
    assert exc.value.errors[0]["field"] == "tech_staff.min_ratio"
    with pytest.raises(ValidationFailed):
        services.reform_save(actor=p, name="x", policy="hte", as_of=AS_OF, values={"no.such": "1"})
    with pytest.raises(ValidationFailed):  # nothing changed
        services.reform_save(actor=p, name="x", policy="hte", as_of=AS_OF, values={"score.pass_above": "70"})
    with pytest.raises(ValidationFailed):  # hidden: the gap-advice cost model changes no outcome
        services.reform_save(
            actor=p, name="x", policy="tech_sme", as_of=AS_OF, values={"gap.cost.rnd_yuan": "2"}
        )
    with pytest.raises(ValidationFailed):
        services.reform_save(actor=p, name="x", policy="reward", as_of=AS_OF, values={})
    services.reform_save(actor=p, name="x", policy="hte", as_of=AS_OF, values={"score.pass_above": "65"})
    with pytest.raises(ValidationFailed):  # names are unique
        services.reform_save(actor=p, name="x", policy="hte", as_of=AS_OF, values={"score.pass_above": "60"})
    assert Reform.objects.count() == 1


def test_province_officers_only(client, world):
    reform = services.reform_save(
        actor=world["province"],
        name="高企总分65",
        policy="hte",
        as_of=AS_OF,
        values={"score.pass_above": "65"},
    )
    for who in ("suzhou", "kunshan", "ks_user", "expert", "agency"):
        user = world[who]
        with pytest.raises(NotFound):
            selectors.reforms(actor=user)
        with pytest.raises(NotFound):
            services.run_start(actor=user, reform=reform)
        with pytest.raises(NotFound):
            services.reform_save(
                actor=user, name="y", policy="hte", as_of=AS_OF, values={"score.pass_above": "60"}
            )
        client.force_login(user)
        for url in (
            "/simulation/",
            f"/simulation/{reform.pk}/",
            "/simulation/new/?policy=hte",
            "/simulation/compare/",
        ):
            assert client.get(url).status_code == 404, (who, url)
        assert client.post(f"/simulation/{reform.pk}/run/").status_code == 404
        assert (
            client.post(
                "/simulation/new/", {"name": "z", "policy": "hte", "p:score.pass_above": "1"}
            ).status_code
            == 404
        )
    assert Run.objects.count() == 0 and Reform.objects.count() == 1
    assert world["suzhou"].role == Role.CITY_OFFICER


def test_pages_form_run_compare_and_export(client, register):
    p = register
    client.force_login(p)
    page = client.get(f"/simulation/new/?policy=hte&as_of={AS_OF}").content.decode()
    assert (
        "tech_staff.min_ratio" in page and "国科发火〔2016〕32号" in page and "不会修改现行政策参数" in page
    )
    assert "gap.cost" not in page
    res = client.post(
        "/simulation/new/",
        {"name": "科技人员8%", "policy": "hte", "as_of": AS_OF.isoformat(), "p:tech_staff.min_ratio": "8"},
    )
    first = Reform.objects.get(name="科技人员8%")
    assert res.status_code == 302 and first.overrides == {"tech_staff.min_ratio": "8"}
    res = client.post(
        "/simulation/new/",
        {"name": "坏值", "policy": "hte", "as_of": AS_OF.isoformat(), "p:tech_staff.min_ratio": "[1"},
    )
    assert res.status_code == 422 and "tech_staff.min_ratio" in res.content.decode()
    second = services.reform_save(
        actor=p, name="总分65", policy="hte", as_of=AS_OF, values={"score.pass_above": "65"}
    )
    res = client.post(f"/simulation/{first.pk}/run/")
    assert res.status_code == 302 and res["Location"].startswith("/jobs/")
    run_queued_jobs()
    run_two = _run(p, second)
    run_one = Run.objects.get(reform=first)
    page = client.get(f"/simulation/runs/{run_one.pk}/").content.decode()
    assert 'data-testid="by-city"' in page and 'data-testid="by-county"' in page
    compare = client.get(f"/simulation/compare/?reform={first.pk}&reform={second.pk}").content.decode()
    assert "科技人员8%" in compare and "总分65" in compare
    res = client.get(f"/simulation/compare.xlsx?reform={first.pk}&reform={second.pk}")
    assert res.status_code == 200
    wb = CalamineWorkbook.from_filelike(io.BytesIO(res.content))
    assert wb.sheet_names[0] == "对比" and len(wb.sheet_names) == 3
    rows = wb.get_sheet_by_name("对比").to_python()
    assert rows[3][0] == "科技人员8%" and rows[4][0] == "总分65"
    assert int(rows[4][6]) == run_two.summary["reform_pass"]
