"""Reads from the registry. Every function takes the actor and goes through gaoqi.accounts.scope."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from gaoqi.accounts.scope import can, scope_enterprises, scope_related
from gaoqi.errors import ValidationFailed
from gaoqi.policy.core.facts import EnterpriseFacts
from gaoqi.registry.models import (
    FACT_FIELDS,
    LATEST_YEAR,
    MONEY_FIELDS,
    SIGNED_MONEY_FIELDS,
    YEARLY_FIELDS,
    YEARS_OF,
    AnnualReport,
    Certificate,
    CertificateKind,
    Department,
    Enterprise,
    HitechZone,
    IntellectualProperty,
    IpClass,
    certificate_valid_q,
)
from gaoqi.registry.name_search import name_contains_q

STATUSES = ("hte", "tech_sme", "candidate")
# Zone filter values besides a zone code: in any provincial-or-higher zone (the plan's KPI), or in none.
ZONE_ANY, ZONE_NONE = "any", "none"
CREDIT_CODE_PREFIX = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2,18}$")
# A shorter term of code characters may also be a name fragment ("TCL"): both are searched.
CODE_ONLY_FROM = 6
PER_PAGE_MAX = 100


@dataclass(frozen=True)
class EnterpriseFilter:
    city: str | None = None
    county: str | None = None
    tech_field: str | None = None
    status: str | None = None
    hitech_zone: str | None = None  # a zone code, ZONE_ANY or ZONE_NONE
    q: str | None = None


_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _next_prefix(prefix: str) -> str | None:
    """The smallest string above every credit code that starts with `prefix` (alphabet order = ASCII)."""
    head = prefix.rstrip(_CODE_ALPHABET[-1])
    if not head:
        return None
    last = head[-1]
    successor = (
        _CODE_ALPHABET[_CODE_ALPHABET.index(last) + 1] if last in _CODE_ALPHABET else chr(ord(last) + 1)
    )
    return head[:-1] + successor


def hitech_zone_q(value: str | None) -> Q:
    """Rows (with `in_hitech_zone` and a `hitech_zone` key or code) for a zone filter: ZONE_ANY, ZONE_NONE, a
    zone code, or nothing (no filter)."""
    if value == ZONE_ANY:
        return Q(in_hitech_zone=True)
    if value == ZONE_NONE:
        return Q(in_hitech_zone=False)
    return Q(hitech_zone=value) if value else Q()


def tech_field_q(code: str, *, column: str | None = None) -> Q:
    """Rows (with a `tech_field` foreign key) in the field `code`; a top-level field (two digits) with its
    sub-fields. Sub-field codes extend their field's code (801 under 80; a test holds the fixture to it), so a
    top-level field is the code range [80, 81): an index range on both databases, where the LIKE prefix is
    none (SQLite's LIKE is case-insensitive, PostgreSQL's needs pattern operators); `startswith` keeps it
    exact. `column`: a text column holding the field's code instead of the foreign key (the ledger tally)."""
    key, prefix = (
        (column, f"{column}__startswith") if column else ("tech_field_id", "tech_field__code__startswith")
    )
    if len(code) != 2:
        return Q(**{key: code})
    q = Q(**{f"{key}__gte": code, prefix: code})
    if upper := _next_prefix(code):
        q &= Q(**{f"{key}__lt": upper})
    return q


def _apply_filter(qs, f: EnterpriseFilter, today: date):
    if f.city:
        qs = qs.filter(city_id=f.city)
    if f.county:
        qs = qs.filter(county_id=f.county)
    if f.tech_field:
        qs = qs.filter(tech_field_q(f.tech_field))
    qs = qs.filter(hitech_zone_q(f.hitech_zone))
    if f.status == "hte":
        qs = qs.filter(hte_valid_until__gte=today)
    elif f.status == "tech_sme":
        qs = qs.filter(tech_sme_valid_until__gte=today)
    elif f.status == "candidate":
        qs = qs.exclude(hte_valid_until__gte=today).exclude(tech_sme_valid_until__gte=today)
    if f.q:
        term = f.q.strip()
        if CREDIT_CODE_PREFIX.match(term.upper()):
            prefix = term.upper()
            # The range makes the prefix search an index range scan on SQLite, whose LIKE cannot use the
            # credit-code index (1.3 s → ms at 300,000 firms); startswith keeps the result exact.
            by_code = Q(credit_code__startswith=prefix, credit_code__gte=prefix)
            if upper := _next_prefix(prefix):
                by_code &= Q(credit_code__lt=upper)
            qs = qs.filter(by_code if len(prefix) >= CODE_ONLY_FROM else by_code | name_contains_q(term))
        else:
            qs = qs.filter(name_contains_q(term))
    return qs


