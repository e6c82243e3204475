"""Demo R&D institutions (synthetic): institutions on a calibrated share of firms, the 百企示范/千企试点/万企行动
tags and last year's performance evaluation of the provincial institutions (through the engine).

Deterministic from the data set's seed (read from the synthetic sources' note) and the firms in the database;
idempotent: nothing is written when synthetic institutions exist. Bulk inserts plus one summary audit event,
like the loader: per-row services would cost minutes at 300,000 firms.

Calibration (illustrative, stated here so it can be checked): 苏政办发〔2019〕57号 aims at 100% of above-scale
HTEs with an R&D institution by 2020; Jiangsu's statistical bulletins report large and medium industrial
firms' institution rate around 90%. The demo puts an institution on ~88% (south) / ~84% (centre) / ~78%
(north) of above-scale HTEs, on ~30% of other above-scale firms and on ~4% of the remaining HTEs, so the
coverage page shows a realistic, uneven gap. Firms whose science-and-tech report says 省部级以上研发机构 get a
provincial (8% national) institution; ~3% of institutions are revoked or lapsed.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
from django.db import transaction
from django.db.models import Q

from gaoqi.audit.models import AuditAction
from gaoqi.audit.services import audit_record
from gaoqi.demo import calibration as cal
from gaoqi.policy import RndInstitutionFacts, evaluate, load_policy
from gaoqi.registry.models import AnnualReport, DataSource, Enterprise
from gaoqi.rnd.models import (
    ActionTier,
    InstitutionKind,
    InstitutionLevel,
    InstitutionPerformance,
    InstitutionStatus,
    RndActionTag,
    RndInstitution,
)

SEED_RE = re.compile(r"seed=(\d+)")
COVERAGE_ABOVE_SCALE_HTE = {"south": 0.88, "central": 0.84, "north": 0.78}
COVERAGE_OTHER_ABOVE_SCALE = 0.30
COVERAGE_OTHER_HTE = 0.04
KIND_SHARES = {
    InstitutionKind.ENTERPRISE_TECH_CENTER: 0.38,
    InstitutionKind.ENGINEERING_CENTER: 0.36,
    InstitutionKind.KEY_LAB: 0.07,
    InstitutionKind.INNOVATION_CENTER: 0.07,
    InstitutionKind.NEW_RND_INSTITUTION: 0.06,
    InstitutionKind.POSTDOC_STATION: 0.06,
}
ENDED_SHARE = 0.03
SECOND_INSTITUTION_SHARE = 0.12
TAG_SHARES = {  # of above-scale HTEs
    ActionTier.HUNDRED_DEMO: 0.012,
    ActionTier.THOUSAND_PILOT: 0.07,
    ActionTier.TEN_THOUSAND_ACTION: 0.30,
}
SOURCE = "合成演示数据（研发机构名单）"
LEGAL_FORM = re.compile(r"(股份有限公司|有限责任公司|有限公司|集团)$")


def demo_seed() -> int | None:
    for note in DataSource.objects.filter(synthetic=True).values_list("note", flat=True):
        if m := SEED_RE.search(note):
            return int(m.group(1))
    return None


def _region_band(city: str) -> str:
    if city in cal.SOUTH:
        return "south"
    if city in cal.CENTRAL:
        return "central"
    return "north"


def _core(name: str) -> str:
    return LEGAL_FORM.sub("", name)


def _name(firm_name: str, kind: str, level: str, city_name: str) -> str:
    label = str(InstitutionKind(kind).label)
    core = _core(firm_name)
    if kind in (InstitutionKind.POSTDOC_STATION,):
        return f"{core}{label}"
    prefix = {"national": "国家", "provincial": "江苏省", "city": cal.short_name(city_name) + "市"}[level]
    label = label.removeprefix("企业") if level != "city" else label
    return f"{prefix}{core}{label}"[:120]


def ensure_demo_rnd(*, as_of: date) -> dict:
    """Write the demo's institutions, tags and evaluations once. Returns the counts written."""
    if RndInstitution.objects.filter(synthetic=True).exists():
        return {}
    seed = demo_seed()
    if seed is None:
        return {}
    rng = np.random.default_rng([seed, 1957])
    rows = list(
        Enterprise.objects.filter(Q(above_scale=True) | Q(hte_valid_until__gte=as_of))
        .order_by("id")
        .values_list("id", "name", "city_id", "city__name", "above_scale", "hte_valid_until", "founded_on")
    )
    if not rows:
        return {}
    provincial = set(
        AnnualReport.objects.filter(
            source__synthetic=True, provincial_rnd_institution=True, enterprise_id__in=[r[0] for r in rows]
        ).values_list("enterprise_id", flat=True)
    )
    n = len(rows)
    ids = np.array([r[0] for r in rows])
    above = np.array([r[4] for r in rows])
    hte = np.array([bool(r[5] and r[5] >= as_of) for r in rows])
    band = [_region_band(r[2]) for r in rows]
    p = np.where(
        above & hte,
        [COVERAGE_ABOVE_SCALE_HTE[b] for b in band],
        np.where(above, COVERAGE_OTHER_ABOVE_SCALE, COVERAGE_OTHER_HTE),
    )
    draw = rng.random(n)
    has = (draw < p) | np.isin(ids, list(provincial))
    kinds = list(KIND_SHARES)
    kind_p = np.array(list(KIND_SHARES.values()))
    kind_idx = rng.choice(len(kinds), n, p=kind_p / kind_p.sum())
    level_draw = rng.random(n)
    age_days = rng.gamma(2.0, 900.0, n).astype(int) + 30
    ended = rng.random(n) < ENDED_SHARE
    second = rng.random(n) < SECOND_INSTITUTION_SHARE
    second_kind = rng.choice(len(kinds), n, p=kind_p / kind_p.sum())
    institutions = []
    for i in np.flatnonzero(has):
        firm_id, name, city, city_name, _above, _until, founded = rows[i]
        if firm_id in provincial:
            level = InstitutionLevel.NATIONAL if level_draw[i] < 0.08 else InstitutionLevel.PROVINCIAL
        else:
            level = InstitutionLevel.PROVINCIAL if level_draw[i] < 0.18 else InstitutionLevel.CITY
        recognized = max(
            as_of - timedelta(days=int(age_days[i])), founded + timedelta(days=365), date(2005, 1, 1)
        )
        if recognized >= as_of:
            recognized = as_of - timedelta(days=1)
        picks = [kinds[kind_idx[i]]]
        if second[i] and kinds[second_kind[i]] != picks[0]:
            picks.append(kinds[second_kind[i]])
        for j, kind in enumerate(picks):
            level_j = level if j == 0 else InstitutionLevel.CITY
            status, ended_on = InstitutionStatus.VALID, None
            if j == 0 and ended[i] and firm_id not in provincial and (as_of - recognized).days > 400:
                status = InstitutionStatus.REVOKED if level_draw[i] < 0.5 else InstitutionStatus.LAPSED
                ended_on = recognized + timedelta(
                    days=365 + int((as_of - recognized).days * level_draw[i] * 0.5)
                )
                ended_on = min(ended_on, as_of - timedelta(days=1))
            institutions.append(
                RndInstitution(
                    enterprise_id=firm_id,
                    name=_name(name, kind, level_j, city_name),
                    kind=kind,
                    level=level_j,
                    recognized_on=recognized,
                    status=status,
                    ended_on=ended_on,
                    source=SOURCE,
                    synthetic=True,
                )
            )
    with transaction.atomic():
        RndInstitution.objects.bulk_create(institutions, batch_size=2000)
        tags = _tags(rows, above & hte, rng, as_of)
        RndActionTag.objects.bulk_create(tags, batch_size=2000)
        evaluated = _evaluations(as_of, rng)
        first = RndInstitution.objects.filter(synthetic=True).order_by("id").first()
        counts = {"institutions": len(institutions), "tags": len(tags), "evaluations": evaluated}
        if first is not None:
            audit_record(
                actor=None,
                action=AuditAction.IMPORT,
                target=first,
                new=counts | {"synthetic": True, "seed": seed, "as_of": as_of.isoformat()},
                reason="合成演示数据导入：企业研发机构、研发机构建设行动标记、省级研发机构绩效评价",
            )
    return counts


