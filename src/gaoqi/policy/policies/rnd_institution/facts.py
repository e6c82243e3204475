"""The input record of the R&D-institution performance evaluation (one institution, one year).

Separate from EnterpriseFacts because the unit is the institution (企业重点实验室、技术创新中心、
工程（技术）研究中心、企业技术中心), not the firm. Money in integer CNY yuan; None = not reported.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from gaoqi.policy.core.facts import Kind, NotAbove, fact, specs_of


@dataclass(frozen=True, slots=True)
class RndInstitutionFacts:
    institution_id: str = fact("研发机构编号", "Institution id", Kind.TEXT)
    credit_code: str = fact("依托企业统一社会信用代码", "Host enterprise credit code", Kind.TEXT, default="")
    name: str = fact("研发机构名称", "Institution name", Kind.TEXT, default="")
    rnd_spend: int | None = fact("研发机构经费支出", "R&D spending of the institution", Kind.MONEY)
    revenue: int | None = fact("依托企业销售收入", "Host enterprise sales revenue", Kind.MONEY)
    rnd_staff: int | None = fact("研发机构专职研发人员", "Full-time R&D staff", Kind.COUNT, unit="persons")
    employees: int | None = fact("依托企业职工总数", "Host enterprise employees", Kind.COUNT, unit="persons")
    invention_patents: int | None = fact(
        "当年授权发明专利（Ⅰ类）", "Class I IP granted in the year", Kind.COUNT
    )
    other_ip: int | None = fact("当年其他知识产权（Ⅱ类）", "Class II IP granted in the year", Kind.COUNT)
    key_breakthroughs: int | None = fact("关键技术突破", "Key-technology breakthroughs", Kind.COUNT)

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


RND_SPECS = specs_of(RndInstitutionFacts)
RND_FIELDS = frozenset(s.name for s in RND_SPECS)
RND_CROSS_RULES = (
    NotAbove("rnd_staff", "employees", "研发人员数不能超过职工总数", "R&D staff may not exceed employees"),
)