class CappedPaginator(Paginator):
    """Counts at most COUNT_CAP rows: an exact COUNT over 300,000 firms costs more than the page itself.

    Beyond the cap the list says "10,000+" and asks for narrower filters (the home page has exact totals).
    """

    COUNT_CAP = 10_000

    @cached_property
    def _limited_count(self) -> int:
        return self.object_list.order_by()[: self.COUNT_CAP + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._limited_count, self.COUNT_CAP)

    @property
    def capped(self) -> bool:
        """True when there are more rows than counted."""
        return self._limited_count > self.COUNT_CAP

    def get_page(self, number):
        return self.page(1) if number in (1, "1") else super().get_page(number)

    def page(self, number):
        """Page 1 is read first: when it holds the whole result (most searches), no COUNT query is needed."""
        if number not in (1, "1"):
            return super().page(number)
        rows = list(self.object_list[: self.per_page + 1])
        if len(rows) <= self.per_page:
            self.__dict__["_limited_count"] = len(rows)
        return self._get_page(rows[: self.per_page], 1, self)


Q_MAX = 60


def filter_errors(*, actor, filters: EnterpriseFilter) -> list[dict]:
    """What is wrong with the filters, said plainly ({"field", "reason"}): a region outside the actor's, an
    unknown field, status or zone. Nothing is silently dropped or replaced."""
    from gaoqi.accounts.scope import regions_for_filter, zones_for_filter
    from gaoqi.regions.models import Level
    from gaoqi.registry.models import TechField

    errors = []
    f = filters
    if f.city or f.county:
        levels = dict(regions_for_filter(actor).values_list("code", "level"))
        for name, value, level, label in (
            ("city", f.city, Level.CITY, _("设区市")),
            ("county", f.county, Level.COUNTY, _("县（市、区）")),
        ):
            if value and levels.get(value) != level:
                errors.append(
                    {
                        "field": name,
                        "reason": _("“%(v)s”不是可以筛选的%(what)s") % {"v": value[:20], "what": label},
                    }
                )
    if f.tech_field and not TechField.objects.filter(code=f.tech_field).exists():
        errors.append(
            {"field": "tech_field", "reason": _("未知的技术领域“%(v)s”") % {"v": f.tech_field[:20]}}
        )
    if f.status and f.status not in STATUSES:
        errors.append(
            {"field": "status", "reason": _("状态须为 %(choices)s 之一") % {"choices": "、".join(STATUSES)}}
        )
    if f.hitech_zone and f.hitech_zone not in (ZONE_ANY, ZONE_NONE):
        if not zones_for_filter(actor).filter(code=f.hitech_zone).exists():
            errors.append(
                {
                    "field": "hitech_zone",
                    "reason": _("“%(v)s”不是可以筛选的高新区") % {"v": f.hitech_zone[:20]},
                }
            )
    if f.q and len(f.q) > Q_MAX:
        errors.append({"field": "q", "reason": _("搜索词不能超过 %(n)s 个字") % {"n": Q_MAX}})
    return errors


def page_number(value) -> int:
    """A page number from a request: a positive integer, else ValidationFailed (never silently page 1)."""
    text = str(value if value is not None else 1).strip()
    if not text.isdigit() or int(text) < 1 or len(text) > 9:
        raise ValidationFailed(_("页码有误"), [{"field": "page", "reason": _("页码须为正整数")}])
    return int(text)


def checked_per_page(value, maximum: int = PER_PAGE_MAX) -> int:
    if not isinstance(value, int) or not 1 <= value <= maximum:
        raise ValidationFailed(
            _("每页条数有误"),
            [{"field": "per_page", "reason": _("每页条数须在 1 到 %(n)s 之间") % {"n": maximum}}],
        )
    return value


def checked_page(paginator: Paginator, value):
    """The page asked for, or ValidationFailed saying how many pages there are (never the last page instead)."""
    number = page_number(value)
    if number == 1:
        return paginator.page(1)
    pages = paginator.num_pages
    if number > pages:
        reason = _("共 %(n)s 页") % {"n": pages}
        if getattr(paginator, "capped", False):
            reason += _("（只计数前 %(cap)s 条，请缩小筛选范围）") % {"cap": f"{paginator.COUNT_CAP:,}"}
        raise ValidationFailed(_("页码超出范围"), [{"field": "page", "reason": reason}])
    return paginator.page(number)


