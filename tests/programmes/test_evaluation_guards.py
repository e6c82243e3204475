"""The live-evaluation guards the tech-SME and pool declarations share (`gaoqi.programmes.declaration`), on a
stand-in evaluation module, without a database: which guard speaks when, its message, one evaluation per
transition."""

from __future__ import annotations

from types import SimpleNamespace

from gaoqi.programmes.declaration import evaluation_guards


def _module(ev):
    """An evaluation module whose every evaluation is `ev`, counting how often it evaluates."""
    calls = []

    def evaluate_facts(facts, as_of):
        calls.append(as_of)
        return ev

    return SimpleNamespace(
        effective_facts=lambda *, actor, application, as_of: {"actor": actor},
        evaluate_facts=evaluate_facts,
        error_texts=lambda e: [f"E{i}" for i in range(len(e.errors))],
        calls=calls,
    )


def _guards(module):
    return evaluation_guards(
        module,
        key="_live",
        incomplete="incomplete: %(e)s",
        failed="not eligible (score %(s)s): %(f)s",
        none_failed="the score",
    )


def _ev(*, errors=(), eligible=False, failed=(), score=None):
    conditions = [SimpleNamespace(label_zh=label) for label in failed]
    return SimpleNamespace(errors=list(errors), eligible=eligible, failed_conditions=conditions, score=score)


def test_errors_are_the_completeness_guards_to_report_the_first_five():
    module = _module(_ev(errors=range(7)))
    guards, ctx = _guards(module), {"actor": "firm"}
    assert guards["declaration_complete"](None, ctx) == "incomplete: E0；E1；E2；E3；E4"
    assert guards["evaluation_passes"](None, ctx) == ""  # not its message
    assert len(module.calls) == 1  # one evaluation per transition, kept under ctx["_live"]


def test_a_firm_not_eligible_hears_the_failed_conditions_and_its_score():
    guards = _guards(_module(_ev(failed=("研发费用占比", "知识产权"), score=55)))
    ctx = {"actor": "firm"}
    assert guards["declaration_complete"](None, ctx) == ""
    assert guards["evaluation_passes"](None, ctx) == "not eligible (score 55): 研发费用占比、知识产权"


def test_without_a_failed_condition_or_a_score_the_defaults_stand_in():
    guards = _guards(_module(_ev()))
    assert guards["evaluation_passes"](None, {"actor": "firm"}) == "not eligible (score —): the score"


def test_an_eligible_firm_passes_both():
    guards = _guards(_module(_ev(eligible=True, score=80)))
    ctx = {"actor": "firm"}
    assert guards["declaration_complete"](None, ctx) == "" and guards["evaluation_passes"](None, ctx) == ""
