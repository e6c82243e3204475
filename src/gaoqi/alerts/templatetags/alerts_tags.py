"""`{% alerts_panel %}`: the officer's active alert counts, for the home page."""

from django import template

from gaoqi.alerts.rules import RULES

register = template.Library()


@register.inclusion_tag("alerts/_panel.html", takes_context=True)
def alerts_panel(context):
    from gaoqi.alerts.selectors import alert_counts

    user = context["request"].user
    if not getattr(user, "is_officer", False):
        return {"show": False}
    counts = alert_counts(actor=user)
    rows = [(r.code, r.label, counts["by_rule"].get(r.code, 0)) for r in RULES if r.check]
    return {"show": True, "counts": counts, "rows": rows}


@register.filter
def alert_rule_label(code: str) -> str:
    from gaoqi.alerts.rules import rule_label

    return rule_label(code)


@register.filter
def alert_role_label(role: str) -> str:
    from gaoqi.accounts.models import Role

    return str(Role(role).label) if role in Role.values else role
