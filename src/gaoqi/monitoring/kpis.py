"""The plan's six KPIs (苏政办发〔2019〕57号 一（一）): one greppable table of definitions, and their computation.

Everything is counted with grouped aggregate queries over the registry, never a loop over firms: one pass
groups the firms of a region by (county, high-tech zone), so the same rows give the region, each of its
child regions and each zone. `compute_cells` is the only place that queries; `rollup` and `zone_rollup` sum.

A firm is an HTE on a day when it holds an HTE certificate issued on or before and expiring on or after that
day. The registry keeps no history of `above_scale` and `in_hitech_zone` (they are the firms' current flags);
R&D institutions, certificates and invention patents are dated, so those parts are exact for any past day.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.utils.translation import gettext_lazy as _

from gaoqi.registry.models import (
    AnnualReport,
    Certificate,
    CertificateKind,
    Enterprise,
    IntellectualProperty,
    IpKind,
    certificate_valid_q,
)

COUNT, PERCENT = "count", "percent"


@dataclass(frozen=True)
class KpiDef:
    code: str
    label: str
    unit: str  # COUNT or PERCENT
    goal: Decimal | None  # the plan's provincial goal for 2020 (a ratio goal holds for every region)
    goal_text: str
    definition: str
    sources: str
    strict: bool = False  # the goal must be exceeded (超过), not only reached
    missing: str | None = None  # which firms are missing from the numerator; None: no firm list applies


KPIS = (
    KpiDef(
        "valid_hte",
        _("有效高新技术企业数"),
        COUNT,
        Decimal(30000),
        _("全省总数达 30,000 家"),
        _(
            "统计日持有有效高新技术企业证书（发证日期不晚于统计日、有效期至不早于统计日）的企业数，按企业计，"
            "重新认定不重复计算。设区市、县（市、区）的目标取省、市下达的当年“有效高企”目标任务。"
        ),
        _("科技厅高企认定名单（证书编号、发证日期、有效期），平台企业库。"),
        missing=_("曾持有高企证书、统计日证书已过期且未重新认定的企业"),
    ),
    KpiDef(
        "rnd_coverage",
        _("规模以上高企研发机构建有率"),
        PERCENT,
        Decimal(100),
        _("达 100%"),
        _(
            "分子：统计日为有效高企、且为规模以上工业企业、且统计日建有有效企业研发机构（已认定、未撤销或失效）的"
            "企业数；分母：统计日为有效高企的规模以上工业企业数。规模以上标识为企业当前标识（企业库不保留历史）。"
        ),
        _(
            "企业研发机构名单（重点实验室、技术创新中心、工程技术研究中心、企业技术中心等），统计部门规上企业名录。"
        ),
        missing=_("尚未建有研发机构的规模以上高企"),
    ),
    KpiDef(
        "rnd_share",
        _("高企研发经费占全社会企业研发经费比重"),
        PERCENT,
        Decimal(60),
        _("达 60%"),
        _(
            "分子：统计日有效高企上一会计年度研究开发费用总额之和（同一年度多部门报送时按平台数据优先级取值："
            "税务、财政、市场监管、统计……）；分母：统计部门公布的该地区上一年度全部企业研发经费支出。"
        ),
        _("分子：企业年度数据（税务、统计等部门报送）；分母：统计局地区统计数据（导入）。"),
        missing=_("上一年度没有研发费用数据的有效高企（未计入分子）"),
    ),
    KpiDef(
        "invention_patents",
        _("高企有效发明专利拥有量"),
        COUNT,
        Decimal(150000),
        _("全省突破 15 万件"),
        _(
            "统计日有效高企持有的发明专利件数：授权日期不晚于统计日，且无到期日期或到期日期不早于统计日。"
            "设区市、县（市、区）不设目标。"
        ),
        _("知识产权局专利清单，企业库知识产权记录。"),
        missing=_("统计日没有有效发明专利的高企"),
    ),
    KpiDef(
        "zone_share",
        _("省级以上高新区内高企占比"),
        PERCENT,
        Decimal(50),
        _("超过 50%"),
        _(
            "分子：统计日有效高企中位于省级以上高新区的企业数（企业库“位于省级以上高新区”标识，为当前标识）；"
            "分母：统计日有效高企数。"
        ),
        _("高新区管委会企业名单，企业库高新区标识。"),
        strict=True,
        missing=_("不在省级以上高新区内的有效高企"),
    ),
    KpiDef(
        "hitech_output_share",
        _("高新技术产业产值占规模以上工业产值比重"),
        PERCENT,
        Decimal(45),
        _("达 45%"),
        _(
            "分子：统计部门公布的该地区上一年度高新技术产业产值；分母：该地区上一年度规模以上工业总产值。"
            "两项均为统计局汇总数，企业库无法逐户计算，不提供企业清单。"
        ),
        _("统计局地区统计数据（导入）。"),
    ),
)
KPI_BY_CODE = {k.code: k for k in KPIS}
# Besides the KPIs a snapshot keeps the figures of the funnel and the target progress bars.
EXTRA_MEASURES = ("new_hte", "tech_sme", "ledger")
# And the home page's key figures of the registry (firms by today's certificate status; gaoqi.web.selectors).
REGISTRY_MEASURES = ("total", "hte", "tech_sme", "candidate", "hte_in_zone")


def registry_counts(region, as_of: date) -> dict[str, dict[str, int]]:
    """{county code: {measure: n}} of REGISTRY_MEASURES for the firms of `region` on `as_of`: one grouped
    query (the same counts the home page computes live for a small register)."""
    from gaoqi.registry.selectors import status_counts

    rows = (
        Enterprise.objects.filter(region_q(region))
        .values("county_id")
        .annotate(
            **status_counts(as_of),
            hte_in_zone=Count("pk", filter=Q(hte_valid_until__gte=as_of, in_hitech_zone=True)),
        )
        .order_by()
    )
    return {r["county_id"]: {m: r[m] for m in REGISTRY_MEASURES} for r in rows}


@dataclass
class Counts:
    """Additive counts of one cell (a county × zone, or a sum of cells). Money in CNY yuan."""

    hte: int = 0
    in_zone: int = 0
    above: int = 0
    covered: int = 0
    patents: int = 0
    rnd: int = 0
    new_hte: int = 0
    tech_sme: int = 0
    ledger: int = 0

    def add(self, other: Counts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def region_q(region, path: str = "") -> Q:
    """Firms (reached through `path`) of a region: one indexed column, no join."""
    if region.level == "province":
        return Q(**{f"{path}city__code__startswith": region.code[:2]})
    if region.level == "city":
        return Q(**{f"{path}city_id": region.code})
    return Q(**{f"{path}county_id": region.code})


def valid_hte_exists(as_of: date, ref: str = "pk") -> Exists:
    return Exists(
        Certificate.objects.filter(
            certificate_valid_q(as_of), enterprise=OuterRef(ref), kind=CertificateKind.HTE
        )
    )


def has_institution_exists(as_of: date) -> Exists:
    from gaoqi.rnd.selectors import has_institution_q  # the R&D app owns what "has an institution" means

    return has_institution_q(as_of)


def hte_firms(region, as_of: date):
    """The firms of `region` that are HTEs on `as_of`. `hte_valid_until` (the latest expiry, indexed) is a
    necessary condition that narrows the scan before the exact certificate test."""
    return Enterprise.objects.filter(region_q(region), hte_valid_until__gte=as_of).filter(
        valid_hte_exists(as_of)
    )


def valid_patent_q(as_of: date, path: str = "") -> Q:
    return Q(**{f"{path}kind": IpKind.INVENTION_PATENT, f"{path}granted_on__lte": as_of}) & (
        Q(**{f"{path}expires_on__isnull": True}) | Q(**{f"{path}expires_on__gte": as_of})
    )


def rnd_expense_subquery(year: int) -> Subquery:
    """A firm's R&D spending of `year` as the merged view shows it: the most trusted department first (the
    registry's FIELD_PRIORITY), then the latest import."""
    from gaoqi.registry.selectors import FIELD_PRIORITY

    rank = Case(
        *[When(source__department=d, then=Value(i)) for i, d in enumerate(FIELD_PRIORITY["rnd_expense"])],
        default=Value(99),
        output_field=IntegerField(),
    )
    best = (
        AnnualReport.objects.filter(enterprise=OuterRef("pk"), year=year, rnd_expense__isnull=False)
        .annotate(rank=rank)
        .order_by("rank", "-source__imported_at", "-source_id")
        .values("rnd_expense")[:1]
    )
    return Subquery(best)


