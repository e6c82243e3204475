"""The tech-SME self-evaluation: the registry's facts overlaid with what the firm declares, evaluated by the
engine's `tech_sme` policy, frozen into a snapshot at submission.

The firm declares the figures of the latest accounting year (`_y3`, the year before the evaluation date) and
the three declarations the policy requires; everything else comes from the registry as merged across sources.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gaoqi.policy import ENGINE_VERSION, FIELDS_BY_NAME, EnterpriseFacts, Evaluation, evaluate, load_policy
from gaoqi.programmes.tech_sme import params
from gaoqi.registry.selectors import facts_for_policy
from gaoqi.workflow.models import Application

POLICY = "tech_sme"

# registry column -> (engine fact, label, kind)
DECLARED_FIELDS = {
    "employees": ("employees", _("职工总数（人）"), "count"),
    "tech_staff": ("tech_staff", _("科技人员数（人）"), "count"),
    "revenue": ("revenue_y3", _("销售收入（元）"), "money"),
    "total_cost": ("total_cost", _("成本费用支出总额（元）"), "money"),
    "total_assets": ("total_assets", _("资产总额（元）"), "money"),
    "rnd_expense": ("rnd_expense_y3", _("研究开发费用总额（元）"), "money"),
    "ip_class1": ("ip_class1", _("Ⅰ类知识产权数"), "count"),
    "ip_class2": ("ip_class2", _("Ⅱ类知识产权数"), "count"),
    "restricted_industry": ("restricted_industry", _("属于禁止、限制、淘汰类产业"), "bool"),
    "major_incident": ("major_incident", _("近两年有重大安全质量事故或严重环境违法"), "bool"),
    "bad_credit": ("bad_credit", _("列入经营异常名录或严重失信名单"), "bool"),
}

FLAG_LABELS = {
    "few_employees": _("职工总数不超过 5 人"),
    "no_ip": _("无知识产权"),
    "low_rnd": _("研发费用低于 10 万元"),
    "serious_discredit": _("存在严重失信记录"),
    "first_application": _("首次申请"),
}


def declared_year(as_of: date) -> int:
    return as_of.year - 1


def registry_facts(*, actor, enterprise, as_of: date) -> EnterpriseFacts:
    return facts_for_policy(actor=actor, enterprise=enterprise, as_of=as_of)  # scope-checked


def prefill(facts: EnterpriseFacts) -> dict:
    """The declaration's starting values: the registry's merged figures."""
    return {column: getattr(facts, fact) for column, (fact, _label, _kind) in DECLARED_FIELDS.items()}


def overlay(facts: EnterpriseFacts, declared: dict) -> EnterpriseFacts:
    changes = {
        DECLARED_FIELDS[column][0]: value
        for column, value in (declared or {}).items()
        if column in DECLARED_FIELDS and value is not None
    }
    return dataclasses.replace(facts, **changes)


def effective_facts(*, actor, application: Application, as_of: date) -> EnterpriseFacts:
    """The registry's facts with the firm's declared figures, when they are of the year the evaluation reads
    (a declaration of an earlier year, e.g. last year's before an annual update, is not applied)."""
    facts = registry_facts(actor=actor, enterprise=application.enterprise, as_of=as_of)
    if application.declared.get("year", declared_year(as_of)) != declared_year(as_of):
        return facts
    return overlay(facts, application.declared.get("values", {}))


def evaluate_facts(facts: EnterpriseFacts, as_of: date) -> Evaluation:
    return evaluate(facts, load_policy(POLICY, as_of), as_of, on_error="report")


def facts_revision(facts: EnterpriseFacts) -> str:
    """A digest of exactly the facts evaluated: two snapshots with one revision judged the same figures."""
    payload = json.dumps(dataclasses.asdict(facts), sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def onsite_flags(facts: EnterpriseFacts, *, first_application: bool, as_of: date) -> list[str]:
    """The on-site check triggers (现场核查) that apply, as codes (FLAG_LABELS)."""
    try:
        rule = params.value("onsite_check", as_of)
    except LookupError:
        return []
    flags = []
    if facts.employees is not None and facts.employees <= rule["employees_max"]:
        flags.append("few_employees")
    if rule.get("no_ip") and (facts.ip_class1 or 0) + (facts.ip_class2 or 0) == 0:
        flags.append("no_ip")
    if facts.rnd_expense_y3 is not None and facts.rnd_expense_y3 < rule["rnd_expense_min"]:
        flags.append("low_rnd")
    if rule.get("serious_discredit") and facts.bad_credit:
        flags.append("serious_discredit")
    if rule.get("first_application") and first_application:
        flags.append("first_application")
    return flags


def is_first_application(application: Application) -> bool:
    """No earlier registration of the firm (an application that reached registration, or a registry record)."""
    earlier = Application.objects.filter(
        enterprise_id=application.enterprise_id, programme=POLICY, reference_no__gt=""
    ).exclude(pk=application.pk)
    return not earlier.exists() and not application.enterprise.certificates.filter(kind="tech_sme").exists()


def error_texts(ev: Evaluation) -> list[str]:
    """The evaluation's data errors, each with the fact's label (e.g. "职工总数：…必填")."""
    texts = []
    for e in ev.errors:
        spec = FIELDS_BY_NAME.get(e.field)
        texts.append(f"{spec.label_zh}：{e.reason_zh}" if spec else e.reason_zh)
    return texts


def snapshot_of(ev: Evaluation, facts: EnterpriseFacts, *, declared: dict, flags: list[str]) -> dict:
    return {
        "policy": ev.policy,
        "policy_version": ev.policy_version,
        "as_of": ev.as_of.isoformat(),
        "outcome": ev.outcome,
        "eligible": ev.eligible,
        "score": ev.score,
        "engine_version": ev.engine_version or ENGINE_VERSION,
        "param_hash": ev.param_hash,
        "facts_revision": facts_revision(facts),
        "declared": dict(declared),
        "flags": flags,
        "failed": [c.label_zh for c in ev.failed_conditions],
        "gaps": [g.message_zh for g in ev.gaps],
        "errors": error_texts(ev),
        "frozen_at": timezone.now().isoformat(),
    }


def freeze(application: Application, ctx: dict) -> dict:
    """The workflow core's `freeze` hook: evaluate now, as the submitting firm sees its facts, and keep it."""
    as_of = timezone.localdate()
    facts = effective_facts(actor=ctx["actor"], application=application, as_of=as_of)
    ev = evaluate_facts(facts, as_of)
    flags = onsite_flags(facts, first_application=is_first_application(application), as_of=as_of)
    application.flags = flags
    Application.objects.filter(pk=application.pk).update(flags=flags)
    return snapshot_of(ev, facts, declared=application.declared.get("values", {}), flags=flags)
