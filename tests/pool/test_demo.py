"""The demo's pool applications: made through the services, in several phases, a first admitted batch."""

from collections import Counter

import pytest
from django.utils import timezone

from gaoqi.demo.accounts import ensure_demo_accounts
from gaoqi.demo.generator import generate
from gaoqi.demo.loader import load
from gaoqi.demo.programmes import POOL_PLAN, ensure_demo_pool
from gaoqi.ledger.services import reevaluate
from gaoqi.programmes.pool.models import PoolRecord
from gaoqi.workflow.models import Application


@pytest.mark.django_db
def test_demo_pool_in_several_phases(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    today = timezone.localdate()
    load(generate(3000, 7, today), progress=False)
    reevaluate(as_of=today)
    ensure_demo_accounts()
    n = ensure_demo_pool()
    phases = Counter(Application.objects.filter(programme="pool").values_list("phase", flat=True))
    print(n, phases)
    assert n == len(POOL_PLAN)
    assert phases["admitted"] == 3 and phases["in_notice"] == 1 and phases["expert_review"] == 2
    assert phases["reviewed"] == 0 and phases["draft"] == 1 and phases["submitted"] == 2
    admitted = PoolRecord.objects.filter(admitted_on__isnull=False)
    assert admitted.count() == 3 and all(r.batch_no == 1 and r.expert_score for r in admitted)
    assert all(
        a.reference_no.startswith("SYN-PY") and a.synthetic
        for a in Application.objects.filter(phase="admitted")
    )
    assert ensure_demo_pool() == 0  # idempotent
