"""The checks behind the rules of `rules.py`: each reads the stored data (not scoped: the scan covers the
whole register) and returns the findings that hold on `today`. Pure reads; the scan writes."""

from __future__ import annotations

import calendar
import json
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, F, OuterRef, Subquery

from gaoqi.ledger.models import EvaluationSnapshot
from gaoqi.policy import RULES as POLICY_RULES
from gaoqi.policy import load_policy
from gaoqi.regions.models import Region
from gaoqi.registry.models import Certificate, CertificateEnd, CertificateKind, Enterprise
from gaoqi.targets.models import Target
from gaoqi.targets.selectors import percent, rate_of, year_pace


@dataclass(frozen=True)
class Finding:
    subject_key: str
    city: str
    county: str | None
    reason: str
    enterprise_id: int | None = None
    figures: dict = field(default_factory=dict)


def add_months(day: date, months: int) -> date:
    """The same day `months` later (earlier if negative); the month's last day when it has no such day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def certificate_expiring(today: date, *, after_months: int, within_months: int) -> list[Finding]:
    """HTEs whose latest HTE certificate expires after today + `after_months` (on or after today when 0)
    and on or before today + `within_months`."""
    end = add_months(today, within_months)
    qs = Certificate.objects.filter(
        kind=CertificateKind.HTE,
        expires_on__lte=end,
        issued_on__lte=today,
        enterprise__hte_valid_until=F("expires_on"),  # the firm's latest certificate: a renewed firm is out
    )
    qs = (
        qs.filter(expires_on__gt=add_months(today, after_months))
        if after_months
        else qs.filter(expires_on__gte=today)
    )
    rows = qs.values_list(
        "enterprise_id", "number", "expires_on", "enterprise__city_id", "enterprise__county_id"
    ).order_by("enterprise_id", "-issued_on")
    out, seen = [], set()
    for firm, number, expires, city, county in rows:
        if firm in seen:
            continue
        seen.add(firm)
        days = (expires - today).days
        out.append(
            Finding(
                f"{firm}:{expires.isoformat()}",
                city,
                county,
                f"高企证书（编号 {number}）将于 {expires.isoformat()} 到期，剩余 {days} 天；请督促企业及时申请重新认定",
                firm,
                {"certificate": number, "expires_on": expires, "days_left": days},
            )
        )
    return out


def hte_at_risk(today: date, *, min_failed: int) -> list[Finding]:
    """Firms holding a valid HTE certificate whose latest `hte` evaluation snapshot fails at least `min_failed`
    hard conditions (the ledger's `hte_hard_failed`, counted here from the snapshot itself so that the reason
    names the conditions). Snapshots that could not be evaluated (missing data) are not alerts of this rule."""
    latest = (
        EvaluationSnapshot.objects.filter(
            policy="hte", enterprise_id=OuterRef("enterprise_id"), as_of__lte=today
        )
        .order_by("-as_of")
        .values("as_of")[:1]
    )
    snaps = (
        EvaluationSnapshot.objects.filter(
            policy="hte",
            errors__isnull=True,
            enterprise__hte_valid_until__gte=today,
            as_of=Subquery(latest),
        )
        .values_list(
            "enterprise_id", "as_of", "criteria_json", "enterprise__city_id", "enterprise__county_id"
        )
        .order_by("enterprise_id")
    )
    hard = set(POLICY_RULES["hte"].groups["hard"])
    policies: dict[date, object] = {}
    out = []
    for firm, as_of, blob, city, county in snaps.iterator(chunk_size=2000):
        policy = policies.get(as_of) or policies.setdefault(as_of, load_policy("hte", as_of))
        ids = list(policy.criteria)
        failed = [
            cid
            for cid, (passed, _lo, _hi) in zip(ids, json.loads(blob), strict=True)
            if cid in hard and passed == 0
        ]
        if len(failed) < min_failed:
            continue
        labels = [policy.criteria[c].label_zh for c in failed]
        out.append(
            Finding(
                str(firm),
                city,
                county,
                f"{as_of.isoformat()} 评价：{len(failed)} 项硬性条件不满足（{'、'.join(labels)}）",
                firm,
                {"as_of": as_of, "failed": failed, "failed_count": len(failed)},
            )
        )
    return out


def tech_sme_unrenewed(today: date, *, lapsed_within_months: int) -> list[Finding]:
    """Firms whose tech-SME registration (the latest: `Enterprise.tech_sme_valid_until`) ended before today
    and not earlier than today − `lapsed_within_months`: the annual update was not made. A registration
    revoked (its certificate ended the day after that date, reason revoked) is no missed update: left out."""
    since = add_months(today, -lapsed_within_months)
    rows = list(
        Enterprise.objects.filter(tech_sme_valid_until__lt=today, tech_sme_valid_until__gte=since)
        .values_list("pk", "tech_sme_valid_until", "city_id", "county_id")
        .order_by("pk")
    )
    revoked = set(
        Certificate.objects.filter(
            kind=CertificateKind.TECH_SME,
            end_reason=CertificateEnd.REVOKED,
            ended_on__gt=since,
            ended_on__lte=today,
        ).values_list("enterprise_id", "ended_on")
    )
    rows = [r for r in rows if (r[0], r[1] + timedelta(days=1)) not in revoked]
    return [
        Finding(
            f"{pk}:{until.isoformat()}",
            city,
            county,
            f"科技型中小企业入库登记有效期至 {until.isoformat()}，已逾期 {(today - until).days} 天未办理年度信息更新",
            pk,
            {"valid_until": until, "days_overdue": (today - until).days},
        )
        for pk, until, city, county in rows
    ]


def behind_pace(today: date, *, indicator: str, tolerance_points: int) -> list[Finding]:
    """Cities whose completion of this year's `new_hte` target (HTE certificates issued since 1 January, as
    `gaoqi.targets` counts them) is below the year's elapsed share minus `tolerance_points` percent points."""
    if indicator != "new_hte":
        raise ValueError(f"behind_pace measures new_hte only, not {indicator!r}")
    year = today.year
    pace = year_pace(year, today)
    targets = dict(
        Target.objects.filter(
            year=year, indicator=indicator, is_current=True, region__level="city"
        ).values_list("region_id", "value")
    )
    if not targets:
        return []
    actual = dict(
        Certificate.objects.filter(
            kind=CertificateKind.HTE,
            issued_on__gte=date(year, 1, 1),
            issued_on__lte=today,
            enterprise__city_id__in=list(targets),
        )
        .values("enterprise__city_id")
        .annotate(n=Count("enterprise_id", distinct=True))
        .order_by()
        .values_list("enterprise__city_id", "n")
    )
    names = dict(Region.objects.filter(code__in=list(targets)).values_list("code", "name"))
    out = []
    for code, target in sorted(targets.items()):
        done = actual.get(code, 0)
        completion = percent(rate_of(done, target))
        if completion is None or completion >= pace - tolerance_points:
            continue
        out.append(
            Finding(
                f"{code}:{year}",
                code,
                None,
                f"{names.get(code, code)} {year} 年新认定高企目标 {target} 家，已完成 {done} 家（{completion}%），"
                f"时序进度 {pace}%，落后 {pace - completion} 个百分点",
                None,
                {"year": year, "target": target, "actual": done, "completion": completion, "pace": pace},
            )
        )
    return out