LIST_ORDER = ("name_pinyin", "id")


def pack_cursor(*parts) -> str:
    """An opaque cursor: the parts (a sort key first) joined and base64-encoded for a URL."""
    raw = "\x1f".join(str(part) for part in parts).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unpack_cursor(value, count: int) -> list[str]:
    """The `count` parts of a pack_cursor value (the first may hold anything), else ValueError."""
    text = str(value).strip()
    if not text or len(text) > 400:
        raise ValueError
    parts = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode().rsplit("\x1f", count - 1)
    if len(parts) != count:
        raise ValueError
    return parts


def encode_cursor(enterprise) -> str:
    """An opaque "after this firm" cursor: the firm's place in the list order (its pinyin key and id)."""
    return pack_cursor(enterprise.name_pinyin, enterprise.pk)


def decode_cursor(value: str) -> tuple[str, int]:
    """(pinyin key, id) from a cursor, else ValidationFailed: a cursor is a place in the order, nothing else."""
    try:
        key, pk = unpack_cursor(value, 2)
        if not pk.isdigit() or len(pk) > 18 or "\x00" in key:
            raise ValueError
        return key, int(pk)
    except ValueError:
        raise ValidationFailed(
            _("翻页位置有误"), [{"field": "after", "reason": _("请从列表的“下一页”链接进入")}]
        ) from None


def after_q(key: str, pk: int, id_field: str = "id") -> Q:
    """Rows after (key, pk) in LIST_ORDER. The name condition stands alone as well (name_pinyin >= key): an
    index can seek to that, not to the OR, which it would only filter with (walking from the index's start:
    11.8 s for a deep page at 4M firms)."""
    return Q(name_pinyin__gte=key) & (Q(name_pinyin__gt=key) | Q(**{f"{id_field}__gt": pk}))


class KeysetPage:
    """The page after a cursor, for lists longer than the counted rows: the rows and whether more follow,
    no totals (counting every firm in scope is what the cap avoids)."""

    keyset = True
    number = None

    def __init__(self, rows: list, per_page: int):
        self.has_next = len(rows) > per_page
        self.object_list = rows[:per_page]
        self.next_after = encode_cursor(self.object_list[-1]) if self.has_next else None

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)


# Firms a windowed list reads per request, at most (in list order, after the cursor).
SCAN_WINDOW = 2_000


def windowed_page(firms, matches, *, after: str | None, per_page: int) -> KeysetPage:
    """A page of `matches` (firms passing a test no index holds, e.g. "no R&D institution") in LIST_ORDER after
    the cursor `after` (a previous page's `next_after`; ValidationFailed if it is not one), reading at most
    SCAN_WINDOW of `firms` (the indexed set `matches` narrows, e.g. a region's firms). No count and no OFFSET
    over the matches: the page's query walks the name index and stops after the page, within the window;
    where matches are rarer, the page holds those found (maybe none) and `next_after` goes on after the
    window. A request costs about the same at any depth and in a register of millions."""
    per_page = checked_per_page(per_page)
    firms, matches = firms.order_by(*LIST_ORDER), matches.order_by(*LIST_ORDER)
    # Each bound repeats its name condition alone (after_q): the index seeks to it.
    if after:
        key, pk = decode_cursor(after)
        past = after_q(key, pk)
        firms, matches = firms.filter(past), matches.filter(past)
    edge = list(firms.values_list("name_pinyin", "id")[SCAN_WINDOW - 1 : SCAN_WINDOW])
    if edge:
        key, pk = edge[0]
        matches = matches.filter(Q(name_pinyin__lte=key) & (Q(name_pinyin__lt=key) | Q(id__lte=pk)))
    page = KeysetPage(list(matches[: per_page + 1]), per_page)
    if edge and not page.has_next:  # the window ended before the page filled: the list goes on after it
        page.has_next, page.next_after = True, encode_cursor(SimpleNamespace(name_pinyin=key, pk=pk))
    page.window = SCAN_WINDOW
    return page