def _tags(rows, above_hte: np.ndarray, rng, as_of: date) -> list[RndActionTag]:
    idx = np.flatnonzero(above_hte)
    order = rng.permutation(idx)
    out, start = [], 0
    for tier, share in TAG_SHARES.items():
        k = int(round(share * len(idx) * rng.uniform(0.9, 1.1)))
        for i in order[start : start + k]:
            out.append(
                RndActionTag(
                    enterprise_id=rows[i][0],
                    tier=tier,
                    year=int(rng.integers(2019, as_of.year + 1)),
                    synthetic=True,
                )
            )
        start += k
    return out


def _evaluations(as_of: date, rng) -> int:
    """Last year's inputs for each valid provincial institution, from its host firm's synthetic reports, graded
    by the engine's `rnd_institution` policy."""
    year = as_of.year - 1
    eval_day = date(year, 12, 31)
    insts = list(
        RndInstitution.objects.filter(
            synthetic=True,
            level=InstitutionLevel.PROVINCIAL,
            status=InstitutionStatus.VALID,
            recognized_on__lte=eval_day,
        )
        .select_related("enterprise")
        .order_by("id")
    )
    if not insts:
        return 0
    firm_ids = [i.enterprise_id for i in insts]
    facts: dict[tuple[int, int], dict] = {}
    for r in AnnualReport.objects.filter(
        enterprise_id__in=firm_ids, year__in=(year - 1, year), source__synthetic=True
    ).values(
        "enterprise_id", "year", "revenue", "rnd_expense", "employees", "tech_staff", "ip_class1", "ip_class2"
    ):
        d = facts.setdefault((r["enterprise_id"], r["year"]), {})
        for k, v in r.items():
            if v is not None and k not in ("enterprise_id", "year"):
                d.setdefault(k, v)
    policy = load_policy("rnd_institution", eval_day)
    grades = {r.label: r.points_min for r in policy.params["grade.bands"].value.rows}
    out = []
    for inst in insts:
        now, before = facts.get((inst.enterprise_id, year), {}), facts.get((inst.enterprise_id, year - 1), {})
        revenue, employees = now.get("revenue"), now.get("employees")
        if not revenue or not employees or now.get("rnd_expense") is None:
            continue
        inputs = {
            "rnd_spend": int(now["rnd_expense"] * rng.uniform(0.45, 0.95)),
            "revenue": int(revenue),
            "rnd_staff": min(int(employees), int((now.get("tech_staff") or 0) * rng.uniform(0.4, 0.9))),
            "employees": int(employees),
            "invention_patents": max(0, int((now.get("ip_class1") or 0) - (before.get("ip_class1") or 0))),
            "other_ip": max(0, int((now.get("ip_class2") or 0) - (before.get("ip_class2") or 0))),
            "key_breakthroughs": int(rng.poisson(0.9)),
        }
        ev = evaluate(
            RndInstitutionFacts(institution_id=str(inst.pk), **inputs), policy, eval_day, with_gaps=False
        )
        data = ev.to_dict()
        total = next(c for c in ev.criteria if c.id == "rnd_institution.total").value
        out.append(
            InstitutionPerformance(
                institution=inst,
                year=year,
                **inputs,
                outcome=data["outcome"],
                grade=data["grade"],
                grade_rank=grades[data["grade"]],
                total=Decimal(str(total)).quantize(Decimal("0.01")),
                criteria=[
                    {"id": c["id"], "points": c.get("points"), "value": c.get("value")}
                    for c in data["criteria"]
                ],
                policy_version=data["policy_version"],
                param_hash=data["param_hash"],
                engine_version=data["engine_version"],
                evaluated_on=eval_day,
                synthetic=True,
            )
        )
    InstitutionPerformance.objects.bulk_create(out, batch_size=2000)
    return len(out)
