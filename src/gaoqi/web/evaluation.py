"""The evaluation tab's view-model: engine results (gaoqi.registry.evaluation) as strings in the active language.

No queries and no decisions here: every verdict, score and gap sentence is the engine's; this module only
formats values (ratios as %, money in 万元), picks the label/message/threshold in the active language and writes
an English threshold from op/value when the engine gives only the Chinese text (no `Threshold.text_en`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from gaoqi.registry.evaluation import EnterpriseEvaluation, FactIssue, PolicyResult
from gaoqi.registry.models import AnnualReport, Enterprise
from gaoqi.web.templatetags.gaoqi_ui import local_name, wan

OUTCOME_LABELS = {
    "pass": gettext_lazy("通过"),
    "fail": gettext_lazy("不通过"),
    "undetermined": gettext_lazy("待专家评审"),
}
OUTCOME_CLASS = {"pass": "badge-pass", "fail": "badge-fail", "undetermined": "badge-pending"}
POLICY_TITLES = {
    "tech_sme": gettext_lazy("科技型中小企业评价"),
    "hte": gettext_lazy("高新技术企业认定"),
    "pool": gettext_lazy("高新技术企业培育库入库"),
}
# tech_sme 第八条 routes, by the code the engine reports in `direct_pass_reason` / the direct-pass value.
DIRECT_PASS_LABELS = {
    "hte_certificate": gettext_lazy("有效期内高新技术企业资格"),
    "national_award": gettext_lazy("近五年获国家级科技奖励并排名前三"),
    "rnd_institution": gettext_lazy("拥有省部级以上研发机构"),
    "standard": gettext_lazy("近五年主导制定国际、国家或行业标准"),
}
# Conditions whose value is a yes/no fact phrased the other way round by the label ("不属于…" ← 否): the value
# is shown with the fact's own name so it cannot be misread.
BOOL_FACTS = {
    "industry": "restricted_industry",
    "no_major_incident": "major_incident",
    "no_bad_credit": "bad_credit",
}
# Facts that are not annual-report fields: their label comes from the enterprise record.
ENTERPRISE_FIELDS = {"founded_on", "tech_field"}
EXTRA_FIELD_LABELS = {
    "has_hte_certificate": gettext_lazy("有效期内高企证书"),
    "credit_code": gettext_lazy("统一社会信用代码"),
    "expert_advancement": gettext_lazy("专家评分：技术先进程度"),
    "expert_core_support": gettext_lazy("专家评分：核心支持作用"),
    "expert_rnd_management": gettext_lazy("专家评分：研发组织管理"),
}


def _english() -> bool:
    return (get_language() or "").startswith("en")


@dataclass
class Row:
    mark: str  # ✓ ✗ ？ ·
    mark_class: str
    label: str
    value: str
    value_note: str
    threshold: str
    threshold_zh: str
    points: str
    band: str
    citation: str
    note: str


@dataclass
class Card:
    name: str
    title: str
    outcome: str
    outcome_label: str
    outcome_class: str
    score: str  # "86" or "9–56" or ""
    direct_pass: str
    rows: list[Row] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    missing: str = ""  # the missing facts, one sentence
    invalid: str = ""
    unavailable: bool = False
    illustrative: bool = False
    version: str = ""
    effective_from: date | None = None
    engine_version: str = ""
    param_hash: str = ""

    @property
    def hash_short(self) -> str:
        return self.param_hash[:12]


# --- values -------------------------------------------------------------------------------------------


def percent(value) -> str:
    """A ratio (Decimal rounded down by the engine, or an exact Fraction) as a percentage, 2 decimals, down."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    shown = (Decimal(value) * 100).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return f"{shown.normalize():f}%" if shown == shown.to_integral() else f"{shown:f}%"


def _number(value, unit: str, enterprise=None) -> str:
    if unit == "ratio":
        return percent(value)
    if unit == "CNY":
        return _("%(n)s 万元") % {"n": wan(value)}
    if unit == "persons":
        return _("%(n)s 人") % {"n": f"{value:,}"}
    if unit == "items":
        return _("%(n)s 项") % {"n": f"{value:,}"}
    if unit == "points":
        return _("%(n)s 分") % {"n": value}
    if unit == "per_year":
        return _("%(n)s 项/年") % {"n": f"{Decimal(value):.2f}"}
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return f"{value:,}"


def format_value(value, unit: str, enterprise=None) -> str:
    """A criterion's actual value as an officer reads it."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict) and {"class1", "class2"} <= set(value):
        return _("Ⅰ类 %(a)s 项 · Ⅱ类 %(b)s 项") % {"a": value["class1"], "b": value["class2"]}
    if isinstance(value, list | tuple):
        names = [str(DIRECT_PASS_LABELS.get(v, v)) for v in value]
        return "、".join(names) if names else _("无")
    if isinstance(value, str):
        if (
            unit == "code"
            and enterprise is not None
            and value == enterprise.tech_field_id
            and enterprise.tech_field
        ):
            return f"{value} {local_name(enterprise.tech_field)}"
        return value
    if isinstance(value, int | Decimal | Fraction):
        return _number(value, unit, enterprise)
    return str(value)


OPS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "="}


def threshold_text(criterion) -> str:
    """The threshold in the active language: the engine's text; in English built from op/value if it has none."""
    t = criterion.threshold
    if t is None:
        return "—"
    if not _english():
        return t.text_zh
    if getattr(t, "text_en", ""):
        return t.text_en
    if t.op == "band":
        return "By band"
    if t.op == "in":
        return "In the supported high-tech fields" if criterion.unit == "code" else "Any one of the routes"
    if t.op == "==" and isinstance(t.value, bool):
        return "Required: " + ("Yes" if t.value else "No")
    if isinstance(t.value, date):
        return f"Founded on or before {t.value.isoformat()}" if t.op == "<=" else f"{OPS[t.op]} {t.value}"
    if t.op in OPS and isinstance(t.value, int | Decimal | Fraction):
        if t.value == 0 and criterion.unit == "ratio":  # "tech-staff score above 0"
            return "Score above 0"
        return f"{OPS[t.op]} {format_value(t.value, criterion.unit)}"
    return t.text_zh


