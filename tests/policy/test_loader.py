"""The strict parameter loader: every malformed file is rejected with its file and line."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from gaoqi.policy import (
    RULES,
    PolicyFileError,
    PolicyNotFound,
    PolicyOverrideError,
    available_policies,
    load_policy,
    parse_policy_file,
)

SME_FILE = RULES["tech_sme"].params_dir / "tech_sme_2017.yaml"
ORIGINAL = SME_FILE.read_text(encoding="utf-8")


def _line_of(text: str, needle: str) -> int:
    for i, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in text")


def _write(tmp_path: Path, text: str, name: str = "tech_sme_2017.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _error(tmp_path: Path, text: str) -> PolicyFileError:
    path = _write(tmp_path, text)
    with pytest.raises(PolicyFileError) as info:
        parse_policy_file(path)
    assert info.value.path == str(path)
    assert str(path) in str(info.value)
    return info.value


def test_the_shipped_file_parses():
    pf = parse_policy_file(SME_FILE)
    assert pf.name == "tech_sme" and pf.effective_from == date(2017, 5, 3)


def test_unknown_top_level_key_names_its_line(tmp_path):
    text = ORIGINAL.replace('version: "2017.1"\n', 'version: "2017.1"\ncolour: blue\n')
    err = _error(tmp_path, text)
    assert err.line == _line_of(text, "colour: blue")
    assert "unknown key 'colour'" in err.message


def test_unknown_key_inside_a_parameter_names_its_line(tmp_path):
    text = ORIGINAL.replace("      unit: persons\n", "      unti: persons\n", 1)
    err = _error(tmp_path, text)
    assert err.line == _line_of(text, "unti: persons")
    assert "unti" in err.message


def test_duplicate_key_names_the_second_occurrence(tmp_path):
    text = ORIGINAL.replace("      unit: persons\n", "      unit: persons\n      unit: people\n", 1)
    err = _error(tmp_path, text)
    assert err.line == _line_of(text, "unit: people")
    assert "duplicate key 'unit'" in err.message


def test_duplicate_criterion_in_flow_mapping_is_caught(tmp_path):
    text = ORIGINAL.replace(
        "label_en: Resident enterprise,", "label_en: Resident enterprise, label_en: Again,"
    )
    err = _error(tmp_path, text)
    assert err.line == _line_of(text, "label_en: Again")
    assert "duplicate key" in err.message


def test_impossible_date_as_value_key_names_its_line(tmp_path):
    text = ORIGINAL.replace("2017-05-03: {value: 500,", "2017-13-03: {value: 500,")
    err = _error(tmp_path, text)
    assert err.line == _line_of(text, "2017-13-03")
    assert "bad date" in err.message


def test_non_date_value_key_is_a_bad_date(tmp_path):
    text = ORIGINAL.replace("2017-05-03: {value: 500,", "2017/05/03: {value: 500,")
    err = _error(tmp_path, text)
    assert err.line == _line_of(text, "2017/05/03")
    assert "bad date" in err.message


def test_bad_effective_from_names_its_line(tmp_path):
    text = ORIGINAL.replace("effective_from: 2017-05-03", "effective_from: 2017-02-30")
    err = _error(tmp_path, text)
    assert err.line == _line_of(text, "effective_from:")


def test_missing_source_names_the_value_line(tmp_path):
    text = ORIGINAL.replace(
        "2017-05-03: {value: 500, source: {cite: measures, article: 第六条（二）}}",
        "2017-05-03: {value: 500}",
    )
    err = _error(tmp_path, text)
    assert err.line == _line_of(text, "{value: 500}")
    assert "source" in err.message


def test_source_without_article_is_rejected(tmp_path):
    text = ORIGINAL.replace(
        "{value: 500, source: {cite: measures, article: 第六条（二）}}",
        "{value: 500, source: {cite: measures}}",
    )
    err = _error(tmp_path, text)
    assert err.line == _line_of(text, "{value: 500, source: {cite: measures}}")
    assert "article" in err.message


def test_citation_without_publication_date_is_rejected(tmp_path):
    text = ORIGINAL.replace("    published: 2017-05-03\n", "", 1)
    err = _error(tmp_path, text)
    assert "published" in err.message
    assert err.line == _line_of(text, "issuer: 科技部 财政部 国家税务总局")  # first line of the citation


def test_unknown_parameter_is_rejected(tmp_path):
    text = ORIGINAL.replace(
        "  score:\n",
        "  score:\n    bonus_points:\n      type: count\n      values:\n"
        "        2017-05-03: {value: 5, source: {cite: measures, article: x}}\n",
        1,
    )
    err = _error(tmp_path, text)
    assert "unknown parameter 'score.bonus_points'" in err.message
    assert err.line == _line_of(text, "bonus_points:") + 1


def test_missing_parameter_is_rejected(tmp_path):
    start = ORIGINAL.index("    pass_min:")
    end = ORIGINAL.index("    tech_staff_bands:")
    err = _error(tmp_path, ORIGINAL[:start] + ORIGINAL[end:])
    assert "score.pass_min" in err.message


def test_bands_must_decrease(tmp_path):
    text = ORIGINAL.replace("- {at_least: 25, points: 16}", "- {at_least: 35, points: 16}")
    err = _error(tmp_path, text)
    assert "strictly decrease" in err.message


def test_value_of_the_wrong_type_names_its_line(tmp_path):
    text = ORIGINAL.replace("{value: 60, source", "{value: sixty, source")
    err = _error(tmp_path, text)
    assert err.line == _line_of(text, "value: sixty")


def test_yaml_syntax_error_names_a_line(tmp_path):
    text = ORIGINAL.replace('version: "2017.1"', 'version: ["2017.1"')
    err = _error(tmp_path, text)
    assert err.line is not None


def test_unknown_policy_is_not_found():
    with pytest.raises(PolicyNotFound, match="unknown policy 'hte2'"):
        load_policy("hte2", date(2024, 1, 1))


def test_date_before_any_validity_is_not_found():
    with pytest.raises(PolicyNotFound, match="not in force on 2017-05-02") as info:
        load_policy("tech_sme", date(2017, 5, 2))
    assert "2017-05-03" in str(info.value)


def test_first_day_of_validity_is_found():
    assert load_policy("tech_sme", date(2017, 5, 3)).version == "2017.1"


def test_available_policies_lists_the_shipped_ones():
    assert available_policies() == ["hte", "ledger_tier", "pool", "reward", "rnd_institution", "tech_sme"]


def _two_files(tmp_path: Path, first_end: str | None, second_start: str) -> Path:
    shutil.copy(SME_FILE, tmp_path / "tech_sme_2017.yaml")
    first = (
        ORIGINAL
        if first_end is None
        else ORIGINAL.replace(
            "effective_from: 2017-05-03\n", f"effective_from: 2017-05-03\neffective_to: {first_end}\n"
        )
    )
    _write(tmp_path, first)
    second = (
        ORIGINAL.replace("effective_from: 2017-05-03", f"effective_from: {second_start}")
        .replace('version: "2017.1"', 'version: "2020.1"')
        .replace("2017-05-03: {value: 60,", f"{second_start}: {{value: 65,")
        .replace("\n        2017-05-03:", f"\n        {second_start}:")
        .replace("\n          2017-05-03:", f"\n          {second_start}:")
    )
    _write(tmp_path, second, "tech_sme_2020.yaml")
    return tmp_path


def test_files_succeed_each_other_by_effective_date(tmp_path):
    folder = _two_files(tmp_path, None, "2020-01-01")
    old = load_policy("tech_sme", date(2019, 12, 31), params_dir=folder)
    new = load_policy("tech_sme", date(2020, 1, 1), params_dir=folder)
    assert (old.version, old.value("score.pass_min")) == ("2017.1", 60)
    assert (new.version, new.value("score.pass_min")) == ("2020.1", 65)
    assert old.param_hash != new.param_hash


def test_a_gap_between_validities_is_not_found(tmp_path):
    folder = _two_files(tmp_path, "2018-12-31", "2020-01-01")
    assert load_policy("tech_sme", date(2018, 12, 31), params_dir=folder).version == "2017.1"
    with pytest.raises(PolicyNotFound):
        load_policy("tech_sme", date(2019, 6, 1), params_dir=folder)


def test_overlapping_validities_are_a_file_error(tmp_path):
    folder = _two_files(tmp_path, "2020-06-30", "2020-01-01")
    with pytest.raises(PolicyFileError, match="overlaps"):
        load_policy("tech_sme", date(2019, 6, 1), params_dir=folder)


def test_a_later_dated_value_inside_a_file_takes_over_on_its_date(tmp_path):
    text = ORIGINAL.replace(
        "        2017-05-03: {value: 60, source: {cite: measures, article: 第六条（五）}}\n",
        "        2017-05-03: {value: 60, source: {cite: measures, article: 第六条（五）}}\n"
        "        2021-01-01: {value: 62, source: {cite: measures, article: 第六条（五）}}\n",
    )
    folder = _write(tmp_path, text).parent
    before = load_policy("tech_sme", date(2020, 12, 31), params_dir=folder).params["score.pass_min"]
    after = load_policy("tech_sme", date(2021, 1, 1), params_dir=folder).params["score.pass_min"]
    assert (before.value, before.effective_from) == (60, date(2017, 5, 3))
    assert (after.value, after.effective_from) == (62, date(2021, 1, 1))


def test_params_carry_value_date_and_source():
    p = load_policy("hte", date(2024, 1, 1))
    param = p.params["hitech_income.min_ratio"]
    assert str(param.value) == "3/5"
    assert param.effective_from == date(2016, 1, 1)
    assert param.source.cite() == "国科发火〔2016〕32号 第十一条（六）"
    assert param.source.issuer and param.source.published == date(2016, 1, 29)


def test_pool_values_are_labelled_illustrative():
    p = load_policy("pool", date(2024, 1, 1))
    assert all(param.source.illustrative for param in p.params.values())
    assert p.params["reward.admission_amount"].configurable


def test_the_2022_guideline_is_a_dated_note_not_a_new_rule_set():
    p = load_policy("tech_sme", date(2024, 1, 1))
    assert [n.document for n in p.notes] == ["国科火字〔2022〕67号"]
    assert p.version == "2017.1"


def test_override_of_an_unknown_parameter_is_rejected():
    with pytest.raises(PolicyOverrideError, match="no parameter 'score.pass_mni'"):
        load_policy("tech_sme", date(2024, 1, 1), {"score.pass_mni": 65})


def test_override_of_the_wrong_shape_is_rejected():
    with pytest.raises(PolicyOverrideError, match="score.tech_staff_bands"):
        load_policy("tech_sme", date(2024, 1, 1), {"score.tech_staff_bands": [{"at_least": 10, "points": 4}]})
    with pytest.raises(PolicyOverrideError):
        load_policy("tech_sme", date(2024, 1, 1), {"size.employees_max": "500"})


def test_override_that_breaks_a_cross_parameter_rule_is_rejected():
    with pytest.raises(PolicyOverrideError, match="sum to 100"):
        load_policy("rnd_institution", date(2024, 1, 1), {"weights.funding": 50})


def test_override_replaces_value_keeps_baseline_untouched_and_is_recorded():
    base = load_policy("pool", date(2024, 1, 1))
    reform = base.with_overrides({"reward.admission_amount": 500000, "rnd.min_ratio": "3.5"})
    assert reform.value("reward.admission_amount") == 500000
    assert float(reform.value("rnd.min_ratio")) == 0.035
    assert base.value("reward.admission_amount") == 300000
    assert reform.params["rnd.min_ratio"].overridden and not base.params["rnd.min_ratio"].overridden
    assert dict(reform.overrides) == {"reward.admission_amount": 500000, "rnd.min_ratio": "3.5"}


def test_param_hash_is_stable_and_tracks_values():
    a = load_policy("hte", date(2024, 1, 1))
    b = load_policy("hte", date(2024, 6, 1))
    assert a.param_hash == b.param_hash and len(a.param_hash) == 64
    assert load_policy("hte", date(2024, 1, 1), {"score.pass_above": 70}).param_hash == a.param_hash
    assert load_policy("hte", date(2024, 1, 1), {"score.pass_above": 75}).param_hash != a.param_hash


def test_pool_hash_includes_the_tech_sme_policy_it_relies_on():
    p = load_policy("pool", date(2024, 1, 1))
    assert p.subpolicies["tech_sme"].version == "2017.1"
    assert p.to_dict()["param_hash"] == p.param_hash
