"""Demo service records (synthetic): the demo agency's coaching of its firms, logged through the real service.

Dates are relative to today, so the demo always shows overdue follow-ups, follow-ups due soon and closed ones.
`ensure_demo_service_records` is idempotent: it writes nothing when the agency's firms already have records.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from gaoqi.accounts.models import AgencyAssignment
from gaoqi.coaching.models import ServiceKind, ServiceRecord
from gaoqi.coaching.services import service_record_create

FIRMS_WITH_RECORDS = 12

VISIT = (
    "上门走访，梳理研发项目立项资料和研发费用辅助账，讲解高新技术企业认定条件。（演示）",
    "协助企业准备研发费用专项审计资料。",
)
TRAINING = (
    "组织参加高新技术企业申报政策培训，讲解知识产权布局和高新技术产品（服务）收入归集。（演示）",
    "企业计划新申请 2 件实用新型专利，下次回访核对受理情况。",
)
CHECK = ("核查科技人员名册与社保缴纳记录，科技人员占比核实无误。（演示）", "")
REMOTE = ("电话回访，了解研发费用加计扣除申报进度。（演示）", "")

# Per firm (cycling): (kind, texts, served days ago, follow-up days from today or None, logged by the officer)
PLANS = (
    # an overdue follow-up
    ((ServiceKind.VISIT, VISIT, 60, -15, False),),
    # a closed follow-up (a later record exists), then one due within the month
    ((ServiceKind.CHECK, CHECK, 120, -100, True), (ServiceKind.TRAINING, TRAINING, 40, 10, False)),
    # no follow-up asked
    ((ServiceKind.REMOTE, REMOTE, 20, None, False),),
)


def ensure_demo_service_records(*, agency_user, officer) -> int:
    """Records for the first FIRMS_WITH_RECORDS firms assigned to the demo agency. Returns how many were made."""
    firms = [
        a.enterprise
        for a in AgencyAssignment.objects.filter(agency_id=agency_user.agency_id)
        .select_related("enterprise", "enterprise__city")
        .order_by("enterprise_id")[:FIRMS_WITH_RECORDS]
    ]
    if not firms or ServiceRecord.objects.filter(enterprise__in=firms).exists():
        return 0
    today = timezone.localdate()
    made = 0
    for i, firm in enumerate(firms):
        for kind, (content, next_step), ago, follow_up, by_officer in PLANS[i % len(PLANS)]:
            service_record_create(
                actor=officer if by_officer else agency_user,
                enterprise=firm,
                kind=kind,
                served_on=today - timedelta(days=ago),
                content=content,
                next_step=next_step,
                follow_up_on=None if follow_up is None else today + timedelta(days=follow_up),
            )
            made += 1
    return made
