"""The demo's tech-SME applications: made through the services, in several phases, numbers marked synthetic."""

import pytest
from django.utils import timezone

from gaoqi.demo.accounts import ensure_demo_accounts
from gaoqi.demo.generator import generate
from gaoqi.demo.loader import load
from gaoqi.demo.programmes import PLAN, ensure_demo_applications
from gaoqi.ledger.services import reevaluate
from gaoqi.workflow.models import Application


@pytest.mark.django_db
def test_demo_applications_in_several_phases():
    today = timezone.localdate()
    load(generate(1500, 7, today), progress=False)
    reevaluate(as_of=today)
    ensure_demo_accounts()
    n = ensure_demo_applications()
    phases = sorted(Application.objects.values_list("phase", flat=True))
    assert n == len(phases) == 8
    assert phases == sorted(PLAN)  # every firm picked from the ledger's 应评尽评 list passes the evaluation
    registered = Application.objects.filter(phase="registered")
    assert all(a.reference_no.startswith("SYN-") and a.synthetic for a in registered)
    assert ensure_demo_applications() == 0  # idempotent
