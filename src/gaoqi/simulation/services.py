"""Writes of policy simulation: save a reform, run it over the register (a background job), each audited.

A reform is the engine's what-if (`gaoqi.policy.whatif.simulate`): the baseline policy in force on the reform's
date with some parameters overridden, validated exactly as a parameter file (`Policy.with_overrides`). Nothing
here writes a parameter file: a change becomes law only as a new dated version of the policy's YAML.
"""

from __future__ import annotations

from datetime import date

import yaml
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoqi.accounts.scope import can_simulate
from gaoqi.audit.models import AuditAction
from gaoqi.audit.services import audit_record
from gaoqi.errors import NotFound, ValidationFailed
from gaoqi.ledger.facts import facts_table
from gaoqi.policy import ENTERPRISE_POLICIES, load_policy
from gaoqi.policy.core.errors import PolicyNotFound, PolicyOverrideError
from gaoqi.policy.core.ptypes import TYPES
from gaoqi.policy.whatif.simulate import Override, simulate
from gaoqi.policy.whatif.simulate import Reform as WhatIf
from gaoqi.regions.models import Region
from gaoqi.simulation.models import Change, Reform, Run

# Parameters a reform may change: every parameter that decides an outcome. Not only those marked
# `configurable` (those are the platform's own conventions: growth rules, gap cost model); a reform is about
# the legal thresholds, which are never configurable in production. Left out: the gap-advice cost model
# (`gap.*`), which changes no outcome.
HIDDEN_PREFIXES = ("gap.",)


def editable(name: str) -> bool:
    return not name.startswith(HIDDEN_PREFIXES)


def baseline_policy(policy: str, as_of: date):
    if policy not in ENTERPRISE_POLICIES:
        raise ValidationFailed(
            _("不支持的政策"), [{"field": "policy", "reason": _("请选择高企、科技型中小企业或培育库政策")}]
        )
    try:
        return load_policy(policy, as_of)
    except PolicyNotFound as exc:
        raise ValidationFailed(
            _("该日期没有有效的政策参数"), [{"field": "as_of", "reason": str(exc)}]
        ) from exc


def notation(param) -> str:
    """A parameter's value as the officer edits it: the parameter files' YAML notation (percent in points)."""
    dumped = TYPES[param.type].dump(param.value)
    if isinstance(dumped, list | dict):
        return yaml.safe_dump(
            dumped, allow_unicode=True, default_flow_style=True, sort_keys=False, width=10**6
        ).strip()
    return str(dumped)


def parse_overrides(policy, values: dict[str, str]) -> dict:
    """The changed parameters among `values` ({name: text in YAML notation}), in the files' notation.
    ValidationFailed naming the field for an unknown name, a wrong value or a broken cross-parameter rule."""
    errors, out = [], {}
    for name, text in values.items():
        if name not in policy.params or not editable(name):
            errors.append({"field": name, "reason": _("没有该参数")})
            continue
        text = (text or "").strip()
        if not text:
            continue
        try:
            raw = yaml.safe_load(text)
            param = policy.params[name]
            value = TYPES[param.type].parse(raw)
        except (yaml.YAMLError, ValueError, TypeError) as exc:
            errors.append({"field": name, "reason": _("参数值格式有误：%(e)s") % {"e": exc}})
            continue
        if value != param.value:
            out[name] = TYPES[param.type].dump(value)
    if not errors and out:
        try:
            policy.with_overrides(out)
        except PolicyOverrideError as exc:
            errors.append({"field": "", "reason": str(exc)})
    if errors:
        raise ValidationFailed(_("参数修改有误"), errors)
    return out


def reform_save(
    *,
    actor,
    name: str,
    policy: str,
    as_of: date,
    values: dict[str, str],
    note: str = "",
    reform: Reform | None = None,
) -> Reform:
    """Create (or update) a named reform; only parameters that differ from the baseline are stored."""
    can_simulate(actor).require()
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("请填写方案名称"), [{"field": "name", "reason": _("必填")}])
    base = baseline_policy(policy, as_of)
    overrides = parse_overrides(base, values)
    if not overrides:
        raise ValidationFailed(_("方案没有修改任何参数"), [{"field": "", "reason": _("请至少修改一个参数")}])
    clash = Reform.objects.filter(name=name).exclude(pk=getattr(reform, "pk", None))
    if clash.exists():
        raise ValidationFailed(_("方案名称已存在"), [{"field": "name", "reason": _("请换一个名称")}])
    with transaction.atomic():
        old = None
        if reform is None:
            reform = Reform(created_by=actor)
        else:
            old = {
                "name": reform.name,
                "policy": reform.policy,
                "as_of": reform.as_of,
                "overrides": reform.overrides,
            }
        reform.name, reform.policy, reform.as_of = name, policy, as_of
        reform.overrides, reform.note = overrides, (note or "").strip()[:500]
        reform.save()
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE if old else AuditAction.CREATE,
            target=reform,
            old=old,
            new={"name": name, "policy": policy, "as_of": as_of, "overrides": overrides},
            reason=_("政策模拟方案（不改变现行政策参数）"),
        )
    return reform


