"""GB/T 2260 administrative divisions: province → city → county.

The six-digit code carries the tree (PP CC DD), so ancestors are known from the code alone and every
region stores its province and city codes: "all regions under X" is one indexed equality filter.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    PROVINCE = "province", _("省")
    CITY = "city", _("设区市")
    COUNTY = "county", _("县（市、区）")


class Region(models.Model):
    code = models.CharField(_("行政区划代码"), max_length=6, primary_key=True)
    name = models.CharField(_("名称"), max_length=40)
    name_en = models.CharField(_("英文名称"), max_length=60, blank=True)
    level = models.CharField(_("层级"), max_length=8, choices=Level.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    province_code = models.CharField(max_length=6, db_index=True)
    city_code = models.CharField(max_length=6, blank=True, db_index=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level="province", parent__isnull=True) | models.Q(parent__isnull=False),
                name="region_parent_unless_province",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_province(self) -> bool:
        return self.level == Level.PROVINCE

    def ancestor_codes(self) -> list[str]:
        """Codes from the province down to this region, inclusive."""
        codes = [self.province_code]
        if self.city_code and self.city_code != self.province_code:
            codes.append(self.city_code)
        if self.code not in codes:
            codes.append(self.code)
        return codes

    def contains(self, other: "Region") -> bool:
        """True when `other` is this region or lies under it."""
        return other.code in {self.code} or self.code in other.ancestor_codes()
