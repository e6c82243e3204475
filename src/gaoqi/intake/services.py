"""Imports of departments' files: stage (read, validate, compare), confirm a match, commit, discard, revert.

Long operations take an optional `progress(done, total, message)` callback so a background job can wrap
them; the CLI drives them with a progress bar and the web page calls them directly. Staging writes only
this app's tables; commit writes the registry in one transaction; every commit, discard and revert is an
audit event (who, when, what, why).
"""

from __future__ import annotations

import heapq
import json
import operator
from datetime import date
from pathlib import Path

import polars as pl
from django.db import IntegrityError, transaction
from django.utils import timezone

from gaoqi.accounts.scope import can_write_source
from gaoqi.audit.models import AuditAction
from gaoqi.audit.services import audit_record
from gaoqi.errors import PermissionDenied, ValidationFailed
from gaoqi.intake import bulk, frames, recheck
from gaoqi.intake.bulk import dumps, fetch
from gaoqi.intake.files import FileProblem
from gaoqi.intake.models import WRITTEN_STATUSES, BatchStatus, ImportBatch, RowStatus, StagedRow
from gaoqi.intake.preview import Classifier, Outcome, same_file_batch
from gaoqi.intake.profiles import Profile, get_profile
from gaoqi.intake.rows import ParsedRow
from gaoqi.intake.selectors import batch_for_actor, can_import
from gaoqi.intake.staging import Progress, read_rows
from gaoqi.intake.targets import EXTRA_FIELDS, TARGETS
from gaoqi.intake.writes import revert_batch, write_batch
from gaoqi.jobs.services import start_job
from gaoqi.ledger import tally
from gaoqi.ledger.services import reevaluate
from gaoqi.policy.core.facts import Kind
from gaoqi.registry.models import AnnualReport, Certificate, IntellectualProperty

STAGE_BATCH = 2_000


class ImportFileError(ValidationFailed):
    """The file cannot be read at all; nothing was staged. `errors`: [FileProblem.to_dict()]."""

    def __init__(self, problem: FileProblem):
        super().__init__(problem.message, [problem.to_dict()])
        self.problem = problem


def _profile(code: str) -> Profile:
    try:
        return get_profile(code)
    except KeyError:
        raise ValidationFailed(
            f"未知的导入模板“{code}”", [{"field": "profile", "reason": "未知的导入模板"}]
        ) from None


STAGED_COLUMNS = (
    "batch", "line", "status", "has_conflict", "credit_code", "name", "county_code", "enterprise",
    "values", "changes", "conflicts", "errors", "candidates", "raw",
)  # fmt: skip
EMPTY = "[]"
STAGED_READ = (
    "pk", "line", "status", "credit_code", "name", "county_code", "enterprise_id", "confirmed_by_id", "values",
    "changes",
)  # fmt: skip


def _staged_rows(batch: ImportBatch, classified):
    """StagedRow tuples for `bulk.insert`. An unchanged row keeps no values: nothing reads them again."""
    for row, out, status in classified:
        errors = [e.to_dict() for e in row.errors] + (out.errors if out else [])
        yield (
            batch.pk,
            row.line,
            str(status),
            bool(out and out.conflicts),
            row.credit_code,
            row.name[:200],
            row.county,
            out.enterprise_id if out else None,
            "{}" if status == RowStatus.UNCHANGED else dumps(row.values_json()),
            dumps(out.changes) if out and out.changes else EMPTY,
            dumps(out.conflicts) if out and out.conflicts else EMPTY,
            dumps(errors) if errors else EMPTY,
            dumps(out.candidates) if out and out.candidates else EMPTY,
            dumps(row.raw) if row.raw else EMPTY,
        )


