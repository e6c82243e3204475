"""The pool's declaration read as a table, without a database: who acts in which phase, per role and level."""

from datetime import date

from gaoqi.programmes.pool import params
from gaoqi.programmes.pool.declaration import PROGRAMME, add_years, period_end
from gaoqi.workflow.table import CITY, COUNTY, ENTERPRISE, PROVINCE, SYSTEM, programme


def test_the_programme_is_registered_with_the_core():
    assert programme("pool") is PROGRAMME
    assert PROGRAMME.initial == "draft" and PROGRAMME.detail_url == "pool:application"
    PROGRAMME.check_guards()


def test_each_level_acts_in_its_own_phases():
    assert PROGRAMME.phases_acted_on_by(ENTERPRISE) == ["draft", "returned"]
    assert PROGRAMME.phases_acted_on_by(COUNTY) == ["submitted"]
    assert PROGRAMME.phases_acted_on_by(CITY) == ["recommended"]
    assert PROGRAMME.phases_acted_on_by(PROVINCE) == ["expert_review", "in_notice", "reviewed"]
    assert PROGRAMME.phases_acted_on_by(SYSTEM) == []  # the period's end is not in anyone's inbox


def test_the_table_rows():
    rows = {(r["from"], r["action"]): r for r in PROGRAMME.rows()}
    assert rows[("submitted", "recommend")]["to"] == "recommended"
    assert rows[("submitted", "recommend")]["roles"] == [COUNTY]
    assert (
        rows[("recommended", "pass")]["roles"] == [CITY]
        and rows[("recommended", "pass")]["to"] == "expert_review"
    )
    assert rows[("expert_review", "expert_pass")]["guards"] == ["experts_scored"]
    assert rows[("in_notice", "admit")]["guards"] == ["notice_closed", "no_upheld_objection"]
    assert rows[("admitted", "exit_expired")]["roles"] == sorted([PROVINCE, SYSTEM])
    assert rows[("draft", "submit")]["guards"] == [
        "in_intake_window",
        "declaration_complete",
        "evaluation_passes",
    ]
    with_reason = {k for k, r in rows.items() if r["reason"]}
    assert with_reason == {
        ("submitted", "return"),
        ("recommended", "return"),
        ("expert_review", "reject"),
        ("in_notice", "reject"),
        ("admitted", "revoke"),
    }
    assert {t.target for t in PROGRAMME.actions_from("admitted")} == {
        "exited_certified",
        "exited_expired",
        "revoked",
    }
    assert all(
        PROGRAMME.phase(p).final
        for p in ("rejected", "withdrawn", "exited_certified", "exited_expired", "revoked")
    )


def test_batch_actions_are_offered_on_the_queues():
    batch = {(t.source, t.action) for t in PROGRAMME.transitions if t.batch}
    assert {
        ("submitted", "recommend"),
        ("submitted", "return"),
        ("recommended", "pass"),
        ("in_notice", "admit"),
    } <= batch
    assert ("draft", "submit") not in batch and (
        "reviewed",
        "publish",
    ) not in batch  # publish: only via a notice


def test_dated_parameters():
    assert params.intake_window(2026) == (date(2026, 3, 1), date(2026, 6, 30))
    assert params.param("intake_window", date(2026, 1, 1)).illustrative
    assert params.value("pool_years", date(2026, 1, 1)) == 3
    assert params.value("expert_panel_size", date(2026, 1, 1)) == 3
    items = params.score_items(date(2026, 1, 1))
    assert [i["label"] for i in items] == ["创新能力", "研发投入", "成长性", "知识产权"]
    assert (
        sum(i["max"] for i in items) == 100
        and params.param("expert_score_items", date(2026, 1, 1)).illustrative
    )


def test_the_pool_period():
    assert period_end(date(2026, 4, 27)) == date(2029, 4, 26)  # three years, the last day in the pool
    assert add_years(date(2024, 2, 29), 3) == date(2027, 2, 28)
    assert period_end(date(2026, 1, 1)) == date(2028, 12, 31)
