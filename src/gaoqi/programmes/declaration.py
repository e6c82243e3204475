"""What the programmes' declarations (tech_sme/, pool/, hte/declaration.py) share, parameterised by each: who
acts (the role sets their tables name), the rows every table repeats (the firm's submission and withdrawal, a
return for changes, the publication through a notice, the rejection after it), the phases in which the firm
still edits its declaration, and the guards on the live evaluation of the programmes whose evaluation is the
policy engine's (tech-SME, pool)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gaoqi.workflow.guards import live_evaluation
from gaoqi.workflow.table import (
    CITY,
    COUNTY,
    ENTERPRISE,
    NOTIFY_ENTERPRISE,
    NOTIFY_NEXT_ACTORS,
    PROVINCE,
    Transition,
)

FIRM = frozenset({ENTERPRISE})
CTY = frozenset({COUNTY})
CIT = frozenset({CITY})
PROV = frozenset({PROVINCE})
BOTH = (NOTIFY_ENTERPRISE, NOTIFY_NEXT_ACTORS)
EDITABLE = frozenset({"draft", "returned"})  # the phases in which the firm edits its declaration


def submission(label: str, roles: frozenset[str], guards: tuple[str, ...]) -> tuple[Transition, ...]:
    """draft → submitted (`label`) and returned → submitted (resubmit), by `roles` under `guards`, each freezing
    the evaluation and notifying the next actors; the firm withdraws a draft or a returned application."""
    return (
        Transition("draft", "submitted", "submit", label, roles, guards,
                   records=("evaluation",), notify=(NOTIFY_NEXT_ACTORS,)),
        Transition("returned", "submitted", "resubmit", _("修改后重新提交"), roles, guards,
                   records=("evaluation",), notify=(NOTIFY_NEXT_ACTORS,)),
        Transition("draft", "withdrawn", "withdraw", _("撤回"), FIRM, inbox=False),
        Transition("returned", "withdrawn", "withdraw", _("撤回"), FIRM, inbox=False),
    )  # fmt: skip


def return_for_changes(source: str, roles: frozenset[str]) -> Transition:
    """`source` → returned: back to the firm with the reason (a batch action, the firm notified)."""
    return Transition(source, "returned", "return", _("退回修改"), roles, reason_required=True,
                      records=("remarks",), notify=(NOTIFY_ENTERPRISE,), batch=True)  # fmt: skip


def publish(source: str, target: str = "in_notice") -> Transition:
    """`source` → `target` by the province, only through a notice batch (公示)."""
    return Transition(source, target, "publish", _("公示"), PROV, ("published_by_notice",),
                      notify=(NOTIFY_ENTERPRISE,))  # fmt: skip


def reject_after_notice(label: str) -> Transition:
    """in_notice → rejected (`label`) by the province once the notice has closed, with the reason."""
    return Transition("in_notice", "rejected", "reject", label, PROV, ("notice_closed",),
                      reason_required=True, records=("remarks",), notify=(NOTIFY_ENTERPRISE,), batch=True)  # fmt: skip


def evaluation_guards(evaluation, *, key: str, incomplete: str, failed: str, none_failed: str) -> dict:
    """The guards `declaration_complete` and `evaluation_passes` of a programme whose `evaluation` module runs
    the policy engine, on the live evaluation (computed once per transition under `ctx[key]`): `incomplete`
    (%(e)s: the first five errors) while the evaluation has errors; `failed` (%(f)s: the failed conditions, else
    `none_failed`; %(s)s: the score) when the firm is not eligible."""

    def live(app, ctx):
        return live_evaluation(evaluation, app, ctx, key=key)

    def declaration_complete(app, ctx) -> str:
        ev = live(app, ctx)
        if ev.errors:
            return incomplete % {"e": "；".join(evaluation.error_texts(ev)[:5])}
        return ""

    def evaluation_passes(app, ctx) -> str:
        ev = live(app, ctx)
        if ev.errors or ev.eligible:
            return ""  # incomplete data is declaration_complete's message
        names = "、".join(c.label_zh for c in ev.failed_conditions) or none_failed
        return failed % {"f": names, "s": ev.score if ev.score is not None else "—"}

    return {"declaration_complete": declaration_complete, "evaluation_passes": evaluation_passes}
