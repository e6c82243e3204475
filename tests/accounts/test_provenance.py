"""Provenance cannot be forged (issue 11 §4): who may record facts under which source is one rule,
`scope.can_write_source`. Every role against every source kind, for a firm in its reach and a foreign one:
through the registry service, the imports (service and page) and the self-declaration (API and page)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse

from gaoqi.accounts.models import AgencyAssignment, Role
from gaoqi.accounts.scope import can_write_source, scope_enterprises
from gaoqi.audit.models import AuditEvent
from gaoqi.errors import NotFound, PermissionDenied
from gaoqi.intake import services as intake
from gaoqi.intake.models import EnterpriseTag, ExtraFact, FieldChange, ImportBatch, RowStatus
from gaoqi.intake.profiles import load_profiles
from gaoqi.regions.models import Level, Region
from gaoqi.registry.models import (
    AnnualReport,
    Certificate,
    DataSource,
    Department,
    Enterprise,
    IntellectualProperty,
)
from gaoqi.registry.services import annual_report_record, certificate_record
from tests import factories
from tests.intake.conftest import SAMPLES
from tests.workflow.conftest import sme_world  # noqa: F401, F811 - the cast with facts and firm users

ROLES = ("province", "city", "county", "enterprise", "expert", "agency", "anonymous")
OFFICERS = {"province", "city", "county"}
DEPARTMENTS = tuple(Department.values)
SELF = Department.ENTERPRISE_SELF


@pytest.fixture
def cast(world):
    """The actor of each role with a firm in its reach (`own`) and one just outside it (`foreign`): a province
    officer's foreign firm is in another province, a city officer's in another city, a county officer's in the
    sibling county, a firm user's is another firm, an agency's a firm it is not assigned to."""
    Region.objects.create(code="310000", name="上海市", level=Level.PROVINCE, province_code="310000")
    Region.objects.create(
        code="310100", name="上海市辖区", level=Level.CITY, parent_id="310000", province_code="310000",
        city_code="310100",
    )  # fmt: skip
    Region.objects.create(
        code="310101", name="黄浦区", level=Level.COUNTY, parent_id="310100", province_code="310000",
        city_code="310100",
    )  # fmt: skip
    shanghai = factories.enterprise(
        "310101", name="上海外省测试有限公司", actor=factories.officer(Role.PROVINCE_OFFICER, "310000")
    )
    ks, wz, nj = world["ks"], world["wz"], world["nj"]
    return {
        "province": (world["province"], nj, shanghai),
        "city": (world["suzhou"], wz, nj),
        "county": (world["kunshan"], ks, wz),
        "enterprise": (world["ks_user"], ks, wz),
        "expert": (world["expert"], ks, nj),
        "agency": (world["agency"], wz, ks),  # the agency coaches wz
        "anonymous": (AnonymousUser(), ks, nj),
    }


def expected(role: str, department: str, place: str):
    """None when the write is allowed, else the exception it raises."""
    if place == "foreign" or role in ("expert", "anonymous"):
        return NotFound  # out of reach: answers like a missing firm
    if department == SELF:
        return None if role == "enterprise" else PermissionDenied
    return None if role in OFFICERS else PermissionDenied


def test_the_expectation_is_not_trivial():
    outcomes = [expected(r, d, p) for r in ROLES for d in DEPARTMENTS for p in ("own", "foreign")]
    assert outcomes.count(None) == 3 * (len(DEPARTMENTS) - 1) + 1  # officers × departments + the firm's own
    assert {NotFound, PermissionDenied} <= set(outcomes)


@pytest.mark.parametrize("place", ["own", "foreign"])
@pytest.mark.parametrize("department", DEPARTMENTS)
@pytest.mark.parametrize("role", ROLES)
def test_every_role_against_every_source_through_the_service(cast, role, department, place):
    actor, own, foreign = cast[role]
    firm = own if place == "own" else foreign
    source = factories.source(department, f"{department}.xlsx")
    want = expected(role, department, place)
    decision = can_write_source(actor, department, firm, source=source)
    assert bool(decision) is (want is None)
    events = AuditEvent.objects.count()
    if want is None:
        report = annual_report_record(
            actor=actor, enterprise=firm, year=2024, source=source, values={"employees": 12}
        )
        assert (report.enterprise, report.source.department, report.employees) == (firm, department, 12)
        assert AuditEvent.objects.filter(actor=actor, target_type="registry.annualreport").exists()
        return
    with pytest.raises(want) as err:
        annual_report_record(actor=actor, enterprise=firm, year=2024, source=source, values={"employees": 12})
    assert not AnnualReport.objects.filter(source=source).exists()
    assert AuditEvent.objects.count() == events
    if want is PermissionDenied:  # the reason names the rule, not a generic refusal
        reason = err.value.message
        if role == "enterprise":
            assert "企业只能填报企业自报数据" in reason and str(Department(department).label) in reason
        elif department == SELF:
            assert reason == "企业自报数据只能由企业本身填报"
        else:
            assert reason.startswith("仅科技管理部门可导入")
    else:
        assert err.value.message == "对象不存在或无权访问"


@pytest.mark.parametrize("department", DEPARTMENTS)
@pytest.mark.parametrize("role", ROLES)
def test_the_department_alone(cast, role, department):
    """Before an import's rows are matched: officers bring in every department's file, nobody else any; a firm
    user declares its own figures and nothing else."""
    actor = cast[role][0]
    allowed = role in OFFICERS if department != SELF else role == "enterprise"
    assert bool(can_write_source(actor, department)) is allowed


def test_an_unknown_department_is_refused(world):
    decision = can_write_source(world["province"], "police", world["ks"])
    assert not decision and decision.reason == "未知的数据来源部门"


def test_the_source_must_be_of_the_department_asked_for(world):
    statistics = factories.source(Department.STATISTICS, "统计.xlsx")
    decision = can_write_source(world["province"], Department.TAX, world["ks"], source=statistics)
    assert not decision and decision.reason == "数据来源的部门与所写数据不符"
    assert can_write_source(world["province"], Department.STATISTICS, world["ks"], source=statistics)


def test_a_source_is_added_to_only_by_its_importer(world):
    """A department source records one officer's import: another officer cannot add values in its name."""
    source = factories.source(Department.TAX, "税务.xlsx", imported_by=world["suzhou"])
    annual_report_record(
        actor=world["suzhou"], enterprise=world["ks"], year=2024, source=source, values={"employees": 5}
    )
    for other in (world["province"], world["kunshan"]):
        with pytest.raises(PermissionDenied, match="该数据来源由他人导入"):
            annual_report_record(
                actor=other, enterprise=world["ks"], year=2023, source=source, values={"employees": 6}
            )
    assert list(AnnualReport.objects.filter(source=source).values_list("year", flat=True)) == [2024]


