"""Notifications: stored in the platform (the bell and its list page) and sent by e-mail through Django's mail
backend after the transaction commits (console backend in the demo). Queued in bulk: a batch decision on
thousands of applications writes its notifications with one insert and sends with one connection."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import mail
from django.db import transaction
from django.utils import timezone

from gaoqi.accounts.models import Role, User
from gaoqi.workflow.models import Notification
from gaoqi.workflow.table import NOTIFY_ENTERPRISE, NOTIFY_NEXT_ACTORS, Programme

log = logging.getLogger(__name__)
OFFICER_ROLE_CODES = {Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.COUNTY_OFFICER}


def _region_codes(application) -> set[str]:
    return {application.city_id[:2] + "0000", application.city_id, application.county_id}


class Recipients:
    """Looks the recipients of many applications up with two queries, then answers per application."""

    def __init__(self, applications):
        firm_ids = {a.enterprise_id for a in applications}
        codes = set().union(*(_region_codes(a) for a in applications)) if applications else set()
        self.firm_users: dict[int, list[User]] = {}
        for u in User.objects.filter(role=Role.ENTERPRISE, is_active=True, enterprise_id__in=firm_ids):
            self.firm_users.setdefault(u.enterprise_id, []).append(u)
        self.officers: dict[tuple[str, str], list[User]] = {}
        for u in User.objects.filter(role__in=OFFICER_ROLE_CODES, is_active=True, region_id__in=codes):
            self.officers.setdefault((u.role, u.region_id), []).append(u)

    def for_transition(self, programme: Programme, application, targets: tuple[str, ...]) -> list[User]:
        users: dict[int, User] = {}
        if NOTIFY_ENTERPRISE in targets:
            users.update((u.pk, u) for u in self.firm_users.get(application.enterprise_id, ()))
        if NOTIFY_NEXT_ACTORS in targets:
            roles = {r for t in programme.actions_from(application.phase) if t.inbox for r in t.roles}
            for code in _region_codes(application):
                for role in roles & OFFICER_ROLE_CODES:
                    users.update((u.pk, u) for u in self.officers.get((role, code), ()))
        return list(users.values())


def build(user, *, title: str, body: str = "", url: str = "", application=None, now=None) -> Notification:
    return Notification(
        user=user,
        title=title[:200],
        body=body,
        url=url,
        application=application,
        created_at=now or timezone.now(),
        email=Notification.Email.QUEUED if user.email else Notification.Email.NONE,
    )


def queue(notifications: list[Notification]) -> list[Notification]:
    """Store the notifications (inside the caller's transaction) and send their e-mails once it commits."""
    if not notifications:
        return []
    Notification.objects.bulk_create(notifications, batch_size=500)
    if any(n.email == Notification.Email.QUEUED for n in notifications):
        # bulk_create sets primary keys on SQLite and PostgreSQL alike.
        ids = [n.pk for n in notifications if n.email == Notification.Email.QUEUED]
        transaction.on_commit(lambda: send_emails(ids))
    return notifications


def send_emails(ids: list[int]) -> int:
    """Send the queued e-mails of these notifications through one connection; mark them sent or failed."""
    pending = list(
        Notification.objects.filter(pk__in=ids, email=Notification.Email.QUEUED).select_related("user")
    )
    if not pending:
        return 0
    site = getattr(settings, "GAOQI_SITE_URL", "")
    messages = [
        mail.EmailMessage(
            subject=f"【高企培育平台】{n.title}",
            body=f"{n.body}\n\n{site}{n.url}".strip(),
            to=[n.user.email],
        )
        for n in pending
    ]
    try:
        with mail.get_connection() as connection:
            sent = connection.send_messages(messages) or 0
        status = Notification.Email.SENT
    except Exception:  # the platform notification stands; the mail is retried by nobody but reported
        log.exception("sending %d notification e-mails failed", len(messages))
        sent, status = 0, Notification.Email.FAILED
    Notification.objects.filter(pk__in=[n.pk for n in pending]).update(email=status)
    return sent


def notify_users(users, *, title: str, body: str = "", url: str = "", application=None) -> list[Notification]:
    """Notify some users outside a transition (reminders, invitations)."""
    now = timezone.now()
    return queue([build(u, title=title, body=body, url=url, application=application, now=now) for u in users])


def mark_read(*, actor, ids: list[int] | None = None) -> int:
    """Mark the actor's own notifications read (all unread ones when `ids` is None)."""
    qs = Notification.objects.filter(user=actor, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())