def enterprise_list(
    *,
    actor,
    filters: EnterpriseFilter | None = None,
    page: int = 1,
    per_page: int = 20,
    after: str | None = None,
):
    """A page of the enterprises the actor may see, filtered, in pinyin order of the names. Two queries:
    count + page. Pages are numbered up to the counted rows (CappedPaginator); `after` (a cursor, the
    `next_after` of a page) continues past them, so every firm in scope can be reached: a KeysetPage.

    ValidationFailed (listing every problem) for a filter outside the actor's reach or unknown, a page number
    that is not a positive integer or beyond the last page, a per_page outside 1..PER_PAGE_MAX, a cursor that
    is not one or given with a page number."""
    today = timezone.localdate()
    filters = filters or EnterpriseFilter()
    errors = filter_errors(actor=actor, filters=filters)
    if errors:
        raise ValidationFailed(_("筛选条件有误"), errors)
    per_page = checked_per_page(per_page)
    qs = _apply_filter(scope_enterprises(actor), filters, today)
    qs = qs.select_related("county", "city", "tech_field", "hitech_zone").order_by(*LIST_ORDER)
    if after is not None:
        if page_number(page) != 1:
            raise ValidationFailed(
                _("页码有误"), [{"field": "page", "reason": _("翻页位置与页码不能同时使用")}]
            )
        key, pk = decode_cursor(after)
        rows = qs.filter(after_q(key, pk))[: per_page + 1]
        return KeysetPage(list(rows), per_page)
    current = checked_page(CappedPaginator(qs, per_page), page)
    # Rows after this page (the counted ones and, past a capped count, the rest): the list goes on from the
    # page's last firm, also past the last numbered page.
    more = current.paginator._limited_count > (current.number - 1) * per_page + len(current)
    current.next_after = encode_cursor(current[-1]) if more else None
    current.keyset = False
    return current


def hitech_zone_list(*, level: str | None = None, city: str | None = None):
    """High-tech zones (reference data, the same for everyone), national first."""
    qs = HitechZone.objects.all()
    if level:
        qs = qs.filter(level=level)
    if city:
        qs = qs.filter(city_id=city)
    return qs


def status_counts(today: date) -> dict:
    """Aggregates counting firms by their status on `today` (as the list's status filter reads it)."""
    return {
        "total": Count("id"),
        "hte": Count("id", filter=Q(hte_valid_until__gte=today)),
        "tech_sme": Count("id", filter=Q(tech_sme_valid_until__gte=today)),
        # Same meaning as the list's "candidate" filter: neither certificate valid today.
        "candidate": Count("id", filter=~Q(hte_valid_until__gte=today) & ~Q(tech_sme_valid_until__gte=today)),
    }


def enterprise_status(enterprise, today: date | None = None) -> str:
    today = today or timezone.localdate()
    if enterprise.hte_valid_until and enterprise.hte_valid_until >= today:
        return "hte"
    if enterprise.tech_sme_valid_until and enterprise.tech_sme_valid_until >= today:
        return "tech_sme"
    return "candidate"


def annual_reports_for(*, actor, enterprise):
    can(actor, "view", enterprise).require()
    return scope_related(actor, AnnualReport.objects.filter(enterprise=enterprise)).select_related("source")


def ip_items_for(*, actor, enterprise):
    can(actor, "view", enterprise).require()
    return IntellectualProperty.objects.filter(enterprise=enterprise)


def certificates_for(*, actor, enterprise):
    can(actor, "view", enterprise).require()
    return Certificate.objects.filter(enterprise=enterprise)


# Which department is trusted first for a field when several report it (then the most recent import).
FINANCIAL_PRIORITY = (
    Department.TAX,
    Department.FINANCE,
    Department.MARKET_REGISTRY,
    Department.STATISTICS,
    Department.INDUSTRY_IT,
    Department.DEVELOPMENT_REFORM,
    Department.SCIENCE_TECH,
    Department.IP_OFFICE,
    Department.ENTERPRISE_SELF,
)
DEFAULT_PRIORITY = (
    Department.SCIENCE_TECH,
    Department.IP_OFFICE,
    Department.STATISTICS,
    Department.INDUSTRY_IT,
    Department.TAX,
    Department.FINANCE,
    Department.DEVELOPMENT_REFORM,
    Department.MARKET_REGISTRY,
    Department.ENTERPRISE_SELF,
)
FIELD_PRIORITY = {
    f: (FINANCIAL_PRIORITY if f in (*MONEY_FIELDS, *SIGNED_MONEY_FIELDS) else DEFAULT_PRIORITY)
    for f in FACT_FIELDS
}


