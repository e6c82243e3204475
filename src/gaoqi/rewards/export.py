"""Entitlements and payouts as an Excel workbook for the finance bureau (XlsxWriter, constant memory)."""

from __future__ import annotations

import tempfile
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from gaoqi.rewards.models import EntitlementStatus, RewardKind
from gaoqi.rewards.selectors import RewardFilter, entitlements, payouts

ENTITLEMENT_COLUMNS = (
    "序号",
    "统一社会信用代码",
    "企业名称",
    "设区市",
    "县（市、区）",
    "发放单位",
    "年度",
    "奖励类型",
    "金额（元）",
    "状态",
    "超预算批准",
    "审核意见",
    "审核时间",
    "计算依据",
    "奖励办法",
    "参数哈希",
)
PAYOUT_COLUMNS = (
    "序号",
    "统一社会信用代码",
    "企业名称",
    "发放单位",
    "年度",
    "奖励类型",
    "拨付金额（元）",
    "拨付日期",
    "凭证号",
    "登记人",
)


def yuan(fen: int) -> Decimal:
    return Decimal(fen) / 100


def export_rewards(*, actor, filters: RewardFilter) -> str:
    """Write the filtered entitlements and their payouts to a temporary .xlsx; return its path (the caller
    streams and deletes it). Amounts in yuan with two decimals; illustrative schemes are marked."""
    import xlsxwriter

    handle = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)
    handle.close()
    book = xlsxwriter.Workbook(handle.name, {"constant_memory": True, "default_date_format": "yyyy-mm-dd"})
    head = book.add_format({"bold": True, "bg_color": "#E8EEF7"})
    money = book.add_format({"num_format": "#,##0.00"})
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    kinds, statuses = dict(RewardKind.choices), dict(EntitlementStatus.choices)

    sheet = book.add_worksheet(_("奖励核定"))
    sheet.write_row(0, 0, [_(c) for c in ENTITLEMENT_COLUMNS], head)
    sheet.set_column(1, 1, 22)
    sheet.set_column(2, 2, 32)
    sheet.set_column(13, 13, 60)
    total = 0
    i = 0
    for i, e in enumerate(entitlements(actor=actor, filters=filters).iterator(chunk_size=2000), start=1):
        crit = e.explanation.get("criterion", {})
        threshold = (crit.get("threshold") or {}).get("text", "")
        scheme = e.scheme + (_("（示例参数）") if e.illustrative and _("示例") not in e.scheme else "")
        sheet.write_row(
            i,
            0,
            (
                i,
                e.enterprise.credit_code,
                e.enterprise.name,
                e.enterprise.city.name,
                e.enterprise.county.name,
                e.issuer.name,
                e.year,
            ),
        )
        sheet.write_string(i, 7, str(kinds[e.kind]))
        sheet.write_number(i, 8, yuan(e.amount), money)
        sheet.write_string(i, 9, str(statuses[e.status]))
        sheet.write_string(i, 10, _("是") if e.over_commitment else _("否"))
        sheet.write_string(i, 11, e.decision_reason)
        if e.decided_at:
            sheet.write_datetime(i, 12, timezone.localtime(e.decided_at).replace(tzinfo=None), stamp)
        sheet.write_string(i, 13, threshold)
        sheet.write_string(i, 14, scheme)
        sheet.write_string(i, 15, e.param_hash[:12])
        total += e.amount
    sheet.write_string(i + 1, 7, _("合计"), head)
    sheet.write_number(i + 1, 8, yuan(total), money)

    sheet = book.add_worksheet(_("拨付记录"))
    sheet.write_row(0, 0, [_(c) for c in PAYOUT_COLUMNS], head)
    sheet.set_column(1, 1, 22)
    sheet.set_column(2, 2, 32)
    paid = 0
    j = 0
    for j, p in enumerate(payouts(actor=actor, year=filters.year, issuer=filters.issuer).iterator(), start=1):
        e = p.entitlement
        sheet.write_row(j, 0, (j, e.enterprise.credit_code, e.enterprise.name, e.issuer.name, e.year))
        sheet.write_string(j, 5, str(kinds[e.kind]))
        sheet.write_number(j, 6, yuan(p.amount), money)
        sheet.write_datetime(j, 7, p.paid_on)
        sheet.write_string(j, 8, p.voucher_no)
        sheet.write_string(j, 9, str(p.recorded_by))
        paid += p.amount
    sheet.write_string(j + 1, 5, _("合计"), head)
    sheet.write_number(j + 1, 6, yuan(paid), money)
    book.close()
    return handle.name
