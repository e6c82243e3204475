"""Writes of the monitoring app: the monthly KPI snapshots (a scheduled job / `gaoqi kpi-snapshot`).

Bulletins are written by `bulletins.py`, statistics by `statistics.py`; each write is audited.
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoqi.audit.models import AuditAction
from gaoqi.audit.services import audit_record
from gaoqi.monitoring import kpis
from gaoqi.monitoring.models import KpiSnapshot, KpiZoneCell, StatIndicator
from gaoqi.monitoring.selectors import county_city_map, statistics_for
from gaoqi.regions.models import Region


def month_end(month: date, today: date | None = None) -> date:
    """The month's statistics day: its last day, or today for the running month."""
    today = today or timezone.localdate()
    last = date(month.year, month.month, calendar.monthrange(month.year, month.month)[1])
    return min(last, today)


def parse_month(text: str) -> date:
    """'2026-11' -> date(2026, 11, 1); ValueError otherwise."""
    year, _sep, mon = text.partition("-")
    return date(int(year), int(mon), 1)


def _rows(region_code: str, c: kpis.Counts, stats: dict) -> list[tuple[str, Decimal, Decimal | None]]:
    rows = [
        ("valid_hte", Decimal(c.hte), None),
        ("rnd_coverage", Decimal(c.covered), Decimal(c.above)),
        ("invention_patents", Decimal(c.patents), None),
        ("zone_share", Decimal(c.in_zone), Decimal(c.hte)),
        ("new_hte", Decimal(c.new_hte), None),
        ("tech_sme", Decimal(c.tech_sme), None),
        ("ledger", Decimal(c.ledger), None),
    ]
    rnd_all = stats.get(StatIndicator.RND_EXPENSE_ALL)
    rows.append(("rnd_share", Decimal(c.rnd), rnd_all.value if rnd_all else None))
    hitech, output = stats.get(StatIndicator.HITECH_OUTPUT), stats.get(StatIndicator.INDUSTRIAL_OUTPUT)
    if hitech is not None and output is not None:
        rows.append(("hitech_output_share", hitech.value, output.value))
    return rows


def _rolled_up(
    by_county: dict[str, dict[str, int]], county_city: dict[str, str]
) -> dict[str, dict[str, int]]:
    """County counts summed to every county, city and the province."""
    out: dict[str, dict[str, int]] = {}
    for county, counts in by_county.items():
        city = county_city.get(county, county[:4] + "00")
        for code in {county, city, county[:2] + "0000"}:
            target = out.setdefault(code, {})
            for m, n in counts.items():
                target[m] = target.get(m, 0) + n
    return out


def snapshot_month(*, month: date, actor=None, province_code: str = "320000", progress=None) -> dict:
    """Compute the KPIs of the province, each city and each county at the month's end and store them (the
    month's earlier snapshot is replaced). One pass of grouped queries over the province; audited."""
    province = Region.objects.get(code=province_code)
    as_of = month_end(month)
    if progress:
        progress(0, 3, _("正在统计 %(m)s") % {"m": month.strftime("%Y-%m")})
    cells = kpis.compute_cells(province, as_of)
    counts = kpis.rollup(cells, county_city_map(province))
    regions = list(Region.objects.filter(province_code=province.code))
    registry = _rolled_up(kpis.registry_counts(province, as_of), county_city_map(province))
    stats = statistics_for([r.code for r in regions], as_of.year - 1)
    if progress:
        progress(1, 3, _("正在写入快照"))
    now = timezone.now()
    snapshots = [
        KpiSnapshot(
            month=month, as_of=as_of, region=r, kpi=code, numerator=num, denominator=den, computed_at=now
        )
        for r in regions
        for code, num, den in _rows(r.code, counts.get(r.code, kpis.Counts()), stats.get(r.code, {}))
    ]
    snapshots += [
        KpiSnapshot(
            month=month,
            as_of=as_of,
            region=r,
            kpi=f"registry_{m}",
            numerator=Decimal(registry.get(r.code, {}).get(m, 0)),
            computed_at=now,
        )
        for r in regions
        for m in kpis.REGISTRY_MEASURES
    ]
    zone_cells = [
        KpiZoneCell(
            month=month, county_id=county, zone_id=zone, hte=c.hte, above=c.above, covered=c.covered,
            patents=c.patents,
        )
        for (county, zone), c in cells.items()
        if zone
    ]  # fmt: skip
    with transaction.atomic():
        replaced = KpiSnapshot.objects.filter(month=month, region__province_code=province.code).delete()[0]
        KpiSnapshot.objects.bulk_create(snapshots, batch_size=1000)
        KpiZoneCell.objects.filter(month=month, county__province_code=province.code).delete()
        KpiZoneCell.objects.bulk_create(zone_cells, batch_size=1000)
        head = KpiSnapshot.objects.get(month=month, region=province, kpi="valid_hte")
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE if replaced else AuditAction.CREATE,
            target=head,
            new={"month": month.isoformat(), "as_of": as_of.isoformat(), "rows": len(snapshots)},
            reason=_("指标月度快照（%(m)s，替换 %(n)s 行）") % {"m": month.strftime("%Y-%m"), "n": replaced},
        )
    if progress:
        progress(3, 3, _("完成"))
    return {"month": month.isoformat(), "as_of": as_of.isoformat(), "rows": len(snapshots)}


def snapshot_job(*, user_id: int | None, month: str, progress=None) -> dict:
    """The background job behind the dashboard's "recompute" button and the daily and monthly schedules."""
    from django.urls import reverse

    from gaoqi.accounts.models import User

    actor = User.objects.filter(pk=user_id).first() if user_id else None
    result = snapshot_month(month=parse_month(month), actor=actor, progress=progress)
    return {
        "summary": _("已保存 %(m)s 指标快照（%(n)s 行）") % {"m": month, "n": result["rows"]},
        "url": reverse("monitoring:dashboard"),
    }
