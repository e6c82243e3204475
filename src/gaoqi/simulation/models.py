"""Policy simulation (政策模拟): named reforms (a policy's parameters overridden, as the engine's what-if) and
their runs over the whole register. Nothing here changes a policy: production parameters change only with a
new dated parameter file (`gaoqi/policy/policies/<policy>/params/`)."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class Reform(models.Model):
    name = models.CharField(_("方案名称"), max_length=100, unique=True)
    policy = models.CharField(_("政策"), max_length=24)
    as_of = models.DateField(_("评价基准日"))
    overrides = models.JSONField(
        _("参数修改"), default=dict
    )  # {parameter: value in the parameter files' notation}
    note = models.CharField(_("说明"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("政策模拟方案")
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.name


class Run(models.Model):
    """One run of a reform over the register, frozen: the overrides and date it used, the parameter hashes."""

    reform = models.ForeignKey(Reform, on_delete=models.CASCADE, related_name="runs")
    policy = models.CharField(max_length=24)
    as_of = models.DateField(_("评价基准日"))
    overrides = models.JSONField(default=dict)
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    baseline_hash = models.CharField(max_length=64, blank=True)
    reform_hash = models.CharField(max_length=64, blank=True)
    summary = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("政策模拟运行")
        ordering = ["-started_at", "-id"]


class Change(models.Model):
    """A firm whose outcome differs between the baseline and the reform, with the criteria that flipped."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="changes")
    enterprise = models.ForeignKey("registry.Enterprise", on_delete=models.CASCADE, related_name="+")
    city = models.CharField(max_length=6)
    county = models.CharField(max_length=6)
    baseline = models.CharField(max_length=16)
    reform = models.CharField(max_length=16)
    criteria = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["city", "county", "enterprise_id"]
        indexes = [models.Index(fields=["run", "city", "county"], name="simchange_run_region")]
