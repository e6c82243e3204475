"""The left menu per role: one greppable table."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gaoqi.accounts.models import Role

OFFICERS = {Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.COUNTY_OFFICER}

NAVIGATION = (
    # (url name, label, roles)
    ("web:home", _("工作台"), OFFICERS | {Role.ENTERPRISE, Role.EXPERT, Role.SERVICE_AGENCY}),
    ("web:enterprise_list", _("企业库"), OFFICERS | {Role.SERVICE_AGENCY}),
    ("web:my_enterprise", _("本企业"), {Role.ENTERPRISE}),
    ("api-1.0.0:openapi-view", _("接口文档"), OFFICERS),
)


def navigation_for(user) -> list[dict]:
    return [{"url": reverse(name), "label": label, "name": name}
            for name, label, roles in NAVIGATION if user.role in roles]
