"""The dashboard's figures, read from the stored monthly snapshots (a few small indexed queries whatever the
size of the register), with a live computation only when no snapshot exists yet.

The funnel 发现→培育→推荐→认定 by child region:
- discover (发现): firms screened into the cultivation ledger (LedgerEntry, the ledger's current state);
- cultivate (培育): firms with a valid tech-SME registration on the day (no cultivation-pool model yet);
- recommend (推荐): applications recommended by the local bureau — no HTE application model exists yet, so the
  dashboard says "no data yet" (RECOMMEND_PROGRAMME: the workflow programme whose `recommended` phase counts);
- certify (认定): firms with an HTE certificate issued this year up to the day.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from gaoqi.monitoring import selectors
from gaoqi.monitoring.kpis import KPIS

RECOMMEND_PROGRAMME, RECOMMEND_PHASE = "hte", "recommended"


def recommend_available() -> bool:
    from gaoqi.workflow.table import programmes

    return any(
        p.code == RECOMMEND_PROGRAMME and any(ph.code == RECOMMEND_PHASE for ph in p.phases)
        for p in programmes()
    )


def _recommended(actor, region, children, year) -> dict[str, int] | None:
    if not recommend_available():
        return None
    from django.db.models import Count

    from gaoqi.accounts.scope import scope_applications

    group = "city_id" if region.level == "province" else "county_id"
    qs = scope_applications(actor).filter(
        programme=RECOMMEND_PROGRAMME, year=year, decisions__to_phase=RECOMMEND_PHASE
    )
    rows = qs.values(group).annotate(n=Count("pk", distinct=True)).order_by()
    return {r[group]: r["n"] for r in rows}


def _targets(actor, region, children, counts, year) -> tuple[list[dict], object]:
    """Target progress of the region. The province sets its cities' targets, not its own: where the region
    has none, the sum of its children's targets (when any is set) stands for it."""
    from gaoqi.targets.models import Indicator
    from gaoqi.targets.selectors import current_targets, percent, rate_of, year_pace

    found = current_targets(actor=actor, year=year, regions=[region, *children])
    actual = {
        Indicator.NEW_HTE: counts.new_hte,
        Indicator.VALID_HTE: counts.hte,
        Indicator.TECH_SME: counts.tech_sme,
        Indicator.POOL_SIZE: None,  # no pool model yet (gaoqi.targets says the same)
    }
    out = []
    for code, label in Indicator.choices:
        t = found.get((region.code, code))
        target = t.value if t else None
        summed = False
        if target is None:
            parts = [found[(c.code, code)].value for c in children if (c.code, code) in found]
            target, summed = (sum(parts), True) if parts else (None, False)
        value = actual[code]
        out.append(
            {
                "code": code,
                "label": label,
                "target": target,
                "summed": summed,
                "actual": value,
                "percent": percent(rate_of(value, target)),
            }
        )
    pace = year_pace(year, timezone.localdate())
    return out, pace


def dashboard_data(*, actor, region_code: str | None = None) -> dict:
    region = selectors.region_for(actor, region_code)
    overview = selectors.stored_overview(actor=actor, region=region)
    if overview is None:
        overview = selectors.kpi_overview(actor=actor, as_of=timezone.localdate(), region_code=region.code)
    trend = selectors.trend(actor=actor, region=region, months=12)
    months = [m.strftime("%Y-%m") for m, _t in trend]
    cards = []
    for v in overview.own.values:
        spark = [_float(t.get(v.kpi.code).value) for _m, t in trend]
        cards.append({"v": v, "spark": spark})
    year = overview.as_of.year
    targets, pace = _targets(actor, region, [r.region for r in overview.children], overview.own.counts, year)
    recommended = _recommended(actor, region, overview.children, year)
    funnel = [
        {
            "region": r.region,
            "discover": r.counts.ledger,
            "cultivate": r.counts.tech_sme,
            "recommend": None if recommended is None else recommended.get(r.region.code, 0),
            "certify": r.counts.new_hte,
        }
        for r in (overview.children or [overview.own])
    ]
    if region.level == "province":
        map_values = {r.region.name: r.counts.hte for r in overview.children}
        highlight = None
    else:
        city = region if region.level == "city" else region.parent
        map_values = {city.name: overview.own.counts.hte} if region.level == "city" else {}
        highlight = city.name
    charts = {
        "months": months,
        "cards": {c["v"].kpi.code: c["spark"] for c in cards},
        "map": {"values": [{"name": k, "value": v} for k, v in map_values.items()], "highlight": highlight},
        "funnel": {
            "regions": [f["region"].name for f in funnel],
            "series": [
                {"name": _("发现（入台账）"), "data": [f["discover"] for f in funnel]},
                {"name": _("培育（科技型中小企业）"), "data": [f["cultivate"] for f in funnel]},
                {"name": _("推荐"), "data": [f["recommend"] for f in funnel]},
                {"name": _("认定（当年新认定高企）"), "data": [f["certify"] for f in funnel]},
            ],
        },
        "labels": {"hte": _("有效高企"), "no_data": _("暂无数据")},
    }
    return {
        "region": region,
        "o": overview,
        "cards": cards,
        "kpis": KPIS,
        "targets": targets,
        "pace": pace,
        "year": year,
        "funnel": funnel,
        "recommend_available": recommended is not None,
        "charts": charts,
    }


def _float(value):
    return None if value is None else float(value)
