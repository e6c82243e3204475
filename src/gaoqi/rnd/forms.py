"""Forms that parse what the R&D pages post; the rules live in the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from gaoqi.rnd.models import ActionTier, InstitutionKind, InstitutionLevel, InstitutionStatus

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class InstitutionForm(forms.Form):
    credit_code = forms.CharField(label=_("依托企业统一社会信用代码"), max_length=18)
    name = forms.CharField(label=_("研发机构名称"), max_length=120)
    kind = forms.ChoiceField(label=_("类型"), choices=InstitutionKind.choices)
    level = forms.ChoiceField(label=_("级别"), choices=InstitutionLevel.choices)
    recognized_on = forms.DateField(label=_("认定日期"), widget=DATE)
    source = forms.CharField(label=_("来源（认定文件或名单）"), max_length=200, required=False)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), choices=InstitutionStatus.choices)
    ended_on = forms.DateField(label=_("撤销或失效日期"), widget=DATE, required=False)
    reason = forms.CharField(label=_("变更原因"), max_length=500)


class PerformanceForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2019, max_value=2100)
    rnd_spend = forms.IntegerField(label=_("研发机构经费支出（元）"), min_value=0)
    revenue = forms.IntegerField(label=_("依托企业销售收入（元）"), min_value=0)
    rnd_staff = forms.IntegerField(label=_("研发机构专职研发人员"), min_value=0)
    employees = forms.IntegerField(label=_("依托企业职工总数"), min_value=0)
    invention_patents = forms.IntegerField(label=_("当年授权发明专利（Ⅰ类）"), min_value=0)
    other_ip = forms.IntegerField(label=_("当年其他知识产权（Ⅱ类）"), min_value=0)
    key_breakthroughs = forms.IntegerField(label=_("关键技术突破"), min_value=0)
    reason = forms.CharField(label=_("说明"), max_length=500, required=False)


class TagForm(forms.Form):
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=18)
    tier = forms.ChoiceField(
        label=_("研发机构建设行动"), choices=[("", _("（取消标记）")), *ActionTier.choices], required=False
    )
    year = forms.IntegerField(label=_("纳入年度"), min_value=2019, max_value=2100, required=False)


class UploadForm(forms.Form):
    file = forms.FileField(label=_("名单文件（xlsx / csv）"))
