"""Per-firm cost of the policy engine: one explained `evaluate` (every criterion with its value, threshold and
texts), with and without gap analysis, for every policy (target: median ≤ 1 ms).

`python -m bench policy_per_firm`. Synthetic firms and R&D institutions (fixed seed), a mix of passing and
failing ones so that gap analysis (the tech-SME plan search, HTE score options) is exercised. Each record is
timed on its own, wall clock and CPU time of this thread (the CPU figure is less disturbed by other load on
the shared machine); medians and p95 are printed per policy, plus evaluate + to_dict(). BENCH_PER_FIRM_N
changes the number of records (default 1000).
"""

from __future__ import annotations

import os
import random
import statistics
import time
from datetime import date

from gaoqi.policy import EnterpriseFacts, RndInstitutionFacts, evaluate, load_policy

AS_OF = date(2024, 6, 30)
N = int(os.environ.get("BENCH_PER_FIRM_N", 1000))
POLICIES = ("tech_sme", "hte", "pool", "rnd_institution")


def _firm(rng: random.Random, i: int) -> EnterpriseFacts:
    employees = rng.randint(5, 600)
    revenue = [rng.randint(0, 250_000_000) for _ in range(3)]
    rnd = [rng.randint(0, max(1, r // 12)) for r in revenue]
    total_income = revenue[2] + rng.randint(0, 5_000_000)
    ip_class2 = rng.randint(0, 8)
    return EnterpriseFacts(
        credit_code=f"9132050500000{i:05d}",
        founded_on=date(rng.randint(2008, 2023), rng.randint(1, 12), 1),
        tech_field=rng.choice(["101", "402", "801", None]),
        employees=employees,
        tech_staff=rng.randint(0, employees // 2),
        revenue_y1=revenue[0],
        revenue_y2=revenue[1],
        revenue_y3=revenue[2],
        total_income=total_income,
        hitech_revenue=rng.randint(0, total_income),
        total_cost=rng.randint(max(1, rnd[2]), max(rnd[2], 250_000_000)),
        total_assets=rng.randint(1, 250_000_000),
        net_assets_y1=rng.randint(-1_000_000, 80_000_000),
        net_assets_y2=rng.randint(0, 80_000_000),
        net_assets_y3=rng.randint(0, 80_000_000),
        rnd_expense_y1=rnd[0],
        rnd_expense_y2=rnd[1],
        rnd_expense_y3=rnd[2],
        rnd_expense_domestic_y1=rnd[0],
        rnd_expense_domestic_y2=rnd[1] * 4 // 5,
        rnd_expense_domestic_y3=rnd[2] // 2,
        rnd_expense_deductible_y3=rng.choice([None, rnd[2], rnd[2] * 9 // 10]),
        ip_class1=rng.choice([0, 0, 1, 2]),
        ip_class2=ip_class2,
        ip_class2_used=rng.choice([None, 0, ip_class2 // 2]),
        ip_self_developed=rng.random() < 0.8,
        achievement_conversions=rng.randint(0, 18),
        standards_led=rng.choice([0, 0, 1]),
        major_incident=rng.random() < 0.03,
        bad_credit=rng.random() < 0.03,
        research_misconduct=rng.random() < 0.01,
        restricted_industry=rng.random() < 0.02,
        has_hte_certificate=rng.random() < 0.1,
    )


def _institution(rng: random.Random, i: int) -> RndInstitutionFacts:
    revenue = rng.randint(1_000_000, 500_000_000)
    employees = rng.randint(20, 2000)
    return RndInstitutionFacts(
        institution_id=f"RND{i:06d}",
        credit_code=f"9132050500000{i:05d}",
        rnd_spend=revenue * rng.choice([1, 2, 3, 4, 5, 7]) // 100 - rng.choice([0, 1]),
        revenue=revenue,
        rnd_staff=employees * rng.choice([0, 5, 10, 15, 20, 30]) // 100,
        employees=employees,
        invention_patents=rng.randint(0, 4),
        other_ip=rng.randint(0, 6),
        key_breakthroughs=rng.choice([0, 0, 1, 2, 3]),
    )


def _times(fn, records) -> tuple[list[float], list[float], list]:
    """Per record: wall ms, thread CPU ms, result."""
    walls, cpus, results = [], [], []
    for r in records:
        c0, t0 = time.thread_time_ns(), time.perf_counter_ns()
        results.append(fn(r))
        walls.append((time.perf_counter_ns() - t0) / 1e6)
        cpus.append((time.thread_time_ns() - c0) / 1e6)
    return walls, cpus, results


def _stats(ms: list[float]) -> str:
    return f"{statistics.median(ms):.3f} (p95 {statistics.quantiles(ms, n=20)[-1]:.3f})"


def bench_per_firm(n: int = N, seed: int = 2019) -> dict[str, float]:
    """Print and return the median wall milliseconds per record for each policy (evaluate with gaps)."""
    rng = random.Random(seed)
    firms = [_firm(rng, i) for i in range(n)]
    institutions = [_institution(rng, i) for i in range(n)]
    print(
        f"median (p95) ms per record, n={n}; wall / CPU of this thread; load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} cores; target: median ≤ 1 ms"
    )
    medians = {}
    for name in POLICIES:
        policy = load_policy(name, AS_OF)
        records = institutions if name == "rnd_institution" else firms
        for f in records[:50]:  # warm caches and the interpreter
            evaluate(f, policy, AS_OF, on_error="report")
        runs = {
            "no gaps": lambda f, p=policy: evaluate(f, p, AS_OF, on_error="report", with_gaps=False),
            "with gaps": lambda f, p=policy: evaluate(f, p, AS_OF, on_error="report"),
            "with gaps + to_dict": lambda f, p=policy: evaluate(f, p, AS_OF, on_error="report").to_dict(),
        }
        line = []
        for label, fn in runs.items():
            walls, cpus, results = _times(fn, records)
            if label == "with gaps":
                medians[name] = statistics.median(walls)
                share = sum(1 for r in results if r.gaps) / n
                invalid = sum(1 for r in results if r.errors) / n
            line.append(f"{label}: {_stats(walls)} / {_stats(cpus)}")
        print(
            f"  {name:15s} "
            + ";  ".join(line)
            + f"  [with gaps: {share:.0%} of records, invalid {invalid:.0%}]"
        )
    return medians


def run() -> None:
    bench_per_firm()


if __name__ == "__main__":
    run()
