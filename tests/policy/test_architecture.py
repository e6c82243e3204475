"""The engine's architecture, checked: import contracts (pyproject [tool.importlinter]) and one definition
per criterion."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from gaoqi.policy import RULES, load_policy
from gaoqi.policy.core.rules import Criterion, RuleSet

ROOT = Path(__file__).resolve().parents[2]
AS_OF_TEXT = "2024-06-30"


def test_import_contracts_are_kept():
    """No Django in the engine, no policy importing another, core below policies, backends and formats."""
    exe = Path(sys.executable).with_name("lint-imports")
    out = subprocess.run(
        [str(exe), "--no-cache", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout


def test_every_criterion_is_defined_exactly_once_in_the_source():
    """Each criterion id has one `@criterion("<id>"` definition; there is no second (bulk) copy anywhere."""
    sources = "\n".join(p.read_text("utf-8") for p in (ROOT / "src/gaoqi/policy").rglob("*.py"))
    for rules in RULES.values():
        for cid in rules.criteria:
            assert len(re.findall(rf'criterion\("{re.escape(cid)}"', sources)) == 1, cid


def test_a_criterion_cannot_be_registered_twice():
    rules = RuleSet("demo", object, frozenset(), {}, ROOT)
    rules.criterion("demo.a")(lambda x: None)
    with pytest.raises(ValueError, match="defined twice"):
        rules.criterion("demo.a")(lambda x: None)
    assert isinstance(rules.criteria["demo.a"], Criterion)


@pytest.mark.parametrize("name", sorted(RULES))
def test_parameter_files_declare_exactly_the_criteria_of_the_rules(name):
    from datetime import date

    policy = load_policy(name, date.fromisoformat(AS_OF_TEXT))
    assert list(policy.criteria) == list(RULES[name].criteria)
    assert policy.rules is RULES[name]


def test_every_policy_declares_bulk_support_explicitly():
    for rules in RULES.values():
        assert rules.bulk is True, rules.name  # the differential tests in test_batch.py run each of them