def test_a_self_declared_source_belongs_to_its_firm(world):
    """A firm's self-declared source takes values from the users of that firm only."""
    colleague = factories.enterprise_user(world["ks"])
    mine = factories.source(SELF, "自报.xlsx", imported_by=world["ks_user"])
    annual_report_record(
        actor=colleague, enterprise=world["ks"], year=2024, source=mine, values={"employees": 7}
    )
    wz_user = factories.enterprise_user(world["wz"])
    with pytest.raises(PermissionDenied, match="该数据来源属于其他企业"):
        annual_report_record(
            actor=wz_user, enterprise=world["wz"], year=2024, source=mine, values={"employees": 8}
        )
    assert AnnualReport.objects.filter(source=mine).count() == 1


@pytest.mark.parametrize("department", [SELF, Department.TAX])
def test_a_certificate_under_a_source_follows_the_same_rule(world, department):
    from datetime import date

    source = factories.source(department, "证书.xlsx")
    kwargs = dict(
        kind="hte", number=f"GR{department}", issued_on=date(2024, 1, 1), expires_on=date(2026, 12, 31)
    )
    if department == SELF:  # officers record certificates, never as the firm's own declaration
        with pytest.raises(PermissionDenied, match="企业自报数据只能由企业本身填报"):
            certificate_record(actor=world["province"], enterprise=world["ks"], source=source, **kwargs)
        assert not Certificate.objects.exists()
    else:
        certificate_record(actor=world["province"], enterprise=world["ks"], source=source, **kwargs)
        assert Certificate.objects.get().source == source


