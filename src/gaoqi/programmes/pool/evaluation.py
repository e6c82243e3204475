"""The pool application's evaluation: the registry's facts overlaid with the firm's declared figures (the same
declaration as the tech-SME self-evaluation), evaluated by the engine's `pool` policy (its entry standard is
labelled illustrative, and so is every snapshot made on it), frozen at submission."""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from gaoqi.policy import Evaluation, evaluate, load_policy
from gaoqi.programmes.tech_sme import evaluation as sme
from gaoqi.workflow.models import Application

POLICY = "pool"
DECLARED_FIELDS = sme.DECLARED_FIELDS
declared_year = sme.declared_year
prefill = sme.prefill
error_texts = sme.error_texts


def registry_facts(*, actor, enterprise, as_of: date):
    return sme.registry_facts(actor=actor, enterprise=enterprise, as_of=as_of)


def effective_facts(*, actor, application: Application, as_of: date):
    return sme.effective_facts(actor=actor, application=application, as_of=as_of)


def evaluate_facts(facts, as_of: date) -> Evaluation:
    return evaluate(facts, load_policy(POLICY, as_of), as_of, on_error="report")


def illustrative(as_of: date) -> bool:
    return load_policy(POLICY, as_of).illustrative


def view(ev: Evaluation) -> dict:
    """What the pages and the API show of a live evaluation."""
    return {
        "live": True,
        "policy_version": ev.policy_version,
        "illustrative": illustrative(ev.as_of),
        "outcome": ev.outcome,
        "eligible": ev.eligible,
        "score": ev.score,
        "failed": [c.label_zh for c in ev.failed_conditions],
        "gaps": [g.message_zh for g in ev.gaps],
        "errors": error_texts(ev),
    }


def live(*, actor, application: Application, as_of: date | None = None) -> dict:
    as_of = as_of or timezone.localdate()
    return view(evaluate_facts(effective_facts(actor=actor, application=application, as_of=as_of), as_of))


def freeze(application: Application, ctx: dict) -> dict:
    """The workflow core's `freeze` hook: evaluate now, as the submitting firm sees its facts, and keep it."""
    as_of = timezone.localdate()
    facts = effective_facts(actor=ctx["actor"], application=application, as_of=as_of)
    ev = evaluate_facts(facts, as_of)
    snap = sme.snapshot_of(ev, facts, declared=application.declared.get("values", {}), flags=[])
    snap["illustrative"] = illustrative(as_of)
    return snap