STEP_LABELS = {"admitted": "入库", "service": "服务记录", "hte_application": "高企申报"}


def _day_start(day: date):
    """The first instant of `day` in the project's time zone (Asia/Shanghai), timezone-aware."""
    from datetime import datetime, time

    from django.utils import timezone

    return timezone.make_aware(datetime.combine(day, time.min))


def _local_day(moment) -> date:
    from django.utils import timezone

    return timezone.localdate(moment)


def pool_stalled(today: date, *, stalled_months: int) -> list[Finding]:
    """Cultivation-pool firms without progress for `stalled_months` or more (the last progress on or before
    today − `stalled_months`):

    - an application not yet admitted nor closed (draft, submitted, returned, under review, in notice) that
      has stayed in its phase since then;
    - an admitted member (in its period, not exited) whose last step — the admission, a service record of the
      coaching log, or an HTE application of the firm (when that programme exists) — is that old.
    """
    from django.db.models import Max

    from gaoqi.coaching.models import ServiceRecord
    from gaoqi.programmes.pool.declaration import PROGRAMME
    from gaoqi.workflow.models import Application

    cutoff = add_months(today, -stalled_months)
    final = [p.code for p in PROGRAMME.phases if p.final]
    pool = Application.objects.filter(programme="pool").exclude(phase__in=final)
    out = []
    waiting = (
        pool.exclude(phase="admitted")
        .filter(phase_since__lt=_day_start(cutoff + timedelta(days=1)))
        .values_list("pk", "enterprise_id", "phase", "phase_since", "city_id", "county_id")
        .order_by("pk")
    )
    for pk, firm, phase, since, city, county in waiting:
        day = _local_day(since)
        days = (today - day).days
        out.append(
            Finding(
                f"{pk}:{phase}:{day.isoformat()}",
                city,
                county,
                f"培育库入库申请自 {day.isoformat()} 起停留在“{PROGRAMME.label_of(phase)}”环节已 {days} 天，无进展",
                firm,
                {"application": pk, "phase": phase, "since": day, "days": days},
            )
        )
    members = list(
        pool.filter(
            phase="admitted",
            pool_record__admitted_on__isnull=False,
            pool_record__exited_on__isnull=True,
            pool_record__ends_on__gte=today,
        )
        .values_list("pk", "enterprise_id", "pool_record__admitted_on", "city_id", "county_id")
        .order_by("pk")
    )
    firms = [m[1] for m in members]
    served = dict(
        ServiceRecord.objects.filter(enterprise_id__in=firms, served_on__lte=today)
        .values("enterprise_id")
        .annotate(last=Max("served_on"))
        .values_list("enterprise_id", "last")
        .order_by()
    )
    applied = {
        firm: _local_day(last)
        for firm, last in Application.objects.filter(programme="hte", enterprise_id__in=firms)
        .values("enterprise_id")
        .annotate(last=Max("phase_since"))
        .values_list("enterprise_id", "last")
        .order_by()
    }
    for pk, firm, admitted, city, county in members:
        steps = {"admitted": admitted, "service": served.get(firm), "hte_application": applied.get(firm)}
        kind, last = max(((k, d) for k, d in steps.items() if d), key=lambda kd: kd[1])
        if last > cutoff:
            continue
        days = (today - last).days
        out.append(
            Finding(
                f"{pk}:member",
                city,
                county,
                f"入库培育企业最近一次进展（{STEP_LABELS[kind]}，{last.isoformat()}）距今 {days} 天，"
                f"超过 {stalled_months} 个月无进展；请跟进辅导或推动申报",
                firm,
                {"application": pk, "last_step": kind, "last_on": last, "days": days},
            )
        )
    return out


