"""Attachments (type by content, size limit, hash) and the inbox per role."""

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from django.test import override_settings

from gaoqi.errors import NotFound, PermissionDenied, ValidationFailed
from gaoqi.workflow.attachments import attachment_add, attachment_path
from gaoqi.workflow.selectors import inbox, inbox_count
from gaoqi.workflow.services import transition
from tests.workflow.conftest import start, submitted

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _xlsx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    return buf.getvalue()


@pytest.fixture
def var_dir(tmp_path, settings):
    settings.VAR_DIR = tmp_path
    return tmp_path


def test_allowed_files_are_stored_by_hash(sme_world, var_dir):
    app = start(sme_world["ks_user"], sme_world["ks"])
    for name, data, ctype in (
        ("审计报告.pdf", PDF, "application/pdf"),
        ("营业执照.PNG", PNG, "image/png"),
        ("研发台账.xlsx", _xlsx(), None),
    ):
        att = attachment_add(
            actor=sme_world["ks_user"], application=app, kind="financial", file_name=name, data=data
        )
        assert att.sha256 == hashlib.sha256(data).hexdigest() and att.size == len(data)
        assert attachment_path(att).read_bytes() == data and str(attachment_path(att)).startswith(
            str(var_dir)
        )
        if ctype:
            assert att.content_type == ctype


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("report.pdf", b"MZ\x90\x00 not a pdf", "不符"),  # an executable renamed
        ("photo.png", PDF, "不符"),  # a PDF named .png
        ("sheet.xlsx", b"PK\x03\x04garbage", "不符"),  # a broken zip
        ("archive.xlsx", None, "不符"),  # a zip without a workbook
        ("notes.docx", PDF, "只接受"),
        ("empty.pdf", b"", "为空"),
    ],
)
def test_refused_files(sme_world, var_dir, name, data, reason):
    if data is None:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("readme.txt", "x")
        data = buf.getvalue()
    app = start(sme_world["ks_user"], sme_world["ks"])
    with pytest.raises(ValidationFailed) as exc:
        attachment_add(
            actor=sme_world["ks_user"], application=app, kind="financial", file_name=name, data=data
        )
    assert reason in exc.value.errors[0]["reason"]
    assert not list(Path(var_dir).rglob("*.*"))


@override_settings(GAOQI_ATTACHMENT_MAX_BYTES=1024)
def test_the_size_limit_is_exact(sme_world, var_dir):
    app = start(sme_world["ks_user"], sme_world["ks"])
    at_limit = PDF + b" " * (1024 - len(PDF))
    attachment_add(actor=sme_world["ks_user"], application=app, kind="x", file_name="a.pdf", data=at_limit)
    with pytest.raises(ValidationFailed, match="附件"):
        attachment_add(
            actor=sme_world["ks_user"], application=app, kind="x", file_name="b.pdf", data=at_limit + b" "
        )


def test_attachments_only_by_the_firm_while_editable_and_never_by_others(sme_world, var_dir):
    app = start(sme_world["ks_user"], sme_world["ks"])
    with pytest.raises(NotFound):
        attachment_add(actor=sme_world["wz_user"], application=app, kind="x", file_name="a.pdf", data=PDF)
    with pytest.raises(NotFound):
        attachment_add(actor=sme_world["nanjing"], application=app, kind="x", file_name="a.pdf", data=PDF)
    app = transition(actor=sme_world["ks_user"], application=app, action="submit", version=app.version)
    with pytest.raises(ValidationFailed, match="当前环节"):
        attachment_add(actor=sme_world["ks_user"], application=app, kind="x", file_name="a.pdf", data=PDF)


def test_inbox_per_role(sme_world):
    ks_draft = start(sme_world["ks_user"], sme_world["ks"])
    wz_sub = submitted(sme_world, "wz")
    nj_sub = submitted(sme_world, "nj")
    assert list(inbox(actor=sme_world["ks_user"])) == [ks_draft]
    assert list(inbox(actor=sme_world["wz_user"])) == []  # submitted: waits for the province, not the firm
    assert list(inbox(actor=sme_world["province"])) == [wz_sub, nj_sub]  # oldest first
    assert inbox_count(actor=sme_world["province"]) == 2
    assert list(inbox(actor=sme_world["suzhou"])) == []  # city officers do not act in this programme
    assert list(inbox(actor=sme_world["expert"])) == [] and list(inbox(actor=sme_world["agency"])) == []
    transition(
        actor=sme_world["province"],
        application=wz_sub,
        action="return",
        reason="补充材料",
        version=wz_sub.version,
    )
    assert [a.pk for a in inbox(actor=sme_world["wz_user"])] == [wz_sub.pk]
    assert wz_sub.deadline is not None
    assert list(inbox(actor=sme_world["province"])) == [nj_sub]


def test_permission_reason_is_shown(sme_world):
    app = submitted(sme_world)
    with pytest.raises(PermissionDenied) as exc:
        transition(actor=sme_world["kunshan"], application=app, action="accept", version=app.version)
    assert "层级" in exc.value.message
