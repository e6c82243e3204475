"""The HTE application's facts and evaluation: the registry's facts overlaid with what the application declares
(the three fiscal years' figures, the special audit report, staff, the IP items used), evaluated by the
engine's `hte` policy; the frozen snapshot keeps the score band of every item the experts score.

What the application declares lives in `Application.declared` (JSON), not in one-to-one models: the R&D
projects (RD01…), the high-tech products (PS01…) and the IP items used are parts of one document the firm
prepares, edits as a whole and submits once; they are frozen with the snapshot, read only with their
application (never queried across applications), and versioned by the application's own version. Amounts are
integer yuan, as the engine reads them (never floats).
"""

from __future__ import annotations

import dataclasses
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gaoqi.policy import Evaluation, evaluate, load_policy
from gaoqi.programmes.tech_sme import evaluation as sme
from gaoqi.registry.models import IntellectualProperty, IpClass
from gaoqi.workflow.models import Application

POLICY = "hte"
HARD = (
    "hte.registered_one_year",
    "hte.core_ip",
    "hte.tech_field",
    "hte.tech_staff_ratio",
    "hte.rnd_ratio",
    "hte.rnd_domestic_ratio",
    "hte.hitech_income_ratio",
    "hte.no_major_incident",
)
# The items each kind of expert scores (195号 附件5), in the engine's criterion ids.
TECHNICAL_ITEMS = (
    "hte.ip_advancement",
    "hte.ip_core_support",
    "hte.ip_quantity",
    "hte.ip_acquisition",
    "hte.ip_standards_bonus",
    "hte.conversion_score",
    "hte.rnd_management_score",
)
FINANCIAL_ITEMS = ("hte.growth_net_assets_score", "hte.growth_revenue_score")
IP_ITEMS = TECHNICAL_ITEMS[:5]

# The figures the application declares (facts field -> label). Amounts in yuan.
YEARLY = {
    "revenue": _("销售收入（元）"),
    "net_assets": _("净资产（年末，元）"),
    "rnd_expense": _("研究开发费用总额（元，专项审计）"),
    "rnd_expense_domestic": _("其中境内研发费用（元，专项审计）"),
}
SINGLE = {
    "employees": (_("职工总数（人）"), "count"),
    "tech_staff": (_("科技人员数（人）"), "count"),
    "total_income": (_("近一年总收入（元）"), "money"),
    "hitech_revenue": (_("近一年高新技术产品（服务）收入（元，专项审计）"), "money"),
    "achievement_conversions": (_("近三年科技成果转化数"), "count"),
    "standards_led": (_("参与编制标准数"), "count"),
    "major_incident": (_("近一年有重大安全、质量事故或严重环境违法行为"), "bool"),
}
AUDIT = {
    "agency_name": _("专项审计机构名称"),
    "agency_credit_code": _("专项审计机构统一社会信用代码"),
    "report_no": _("专项审计报告编号"),
}


def declared_years(as_of: date) -> list[int]:
    """The three fiscal years before the application's year (as the registry's facts read them)."""
    return [as_of.year - 3, as_of.year - 2, as_of.year - 1]


def registry_facts(*, actor, enterprise, as_of: date):
    return sme.registry_facts(actor=actor, enterprise=enterprise, as_of=as_of)  # scope-checked


def prefill(facts, enterprise) -> dict:
    """A new application's starting document: the registry's figures, no projects or products yet."""
    figures = {f"{stem}_y{k}": getattr(facts, f"{stem}_y{k}") for stem in YEARLY for k in (1, 2, 3)}
    figures.update({name: getattr(facts, name) for name in SINGLE})
    return {
        "tech_field": facts.tech_field or "",
        "figures": figures,
        "audit": {key: "" for key in AUDIT},
        "projects": [],
        "products": [],
        "ip_items": [],
    }


def ip_rows(enterprise, ids) -> list[IntellectualProperty]:
    return list(
        IntellectualProperty.objects.filter(enterprise=enterprise, pk__in=list(ids or [])).order_by("pk")
    )


