"""Import profiles are data: every shipped one loads, a broken one is refused with its line, and each has
its synthetic sample, generated deterministically and committed."""

from __future__ import annotations

import pytest

from gaoqi.intake import samples as sample_module
from gaoqi.intake.profiles import ProfileError, load_profiles, parse_profile

GOOD = """profile: p
version: 1
title: 测试
department: tax
columns:
  credit_code: [统一社会信用代码]
  revenue: {headers: [营业收入], unit: 万元}
"""


def test_every_shipped_profile_loads_and_has_a_sample(samples):
    profiles = load_profiles()
    assert {
        "market_registry",
        "tax",
        "statistics",
        "ip_office",
        "industry_it_lists",
        "development_reform_lists",
        "bureau_ledger",
    } <= set(profiles)
    for code in profiles:
        assert any((samples / f"{code}.{ext}").exists() for ext in ("xlsx", "csv")), code


def test_samples_are_current_and_deterministic(samples, tmp_path):
    written = sample_module.write_samples(tmp_path)
    for path in written:
        assert path.read_bytes() == (samples / path.name).read_bytes(), (
            f"{path.name}: run python -m gaoqi.intake.samples"
        )


def test_a_good_profile(tmp_path):
    profile = parse_profile(tmp_path / "p.yaml", GOOD)
    assert profile.columns["revenue"].unit == "万元" and profile.kind == "facts" and profile.yearly
    assert profile.aliases["营业收入"] == "revenue" and profile.aliases["销售收入"] == "revenue"


@pytest.mark.parametrize(
    ("change", "line", "text"),
    [
        (("department: tax", "department: police"), 4, "unknown department"),
        (("  revenue:", "  turnover:"), 7, "unknown target"),
        (("unit: 万元", "unit: 人"), 7, "does not fit"),
        (("title: 测试", "title: 测试\ncolor: red"), 4, "unknown key 'color'"),
        (("title: 测试", "title: 测试\ntitle: 又一个"), 4, "duplicate key"),
        (("[营业收入]", "[营业收入, 统一社会信用代码]"), 7, "names both"),
        (("profile: p", "profile: q"), 1, "named like its file"),
    ],
)
def test_a_broken_profile_names_file_and_line(change, line, text, tmp_path):
    with pytest.raises(ProfileError) as caught:
        parse_profile(tmp_path / "p.yaml", GOOD.replace(*change))
    assert caught.value.line == line and text in caught.value.message
    assert str(caught.value).startswith(f"{tmp_path / 'p.yaml'}:{line}:")
