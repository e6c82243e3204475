"""The officer a monitoring command acts as (default: the first active province officer)."""

from django.core.management.base import CommandError

from gaoqi.accounts.models import OFFICER_ROLES, Role, User


def officer(username: str | None) -> User:
    qs = User.objects.filter(is_active=True, role__in=sorted(OFFICER_ROLES))
    actor = (
        qs.filter(username=username).first()
        if username
        else qs.filter(role=Role.PROVINCE_OFFICER).order_by("pk").first()
    )
    if actor is None:
        raise CommandError(
            f"没有名为 {username} 的管理员账号" if username else "没有省级管理员账号，请用 --user 指定"
        )
    return actor