def _same_firm(profile: Profile, pairs: list[tuple[ParsedRow, Outcome]]) -> None:
    """Two rows that name one firm differently (a credit code here, a name there) for the same year: the
    second is a duplicate when it says the same, otherwise both are errors (not ours to choose). Rows that
    all carry credit codes were told apart by `staging` already: then there is nothing to do."""
    if all(row.credit_code for row, _ in pairs) or profile.kind == "ip":
        return
    first: dict[tuple, tuple[ParsedRow, Outcome]] = {}
    for row, out in pairs:
        if out.enterprise_id is None or (
            out.status not in WRITTEN_STATUSES and out.status != RowStatus.UNCHANGED
        ):
            continue
        if profile.kind == "tag":
            key = (out.enterprise_id, row.item.get("tag"), row.item.get("year"))
        else:
            key = (out.enterprise_id, tuple(sorted(row.years)))
        if key not in first:
            first[key] = (row, out)
            continue
        earlier, earlier_out = first[key]
        if (row.firm, row.years, row.item) == (earlier.firm, earlier.years, earlier.item):
            out.status = RowStatus.DUPLICATE
            out.errors.append(
                {
                    "col": None,
                    "column": "",
                    "reason": f"与第 {earlier.line} 行是同一企业、内容相同（不重复导入）",
                }
            )
            continue
        for o, other in ((out, earlier), (earlier_out, row)):
            o.status = RowStatus.ERROR
            o.errors.append(
                {
                    "col": None,
                    "column": "",
                    "reason": f"与第 {other.line} 行是同一企业（同一年度），但数值不同",
                }
            )


def classify_rows(
    actor,
    profile: Profile,
    rows: list[ParsedRow],
    duplicates: dict[int, int],
    progress: Progress | None = None,
):
    """(row, outcome or None, status) for every row of `rows` (in line order): the preview."""
    clean = [r for r in rows if not r.errors and r.line not in duplicates]
    classifier = Classifier(actor, profile, clean)
    out = []
    total = len(rows)
    for n, row in enumerate(rows, start=1):
        if row.errors:
            out.append((row, None, RowStatus.ERROR))
        elif row.line in duplicates:
            out.append((row, None, RowStatus.DUPLICATE))
        else:
            outcome = classifier.classify(row)
            out.append((row, outcome, outcome.status))
        if progress and n % 10_000 == 0:
            progress(n, total, "与企业库比对")
    _same_firm(profile, [(row, o) for row, o, _ in out if o is not None])
    return [(row, o, o.status if o is not None else status) for row, o, status in out]


@bulk.without_cycle_collection
def batch_stage(
    *,
    actor,
    path: str | Path,
    profile: str,
    file_name: str | None = None,
    year: int | None = None,
    synthetic: bool = False,
    progress: Progress | None = None,
) -> ImportBatch:
    """Read `path` with `profile`, compare every row with the registry and keep the result as a staged
    batch (the preview). Raises ImportFileError, writing nothing, when the file cannot be read."""
    decision = can_import(actor)
    if not decision:
        raise PermissionDenied(decision.reason)
    prof = _profile(profile)
    can_write_source(actor, prof.department).enforce()  # whose files this officer may bring in
    try:
        read = read_rows(path, prof, file_name=file_name, year=year, progress=progress)
    except FileProblem as exc:
        raise ImportFileError(exc) from exc
    mark = recheck.registry_mark()  # before the registry is read
    clean = [r for r in read.parsed if not r.errors and r.line not in read.duplicates]
    plain, lines = frames.preview(actor, prof, clean, read.plain)
    classified = classify_rows(actor, prof, read.rows_except(lines), read.duplicates, progress)
    counts: dict[str, int] = {}
    conflicts = 0
    for _, out, status in classified:
        counts[status] = counts.get(status, 0) + 1
        conflicts += bool(out and out.conflicts)
    if plain is not None:
        for status, n in plain.group_by("status").len().iter_rows():
            counts[RowStatus(status)] = counts.get(RowStatus(status), 0) + n
        conflicts += plain["has_conflict"].sum()
    same = same_file_batch(prof, read.sha256)
    notes = list(read.notes)
    if same is not None:
        notes.insert(
            0, f"与批次 #{same.pk}（{timezone.localtime(same.decided_at):%Y-%m-%d %H:%M}）导入的文件完全相同"
        )
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            profile=prof.code,
            profile_version=prof.version,
            profile_digest=prof.digest,
            department=prof.department,
            file_name=read.file[:200],
            file_sha256=read.sha256,
            file_size=read.size,
            sheet=read.sheet.name[:100],
            year=year,
            synthetic=synthetic or read.synthetic,
            region_id=actor.region_id,
            created_by=actor,
            same_file_as=same,
            header=read.layout.header_rows,
            mapping=[c.describe() for c in read.layout.columns],
            summary={"rows": read.count, "counts": counts, "conflicts": conflicts},
            notes=notes,
            registry_mark=mark,
        )
        if plain is not None:
            plain = plain.select(pl.lit(batch.pk).alias("batch"), *plain.columns)
        if plain is not None and not classified:
            bulk.insert_frame(StagedRow, plain)
        else:
            staged = _staged_rows(batch, classified)
            if plain is not None:
                staged = heapq.merge(staged, plain.iter_rows(), key=operator.itemgetter(1))
            bulk.insert(StagedRow, STAGED_COLUMNS, staged)
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            target=batch,
            new={
                "status": batch.status,
                "file": batch.file_name,
                "sha256": batch.file_sha256,
                "profile": batch.profile,
                "rows": read.count,
            },
            reason=f"暂存导入预览 {batch.file_name}",
        )
    return batch


