"""Every role against the transitions of a Kunshan (Suzhou) firm's application: allowed, refused with a reason
(in reach, wrong role or level: 403), or not found (out of reach: 404, like a missing application)."""

import pytest

from gaoqi.errors import NotFound, PermissionDenied
from gaoqi.workflow.models import Application
from gaoqi.workflow.services import transition
from tests.workflow.conftest import start, submitted

pytestmark = pytest.mark.django_db

ROLES = ("province", "suzhou", "kunshan", "nanjing", "ks_user", "wz_user", "expert", "agency")
# Who may accept a submitted application, and how the others are refused.
ACCEPT = {
    "province": "ok",
    "suzhou": 403,
    "kunshan": 403,
    "ks_user": 403,
    "nanjing": 404,
    "wz_user": 404,
    "expert": 404,
    "agency": 404,
}
# Who may submit a draft.
SUBMIT = {
    "ks_user": "ok",
    "province": 403,
    "suzhou": 403,
    "kunshan": 403,
    "nanjing": 404,
    "wz_user": 404,
    "expert": 404,
    "agency": 404,
}


def _expect(expected, call):
    if expected == "ok":
        return call()
    with pytest.raises(PermissionDenied if expected == 403 else NotFound):
        call()
    return None


@pytest.mark.parametrize("role", ROLES)
def test_accept(sme_world, role):
    app = submitted(sme_world)
    _expect(
        ACCEPT[role],
        lambda: transition(actor=sme_world[role], application=app, action="accept", version=app.version),
    )
    assert Application.objects.get(pk=app.pk).phase == ("accepted" if ACCEPT[role] == "ok" else "submitted")


@pytest.mark.parametrize("role", ROLES)
def test_submit(sme_world, role):
    app = start(sme_world["ks_user"], sme_world["ks"])
    _expect(
        SUBMIT[role],
        lambda: transition(actor=sme_world[role], application=app, action="submit", version=app.version),
    )
    assert Application.objects.get(pk=app.pk).phase == ("submitted" if SUBMIT[role] == "ok" else "draft")


@pytest.mark.parametrize("role", ROLES)
def test_return_needs_the_province_and_a_reason(sme_world, role):
    app = submitted(sme_world)
    expected = ACCEPT[role]
    _expect(
        expected,
        lambda: transition(
            actor=sme_world[role], application=app, action="return", reason="请补充", version=app.version
        ),
    )
