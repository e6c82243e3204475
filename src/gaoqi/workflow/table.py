"""How a programme declares its workflow: phases and transitions as plain data, one file per programme.

A programme module builds one `Programme` from a table of `Transition` rows and calls `register()`. The
transition service (`gaoqi.workflow.services.transition`) is the only code that runs the table; guards are
named functions the programme registers next to its table, so the table stays readable and greppable.
No Django model import here: the table is unit-tested without a database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

# Who may act: a role and, for officers, the region level they must hold. SYSTEM is a scheduled job.
ENTERPRISE = "enterprise"
PROVINCE = "province_officer"
CITY = "city_officer"
COUNTY = "county_officer"
SYSTEM = "system"
ROLES = frozenset({ENTERPRISE, PROVINCE, CITY, COUNTY, SYSTEM})

# Whom a transition notifies: the firm's users, or the officers who act on the new phase.
NOTIFY_ENTERPRISE = "enterprise"
NOTIFY_NEXT_ACTORS = "next_actors"


@dataclass(frozen=True)
class Phase:
    code: str  # stable ASCII code stored in the database
    label: str  # Chinese label (wrapped in gettext by the programme)
    final: bool = False
    # Days the actors of this phase have before the application is overdue in their inbox (None: no deadline).
    deadline_days: int | None = None


@dataclass(frozen=True)
class Transition:
    source: str  # phase code
    target: str  # phase code
    action: str  # stable ASCII action name, unique per source phase
    label: str
    roles: frozenset[str]
    guards: tuple[str, ...] = ()  # names of guard functions registered with the programme
    reason_required: bool = False
    records: tuple[str, ...] = ()  # what is stored with the decision besides who/when/why: "snapshot", ...
    notify: tuple[str, ...] = ()
    batch: bool = False  # offered as a batch action on the officers' queue
    inbox: bool = True  # does its source phase put the application in the actors' inbox (待办)?

    def __post_init__(self):
        if not self.roles or not self.roles <= ROLES:
            raise ValueError(f"{self.action}: unknown roles {sorted(self.roles - ROLES)}")


# A guard gets (application, context) and answers "" when it holds, else the message shown to the user.
Guard = Callable[..., str]


@dataclass
class Programme:
    code: str  # e.g. "tech_sme"
    label: str
    phases: tuple[Phase, ...]
    initial: str
    transitions: tuple[Transition, ...]
    guards: dict[str, Guard] = field(default_factory=dict)
    # Called after a transition, inside its transaction (e.g. issue a registration number), by action name.
    effects: dict[str, Callable] = field(default_factory=dict)
    # Computes the evaluation snapshot to freeze (transitions that record "evaluation"): (application) -> dict.
    freeze: Callable | None = None
    # Phases in which the firm may still edit its declaration and attachments.
    editable_phases: frozenset[str] = frozenset()
    # The URL name (taking `pk`) of the programme's application page; the generic address redirects there.
    detail_url: str = "programmes:application"

    def __post_init__(self):
        codes = {p.code for p in self.phases}
        if self.initial not in codes:
            raise ValueError(f"{self.code}: initial phase {self.initial!r} undeclared")
        seen = set()
        for t in self.transitions:
            if t.source not in codes or t.target not in codes:
                raise ValueError(f"{self.code}: {t.action} joins undeclared phases {t.source}->{t.target}")
            if (t.source, t.action) in seen:
                raise ValueError(f"{self.code}: action {t.action!r} declared twice from {t.source!r}")
            seen.add((t.source, t.action))

    def phase(self, code: str) -> Phase:
        for p in self.phases:
            if p.code == code:
                return p
        raise KeyError(code)

    def label_of(self, code: str) -> str:
        try:
            return str(self.phase(code).label)
        except KeyError:
            return code

    def find(self, source: str, action: str) -> Transition | None:
        for t in self.transitions:
            if t.source == source and t.action == action:
                return t
        return None

    def actions_from(self, source: str) -> list[Transition]:
        return [t for t in self.transitions if t.source == source]

    def phases_acted_on_by(self, role: str) -> list[str]:
        """The phases in which `role` has something to do (the inbox of that role)."""
        return sorted({t.source for t in self.transitions if role in t.roles and t.inbox})

    def check_guards(self) -> None:
        """Every guard a transition names is registered (called once the programme module is loaded)."""
        missing = {g for t in self.transitions for g in t.guards} - set(self.guards)
        if missing:
            raise ValueError(f"{self.code}: guards not registered: {sorted(missing)}")

    def rows(self) -> list[dict]:
        """The table as rows, for docs/workflow.md and the transitions page."""
        return [
            {
                "from": t.source,
                "to": t.target,
                "action": t.action,
                "roles": sorted(t.roles),
                "guards": list(t.guards),
                "reason": t.reason_required,
                "records": list(t.records),
            }
            for t in self.transitions
        ]


_REGISTRY: dict[str, Programme] = {}


def register(programme: Programme) -> Programme:
    programme.check_guards()
    _REGISTRY[programme.code] = programme
    return programme


def programme(code: str) -> Programme:
    return _REGISTRY[code]


def programmes() -> list[Programme]:
    return list(_REGISTRY.values())
