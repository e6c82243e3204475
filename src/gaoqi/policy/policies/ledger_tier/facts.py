"""The input of the ledger grading: what the registry and the other policies' evaluations say about a firm.

The tiers are decided on evaluation results (import -> facts -> evaluation -> decisions): the HTE and tech-SME
evaluations run first (both backends), their verdicts become these facts. `None` = not known (e.g. the HTE
evaluation could not run for lack of data): a firm is never placed in a tier on a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from gaoqi.policy.core.facts import Kind, fact, specs_of


@dataclass(frozen=True, slots=True)
class LedgerFacts:
    credit_code: str = fact("统一社会信用代码", "Unified social credit code", Kind.TEXT)
    has_hte_certificate: bool | None = fact("有效期内高企证书", "Valid HTE certificate", Kind.BOOL)
    tech_sme_registered: bool | None = fact(
        "有效期内科技型中小企业入库登记", "Valid tech-SME registration", Kind.BOOL
    )
    hte_hard_failed: int | None = fact(
        "未满足的高企认定硬性条件数", "HTE hard conditions not met", Kind.COUNT
    )
    tech_sme_eligible: bool | None = fact(
        "符合科技型中小企业评价条件", "Meets the tech-SME evaluation", Kind.BOOL
    )
    rnd_expense_y3: int | None = fact("研发费用总额（第三年）", "R&D expenses (year 3)", Kind.MONEY)
    ip_count: int | None = fact("知识产权数（Ⅰ类＋Ⅱ类）", "IP items (class I + class II)", Kind.COUNT)

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


LEDGER_SPECS = specs_of(LedgerFacts)
LEDGER_FIELDS = frozenset(s.name for s in LEDGER_SPECS)
