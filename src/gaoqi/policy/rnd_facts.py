"""The input record of the R&D-institution performance evaluation (one institution, one year).

Separate from EnterpriseFacts because the unit is the institution (企业重点实验室、技术创新中心、
工程（技术）研究中心、企业技术中心), not the firm. Money in integer CNY yuan; None = not reported.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True, slots=True)
class RndInstitutionFacts:
    institution_id: str
    credit_code: str = ""  # the host enterprise
    name: str = ""
    rnd_spend: int | None = None  # 经费投入: the institution's R&D spending in the year
    revenue: int | None = None  # the host enterprise's sales revenue in the year (denominator)
    rnd_staff: int | None = None  # 人员投入: full-time R&D staff of the institution
    employees: int | None = None  # the host enterprise's employees (denominator)
    invention_patents: int | None = None  # 知识产权创造: Class I IP granted in the year
    other_ip: int | None = None  # Class II IP granted in the year
    key_breakthroughs: int | None = None  # 关键技术突破: recognised key-technology breakthroughs

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


RND_FIELDS = frozenset(f.name for f in fields(RndInstitutionFacts))
RND_COUNT_FIELDS = ("rnd_spend", "revenue", "rnd_staff", "employees", "invention_patents", "other_ip",
                    "key_breakthroughs")