# --- imports: the service, every profile (department) × every role ------------------------------------------


def _sample(code: str):
    return next(SAMPLES.glob(f"{code}.*"))


def _written_firms(batch: ImportBatch) -> set[int]:
    """Every firm a committed batch wrote anything about."""
    ids = set(AnnualReport.objects.filter(source=batch.source).values_list("enterprise_id", flat=True))
    ids |= set(
        IntellectualProperty.objects.filter(source=batch.source).values_list("enterprise_id", flat=True)
    )
    ids |= set(Certificate.objects.filter(source=batch.source).values_list("enterprise_id", flat=True))
    ids |= set(ExtraFact.objects.filter(batch=batch).values_list("enterprise_id", flat=True))
    ids |= set(EnterpriseTag.objects.filter(batch=batch).values_list("enterprise_id", flat=True))
    changed = FieldChange.objects.filter(batch=batch, target="enterprise").values_list("target_id", flat=True)
    return ids | set(changed)


@pytest.mark.parametrize("profile", sorted(load_profiles()))
@pytest.mark.parametrize("role", ROLES)
def test_every_role_imports_every_department_file_only_for_its_region(cast, role, profile):
    """Officers import any department's file (they are the S&T bureaus that collect them) and write only the
    firms of their region: the foreign rows are OUT_OF_SCOPE and get nothing. Nobody else imports at all."""
    if profile != "market_registry":  # the firms the sample files name, registered by the province
        setup = intake.batch_stage(
            actor=cast["province"][0], path=_sample("market_registry"), profile="market_registry"
        )
        intake.batch_commit(actor=cast["province"][0], batch=setup)
    actor = cast[role][0]
    department = load_profiles()[profile].department
    batches = ImportBatch.objects.count()
    if role not in OFFICERS:
        with pytest.raises(PermissionDenied):
            intake.batch_stage(actor=actor, path=_sample(profile), profile=profile)
        assert ImportBatch.objects.count() == batches
        assert (
            not DataSource.objects.filter(department=department, imported_by__isnull=False)
            .exclude(imported_by=cast["province"][0])
            .exists()
        )
        return
    batch = intake.batch_commit(
        actor=actor, batch=intake.batch_stage(actor=actor, path=_sample(profile), profile=profile)
    )
    assert (batch.source.department, batch.source.imported_by) == (department, actor)
    written = _written_firms(batch)
    in_reach = set(scope_enterprises(actor).values_list("pk", flat=True))
    assert written and written <= in_reach
    foreign = set(batch.rows.filter(status=RowStatus.OUT_OF_SCOPE).values_list("enterprise_id", flat=True))
    if role != "province":  # the sample files name firms of every Suzhou county and of Nanjing
        assert batch.rows.filter(status=RowStatus.OUT_OF_SCOPE).exists()
        assert not foreign & written
    if profile == "market_registry":  # new firms only in the officer's region
        assert (
            set(Enterprise.objects.values_list("pk", flat=True))
            - {f.pk for f in (cast["province"][1], cast["province"][2])}
            - {cast[k][1].pk for k in cast}
            - {cast[k][2].pk for k in cast}
            <= in_reach
        )


def test_the_commit_asks_again(world):
    """A staged batch whose officer lost the right (deactivated) is not written."""
    batch = intake.batch_stage(actor=world["suzhou"], path=_sample("tax"), profile="tax")
    world["suzhou"].is_active = False
    world["suzhou"].save()
    with pytest.raises(PermissionDenied):
        intake.batch_commit(actor=world["suzhou"], batch=batch)
    assert not DataSource.objects.filter(department=Department.TAX, imported_by=world["suzhou"]).exists()


# --- imports: the page ---------------------------------------------------------------------------------------


def _client(user) -> Client:
    client = Client()
    if user.is_authenticated:
        client.force_login(user)
    return client


