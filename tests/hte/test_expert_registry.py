"""The expert registry fields (issue 9 §2): technical experts by field and sub-field, financial experts by
qualification (CPA, tax adviser, senior title with 10 years), availability and load limit; audited."""

import pytest

from gaoqi.audit.models import AuditEvent
from gaoqi.errors import ValidationFailed
from gaoqi.experts import services
from gaoqi.experts.models import ExpertKind, ExpertProfile
from tests import factories

pytestmark = pytest.mark.django_db


def test_technical_expert_fields_and_implied_parent(world):
    e = factories.expert_user()
    p = services.registry_set(
        actor=world["province"], expert=e, kind=ExpertKind.TECHNICAL, tech_fields=["101", "203"]
    )
    assert p.tech_fields == ["10", "101", "20", "203"]
    assert AuditEvent.objects.filter(target_type="experts.expertprofile", target_id=str(p.pk)).exists()
    with pytest.raises(ValidationFailed):
        services.registry_set(
            actor=world["province"], expert=e, kind=ExpertKind.TECHNICAL, tech_fields=["999"]
        )
    with pytest.raises(ValidationFailed):
        services.registry_set(actor=world["province"], expert=e, kind=ExpertKind.TECHNICAL, tech_fields=[])


def test_financial_expert_qualifications(world):
    e = factories.expert_user()
    with pytest.raises(ValidationFailed):
        services.registry_set(actor=world["province"], expert=e, kind=ExpertKind.FINANCIAL)
    with pytest.raises(ValidationFailed):  # a senior title needs 10 years
        services.registry_set(
            actor=world["province"], expert=e, kind=ExpertKind.FINANCIAL,
            financial_qualification="senior_title", practice_years=9,
        )  # fmt: skip
    p = services.registry_set(
        actor=world["province"], expert=e, kind=ExpertKind.FINANCIAL,
        financial_qualification="senior_title", practice_years=10, load_limit=3, available=False,
    )  # fmt: skip
    assert (p.kind, p.load_limit, p.available, p.tech_fields) == ("financial", 3, False, [])
    assert (
        services.registry_set(
            actor=world["province"], expert=e, kind=ExpertKind.FINANCIAL, financial_qualification="cpa"
        ).financial_qualification
        == "cpa"
    )


def test_only_an_administering_officer(world):
    e = factories.expert_user()
    with pytest.raises(ValidationFailed):
        services.registry_set(
            actor=world["ks_user"], expert=e, kind=ExpertKind.FINANCIAL, financial_qualification="cpa"
        )
    assert not ExpertProfile.objects.filter(user=e).exists()


def test_registry_over_the_api(world):
    from django.test import Client

    e = factories.expert_user()
    c = Client()
    c.force_login(world["province"])
    r = c.put(f"/api/hte/experts/{e.pk}/registry", {"kind": "technical", "tech_fields": ["702"], "load_limit": 4},
              content_type="application/json")  # fmt: skip
    assert r.status_code == 200 and r.json()["tech_fields"] == ["70", "702"]
    r = c.put(f"/api/hte/experts/{e.pk}/registry", {"kind": "financial"}, content_type="application/json")
    assert r.status_code == 422
    firm = Client()
    firm.force_login(world["ks_user"])
    assert firm.put(f"/api/hte/experts/{e.pk}/registry", {"kind": "financial", "financial_qualification": "cpa"},
                    content_type="application/json").status_code == 404  # fmt: skip
