"""The registry writes of a commit and their undoing, in bulk. Called by `services` inside its transaction.

A commit creates one `DataSource` (department, file, time, officer: the provenance of every value) and
writes, for each row the comparison found new or changed: the firm (created, or its registration fields
updated), one `AnnualReport` per changed year (`source_row` = the row), the `ExtraFact`s, the IP item or
the tag. Values a commit replaces outside its own reports (a firm's fields, an IP item's fields) and the
objects it creates go to `FieldChange`, which is what a revert restores and deletes.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db.models import ProtectedError, Q
from django.utils import timezone

from gaoqi.accounts.scope import can_write_source
from gaoqi.audit.models import AuditAction, AuditEvent
from gaoqi.audit.services import PendingEvent, audit_record_many
from gaoqi.errors import ValidationFailed
from gaoqi.intake import bulk
from gaoqi.intake.models import EnterpriseTag, ExtraFact, FieldChange, ImportBatch, RowStatus
from gaoqi.intake.preview import FIRM_COLUMNS, Outcome, ip_class_of, jsonable
from gaoqi.intake.profiles import Profile
from gaoqi.intake.rows import ParsedRow
from gaoqi.ledger.names import follow_renames
from gaoqi.regions.models import Region
from gaoqi.registry.models import (
    FACT_FIELDS,
    AnnualReport,
    Certificate,
    DataSource,
    Enterprise,
    IntellectualProperty,
    pinyin_key,
)

BATCH = 2_000
FIRM_DATES = ("founded_on",)
IP_FIELDS = {"ip_title": "title", "ip_granted_on": "granted_on", "ip_expires_on": "expires_on"}


def _firm_value(name: str, value):
    """A firm field's value as the model holds it, from its JSON form."""
    if value is not None and name in FIRM_DATES and isinstance(value, str):
        return date.fromisoformat(value)
    return value


def _audit_rows(actor, batch: ImportBatch, items: list[tuple[int, str, dict | None, dict | None, int]]):
    """Per-firm audit events (a firm created or its registration fields changed by this import). A created
    firm's event names it by id only: linked, it would pin the firm (the audit log refuses the update a
    delete needs), and a revert must be able to remove the firm it created."""
    audit_record_many(
        [
            PendingEvent(
                actor=actor,
                action=action,
                target_type="registry.enterprise",
                target_id=str(eid),
                enterprise_id=None if action == AuditAction.CREATE else eid,
                old=old,
                new=new,
                reason=f"导入批次 #{batch.pk}（{batch.file_name}）第 {line} 行"[:500],
            )
            for eid, action, old, new, line in items
        ],
        batch_size=BATCH,
    )


