"""Programme-specific records. The applications themselves live in gaoqi.workflow (one generic table)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Invitation(models.Model):
    """应评尽评: an officer invites a firm that passes the tech-SME evaluation but has not applied."""

    programme = models.CharField(_("项目"), max_length=24)
    year = models.PositiveSmallIntegerField(_("年度"))
    enterprise = models.ForeignKey("registry.Enterprise", on_delete=models.CASCADE, related_name="+")
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(_("邀请时间"))

    class Meta:
        verbose_name = _("评价邀请")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "year", "enterprise"], name="invitation_once_a_year"
            ),
        ]
