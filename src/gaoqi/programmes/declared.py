"""The firm's declared figures, shared by the programmes whose declaration is the tech-SME one (tech-SME
evaluation, cultivation pool): parsing the submitted values against the declared fields, and recording a change
as an annual report of the source 企业自报 (self-declared, audited old → new by the registry service) with the
declaration keeping the value the firm gave."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoqi.accounts.models import Role
from gaoqi.errors import PermissionDenied, ValidationFailed
from gaoqi.registry.models import DataSource, Department
from gaoqi.registry.services import annual_report_record
from gaoqi.workflow.errors import Conflict
from gaoqi.workflow.models import Application

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


def declared_save(
    *,
    actor,
    application: Application,
    version: int,
    year: int,
    current: dict,
    values: dict,
    fields: dict,
    messages: dict,
    file_name: str,
) -> Application:
    """Parse the submitted `values` against `fields` and record the changed ones (nothing changed: nothing
    written). `messages`: "unknown" (a column not declared), "invalid" (the refusal), "conflict" (a lost race);
    the caller has checked the write (`check_writable`, same messages)."""
    parsed, errors = parse_values(values, current, fields=fields, unknown=messages["unknown"])
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
