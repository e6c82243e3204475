"""Comparing parsed rows with the registry: what committing each row would do (the preview).

A row's firm is found by credit code, else by exact name (`matching`); the officer's scope
(`accounts.scope`) decides whether it may be written. Its values are compared with what the same
department reported before (its latest import): equal everywhere is "unchanged", otherwise the changes
are listed old -> new. Values other departments reported for the same firm, year and field that differ
are conflicts, each saying whether the new value will be the one the registry shows, by the registry's
one precedence table (`registry.selectors.FIELD_PRIORITY`). The same comparison runs again at commit,
against the registry as it is then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import BooleanField, ExpressionWrapper

from gaoqi.accounts.scope import can_create_enterprise_in, enterprise_q, scope_enterprises
from gaoqi.intake.bulk import fetch, where_in
from gaoqi.intake.matching import Firm, NameIndex, name_key
from gaoqi.intake.models import EnterpriseTag, ExtraFact, ImportBatch, RowStatus
from gaoqi.intake.profiles import Profile
from gaoqi.intake.rows import ParsedRow
from gaoqi.intake.targets import EXTRA_FIELDS, TARGETS
from gaoqi.regions.models import Region
from gaoqi.registry.models import (
    FACT_FIELDS,
    IP_KIND_CLASS,
    AnnualReport,
    DataSource,
    Enterprise,
    IntellectualProperty,
)
from gaoqi.registry.selectors import FIELD_PRIORITY

CHUNK = 5_000
FIRM_COLUMNS = {
    "name": "name",
    "county": "county_id",
    "founded_on": "founded_on",
    "tech_field": "tech_field_id",
    "above_scale": "above_scale",
    "in_hitech_zone": "in_hitech_zone",
    "talent_founded": "talent_founded",
}
REGISTRY = "registry"
EMPTY: dict = {}  # the "department" of a conflict with the firm's registered data


def _chunks(items: list, size: int = CHUNK):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def jsonable(value):
    return value.isoformat() if isinstance(value, date) else value


@dataclass(slots=True)
class Outcome:
    status: str
    enterprise_id: int | None = None
    changes: list = field(default_factory=list)
    conflicts: list = field(default_factory=list)
    candidates: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    # What commit writes: {year: {"report": {...}, "extra": {...}}}, firm updates, the IP item / tag.
    write_years: dict = field(default_factory=dict)
    firm_updates: dict = field(default_factory=dict)
    old_firm: dict = field(default_factory=dict)
    ip_id: int | None = None


class Classifier:
    """Loads what the rows need from the registry (a few chunked queries), then classifies each row."""

    def __init__(
        self, actor, profile: Profile, rows: list[ParsedRow], confirmed: dict[int, int] | None = None
    ):
        self.actor, self.profile, self.rows = actor, profile, rows
        self.confirmed = confirmed or {}  # line -> enterprise id the officer picked
        self.department = profile.department
        self.report_fields = [f for f in FACT_FIELDS if f in profile.columns]
        self.extra_fields = [f for f in EXTRA_FIELDS if f in profile.columns]
        self.extras_set = frozenset(self.extra_fields)
        # The registry's precedence table, as {field: {department: rank}} (lower is more trusted).
        self.ranks = {f: {d: i for i, d in enumerate(FIELD_PRIORITY[f])} for f in self.report_fields}
        self._visible: dict[int, bool] = {}
        self._load()

    # --- loading ------------------------------------------------------------------------------------

    def _load(self) -> None:
        rows = self.rows
        codes = sorted({r.credit_code for r in rows if r.credit_code})
        # Only the registration fields the profile can compare; whether the officer may write each firm
        # comes with it, from the one scope rule.
        compared = [
            c for t, c in FIRM_COLUMNS.items() if t in ("name", "county") or t in self.profile.columns
        ]
        zone = ["hitech_zone_id"] if "in_hitech_zone" in self.profile.columns else []
        firm_values = ["id", "credit_code", "in_scope", *zone, *compared]
        firms = Enterprise.objects.annotate(
            in_scope=ExpressionWrapper(enterprise_q(self.actor), output_field=BooleanField())
        )

        def firm_rows(qs):
            if "founded_on" in compared:  # a date: Django's converters are needed on SQLite
                return qs.values(*firm_values)
            return [dict(zip(firm_values, r, strict=True)) for r in fetch(qs.values_list(*firm_values))]

        self.by_code: dict[str, dict] = {}
        for chunk in _chunks(codes):
            for f in firm_rows(where_in(firms, "credit_code", chunk)):
                self.by_code[f["credit_code"]] = f
        self.by_id = {f["id"]: f for f in self.by_code.values()}
        nameless = [r for r in rows if not r.credit_code and r.name]
        self.names = self._name_index(nameless)
        extra_ids = set(self.confirmed.values())
        if self.names:
            for r in nameless:
                for firm in self.names.exact(r.name, r.county):
                    extra_ids.add(firm.id)
        missing = sorted(extra_ids - set(self.by_id))
        for chunk in _chunks(missing):
            for f in firm_rows(where_in(firms, "id", chunk)):
                self.by_id[f["id"]] = f
        self.in_scope: set[int] = {i for i, f in self.by_id.items() if f["in_scope"]}
        counties = {r.county for r in rows if r.county}
        self.regions = Region.objects.in_bulk(sorted(counties))
        self._creatable: dict[str, bool] = {}
        scoped = sorted(self.in_scope)
        self._reports(scoped)
        self._extras(scoped)
        self._ip()
        self._tags(scoped)

    def _name_index(self, nameless: list[ParsedRow]) -> NameIndex | None:
        if not nameless:
            return None
        qs = Enterprise.objects.values_list("id", "credit_code", "name", "county_id")
        counties = {r.county for r in nameless if r.county}
        firms: dict[int, Firm] = {}
        for chunk in _chunks(sorted(counties)):
            for row in qs.filter(county_id__in=chunk):
                firms[row[0]] = Firm(*row)
        if any(not r.county for r in nameless):
            for row in scope_enterprises(self.actor, Enterprise.objects.all()).values_list(
                "id", "credit_code", "name", "county_id"
            ):
                firms[row[0]] = Firm(*row)
        names = Region.objects.values_list("name", flat=True)
        places = {p for n in names for p in (n, n[:-1] if len(n) > 2 else n)}
        return NameIndex(list(firms.values()), tuple(places))

    def visible(self, ids: list[int]) -> set[int]:
        """The firms among `ids` the officer may see: candidates never show a firm outside the scope."""
        unknown = [i for i in ids if i not in self._visible]
        if unknown:
            seen = set(scope_enterprises(self.actor).filter(id__in=unknown).values_list("id", flat=True))
            self._visible.update({i: i in seen for i in unknown})
        return {i for i in ids if self._visible[i]}

    def _years(self) -> list[int]:
        return sorted({y for r in self.rows for y in r.years})

    def _reports(self, ids: list[int]) -> None:
        """Per (firm, year): this department's latest value of each field, and each other department's."""
        self.dept_values: dict[tuple[int, int], dict] = {}
        self.other_values: dict[tuple[int, int], dict[str, dict[str, object]]] = {}
        years = self._years()
        if not (self.report_fields and years and ids):
            return
        # Sources are few (one per imported file): read them once instead of joining every report row.
        sources = {
            pk: (dept, at)
            for pk, dept, at in DataSource.objects.values_list("id", "department", "imported_at")
        }
        columns = ["enterprise_id", "year", "source_id"]
        reports = []
        for chunk in _chunks(ids):
            qs = where_in(AnnualReport.objects.filter(year__in=years), "enterprise", chunk)
            reports += fetch(qs.values_list(*columns, *self.report_fields).order_by())
        reports.sort(key=lambda r: (sources[r[2]][1], r[2]))  # oldest first: later imports overwrite
        n = len(columns)
        department = self.department
        for r in reports:
            key = (r[0], r[1])
            source_department = sources[r[2]][0]
            if source_department == department:
                target = self.dept_values.setdefault(key, {})
                for name, value in zip(self.report_fields, r[n:], strict=True):
                    if value is not None:
                        target[name] = value
            else:
                target = self.other_values.setdefault(key, {})
                for name, value in zip(self.report_fields, r[n:], strict=True):
                    if value is not None:
                        target.setdefault(name, {})[source_department] = value

    def _extras(self, ids: list[int]) -> None:
        self.extras: dict[tuple[int, int | None], dict] = {}
        if not (self.extra_fields and ids):
            return
        rows = []
        for chunk in _chunks(ids):
            rows += list(
                where_in(
                    ExtraFact.objects.filter(field__in=self.extra_fields, batch__department=self.department),
                    "enterprise",
                    chunk,
                ).values_list("enterprise_id", "year", "field", "value", "batch_id")
            )
        rows.sort(key=lambda r: r[4])
        for eid, year, name, value, _ in rows:
            self.extras.setdefault((eid, year), {})[name] = value

    def _ip(self) -> None:
        self.ip_items: dict[tuple[str, str], dict] = {}
        numbers = sorted({r.item["ip_number"] for r in self.rows if r.item.get("ip_number")})
        for chunk in _chunks(numbers):
            for item in IntellectualProperty.objects.filter(number__in=chunk).values(
                "id", "enterprise_id", "kind", "number", "title", "granted_on", "expires_on"
            ):
                self.ip_items[(item["kind"], item["number"])] = item
        owners = sorted({i["enterprise_id"] for i in self.ip_items.values()} - set(self.by_id))
        self.ip_owner_names = (
            dict(Enterprise.objects.filter(id__in=owners).values_list("id", "name")) if owners else {}
        )

    def _tags(self, ids: list[int]) -> None:
        self.tags: set[tuple[int, str, int | None]] = set()
        if self.profile.kind != "tag" or not ids:
            return
        for chunk in _chunks(ids):
            self.tags.update(
                where_in(EnterpriseTag.objects.all(), "enterprise", chunk).values_list(
                    "enterprise_id", "tag", "year"
                )
            )

    # --- classifying --------------------------------------------------------------------------------

    def creatable(self, county: str) -> bool:
        if county not in self._creatable:
            region = self.regions.get(county)
            self._creatable[county] = bool(region and can_create_enterprise_in(self.actor, region))
        return self._creatable[county]

    def _firm(self, row: ParsedRow) -> tuple[dict | None, Outcome | None]:
        """The registered firm a row names, or the outcome that says why there is none (yet)."""
        if row.line in self.confirmed:
            return self.by_id.get(self.confirmed[row.line]), None
        if row.credit_code:
            return self.by_code.get(row.credit_code), None
        exact = self.names.exact(row.name, row.county) if self.names else []
        if len(exact) == 1:
            return self.by_id.get(exact[0].id), None
        if len(exact) > 1:
            candidates = [
                {"id": f.id, "name": f.name, "credit_code": f.credit_code, "county": f.county, "score": 1.0}
                for f in exact
            ]
        else:
            candidates = self.names.candidates(row.name, row.county) if self.names else []
        seen = self.visible([c["id"] for c in candidates])
        candidates = [c for c in candidates if c["id"] in seen]
        if candidates:
            return None, Outcome(RowStatus.UNMATCHED, candidates=candidates)
        where = f"（{row.county}）" if row.county else ""
        return None, Outcome(
            RowStatus.UNKNOWN_FIRM,
            errors=[
                {
                    "col": None,
                    "column": "",
                    "reason": f"企业库中没有名为“{row.name}”{where}的企业，且行中没有统一社会信用代码",
                }
            ],
        )

    def classify(self, row: ParsedRow) -> Outcome:
        firm, outcome = self._firm(row)
        if outcome is not None:
            return outcome
        if firm is None:
            return self._new_firm(row)
        eid = firm["id"]
        if eid not in self.in_scope:
            return Outcome(RowStatus.OUT_OF_SCOPE, enterprise_id=eid)
        out = Outcome(RowStatus.UNCHANGED, enterprise_id=eid)
        self._compare_firm(row, firm, out)
        if out.status == RowStatus.OUT_OF_SCOPE:
            return out
        self._compare_values(eid, row, out)
        if out.status == RowStatus.UNCHANGED and out.changes:
            out.status = RowStatus.CHANGED
        return out

    def _compare_values(self, eid: int | None, row: ParsedRow, out: Outcome) -> None:
        """The row's figures, extras and item against the registry's (none for a new firm)."""
        for year, values in row.years.items():
            self._compare_year(eid, year, values, out)
        self._compare_firm_extras(eid, row, out)
        if row.item:
            self._compare_item(eid, row, out)
        if out.errors:
            out.status = RowStatus.ERROR

    def _new_firm(self, row: ParsedRow) -> Outcome:
        if not self.profile.creates_enterprises:
            return Outcome(
                RowStatus.UNKNOWN_FIRM,
                errors=[
                    {
                        "col": None,
                        "column": "",
                        "reason": "企业库中没有该统一社会信用代码的企业（新企业请先导入市场监管登记名单）",
                    }
                ],
            )
        missing = [TARGETS[f].label_zh for f in ("name", "county") if not getattr(row, f)]
        if "founded_on" not in row.firm:
            missing.append(TARGETS["founded_on"].label_zh)
        if missing:
            return Outcome(
                RowStatus.ERROR,
                errors=[{"col": None, "column": "", "reason": f"新企业缺少{'、'.join(missing)}，无法登记"}],
            )
        if not self.creatable(row.county):
            return Outcome(RowStatus.OUT_OF_SCOPE)
        out = Outcome(RowStatus.NEW_FIRM)
        firm = {
            "name": row.name,
            "county": row.county,
            **{k: v for k, v in row.firm.items() if k in FIRM_COLUMNS},
        }
        out.firm_updates = firm
        out.changes += [{"year": None, "field": k, "old": None, "new": jsonable(v)} for k, v in firm.items()]
        self._compare_values(None, row, out)
        return out

    def _compare_firm(self, row: ParsedRow, firm: dict, out: Outcome) -> None:
        given = [("name", row.name), ("county", row.county)]
        if row.firm:
            given += [(k, v) for k, v in row.firm.items() if k in FIRM_COLUMNS]
        for name, new in given:
            if new in ("", None):
                continue
            old = firm[FIRM_COLUMNS[name]]
            if old == new or (name == "name" and name_key(old) == name_key(new)):
                continue
            # A firm whose zone is recorded is in a zone (a registry constraint): "no" cannot clear that.
            zoned = name == "in_hitech_zone" and new is False and firm.get("hitech_zone_id")
            if name in self.profile.updates_enterprise and not zoned:
                if name == "county" and not self.creatable(new):
                    out.status = RowStatus.OUT_OF_SCOPE
                    return
                out.firm_updates[name] = new
                out.old_firm[name] = old
                out.changes.append({"year": None, "field": name, "old": jsonable(old), "new": jsonable(new)})
            else:
                out.conflicts.append(
                    {
                        "year": None,
                        "field": name,
                        "new": jsonable(new),
                        "other": jsonable(old),
                        "department": REGISTRY,
                        "wins": False,
                    }
                )

    def _compare_year(self, eid: int | None, year: int, values: dict, out: Outcome) -> None:
        key = (eid, year)
        current = self.dept_values.get(key, EMPTY) if eid else EMPTY
        others = self.other_values.get(key) if eid else None
        extras = self.extras.get(key, EMPTY) if eid else EMPTY
        report, extra, changed = {}, {}, False
        extras_set, ranks = self.extras_set, self.ranks
        for name, new in values.items():
            if name in extras_set:
                extra[name] = new
                old = extras.get(name)
            else:
                report[name] = new
                old = current.get(name)
                disagree = others.get(name) if others else None
                if disagree:
                    rank = ranks[name]
                    for department, other in disagree.items():
                        if other != new:
                            out.conflicts.append(
                                {
                                    "year": year,
                                    "field": name,
                                    "new": new,
                                    "other": other,
                                    "department": department,
                                    "wins": rank[self.department] < rank[department],
                                }
                            )
            if old != new:
                changed = True
                out.changes.append({"year": year, "field": name, "old": old, "new": new})
        if changed:
            out.write_years[year] = {"report": report, "extra": extra}

    def _compare_firm_extras(self, eid: int | None, row: ParsedRow, out: Outcome) -> None:
        extra = {k: v for k, v in row.firm.items() if k in self.extras_set}
        if not extra:
            return
        current = self.extras.get((eid, None), {}) if eid else {}
        changed = [k for k, v in extra.items() if current.get(k) != v]
        for name in changed:
            out.changes.append({"year": None, "field": name, "old": current.get(name), "new": extra[name]})
        if changed:
            out.write_years[None] = {"report": {}, "extra": extra}

    def _compare_item(self, eid: int | None, row: ParsedRow, out: Outcome) -> None:
        item = row.item
        if self.profile.kind == "tag":
            if eid is None or (eid, item["tag"], item.get("year")) not in self.tags:
                out.changes.append(
                    {"year": item.get("year"), "field": "tag", "old": None, "new": item["tag"]}
                )
            return
        existing = self.ip_items.get((item["ip_kind"], item["ip_number"]))
        fields = {
            "title": item.get("ip_title", ""),
            "granted_on": item["ip_granted_on"],
            "expires_on": item.get("ip_expires_on"),
        }
        if existing is None:
            out.changes += [
                {
                    "year": None,
                    "field": f"ip_{k}" if k != "title" else "ip_title",
                    "old": None,
                    "new": jsonable(v),
                }
                for k, v in (("number", item["ip_number"]), *fields.items())
                if v not in (None, "")
            ]
            return
        if existing["enterprise_id"] != eid:
            owner = self.by_id.get(existing["enterprise_id"], {}).get("name") or self.ip_owner_names.get(
                existing["enterprise_id"], ""
            )
            out.errors.append(
                {
                    "col": None,
                    "column": "",
                    "reason": f"该知识产权（{item['ip_number']}）已登记在另一家企业“{owner}”名下",
                }
            )
            return
        out.ip_id = existing["id"]
        for k, new in fields.items():
            if k == "title" and not new:
                continue
            if existing[k] != new:
                out.changes.append(
                    {"year": None, "field": f"ip_{k}", "old": jsonable(existing[k]), "new": jsonable(new)}
                )


def ip_class_of(kind: str) -> int:
    return IP_KIND_CLASS[kind]


def same_file_batch(profile: Profile, sha256: str) -> ImportBatch | None:
    """The committed batch of the same file with the same profile, if any (a revert frees the file)."""
    from gaoqi.intake.models import BatchStatus

    return (
        ImportBatch.objects.filter(profile=profile.code, file_sha256=sha256, status=BatchStatus.COMMITTED)
        .order_by("-decided_at")
        .first()
    )
