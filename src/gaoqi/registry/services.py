"""Writes to the registry. Each service validates, writes in one transaction and records an audit event."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext as _

from gaoqi.accounts.scope import can, can_create_enterprise_in, can_write_source
from gaoqi.audit.models import AuditAction
from gaoqi.audit.services import audit_record, changed_fields
from gaoqi.errors import PermissionDenied, ValidationFailed
from gaoqi.ledger.names import follow_renames
from gaoqi.regions.models import Level, Region
from gaoqi.registry.models import (
    FACT_FIELDS,
    AnnualReport,
    Certificate,
    CertificateEnd,
    CertificateKind,
    DataSource,
    Enterprise,
    HitechZone,
    TechField,
)
from gaoqi.registry.validation import (
    credit_code_errors,
    date_not_future_errors,
    normalise_credit_code,
    report_errors,
)

ENTERPRISE_EDITABLE = (
    "name",
    "founded_on",
    "tech_field_id",
    "above_scale",
    "in_hitech_zone",
    "hitech_zone_id",
    "talent_founded",
)


def _county(code: str | None) -> tuple[Region | None, list[dict]]:
    region = Region.objects.filter(code=code or "").first()
    if region is None:
        return None, [{"field": "region_code", "reason": _("未知的行政区划代码 %(c)s") % {"c": code}}]
    if region.level != Level.COUNTY:
        return None, [{"field": "region_code", "reason": _("%(c)s 不是县级区划代码") % {"c": code}}]
    return region, []


def _tech_field_errors(code: str | None) -> list[dict]:
    if code and not TechField.objects.filter(code=code).exists():
        return [{"field": "tech_field", "reason": _("未知的技术领域代码 %(c)s") % {"c": code}}]
    return []


def _zone_errors(code: str | None, city_code: str | None) -> list[dict]:
    """A zone must exist and lie in the firm's city (zones have parks across the districts of their city)."""
    if not code:
        return []
    zone = HitechZone.objects.filter(code=code).first()
    if zone is None:
        return [{"field": "hitech_zone", "reason": _("未知的高新区编码 %(c)s") % {"c": code}}]
    if city_code and zone.city_id != city_code:
        return [{"field": "hitech_zone", "reason": _("%(z)s 不在企业所在设区市") % {"z": zone.name}}]
    return []


def _zone_consistent(changes: dict, current_zone_id: str | None) -> list[dict]:
    """Keep the flag and the zone in step (a zone sets the flag; clearing the flag clears the zone), in place."""
    if "hitech_zone_id" in changes:
        changes["hitech_zone_id"] = changes["hitech_zone_id"] or None
        if changes["hitech_zone_id"]:
            if changes.get("in_hitech_zone") is False:
                return [{"field": "hitech_zone", "reason": _("已选择高新区，“位于省级以上高新区”不能为否")}]
            changes["in_hitech_zone"] = True
        else:
            changes.setdefault("in_hitech_zone", False)
    elif changes.get("in_hitech_zone") is False and current_zone_id:
        changes["hitech_zone_id"] = None
    return []


def enterprise_create(
    *,
    actor,
    credit_code: str,
    name: str,
    region_code: str,
    founded_on: date,
    tech_field: str | None = None,
    above_scale: bool = False,
    in_hitech_zone: bool = False,
    hitech_zone: str | None = None,
    talent_founded: bool = False,
) -> Enterprise:
    """Register a firm. `hitech_zone` (a zone code) implies `in_hitech_zone`; the flag alone means "in a zone,
    which one not recorded"."""
    county, errors = _county(region_code)
    errors += _zone_errors(hitech_zone, county.city_code if county else None)
    errors += credit_code_errors(credit_code)
    if not (name or "").strip():
        errors.append({"field": "name", "reason": _("企业名称不能为空")})
    errors += date_not_future_errors("founded_on", founded_on, timezone.localdate())
    errors += _tech_field_errors(tech_field)
    if errors:
        raise ValidationFailed(_("企业信息有误"), errors)
    decision = can_create_enterprise_in(actor, county)
    if not decision:
        raise PermissionDenied(decision.reason)
    code = normalise_credit_code(credit_code)
    with transaction.atomic():
        if Enterprise.objects.filter(credit_code=code).exists():
            raise ValidationFailed(
                _("企业已存在"), [{"field": "credit_code", "reason": _("该信用代码已登记")}]
            )
        enterprise = Enterprise.objects.create(
            credit_code=code,
            name=name.strip(),
            county=county,
            city_id=county.city_code,
            founded_on=founded_on,
            tech_field_id=tech_field or None,
            above_scale=above_scale,
            in_hitech_zone=in_hitech_zone or bool(hitech_zone),
            hitech_zone_id=hitech_zone or None,
            talent_founded=talent_founded,
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            target=enterprise,
            enterprise=enterprise,
            new=model_to_dict(enterprise),
        )
    return enterprise


