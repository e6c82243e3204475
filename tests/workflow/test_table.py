"""The declared tables, without a database: well-formed, every guard registered, inbox phases per role."""

import pytest

from gaoqi.programmes.tech_sme.declaration import PROGRAMME, TRANSITIONS
from gaoqi.workflow.table import ENTERPRISE, PROVINCE, SYSTEM, Phase, Programme, Transition


def test_every_transition_joins_declared_phases_and_names_registered_guards():
    codes = {p.code for p in PROGRAMME.phases}
    for t in TRANSITIONS:
        assert t.source in codes and t.target in codes
        assert set(t.guards) <= set(PROGRAMME.guards)


def test_final_phases_have_no_way_out():
    final = {p.code for p in PROGRAMME.phases if p.final}
    assert final == {"rejected", "revoked", "lapsed", "withdrawn"}
    assert not [t for t in TRANSITIONS if t.source in final]


def test_a_return_or_revocation_needs_a_reason_an_acceptance_does_not():
    assert PROGRAMME.find("submitted", "return").reason_required
    assert PROGRAMME.find("registered", "revoke").reason_required
    assert PROGRAMME.find("in_notice", "reject").reason_required
    assert not PROGRAMME.find("submitted", "accept").reason_required


def test_who_acts_where():
    assert PROGRAMME.phases_acted_on_by(ENTERPRISE) == ["draft", "returned"]
    assert PROGRAMME.phases_acted_on_by(PROVINCE) == ["accepted", "in_notice", "submitted"]
    assert PROGRAMME.phases_acted_on_by("city_officer") == []
    assert PROGRAMME.find("registered", "lapse").roles == frozenset({SYSTEM})


def test_a_malformed_table_is_refused():
    phases = (Phase("a", "A"), Phase("b", "B"))
    with pytest.raises(ValueError, match="undeclared"):
        Programme("x", "X", phases, "a", (Transition("a", "c", "go", "Go", frozenset({PROVINCE})),))
    with pytest.raises(ValueError, match="twice"):
        t = Transition("a", "b", "go", "Go", frozenset({PROVINCE}))
        Programme("x", "X", phases, "a", (t, t))
    with pytest.raises(ValueError, match="unknown roles"):
        Transition("a", "b", "go", "Go", frozenset({"mayor"}))
    with pytest.raises(ValueError, match="not registered"):
        Programme(
            "x", "X", phases, "a", (Transition("a", "b", "go", "Go", frozenset({PROVINCE}), ("g",)),)
        ).check_guards()
