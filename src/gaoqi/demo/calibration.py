"""Calibration of the synthetic Jiangsu data set (shared POLICY.md §7). Every number here is a choice.

The generated population is a *pool of candidate firms* (a cultivation pool), not all registered firms,
so the certificate shares are those of such a pool:

- HTE_SHARE = 0.30: on average 30% of the pool hold a valid high-tech enterprise certificate on the "as of"
  date (the tests accept 25–35%). 2023: 51,000 HTEs against ~100,000 tech SMEs and a wider pool. These are
  probabilities, not quotas: each eligible firm (a year old, in a high-tech field, with revenue) is certified
  with a probability logistic in its quality score (slope CERT_SLOPE), the intercept solved so that the
  probabilities add up to the share; the count is then binomial (20,000 firms: 6,000 ± ~65), and a city's or
  county's count follows from its firms' quality, not from an allotment.
- TECH_SME_SHARE = 0.35: on average 35% hold a valid tech-SME registration (tests accept 30–40%); only
  firms within the tech-SME size limits (≤ 500 staff, revenue and assets ≤ 200 million) can hold one.
- Certification history: the current certificate's issue date is drawn over the last three years with a
  density growing by HTE_GROWTH a year (Jiangsu's HTEs: 13,000 in 2017 → 51,000 in 2023, about +25% a year;
  2021–2023 about +17%) and thinned by month with CERT_MONTH_WEIGHTS (several batches a year, the autumn
  ones largest). A holder renewed the certificate before with probability RENEWAL_PROB, itself renewed
  with the same probability (MAX_PREVIOUS certificates back): about 9 years of monthly history.
- EXPIRED_HTE_SHARE: a further ~10% of the pool (on average) held an HTE certificate that expired in the
  last LAPSED_YEARS years without renewal (recertification candidates). With the renewals above this makes
  the historical re-certification rate of expiring certificates about 65–75%.
- HTE_AT_RISK_PROB = 0.05: a certified HTE's figures are made consistent with its certification (it meets
  the hard conditions: IP, tech staff ≥ 10%, R&D by revenue tier, domestic R&D, high-tech income ≥ 60%, no
  major incident) except for this share, whose figures are left as drawn: most of those fail a condition,
  so about 3–4% of the HTEs come out "at risk" in the engine (the alerts' subject).
- HTE_UNREPORTED_PROB = 0.01: about 1% of the HTEs have no report of the last accounting year (neither
  source): the "annual report missing" alert, and a ledger entry the engine cannot evaluate (missing data).
- City shares follow the HTE distribution: Suzhou ~30%, Nanjing ~20%, south > central > north.
- ZONE_HTE_SHARE = 0.50: about half of the valid HTEs sit in a provincial-or-higher high-tech zone (the
  plan's KPI is "over 50%"; the tests accept 45–55%). Firms join only zones of their own county
  (registry/fixtures/hitech_zones.csv); about 60% of the generated HTEs are in a county with a zone, so
  most of those are placed in it. Other firms join at ZONE_OTHER_RATIO times the HTEs' rate.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

HTE_SHARE = 0.30
HTE_SHARE_RANGE = (0.25, 0.35)
TECH_SME_SHARE = 0.35
TECH_SME_SHARE_RANGE = (0.30, 0.40)
EXPIRED_HTE_SHARE = 0.10
LAPSED_YEARS = 5
CERT_SLOPE = 2.0
HTE_GROWTH = 1.2
RENEWAL_PROB = 0.55
MAX_PREVIOUS = 2
HTE_AT_RISK_PROB = 0.05
HTE_AT_RISK_RANGE = (0.01, 0.07)
HTE_UNREPORTED_PROB = 0.01  # HTEs with no report of the last accounting year in the registry (alerts)  # share of certified HTEs failing a hard condition in the engine
# Relative weight of each month (Jan..Dec) in the certificates' issue dates.
CERT_MONTH_WEIGHTS = (0.5, 0.4, 0.6, 0.7, 0.8, 0.9, 0.8, 0.7, 1.0, 1.4, 1.6, 1.6)
ZONE_HTE_SHARE = 0.50
ZONE_HTE_SHARE_RANGE = (0.45, 0.55)
ZONE_OTHER_RATIO = 0.5

# Share of firms per city (sums to 1). South: Suzhou, Nanjing, Wuxi, Changzhou, Zhenjiang.
CITY_SHARES = {
    "320500": 0.30,
    "320100": 0.20,
    "320200": 0.11,
    "320400": 0.08,
    "321100": 0.03,  # south
    "320600": 0.07,
    "321000": 0.04,
    "321200": 0.04,  # central
    "320300": 0.04,
    "320900": 0.03,
    "320800": 0.02,
    "320700": 0.02,
    "321300": 0.02,  # north
}
SOUTH = ("320500", "320100", "320200", "320400", "321100")
CENTRAL = ("320600", "321000", "321200")
NORTH = ("320300", "320700", "320800", "320900", "321300")
# Innovation hubs get a larger share of their city's firms.
COUNTY_BOOST = {
    "320583": 3.0,
    "320505": 2.5,
    "320506": 2.0,
    "320581": 1.5,
    "320582": 1.5,
    "320115": 3.0,
    "320214": 3.0,
    "320281": 1.5,
    "320411": 2.0,
    "320612": 1.5,
    "320311": 1.5,
}

# Share of firms per high-tech field (top level); NO_FIELD_SHARE have none of the fields.
FIELD_SHARES = {
    "10": 0.22,
    "20": 0.11,
    "30": 0.015,
    "40": 0.14,
    "50": 0.12,
    "60": 0.10,
    "70": 0.06,
    "80": 0.235,
}
NO_FIELD_SHARE = 0.10
# Probability that a firm in the field is industrial (counts for above_scale).
INDUSTRIAL_PROB = {
    "10": 0.55,
    "20": 0.7,
    "30": 0.8,
    "40": 0.9,
    "50": 0.1,
    "60": 0.8,
    "70": 0.6,
    "80": 0.9,
    "": 0.6,
}

RATES = {
    "young": 0.06,  # founded less than a year before the as-of date
    "feb29": 0.004,  # founded on 29 February
    "zero_revenue": 0.03,
    "no_rnd": 0.08,
    "rnd_edge_cluster": 0.35,  # R&D intensity just around a band edge (3/4/5/6%)
    "talent_founded": 0.06,
    "major_incident": 0.004,
    "bad_credit": 0.012,
    "restricted_industry": 0.005,
    "national_award_top3": 0.003,
    "science_tech_reports_revenue": 0.2,  # the 科技 source also (self-)reports revenue: the merge shows tax wins
}

NAME_SYLLABLES = tuple(
    dict.fromkeys(
        "恒瑞华鼎盛达信诚泰德通宏远博创新源海天力嘉利凯隆祥鑫丰昌明安康宇正中汇兴联合锐捷迈特格奥晶芯"
        "微智光能辉星晨卓越睿思维云峰川江湖山金银禾佳誉晟旭昊泽润启航逸朗勤益精工立伟长春阳东方永盈"
        "弘毅聚英邦致鸿图蓝帆紫赛普艾迪纳和顺亿美林"
    )
)
INDUSTRY_WORDS = {
    "10": ("电子科技", "信息技术", "软件", "微电子", "通信技术", "智能科技", "网络科技", "数码科技"),
    "20": ("生物科技", "医药科技", "医疗器械", "生物技术", "制药", "健康科技"),
    "30": ("航空科技", "航天技术", "飞行器技术"),
    "40": ("新材料", "材料科技", "高分子材料", "化工新材料", "复合材料", "纳米科技"),
    "50": ("信息服务", "检测技术", "科技服务", "数据科技", "知识产权服务", "工业设计"),
    "60": ("新能源", "节能科技", "能源科技", "电力科技", "光伏科技", "储能技术"),
    "70": ("环保科技", "环境技术", "水处理技术", "资源科技", "环境工程"),
    "80": ("智能装备", "精密机械", "自动化", "机电科技", "智能制造", "机器人", "精密制造"),
    "": ("贸易", "实业", "科技", "机械", "纺织", "建材", "商贸"),
}


@cache
def divisions() -> list[dict]:
    text = resources.files("gaoqi.regions").joinpath("fixtures", "jiangsu_divisions.csv").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def hitech_zones() -> list[dict]:
    """The zones fixture (lines starting with # are its provenance note)."""
    text = resources.files("gaoqi.registry").joinpath("fixtures", "hitech_zones.csv").read_text("utf-8")
    return list(csv.DictReader(line for line in text.splitlines() if line and not line.startswith("#")))


@cache
def tech_subfields() -> dict[str, list[str]]:
    """Top-level field code → its sub-field codes, from the registry fixture."""
    text = resources.files("gaoqi.registry").joinpath("fixtures", "tech_fields.csv").read_text("utf-8")
    out: dict[str, list[str]] = {}
    for row in csv.DictReader(text.splitlines()):
        if row["parent_code"]:
            out.setdefault(row["parent_code"], []).append(row["code"])
    return out


def short_name(name: str) -> str:
    """苏州市 → 苏州, 昆山市 → 昆山; districts (…区) and counties (…县) keep their name."""
    return name[:-1] if name.endswith("市") and len(name) > 2 else name
