from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """mapping[key] in a template (counts by tier, advice by firm); empty when absent."""
    return mapping.get(key, "") if hasattr(mapping, "get") else ""
