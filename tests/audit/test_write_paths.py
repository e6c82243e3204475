"""Every write path audits: each public function of every services module (gaoqi.*.services) is called with
real data and must record an audit event whenever it writes to the database, or is a listed pure helper.

Two checks:
- the established modules (RECIPES below) are exercised for real: the SQL each call sends is captured and a
  call that INSERTs, UPDATEs or DELETEs anything outside the audit tables must append to the audit log;
- every services module, new ones included, is read (tests/audit/write_paths.py): a function that writes
  through the ORM or SQL must call audit_record / audit_record_many (or a service that does).
A new public service function without a recipe fails here until it gets one or a reasoned allow-list entry.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.utils import timezone

from gaoqi.accounts.models import AgencyAssignment, ApiToken, Role, ServiceAgency
from gaoqi.audit.models import AuditEvent
from gaoqi.jobs.models import Job, JobStatus
from gaoqi.registry.models import CertificateEnd, CertificateKind, Department
from tests import factories
from tests.audit.write_paths import analyse, services_modules
from tests.intake.conftest import write_csv

# Public functions that write nothing (checked: the static reading must agree), or write only inside a
# caller's audited transaction. Each with its reason.
PURE_OR_HELPER = {
    "gaoqi.audit.services.audit_record": "the recorder itself",
    "gaoqi.audit.services.audit_record_many": "the recorder itself",
    "gaoqi.audit.services.changed_fields": "pure",
    "gaoqi.audit.services.chain_head": "read",
    "gaoqi.audit.services.chain_verify": "read",
    "gaoqi.coaching.services.service_record_errors": "pure validation",
    "gaoqi.intake.services.classify_rows": "read: the preview's comparison",
    "gaoqi.jobs.services.resolve_function": "pure",
    "gaoqi.jobs.services.takes_progress": "pure",
    "gaoqi.jobs.services.failure_message": "pure",
    "gaoqi.ledger.services.compact_criteria": "pure (a Polars expression)",
    "gaoqi.ledger.services.facts_revisions": "pure: a digest of each firm's facts",
}
# Writes that are derived state refreshed inside an audited service (never called on their own by a view).
HELPER_WRITES = {
    "gaoqi.registry.services.enterprise_refresh_status": "status dates recomputed from the certificates, "
    "inside certificate_record (audited) and the programmes' audited decisions",
}
TAX = ["纳税人识别号", "纳税人名称", "所属年度", "营业收入", "研发费用"]


class Ctx:
    def __init__(self, world, tmp_path):
        self.w, self.tmp = world, tmp_path

    def staged(self, name="tax.csv", rows=None):
        from gaoqi.intake import services

        ks = self.w["ks"]
        rows = rows or [[ks.credit_code, ks.name, 2024, "150", "5"]]
        path = write_csv(self.tmp / name, [TAX, *rows])
        return services.batch_stage(actor=self.w["suzhou"], path=path, profile="tax")

    def running_job(self):
        from gaoqi.jobs import services

        job = services.create_job(
            actor=self.w["suzhou"], kind="demo.count_to", func_path=COUNT, kwargs={"n": 1}
        )
        Job.objects.filter(pk=job.pk).update(
            status=JobStatus.RUNNING, worker_id="w1", started_at=timezone.now()
        )
        job.refresh_from_db()
        return job


COUNT = "gaoqi.jobs.demo_tasks.count_to"


def _accounts(c: Ctx):
    from gaoqi.accounts import services as s

    w = c.w
    agency = ServiceAgency.objects.get(pk=w["agency"].agency_id)
    return {
        "agency_create": lambda: s.agency_create(actor=w["suzhou"], name="新机构", region=w["suzhou"].region),
        "agency_assign": lambda: s.agency_assign(actor=w["suzhou"], agency=agency, enterprise=w["ks"]),
        "agency_assign_many": lambda: s.agency_assign_many(
            actor=w["suzhou"], agency=agency, enterprises=[w["ks"]]
        ),
        "agency_unassign": lambda: s.agency_unassign(
            actor=w["suzhou"], agency=agency, enterprise=w["wz"], reason="结束"
        ),
        "account_create": lambda: s.account_create(
            actor=w["suzhou"], username="new-officer", role=Role.COUNTY_OFFICER, region=w["kunshan"].region
        ),
        "account_set_active": lambda: s.account_set_active(
            actor=w["suzhou"], user=w["kunshan"], active=False, reason="离职"
        ),
        "api_token_issue": lambda: s.api_token_issue(actor=w["suzhou"], user=w["kunshan"], label="t"),
        "api_token_revoke": lambda: s.api_token_revoke(
            actor=w["suzhou"], token=s.api_token_issue(actor=w["suzhou"], user=w["kunshan"])[0], reason="泄露"
        ),
        "login_audit": lambda: s.login_audit(
            request=_request(), username=w["suzhou"].username, outcome="success"
        ),
    }


def _request():
    from django.test import RequestFactory

    return RequestFactory().post("/accounts/login/", HTTP_USER_AGENT="pytest")


def _coaching(c: Ctx):
    from gaoqi.coaching import services as s

    return {
        "service_record_create": lambda: s.service_record_create(
            actor=c.w["suzhou"],
            enterprise=c.w["ks"],
            kind="visit",
            served_on=date(2024, 5, 1),
            content="走访",
        )
    }


def _intake(c: Ctx):
    from gaoqi.intake import services as s
    from gaoqi.intake.models import RowStatus

    def confirm():
        ks = c.w["ks"]
        path = write_csv(
            c.tmp / "names.csv", [["纳税人名称", "所属年度", "营业收入"], [ks.name[:-4] + "公司", 2024, "3"]]
        )
        batch = s.batch_stage(actor=c.w["suzhou"], path=path, profile="tax")
        row = batch.rows.get(status=RowStatus.UNMATCHED)
        return lambda: s.row_confirm_match(actor=c.w["suzhou"], row=row, enterprise_id=ks.pk)

    def commit():
        batch = c.staged()
        return lambda: s.batch_commit(actor=c.w["suzhou"], batch=batch)

    def discard():
        batch = c.staged()
        return lambda: s.batch_discard(actor=c.w["suzhou"], batch=batch)

    def revert():
        batch = s.batch_commit(actor=c.w["suzhou"], batch=c.staged())
        return lambda: s.batch_revert(actor=c.w["suzhou"], batch=batch, reason="错了")

    def reevaluate_batch():
        batch = s.batch_commit(actor=c.w["suzhou"], batch=c.staged())
        return lambda: s.reevaluate_batch(batch_id=batch.pk, as_of="2025-06-30")

    return {
        "batch_stage": lambda: c.staged(),
        "row_confirm_match": confirm,
        "batch_commit": commit,
        "batch_discard": discard,
        "batch_revert": revert,
        "reevaluate_batch": reevaluate_batch,
    }


def _jobs(c: Ctx):
    from gaoqi.jobs import services as s

    def finish(fn, **kw):
        def setup():
            job = c.running_job()
            return lambda: fn(job=job, worker_id="w1", **kw)

        return setup

    return {
        "create_job": lambda: s.create_job(actor=c.w["suzhou"], kind="demo.count_to", func_path=COUNT),
        "start_job": lambda: s.start_job(
            actor=c.w["suzhou"], kind="demo.count_to", func_path=COUNT, kwargs={"n": 1}
        ),
        "job_succeed": finish(s.job_succeed, value=None, done=1, total=1, message="ok"),
        "job_fail": finish(s.job_fail, exc=RuntimeError("x"), done=0, total=1, message="x"),
        "job_give_up": finish(s.job_give_up, from_status=JobStatus.RUNNING, reason="进程中断"),
        "job_requeue": finish(s.job_requeue, reason="重新执行"),
    }


def _ledger(c: Ctx):
    from gaoqi.ledger import services as s

    return {
        "reevaluate": lambda: s.reevaluate(as_of=date(2025, 6, 30)),
        "reevaluate_region": lambda: s.reevaluate_region(region="320500", as_of="2025-06-30"),
    }


def _registry(c: Ctx):
    from gaoqi.registry import services as s

    w = c.w
    return {
        "enterprise_create": lambda: factories.enterprise("320583", actor=w["suzhou"]),
        "enterprise_update": lambda: s.enterprise_update(
            actor=w["suzhou"], enterprise=w["ks"], above_scale=True
        ),
        "annual_report_record": lambda: s.annual_report_record(
            actor=w["province"],
            enterprise=w["ks"],
            year=2024,
            source=factories.source(Department.TAX),
            values={"revenue": 1000},
        ),
        "certificate_record": lambda: s.certificate_record(
            actor=w["province"],
            enterprise=w["ks"],
            kind=CertificateKind.HTE,
            number="GR202432000001",
            issued_on=date(2024, 11, 1),
            expires_on=date(2027, 10, 31),
        ),
        "certificate_end": lambda: (
            s.certificate_record(
                actor=w["province"],
                enterprise=w["ks"],
                kind=CertificateKind.TECH_SME,
                number="2024320583A0009",
                issued_on=date(2024, 5, 1),
                expires_on=date(2025, 3, 31),
            ),
            s.certificate_end(
                actor=w["province"],
                enterprise=w["ks"],
                kind=CertificateKind.TECH_SME,
                ended_on=date(2024, 9, 1),
                reason=CertificateEnd.REVOKED,
                note="撤销",
            ),
        ),
    }


RECIPES = {
    "gaoqi.accounts.services": _accounts,
    "gaoqi.coaching.services": _coaching,
    "gaoqi.intake.services": _intake,
    "gaoqi.jobs.services": _jobs,
    "gaoqi.ledger.services": _ledger,
    "gaoqi.registry.services": _registry,
}
# Recipes that build their own data first return the call to measure (a function of no arguments).
NEEDS_SETUP = {
    "gaoqi.intake.services.row_confirm_match",
    "gaoqi.intake.services.batch_commit",
    "gaoqi.intake.services.batch_discard",
    "gaoqi.intake.services.batch_revert",
    "gaoqi.intake.services.reevaluate_batch",
    "gaoqi.jobs.services.job_succeed",
    "gaoqi.jobs.services.job_fail",
    "gaoqi.jobs.services.job_give_up",
    "gaoqi.jobs.services.job_requeue",
}
AUDIT_TABLES = ("audit_auditevent", "audit_auditchainhead")


def _dynamic_names() -> list[str]:
    import importlib
    import inspect

    names = []
    for module in RECIPES:
        mod = importlib.import_module(module)
        for name, obj in vars(mod).items():
            if inspect.isfunction(obj) and obj.__module__ == module and not name.startswith("_"):
                names.append(f"{module}.{name}")
    return sorted(names)


class WriteCapture:
    """The data-changing SQL statements sent while active (audit tables aside)."""

    def __init__(self):
        self.writes: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
        if head in {"INSERT", "UPDATE", "DELETE", "REPLACE", "TRUNCATE"} and not any(
            t in sql for t in AUDIT_TABLES
        ):
            self.writes.append(sql[:120])
        return execute(sql, params, many, context)


@pytest.mark.parametrize("qualname", _dynamic_names())
def test_each_service_that_writes_records_an_audit_event(world, tmp_path, qualname, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    if qualname in PURE_OR_HELPER or qualname in HELPER_WRITES:
        return
    module, name = qualname.rsplit(".", 1)
    recipes = RECIPES[module](Ctx(world, tmp_path))
    assert name in recipes, f"{qualname}: no recipe; add one to RECIPES (or a reasoned PURE_OR_HELPER entry)"
    call = recipes[name]
    if qualname in NEEDS_SETUP:
        call = call()
    before = AuditEvent.objects.count()
    capture = WriteCapture()
    with connection.execute_wrapper(capture):
        call()
    events = AuditEvent.objects.count() - before
    assert capture.writes or events, f"{qualname}: the recipe did nothing, so it proves nothing"
    assert events >= 1, f"{qualname} wrote without an audit event: {capture.writes[:3]}"


def test_pure_helpers_write_nothing():
    facts = analyse()
    wrong = [
        n for n in PURE_OR_HELPER if n in facts and facts[n].writes and "recorder" not in PURE_OR_HELPER[n]
    ]
    assert not wrong, f"listed as pure but they write: {wrong}"
    assert not [n for n in (*PURE_OR_HELPER, *HELPER_WRITES) if n not in facts], "stale allow-list entries"


def test_every_services_module_that_writes_audits():
    """The static reading, over every services module (new ones included)."""
    assert set(RECIPES) <= set(services_modules())
    unaudited = [
        name
        for name, f in analyse().items()
        if f.writes and not f.audits and name not in PURE_OR_HELPER and name not in HELPER_WRITES
    ]
    assert not unaudited, f"service functions that write without an audit event: {unaudited}"


def test_the_capture_sees_writes_and_the_static_reading_sees_an_unaudited_write(world, tmp_path):
    """The two mechanisms are not blind: a write without an audit event is caught by both."""
    import ast

    from tests.audit import write_paths

    capture = WriteCapture()
    with connection.execute_wrapper(capture):
        AgencyAssignment.objects.filter(pk=-1).delete()
        ApiToken.objects.filter(pk=-1).update(label="x")
    assert len(capture.writes) == 2
    source = "def f(x):\n    Model.objects.filter(pk=x).update(a=1)\n"
    writes, audits, _ = write_paths._scan(ast.parse(source).body[0])
    assert writes and not audits
