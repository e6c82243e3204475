"""The demo's statistics-bureau figures, monthly KPI snapshots, a first alert scan and the past years' decided
applications the forecast's pass rates come from (all synthetic).

The bureau totals the KPIs divide by (all enterprises' R&D spending, above-scale industrial output and its
high-tech part) are made per county from the register itself, deterministic from the county code: the HTEs'
share of R&D spending around 60% (the plan's goal), the high-tech output share around 48.5% (Jiangsu 2022,
`../shared/domain/POLICY.md` §7). Cities and the province are the sums of their counties. Labelled synthetic.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

SOURCE = "合成数据（演示用，按登记库推算，非统计局数据）"


def _unit(code: str, salt: str) -> float:
    """A stable number in [0, 1) from a region code."""
    digest = hashlib.sha256(f"{salt}:{code}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def ensure_demo_statistics(*, as_of: date) -> int:
    """The bureau totals of the year before `as_of` for every region, unless the year has some already."""
    from gaoqi.monitoring import kpis
    from gaoqi.monitoring.models import RegionalStatistic, StatIndicator
    from gaoqi.monitoring.selectors import county_city_map
    from gaoqi.regions.models import Region

    year = as_of.year - 1
    if RegionalStatistic.objects.filter(year=year).exists():
        return 0
    province = Region.objects.get(level="province")
    counts = kpis.rollup(kpis.compute_cells(province, as_of), county_city_map(province))
    counties = [code for code in counts if code[4:] != "00"]
    values: dict[str, dict[str, Decimal]] = {}
    for code in counties:
        hte_rnd = Decimal(counts[code].rnd)
        if hte_rnd <= 0:
            continue
        share = Decimal(str(round(0.50 + 0.22 * _unit(code, "rnd"), 4)))  # HTEs' share of all R&D
        rnd_all = (hte_rnd / share).quantize(Decimal("1"))
        output = (rnd_all * Decimal(str(round(28 + 12 * _unit(code, "output"), 2)))).quantize(Decimal("1"))
        hitech = (output * Decimal(str(round(0.36 + 0.25 * _unit(code, "hitech"), 4)))).quantize(Decimal("1"))
        for region in (code, code[:4] + "00", code[:2] + "0000"):
            row = values.setdefault(region, {})
            for indicator, value in (
                (StatIndicator.RND_EXPENSE_ALL, rnd_all),
                (StatIndicator.INDUSTRIAL_OUTPUT, output),
                (StatIndicator.HITECH_OUTPUT, hitech),
            ):
                row[indicator] = row.get(indicator, Decimal(0)) + value
    known = set(Region.objects.filter(code__in=list(values)).values_list("code", flat=True))
    now = timezone.now()
    rows = [
        RegionalStatistic(
            region_id=code,
            year=year,
            indicator=indicator,
            value=value,
            source=SOURCE,
            synthetic=True,
            updated_at=now,
        )
        for code, row in values.items()
        if code in known
        for indicator, value in row.items()
    ]
    with transaction.atomic():
        RegionalStatistic.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def ensure_demo_monitoring(*, as_of: date, months: int = 12) -> dict:
    """Bureau totals, the KPI snapshots of the last `months` month ends (trend lines) and an alert scan."""
    from gaoqi.alerts.services import scan
    from gaoqi.monitoring.models import KpiSnapshot
    from gaoqi.monitoring.services import snapshot_month

    stats = ensure_demo_statistics(as_of=as_of)
    history = ensure_demo_application_history(as_of=as_of)
    snapshots = 0
    if not KpiSnapshot.objects.exists():
        first = date(as_of.year, as_of.month, 1)
        for k in range(months - 1, -1, -1):
            y, m = divmod(first.month - 1 - k, 12)
            snapshot_month(month=date(first.year + y, m + 1, 1))
            snapshots += 1
    alerts = scan(today=as_of)
    return {"statistics": stats, "months": snapshots, "alerts": alerts.opened, "history": history}


# --- Past years' decided applications (the forecast's pass rates) ---------------------------------------------

# (action, from phase, to phase, share of the application's span at which it happens)
HTE_CERTIFIED = (
    ("submit", "draft", "submitted", 0.0),
    ("recommend", "submitted", "recommended", 0.12),
    ("accept", "recommended", "accepted", 0.22),
    ("expert_pass", "accepted", "reviewed", 0.55),
    ("approve", "reviewed", "approved", 0.70),
    ("publish", "approved", "in_notice", 0.80),
    ("certify", "in_notice", "certified", 1.0),
)
HTE_REJECTED = (*HTE_CERTIFIED[:4], ("reject", "reviewed", "rejected", 0.70))
HTE_WITHDRAWN = (
    *HTE_CERTIFIED[:1],
    ("return", "submitted", "returned", 0.12),
    ("withdraw", "returned", "withdrawn", 0.25),
)
SME_REGISTERED = (
    ("submit", "draft", "submitted", 0.0),
    ("accept", "submitted", "accepted", 0.4),
    ("publish", "accepted", "in_notice", 0.7),
    ("register", "in_notice", "registered", 1.0),
)
SME_REJECTED = (*SME_REGISTERED[:3], ("reject", "in_notice", "rejected", 1.0))


def _firm_unit(firm: int, salt: str) -> float:
    return _unit(str(firm), salt)


def ensure_demo_application_history(*, as_of: date, years: int = 4) -> dict:
    """Decided HTE and tech-SME applications of the `years` years before `as_of`'s year, made from the
    certificate register so that they agree with it (synthetic, deterministic from the firm and region codes).

    Every first certification (not a renewal) issued in those years gets an HTE application that reached
    `certified` on the issue day, submitted 120–240 days before (then `expired` if the certificate has ended),
    with its `HteRecord` (no issue date: the certificate is the register's, not issued through the platform,
    so the after-certification duties — annual reports, reminders — do not apply to it); each city has its own
    pass rate (62–85%), the rejected and withdrawn applications go to firms of the city that never held a
    certificate. 60% of the certified firms registered as tech SMEs first (about 90% of those applications
    registered, then lapsed a year later). No pool applications: a pool membership carries records and
    rewards of its own (programmes.pool), so the pool's pass rates come from the live demo's applications and
    the stated prior. The decision history is written phase by phase (the forecast reads phases on past days
    from it). Only past years: the current year's applications are the live demo's (demo/programmes.py,
    demo/hte.py). Skipped once made."""
    from datetime import datetime, time, timedelta

    from gaoqi.monitoring import forecast as fc
    from gaoqi.registry.models import Enterprise
    from gaoqi.workflow.models import Application, Decision

    if Application.objects.filter(programme="hte", year__lt=as_of.year, declared__history=True).exists():
        return {}
    tz = timezone.get_default_timezone()
    first_year, last_day = as_of.year - years, date(as_of.year - 1, 12, 31)
    certs = fc.known(fc.certificate_frame(), as_of)
    newly = fc._newly_certified(certs, date(first_year, 1, 1) - timedelta(days=1), last_day)
    if newly.is_empty():
        return {}
    firms = dict(
        (pk, (city, county))
        for pk, city, county in Enterprise.objects.filter(city_id__isnull=False).values_list(
            "pk", "city_id", "county_id"
        )
    )
    ever = set(certs["firm"].to_list())
    by_city_free: dict[str, list[int]] = {}
    for pk, (city, _county) in firms.items():
        if pk not in ever and city:
            by_city_free.setdefault(city, []).append(pk)
    for pks in by_city_free.values():
        pks.sort(key=lambda pk: _firm_unit(pk, "history-pick"))

    apps: list[tuple[Application, list[tuple[str, str, str, date]]]] = []

    def add(programme: str, firm: int, year: int, start: date, end: date, path) -> None:
        city, county = firms[firm]
        span = max((end - start).days, len(path))
        steps = [(a, f, t, start + timedelta(days=round(share * span))) for a, f, t, share in path]
        steps = [s for s in steps if s[3] <= as_of]
        if not steps:
            return
        last = steps[-1]
        app = Application(
            programme=programme,
            year=year,
            enterprise_id=firm,
            city_id=city,
            county_id=county,
            phase=last[2],
            version=len(steps) + 1,
            submitted_at=datetime.combine(steps[0][3], time(10), tz),
            phase_since=datetime.combine(last[3], time(10), tz),
            declared={"history": True},
            synthetic=True,
        )
        apps.append((app, steps))

    rows = newly.select("firm", "region", "issued", "end").sort("issued", "firm").iter_rows()
    certified: dict[tuple[str, int], list[tuple[date, date]]] = {}
    for firm, city, issued, end in rows:
        if firm not in firms:
            continue
        span = 120 + int(120 * _firm_unit(firm, f"hte-span-{issued}"))
        submitted = issued - timedelta(days=span)
        path = HTE_CERTIFIED
        if end < as_of:  # the certificate has ended since: the application's lifecycle says so
            share = ((end + timedelta(days=1)) - submitted).days / span
            path = (*HTE_CERTIFIED, ("expire", "certified", "expired", share))
        add("hte", firm, issued.year, submitted, issued, path)
        certified.setdefault((city, issued.year), []).append((submitted, issued))
        if _firm_unit(firm, "sme") < 0.6:  # registered; lapsed a year later unless still running
            registered = submitted - timedelta(days=150)
            path = (*SME_REGISTERED, ("lapse", "registered", "lapsed", (365 + 50) / 50))
            add("tech_sme", firm, registered.year, registered - timedelta(days=50), registered, path)
    made_rejected = 0
    for (city, year), dates in sorted(certified.items()):
        rate = 0.62 + 0.23 * _unit(city, "hte-pass")
        n_rejected = round(len(dates) * (1 - rate) / rate)
        free = by_city_free.get(city, [])
        for k in range(min(n_rejected, len(free))):
            firm = free.pop()
            submitted, issued = dates[k * len(dates) // n_rejected]  # spread over the year's batches
            path = HTE_WITHDRAWN if _firm_unit(firm, "withdraw") < 0.2 else HTE_REJECTED
            add("hte", firm, year, submitted, issued, path)
            made_rejected += 1
            if _firm_unit(firm, "sme-rejected") < 0.1:
                start = submitted - timedelta(days=250)
                add("tech_sme", firm, start.year, start, start + timedelta(days=50), SME_REJECTED)
    from gaoqi.programmes.hte.models import HteRecord

    with transaction.atomic():
        Application.objects.bulk_create([a for a, _steps in apps], batch_size=2000)
        HteRecord.objects.bulk_create(
            [
                HteRecord(application=app, enterprise_id=app.enterprise_id)
                for app, steps in apps
                if app.programme == "hte" and any(target == "certified" for _a, _s, target, _d in steps)
            ],
            batch_size=2000,
        )
        decisions = [
            Decision(
                application=app,
                action=action,
                from_phase=source,
                to_phase=target,
                at=datetime.combine(day, time(10), tz),
                version=i + 2,
            )
            for app, steps in apps
            for i, (action, source, target, day) in enumerate(steps)
        ]
        Decision.objects.bulk_create(decisions, batch_size=5000)
    counts: dict[str, int] = {}
    for app, _steps in apps:
        counts[app.programme] = counts.get(app.programme, 0) + 1
    return {**counts, "hte_rejected_or_withdrawn": made_rejected, "decisions": len(decisions)}
