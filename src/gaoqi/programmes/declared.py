"""The firm's declared figures, shared by the programmes whose declaration is the tech-SME one (tech-SME
evaluation, cultivation pool): starting an application pre-filled from the registry, parsing the submitted
values against the declared fields, and recording a change as an annual report of the source 企业自报
(self-declared, audited old → new by the registry service) with the declaration keeping the value the firm
gave."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoqi.accounts.models import Role
from gaoqi.accounts.scope import can
from gaoqi.errors import PermissionDenied, ValidationFailed
from gaoqi.registry.models import DataSource, Department
from gaoqi.registry.services import annual_report_record
from gaoqi.workflow.errors import Conflict
from gaoqi.workflow.models import Application
from gaoqi.workflow.table import Programme

TRUE_WORDS = frozenset({"true", "1", "yes", "是", "on"})
FALSE_WORDS = frozenset({"false", "0", "no", "否", "off"})


def check_writable(*, actor, application: Application, version: int, editable: bool, messages: dict) -> None:
    """Only the applying firm changes its declaration (else messages["forbidden"]), in an editable phase (else
    messages["locked"]), on the version it saw (else Conflict with messages["conflict"])."""
    if actor.role != Role.ENTERPRISE or actor.enterprise_id != application.enterprise_id:
        raise PermissionDenied(messages["forbidden"])
    if not editable:
        raise ValidationFailed(messages["locked"], [{"field": "phase", "reason": application.phase}])
    if int(version) != application.version:
        raise Conflict(messages["conflict"], {"version": application.version})


def parse_value(kind: str, raw) -> tuple[object, str]:
    """One submitted value of a field of `kind` ("bool", or an integer kind): (value, "") or (None, message);
    an empty value is None."""
    if raw is None or raw == "":
        return None, ""
    if kind == "bool":
        if isinstance(raw, bool):
            return raw, ""
        text = str(raw).strip().lower()
        if text in TRUE_WORDS:
            return True, ""
        if text in FALSE_WORDS:
            return False, ""
        return None, _("请选择是或否")
    try:
        value = int(str(raw).replace(",", "").strip())
    except ValueError:
        return None, _("请填写整数")
    return value, ""


def parse_values(values: dict, current: dict, *, fields: dict, unknown: str) -> tuple[dict, list[dict]]:
    """The changed values (those that differ from `current`) and the errors, one per field; `fields` maps a
    column to (fact, label, kind); `unknown` is the message for a column that is not one of them."""
    parsed, errors = {}, []
    for column, raw in values.items():
        if column not in fields:
            errors.append({"field": column, "reason": unknown})
            continue
        value, error = parse_value(fields[column][2], raw)
        if error:
            errors.append({"field": column, "reason": error})
        elif value != current.get(column):
            parsed[column] = value
    return parsed, errors


def self_source(actor, app: Application, *, file_name: str) -> DataSource:
    """The application's data source 企业自报 (created on its first change). Only a self-declared source is
    reused; whether `actor` may write under it is the registry service's provenance check."""
    source_id = app.declared.get("source_id")
    source = (
        DataSource.objects.filter(pk=source_id, department=Department.ENTERPRISE_SELF).first()
        if source_id
        else None
    )
    if source is None:
        source = DataSource.objects.create(
            department=Department.ENTERPRISE_SELF,
            file_name=file_name,
            imported_at=timezone.now(),
            imported_by=actor,
            note="self-declared",
        )
    return source


def declared_record(
    *,
    actor,
    application: Application,
    version: int,
    year: int,
    current: dict,
    parsed: dict,
    file_name: str,
    conflict: str,
) -> Application:
    """In one transaction: the annual report of the source 企业自报 for `year`, then the declaration (version + 1,
    conditional on the version the firm saw; a lost race raises Conflict with the message `conflict`)."""
    with transaction.atomic():
        source = self_source(actor, application, file_name=file_name)
        annual_report_record(
            actor=actor,
            enterprise=application.enterprise,
            year=year,
            source=source,
            values={k: v for k, v in {**current, **parsed}.items() if v is not None},
        )
        declared = {
            **application.declared,
            "values": {**current, **parsed},
            "source_id": source.pk,
            "year": year,
        }
        if not Application.objects.filter(pk=application.pk, version=version).update(
            declared=declared, version=version + 1
        ):
            raise Conflict(conflict, {"version": None})
        application.declared, application.version = declared, version + 1
    return application


def declared_start(*, actor, enterprise, programme: Programme, evaluation, as_of, messages: dict) -> dict:
    """Before the firm starts an application of `programme`: only the firm itself (else PermissionDenied with
    messages["firm_only"]), allowed to record its facts, with no open application (one not in a final phase,
    else messages["open"]). Returns the declaration pre-filled from the registry's facts of the latest
    accounting year as `evaluation` (the programme's module) reads them on `as_of`."""
    if actor.role != Role.ENTERPRISE:
        raise PermissionDenied(messages["firm_only"])
    can(actor, "record_facts", enterprise).require()
    final = [p.code for p in programme.phases if p.final]
    open_app = (
        Application.objects.filter(programme=programme.code, enterprise=enterprise)
        .exclude(phase__in=final)
        .first()
    )
    if open_app is not None:
        raise ValidationFailed(messages["open"], [{"field": "application", "reason": str(open_app.pk)}])
    facts = evaluation.registry_facts(actor=actor, enterprise=enterprise, as_of=as_of)
    return {"values": evaluation.prefill(facts), "year": evaluation.declared_year(as_of), "source_id": None}


def declared_update(
    *,
    actor,
    application: Application,
    version: int,
    values: dict,
    editable: bool,
    evaluation,
    messages: dict,
    file_name: str,
    new_year_from_registry: bool = False,
) -> Application:
    """The firm changes declared figures of the latest accounting year (as `evaluation`, the programme's
    module, reads it): the write checked (`check_writable`), the submitted `values` parsed against the declared
    fields and the changed ones recorded (nothing changed: nothing written). With `new_year_from_registry`, a
    declaration of an earlier year starts again from the registry's facts (the tech-SME annual update).
    `messages`: "forbidden", "locked", "conflict" (see `check_writable`), "unknown" (a column not declared),
    "invalid" (the refusal)."""
    check_writable(
        actor=actor, application=application, version=version, editable=editable, messages=messages
    )
    today = timezone.localdate()
    year = evaluation.declared_year(today)
    current = dict(application.declared.get("values", {}))
    if new_year_from_registry and application.declared.get("year") != year:
        facts = evaluation.registry_facts(actor=actor, enterprise=application.enterprise, as_of=today)
        current = evaluation.prefill(facts)
    parsed, errors = parse_values(
        values, current, fields=evaluation.DECLARED_FIELDS, unknown=messages["unknown"]
    )
    if errors:
        raise ValidationFailed(messages["invalid"], errors)
    if not parsed:
        return application
    return declared_record(
        actor=actor,
        application=application,
        version=version,
        year=year,
        current=current,
        parsed=parsed,
        file_name=file_name,
        conflict=messages["conflict"],
    )
