"""Per-firm cost of the policy engine: one `evaluate` with full explanation and gaps (target: median ≤ 2 ms).

`python -m bench policy_per_firm`. Synthetic firms (fixed seed), a mix of passing and failing ones so that
gap analysis (the tech-SME plan search, HTE score options) is exercised. Each firm is timed on its own;
the median, p95 and the share that needed gaps are printed per policy, plus evaluate + to_dict().
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import date

from gaoqi.policy import EnterpriseFacts, evaluate, load_policy

AS_OF = date(2024, 6, 30)


def _firm(rng: random.Random, i: int) -> EnterpriseFacts:
    employees = rng.randint(5, 600)
    revenue = [rng.randint(0, 250_000_000) for _ in range(3)]
    rnd = [rng.randint(0, max(1, r // 12)) for r in revenue]
    total_income = revenue[2] + rng.randint(0, 5_000_000)
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
        total_cost=rng.randint(1, 250_000_000),
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
        ip_class1=rng.choice([0, 0, 1, 2]),
        ip_class2=rng.randint(0, 8),
        ip_self_developed=rng.random() < 0.8,
        achievement_conversions=rng.randint(0, 18),
        standards_led=rng.choice([0, 0, 1]),
        major_incident=rng.random() < 0.03,
        bad_credit=rng.random() < 0.03,
        restricted_industry=rng.random() < 0.02,
        has_hte_certificate=rng.random() < 0.1,
    )


def _times(fn, firms) -> list[float]:
    out = []
    for f in firms:
        start = time.perf_counter_ns()
        fn(f)
        out.append((time.perf_counter_ns() - start) / 1e6)
    return out


def bench_per_firm(n: int = 2000, seed: int = 2019) -> dict[str, float]:
    """Print and return the median milliseconds per firm for each policy (evaluate with gaps)."""
    rng = random.Random(seed)
    firms = [_firm(rng, i) for i in range(n)]
    medians = {}
    for name in ("tech_sme", "hte", "pool"):
        policy = load_policy(name, AS_OF)
        for f in firms[:50]:  # warm caches and the interpreter
            evaluate(f, policy, AS_OF, on_error="report")
        t_eval = _times(lambda f, p=policy: evaluate(f, p, AS_OF, on_error="report"), firms)
        t_dict = _times(lambda f, p=policy: evaluate(f, p, AS_OF, on_error="report").to_dict(), firms)
        results = [evaluate(f, policy, AS_OF, on_error="report") for f in firms]
        with_gaps = sum(1 for r in results if r.gaps) / n
        med = statistics.median(t_eval)
        p95 = statistics.quantiles(t_eval, n=20)[-1]
        medians[name] = med
        print(
            f"{name:9s} evaluate+gaps: median {med:.3f} ms  p95 {p95:.3f} ms  "
            f"(+to_dict median {statistics.median(t_dict):.3f} ms)  firms with gaps {with_gaps:.0%}  n={n}"
        )
    return medians


def run() -> None:
    bench_per_firm()


if __name__ == "__main__":
    run()
