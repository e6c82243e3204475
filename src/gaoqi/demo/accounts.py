"""The demo accounts, one per role, with fixed documented passwords (a local demo only), and the demo
agency's service records (demo/coaching.py).

`ensure_demo_accounts()` is idempotent: a second run changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from gaoqi.accounts.models import AgencyAssignment, Role, ServiceAgency, User
from gaoqi.demo.coaching import ensure_demo_service_records
from gaoqi.registry.models import Enterprise

AGENCY_NAME = "苏州科创企业服务中心（演示）"
AGENCY_FIRMS = 20


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: Role
    label: str  # shown in the start-up table
    region: str | None = None
    path: str = "/enterprises/"


DEMO_ACCOUNTS = (
    DemoAccount("province", "province-demo", Role.PROVINCE_OFFICER, "省级管理员（江苏省）", "320000"),
    DemoAccount("suzhou", "suzhou-demo", Role.CITY_OFFICER, "市级管理员（苏州市）", "320500"),
    DemoAccount("kunshan", "kunshan-demo", Role.COUNTY_OFFICER, "县级管理员（昆山市）", "320583"),
    DemoAccount("enterprise", "enterprise-demo", Role.ENTERPRISE, "企业用户（昆山）", path="/my-enterprise/"),
    DemoAccount("expert", "expert-demo", Role.EXPERT, "评审专家", path="/"),
    DemoAccount("agency", "agency-demo", Role.SERVICE_AGENCY, f"服务机构（{AGENCY_NAME}）"),
)
DEMO_USERNAMES = tuple(a.username for a in DEMO_ACCOUNTS)


def _demo_firm() -> Enterprise | None:
    """A Kunshan firm without a valid HTE certificate, with three years of facts: a cultivation candidate."""
    today = timezone.localdate()
    kunshan = Enterprise.objects.filter(county_id="320583").order_by("id")
    candidate = (
        kunshan.exclude(hte_valid_until__gte=today).filter(founded_on__lt=date(today.year - 3, 1, 1)).first()
    )
    return candidate or kunshan.first() or Enterprise.objects.order_by("id").first()


def _agency_firms() -> list[Enterprise]:
    today = timezone.localdate()
    suzhou = Enterprise.objects.filter(city_id="320500").order_by("id")
    firms = list(suzhou.filter(Q(hte_valid_until__isnull=True) | Q(hte_valid_until__lt=today))[:AGENCY_FIRMS])
    return firms or list(suzhou[:AGENCY_FIRMS])


def real_data_reasons() -> list[str]:
    """Why the database holds data that is not the generated demo data set (empty list: it does not).

    Synthetic data is marked by its data sources (`DataSource.synthetic`, whose note records the id range
    of the firms the load created, gaoqi.demo.loader); anything else came from a real import or entry."""
    from gaoqi.demo.loader import synthetic_enterprise_ids
    from gaoqi.registry.models import DataSource

    reasons = []
    sources = DataSource.objects.filter(synthetic=False).count()
    if sources:
        reasons.append(f"{sources} 个非合成数据来源（部门导入或企业填报）")
    synthetic = Q(pk__in=[])
    for lo, hi in synthetic_enterprise_ids():
        synthetic |= Q(id__range=(lo, hi))
    firms = Enterprise.objects.exclude(synthetic).count()
    if firms:
        reasons.append(f"{firms} 家非合成企业")
    return reasons


def refuse_real_data(*, allow_real_data: bool = False) -> None:
    """The demo accounts' passwords are published: they are never added to a database holding real
    (non-synthetic) data unless `allow_real_data`. Raises DemoDataError saying why. Nothing is added (and
    nothing refused) when every demo account exists already."""
    from gaoqi.demo.loader import DemoDataError

    present = set(User.objects.filter(username__in=DEMO_USERNAMES).values_list("username", flat=True))
    if allow_real_data or present >= set(DEMO_USERNAMES):
        return
    if reasons := real_data_reasons():
        raise DemoDataError(
            "数据库中有非合成数据（" + "、".join(reasons) + "）：演示账号的密码是公开的，"
            "不能添加到存有真实数据的数据库。请为演示使用单独的数据库（GAOQI_VAR_DIR 或 DATABASE_URL），"
            "或确认后加 --allow-real-data。"
        )


def ensure_demo_accounts(*, allow_real_data: bool = False) -> list[tuple[DemoAccount, User]]:
    """Create the demo accounts that are missing; leave existing ones as they are. Refuses a database with
    real data (`refuse_real_data`)."""
    refuse_real_data(allow_real_data=allow_real_data)
    out = []
    with transaction.atomic():
        agency, _ = ServiceAgency.objects.get_or_create(name=AGENCY_NAME, defaults={"region_id": "320500"})
        if not AgencyAssignment.objects.filter(agency=agency).exists():
            AgencyAssignment.objects.bulk_create(
                [
                    AgencyAssignment(agency=agency, enterprise=f, assigned_on=timezone.localdate())
                    for f in _agency_firms()
                ]
            )
        for account in DEMO_ACCOUNTS:
            user = User.objects.filter(username=account.username).first()
            if user is None:
                binding = {"region_id": account.region}
                if account.role == Role.ENTERPRISE:
                    firm = _demo_firm()
                    if firm is None:
                        continue  # no enterprises yet: nothing to bind an enterprise user to
                    binding = {"enterprise": firm}
                elif account.role == Role.SERVICE_AGENCY:
                    binding = {"agency": agency}
                user = User.objects.create_user(
                    username=account.username,
                    password=account.password,
                    role=account.role,
                    display_name=account.label,
                    **binding,
                )
            out.append((account, user))
        users = {account.username: user for account, user in out}
        if "agency" in users and "suzhou" in users:
            ensure_demo_service_records(agency_user=users["agency"], officer=users["suzhou"])
    return out
