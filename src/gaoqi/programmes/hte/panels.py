"""The random expert panel of an HTE application (195号 二（三）): pure Python, no Django, so it is tested over
many thousands of draws and benchmarked on its own.

Rules (the numbers are dated parameters passed in `Rules`): a panel of `size` experts, `financial` of them
financial experts and the rest technical experts of the application's core-technology field (so at least
`min_technical_share` technical, checked), the leader a technical member; excluded: experts not available,
the firm's own employees (employer = the firm), experts who declared a conflict with the firm, experts of the
same employer as the firm's intermediary (the agency of the special audit report), experts at their load
limit. The eligible pool must hold at least `pool_factor` × the panel (and enough of each kind), else
`PoolTooSmall` says by how much. The draw is a function of the seed: the same candidates and seed give the
same panel (reproducible, the seed is recorded); each eligible expert of a kind is equally likely (rejection
sampling with `random.Random(seed)` over the kind's experts in id order, skipping the excluded and the taken).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

TECHNICAL = "technical"
FINANCIAL = "financial"

# Why a candidate was excluded (codes; the pages show the Chinese label).
UNAVAILABLE = "unavailable"
OWN_EMPLOYEE = "own_employee"
DECLARED_CONFLICT = "declared_conflict"
INTERMEDIARY_EMPLOYER = "intermediary_employer"
AT_LOAD_LIMIT = "at_load_limit"
OTHER_FIELD = "other_field"
EXCLUSION_ORDER = (
    UNAVAILABLE,
    OWN_EMPLOYEE,
    DECLARED_CONFLICT,
    INTERMEDIARY_EMPLOYER,
    AT_LOAD_LIMIT,
    OTHER_FIELD,
)


@dataclass(frozen=True, slots=True)
class Candidate:
    id: int
    kind: str  # TECHNICAL or FINANCIAL
    fields: frozenset[str] = frozenset()  # top-level field codes ("10") and sub-field codes ("101")
    employer_code: str = ""  # the employer's unified social credit code
    conflicts: frozenset[str] = frozenset()  # credit codes of firms the expert declared a conflict with
    load: int = 0  # open review assignments
    load_limit: int = 0  # 0: no limit
    available: bool = True


@dataclass(frozen=True)
class Rules:
    size: int = 5
    financial: int = 1
    min_technical_share: Fraction = Fraction(3, 5)
    pool_factor: int = 3

    def __post_init__(self):
        technical = self.size - self.financial
        if self.financial < 1 or technical < 1 or Fraction(technical, self.size) < self.min_technical_share:
            raise ValueError(f"panel rules: {self.size} members, {self.financial} financial break the shares")

    @property
    def technical(self) -> int:
        return self.size - self.financial


@dataclass(frozen=True)
class Request:
    """What the draw needs of the application."""

    field: str  # the core technology's top-level field code, e.g. "10"
    firm_code: str
    intermediary_code: str = ""


@dataclass
class Draw:
    seed: int
    members: list[int]  # technical first, then financial, each in draw order
    leader: int
    technical: list[int]
    financial: list[int]
    eligible_technical: int
    eligible_financial: int
    excluded: dict[int, str] = field(default_factory=dict)  # candidate id -> reason code (explain=True)
    other_field: int = 0  # technical experts of other fields, not listed one by one


class PoolTooSmall(ValueError):
    def __init__(self, message: str, detail: dict):
        super().__init__(message)
        self.detail = detail


def exclusion(c: Candidate, req: Request, load: int | None = None) -> str:
    """Why `c` may not sit on the panel of `req` ("" when eligible), the first reason in EXCLUSION_ORDER.
    `load`: the expert's current load when it differs from `c.load` (draws of the same batch)."""
    load = c.load if load is None else load
    if not c.available:
        return UNAVAILABLE
    if c.employer_code and c.employer_code == req.firm_code:
        return OWN_EMPLOYEE
    if req.firm_code in c.conflicts:
        return DECLARED_CONFLICT
    if req.intermediary_code and c.employer_code == req.intermediary_code:
        return INTERMEDIARY_EMPLOYER
    if c.load_limit and load >= c.load_limit:
        return AT_LOAD_LIMIT
    if c.kind == TECHNICAL and req.field not in c.fields:
        return OTHER_FIELD
    return ""


