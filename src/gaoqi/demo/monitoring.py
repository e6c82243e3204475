"""The demo's statistics-bureau figures, monthly KPI snapshots and a first alert scan (all synthetic).

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
    snapshots = 0
    if not KpiSnapshot.objects.exists():
        first = date(as_of.year, as_of.month, 1)
        for k in range(months - 1, -1, -1):
            y, m = divmod(first.month - 1 - k, 12)
            snapshot_month(month=date(first.year + y, m + 1, 1))
            snapshots += 1
    alerts = scan(today=as_of)
    return {"statistics": stats, "months": snapshots, "alerts": alerts.opened}
