"""Bulletins (进展通报): a region's figures for a month or a quarter, as a PDF (WeasyPrint: tables, the map and
charts drawn as SVG on the server) and as an Excel workbook with the same figures; archived under
settings.VAR_DIR/bulletins and recorded as `Bulletin` rows (audited).

Generated on demand as a background job (`bulletin_job`, progress shown on the job page) or from the CLI
(`gaoqi bulletin --region CODE --period YYYY-MM|YYYY-Qn --format pdf|xlsx --out FILE`).
"""

from __future__ import annotations

import calendar
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gaoqi.accounts.scope import can_generate_bulletin
from gaoqi.audit.models import AuditAction
from gaoqi.audit.services import audit_record
from gaoqi.errors import ValidationFailed
from gaoqi.monitoring import charts, kpis, selectors
from gaoqi.monitoring.models import Bulletin, BulletinFormat
from gaoqi.registry.models import Certificate, CertificateKind, DataSource

PERIOD_RE = re.compile(r"^(\d{4})-(?:(0[1-9]|1[0-2])|Q([1-4]))$")


@dataclass(frozen=True)
class Period:
    code: str  # 2026-11 or 2026-Q3
    start: date
    end: date
    quarterly: bool

    @property
    def label(self) -> str:
        if self.quarterly:
            return _("%(y)s年第%(q)s季度") % {"y": self.start.year, "q": (self.start.month + 2) // 3}
        return _("%(y)s年%(m)s月") % {"y": self.start.year, "m": self.start.month}


def parse_period(text: str, today: date | None = None) -> Period:
    """'2026-11' (a month) or '2026-Q3' (a quarter); ValidationFailed for anything else or a future period."""
    m = PERIOD_RE.match((text or "").strip())
    if not m:
        raise ValidationFailed(
            _("期间应写作 YYYY-MM（月报）或 YYYY-Qn（季报）"), [{"field": "period", "reason": text}]
        )
    year = int(m.group(1))
    if m.group(3):
        q = int(m.group(3))
        start, last_month = date(year, 3 * q - 2, 1), 3 * q
    else:
        start = date(year, int(m.group(2)), 1)
        last_month = start.month
    end = date(year, last_month, calendar.monthrange(year, last_month)[1])
    today = today or timezone.localdate()
    if start > today:
        raise ValidationFailed(_("不能生成未来期间的通报"), [{"field": "period", "reason": text}])
    if year < 2019:
        raise ValidationFailed(_("通报期间不早于 2019 年"), [{"field": "period", "reason": text}])
    return Period(m.group(0), start, end, bool(m.group(3)))


def _fmt(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, Decimal) and v != v.to_integral_value():
        return f"{v:,.1f}"
    return f"{int(v):,}"


def _pct(v) -> str:
    return "—" if v is None else f"{v}%"


def _new_in_period(region, period: Period, as_of: date) -> dict[str, int]:
    """New HTE certificates issued in the period, firms by child region (county for a county)."""
    group = "enterprise__city_id" if region.level == "province" else "enterprise__county_id"
    rows = (
        Certificate.objects.filter(
            kpis.region_q(region, "enterprise__"),
            kind=CertificateKind.HTE,
            issued_on__gte=period.start,
            issued_on__lte=as_of,
        )
        .values(group)
        .annotate(n=Count("enterprise_id", distinct=True))
        .order_by()
    )
    return {r[group]: r["n"] for r in rows}


def bulletin_data(*, actor, region_code: str, period: Period) -> dict:
    """Everything a bulletin shows as of the period's end (or today for the running period): the KPIs from the
    snapshot taken that day when there is one (the monthly job's month end), computed live otherwise."""
    as_of = min(period.end, timezone.localdate())
    overview = selectors.kpi_figures(actor=actor, as_of=as_of, region_code=region_code)
    region = overview.region
    new = _new_in_period(region, period, as_of)
    rows = []
    for r in overview.children:
        v = {x.kpi.code: x for x in r.values}
        rows.append(
            {
                "region": r.region,
                "valid_hte": r.counts.hte,
                "new_in_period": new.get(r.region.code, 0),
                "new_hte": r.counts.new_hte,
                "tech_sme": r.counts.tech_sme,
                "rnd_coverage": v["rnd_coverage"].value,
                "invention_patents": r.counts.patents,
                "zone_share": v["zone_share"].value,
            }
        )
    trend = selectors.trend(actor=actor, region_code=region.code, months=12)
    trend_points = [(m.strftime("%y-%m"), t.counts.hte) for m, t in trend if m <= period.end]
    own_new = sum(new.values()) if region.level != "county" else new.get(region.code, 0)
    if region.level == "province":
        map_values = {r["region"].name: r["valid_hte"] for r in rows}
        highlight = None
    else:
        # A city's bulletin shows where it lies; other cities' figures are not the officer's to see.
        city = region if region.level == "city" else region.parent
        map_values = {city.name: overview.own.counts.hte}
        highlight = city.name
    return {
        "region": region,
        "period": period,
        "as_of": as_of,
        "overview": overview,
        "kpis": overview.own.values,
        "rows": rows,
        "own_new_in_period": own_new,
        "trend": trend_points,
        "map_svg": charts.choropleth(map_values, highlight=highlight, fmt=_fmt),
        "bars_svg": charts.bars([(r["region"].name, r["valid_hte"]) for r in rows], fmt=_fmt) if rows else "",
        "new_bars_svg": charts.bars(
            [(r["region"].name, r["new_in_period"]) for r in rows], fmt=_fmt, color="#1e7b4f"
        )
        if rows
        else "",
        "trend_svg": charts.line(trend_points, fmt=_fmt) if len(trend_points) > 1 else "",
        "zones": overview.zones,
        "synthetic": DataSource.objects.filter(synthetic=True).exists(),
        "generated_at": timezone.localtime(),
    }


def render_pdf(data: dict) -> bytes:
    from weasyprint import HTML  # imported here: pango is only needed where bulletins are rendered

    with translation.override("zh-hans"):
        html = render_to_string("monitoring/bulletin_pdf.html", {**data, "fmt": _fmt})
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def render_xlsx(data: dict) -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    bold = book.add_format({"bold": True})
    title = book.add_format({"bold": True, "font_size": 14})
    pct = book.add_format({"num_format": "0.0"})
    num = book.add_format({"num_format": "#,##0"})
    region, period = data["region"], data["period"]
    head = _("%(r)s高新技术企业培育进展通报（%(p)s）") % {"r": region.name, "p": period.label}
    ws = book.add_worksheet(_("六项指标"))
    ws.write(0, 0, head, title)
    ws.write(
        1,
        0,
        _("统计日：%(d)s") % {"d": data["as_of"].isoformat()}
        + ("　" + _("合成数据（演示）") if data["synthetic"] else ""),
    )
    headers = [
        _("指标"),
        _("数值"),
        _("单位"),
        _("分子"),
        _("分母"),
        _("目标"),
        _("差距"),
        _("统计年度"),
        _("分母更新时间"),
        _("口径"),
        _("数据来源"),
    ]
    ws.write_row(3, 0, headers, bold)
    for i, v in enumerate(data["kpis"], start=4):
        ws.write(i, 0, str(v.kpi.label))
        unit = _("%") if v.kpi.unit == kpis.PERCENT else (_("家") if v.kpi.code == "valid_hte" else _("件"))
        ws.write(i, 1, v.value if v.value is not None else "—", pct if v.kpi.unit == kpis.PERCENT else num)
        ws.write(i, 2, unit)
        ws.write(i, 3, v.numerator if v.numerator is not None else "—", num)
        ws.write(i, 4, v.denominator if v.denominator is not None else "—", num)
        ws.write(i, 5, v.goal if v.goal is not None else v.goal_text or "—")
        ws.write(i, 6, v.gap if v.gap is not None else "—")
        ws.write(i, 7, v.year or "")
        ws.write(
            i,
            8,
            timezone.localtime(v.denominator_updated_at).strftime("%Y-%m-%d %H:%M")
            if v.denominator_updated_at
            else "",
        )
        ws.write(i, 9, str(v.kpi.definition) + (f"（{v.note}）" if v.note else ""))
        ws.write(i, 10, str(v.kpi.sources))
    ws.set_column(0, 0, 36)
    ws.set_column(1, 8, 14)
    ws.set_column(9, 10, 60)
    if data["rows"]:
        ws2 = book.add_worksheet(_("分地区"))
        cols = [
            _("地区"),
            _("有效高企"),
            _("本期新认定"),
            _("当年新认定"),
            _("科技型中小企业"),
            _("规上高企研发机构建有率(%)"),
            _("高企有效发明专利"),
            _("高新区内高企占比(%)"),
        ]
        ws2.write_row(0, 0, cols, bold)
        for i, r in enumerate(data["rows"], start=1):
            ws2.write(i, 0, r["region"].name)
            for j, key in enumerate(("valid_hte", "new_in_period", "new_hte", "tech_sme"), start=1):
                ws2.write(i, j, r[key], num)
            ws2.write(i, 5, r["rnd_coverage"] if r["rnd_coverage"] is not None else "—", pct)
            ws2.write(i, 6, r["invention_patents"], num)
            ws2.write(i, 7, r["zone_share"] if r["zone_share"] is not None else "—", pct)
        ws2.set_column(0, 0, 14)
        ws2.set_column(1, 7, 16)
    if data["trend"]:
        ws3 = book.add_worksheet(_("月度趋势"))
        ws3.write_row(0, 0, [_("月份"), _("有效高企")], bold)
        for i, (label, value) in enumerate(data["trend"], start=1):
            ws3.write(i, 0, label)
            ws3.write(i, 1, value, num)
    book.close()
    return buf.getvalue()


def bulletin_generate(*, actor, region_code: str, period: str, fmt: str, progress=None) -> Bulletin:
    """Render the bulletin of `region_code` for `period` as `fmt` (pdf or xlsx), archive it and record it."""
    if fmt not in BulletinFormat.values:
        raise ValidationFailed(_("格式应为 pdf 或 xlsx"), [{"field": "format", "reason": fmt}])
    can_generate_bulletin(actor, region_code).enforce()
    p = parse_period(period)
    if progress:
        progress(0, 3, _("正在统计 %(r)s %(p)s") % {"r": region_code, "p": p.label})
    data = bulletin_data(actor=actor, region_code=region_code, period=p)
    if progress:
        progress(1, 3, _("正在生成文件"))
    content = render_pdf(data) if fmt == BulletinFormat.PDF else render_xlsx(data)
    if progress:
        progress(2, 3, _("正在归档"))
    folder = Path(settings.VAR_DIR) / "bulletins" / region_code
    folder.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    relative = Path("bulletins") / region_code / f"{p.code}-{stamp}.{fmt}"
    (Path(settings.VAR_DIR) / relative).write_bytes(content)
    with transaction.atomic():
        bulletin = Bulletin.objects.create(
            region_id=region_code,
            period=p.code,
            format=fmt,
            as_of=data["as_of"],
            path=str(relative),
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            synthetic=data["synthetic"],
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            target=bulletin,
            new={"region": region_code, "period": p.code, "format": fmt, "sha256": bulletin.sha256},
            reason=_("生成进展通报"),
        )
    if progress:
        progress(3, 3, _("完成"))
    return bulletin


def bulletin_file(bulletin: Bulletin) -> Path:
    return Path(settings.VAR_DIR) / bulletin.path


def bulletin_job(*, user_id: int, region_code: str, period: str, fmt: str, progress=None) -> dict:
    """The background job: generate, archive, and link the download from the job page."""
    from gaoqi.accounts.models import User

    actor = User.objects.get(pk=user_id)
    bulletin = bulletin_generate(
        actor=actor, region_code=region_code, period=period, fmt=fmt, progress=progress
    )
    return {
        "summary": _("已生成 %(r)s %(p)s 进展通报（%(f)s）")
        % {"r": bulletin.region.name, "p": bulletin.period, "f": bulletin.get_format_display()},
        "url": reverse("monitoring:bulletin_download", args=[bulletin.pk]),
        "bulletin": bulletin.pk,
    }


def scheduled_bulletins(
    *, user_id: int | None, period: str, levels: list[str], formats: list[str], progress=None
) -> dict:
    """The scheduled job (jobs.schedules "monitoring.bulletins"): the bulletins of `period` for every region of
    the given levels within the schedule's officer's region, in each format; archived like any bulletin."""
    from gaoqi.accounts.models import User
    from gaoqi.regions.models import Region

    actor = (
        User.objects.filter(pk=user_id, is_active=True).select_related("region").first() if user_id else None
    )
    if actor is None or actor.region_id is None:
        raise ValidationFailed(_("定时任务没有有效的执行身份：请由省级管理员重新启用"))
    root = actor.region
    regions = [
        r
        for r in Region.objects.filter(level__in=levels, code__startswith=root.code[:2]).order_by(
            "level", "code"
        )
        if can_generate_bulletin(actor, r.code).allowed
    ]
    # the province first, then the cities, then the counties (Level's codes do not sort that way)
    order = {"province": 0, "city": 1, "county": 2}
    regions.sort(key=lambda r: (order.get(r.level, 3), r.code))
    total = len(regions) * len(formats)
    made = []
    for i, (region, fmt) in enumerate(((r, f) for r in regions for f in formats), 1):
        bulletin = bulletin_generate(actor=actor, region_code=region.code, period=period, fmt=fmt)
        made.append(bulletin.pk)
        if progress:
            progress(i, total, _("已生成 %(r)s %(p)s（%(f)s）") % {"r": region.name, "p": period, "f": fmt})
    return {
        "summary": _("已生成 %(p)s 进展通报 %(n)s 份") % {"p": period, "n": len(made)},
        "url": reverse("monitoring:bulletins"),
        "bulletins": made,
    }