def enterprise_update(*, actor, enterprise: Enterprise, reason: str = "", **changes) -> Enterprise:
    unknown = set(changes) - set(ENTERPRISE_EDITABLE)
    if unknown:
        raise ValidationFailed(
            _("字段不可修改"), [{"field": f, "reason": _("不可修改")} for f in sorted(unknown)]
        )
    can(actor, "edit", enterprise).require()
    errors = date_not_future_errors("founded_on", changes.get("founded_on"), timezone.localdate())
    errors += _zone_errors(changes.get("hitech_zone_id"), enterprise.city_id)
    errors += _zone_consistent(changes, enterprise.hitech_zone_id)
    errors += _tech_field_errors(changes.get("tech_field_id"))
    if "name" in changes and not (changes["name"] or "").strip():
        errors.append({"field": "name", "reason": _("企业名称不能为空")})
    if errors:
        raise ValidationFailed(_("企业信息有误"), errors)
    with transaction.atomic():
        before = {f: getattr(enterprise, f) for f in changes}
        for field, value in changes.items():
            setattr(enterprise, field, value)
        enterprise.save(update_fields=[*changes, "updated_at"])
        if "name" in changes:
            follow_renames([enterprise.pk])  # the ledger entry's name and pinyin key
        old, new = changed_fields(before, changes)
        if new:
            audit_record(
                actor=actor,
                action=AuditAction.UPDATE,
                target=enterprise,
                enterprise=enterprise,
                old=old,
                new=new,
                reason=reason,
            )
    return enterprise


def annual_report_record(
    *,
    actor,
    enterprise: Enterprise,
    year: int,
    source: DataSource,
    values: dict,
    source_row: int | None = None,
) -> AnnualReport:
    """Record (or replace) one source's figures for one year. Replacing keeps the old values in the audit.

    Who may write under `source` is the provenance rule (`scope.can_write_source`): a firm its own
    self-declared figures, officers a department's figures of the firms in their region. A firm out of reach
    raises NotFound, a forbidden source PermissionDenied with the reason."""
    can_write_source(actor, source.department, enterprise, source=source).enforce()
    unknown = set(values) - set(FACT_FIELDS)
    errors = [{"field": f, "reason": _("未知字段")} for f in sorted(unknown)]
    with transaction.atomic():
        report = AnnualReport.objects.filter(enterprise=enterprise, year=year, source=source).first()
        # A replacement keeps the figures it does not mention: the cross-field rules see the report as saved.
        stored = {f: getattr(report, f) for f in FACT_FIELDS} if report else None
        errors += report_errors(
            {k: v for k, v in values.items() if k not in unknown},
            year=year,
            today=timezone.localdate(),
            stored=stored,
        )
        if errors:
            raise ValidationFailed(_("年度数据有误"), errors)
        before = {f: getattr(report, f) for f in values} if report else {}
        if report is None:
            report = AnnualReport(enterprise=enterprise, year=year, source=source)
        for field, value in values.items():
            setattr(report, field, value)
        report.source_row = source_row
        try:
            with transaction.atomic():
                report.save()
        except IntegrityError as exc:  # a database constraint the validator missed: still a clear error
            raise ValidationFailed(_("年度数据违反约束"), [{"field": "", "reason": str(exc)}]) from exc
        old, new = changed_fields(before, values)
        audit_record(
            actor=actor,
            action=AuditAction.UPDATE if before else AuditAction.CREATE,
            target=report,
            enterprise=enterprise,
            old=old or None,
            new=new or None,
            reason=_("年度 %(y)s，来源：%(s)s") % {"y": year, "s": source},
        )
    return report


