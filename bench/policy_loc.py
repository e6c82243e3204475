"""Lines of rule code before and after the rebuild, and how many criteria are written more than once.

`python -m bench policy_loc`. Lines counted: non-blank lines that are not comments (a line whose first
non-space character is `#`); docstrings count as code, and a second figure leaves them out too.

- before (commit BENCH_OLD_REV, the last one before the rebuild, read with `git show`): the per-firm rules
  `src/gaoqi/policy/rules/*.py` plus the Polars rules `src/gaoqi/policy/batch_*.py` (batch_exprs.py,
  batch_hte.py, batch_pool.py, batch_tech_sme.py; the driver batch.py is not counted);
- after (the working tree): `src/gaoqi/policy/policies/*/rules.py` plus the two backends of the ops
  interface, `core/ops.py` and `bulk/polars_ops.py`.
A second line adds the frameworks on both sides (before: batch.py, engine.py; after: core/rules.py,
core/common.py, core/engine.py, bulk/plan.py) for context.

Criteria written more than once. After: occurrences of `@criterion("<id>"` (any `@….criterion(`) for every
criterion id across src/gaoqi/policy/**/*.py; each must be exactly 1, and every criterion the rule sets
declare must have one. Before: the old engine, imported from the old commit in a fresh process, lists each
policy's per-firm criteria (`RULES[name].criteria`, each written in rules/<policy>.py) and the criteria its
Polars plan outputs (`<id>__*` columns, each written again in batch_<policy>.py); a criterion in both is
written twice.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import tokenize
from collections import Counter
from pathlib import Path

from bench import OLD_REV, ROOT, old_tree, run_python

POLICY = ROOT / "src/gaoqi/policy"
BEFORE = ("src/gaoqi/policy/rules/", "src/gaoqi/policy/batch_")
BEFORE_FRAMEWORK = ("src/gaoqi/policy/batch.py", "src/gaoqi/policy/engine.py")
AFTER_FRAMEWORK = ("core/rules.py", "core/common.py", "core/engine.py", "bulk/plan.py")
DECORATOR = re.compile(r"@[\w.]*criterion\(\s*[\"']([^\"']+)[\"']")


def count(text: str) -> tuple[int, int]:
    """(non-blank non-comment lines, the same without docstring lines)."""
    code = [
        i for i, line in enumerate(text.splitlines(), 1) if line.strip() and not line.strip().startswith("#")
    ]
    doc: set[int] = set()
    prev = tokenize.NEWLINE
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.STRING and prev in (
            tokenize.NEWLINE,
            tokenize.INDENT,
            tokenize.DEDENT,
            tokenize.NL,
        ):
            doc.update(range(tok.start[0], tok.end[0] + 1))  # a string statement: a docstring
        if tok.type not in (tokenize.COMMENT, tokenize.NL):
            prev = tok.type
    return len(code), len([i for i in code if i not in doc])


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True).stdout


def before_files(prefixes) -> dict[str, str]:
    names = _git("ls-tree", "-r", "--name-only", OLD_REV, "src/gaoqi/policy").split()
    chosen = [n for n in names if n.endswith(".py") and any(n.startswith(p) for p in prefixes)]
    return {n: _git("show", f"{OLD_REV}:{n}") for n in chosen}


def after_files(framework: bool = False) -> dict[str, str]:
    paths = sorted(POLICY.glob("policies/*/rules.py")) + [
        POLICY / "core/ops.py",
        POLICY / "bulk/polars_ops.py",
    ]
    if framework:
        paths = [POLICY / p for p in AFTER_FRAMEWORK]
    return {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in paths}


def _total(files: dict[str, str]) -> tuple[int, int]:
    counts = [count(t) for t in files.values()]
    return sum(c for c, _ in counts), sum(d for _, d in counts)


OLD_CHILD = """
import json
from datetime import date
import polars as pl
from gaoqi.policy.batch import plan, supported
from gaoqi.policy.io_table import SCHEMA
from gaoqi.policy.loader import load_policy
from gaoqi.policy.rules import RULES
as_of = date(2024, 6, 30)
out = {}
for name, rules in RULES.items():
    bulk = []
    if supported(name):
        lf = plan(pl.DataFrame(schema=SCHEMA), load_policy(name, as_of), as_of)
        bulk = sorted({c.split("__")[0] for c in lf.collect_schema().names() if "__" in c})
    out[name] = {"per_firm": list(rules.criteria), "bulk": bulk}