def _points(c) -> str:
    if c.points is not None:
        return str(c.points)
    if c.points_min is not None and c.points_max is not None:
        return str(c.points_min) if c.points_min == c.points_max else f"{c.points_min}–{c.points_max}"
    return "—"


def _mark(c) -> tuple[str, str]:
    if (
        c.kind == "score"
        and c.points_min is not None
        and c.points_max is not None
        and c.points_min != c.points_max
    ):
        return "？", "mark-pending"  # a points range: an expert decides
    if c.passed is True:
        return "✓", "mark-pass"
    if c.passed is False:
        return "✗", "mark-fail"
    if c.kind == "condition":
        return "？", "mark-pending"
    return "·", "mark-info"  # a scored item or context without a verdict of its own


def _band(band) -> str:
    if not band:
        return ""
    if _english():
        return {
            "其他": "other",
            "待专家评分": "expert",
            "无": "none",
            "符合": "qualified",
            "获得方式未填": "not stated",
            "销售收入口径": "on revenue",
            "成本费用口径": "on total cost",
            "不符合": "not qualified",
            "自主研发": "self-developed",
            "专家评分": "expert-scored",
        }.get(band, band.replace("Ⅰ类", "Class I ").replace("Ⅱ类", "Class II "))
    return band


def _value_note(c) -> str:
    """For a yes/no fact the label states the other way round, the fact's own name (shown under the value)."""
    fact = BOOL_FACTS.get(c.id.partition(".")[2])
    return str(AnnualReport._meta.get_field(fact).verbose_name) if fact and isinstance(c.value, bool) else ""


def _row(c, enterprise) -> Row:
    mark, mark_class = _mark(c)
    return Row(
        mark=mark,
        mark_class=mark_class,
        label=c.label_en if _english() and c.label_en else c.label_zh,
        value=format_value(c.value, c.unit, enterprise),
        value_note=_value_note(c),
        threshold=threshold_text(c),
        threshold_zh=c.threshold.text_zh if c.threshold else "",
        points=_points(c),
        band=_band(c.band),
        citation=c.citation,
        note="" if _english() else c.note_zh,
    )


def _gap_messages(gaps) -> list[str]:
    """Each gap sentence once: an option already spelt out inside a summary sentence is not repeated."""
    keep = [g for g in gaps if not any(g is not o and g.message_zh in o.message_zh for o in gaps)]
    return [(g.message_en if _english() and g.message_en else g.message_zh) for g in keep]


def field_label(issue: FactIssue) -> str:
    stem = issue.stem
    if stem in ENTERPRISE_FIELDS:
        label = str(Enterprise._meta.get_field(stem).verbose_name)
    elif stem in EXTRA_FIELD_LABELS:
        label = str(EXTRA_FIELD_LABELS[stem])
    else:
        try:
            label = str(AnnualReport._meta.get_field(stem).verbose_name)
        except Exception:  # a field the registry does not hold: the engine's name is still informative
            label = stem
    if issue.year:
        return _("%(year)s 年度%(label)s") % {"year": issue.year, "label": label}
    return label


def _score(ev) -> str:
    if ev.score is not None:
        return str(ev.score)
    if ev.score_min is not None and ev.score_max is not None:
        return str(ev.score_min) if ev.score_min == ev.score_max else f"{ev.score_min}–{ev.score_max}"
    return ""


def card(result: PolicyResult, enterprise) -> Card:
    title = str(POLICY_TITLES.get(result.name, result.name))
    if result.policy is None:
        return Card(result.name, title, "", _("无有效政策"), "badge-na", "", "", unavailable=True)
    policy, ev = result.policy, result.evaluation
    common = dict(
        illustrative=result.illustrative,
        version=policy.version,
        effective_from=policy.effective_from,
        engine_version=ev.engine_version,
        param_hash=ev.param_hash,
    )
    if not result.evaluated:
        # Incomplete or invalid facts: no verdict, no score, no criteria -- say what is missing instead.
        return Card(
            result.name,
            title,
            "",
            _("无法评价"),
            "badge-na",
            "",
            "",
            missing=(", " if _english() else "、").join(field_label(i) for i in result.missing),
            invalid=("; " if _english() else "；").join(
                f"{field_label(i)}: {i.reason}"
                if _english()
                else f"{field_label(i)}：{i.reason_zh or i.reason}"
                for i in result.invalid
            ),
            **common,
        )
    direct = ""
    if ev.direct_pass_reason:
        direct = str(DIRECT_PASS_LABELS.get(ev.direct_pass_reason, ev.direct_pass_reason))
    return Card(
        result.name,
        title,
        ev.outcome,
        str(OUTCOME_LABELS[ev.outcome]),
        OUTCOME_CLASS[ev.outcome],
        _score(ev),
        direct,
        rows=[_row(c, enterprise) for c in ev.criteria],
        gaps=_gap_messages(ev.gaps),
        **common,
    )


def cards(evaluation: EnterpriseEvaluation, enterprise) -> list[Card]:
    return [card(r, enterprise) for r in evaluation.results]