def write_batch(
    *, batch: ImportBatch, profile: Profile, actor, pairs: list[tuple[ParsedRow, Outcome]], progress=None
) -> dict:
    """Write the rows whose outcome is NEW_FIRM or CHANGED; returns the counts written. The batch's source is
    the profile's department, written under the provenance rule (`scope.can_write_source`); each row's firm
    was found in the officer's reach by the classifier (`enterprise_q`), else it is OUT_OF_SCOPE."""
    can_write_source(actor, profile.department).enforce()
    now = timezone.now()
    todo = [(r, o) for r, o in pairs if o.status in (RowStatus.NEW_FIRM, RowStatus.CHANGED)]
    counts = defaultdict(int)
    if not todo:
        return dict(counts)
    source = DataSource.objects.create(
        department=profile.department,
        file_name=batch.file_name[:200],
        imported_at=now,
        imported_by=actor,
        synthetic=batch.synthetic,
        note=f"导入批次 #{batch.pk} · {profile.title} · sha256 {batch.file_sha256[:12]}"[:200],
    )
    batch.source = source
    total = len(todo)
    step = max(1, total // 10)
    changes: list[FieldChange] = []
    audits: list[tuple] = []

    # Firms: created, or their registration fields updated.
    new = [(r, o) for r, o in todo if o.status == RowStatus.NEW_FIRM]
    if new:
        cities = dict(
            Region.objects.filter(code__in={o.firm_updates["county"] for _, o in new}).values_list(
                "code", "city_code"
            )
        )
        firms = []
        for row, out in new:
            f = out.firm_updates
            firms.append(
                Enterprise(
                    credit_code=row.credit_code,
                    name=f["name"],
                    name_pinyin=pinyin_key(f["name"]),
                    county_id=f["county"],
                    city_id=cities[f["county"]],
                    founded_on=f["founded_on"],
                    tech_field_id=f.get("tech_field"),
                    above_scale=bool(f.get("above_scale", False)),
                    in_hitech_zone=bool(f.get("in_hitech_zone", False)),
                    talent_founded=bool(f.get("talent_founded", False)),
                )
            )
        Enterprise.objects.bulk_create(firms, batch_size=BATCH)
        for (row, out), firm in zip(new, firms, strict=True):
            out.enterprise_id = firm.pk
            changes.append(
                FieldChange(
                    batch=batch,
                    target="enterprise",
                    target_id=firm.pk,
                    field="",
                    old=None,
                    new=None,
                    source_row=row.line,
                )
            )
            audits.append(
                (
                    firm.pk,
                    AuditAction.CREATE,
                    None,
                    {k: jsonable(v) for k, v in out.firm_updates.items()},
                    row.line,
                )
            )
        counts["firms_created"] = len(firms)
    updates = [(r, o) for r, o in todo if o.status == RowStatus.CHANGED and o.firm_updates]
    if updates:
        objs = Enterprise.objects.in_bulk([o.enterprise_id for _, o in updates])
        cities = dict(Region.objects.values_list("code", "city_code"))
        touched: set[str] = set()
        for row, out in updates:
            firm = objs[out.enterprise_id]
            for name, value in out.firm_updates.items():
                setattr(firm, FIRM_COLUMNS[name], value)
                touched.add(FIRM_COLUMNS[name])
                if name == "county":
                    firm.city_id = cities[value]
                    touched.add("city_id")
                if name == "name":
                    firm.name_pinyin = pinyin_key(value)
                    touched.add("name_pinyin")
                changes.append(
                    FieldChange(
                        batch=batch,
                        target="enterprise",
                        target_id=firm.pk,
                        field=name,
                        old=jsonable(out.old_firm[name]),
                        new=jsonable(value),
                        source_row=row.line,
                    )
                )
            old = {k: jsonable(v) for k, v in out.old_firm.items()}
            new_values = {k: jsonable(v) for k, v in out.firm_updates.items()}
            audits.append((firm.pk, AuditAction.UPDATE, old, new_values, row.line))
        Enterprise.objects.bulk_update(list(objs.values()), sorted(touched), batch_size=500)
        if "name" in touched:
            follow_renames(o.enterprise_id for _, o in updates if "name" in o.firm_updates)
        counts["firms_updated"] = len(updates)

    # Yearly figures: one report per changed year, the row's values for that year; extras beside them.
    fields = [f for f in FACT_FIELDS if f in profile.columns]
    stamp = bulk.now()

    def report_rows():
        for n, (row, out) in enumerate(todo, start=1):
            for year, parts in out.write_years.items():
                if parts["report"]:
                    values = parts["report"]
                    yield (
                        out.enterprise_id,
                        year,
                        source.pk,
                        row.line,
                        stamp,
                        *[values.get(f) for f in fields],
                    )
            if progress and n % step == 0:
                progress(n, total, "写入企业库")

    def extra_rows():
        for row, out in todo:
            for year, parts in out.write_years.items():
                for name, value in parts["extra"].items():
                    yield (out.enterprise_id, year, name, value, batch.pk, row.line)

    counts["reports"] = bulk.insert(
        AnnualReport, ["enterprise", "year", "source", "source_row", "recorded_at", *fields], report_rows()
    )
    counts["extra_facts"] = bulk.insert(
        ExtraFact, ["enterprise", "year", "field", "value", "batch", "source_row"], extra_rows()
    )

    # IP items and tags.
    if profile.kind == "ip":
        _write_ip(batch, source, todo, changes, counts)
    if profile.kind == "tag":
        tags = [
            EnterpriseTag(
                enterprise_id=o.enterprise_id,
                tag=r.item["tag"],
                year=r.item.get("year"),
                batch=batch,
                source_row=r.line,
            )
            for r, o in todo
        ]
        EnterpriseTag.objects.bulk_create(tags, batch_size=BATCH)
        counts["tags"] = len(tags)
    FieldChange.objects.bulk_create(changes, batch_size=BATCH)
    _audit_rows(actor, batch, audits)
    if progress:
        progress(total, total, "写入企业库")
    return dict(counts)


def _write_ip(batch, source, todo, changes: list[FieldChange], counts) -> None:
    created, updated = [], []
    for row, out in todo:
        item = row.item
        if out.ip_id is None:
            created.append(
                (
                    row,
                    IntellectualProperty(
                        enterprise_id=out.enterprise_id,
                        ip_class=ip_class_of(item["ip_kind"]),
                        kind=item["ip_kind"],
                        number=item["ip_number"],
                        title=item.get("ip_title", "")[:200],
                        granted_on=item["ip_granted_on"],
                        expires_on=item.get("ip_expires_on"),
                        source=source,
                    ),
                )
            )
        else:
            updated.append((row, out))
    IntellectualProperty.objects.bulk_create([ip for _, ip in created], batch_size=BATCH)
    for row, ip in created:
        changes.append(
            FieldChange(
                batch=batch, target="ip", target_id=ip.pk, field="", old=None, new=None, source_row=row.line
            )
        )
    objs = IntellectualProperty.objects.in_bulk([o.ip_id for _, o in updated])
    for row, out in updated:
        ip = objs[out.ip_id]
        for change in out.changes:
            attr = IP_FIELDS.get(change["field"])
            if attr is None:
                continue
            setattr(
                ip, attr, row.item.get(change["field"]) if attr != "title" else row.item.get("ip_title", "")
            )
            changes.append(
                FieldChange(
                    batch=batch,
                    target="ip",
                    target_id=ip.pk,
                    field=attr,
                    old=change["old"],
                    new=change["new"],
                    source_row=row.line,
                )
            )
    if objs:
        IntellectualProperty.objects.bulk_update(
            list(objs.values()), ["title", "granted_on", "expires_on"], batch_size=500
        )
    counts["ip_created"] = len(created)
    counts["ip_updated"] = len(updated)


# --- revert ------------------------------------------------------------------------------------------


def revert_batch(*, batch: ImportBatch, actor) -> dict:
    """Remove what `batch` wrote and restore what it replaced; ValidationFailed (nothing changed) when a
    later change depends on it: revert that one first."""
    changes = list(batch.field_changes.all())
    created_firms = [c.target_id for c in changes if c.target == "enterprise" and not c.field]
    created_ips = [c.target_id for c in changes if c.target == "ip" and not c.field]
    firm_updates = [c for c in changes if c.target == "enterprise" and c.field]
    ip_updates = [c for c in changes if c.target == "ip" and c.field]
    problems = _revert_blockers(batch, created_firms, firm_updates, ip_updates)
    if problems:
        raise ValidationFailed("无法撤销：之后的导入或操作依赖本批次写入的数据，请先处理以下问题", problems)
    counts = {
        "reports_removed": AnnualReport.objects.filter(source=batch.source).delete()[0]
        if batch.source_id
        else 0,
        "extra_facts_removed": ExtraFact.objects.filter(batch=batch).delete()[0],
        "tags_removed": EnterpriseTag.objects.filter(batch=batch).delete()[0],
        "ip_removed": IntellectualProperty.objects.filter(pk__in=created_ips).delete()[0],
    }
    if ip_updates:
        objs = IntellectualProperty.objects.in_bulk([c.target_id for c in ip_updates])
        for c in sorted(ip_updates, key=lambda c: -c.pk):
            value = c.old
            if c.field in ("granted_on", "expires_on") and value is not None:
                value = date.fromisoformat(value)
            setattr(objs[c.target_id], c.field, value)
        IntellectualProperty.objects.bulk_update(list(objs.values()), ["title", "granted_on", "expires_on"])
    counts["ip_restored"] = len({c.target_id for c in ip_updates})
    if firm_updates:
        objs = Enterprise.objects.in_bulk([c.target_id for c in firm_updates])
        cities = dict(Region.objects.values_list("code", "city_code"))
        audits = []
        for c in sorted(firm_updates, key=lambda c: -c.pk):
            firm = objs[c.target_id]
            setattr(firm, FIRM_COLUMNS[c.field], _firm_value(c.field, c.old))
            if c.field == "county":
                firm.city_id = cities[c.old]
            if c.field == "name":
                firm.name_pinyin = pinyin_key(firm.name)
            audits.append((firm.pk, AuditAction.UPDATE, {c.field: c.new}, {c.field: c.old}, c.source_row))
        fields = sorted(
            {FIRM_COLUMNS[c.field] for c in firm_updates}
            | ({"city_id"} if any(c.field == "county" for c in firm_updates) else set())
            | ({"name_pinyin"} if any(c.field == "name" for c in firm_updates) else set())
        )
        Enterprise.objects.bulk_update(list(objs.values()), fields, batch_size=500)
        follow_renames(c.target_id for c in firm_updates if c.field == "name")
        _audit_rows(actor, batch, audits)
    counts["firms_restored"] = len({c.target_id for c in firm_updates})
    try:
        counts["firms_removed"] = (
            Enterprise.objects.filter(pk__in=created_firms).delete()[1].get("registry.Enterprise", 0)
        )
    except ProtectedError as exc:
        raise ValidationFailed(
            "无法撤销：本批次新增的企业已被其他数据引用（如企业用户账号）",
            [{"field": "", "reason": str(o)} for o in list(exc.protected_objects)[:10]],
        ) from exc
    return counts


def _revert_blockers(batch, created_firms, firm_updates, ip_updates) -> list[dict]:
    problems = []
    if created_firms:
        others = (
            AnnualReport.objects.filter(enterprise_id__in=created_firms)
            .exclude(source_id=batch.source_id)
            .count()
            + IntellectualProperty.objects.filter(enterprise_id__in=created_firms)
            .exclude(source_id=batch.source_id)
            .count()
            + Certificate.objects.filter(enterprise_id__in=created_firms).count()
            + ExtraFact.objects.filter(enterprise_id__in=created_firms).exclude(batch=batch).count()
            + EnterpriseTag.objects.filter(enterprise_id__in=created_firms).exclude(batch=batch).count()
        )
        if others:
            problems.append(
                {
                    "field": "",
                    "reason": f"本批次新增的企业已有其他来源的 {others} 条数据（年度数据、知识产权、证书或称号）",
                }
            )
        if AuditEvent.objects.filter(enterprise_id__in=created_firms).exists():
            problems.append(
                {"field": "", "reason": "本批次新增的企业在导入后已有其他操作记录（如信息修改），不能删除"}
            )
    later = FieldChange.objects.filter(batch__pk__gt=batch.pk, batch__status="committed").filter(
        Q(target="enterprise", target_id__in=[c.target_id for c in firm_updates] + list(created_firms))
        | Q(target="ip", target_id__in=[c.target_id for c in ip_updates])
    )
    for c in later.select_related("batch")[:10]:
        problems.append(
            {
                "field": c.field,
                "reason": f"批次 #{c.batch_id}（{c.batch.file_name}）之后修改了同一对象，请先撤销该批次",
            }
        )
    if firm_updates and not problems:
        current = Enterprise.objects.in_bulk([c.target_id for c in firm_updates])
        for c in firm_updates:
            firm = current.get(c.target_id)
            if firm is None:
                problems.append({"field": c.field, "reason": f"企业（id {c.target_id}）已被删除"})
            elif jsonable(getattr(firm, FIRM_COLUMNS[c.field])) != c.new:
                problems.append(
                    {
                        "field": c.field,
                        "reason": f"“{firm.name}”的{c.field}已在导入后被修改（现为 {getattr(firm, FIRM_COLUMNS[c.field])}）",
                    }
                )
    return problems[:20]
