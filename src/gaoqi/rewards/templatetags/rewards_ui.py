from django import template

register = template.Library()

STATUS_BADGE = {
    "computed": "badge-pending",
    "approved": "badge-pass",
    "rejected": "badge-fail",
    "paid": "badge-done",
}


@register.filter
def yuan(fen) -> str:
    """Integer fen -> "1,234.50" (yuan, two decimals, thousands separators); "" when unknown."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole:,}.{cents:02d}"


@register.filter
def status_badge(status: str) -> str:
    return STATUS_BADGE.get(status, "badge-na")
