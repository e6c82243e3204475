"""The alert rules as data: one row per rule. A scan (`services.scan`) runs each row's check over the stored
data with the row's parameters. Add a rule: a row here and, if its shape is new, a check in `checks.py`.

`act_level` says who should act: the officers of the subject's county, city or province.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from gaoqi.accounts.models import Role
from gaoqi.alerts.models import Severity


@dataclass(frozen=True)
class Rule:
    code: str
    label: object  # lazy Chinese label
    severity: str
    act_role: str  # the officers who should act, at the subject's county / city / province
    check: str | None  # a function of gaoqi.alerts.checks; None: not available yet (see `todo`)
    params: dict = field(default_factory=dict)
    todo: str = ""


RULES: tuple[Rule, ...] = (
    Rule(
        "hte_cert_expiring_6m",
        _("高企证书6个月内到期"),
        Severity.NOTICE,
        Role.COUNTY_OFFICER,
        "certificate_expiring",
        {"after_months": 3, "within_months": 6},  # expires in (today + 3 months, today + 6 months]
    ),
    Rule(
        "hte_cert_expiring_3m",
        _("高企证书3个月内到期"),
        Severity.WARNING,
        Role.COUNTY_OFFICER,
        "certificate_expiring",
        {"after_months": 0, "within_months": 3},  # expires in [today, today + 3 months]
    ),
    Rule(
        "hte_at_risk",
        _("有效高企最新评价不满足硬性条件"),
        Severity.WARNING,
        Role.COUNTY_OFFICER,
        "hte_at_risk",
        {"min_failed": 1},
    ),
    Rule(
        "tech_sme_unrenewed",
        _("科技型中小企业入库登记逾期未更新"),
        Severity.NOTICE,
        Role.COUNTY_OFFICER,
        "tech_sme_unrenewed",
        {"lapsed_within_months": 12},  # lapsed in [today - 12 months, today)
    ),
    Rule(
        "pool_stalled",
        _("培育库企业长期无进展"),
        Severity.NOTICE,
        Role.COUNTY_OFFICER,
        "pool_stalled",
        {"stalled_months": 6},  # last progress on or before today − 6 months
    ),
    Rule(
        "hte_annual_report_missing",
        _("有效高企未报送年度报告"),
        Severity.NOTICE,
        Role.COUNTY_OFFICER,
        "annual_report_missing",
        {"due_month": 5, "due_day": 31},  # year Y's report due by 31 May of Y + 1
    ),
    Rule(
        "city_behind_pace",
        _("设区市新认定高企进度落后于时序进度"),
        Severity.WARNING,
        Role.CITY_OFFICER,
        "behind_pace",
        {"indicator": "new_hte", "tolerance_points": 10},  # completion < pace − 10 points
    ),
)

BY_CODE = {r.code: r for r in RULES}


def rule_label(code: str) -> str:
    rule = BY_CODE.get(code)
    return str(rule.label) if rule else code
