"""Fixtures for the import tests: sample files (docs/samples), an officer per level, a file writer."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import xlsxwriter

from gaoqi.accounts.models import Role
from tests import factories

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"


@pytest.fixture
def samples() -> Path:
    return SAMPLES


@pytest.fixture
def officers(db):
    """A province officer, a Suzhou and a Nanjing city officer, a Kunshan county officer."""
    return {
        "province": factories.province_admin(),
        "suzhou": factories.officer(Role.CITY_OFFICER, "320500"),
        "nanjing": factories.officer(Role.CITY_OFFICER, "320100"),
        "kunshan": factories.officer(Role.COUNTY_OFFICER, "320583"),
    }


def write_xlsx(path: Path, rows: list[list], sheet: str = "Sheet1", merges=(), formulas=()) -> Path:
    """A workbook with `rows` from A1; merges: (r0, c0, r1, c1, value); formulas: (r, c, formula, cached)."""
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet(sheet)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                ws.write(r, c, value)
    for r0, c0, r1, c1, value in merges:
        ws.merge_range(r0, c0, r1, c1, value)
    for r, c, formula, cached in formulas:
        ws.write_formula(r, c, formula, None, cached)
    book.close()
    return path


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8") -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path