def _from_staged(sr: dict) -> ParsedRow:
    """The parsed row back from a staged row's fields (`values()`), dates by their target's kind."""

    def typed(d: dict) -> dict:
        return {
            k: (
                date.fromisoformat(v)
                if isinstance(v, str) and k in TARGETS and TARGETS[k].kind == Kind.DATE
                else v
            )
            for k, v in d.items()
        }

    v = sr["values"]
    return ParsedRow(
        line=sr["line"],
        credit_code=sr["credit_code"],
        name=sr["name"],
        county=sr["county_code"],
        firm=typed(v["firm"]) if "firm" in v else {},
        years={int(y): d for y, d in v["years"].items()} if "years" in v else {},  # numbers only
        item=typed(v["item"]) if "item" in v else {},
    )


def _json_column(items: list) -> list:
    """JSON texts decoded in one call (a call per row costs as much again as the decoding); values the
    driver decoded already (PostgreSQL) are kept."""
    if not items or not isinstance(items[0], str):
        return items
    return json.loads(f"[{','.join(items)}]")


def _staged_pairs(actor, batch: ImportBatch, profile: Profile, staged: list[dict]) -> list[tuple]:
    """(parsed row, the outcome its preview found when that still holds, else None: compare again) per staged
    row. The preview holds for the changed rows of yearly figures of a registered firm (no registration
    field, no item, no confirmed match) when nothing they were compared with can have changed since
    (`recheck`); such a row's outcome has what `write_batch` reads: the years with a change, each with all
    the row's figures of that year (as `Classifier._compare_year` finds them)."""
    firm_changes = bool(profile.updates_enterprise)  # otherwise a row's changes are all yearly
    quick = [
        sr["status"] == RowStatus.CHANGED
        and profile.kind == "facts"
        and sr["enterprise_id"] is not None
        and not sr["confirmed_by_id"]
        and sr["values"].keys() == {"years"}
        and not (firm_changes and any(c["year"] is None for c in _changes(sr)))
        for sr in staged
    ]
    ids = sorted({sr["enterprise_id"] for sr, q in zip(staged, quick, strict=True) if q})
    if not ids or not recheck.unchanged_since(batch.registry_mark, actor, ids):
        return [(_from_staged(sr), None) for sr in staged]
    extras = frozenset(EXTRA_FIELDS) & set(profile.columns)
    pairs = []
    for sr, q in zip(staged, quick, strict=True):
        if not q:
            pairs.append((_from_staged(sr), None))
            continue
        years = {int(y): v for y, v in sr["values"]["years"].items()}
        changed = years if len(years) == 1 else {c["year"] for c in _changes(sr)}
        write = {
            y: {
                "report": {k: v for k, v in years[y].items() if k not in extras},
                "extra": {k: v for k, v in years[y].items() if k in extras},
            }
            for y in sorted(changed)
        }
        row = ParsedRow(sr["line"], sr["credit_code"], sr["name"], sr["county_code"], years=years)
        pairs.append((row, Outcome(RowStatus.CHANGED, sr["enterprise_id"], write_years=write)))
    return pairs


def _changes(sr: dict) -> list[dict]:
    if isinstance(sr["changes"], str):
        sr["changes"] = json.loads(sr["changes"])
    return sr["changes"]


