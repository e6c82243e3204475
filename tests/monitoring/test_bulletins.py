"""Bulletins: the PDF's text, a page as PNG, the workbook's figures, the archive, the job, the CLI, scope."""

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from pypdf import PdfReader
from python_calamine import CalamineWorkbook

from gaoqi.errors import NotFound, ValidationFailed
from gaoqi.monitoring import bulletins
from gaoqi.monitoring.models import Bulletin

PNG_DIR = Path(settings.VAR_DIR) / "test-bulletins"


@pytest.fixture(autouse=True)
def _var_dir(tmp_path, settings):
    settings.VAR_DIR = tmp_path


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_parse_period(kpi_world):
    p = bulletins.parse_period("2026-Q3")
    assert (p.start.isoformat(), p.end.isoformat(), p.quarterly) == ("2026-07-01", "2026-09-30", True)
    p = bulletins.parse_period("2026-02")
    assert (p.start.isoformat(), p.end.isoformat(), p.quarterly) == ("2026-02-01", "2026-02-28", False)
    for bad in ("2026-13", "2026-Q5", "26-01", "2026-12", "2027-Q1", "2018-12", ""):
        with pytest.raises(ValidationFailed):
            bulletins.parse_period(bad)


def test_city_pdf_text_and_archive(kpi_world):
    b = bulletins.bulletin_generate(
        actor=kpi_world["suzhou"], region_code="320500", period="2026-11", fmt="pdf"
    )
    content = bulletins.bulletin_file(b).read_bytes()
    assert content.startswith(b"%PDF") and b.size == len(content) and b.as_of.isoformat() == "2026-11-20"
    text = _pdf_text(content)
    assert "苏州市高新技术企业培育进展通报" in text
    assert "2026年11月" in text and "2026-11-20" in text
    for label in ("有效高新技术企业数", "规模以上高企研发机构建有率", "高新区内高企占比"):
        assert label in text
    assert "昆山市" in text and "吴中区" in text
    assert "80.0%" in text  # Suzhou R&D share: 8,000,000 / 10,000,000
    assert "江宁" not in text  # the map names every city; no figure below Suzhou's own counties
    if shutil.which("pdftoppm"):  # a page to look at (the province test checks the PNGs themselves)
        PNG_DIR.mkdir(parents=True, exist_ok=True)
        path = str(bulletins.bulletin_file(b))
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", "-f", "2", "-l", "2", path, str(PNG_DIR / "suzhou")], check=True
        )


def test_province_pdf_page_as_png(kpi_world):
    b = bulletins.bulletin_generate(
        actor=kpi_world["province"], region_code="320000", period="2026-Q4", fmt="pdf"
    )
    path = bulletins.bulletin_file(b)
    text = _pdf_text(path.read_bytes())
    assert "江苏省高新技术企业培育进展通报" in text and "2026年第4季度" in text
    assert "66.7%" in text and "75.0%" in text and "45.0%" in text
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed: the page-to-PNG check needs it")
    PNG_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", str(path), str(PNG_DIR / "province")],
        check=True,
    )
    pngs = sorted(PNG_DIR.glob("province*.png"))
    assert pngs and all(p.read_bytes().startswith(b"\x89PNG") and p.stat().st_size > 5000 for p in pngs)


def test_xlsx_same_figures(kpi_world):
    b = bulletins.bulletin_generate(
        actor=kpi_world["province"], region_code="320000", period="2026-11", fmt="xlsx"
    )
    book = CalamineWorkbook.from_path(str(bulletins.bulletin_file(b)))
    assert book.sheet_names[:2] == ["六项指标", "分地区"]
    rows = book.get_sheet_by_name("六项指标").to_python()
    by_label = {r[0]: r for r in rows[4:10]}
    assert by_label["有效高新技术企业数"][1] == 4
    assert by_label["规模以上高企研发机构建有率"][1] == pytest.approx(66.7)
    assert by_label["规模以上高企研发机构建有率"][3:5] == [2, 3]
    assert by_label["高企研发经费占全社会企业研发经费比重"][3:5] == [9_000_000, 15_000_000]
    assert by_label["高企有效发明专利拥有量"][1] == 4
    regions = {r[0]: r for r in book.get_sheet_by_name("分地区").to_python()[1:]}
    assert len(regions) == 13 and regions["苏州市"][1] == 3 and regions["南京市"][1] == 1
    assert regions["苏州市"][6] == 3  # invention patents of Suzhou's HTEs


def test_scope_and_archive_listing(kpi_world):
    with pytest.raises(NotFound):
        bulletins.bulletin_generate(
            actor=kpi_world["suzhou"], region_code="320100", period="2026-11", fmt="pdf"
        )
    with pytest.raises(NotFound):
        bulletins.bulletin_generate(
            actor=kpi_world["kunshan"], region_code="320500", period="2026-11", fmt="xlsx"
        )
    b = bulletins.bulletin_generate(
        actor=kpi_world["kunshan"], region_code="320583", period="2026-11", fmt="xlsx"
    )
    from gaoqi.accounts.scope import get_bulletin_for_actor

    assert get_bulletin_for_actor(kpi_world["suzhou"], b.pk) == b
    assert get_bulletin_for_actor(kpi_world["province"], b.pk) == b
    for who in ("nanjing", "ks_user", "expert", "agency"):
        with pytest.raises(NotFound):
            get_bulletin_for_actor(kpi_world[who], b.pk)


def test_job_runs_and_links_the_download(kpi_world):
    from gaoqi.jobs.services import start_job
    from gaoqi.jobs.testing import run_queued_jobs

    job = start_job(
        actor=kpi_world["suzhou"],
        kind="monitoring.bulletin",
        func_path="gaoqi.monitoring.bulletins.bulletin_job",
        kwargs={
            "user_id": kpi_world["suzhou"].pk,
            "region_code": "320500",
            "period": "2026-11",
            "fmt": "xlsx",
        },
    )
    run_queued_jobs()
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    bulletin = Bulletin.objects.get(pk=job.result["bulletin"])
    assert job.result_url.endswith(f"/bulletins/{bulletin.pk}/download/")


def test_cli(kpi_world, tmp_path):
    out = tmp_path / "sz.pdf"
    call_command(
        "bulletin", "--region", "320500", "--period", "2026-11", "--format", "pdf", "--out", str(out)
    )
    assert out.read_bytes().startswith(b"%PDF") and "苏州市" in _pdf_text(out.read_bytes())
    assert Bulletin.objects.filter(region_id="320500", period="2026-11", format="pdf").count() == 1
    with pytest.raises(SystemExit) as exc:
        call_command(
            "bulletin", "--region", "320500", "--period", "2026-13", "--format", "pdf", "--out", str(out)
        )
    assert exc.value.code == 2