def compute_cells(region, as_of: date) -> dict[tuple[str, str | None], Counts]:
    """{(county code, zone code or None): Counts} for the firms of `region` on `as_of`. Five grouped queries."""
    from gaoqi.ledger.models import LedgerEntry

    cells: dict[tuple[str, str | None], Counts] = {}

    def cell(county, zone) -> Counts:
        return cells.setdefault((county, zone), Counts())

    year = as_of.year - 1
    htes = hte_firms(region, as_of)
    inst = has_institution_exists(as_of)
    rows = (
        htes.annotate(inst=inst, rnd=rnd_expense_subquery(year))
        .values("county_id", "hitech_zone_id")
        .annotate(
            hte=Count("pk"),
            in_zone=Count("pk", filter=Q(in_hitech_zone=True)),
            above=Count("pk", filter=Q(above_scale=True)),
            covered=Count("pk", filter=Q(above_scale=True, inst=True)),
            rnd_total=Sum("rnd"),  # the subquery once: a Count("rnd") beside it would run it again
        )
        .order_by()
    )
    for r in rows:
        c = cell(r["county_id"], r["hitech_zone_id"])
        c.hte, c.in_zone, c.above, c.covered = r["hte"], r["in_zone"], r["above"], r["covered"]
        c.rnd = int(r["rnd_total"] or 0)
    patents = (
        IntellectualProperty.objects.filter(region_q(region, "enterprise__"), valid_patent_q(as_of))
        .filter(enterprise__hte_valid_until__gte=as_of)
        .filter(valid_hte_exists(as_of, "enterprise_id"))
        .values("enterprise__county_id", "enterprise__hitech_zone_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for r in patents:
        cell(r["enterprise__county_id"], r["enterprise__hitech_zone_id"]).patents = r["n"]
    certs = Certificate.objects.filter(region_q(region, "enterprise__"))
    new = (
        certs.filter(kind=CertificateKind.HTE, issued_on__gte=date(as_of.year, 1, 1), issued_on__lte=as_of)
        .values("enterprise__county_id", "enterprise__hitech_zone_id")
        .annotate(n=Count("enterprise_id", distinct=True))
        .order_by()
    )
    for r in new:
        cell(r["enterprise__county_id"], r["enterprise__hitech_zone_id"]).new_hte = r["n"]
    sme = (
        certs.filter(certificate_valid_q(as_of), kind=CertificateKind.TECH_SME)
        .values("enterprise__county_id", "enterprise__hitech_zone_id")
        .annotate(n=Count("enterprise_id", distinct=True))
        .order_by()
    )
    for r in sme:
        cell(r["enterprise__county_id"], r["enterprise__hitech_zone_id"]).tech_sme = r["n"]
    ledger = (
        LedgerEntry.objects.filter(region_q(region))
        .values("county_id", "hitech_zone_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for r in ledger:
        cell(r["county_id"], r["hitech_zone_id"]).ledger = r["n"]
    return cells


def rollup(cells: dict, county_city: dict[str, str]) -> dict[str, Counts]:
    """Sum the cells to every county, city and the province ({region code: Counts})."""
    out: dict[str, Counts] = {}
    for (county, _zone), c in cells.items():
        city = county_city.get(county, county[:4] + "00")
        for code in {county, city, county[:2] + "0000"}:
            out.setdefault(code, Counts()).add(c)
    return out


def zone_rollup(cells: dict) -> dict[str, Counts]:
    out: dict[str, Counts] = {}
    for (_county, zone), c in cells.items():
        if zone:
            out.setdefault(zone, Counts()).add(c)
    return out


# --- Values -------------------------------------------------------------------------------------------------


@dataclass
class KpiValue:
    """One KPI of one region: numerator / denominator (ratio KPIs), value, goal and gap."""

    kpi: KpiDef
    numerator: Decimal | None
    denominator: Decimal | None = None
    goal: Decimal | None = None
    goal_text: str = ""
    year: int | None = None  # the statistics year (KPIs 3 and 6)
    denominator_updated_at: object = None
    denominator_source: str = ""
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def value(self) -> Decimal | None:
        if self.numerator is None:
            return None
        if self.kpi.unit == COUNT:
            return self.numerator
        if not self.denominator:
            return None
        return (Decimal(self.numerator) * 100 / Decimal(self.denominator)).quantize(
            Decimal("0.1"), ROUND_HALF_UP
        )

    @property
    def met(self) -> bool | None:
        if self.value is None or self.goal is None:
            return None
        return self.value > self.goal if self.kpi.strict else self.value >= self.goal

    @property
    def gap(self) -> Decimal | None:
        """How far from the goal: firms/items for a count, percentage points for a ratio; 0 when met."""
        if self.value is None or self.goal is None:
            return None
        if self.met:
            return Decimal(0)
        return self.goal - self.value + (Decimal("0.1") if self.kpi.strict and self.value == self.goal else 0)

    @property
    def progress(self) -> Decimal | None:
        """Completion of the goal in percent (capped at 100), for the progress bars."""
        if self.value is None or not self.goal:
            return None
        return min(
            Decimal(100), (Decimal(self.value) * 100 / self.goal).quantize(Decimal("0.1"), ROUND_HALF_UP)
        )


def values_from(
    region, counts: Counts | None, stats: dict, *, as_of: date, valid_hte_goal: int | None = None
) -> list[KpiValue]:
    """The six KpiValues of a region from its Counts and the statistics {(indicator): RegionalStatistic}."""
    from gaoqi.monitoring.models import StatIndicator

    c = counts or Counts()
    year = as_of.year - 1
    province = region.level == "province"
    out = []
    for k in KPIS:
        v = KpiValue(
            k, None, goal=k.goal if (k.unit == PERCENT or province) else None, goal_text=str(k.goal_text)
        )
        if k.code == "valid_hte":
            v.numerator = Decimal(c.hte)
            if not province:
                v.goal = Decimal(valid_hte_goal) if valid_hte_goal else None
                v.goal_text = str(_("当年下达目标")) if valid_hte_goal else str(_("未下达目标"))
        elif k.code == "rnd_coverage":
            v.numerator, v.denominator = Decimal(c.covered), Decimal(c.above)
            v.extra = {"missing": c.above - c.covered}
        elif k.code == "rnd_share":
            v.year = year
            v.numerator = Decimal(c.rnd)
            stat = stats.get(StatIndicator.RND_EXPENSE_ALL)
            if stat is not None:
                v.denominator = stat.value
                v.denominator_updated_at, v.denominator_source = stat.updated_at, stat.source
            else:
                v.note = str(_("尚未导入 %(y)s 年全部企业研发经费支出（统计局数据）") % {"y": year})
        elif k.code == "invention_patents":
            v.numerator = Decimal(c.patents)
            if not province:
                v.goal_text = str(_("仅设全省目标"))
        elif k.code == "zone_share":
            v.numerator, v.denominator = Decimal(c.in_zone), Decimal(c.hte)
        elif k.code == "hitech_output_share":
            v.year = year
            num = stats.get(StatIndicator.HITECH_OUTPUT)
            den = stats.get(StatIndicator.INDUSTRIAL_OUTPUT)
            if num is not None and den is not None:
                v.numerator, v.denominator = num.value, den.value
                v.denominator_updated_at = max(num.updated_at, den.updated_at)
                v.denominator_source = den.source
            else:
                v.note = str(
                    _("尚未导入 %(y)s 年高新技术产业产值和规模以上工业总产值（统计局数据）") % {"y": year}
                )
        out.append(v)
    return out
