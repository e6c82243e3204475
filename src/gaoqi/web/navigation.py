"""The left menu per role: one greppable table."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gaoqi.accounts.models import Role

OFFICERS = {Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.COUNTY_OFFICER}
EVERYONE = OFFICERS | {Role.ENTERPRISE, Role.EXPERT, Role.SERVICE_AGENCY}

NAVIGATION = (
    # (url name, label, icon (gaoqi_ui.ICONS), roles)
    ("web:home", _("工作台"), "home", EVERYONE),
    ("web:enterprise_list", _("企业库"), "list", OFFICERS),
    ("web:enterprise_list", _("服务企业"), "list", {Role.SERVICE_AGENCY}),
    ("web:my_enterprise", _("本企业"), "firm", {Role.ENTERPRISE}),
    ("api-1.0.0:openapi-view", _("接口文档"), "api", OFFICERS),
)


def navigation_for(user, path: str = "") -> list[dict]:
    """The menu entries `user` sees; the one whose address is the longest prefix of `path` is active."""
    items = [{"url": reverse(name), "label": label, "icon": icon, "name": name, "active": False}
             for name, label, icon, roles in NAVIGATION if user.role in roles]
    matches = [i for i in items if path == i["url"] or (i["url"] != "/" and path.startswith(i["url"]))]
    if matches:
        max(matches, key=lambda i: len(i["url"]))["active"] = True
    return items