@pytest.mark.parametrize("role", ROLES)
def test_the_import_page_takes_files_from_officers_only(cast, role):
    actor = cast[role][0]
    with open(_sample("tax"), "rb") as fh:
        response = _client(actor).post(reverse("intake:batch_list"), {"profile": "tax", "file": fh})
    if role in OFFICERS:
        batch = ImportBatch.objects.get()
        assert response.status_code == 302 and response.url == reverse("intake:batch_detail", args=[batch.pk])
        assert batch.department == Department.TAX and batch.created_by == actor
        return
    assert not ImportBatch.objects.exists()
    if role == "anonymous":
        assert response.status_code == 302 and response.url.startswith(reverse("web:login"))
    else:  # the page does not exist for them
        assert response.status_code == 404 and "对象不存在或无权访问" in response.content.decode()


# --- self-declaration: the API and the page --------------------------------------------------------------------


@pytest.fixture
def declaring(sme_world):  # noqa: F811 - the fixture imported above
    """ks's tech-SME self-evaluation, open for changes, and an agency that coaches ks."""
    from tests.workflow.conftest import start

    app = start(sme_world["ks_user"], sme_world["ks"])
    AgencyAssignment.objects.create(
        agency=sme_world["agency"].agency, enterprise=sme_world["ks"], assigned_on="2024-01-01"
    )
    return sme_world, app


DECLARERS = {
    # who -> (API status, written)
    "ks_user": (200, True),
    "province": (403, False),
    "suzhou": (403, False),
    "kunshan": (403, False),
    "nanjing": (404, False),
    "wz_user": (404, False),
    "expert": (404, False),
    "agency": (404, False),
    "anonymous": (401, False),
}


def _self_declared(firm):
    return AnnualReport.objects.filter(enterprise=firm, source__department=SELF)


@pytest.mark.parametrize("who", sorted(DECLARERS))
def test_only_the_firm_declares_through_the_api(declaring, who):
    world, app = declaring
    user = AnonymousUser() if who == "anonymous" else world[who]
    status, written = DECLARERS[who]
    response = _client(user).patch(
        f"/api/tech-sme/applications/{app.pk}/declaration",
        {"version": app.version, "values": {"employees": 61}, "source": "tax", "source_id": 1},
        content_type="application/json",
    )
    assert response.status_code == status, response.content
    body = response.json()
    if written:
        report = _self_declared(world["ks"]).get()
        assert report.employees == 61 and report.source.imported_by == world["ks_user"]
        assert not AnnualReport.objects.filter(employees=61).exclude(source__department=SELF).exists()
        return
    assert set(body) == {"message", "extra"} and body["message"]
    if status == 403:
        assert body["message"] == "仅申报企业可修改自评数据"
    assert not _self_declared(world["ks"]).exists()


@pytest.mark.parametrize("who", ["ks_user", "province", "suzhou", "nanjing", "wz_user", "expert", "agency"])
def test_only_the_firm_declares_through_the_page(declaring, who):
    world, app = declaring
    client = _client(world[who])
    response = client.post(
        reverse("programmes:declaration", args=[app.pk]), {"version": app.version, "employees": "62"}
    )
    written = DECLARERS[who][1]
    assert _self_declared(world["ks"]).filter(employees=62).exists() is written
    if DECLARERS[who][0] == 404:
        assert response.status_code == 404
    else:
        assert response.status_code == 302
        page = client.get(response.url).content.decode()
        expected_message = "自评数据已保存（来源：企业自报）" if written else "仅申报企业可修改自评数据"
        assert expected_message in page


def test_a_forged_source_in_the_declaration_is_not_used(declaring):
    """A declaration pointing at a department's source (as if stored by a bug or a hand edit) records the
    firm's values under a new self-declared source, never under the department's."""
    from gaoqi.programmes.tech_sme.services import declaration_update

    world, app = declaring
    tax = factories.source(Department.TAX, "税务.xlsx")
    app.declared = {**app.declared, "source_id": tax.pk}
    app.save(update_fields=["declared"])
    declaration_update(
        actor=world["ks_user"], application=app, version=app.version, values={"employees": "63"}
    )
    assert not AnnualReport.objects.filter(source=tax).exists()
    assert _self_declared(world["ks"]).get().employees == 63


def test_the_refusal_is_translated(world):
    from django.utils import translation

    with translation.override("en"):
        decision = can_write_source(world["ks_user"], Department.TAX, world["ks"])
    assert decision.reason == (
        "An enterprise can only fill in self-declared data; Tax data is imported by the science and technology "
        "authorities"
    )
