"""Reads of policy simulation: province officers only (gaoqi.accounts.scope.can_simulate); anyone else gets
NotFound, as for a missing page."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator

from gaoqi.accounts.scope import NOT_FOUND, can_simulate
from gaoqi.errors import NotFound
from gaoqi.registry.selectors import checked_page
from gaoqi.simulation.models import Reform, Run
from gaoqi.simulation.services import baseline_policy, editable, notation

PER_PAGE = 50


def reforms(*, actor):
    can_simulate(actor).require()
    return Reform.objects.select_related("created_by").prefetch_related("runs")


def get_reform(*, actor, pk) -> Reform:
    can_simulate(actor).require()
    obj = Reform.objects.filter(pk=pk).first()
    if obj is None:
        raise NotFound(str(NOT_FOUND))
    return obj


def get_run(*, actor, pk) -> Run:
    can_simulate(actor).require()
    obj = Run.objects.select_related("reform", "job", "started_by").filter(pk=pk).first()
    if obj is None:
        raise NotFound(str(NOT_FOUND))
    return obj


@dataclass(frozen=True)
class ParamRow:
    name: str
    type: str
    unit: str
    description: str
    configurable: bool
    value: str  # current value in the files' notation
    effective_from: object
    source: str
    illustrative: bool
    reform: str | None  # the reform's value, if it overrides this parameter


def parameter_rows(
    *, actor, policy: str, as_of, overrides: dict | None = None
) -> tuple[object, list[ParamRow]]:
    """The policy in force on `as_of` and its editable parameters with their dated value and source."""
    can_simulate(actor).require()
    base = baseline_policy(policy, as_of)
    overrides = overrides or {}
    rows = []
    for name, p in base.params.items():
        if not editable(name):
            continue
        reform = None
        if name in overrides:
            reform = notation(base.with_overrides({name: overrides[name]}).params[name])
        rows.append(
            ParamRow(
                name,
                p.type,
                p.unit,
                p.description,
                p.configurable,
                notation(p),
                p.effective_from,
                p.source.cite(),
                bool(p.source.illustrative),
                reform,
            )
        )
    return base, rows


def changes(*, actor, run: Run, city: str | None = None, page=1):
    get_run(actor=actor, pk=run.pk)
    qs = run.changes.select_related("enterprise")
    if city:
        qs = qs.filter(city=city)
    return checked_page(Paginator(qs.order_by("city", "county", "enterprise_id"), PER_PAGE), page)


def latest_runs(*, actor, reform_ids: list[int]) -> list[Run]:
    """The latest finished run of each reform, in the order given (the comparison)."""
    can_simulate(actor).require()
    out = []
    for pk in reform_ids:
        run = Run.objects.select_related("reform").filter(reform_id=pk, summary__isnull=False).first()
        if run is not None:
            out.append(run)
    return out


def comparison(*, runs: list[Run]) -> dict:
    """Side by side: the headline figures of each run and, per city, each run's pass counts before/after."""
    cities: dict[str, dict] = {}
    for i, run in enumerate(runs):
        for code, row in (run.summary or {}).get("by_city", {}).items():
            entry = cities.setdefault(code, {"code": code, "name": row["name"], "cells": [None] * len(runs)})
            entry["cells"][i] = row
    return {"runs": runs, "cities": [cities[c] for c in sorted(cities)]}
