"""Facts builders for the policy-engine tests: a baseline firm per policy, changed with keywords."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from gaoqi.policy import EnterpriseFacts, RndInstitutionFacts, load_policy

AS_OF = date(2024, 6, 30)

# SME: a tech SME by score: tech staff 20% -> 12, R&D/revenue 4% -> 30, four Class II IP -> 24; total 66.
# HTE: meets every HTE hard condition; its score range (no expert columns) is 31-80, so undetermined.
SME = EnterpriseFacts(
    credit_code="91320505000000001X",
    founded_on=date(2015, 6, 1),
    employees=100,
    tech_staff=20,
    revenue_y3=30_000_000,
    total_cost=25_000_000,
    total_assets=40_000_000,
    rnd_expense_y3=1_200_000,
    ip_class1=0,
    ip_class2=4,
    restricted_industry=False,
    major_incident=False,
    bad_credit=False,
)

HTE = EnterpriseFacts(
    credit_code="91320505000000002X",
    founded_on=date(2015, 6, 1),
    tech_field="101",
    employees=100,
    tech_staff=20,
    revenue_y1=20_000_000,
    revenue_y2=25_000_000,
    revenue_y3=30_000_000,
    total_income=31_000_000,
    hitech_revenue=25_000_000,
    total_cost=25_000_000,
    total_assets=40_000_000,
    net_assets_y1=10_000_000,
    net_assets_y2=12_000_000,
    net_assets_y3=14_400_000,
    rnd_expense_y1=1_200_000,
    rnd_expense_y2=1_500_000,
    rnd_expense_y3=1_800_000,
    rnd_expense_domestic_y1=1_200_000,
    rnd_expense_domestic_y2=1_500_000,
    rnd_expense_domestic_y3=1_800_000,
    ip_class1=1,
    ip_class2=3,
    ip_self_developed=True,
    achievement_conversions=9,
    standards_led=0,
    major_incident=False,
    bad_credit=False,
    restricted_industry=False,
)

RND = RndInstitutionFacts(
    institution_id="LAB-1",
    credit_code="91320505000000003X",
    rnd_spend=1_200_000,
    revenue=40_000_000,
    rnd_staff=12,
    employees=100,
    invention_patents=1,
    other_ip=3,
    key_breakthroughs=1,
)


def sme(**changes) -> EnterpriseFacts:
    return replace(SME, **changes)


def hte(**changes) -> EnterpriseFacts:
    return replace(HTE, **changes)


def policy(name: str, as_of: date = AS_OF, overrides: dict | None = None):
    return load_policy(name, as_of, overrides)
