"""The evaluation tab's view-model: engine results (gaoqi.registry.evaluation) as strings in the active language.

No queries and no decisions here: every verdict, score and gap sentence is the engine's; this module only
formats values (ratios as %, money in 万元), picks the label/message/threshold in the active language and writes
an English threshold from op/value when the engine gives only the Chinese text (no `Threshold.text_en`).

Display strings live with the policy: its title (`title_zh/title_en`), the texts of the codes it reports
(`Policy.label`, e.g. the tech-SME direct-pass routes), band labels (`band`/`band_en`), and citations as
structured sources (`CriterionResult.source`, with its `illustrative` flag). Field labels the registry does not
hold come from the engine's field schema (FIELD_SPECS).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from gaoqi.policy.core.facts import FIELDS_BY_NAME
from gaoqi.registry.evaluation import EnterpriseEvaluation, FactIssue, PolicyResult
from gaoqi.registry.models import FACT_FIELDS, AnnualReport, Enterprise
from gaoqi.web.templatetags.gaoqi_ui import local_name, wan

OUTCOME_LABELS = {
    "pass": gettext_lazy("通过"),
    "fail": gettext_lazy("不通过"),
    "undetermined": gettext_lazy("待专家评审"),
}
OUTCOME_CLASS = {"pass": "badge-pass", "fail": "badge-fail", "undetermined": "badge-pending"}
# Conditions whose value is a yes/no fact phrased the other way round by the label ("不属于…" ← 否): the value
# is shown with the fact's own name so it cannot be misread.
BOOL_FACTS = {
    "industry": "restricted_industry",
    "no_major_incident": "major_incident",
    "no_bad_credit": "bad_credit",
}
# Facts that are not annual-report fields: their label comes from the enterprise record.
ENTERPRISE_FIELDS = {"founded_on", "tech_field"}


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _lang() -> str:
    return "en" if _english() else "zh"


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
    source_title: str = ""  # the cited document (issuer, title), shown on hover
    illustrative: bool = False  # the criterion rests on a placeholder source


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
    illustrative_source: str = ""  # the placeholder source the illustrative criteria cite
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


def format_value(value, unit: str, enterprise=None, label=None) -> str:
    """A criterion's actual value as an officer reads it. `label(code)`: the policy's text of a code it reports."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict) and {"class1", "class2"} <= set(value):
        return _("Ⅰ类 %(a)s 项 · Ⅱ类 %(b)s 项") % {"a": value["class1"], "b": value["class2"]}
    if isinstance(value, list | tuple):
        names = [label(v) if label else str(v) for v in value]
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


def _band(c) -> str:
    """The band label the engine gives, in the active language."""
    if _english() and c.band_en:
        return c.band_en
    return c.band or ""


def _source_title(source) -> str:
    if source is None:
        return ""
    return "：".join(t for t in (source.issuer, source.title) if t)


def _value_note(c) -> str:
    """For a yes/no fact the label states the other way round, the fact's own name (shown under the value)."""
    fact = BOOL_FACTS.get(c.id.partition(".")[2])
    return str(AnnualReport._meta.get_field(fact).verbose_name) if fact and isinstance(c.value, bool) else ""


def _row(c, enterprise, policy) -> Row:
    mark, mark_class = _mark(c)
    return Row(
        mark=mark,
        mark_class=mark_class,
        label=c.label_en if _english() and c.label_en else c.label_zh,
        value=format_value(c.value, c.unit, enterprise, lambda code: policy.label(code, _lang())),
        value_note=_value_note(c),
        threshold=threshold_text(c),
        threshold_zh=c.threshold.text_zh if c.threshold else "",
        points=_points(c),
        band=_band(c),
        citation=c.citation,
        note="" if _english() else c.note_zh,
        source_title=_source_title(c.source),
        illustrative=bool(c.source and c.source.illustrative),
    )


def _gap_messages(gaps) -> list[str]:
    """Each gap sentence once: an option already spelt out inside a summary sentence is not repeated."""
    keep = [g for g in gaps if not any(g is not o and g.message_zh in o.message_zh for o in gaps)]
    return [(g.message_en if _english() and g.message_en else g.message_zh) for g in keep]


def field_label(issue: FactIssue) -> str:
    """A fact's label: the registry's name (with the accounting year) for what it holds, else the engine's."""
    stem = issue.stem
    if stem in ENTERPRISE_FIELDS:
        label = str(Enterprise._meta.get_field(stem).verbose_name)
    elif stem in FACT_FIELDS:
        label = str(AnnualReport._meta.get_field(stem).verbose_name)
    elif spec := FIELDS_BY_NAME.get(issue.field):  # a fact the registry does not hold: the engine's label
        return spec.label_en if _english() and spec.label_en else spec.label_zh
    else:
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


def _illustrative_source(policy) -> str:
    """The placeholder source(s) the policy's illustrative criteria cite, for the badge's hover text."""
    sources = [c.source for c in policy.criteria.values() if c.source is not None and c.source.illustrative]
    return "；".join(dict.fromkeys(_source_title(s) or s.cite() for s in sources))


def card(result: PolicyResult, enterprise) -> Card:
    title = result.title_en if _english() and result.title_en else result.title_zh
    if result.policy is None:
        return Card(result.name, title, "", _("无有效政策"), "badge-na", "", "", unavailable=True)
    policy, ev = result.policy, result.evaluation
    common = dict(
        illustrative=result.illustrative,
        illustrative_source=_illustrative_source(policy) if result.illustrative else "",
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
    direct = policy.label(ev.direct_pass_reason, _lang()) if ev.direct_pass_reason else ""
    return Card(
        result.name,
        title,
        ev.outcome,
        str(OUTCOME_LABELS[ev.outcome]),
        OUTCOME_CLASS[ev.outcome],
        _score(ev),
        direct,
        rows=[_row(c, enterprise, policy) for c in ev.criteria],
        gaps=_gap_messages(ev.gaps),
        **common,
    )


def cards(evaluation: EnterpriseEvaluation, enterprise) -> list[Card]:
    return [card(r, enterprise) for r in evaluation.results]
