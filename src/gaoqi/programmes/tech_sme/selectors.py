"""Reads of the tech-SME programme, scoped through gaoqi.accounts.scope."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from gaoqi.accounts.scope import scope_applications, scope_related
from gaoqi.ledger.models import LedgerEntry
from gaoqi.ledger.selectors import LISTS
from gaoqi.programmes.models import Invitation
from gaoqi.programmes.tech_sme.declaration import CODE
from gaoqi.workflow.models import Application


def my_applications(*, actor) -> QuerySet:
    """A firm's own applications (an officer: those in scope), newest first."""
    return (
        scope_applications(actor)
        .filter(programme=CODE)
        .select_related("enterprise")
        .order_by("-created_at", "-id")
    )


def campaign(*, actor, year: int) -> QuerySet:
    """应评尽评: the ledger's firms that pass the tech-SME evaluation and hold no registration, in the officer's
    scope, with whether they were invited this year and whether they have applied since."""
    invited = Invitation.objects.filter(programme=CODE, year=year, enterprise_id=OuterRef("enterprise_id"))
    applied = Application.objects.filter(
        programme=CODE, year__gte=year, enterprise_id=OuterRef("enterprise_id")
    )
    return (
        scope_related(actor, LedgerEntry.objects.filter(LISTS["sme_due"]), "enterprise")
        .annotate(invited=Exists(invited), applied=Exists(applied))
        .select_related("enterprise", "county")
        .order_by("city_id", "county_id", "name_pinyin")
    )