@dataclass(frozen=True)
class MergedValue:
    value: object
    source: object  # DataSource
    source_row: int | None


def merge_reports(reports) -> dict[int, dict[str, MergedValue]]:
    """Per year and field, the value from the most trusted source that reported it (ties: latest import)."""
    by_year: dict[int, list] = {}
    for report in reports:
        by_year.setdefault(report.year, []).append(report)
    merged: dict[int, dict[str, MergedValue]] = {}
    for year, year_reports in sorted(by_year.items()):
        fields: dict[str, MergedValue] = {}
        for field in FACT_FIELDS:
            rank = FIELD_PRIORITY[field]
            candidates = [r for r in year_reports if getattr(r, field) is not None]
            if not candidates:
                continue
            best = min(
                candidates,
                key=lambda r: (
                    rank.index(r.source.department),
                    -r.source.imported_at.timestamp(),
                    -r.source_id,
                ),
            )
            fields[field] = MergedValue(getattr(best, field), best.source, best.source_row)
        merged[year] = fields
    return merged


def merged_facts(*, actor, enterprise) -> dict[int, dict[str, MergedValue]]:
    return merge_reports(annual_reports_for(actor=actor, enterprise=enterprise))


# Reported per year, summed over the three accounting years by the engine's definition ("近三年").
THREE_YEAR_TOTALS = ("achievement_conversions",)
# The other unsuffixed engine facts are read from the latest accounting year's reports.
LATEST_YEAR_FIELDS = tuple(f for f in FACT_FIELDS if f not in (*YEARLY_FIELDS, *THREE_YEAR_TOTALS))


def _held_elsewhere(enterprise, as_of: date) -> tuple[bool, int | None]:
    """A valid HTE certificate on `as_of`, and the class II IP items valid on `as_of` already used in an HTE
    application (None when the registry holds no IP item of the firm). One query."""
    on_as_of = Q(granted_on__lte=as_of) & (Q(expires_on__isnull=True) | Q(expires_on__gte=as_of))
    ip_items = IntellectualProperty.objects.filter(enterprise=OuterRef("pk")).order_by().values("enterprise")
    has_hte, ip_items_held, class2_used = (
        Enterprise.objects.filter(pk=enterprise.pk)
        .annotate(
            has_hte=Exists(
                Certificate.objects.filter(
                    certificate_valid_q(as_of), enterprise=OuterRef("pk"), kind=CertificateKind.HTE
                )
            ),
            ip_items_held=Exists(ip_items),
            class2_used=Subquery(
                ip_items.filter(on_as_of, ip_class=IpClass.CLASS2, used_in_hte_application=True)
                .annotate(n=Count("pk"))
                .values("n")
            ),
        )
        .values_list("has_hte", "ip_items_held", "class2_used")
        .get()
    )
    return has_hte, ((class2_used or 0) if ip_items_held else None)


def facts_for_policy(*, actor, enterprise, as_of: date) -> EnterpriseFacts:
    """The engine's input for `enterprise`: the three accounting years before `as_of`, merged across sources.

    `_y3` is the year before `as_of`; unsuffixed fields read that year; conversions are the three years' total.
    The valid HTE certificate comes from the certificates, the class II IP already used in an HTE application
    from the IP items. Engine facts the registry does not hold (the super-deduction base, research
    misconduct, expert scores) stay None: not reported.
    """
    merged = merged_facts(actor=actor, enterprise=enterprise)
    years = {i: as_of.year - 4 + i for i in (1, 2, 3)}

    def value(year: int, field: str):
        item = merged.get(year, {}).get(field)
        return item.value if item else None

    values = {
        f"{stem}_y{i}": value(year, stem)
        for stem in YEARLY_FIELDS
        for i, year in years.items()
        if i in YEARS_OF[stem]
    }
    values.update({field: value(years[LATEST_YEAR], field) for field in LATEST_YEAR_FIELDS})
    for field in THREE_YEAR_TOTALS:
        reported = [c for c in (value(y, field) for y in years.values()) if c is not None]
        values[field] = sum(reported) if reported else None
    values["has_hte_certificate"], values["ip_class2_used"] = _held_elsewhere(enterprise, as_of)
    return EnterpriseFacts(
        credit_code=enterprise.credit_code,
        name=enterprise.name,
        region_code=enterprise.county_id,
        founded_on=enterprise.founded_on,
        tech_field=enterprise.tech_field_id,
        **values,
    )