def document_errors(application: Application, as_of: date) -> list[str]:
    """What keeps the document from being submitted beyond the engine's own data errors: the R&D projects and
    the high-tech products must add up to the special audit report's figures, class II IP items already used
    in a certification cannot be used again, the audit report must be named."""
    d = application.declared or {}
    figures, errors = d.get("figures", {}), []
    years = declared_years(as_of)
    projects, products = d.get("projects", []), d.get("products", [])
    if not projects:
        errors.append(str(_("请填写研究开发项目（RD01…）")))
    if not products:
        errors.append(str(_("请填写高新技术产品（服务）（PS01…）")))
    for k, year in enumerate(years, start=1):
        total = sum(p.get("expense") or 0 for p in projects if p.get("year") == year)
        audited = figures.get(f"rnd_expense_y{k}")
        if projects and audited is not None and total != audited:
            errors.append(
                str(_("%(y)s 年研发项目费用合计 %(t)s 元与专项审计报告的研发费用 %(a)s 元不一致"))
                % {"y": year, "t": total, "a": audited}
            )
    revenue = sum(p.get("revenue") or 0 for p in products)
    if products and figures.get("hitech_revenue") is not None and revenue != figures["hitech_revenue"]:
        errors.append(
            str(_("高新技术产品（服务）收入合计 %(t)s 元与专项审计报告的 %(a)s 元不一致"))
            % {"t": revenue, "a": figures["hitech_revenue"]}
        )
    if not all((d.get("audit") or {}).get(key) for key in AUDIT):
        errors.append(str(_("请填写专项审计报告（机构、信用代码、报告编号）")))
    for ip in ip_rows(application.enterprise, d.get("ip_items")):
        if ip.ip_class == IpClass.CLASS2 and ip.used_in_hte_application:
            errors.append(str(_("Ⅱ类知识产权 %(n)s 已用于以往的高企认定，不能再次使用")) % {"n": ip.number})
    return errors


def effective_facts(*, actor, application: Application, as_of: date):
    """The registry's facts with the application's figures, field and IP items (class I and unused class II
    items selected; `ip_class2_used` 0 because a used class II item cannot be selected)."""
    facts = registry_facts(actor=actor, enterprise=application.enterprise, as_of=as_of)
    d = application.declared or {}
    changes = {k: v for k, v in (d.get("figures") or {}).items() if v is not None and hasattr(facts, k)}
    if d.get("tech_field"):
        changes["tech_field"] = d["tech_field"]
    items = ip_rows(application.enterprise, d.get("ip_items"))
    usable = [i for i in items if not (i.ip_class == IpClass.CLASS2 and i.used_in_hte_application)]
    changes["ip_class1"] = sum(1 for i in usable if i.ip_class == IpClass.CLASS1)
    changes["ip_class2"] = sum(1 for i in usable if i.ip_class == IpClass.CLASS2)
    changes["ip_class2_used"] = 0
    if usable:
        changes["ip_self_developed"] = any(i.self_developed for i in usable)
    return dataclasses.replace(facts, **changes)


def evaluate_facts(facts, as_of: date) -> Evaluation:
    return evaluate(facts, load_policy(POLICY, as_of), as_of, on_error="report")


def bands(ev: Evaluation) -> dict:
    """Per expert-scored item: the band the engine states for this firm, [min, max] points, and its label."""
    out = {}
    for cid in (*TECHNICAL_ITEMS, *FINANCIAL_ITEMS):
        try:
            c = ev.criterion(cid)
        except KeyError:
            continue
        out[cid] = {
            "label": c.label_zh,
            "min": c.points_min or 0,
            "max": c.points_max or 0,
            "band": c.band or "",
        }
    return out


def view(ev: Evaluation) -> dict:
    """What the pages and the API show of an evaluation (live beside the form)."""
    hard = {}
    for cid in HARD:
        try:
            c = ev.criterion(cid)
        except KeyError:
            continue
        hard[cid] = {"label": c.label_zh, "passed": c.passed}
    return {
        "policy_version": ev.policy_version,
        "outcome": ev.outcome,
        "eligible": ev.eligible,
        "score": ev.score,
        "score_min": ev.score_min,
        "score_max": ev.score_max,
        "hard": hard,
        "hard_ok": bool(hard) and all(h["passed"] for h in hard.values()),
        "failed": [c.label_zh for c in ev.failed_conditions if c.id != "hte.score"],
        "gaps": [g.message_zh for g in ev.gaps],
        "errors": sme.error_texts(ev),
        "bands": bands(ev),
    }


def live(*, actor, application: Application, as_of: date | None = None) -> dict:
    as_of = as_of or timezone.localdate()
    facts = effective_facts(actor=actor, application=application, as_of=as_of)
    return {
        "live": True,
        **view(evaluate_facts(facts, as_of)),
        "document_errors": document_errors(application, as_of),
    }


def freeze(application: Application, ctx: dict) -> dict:
    """The workflow core's `freeze` hook: the evaluation as of submission, with the facts revision, the engine
    and parameter versions, the whole declared document, and the bands the experts will score within."""
    as_of = timezone.localdate()
    facts = effective_facts(actor=ctx["actor"], application=application, as_of=as_of)
    ev = evaluate_facts(facts, as_of)
    snap = sme.snapshot_of(ev, facts, declared=application.declared, flags=[])
    snap.update(view(ev))
    return snap
