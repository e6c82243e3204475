"""The loader's vectorised paths give what the per-row code gives: IP and certificate numbers, the credit-code
check; and a load reports its time per phase."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from django.db import connection

from gaoqi.demo import items
from gaoqi.demo.codes import USCC_ALPHABET, valid_credit_codes
from gaoqi.demo.generator import generate, generate_parts
from gaoqi.demo.loader import load
from gaoqi.registry.validation import credit_code_errors

AS_OF = date(2025, 6, 30)


def test_vectorised_ip_numbers_equal_the_per_item_number():
    kinds = np.repeat(np.arange(len(items.KINDS)), 6)
    serials = np.tile(np.array([0, 7, 123_456, 9_999_999, 10_000_000, 123_456_789]), len(items.KINDS))
    years = np.full(len(kinds), 2019) + kinds
    numbers = items._numbers(kinds, years, serials).to_list()
    expected = [
        items._number(items.KINDS[k], int(y), int(s)) for k, y, s in zip(kinds, years, serials, strict=True)
    ]
    assert numbers == expected
    # 7 digits at least, more when needed
    assert "ZL2019110000000.0" in numbers and "2026SR9999999" in numbers
    assert items._numbers(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)).len() == 0


def test_ip_items_and_certificates_of_a_part_keep_their_numbering():
    last = list(generate_parts(1_100, 5, AS_OF, part_size=400))[-1]
    ip = items.ip_items(last, serial_start=9_999_990)
    rows = zip(ip["kind"].to_list(), ip["granted_on"], ip["number"].to_list(), strict=True)
    for i, (kind, granted, number) in enumerate(rows):
        assert number == items._number(
            kind, granted.astype("datetime64[Y]").astype(int) + 1970, 9_999_990 + i
        )
    assert len(set(ip["number"].to_list())) == len(ip["number"])
    assert set(ip["kind"].to_list()) <= set(items.KINDS)
    assert ip["title"].to_list()[0][:2] in {w[:2] for w in items.TITLE_WORDS}
    certs = items.certificates(last)
    county = last.firm["county"]
    for firm, kind, issued, number in zip(
        certs["firm"], certs["kind"], certs["issued_on"], certs["number"].to_list(), strict=True
    ):
        year = issued.astype("datetime64[Y]").astype(int) + 1970
        serial = firm + last.offset
        assert number == (
            f"GR{year}32{serial:07d}" if kind == "hte" else f"{year}{county[firm]}A{serial:07d}"
        )


def test_vectorised_credit_code_check_agrees_with_credit_code_errors():
    good = generate(3_000, 11, AS_OF).firm["credit_code"]
    rng = np.random.default_rng(0)
    chars = [*USCC_ALPHABET, *"IOSVZ abc-é公"]
    cases = list(good[:500])
    for code in good:  # one character changed (sometimes to a valid code by chance)
        i = rng.integers(0, 18)
        cases.append(code[:i] + chars[rng.integers(0, len(chars))] + code[i + 1 :])
    cases += [good[0][:17], good[0] + "1", "", "91", "9" * 18, "0" * 18, good[0].lower(), " " + good[0][1:]]
    mine = valid_credit_codes(np.array(cases))
    theirs = np.array([not credit_code_errors(c) for c in cases])
    assert mine[:500].all() and 0 < theirs.sum() < len(cases)
    # Never valid where credit_code_errors refuses; stricter only where stdnum would first compact the code.
    assert not (mine & ~theirs).any()
    stricter = [c for c, m, t in zip(cases, mine, theirs, strict=True) if t and not m]
    assert all(c != c.upper().replace(" ", "").replace("-", "") for c in stricter)
    assert valid_credit_codes(np.array([], dtype=str)).shape == (0,)


def test_a_load_reports_its_time_per_phase(db):
    result = load(generate(300, 3, AS_OF), progress=False)
    phases = result.timings.phases
    verb = "COPY" if connection.vendor == "postgresql" else "INSERT"
    for name in (
        f"{verb} registry_enterprise",
        f"{verb} registry_annualreport",
        "生成 generate (generating thread)",
    ):
        wall, cpu, _server = phases[name]
        assert wall > 0 and cpu >= 0
    if connection.vendor == "sqlite":
        assert np.isnan(phases[f"{verb} registry_enterprise"][2])  # no server process to read
    assert f"{verb} registry_intellectualproperty" in result.timings.table()


def test_the_phase_table_names_each_rebuilt_index(db, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the index and constraint rebuild is PostgreSQL's path: set DATABASE_URL=postgres://…")
    from gaoqi.demo import loader

    monkeypatch.setattr(loader, "BULK_MIN", 100)
    result = load(generate(300, 3, AS_OF), progress=False)
    table = result.timings.table()
    assert "CREATE INDEX enterprise_name_grams" in table
    assert "ADD CONSTRAINT ip_number_unique_per_kind (UNIQUE)" in table
    assert "VACUUM ANALYZE" not in table  # inside the test's transaction: no VACUUM
