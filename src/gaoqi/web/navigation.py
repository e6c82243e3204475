"""The left menu per role: one greppable table."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gaoqi.accounts.models import Role

OFFICERS = {Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.COUNTY_OFFICER}
EVERYONE = OFFICERS | {Role.ENTERPRISE, Role.EXPERT, Role.SERVICE_AGENCY}

NAVIGATION = (
    # (url name, label, icon (gaoqi_ui.ICONS), roles, also active under this address)
    ("web:home", _("工作台"), "home", EVERYONE, None),
    ("web:enterprise_list", _("企业库"), "list", OFFICERS, None),
    ("ledger:ledger", _("培育台账"), "list", OFFICERS, None),
    ("web:enterprise_list", _("服务企业"), "list", {Role.SERVICE_AGENCY}, None),
    ("web:my_enterprise", _("本企业"), "firm", {Role.ENTERPRISE}, "web:enterprise_list"),
    ("web:follow_up_list", _("待跟进"), "clock", OFFICERS | {Role.SERVICE_AGENCY}, None),
    ("workflow:inbox", _("待办事项"), "clock", OFFICERS | {Role.ENTERPRISE}, None),
    ("programmes:queue", _("科技型中小企业评价"), "list", OFFICERS, "programmes:tech_sme"),
    ("programmes:tech_sme", _("科技型中小企业评价"), "list", {Role.ENTERPRISE}, None),
    ("pool:queue", _("培育库入库"), "list", OFFICERS, "pool:home"),
    ("pool:home", _("高企培育库入库"), "list", {Role.ENTERPRISE}, None),
    ("pool:expert_home", _("专家评审"), "list", {Role.EXPERT}, None),
    ("hte:home", _("高企认定"), "list", OFFICERS | {Role.ENTERPRISE}, None),
    ("hte:expert_home", _("高企认定评审"), "list", {Role.EXPERT}, None),
    ("hte:decisions", _("认定公示与报备"), "list", {Role.PROVINCE_OFFICER}, None),
    ("hte:after", _("高企认定后管理"), "list", OFFICERS, None),
    ("workflow:notice_list", _("公示"), "list", OFFICERS, None),
    ("workflow:notifications", _("通知"), "list", EVERYONE, None),
    ("rewards:list", _("奖励兑现"), "list", OFFICERS, None),
    ("rewards:list", _("我的奖励"), "list", {Role.ENTERPRISE}, None),
    ("web:agency_list", _("服务机构"), "agency", OFFICERS, None),
    ("web:account_list", _("账号管理"), "users", OFFICERS, None),
    ("jobs:list", _("后台任务"), "list", OFFICERS, None),
    ("targets:progress", _("目标任务与考核"), "list", OFFICERS, None),
    ("monitoring:dashboard", _("高企培育监测"), "list", OFFICERS, None),
    ("alerts:list", _("监测预警"), "clock", OFFICERS, None),
    ("simulation:index", _("政策模拟"), "list", {Role.PROVINCE_OFFICER}, None),
    ("rnd:list", _("企业研发机构"), "list", OFFICERS, None),
    ("intake:batch_list", _("数据导入"), "list", OFFICERS, None),
    ("api-1.0.0:openapi-view", _("接口文档"), "api", OFFICERS, None),
)


def navigation_for(user, path: str = "") -> list[dict]:
    """The menu entries `user` sees; the one whose address is the longest prefix of `path` is active."""
    items = [
        {
            "url": reverse(name),
            "label": label,
            "icon": icon,
            "name": name,
            "active": False,
            "prefixes": [reverse(name)] + ([reverse(also)] if also else []),
        }
        for name, label, icon, roles, also in NAVIGATION
        if user.role in roles
    ]
    best, best_len = None, -1
    for item in items:
        for prefix in item["prefixes"]:
            if (path == prefix or (prefix != "/" and path.startswith(prefix))) and len(prefix) > best_len:
                best, best_len = item, len(prefix)
    if best:
        best["active"] = True
    return items
