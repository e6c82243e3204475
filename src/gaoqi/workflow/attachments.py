"""Application attachments: PDF, images (PNG, JPEG) and xlsx, within a size limit, recognised by their content
(magic bytes; an xlsx must be a zip holding a workbook), not by their name. Stored under settings.VAR_DIR by
their SHA-256 (the same file uploaded twice is stored once)."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from gaoqi.accounts.scope import can_transition
from gaoqi.audit.models import AuditAction
from gaoqi.audit.services import audit_record
from gaoqi.errors import ValidationFailed
from gaoqi.workflow.models import Attachment
from gaoqi.workflow.table import ENTERPRISE, programme

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# extension -> content type; the content must match the type the extension claims.
ALLOWED = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".xlsx": XLSX,
}


def sniff(head: bytes, data: bytes) -> str | None:
    """The content type the bytes really are (None: not an allowed type)."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            return None
        if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
            return XLSX
    return None


def max_bytes() -> int:
    return settings.GAOQI_ATTACHMENT_MAX_BYTES


def attachment_add(*, actor, application, kind: str, file_name: str, data: bytes) -> Attachment:
    """Attach a file: the firm while its application is editable, or an officer in scope."""
    prog = programme(application.programme)
    decision = can_transition(
        actor, application, {ENTERPRISE} | {"province_officer", "city_officer", "county_officer"}
    )
    decision.enforce()
    if actor.role == ENTERPRISE and application.phase not in prog.editable_phases:
        raise ValidationFailed(_("当前环节不能上传材料"), [{"field": "file", "reason": application.phase}])
    ext = Path(file_name).suffix.lower()
    errors = []
    if not kind.strip():
        errors.append({"field": "kind", "reason": _("请选择材料类型")})
    if len(data) == 0:
        errors.append({"field": "file", "reason": _("文件为空")})
    elif len(data) > max_bytes():
        errors.append(
            {"field": "file", "reason": _("文件超过 %(mb)s MB 上限") % {"mb": max_bytes() // 2**20}}
        )
    elif ext not in ALLOWED:
        errors.append({"field": "file", "reason": _("只接受 PDF、PNG、JPEG 图片和 xlsx 文件")})
    elif sniff(data[:16], data) != ALLOWED[ext]:
        errors.append({"field": "file", "reason": _("文件内容与扩展名 %(ext)s 不符") % {"ext": ext}})
    if errors:
        raise ValidationFailed(_("附件不符合要求"), errors)
    digest = hashlib.sha256(data).hexdigest()
    relative = Path("attachments") / digest[:2] / f"{digest}{ext}"
    target = Path(settings.VAR_DIR) / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(target)
    with transaction.atomic():
        att = Attachment.objects.create(
            application=application,
            kind=kind.strip()[:32],
            file_name=Path(file_name).name[:200],
            content_type=ALLOWED[ext],
            size=len(data),
            sha256=digest,
            stored_path=str(relative),
            uploaded_by=actor,
        )
        audit_record(
            actor=actor,
            action=AuditAction.CREATE,
            target=att,
            enterprise=application.enterprise,
            new={
                "application": application.pk,
                "file_name": att.file_name,
                "sha256": digest,
                "size": att.size,
            },
        )
    return att


def attachment_path(att: Attachment) -> Path:
    return Path(settings.VAR_DIR) / att.stored_path