print(json.dumps(out))
"""


def criteria_after() -> tuple[Counter, set[str]]:
    """(definitions per criterion id, the ids the rule sets declare)."""
    from gaoqi.policy import RULES

    found: Counter = Counter()
    for path in POLICY.rglob("*.py"):
        found.update(DECORATOR.findall(path.read_text(encoding="utf-8")))
    declared = {cid for rules in RULES.values() for cid in rules.criteria}
    return found, declared


def formatted(files: dict[str, str]) -> dict[str, str]:
    """The files as `ruff format` (the project's settings) writes them: the old commit predates the
    tree-wide format (c46679c), so the old code's denser lines would otherwise count fewer."""
    out = {}
    for name, text in files.items():
        done = subprocess.run(
            [str(ROOT / ".venv/bin/ruff"), "format", "--stdin-filename", name, "-"],
            cwd=ROOT,
            input=text,
            capture_output=True,
            text=True,
        )
        out[name] = done.stdout if done.returncode == 0 else text
    return out


def _short(name: str) -> str:
    return name.split("src/gaoqi/policy/")[1].replace("policies/", "")


def _line(label: str, before: dict[str, str], after: dict[str, str]) -> str:
    (b, bd), (a, ad) = _total(before), _total(after)
    return f"  {label}: before {b} ({bd}) → after {a} ({ad}): {a - b:+d} ({(a - b) / b:+.0%})"


def run() -> None:
    before = before_files(BEFORE)
    after = after_files()
    print(
        f"lines of rule code (non-blank, non-comment; in brackets without docstrings), before = {OLD_REV[:7]}:"
    )
    for label, files in (("before", before), ("after", after)):
        print(f"  {label}: " + ", ".join(f"{_short(n)} {count(t)[0]}" for n, t in files.items()))
    old = {Path(n).stem for n in before if "/rules/" in n} - {"__init__", "common"}
    same = {n: t for n, t in after.items() if "/policies/" not in n or Path(n).parent.name in old}
    extra = sorted({Path(n).parent.name for n in after if "/policies/" in n} - old)
    fbefore, fsame = formatted(before), formatted(same)
    print(_line("as committed", before, same))
    print(
        _line("both run through ruff format (the old commit predates the tree-wide format)", fbefore, fsame)
    )
    if extra:
        print(_line(f"formatted, after also with the new {', '.join(extra)}", fbefore, formatted(after)))
    frame_b = {**fbefore, **formatted(before_files(BEFORE_FRAMEWORK))}
    frame_a = {**fsame, **formatted(after_files(framework=True))}
    print(
        _line(
            f"formatted, with the frameworks (before + batch.py, engine.py; after + {', '.join(AFTER_FRAMEWORK)})",
            frame_b,
            frame_a,
        )
    )

    found, declared = criteria_after()
    twice = sorted(cid for cid, k in found.items() if k > 1)
    missing = sorted(declared - set(found))
    print(
        f"criteria written more than once, after: {len(twice)} of {len(declared)} "
        f'(each id\'s `@criterion("<id>"` definitions across src/gaoqi/policy: '
        f"{dict(sorted(Counter(found.values()).items()))} ids with that many; "
        f"declared without a definition: {len(missing)}{' ' + ', '.join(missing) if missing else ''}"
        f"{'; written twice: ' + ', '.join(twice) if twice else ''})"
    )
    try:
        with old_tree() as src:
            old = json.loads(run_python(OLD_CHILD, src=src).splitlines()[-1])
    except Exception as exc:  # optional: say why
        print(f"criteria written more than once, before: the old engine did not run ({str(exc)[-200:]})")
        return
    per_firm = {c for v in old.values() for c in v["per_firm"]}
    both = {c for v in old.values() for c in v["per_firm"] if c in v["bulk"]}
    print(
        f"criteria written more than once, before: {len(both)} of {len(per_firm)} (per-firm in rules/<policy>.py "
        f"and again in batch_<policy>.py); "
        + ", ".join(
            f"{k} {len(set(v['per_firm']) & set(v['bulk']))}/{len(v['per_firm'])}" for k, v in old.items()
        )
    )
