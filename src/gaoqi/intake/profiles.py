"""Import profiles: one YAML file per source (department + file kind) in `profiles/`, loaded strictly.

A profile says which sheet to read, the department's own column headers (and their variants) for each
target (`targets.TARGETS`), the unit a column is written in when its header does not say, and what the
source may do to the registry (create firms, update their registration fields). A new profile is a new
YAML file, not code. Unknown keys, duplicate keys, unknown targets or units and a header claimed by two
targets are errors naming the file and line (`ProfileError`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from gaoqi.intake.targets import (
    COUNT_UNITS,
    MONEY_SCALES,
    PERCENT_UNITS,
    TARGETS,
    UPDATABLE_FIRM_FIELDS,
    Store,
    Target,
    Unit,
)
from gaoqi.policy.core.errors import PolicyFileError
from gaoqi.policy.core.yamlio import LineDict, load_yaml
from gaoqi.policy.template.cells import normalize_header

PROFILE_DIR = Path(__file__).resolve().parent / "profiles"
TOP_KEYS = {
    "profile",
    "version",
    "title",
    "department",
    "note",
    "sheets",
    "creates_enterprises",
    "updates_enterprise",
    "columns",
    "tags",
    "fixed_tag",
    "ip_kinds",
}
COLUMN_KEYS = {"headers", "unit", "required"}


class ProfileError(Exception):
    def __init__(self, path: str, line: int | None, message: str):
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")
        self.path, self.line, self.message = path, line, message


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    target: Target
    headers: tuple[str, ...]  # as written in the profile, the first one is shown in messages
    unit: str  # the default unit ("元", "万元", "人", "%", "")
    required: bool = False


@dataclass(frozen=True)
class Profile:
    code: str
    version: int
    title: str
    department: str
    digest: str
    columns: dict[str, ColumnSpec]
    sheets: tuple[str, ...] = ()
    note: str = ""
    creates_enterprises: bool = False
    updates_enterprise: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)  # normalised wording -> Tag
    fixed_tag: str = ""
    ip_kinds: dict[str, str] = field(default_factory=dict)  # normalised wording -> IpKind
    aliases: dict[str, str] = field(default_factory=dict)  # normalised header -> target name

    @property
    def kind(self) -> str:
        """What one row is: "ip" (an IP item), "tag" (a firm on a list) or "facts" (a firm's figures)."""
        if "ip_number" in self.columns:
            return "ip"
        if "tag" in self.columns or self.fixed_tag:
            return "tag"
        return "facts"

    @property
    def yearly(self) -> bool:
        """Whether the rows hold per-year figures (so every value needs a year)."""
        return any(c.target.yearly for c in self.columns.values())

    def label(self, target: str) -> str:
        spec = self.columns.get(target)
        return spec.headers[0] if spec else TARGETS[target].label_zh


def _default_unit(target: Target) -> str:
    return {Unit.MONEY: "元", Unit.COUNT: "", Unit.PERCENT: "%"}.get(target.unit, "")


def unit_allowed(target: Target, unit: str) -> bool:
    if target.unit is Unit.MONEY:
        return unit in MONEY_SCALES
    if target.unit is Unit.COUNT:
        return unit in COUNT_UNITS or unit == ""
    if target.unit is Unit.PERCENT:
        return unit in PERCENT_UNITS
    return unit == ""


def _column(path: str, d: LineDict, name: str, value) -> ColumnSpec:
    line = d.line_of(name)
    if name not in TARGETS:
        raise ProfileError(path, line, f"unknown target {name!r} (one of: {', '.join(TARGETS)})")
    target = TARGETS[name]
    if isinstance(value, list):
        value = LineDict(headers=value)
    if not isinstance(value, dict):
        raise ProfileError(path, line, f"column {name}: expected a list of headers or a mapping")
    if unknown := set(value) - COLUMN_KEYS:
        raise ProfileError(path, line, f"column {name}: unknown keys {sorted(unknown)}")
    headers = value.get("headers")
    if (
        not headers
        or not isinstance(headers, list)
        or not all(isinstance(h, str) and h.strip() for h in headers)
    ):
        raise ProfileError(path, line, f"column {name}: headers must be a non-empty list of texts")
    unit = value.get("unit", _default_unit(target))
    if not isinstance(unit, str) or not unit_allowed(target, unit):
        raise ProfileError(path, line, f"column {name}: unit {unit!r} does not fit a {target.kind} value")
    required = value.get("required", False)
    if not isinstance(required, bool):
        raise ProfileError(path, line, f"column {name}: required must be true or false")
    return ColumnSpec(target, tuple(h.strip() for h in headers), unit, required)


def _wording(path: str, d: LineDict, key: str, allowed: set[str]) -> dict[str, str]:
    mapping = d.get(key) or {}
    if not isinstance(mapping, dict):
        raise ProfileError(path, d.line_of(key), f"{key}: expected a mapping of wording to code")
    out = {}
    for wording, code in mapping.items():
        if code not in allowed:
            raise ProfileError(
                path, mapping.line_of(wording), f"{key}: unknown code {code!r} for {wording!r}"
            )
        out[normalize_header(str(wording))] = code
    return out


def parse_profile(path: str | Path, text: str) -> Profile:
    """A profile from its YAML text; `ProfileError` with the line of the first problem."""
    from gaoqi.intake.models import Tag
    from gaoqi.registry.models import Department, IpKind

    path = str(path)
    try:
        d = load_yaml(path, text)
    except PolicyFileError as exc:
        raise ProfileError(path, exc.line, exc.message) from None
    if not isinstance(d, dict):
        raise ProfileError(path, 1, "expected a mapping at the top")
    if unknown := set(d) - TOP_KEYS:
        key = sorted(unknown)[0]
        raise ProfileError(
            path, d.line_of(key), f"unknown key {key!r} (allowed: {', '.join(sorted(TOP_KEYS))})"
        )
    for key in ("profile", "version", "title", "department", "columns"):
        if key not in d:
            raise ProfileError(path, d.line, f"missing key {key!r}")
    code = d["profile"]
    if code != Path(path).stem:
        raise ProfileError(path, d.line_of("profile"), f"profile {code!r} must be named like its file")
    if not isinstance(d["version"], int) or d["version"] < 1:
        raise ProfileError(path, d.line_of("version"), "version must be a positive integer")
    if d["department"] not in Department.values:
        raise ProfileError(path, d.line_of("department"), f"unknown department {d['department']!r}")
    columns_raw = d["columns"]
    if not isinstance(columns_raw, dict) or not columns_raw:
        raise ProfileError(path, d.line_of("columns"), "columns must be a non-empty mapping")
    columns = {name: _column(path, columns_raw, name, value) for name, value in columns_raw.items()}
    aliases: dict[str, str] = {}
    for name, spec in columns.items():
        for header in (*spec.headers, spec.target.label_zh, name):
            key = normalize_header(header)
            if aliases.get(key, name) != name:
                raise ProfileError(
                    path, columns_raw.line_of(name), f"header {header!r} names both {aliases[key]} and {name}"
                )
            aliases[key] = name
    if "credit_code" not in columns and "name" not in columns:
        raise ProfileError(path, d.line_of("columns"), "a profile needs a credit_code or a name column")
    creates = d.get("creates_enterprises", False)
    if creates and (missing := {"credit_code", "name", "county", "founded_on"} - set(columns)):
        raise ProfileError(path, d.line_of("creates_enterprises"), f"creating firms needs {sorted(missing)}")
    updates = tuple(d.get("updates_enterprise") or ())
    if bad := [f for f in updates if f not in UPDATABLE_FIRM_FIELDS or f not in columns]:
        raise ProfileError(path, d.line_of("updates_enterprise"), f"cannot update {bad}: no such column")
    tags = _wording(path, d, "tags", set(Tag.values))
    fixed_tag = d.get("fixed_tag", "")
    if fixed_tag and fixed_tag not in Tag.values:
        raise ProfileError(path, d.line_of("fixed_tag"), f"unknown tag {fixed_tag!r}")
    if "tag" in columns and not tags:
        raise ProfileError(path, d.line_of("columns"), "a tag column needs a `tags` mapping")
    ip_kinds = _wording(path, d, "ip_kinds", set(IpKind.values))
    ip_columns = {c for c in columns if TARGETS[c].store is Store.IP}
    if ip_columns and (missing := {"ip_number", "ip_kind", "ip_granted_on"} - ip_columns):
        raise ProfileError(path, d.line_of("columns"), f"an IP list needs {sorted(missing)}")
    if ip_columns and not ip_kinds:
        raise ProfileError(path, d.line_of("columns"), "an IP list needs an `ip_kinds` mapping")
    sheets = d.get("sheets") or []
    if not isinstance(sheets, list) or not all(isinstance(s, str) for s in sheets):
        raise ProfileError(path, d.line_of("sheets"), "sheets must be a list of sheet names")
    return Profile(
        code=code,
        version=d["version"],
        title=str(d["title"]),
        department=d["department"],
        digest=hashlib.sha256(text.encode()).hexdigest(),
        columns=columns,
        sheets=tuple(sheets),
        note=str(d.get("note", "")),
        creates_enterprises=bool(creates),
        updates_enterprise=updates,
        tags=tags,
        fixed_tag=fixed_tag,
        ip_kinds=ip_kinds,
        aliases=aliases,
    )


@cache
def load_profiles(directory: Path = PROFILE_DIR) -> dict[str, Profile]:
    """Every profile in `directory`, by code."""
    return {p.stem: parse_profile(p, p.read_text(encoding="utf-8")) for p in sorted(directory.glob("*.yaml"))}


def get_profile(code: str) -> Profile:
    profiles = load_profiles()
    if code not in profiles:
        raise KeyError(code)
    return profiles[code]
