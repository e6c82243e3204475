"""Template context shared by every page: the role's navigation and the synthetic-data label."""

from django.conf import settings

from gaoqi.web.navigation import navigation_for


def shell(request):
    user = getattr(request, "user", None)
    return {
        "nav_items": navigation_for(user, request.path) if user and user.is_authenticated else [],
        "synthetic_data": _synthetic(),
    }


def _synthetic() -> bool:
    if not settings.GAOQI_SYNTHETIC_BANNER:
        return False
    from gaoqi.registry.models import DataSource

    return DataSource.objects.filter(synthetic=True).exists()
