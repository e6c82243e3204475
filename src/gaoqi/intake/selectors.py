"""Reads of import batches. An officer sees the batches uploaded in their region and the regions under it."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gaoqi.accounts.scope import Decision
from gaoqi.errors import NotFound
from gaoqi.intake.models import ImportBatch, RowStatus, StagedRow
from gaoqi.registry.selectors import checked_page, checked_per_page

ROW_VIEWS = {
    # view code -> (label, filter): the preview's tabs
    "new_firm": (gettext_lazy("新企业"), Q(status=RowStatus.NEW_FIRM)),
    "changed": (gettext_lazy("有变化"), Q(status=RowStatus.CHANGED)),
    "conflict": (gettext_lazy("与其他部门不一致"), Q(has_conflict=True)),
    "unchanged": (gettext_lazy("无变化"), Q(status=RowStatus.UNCHANGED)),
    "unmatched": (gettext_lazy("待确认企业"), Q(status=RowStatus.UNMATCHED)),
    "out_of_scope": (gettext_lazy("不在管辖范围"), Q(status=RowStatus.OUT_OF_SCOPE)),
    "unknown_firm": (gettext_lazy("企业未登记"), Q(status=RowStatus.UNKNOWN_FIRM)),
    "error": (gettext_lazy("有错误"), Q(status=RowStatus.ERROR)),
    "duplicate": (gettext_lazy("重复行"), Q(status=RowStatus.DUPLICATE)),
}


ERROR_STATUSES = (RowStatus.ERROR, RowStatus.UNKNOWN_FIRM)


def can_import(actor) -> Decision:
    """Officers import department files (for the firms of their region: each row is checked in scope)."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return Decision(False, _("请先登录"))
    if not actor.is_officer:
        return Decision(False, _("仅科技管理部门可导入数据"))
    return Decision(True)


def _visible(actor) -> Q:
    if not can_import(actor):
        return Q(pk__in=[])
    code = actor.region_id
    return Q(region_id=code) | Q(region__city_code=code) | Q(region__province_code=code)


def batches_for_actor(*, actor, page: int = 1, per_page: int = 20):
    qs = ImportBatch.objects.filter(_visible(actor)).select_related("created_by", "decided_by", "region")
    return checked_page(Paginator(qs.order_by("-created_at", "-id"), checked_per_page(per_page)), page)


def batch_for_actor(actor, pk: int, queryset: QuerySet | None = None) -> ImportBatch:
    """The batch if `actor` may see it; NotFound alike for missing and forbidden."""
    qs = ImportBatch.objects.all() if queryset is None else queryset
    batch = qs.filter(_visible(actor)).filter(pk=pk).first()
    if batch is None:
        raise NotFound(str(_("对象不存在或无权访问")))
    return batch


def batch_rows(*, actor, batch: ImportBatch, view: str, page: int = 1, per_page: int = 50):
    batch = batch_for_actor(actor, batch.pk)
    condition = ROW_VIEWS[view][1]
    qs = StagedRow.objects.filter(batch=batch).filter(condition).order_by("line")
    return checked_page(Paginator(qs, checked_per_page(per_page)), page)


def view_counts(batch: ImportBatch) -> list[tuple[str, str, int]]:
    """(view code, label, rows) for the preview's tabs, from the batch summary (no query)."""
    counts = batch.summary.get("counts", {})
    out = []
    for code, (label, _condition) in ROW_VIEWS.items():
        n = batch.summary.get("conflicts", 0) if code == "conflict" else counts.get(code, 0)
        out.append((code, label, n))
    return out


def error_rows(batch: ImportBatch):
    return StagedRow.objects.filter(batch=batch, status__in=ERROR_STATUSES).order_by("line")


def staged_row(*, batch: ImportBatch, pk: int) -> StagedRow | None:
    """A row of a batch already checked with `batch_for_actor`."""
    return StagedRow.objects.filter(batch=batch, pk=pk).first()