class Registry:
    """The candidates indexed once for many draws: technical experts by field, financial experts, and the
    sets a draw excludes from (by employer, by declared conflict, unavailable, at the load limit), so that a draw
    touches only the few excluded candidates and the ones it picks, not the whole registry."""

    def __init__(self, candidates: Iterable[Candidate]):
        self.by_id: dict[int, Candidate] = {}
        self.technical: dict[str, list[Candidate]] = defaultdict(list)
        self.financial: list[Candidate] = []
        self.technical_total = 0
        self.loads: dict[int, int] = {}
        self.by_employer: dict[str, set[int]] = defaultdict(set)
        self.by_conflict: dict[str, set[int]] = defaultdict(set)
        self.unavailable: set[int] = set()
        self.full: set[int] = set()
        for c in sorted(candidates, key=lambda c: c.id):
            self.by_id[c.id] = c
            self.loads[c.id] = c.load
            if c.employer_code:
                self.by_employer[c.employer_code].add(c.id)
            for code in c.conflicts:
                self.by_conflict[code].add(c.id)
            if not c.available:
                self.unavailable.add(c.id)
            if c.load_limit and c.load >= c.load_limit:
                self.full.add(c.id)
            if c.kind == FINANCIAL:
                self.financial.append(c)
            else:
                self.technical_total += 1
                for f in c.fields:
                    self.technical[f].append(c)

    def add_load(self, ids: Iterable[int], n: int = 1) -> None:
        """Count new assignments (a batch of draws raises the load of those already drawn)."""
        for i in ids:
            self.loads[i] += n
            limit = self.by_id[i].load_limit
            if limit and self.loads[i] >= limit:
                self.full.add(i)

    def blocked(self, req: Request) -> dict[int, str]:
        """The candidates of `req`'s field (technical) and the financial experts who may not sit, with the
        reason (the first in EXCLUSION_ORDER)."""
        ids = (
            self.unavailable
            | self.by_employer.get(req.firm_code, set())
            | self.by_conflict.get(req.firm_code, set())
        )
        ids = ids | self.full
        if req.intermediary_code:
            ids = ids | self.by_employer.get(req.intermediary_code, set())
        out = {}
        for i in ids:
            c = self.by_id[i]
            if c.kind == TECHNICAL and req.field not in c.fields:
                continue  # another field's: counted in `other_field`, not listed
            why = exclusion(c, req, self.loads[i])
            if why:
                out[i] = why
        return out


def _pick(rng: random.Random, pool: list[Candidate], k: int, blocked: dict[int, str]) -> list[int]:
    """k distinct eligible ids, each k-subset of the eligible equally likely (rejection sampling over the
    pool in id order; the eligible are at least a third of what a panel needs, so it ends quickly)."""
    chosen: list[int] = []
    taken: set[int] = set()
    while len(chosen) < k:
        c = pool[rng.randrange(len(pool))]
        if c.id in blocked or c.id in taken:
            continue
        taken.add(c.id)
        chosen.append(c.id)
    return chosen


def draw(
    registry: Registry, req: Request, *, seed: int, rules: Rules = Rules(), explain: bool = True
) -> Draw:
    """One panel for `req`. Raises PoolTooSmall when the eligible pool is under `pool_factor` × the panel or a
    kind has too few eligible experts. `explain=False` leaves `excluded` empty (the draw is the same)."""
    tech_pool = registry.technical.get(req.field, [])
    blocked = registry.blocked(req)
    n_fin_blocked = sum(1 for i in blocked if registry.by_id[i].kind == FINANCIAL)
    n_tech = len(tech_pool) - (len(blocked) - n_fin_blocked)
    n_fin = len(registry.financial) - n_fin_blocked
    other_field = registry.technical_total - len(tech_pool)
    need = rules.pool_factor * rules.size
    if n_tech + n_fin < need or n_tech < rules.technical or n_fin < rules.financial:
        raise PoolTooSmall(
            f"eligible pool too small: {n_tech} technical of field {req.field} and {n_fin} financial "
            f"experts; a panel of {rules.size} needs at least {need} in all, {rules.technical} technical "
            f"and {rules.financial} financial",
            {"technical": n_tech, "financial": n_fin, "need": need, "excluded": blocked},
        )
    rng = random.Random(seed)
    technical = _pick(rng, tech_pool, rules.technical, blocked)
    financial = _pick(rng, registry.financial, rules.financial, blocked)
    leader = technical[rng.randrange(len(technical))]
    return Draw(
        seed=seed,
        members=technical + financial,
        leader=leader,
        technical=technical,
        financial=financial,
        eligible_technical=n_tech,
        eligible_financial=n_fin,
        excluded=blocked if explain else {},
        other_field=other_field,
    )