def report_year_due(today: date, *, due_month: int, due_day: int) -> int:
    """The last closed year whose annual report is due by today: year Y's report is due on `due_month`/
    `due_day` of Y + 1 (the day itself still allowed)."""
    due = date(today.year, due_month, due_day)
    return today.year - 1 if today > due else today.year - 2


def annual_report_missing(today: date, *, due_month: int, due_day: int) -> list[Finding]:
    """HTEs (valid certificate today, issued on or before the end of the report year) with no annual report
    for the last closed year whose report is due (see `report_year_due`), from any source in the registry."""
    from django.db.models import Exists

    from gaoqi.registry.models import AnnualReport, certificate_valid_q

    year = report_year_due(today, due_month=due_month, due_day=due_day)
    valid = Certificate.objects.filter(
        certificate_valid_q(today),
        kind=CertificateKind.HTE,
        enterprise_id=OuterRef("pk"),
        issued_on__lte=date(year, 12, 31),
    )
    reported = AnnualReport.objects.filter(enterprise_id=OuterRef("pk"), year=year)
    rows = (
        Enterprise.objects.filter(Exists(valid))
        .exclude(Exists(reported))
        .values_list("pk", "city_id", "county_id")
        .order_by("pk")
    )
    deadline = date(year + 1, due_month, due_day)
    return [
        Finding(
            f"{pk}:{year}",
            city,
            county,
            f"有效高企未报送 {year} 年度报告（截止 {deadline.isoformat()}，已逾期 {(today - deadline).days} 天）",
            pk,
            {"year": year, "deadline": deadline, "days_overdue": (today - deadline).days},
        )
        for pk, city, county in rows
    ]
