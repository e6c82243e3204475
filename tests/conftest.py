import os

import pytest
from hypothesis import settings as hypothesis_settings

from gaoqi.accounts.models import Role
from tests import factories

# Tests stay deterministic: property tests draw the same examples on every run (`make test`, CI).
# HYPOTHESIS_PROFILE=explore searches afresh with more examples when hunting for new edge cases.
hypothesis_settings.register_profile("default", derandomize=True, database=None, print_blob=True)
hypothesis_settings.register_profile("explore", max_examples=500, derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """PBKDF2 at production strength costs ~0.5 s per user; tests create thousands of users."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db):
    """Two cities' firms and one actor of every role: the cast of the scope tests.

    Suzhou (320500): Kunshan (320583) firm `ks`, Wuzhong (320506) firm `wz`; Nanjing (320100): `nj`.
    """
    province = factories.province_admin()
    ks = factories.enterprise("320583", name="昆山测试科技有限公司", actor=province)
    wz = factories.enterprise("320506", name="吴中测试科技有限公司", actor=province)
    nj = factories.enterprise("320115", name="南京江宁测试科技有限公司", actor=province)
    w = {
        "province": province,
        "suzhou": factories.officer(Role.CITY_OFFICER, "320500"),
        "nanjing": factories.officer(Role.CITY_OFFICER, "320100"),
        "kunshan": factories.officer(Role.COUNTY_OFFICER, "320583"),
        "ks": ks,
        "wz": wz,
        "nj": nj,
        "ks_user": factories.enterprise_user(ks),
        "expert": factories.expert_user(),
        "agency": factories.agency_user([wz]),
    }
    return w


@pytest.fixture(autouse=True)
def _reference_data(request):
    """The reference data the migrations load (divisions, tech fields, zones, standing schedules) is there for every test that
    uses the database. A transactional test's flush can remove it; on PostgreSQL, with xdist's file
    distribution, a later test on the same worker then found no regions (seen in a full run)."""
    wanted = [f for f in ("transactional_db", "db") if f in request.fixturenames]
    marker = request.node.get_closest_marker("django_db")
    if (
        not wanted and marker is not None
    ):  # `@pytest.mark.django_db` requests the database without a fixture name
        wanted = ["transactional_db" if marker.kwargs.get("transaction") else "db"]
    if not wanted:
        yield
        return
    request.getfixturevalue(wanted[0])  # set the database up before looking at it
    import importlib

    from django.apps import apps as django_apps
    from django.db import connection

    from gaoqi.regions.models import Region

    if not Region.objects.exists():
        for module in (
            "gaoqi.regions.migrations.0002_load_divisions",
            "gaoqi.registry.migrations.0002_load_tech_fields",
            "gaoqi.registry.migrations.0005_load_hitech_zones",
        ):
            importlib.import_module(module).load(django_apps, connection.schema_editor())
    from gaoqi.jobs.models import Schedule

    if not Schedule.objects.exists():  # the standing schedules (jobs migrations 0002, 0003), also flushed
        importlib.import_module("gaoqi.jobs.migrations.0002_schedules").add_defaults(django_apps, None)
        importlib.import_module("gaoqi.jobs.migrations.0003_daily_kpi_snapshot").add_daily(django_apps, None)
    yield


@pytest.fixture(autouse=True)
def _platform_language():
    """Every test starts in the platform's language (zh-hans). A request through the test client may leave
    the language it activated (English) in this thread; a later test's stored messages or command output
    would then depend on the order xdist gave the files (seen on PostgreSQL)."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _audit_guard(request):
    """The database refuses to delete audit events (gaoqi.audit.guard). A transactional test's flush wipes every
    table: it is the operator escape hatch's one use in tests, opened just before that flush."""
    marker = request.node.get_closest_marker("django_db")
    names = request.fixturenames
    if marker is None and not any(f in names for f in ("db", "transactional_db", "live_server")):
        yield
        return
    transactional = any(f in names for f in ("transactional_db", "live_server")) or bool(
        marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences"))
    )
    # set up before this fixture, so torn down (flushed) after it
    request.getfixturevalue("_django_db_helper")
    from gaoqi.audit.guard import set_unlocked

    set_unlocked(False)
    yield
    if transactional:
        set_unlocked(True)  # stays open for the flush that follows; the next test closes it
