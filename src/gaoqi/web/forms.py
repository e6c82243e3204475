"""Forms that parse what pages post. They only parse: the rules live in the services, whose errors
(ValidationFailed, PermissionDenied) are put back on the form by `apply_errors`."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from gaoqi.accounts.models import Role
from gaoqi.coaching.models import ServiceKind
from gaoqi.errors import ApplicationError, ValidationFailed

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def first_error(exc: ApplicationError) -> str:
    """The message to flash for a failed action: the first field's reason, else the error's message."""
    errors = exc.errors if isinstance(exc, ValidationFailed) else []
    return errors[0]["reason"] if errors else exc.message


def apply_errors(form: forms.Form, exc: ApplicationError) -> forms.Form:
    """Put a service's errors on the form: each on its field when the form has it, else on the whole form."""
    errors = exc.errors if isinstance(exc, ValidationFailed) else []
    for error in errors:
        field = error.get("field")
        form.add_error(field if field in form.fields else None, error["reason"])
    if not errors:
        form.add_error(None, exc.message)
    return form


class ServiceRecordForm(forms.Form):
    # Date and content are checked by the service (with the other rules, all errors at once); the browser
    # asks for them first (the widgets' `required`).
    kind = forms.ChoiceField(label=_("服务类型"), choices=ServiceKind.choices)
    served_on = forms.DateField(
        label=_("服务日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "required": True}, format="%Y-%m-%d"),
    )
    content = forms.CharField(
        label=_("服务内容"), required=False, widget=forms.Textarea(attrs={"rows": 3, "required": True})
    )
    next_step = forms.CharField(
        label=_("下一步工作"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    follow_up_on = forms.DateField(label=_("跟进日期"), required=False, widget=DATE)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=500, required=False)


class AgencyForm(forms.Form):
    name = forms.CharField(label=_("机构名称"), max_length=100)
    region = forms.ChoiceField(label=_("所在地区"))
    reason = forms.CharField(label=_("备注"), max_length=500, required=False)

    def __init__(self, *args, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [(r.code, r.name) for r in regions]


class AssignForm(forms.Form):
    credit_codes = forms.CharField(
        label=_("统一社会信用代码"),
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("每行一个，可一次指派多家企业")}),
    )
    reason = forms.CharField(label=_("原因"), max_length=500, required=False)

    def codes(self) -> list[str]:
        text = self.cleaned_data["credit_codes"].upper().replace(",", " ").replace("，", " ")
        return list(dict.fromkeys(text.split()))


class AccountForm(forms.Form):
    """One form for every role; the fields a role does not use are dropped by __init__."""

    username = forms.CharField(label=_("用户名"), max_length=40)
    display_name = forms.CharField(label=_("姓名或名称"), max_length=60, required=False)
    region = forms.ChoiceField(label=_("地区"), required=False)
    credit_code = forms.CharField(label=_("企业统一社会信用代码"), max_length=18, required=False)
    agency = forms.ChoiceField(label=_("服务机构"), required=False)
    reason = forms.CharField(label=_("备注"), max_length=500, required=False)

    def __init__(self, *args, role: str, regions=(), agencies=(), region_optional=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.role = role
        self.regions = {r.code: r for r in regions}
        self.agencies = {str(a.pk): a for a in agencies}
        if role in (Role.CITY_OFFICER, Role.COUNTY_OFFICER, Role.EXPERT):
            blank = [("", _("省级专家库（不绑定地区）"))] if region_optional else []
            self.fields["region"].choices = blank + [(r.code, r.name) for r in regions]
            self.fields["region"].required = not region_optional
        else:
            del self.fields["region"]
        if role == Role.ENTERPRISE:
            self.fields["credit_code"].required = True
        else:
            del self.fields["credit_code"]
        if role == Role.SERVICE_AGENCY:
            self.fields["agency"].choices = [(str(a.pk), a.name) for a in agencies]
            self.fields["agency"].required = True
        else:
            del self.fields["agency"]

    def chosen_region(self):
        return self.regions.get(self.cleaned_data.get("region") or "")

    def chosen_agency(self):
        return self.agencies.get(self.cleaned_data.get("agency") or "")


class TokenForm(forms.Form):
    label = forms.CharField(label=_("用途说明"), max_length=60, required=False)
    # Range checked by the service (api_token_issue); empty: the platform's default validity.
    days = forms.IntegerField(
        label=_("有效期（天）"), required=False, widget=forms.NumberInput(attrs={"min": 1})
    )
    reason = forms.CharField(label=_("原因"), max_length=500, required=False)
