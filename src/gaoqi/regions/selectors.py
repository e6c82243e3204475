"""Region reads. Regions are public reference data; enterprise scope lives in gaoqi.accounts.scope."""

from functools import lru_cache

from gaoqi.regions.models import Level, Region


def region_list(*, level: str | None = None, parent_code: str | None = None):
    qs = Region.objects.all()
    if level:
        qs = qs.filter(level=level)
    if parent_code:
        qs = qs.filter(parent_id=parent_code)
    return qs


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    return dict(Region.objects.values_list("code", "name"))


def region_name(code: str | None) -> str:
    """Display name for a code (cached: the division table is fixed reference data)."""
    if not code:
        return ""
    return _names().get(code, code)


def cities():
    return Region.objects.filter(level=Level.CITY)