def certificate_record(
    *,
    actor,
    enterprise: Enterprise,
    kind: str,
    number: str,
    issued_on: date,
    expires_on: date,
    source: DataSource | None = None,
) -> Certificate:
    """Record a certificate and refresh the enterprise's status dates (date-correct, no nightly job). A
    certificate with a `source` is written under the provenance rule (`scope.can_write_source`) too."""
    can(actor, "edit", enterprise).require()
    if source is not None:
        can_write_source(actor, source.department, enterprise, source=source).enforce()
    errors = []
    if kind not in CertificateKind.values:
        errors.append({"field": "kind", "reason": _("未知证书类型")})
    if expires_on <= issued_on:
        errors.append({"field": "expires_on", "reason": _("有效期至应晚于发证日期")})
    errors += date_not_future_errors("issued_on", issued_on, timezone.localdate())
    if errors:
        raise ValidationFailed(_("证书信息有误"), errors)
    with transaction.atomic():
        cert = Certificate.objects.create(
            enterprise=enterprise,
            kind=kind,
            number=number,
            issued_on=issued_on,
            expires_on=expires_on,
            source=source,
        )
        enterprise_refresh_status(enterprise)
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            target=cert,
            enterprise=enterprise,
            new=model_to_dict(cert, exclude=["enterprise"]),
        )
    return cert


def enterprise_refresh_status(enterprise: Enterprise) -> None:
    """The firm's status dates: per kind, the last day a certificate is valid (its expiry, or the day before
    it ended: a revoked or lapsed tech-SME registration ends the status)."""
    latest = {kind: None for kind in CertificateKind.values}
    rows = Certificate.objects.filter(enterprise=enterprise).values_list("kind", "expires_on", "ended_on")
    for kind, expires, ended in rows:
        until = expires if ended is None else min(expires, ended - timedelta(days=1))
        if latest[kind] is None or until > latest[kind]:
            latest[kind] = until
    Enterprise.objects.filter(pk=enterprise.pk).update(
        hte_valid_until=latest[CertificateKind.HTE], tech_sme_valid_until=latest[CertificateKind.TECH_SME]
    )
    enterprise.hte_valid_until = latest[CertificateKind.HTE]
    enterprise.tech_sme_valid_until = latest[CertificateKind.TECH_SME]


def certificate_end(
    *, actor, enterprise: Enterprise, kind: str, ended_on: date, reason: str, note: str = ""
) -> list[Certificate]:
    """End the firm's certificates of `kind` still valid on the day before `ended_on` (the first day without
    them): a revoked or lapsed registration ends the firm's status, whatever its recorded expiry. Each ended
    certificate is audited (old → new) with `note` as the reason; the status dates are refreshed.

    `actor` None is the system (a scheduled lapse); the caller (a programme's transition) has checked the
    decision itself."""
    if actor is not None:
        can(actor, "edit", enterprise).require()
    if reason not in CertificateEnd.values:
        raise ValidationFailed(_("证书终止原因有误"), [{"field": "reason", "reason": reason}])
    with transaction.atomic():
        ended = list(
            Certificate.objects.select_for_update()
            .filter(
                enterprise=enterprise,
                kind=kind,
                ended_on__isnull=True,
                issued_on__lte=ended_on,
                expires_on__gte=ended_on - timedelta(days=1),
            )
            .order_by("issued_on", "id")
        )
        for cert in ended:
            cert.ended_on, cert.end_reason, cert.end_note = ended_on, reason, note
            cert.save(update_fields=["ended_on", "end_reason", "end_note"])
            audit_record(
                actor=actor,
                action=AuditAction.UPDATE,
                target=cert,
                enterprise=enterprise,
                old={"ended_on": None, "end_reason": ""},
                new={"ended_on": ended_on.isoformat(), "end_reason": reason},
                reason=note or str(CertificateEnd(reason).label),
            )
        enterprise_refresh_status(enterprise)
    return ended