def _locked(actor, batch: ImportBatch, *allowed: str) -> tuple[ImportBatch, Profile]:
    decision = can_import(actor)
    if not decision:
        raise PermissionDenied(decision.reason)
    batch = batch_for_actor(actor, batch.pk, queryset=ImportBatch.objects.select_for_update())
    if batch.status not in allowed:
        raise ValidationFailed(f"批次 #{batch.pk} 当前状态为“{batch.get_status_display()}”，不能执行此操作")
    return batch, _profile(batch.profile)


def row_confirm_match(*, actor, row: StagedRow, enterprise_id: int | None) -> StagedRow:
    """The officer picks the firm a row without a credit code means (one of its candidates), or none."""
    with transaction.atomic():
        batch, profile = _locked(actor, row.batch, BatchStatus.STAGED)
        row = StagedRow.objects.select_for_update().get(pk=row.pk, batch=batch)
        if row.status != RowStatus.UNMATCHED and not row.confirmed_by_id:
            raise ValidationFailed("该行不需要确认企业")
        if enterprise_id is None:
            row.confirmed_by, row.enterprise_id = None, None
            row.status, row.changes, row.conflicts = RowStatus.UNMATCHED, [], []
        else:
            if enterprise_id not in {c["id"] for c in row.candidates}:
                raise ValidationFailed("只能从列出的候选企业中选择")
            parsed = _from_staged(
                {
                    "line": row.line,
                    "credit_code": row.credit_code,
                    "name": row.name,
                    "county_code": row.county_code,
                    "values": row.values,
                }
            )
            out = Classifier(actor, profile, [parsed], {row.line: enterprise_id}).classify(parsed)
            row.confirmed_by, row.enterprise_id = actor, enterprise_id
            row.status, row.changes, row.conflicts = out.status, out.changes, out.conflicts
            row.has_conflict = bool(out.conflicts)
        row.save()
        counts: dict[str, int] = {}
        conflicts = 0
        for status, conflict in batch.rows.values_list("status", "has_conflict"):
            counts[status] = counts.get(status, 0) + 1
            conflicts += conflict
        batch.summary = {**batch.summary, "counts": counts, "conflicts": conflicts}
        batch.save(update_fields=["summary"])
        audit_record(
            actor=actor,
            action=AuditAction.DECISION,
            target=row,
            old={"batch": batch.pk, "line": row.line, "name": row.name},
            new={"enterprise_id": enterprise_id, "status": row.status},
            reason=f"确认导入批次 #{batch.pk} 第 {row.line} 行对应的企业" if enterprise_id else "取消确认",
        )
    return row


@bulk.without_cycle_collection
def batch_commit(
    *, actor, batch: ImportBatch, reason: str = "", progress: Progress | None = None
) -> ImportBatch:
    """Write the batch's new and changed rows to the registry in one transaction. The comparison runs again
    against the registry as it is now (and the committing officer's scope): what became unchanged or
    out of scope since the preview is skipped. A batch with nothing to write commits as "no change"."""
    with transaction.atomic():
        batch, profile = _locked(actor, batch, BatchStatus.STAGED)
        if profile.digest != batch.profile_digest:
            raise ValidationFailed(f"导入模板“{profile.title}”在预览后已更新，请重新上传文件")
        # Straight from the cursor (Django's per-row JSON converter costs more than the query).
        columns = STAGED_READ
        staged = [
            dict(zip(columns, r, strict=True))
            for r in fetch(batch.rows.filter(status__in=WRITTEN_STATUSES).values_list(*columns))
        ]
        for sr, values in zip(staged, _json_column([sr["values"] for sr in staged]), strict=True):
            sr["values"] = values
        pairs = _staged_pairs(actor, batch, profile, staged)
        again = [row for row, out in pairs if out is None]
        if again:
            confirmed = {sr["line"]: sr["enterprise_id"] for sr in staged if sr["confirmed_by_id"]}
            classifier = Classifier(actor, profile, again, confirmed)
            pairs = [(row, out or classifier.classify(row)) for row, out in pairs]
        _same_firm(profile, pairs)
        moved: dict[str, list[int]] = {}
        for sr, (_, out) in zip(staged, pairs, strict=True):
            if out.status != sr["status"]:
                moved.setdefault(out.status, []).append(sr["pk"])
        for status, pks in moved.items():
            for i in range(0, len(pks), STAGE_BATCH):
                StagedRow.objects.filter(pk__in=pks[i : i + STAGE_BATCH]).update(status=status)
        moved_count = sum(map(len, moved.values()))
        try:
            with transaction.atomic():
                written = write_batch(
                    batch=batch,
                    profile=profile,
                    actor=actor,
                    pairs=pairs,
                    progress=progress,
                )
        except IntegrityError as exc:  # a database rule the row checks missed: nothing is written
            raise ValidationFailed(f"写入企业库时违反数据约束，未导入任何数据：{exc}") from exc
        batch.status = BatchStatus.COMMITTED
        batch.decided_by, batch.decided_at = actor, timezone.now()
        batch.reason = reason[:500]
        batch.summary = {**batch.summary, "written": written, "changed_since_preview": moved_count}
        batch.save()
        audit_record(
            actor=actor,
            action=AuditAction.IMPORT,
            target=batch,
            new={
                "file": batch.file_name,
                "sha256": batch.file_sha256,
                "profile": batch.profile,
                "written": written,
            },
            reason=reason
            or f"导入 {batch.file_name}（{profile.title}）" + ("：无变化" if not written else ""),
        )
        if written:
            transaction.on_commit(lambda: _start_reevaluation(actor, batch))
    return batch


