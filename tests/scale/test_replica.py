"""The read-replica router (gaoqi.replica) with two real databases: "default" and a separate "replica" (see
conftest). A firm written through a service lands on the primary only; pages that opt in read the replica,
except inside a transaction or after a write; without a configured replica nothing changes."""

from __future__ import annotations

import pytest
from django.core.signals import request_finished, request_started
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext, override_settings

from gaoqi.accounts.models import Role
from gaoqi.regions.models import Region
from gaoqi.registry.models import Enterprise, TechField
from gaoqi.registry.selectors import enterprise_list
from gaoqi.replica import ReplicaRouter, reading_alias, replica_reads
from tests import factories

pytestmark = pytest.mark.django_db(
    transaction=True, serialized_rollback=True, databases=["default", "replica"]
)
WRITES = ("INSERT", "UPDATE", "DELETE")


def _copy_reference_data() -> None:
    """What replication would have brought over: the regions and tech fields the firms point at."""
    with transaction.atomic(using="replica"):
        if not Region.objects.using("replica").exists():
            Region.objects.using("replica").bulk_create(list(Region.objects.using("default").all()))
            TechField.objects.using("replica").bulk_create(list(TechField.objects.using("default").all()))


def _replicate(firm: Enterprise, name: str) -> None:
    """The firm as the replica holds it, under another name so that a read shows where it came from."""
    Enterprise.objects.using("replica").create(
        id=firm.pk,
        credit_code=firm.credit_code,
        name=name,
        county_id=firm.county_id,
        city_id=firm.city_id,
        founded_on=firm.founded_on,
    )


@pytest.fixture(autouse=True)
def _replica_audit_guard(request):
    """The replica's flush after each test meets the audit log's guard too (tests/conftest.py opens it for
    the primary only)."""
    from gaoqi.audit.guard import set_unlocked

    request.getfixturevalue("_django_db_helper")  # set up first, so flushed after this fixture's end
    set_unlocked(False, connections["replica"])
    yield
    set_unlocked(True, connections["replica"])


@pytest.fixture
def two_dbs():
    _copy_reference_data()
    province = factories.province_admin()
    officer = factories.officer(Role.CITY_OFFICER, "320500")
    return {"province": province, "officer": officer}


@override_settings(GAOQI_READ_REPLICA="replica")
def test_writes_never_reach_the_replica(two_dbs):
    with CaptureQueriesContext(connections["replica"]) as on_replica, replica_reads():
        firm = factories.enterprise("320583", name="昆山写入测试有限公司", actor=two_dbs["province"])
        firm.name = "昆山改名测试有限公司"
        firm.save()
        Enterprise.objects.filter(pk=firm.pk).update(above_scale=True)
    assert not [q for q in on_replica.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)]
    assert Enterprise.objects.using("default").filter(name="昆山改名测试有限公司", above_scale=True).exists()
    assert not Enterprise.objects.using("replica").exists()
    router = ReplicaRouter()
    on_replica_obj = Enterprise(name="x")
    on_replica_obj._state.db = "replica"
    assert router.db_for_write(Enterprise, instance=on_replica_obj) == "default"


@override_settings(GAOQI_READ_REPLICA="replica")
def test_opted_in_selectors_read_the_replica(two_dbs, client):
    firm = factories.enterprise("320583", name="昆山主库名称有限公司", actor=two_dbs["province"])
    _replicate(firm, "昆山副本名称有限公司")
    officer = two_dbs["officer"]
    # Not opted in: the primary.
    assert [e.name for e in enterprise_list(actor=officer).object_list] == ["昆山主库名称有限公司"]
    # Opted in: the replica (a new block, outside any request: the firm's creation above does not count).
    with replica_reads():
        assert reading_alias() == "replica"
        assert [e.name for e in enterprise_list(actor=officer).object_list] == ["昆山副本名称有限公司"]
    # The list page opts in: rendered from the replica, the session and user read from the primary.
    client.force_login(officer)
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        response = client.get("/enterprises/")
    assert response.status_code == 200
    assert "昆山副本名称有限公司" in response.content.decode()
    assert "昆山主库名称有限公司" not in response.content.decode()
    assert any("registry_enterprise" in q["sql"] for q in on_replica.captured_queries)
    assert not any("django_session" in q["sql"] for q in on_replica.captured_queries)


@override_settings(GAOQI_READ_REPLICA="replica")
def test_transactions_and_writes_keep_reads_on_the_primary(two_dbs):
    firm = factories.enterprise("320583", name="昆山主库名称有限公司", actor=two_dbs["province"])
    _replicate(firm, "昆山副本名称有限公司")
    with replica_reads():
        with transaction.atomic():
            assert reading_alias() == "default"
            assert Enterprise.objects.get(pk=firm.pk).name == "昆山主库名称有限公司"
        assert Enterprise.objects.get(pk=firm.pk).name == "昆山副本名称有限公司"
        Enterprise.objects.filter(pk=firm.pk).update(above_scale=True)  # a write in the block
        assert reading_alias() == "default"
        assert Enterprise.objects.get(pk=firm.pk).name == "昆山主库名称有限公司"
    # Outside the block: the primary again.
    assert reading_alias() == "default"


@override_settings(GAOQI_READ_REPLICA="replica")
def test_a_request_that_wrote_reads_the_primary(two_dbs):
    """A write earlier in the same request (before the view's opted-in block) keeps its reads on the primary;
    the next request reads the replica again."""
    firm = factories.enterprise("320583", name="昆山主库名称有限公司", actor=two_dbs["province"])
    _replicate(firm, "昆山副本名称有限公司")
    request_started.send(sender=None)
    try:
        Enterprise.objects.filter(pk=firm.pk).update(above_scale=True)
        with replica_reads():
            assert Enterprise.objects.get(pk=firm.pk).name == "昆山主库名称有限公司"
    finally:
        request_finished.send(sender=None)
    request_started.send(sender=None)
    try:
        with replica_reads():
            assert Enterprise.objects.get(pk=firm.pk).name == "昆山副本名称有限公司"
    finally:
        request_finished.send(sender=None)


def test_without_a_configured_replica_everything_stays_on_the_primary(two_dbs):
    firm = factories.enterprise("320583", name="昆山主库名称有限公司", actor=two_dbs["province"])
    _replicate(firm, "昆山副本名称有限公司")
    with replica_reads():
        assert reading_alias() == "default"
        assert ReplicaRouter().db_for_read(Enterprise) is None
        assert Enterprise.objects.get(pk=firm.pk).name == "昆山主库名称有限公司"


def test_the_router_never_migrates_elsewhere_on_its_own():
    assert ReplicaRouter().allow_migrate("replica", "registry") is None
