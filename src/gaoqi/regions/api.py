from ninja import Router, Schema

from gaoqi.regions.selectors import region_list

router = Router(tags=["regions"])


class RegionOut(Schema):
    code: str
    name: str
    name_en: str
    level: str
    parent_code: str | None


@router.get("", response=list[RegionOut])
def list_regions(request, level: str | None = None, parent_code: str | None = None):
    """GB/T 2260 divisions (public reference data)."""
    return [
        RegionOut(code=r.code, name=r.name, name_en=r.name_en, level=r.level, parent_code=r.parent_id)
        for r in region_list(level=level, parent_code=parent_code)
    ]
