"""Finding the service functions (gaoqi.*.services) and what they do to the database, read from their source.

`analyse()` answers, for every public function of every services module: does it write (an ORM or SQL write,
directly or through a helper of its module), and does it record an audit event (audit_record /
audit_record_many, directly, through a helper, or through another service that does)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import gaoqi

ALWAYS_WRITES = {"save", "bulk_create", "bulk_update", "get_or_create", "update_or_create", "create_user"}
SQL_WRITES = {"execute", "executemany"}
QUERYSET_WRITES = {"create", "update", "delete"}
QUERYSET_HINTS = {"objects", "filter", "exclude", "all", "select_for_update", "rows", "only"}
AUDIT_CALLS = {"audit_record", "audit_record_many"}


ROOT = Path(gaoqi.__file__).parent


def services_files() -> dict[str, Path]:
    """module name -> source file of every services module (`<app>/services.py`, also nested), found on disk
    without importing anything (an app being built may not import yet)."""
    out = {}
    for path in sorted(ROOT.rglob("services.py")):
        if "migrations" in path.parts or "__pycache__" in path.parts:
            continue
        rel = path.relative_to(ROOT.parent).with_suffix("")
        out[".".join(rel.parts)] = path
    return out


def services_modules() -> list[str]:
    return sorted(services_files())


def _chain(node) -> list[str]:
    """Attribute and call names along a receiver chain: a.objects.filter(x).update -> [update, filter, objects, a]."""
    out = []
    while True:
        if isinstance(node, ast.Attribute):
            out.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Name):
            out.append(node.id)
            return out
        else:
            return out


@dataclass
class Facts:
    module: str
    name: str
    writes: bool
    audits: bool
    calls: set[str]


def _scan(func: ast.AST) -> tuple[bool, bool, set[str]]:
    writes = audits = False
    calls: set[str] = set()
    for node in ast.walk(func):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Name):
            calls.add(f.id)
            audits |= f.id in AUDIT_CALLS
            writes |= f.id == "insert"
        elif isinstance(f, ast.Attribute):
            calls.add(f.attr)
            audits |= f.attr in AUDIT_CALLS
            chain = _chain(f)
            if f.attr in ALWAYS_WRITES or f.attr in SQL_WRITES:
                writes = True
            elif f.attr in QUERYSET_WRITES and set(chain[1:]) & QUERYSET_HINTS:
                writes = True
            elif f.attr == "insert" and "bulk" in chain:
                writes = True
            elif f.attr == "delete":
                writes = True  # obj.delete()
    return writes, audits, calls


def analyse() -> dict[str, Facts]:
    """module.function -> Facts, for the public functions of every services module."""
    per_module: dict[str, dict[str, Facts]] = {}
    for module, path in services_files().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        funcs = {
            node.name: Facts(module, node.name, *_scan(node))
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        # helpers of the module: a function writes/audits when a helper it calls does
        changed = True
        while changed:
            changed = False
            for facts in funcs.values():
                for callee in facts.calls & set(funcs):
                    other = funcs[callee]
                    if other.writes and not facts.writes:
                        facts.writes = changed = True
                    if other.audits and not facts.audits:
                        facts.audits = changed = True
        per_module[module] = funcs
    public = {
        f"{m}.{n}": facts
        for m, funcs in per_module.items()
        for n, facts in funcs.items()
        if not n.startswith("_")
    }
    # across modules: calling another service that audits counts (start_job -> create_job)
    auditing = {f.name for f in public.values() if f.audits}
    changed = True
    while changed:
        changed = False
        for facts in public.values():
            if not facts.audits and facts.calls & auditing:
                facts.audits = changed = True
                auditing.add(facts.name)
    return public
