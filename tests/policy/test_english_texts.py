"""English texts from the engine: every threshold has one, every gap sentence is plain English.

Evaluated over every case in tests/policy/cases (each policy, passing and failing firms, many gap kinds):
no Chinese characters, no snake_case field names (`revenue_y3`), no raw yuan amounts (money is in ×10k CNY).
"""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest
import yaml
from tests.policy.engine_facts import AS_OF, hte, policy, sme

from gaoqi.policy import EnterpriseFacts, RndInstitutionFacts, evaluate, load_policy

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef\u2160-\u217f]")
FIELD_NAME = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
RAW_YUAN = re.compile(r"\d{5,}")  # once the "124.0 ×10k CNY" amounts are taken out
MONEY = re.compile(r"\d+\.\d ×10k CNY")
CASES = Path(__file__).parent / "cases"


def _case_evaluations():
    out = []
    for path in sorted(CASES.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        bases = doc.get("bases", {})
        for case in doc["cases"]:
            data = dict(bases[case["base"]]) if "base" in case else {}
            data.update(case.get("facts") or {})
            cls = RndInstitutionFacts if case["policy"] == "rnd_institution" else EnterpriseFacts
            known = {f.name for f in fields(cls)}
            p = load_policy(case["policy"], case["as_of"], case.get("overrides"))
            ev = evaluate(
                cls(**{k: v for k, v in data.items() if k in known}), p, case["as_of"], on_error="report"
            )
            out.append(pytest.param(ev, id=f"{path.stem}:{case['name']}"))
    return out


def _extra_evaluations():
    """Gap kinds the case files do not reach: domestic R&D, the R&D route of the tech-SME plan, pool flags."""
    runs = {
        "hte-domestic-rnd": (
            hte(
                rnd_expense_domestic_y1=0,
                rnd_expense_domestic_y2=0,
                rnd_expense_domestic_y3=0,
                rnd_expense_y1=900_000,
                total_income=31_000_000,
                hitech_revenue=1_000_000,
                major_incident=True,
                ip_class1=0,
                ip_class2=0,
            ),
            "hte",
        ),
        "sme-rnd-plan": (
            sme(
                rnd_expense_y3=0,
                tech_staff=0,
                ip_class2=0,
                employees=499,
                bad_credit=True,
                major_incident=True,
                restricted_industry=True,
                total_assets=10**9,
            ),
            "tech_sme",
        ),
        "sme-rnd-route": (sme(rnd_expense_y3=0), "tech_sme"),
        "pool-flags": (
            hte(
                major_incident=True,
                bad_credit=True,
                tech_staff=1,
                rnd_expense_y3=0,
                rnd_expense_domestic_y3=0,
                ip_class1=0,
                ip_class2=0,
            ),
            "pool",
        ),
    }
    return [
        pytest.param(evaluate(f, policy(name), AS_OF, on_error="report"), id=key)
        for key, (f, name) in runs.items()
    ]


EVALUATIONS = _case_evaluations() + _extra_evaluations()


@pytest.mark.parametrize("ev", EVALUATIONS)
def test_every_threshold_has_english_text(ev):
    for c in ev.criteria:
        if c.threshold is None:
            continue
        assert c.threshold.text_en.strip(), c.id
        assert not CJK.search(c.threshold.text_en), (c.id, c.threshold.text_en)
        assert c.threshold.to_dict()["text_en"] == c.threshold.text_en


@pytest.mark.parametrize("ev", EVALUATIONS)
def test_every_gap_message_is_plain_english(ev):
    for g in ev.gaps:
        assert g.message_en.strip(), g.criterion_id
        assert not CJK.search(g.message_en), (g.criterion_id, g.message_en)
        assert not FIELD_NAME.search(g.message_en), (g.criterion_id, g.message_en)
        assert not RAW_YUAN.search(MONEY.sub("", g.message_en)), (g.criterion_id, g.message_en)


def test_samples_cover_every_policy_and_the_less_common_gaps():
    with_gaps = {ev.values[0].policy for ev in EVALUATIONS if ev.values[0].gaps}
    assert {"tech_sme", "hte", "pool", "rnd_institution"} <= with_gaps
    ids = {g.criterion_id for ev in EVALUATIONS for g in ev.values[0].gaps}
    assert {
        "hte.rnd_domestic_ratio",
        "tech_sme.rnd_score",
        "pool.no_bad_credit",
        "pool.no_major_incident",
    } <= ids


def test_english_gap_sentences_mirror_the_chinese():
    facts = hte(
        rnd_expense_y1=800_000,
        rnd_expense_y2=810_000,
        rnd_expense_y3=900_000,
        rnd_expense_domestic_y1=800_000,
        rnd_expense_domestic_y2=810_000,
        rnd_expense_domestic_y3=900_000,
        tech_staff=9,
    )
    gaps = {g.criterion_id: g for g in evaluate(facts, policy("hte"), AS_OF).gaps}
    assert gaps["hte.rnd_ratio"].message_zh.startswith("近3年研发费用需再增加 124.0 万元")
    assert gaps["hte.rnd_ratio"].message_en.startswith("Raise 3-year R&D spending by 124.0 ×10k CNY")
    assert gaps["hte.tech_staff_ratio"].message_en.startswith("Add 2 tech staff")
    rnd = evaluate(facts, policy("hte"), AS_OF).criterion("hte.rnd_ratio").threshold
    assert "this firm: 3000 ×10k CNY" in rnd.text_en and "3000万元" in rnd.text_zh
    sme_ev = evaluate(sme(employees=600), policy("tech_sme"), AS_OF)
    g = next(g for g in sme_ev.gaps if g.criterion_id == "tech_sme.employees")
    assert g.message_en.startswith("Employees exceed the limit by 100 person(s)")