def run_start(*, actor, reform: Reform) -> Run:
    """Freeze the reform as a run and queue it as a background job."""
    from gaoqi.jobs.services import start_job

    can_simulate(actor).require()
    with transaction.atomic():
        run = Run.objects.create(
            reform=reform,
            policy=reform.policy,
            as_of=reform.as_of,
            overrides=reform.overrides,
            started_by=actor,
            started_at=timezone.now(),
        )
        run.job = start_job(
            actor=actor,
            kind="simulation.run",
            func_path="gaoqi.simulation.services.run_simulation",
            kwargs={"run_id": run.pk},
            restartable=True,
        )
        run.save(update_fields=["job"])
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            target=run,
            new={"reform": reform.name, "policy": run.policy, "as_of": run.as_of, "overrides": run.overrides},
            reason=_("运行政策模拟"),
        )
    return run


def _counts(frame, key: str) -> dict[str, dict]:
    import polars as pl

    grouped = (
        frame.group_by(key)
        .agg(
            pl.len().alias("firms"),
            (pl.col("baseline") == "pass").sum().alias("baseline_pass"),
            (pl.col("reform") == "pass").sum().alias("reform_pass"),
            ((pl.col("reform") == "pass") & (pl.col("baseline") != "pass")).sum().alias("newly_passing"),
            ((pl.col("baseline") == "pass") & (pl.col("reform") != "pass")).sum().alias("no_longer_passing"),
        )
        .with_columns(pl.exclude(key).cast(pl.Int64))
        .sort(key)
    )
    return {row[key]: {k: v for k, v in row.items() if k != key} for row in grouped.iter_rows(named=True)}


def run_simulation(*, run_id: int, progress=None) -> dict:
    """The job: the register's facts as of the run's date, baseline vs reform through the bulk engine."""
    import polars as pl

    run = Run.objects.select_related("reform").filter(pk=run_id).first()
    if run is None:
        raise NotFound(_("模拟运行不存在"))
    if progress:
        progress(0, 3, "读取企业数据")
    facts = facts_table(run.as_of)
    base = baseline_policy(run.policy, run.as_of)
    if progress:
        progress(1, 3, f"批量评价 {facts.height} 家企业（基准与方案）")
    whatif = WhatIf([Override(k, v) for k, v in run.overrides.items()], source=run.reform.name)
    result = simulate(facts, base, whatif, run.as_of)
    if progress:
        progress(2, 3, "保存结果")
    firms = result.firms.with_columns(
        pl.col("region_code").fill_null("").alias("county"),
        pl.when(pl.col("region_code").str.len_chars() == 6)
        .then(pl.col("region_code").str.slice(0, 4) + "00")
        .otherwise(pl.lit(""))
        .alias("city"),
    )
    by_city, by_county = _counts(firms, "city"), _counts(firms, "county")
    names = dict(Region.objects.filter(code__in=list(by_city) + list(by_county)).values_list("code", "name"))
    rp, r0, r1 = result.reward_param, result.reward_baseline, result.reward_reform
    for code, row in [*by_city.items(), *by_county.items()]:
        row["name"] = names.get(code, code or "未知")
        row["net_change"] = row["reform_pass"] - row["baseline_pass"]
        if rp:
            row["reward_change"] = row["reform_pass"] * r1 - row["baseline_pass"] * r0
    ids = dict(facts.select("credit_code", "enterprise_id").iter_rows())
    changed = result.changed
    rows = [
        Change(
            run=run,
            enterprise_id=ids[r["credit_code"]],
            county=r.get("region_code") or "",
            city=(r.get("region_code") or "")[:4] + "00" if r.get("region_code") else "",
            baseline=r["baseline"] or "",
            reform=r["reform"] or "",
            criteria=(r.get("changed_criteria") or "")[:1000],
        )
        for r in changed.iter_rows(named=True)
    ]
    baseline_pass = sum(n for (b, _a), n in result.transitions.items() if b == "pass")
    reform_pass = sum(n for (_b, a), n in result.transitions.items() if a == "pass")
    summary = {
        "n_firms": result.n_firms,
        "n_unevaluable": result.n_unevaluable,
        "baseline_pass": baseline_pass,
        "reform_pass": reform_pass,
        "newly_passing": result.newly_passing,
        "no_longer_passing": result.no_longer_passing,
        "changed": len(rows),
        "transitions": sorted([[b, a, n] for (b, a), n in result.transitions.items()], key=str),
        "reward_param": rp,
        "reward_baseline": r0,
        "reward_reform": r1,
        "cost": result.cost,
        "by_city": by_city,
        "by_county": by_county,
        "params": [
            {
                "name": k,
                "baseline": notation(base.params[k]),
                "reform": notation(result.reform.params[k]),
            }
            for k in result.overrides
        ],
        "not_in_force": [o.name for o in result.not_in_force],
        "text": result.summary_text(),
    }
    with transaction.atomic():
        Change.objects.filter(run=run).delete()  # a restarted job starts over
        Change.objects.bulk_create(rows, batch_size=2000)
        Run.objects.filter(pk=run.pk).update(
            summary=summary,
            finished_at=timezone.now(),
            baseline_hash=base.param_hash,
            reform_hash=result.reform.param_hash,
        )
        audit_record(  # the job's result (the run was audited when it was started, by its officer)
            actor=None,
            action=AuditAction.UPDATE,
            target=run,
            new={"baseline_pass": baseline_pass, "reform_pass": reform_pass, "changed": len(rows)},
            reason=_("政策模拟完成"),
        )
    if progress:
        progress(3, 3, "完成")
    return {
        "summary": f"政策模拟「{run.reform.name}」：符合 {baseline_pass} → {reform_pass} 家，结论变化 {len(rows)} 家",
        "url": reverse("simulation:run", args=[run.pk]),
    }
