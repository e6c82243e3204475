"""Users, their role and the one region or organisation they act for."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PROVINCE_OFFICER = "province_officer", _("省级管理员")
    CITY_OFFICER = "city_officer", _("市级管理员")
    COUNTY_OFFICER = "county_officer", _("县级管理员")
    ENTERPRISE = "enterprise", _("企业用户")
    EXPERT = "expert", _("评审专家")
    SERVICE_AGENCY = "service_agency", _("服务机构")


OFFICER_ROLES = {Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.COUNTY_OFFICER}
OFFICER_LEVEL = {Role.PROVINCE_OFFICER: "province", Role.CITY_OFFICER: "city", Role.COUNTY_OFFICER: "county"}


class ServiceAgency(models.Model):
    name = models.CharField(_("机构名称"), max_length=100, unique=True)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, verbose_name=_("所在地区"))

    class Meta:
        verbose_name = _("服务机构")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    display_name = models.CharField(_("姓名"), max_length=60, blank=True)
    region = models.ForeignKey(
        "regions.Region", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("管辖地区")
    )
    enterprise = models.ForeignKey(
        "registry.Enterprise", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("所属企业")
    )
    agency = models.ForeignKey(
        ServiceAgency, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("所属服务机构")
    )

    class Meta:
        verbose_name = _("用户")
        constraints = [
            # Each role is bound to exactly what scopes it; the database refuses anything else.
            models.CheckConstraint(
                condition=(
                    Q(
                        role__in=sorted(r.value for r in OFFICER_ROLES),
                        region__isnull=False,
                        enterprise__isnull=True,
                        agency__isnull=True,
                    )
                    | Q(
                        role=Role.ENTERPRISE,
                        enterprise__isnull=False,
                        region__isnull=True,
                        agency__isnull=True,
                    )
                    | Q(
                        role=Role.SERVICE_AGENCY,
                        agency__isnull=False,
                        region__isnull=True,
                        enterprise__isnull=True,
                    )
                    # An expert's region is the pool they belong to (none: the provincial pool); it grants
                    # no access to the registry (scope.enterprise_q), only says which officers manage them.
                    | Q(role=Role.EXPERT, enterprise__isnull=True, agency__isnull=True)
                ),
                name="user_role_binding",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def is_officer(self) -> bool:
        return self.role in OFFICER_ROLES


class AgencyAssignment(models.Model):
    """A service agency coaches an enterprise (跟踪辅导). Written by gaoqi.accounts.services (audited)."""

    agency = models.ForeignKey(ServiceAgency, on_delete=models.CASCADE, related_name="assignments")
    enterprise = models.ForeignKey("registry.Enterprise", on_delete=models.CASCADE, related_name="+")
    assigned_on = models.DateField(_("指派日期"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "enterprise"], name="agency_enterprise_once")
        ]


class ApiToken(models.Model):
    """A bearer token for the REST API. Only its SHA-256 is stored; the key is shown once. Every token
    expires (`expires_at`; GAOQI_API_TOKEN_DAYS by default); an expired token authenticates nobody."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("到期时间"))

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, label: str = "", days: int | None = None) -> tuple["ApiToken", str]:
        """A new token valid for `days` (default GAOQI_API_TOKEN_DAYS). Checks belong to the service."""
        days = days or settings.GAOQI_API_TOKEN_DAYS
        key = "gq_" + secrets.token_urlsafe(32)
        expires_at = timezone.now() + timedelta(days=days)
        return cls.objects.create(user=user, digest=cls.hash(key), label=label, expires_at=expires_at), key

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()
