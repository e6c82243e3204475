"""The engine's public contract: errors, validation, serialisation, trace, and no Django."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from datetime import date

import pytest
from tests.policy.engine_facts import AS_OF, HTE, RND, hte, policy, sme

from gaoqi.policy import (
    ENGINE_VERSION,
    RULES,
    FactsError,
    FieldError,
    evaluate,
    load_policy,
    validate_facts,
)


def test_importing_every_policy_module_imports_no_django():
    code = (
        "import importlib, pkgutil, sys\n"
        "import gaoqi.policy as p\n"
        "mods = [m.name for m in pkgutil.walk_packages(p.__path__, 'gaoqi.policy.')]\n"
        "for m in mods: importlib.import_module(m)\n"
        "bad = sorted(k for k in sys.modules if k == 'django' or k.startswith('django.'))\n"
        "print(len(mods)); print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert int(out[0]) >= 10  # the walk did import the package's modules
    assert out[1] == "", f"django modules imported: {out[1]}"


def test_invalid_facts_raise_with_every_field_named():
    bad = sme(employees=None, revenue_y3=-5)
    with pytest.raises(FactsError) as info:
        evaluate(bad, policy("tech_sme"), AS_OF)
    assert {e.field for e in info.value.errors} == {"employees", "revenue_y3"}
    assert "employees" in str(info.value) and bad.credit_code in str(info.value)


def test_report_mode_returns_no_outcome_with_errors():
    # one convention everywhere (engine, bulk, CLI): invalid input -> outcome None + errors;
    # "undetermined" means only "expert review decides"
    ev = evaluate(sme(tech_staff=101), policy("tech_sme"), AS_OF, on_error="report")
    assert ev.outcome is None and ev.eligible is None and ev.criteria == ()
    assert ev.to_dict()["outcome"] is None
    assert [e.field for e in ev.errors] == ["tech_staff"]
    assert ev.to_dict()["errors"][0]["field"] == "tech_staff"


def test_validate_facts_lists_problems_without_evaluating():
    errors = validate_facts(hte(revenue_y1=None, rnd_expense_domestic_y2=2_000_000), policy("hte"))
    assert (
        FieldError("revenue_y1", "required by policy hte", "高新技术企业认定评价必填", missing=True) in errors
    )
    invalid = [e for e in errors if e.field == "rnd_expense_domestic_y2"]
    assert invalid and not any(e.missing for e in invalid)
    assert validate_facts(HTE, policy("hte")) == []


def test_validate_facts_with_as_of_requires_only_the_years_the_firm_existed():
    young = hte(
        founded_on=date(2023, 3, 1),
        revenue_y1=None,
        revenue_y2=None,
        net_assets_y1=None,
        net_assets_y2=None,
        rnd_expense_y1=None,
        rnd_expense_y2=None,
        rnd_expense_domestic_y1=None,
        rnd_expense_domestic_y2=None,
    )
    assert validate_facts(young, policy("hte"), AS_OF) == []
    assert {e.field for e in validate_facts(young, policy("hte"))} >= {"revenue_y1", "revenue_y2"}


def test_each_policy_declares_required_fields():
    assert "employees" in policy("tech_sme").requires
    assert "founded_on" in policy("hte").requires
    assert "founded_on" not in policy("tech_sme").requires


def test_wrong_facts_type_is_an_error_not_a_crash():
    with pytest.raises(FactsError):
        evaluate(RND, policy("hte"), AS_OF)


def test_to_dict_is_json_and_carries_the_trace():
    ev = evaluate(hte(tech_staff=5), policy("hte"), AS_OF)
    d = json.loads(json.dumps(ev.to_dict(), ensure_ascii=False))
    for key in (
        "credit_code",
        "policy",
        "outcome",
        "eligible",
        "score",
        "score_min",
        "score_max",
        "criteria",
        "gaps",
        "engine_version",
        "param_hash",
        "as_of",
    ):
        assert key in d
    assert d["engine_version"] == ENGINE_VERSION and d["param_hash"] == policy("hte").param_hash
    assert d["as_of"] == "2024-06-30" and d["outcome"] == "fail"
    staff = next(c for c in d["criteria"] if c["id"] == "hte.tech_staff_ratio")
    assert staff["value"] == 0.05 and staff["passed"] is False
    assert staff["threshold"] == {
        "op": ">=",
        "value": 0.1,
        "text": "科技人员占职工总数比例不低于10%",
        "text_en": "Tech staff at least 10% of employees",
    }
    assert staff["params_used"] == [
        {"name": "tech_staff.min_ratio", "value": 0.1, "effective_from": "2016-01-01"}
    ]
    assert staff["detail"] == {"numerator": 5, "denominator": 100}
    assert d["gaps"][0]["changes"] == [
        {"field": "tech_staff", "delta": 6},
        {"field": "employees", "delta": 6},
    ]


@pytest.mark.parametrize("name", sorted(RULES))
def test_every_criterion_has_labels_and_a_citation_with_an_article(name):
    p = load_policy(name, AS_OF)
    for c in p.criteria.values():
        assert c.id.isascii() and c.id.startswith(f"{name}.")
        assert c.label_zh and c.label_en
        document, _, article = c.citation.partition(" ")
        assert document and article, c.citation


def test_every_result_criterion_reports_the_parameters_it_used():
    ev = evaluate(sme(), policy("tech_sme"), AS_OF)
    used = {u.name for c in ev.criteria for u in c.params_used}
    assert used >= {"size.employees_max", "score.pass_min", "score.tech_staff_bands", "score.ip_class2_bands"}


def test_the_tech_sme_score_reads_the_most_recent_year_only():
    p = policy("tech_sme")
    assert (
        evaluate(sme(rnd_expense_y1=10**8, revenue_y1=1), p, AS_OF).score == evaluate(sme(), p, AS_OF).score
    )


def test_policies_pickle_hash_and_stay_read_only():
    import pickle

    p = policy("pool", overrides={"reward.admission_amount": 200_000})
    q = pickle.loads(pickle.dumps(p))
    assert q.param_hash == p.param_hash and q.value("reward.admission_amount") == 200_000
    assert evaluate(sme(), q.subpolicies["tech_sme"], AS_OF) == evaluate(
        sme(), p.subpolicies["tech_sme"], AS_OF
    )
    assert hash(q) == hash(p) and {p: 1}[q] == 1
    with pytest.raises(TypeError):
        p.params["reward.admission_amount"] = None


@pytest.mark.parametrize(
    ("changes", "passes"),
    [
        ({}, True),  # a tech-SME by score (92): the pool's first condition holds
        ({"employees": 500, "tech_staff": 100}, True),  # on the size limit (第六条（二）: 含)
        ({"employees": 501, "tech_staff": 101}, False),  # one over: no route through the score
        ({"revenue_y3": 200_000_001, "total_income": 200_000_001, "rnd_expense_y3": 14_000_000}, False),
        ({"total_assets": 200_000_001}, False),
        ({"credit_code": "92320505000000001X"}, False),  # an individual business is not an enterprise
    ],
)
def test_the_pools_score_route_requires_the_tech_sme_basic_conditions(changes, passes):
    ev = evaluate(hte(**changes), policy("pool"), AS_OF)
    crit = next(c for c in ev.criteria if c.id == "pool.tech_sme")
    assert crit.points >= 60  # the score alone would let each of these through
    assert crit.passed is passes


def test_a_large_certified_hte_does_not_enter_the_pool_through_its_score():
    big = hte(employees=2_000, tech_staff=400, total_assets=800_000_000, has_hte_certificate=True)
    big = replace(big, revenue_y3=900_000_000, total_income=900_000_000, total_cost=700_000_000)
    big = replace(big, rnd_expense_y3=60_000_000)
    ev = evaluate(big, policy("pool"), AS_OF)
    crit = next(c for c in ev.criteria if c.id == "pool.tech_sme")
    assert crit.points >= 60 and crit.passed is False and ev.outcome == "fail"