def _start_reevaluation(actor, batch: ImportBatch) -> None:
    """After a commit the firms it touched are re-evaluated (snapshots and ledger) in a background job."""
    start_job(
        actor=actor,
        kind="ledger.reevaluate",
        func_path="gaoqi.intake.services.reevaluate_batch",
        kwargs={"batch_id": batch.pk, "as_of": timezone.localdate().isoformat()},
        restartable=True,
    )


def reevaluate_batch(*, batch_id: int, as_of: str, progress: Progress | None = None) -> dict:
    """The job: re-evaluate the firms whose figures or IP an import wrote."""
    batch = ImportBatch.objects.get(pk=batch_id)
    ids: set[int] = set()
    if batch.source_id:
        for model in (AnnualReport, IntellectualProperty, Certificate):
            ids.update(
                model.objects.filter(source_id=batch.source_id).values_list("enterprise_id", flat=True)
            )
    if not ids:
        return {"summary": "没有需要重新评价的企业"}
    result = reevaluate(as_of=date.fromisoformat(as_of), enterprise_ids=sorted(ids), progress=progress)
    tally.refresh()  # the ledger summary's counts, current again (else every summary counts live)
    return {"summary": f"导入 {batch.file_name} 涉及的 {result.firms} 家企业已重新评价", "url": "/ledger/"}


def batch_discard(*, actor, batch: ImportBatch, reason: str = "") -> ImportBatch:
    """Drop a staged batch: its rows go, the record and an audit event stay."""
    with transaction.atomic():
        batch, _ = _locked(actor, batch, BatchStatus.STAGED)
        batch.rows.all().delete()
        batch.status = BatchStatus.DISCARDED
        batch.decided_by, batch.decided_at, batch.reason = actor, timezone.now(), reason[:500]
        batch.save()
        audit_record(
            actor=actor,
            action=AuditAction.DECISION,
            target=batch,
            new={"status": BatchStatus.DISCARDED, "file": batch.file_name},
            reason=reason or f"放弃导入 {batch.file_name}",
        )
    return batch


def batch_revert(*, actor, batch: ImportBatch, reason: str) -> ImportBatch:
    """Undo a committed batch as a whole: its values removed, the values it replaced restored."""
    if not (reason or "").strip():
        raise ValidationFailed("撤销导入须填写原因", [{"field": "reason", "reason": "必填"}])
    with transaction.atomic():
        batch, _ = _locked(actor, batch, BatchStatus.COMMITTED)
        counts = revert_batch(batch=batch, actor=actor)
        batch.status = BatchStatus.REVERTED
        batch.reverted_by, batch.reverted_at, batch.reason = actor, timezone.now(), reason[:500]
        batch.summary = {**batch.summary, "reverted": counts}
        batch.save()
        audit_record(
            actor=actor,
            action=AuditAction.DELETE,
            target=batch,
            old={"file": batch.file_name, "written": batch.summary.get("written", {})},
            new={"status": BatchStatus.REVERTED, "removed": counts},
            reason=reason,
        )
    return batch
