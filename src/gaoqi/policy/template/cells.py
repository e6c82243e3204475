"""Cell parsing for the evaluation template: the one definition of what a cell value means.

Both readers (row by row in `read`, columnar in `table`) use these rules; the columnar reader
only takes a shortcut for canonical spellings and sends everything else through these functions.

Decisions (documented in docs/policy-cli.md):
- blank (empty or whitespace-only) means "not reported" (None);
- money is integer yuan; thousands separators "," and "，" are allowed between groups of three digits
  (1,234,567) and nowhere else: "12,5" (a decimal comma) or "1,2,3" is rejected, never guessed; 12.0 is
  12; a fraction of a yuan (12.5) is rejected, never rounded: band edges are compared exactly. 万元
  columns accept up to four decimals (exact to the yuan);
- the arithmetic's limits are `core.facts.MONEY_LIMIT` (money, in yuan, either sign) and `COUNT_LIMIT`,
  the same the engine checks;
- booleans: 1/0, true/false, 是/否, yes/no (any case);
- dates: YYYY-MM-DD (also 2019/3/5, 2019.3.5, 2019年3月5日, and Excel date cells);
- codes typed as numbers in Excel (320505.0) read as 320505.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from stdnum.cn import uscc

from gaoqi.policy.core.facts import COUNT_LIMIT, MONEY_LIMIT, FieldSpec, Kind

WAN = 10_000

TRUE_WORDS = frozenset({"1", "1.0", "true", "是", "yes", "y"})
FALSE_WORDS = frozenset({"0", "0.0", "false", "否", "no", "n"})

_NUMBER_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
GROUPED_RE = r"^[+-]?[0-9]{1,3}([,，][0-9]{3})+(\.[0-9]*)?$"  # thousands separators where they belong
_GROUPED_RE = re.compile(GROUPED_RE)
_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(\s+00:00(:00(\.0+)?)?)?$")
_CODE_FLOAT_RE = re.compile(r"^(\d+)\.0+$")
_REGION_RE = re.compile(r"^\d{6}$")
CODE_FIELDS = frozenset({"region_code", "tech_field"})


class CellError(ValueError):
    """A cell that cannot be read; the message is shown to the officer (Chinese)."""


def zh_number(n: int) -> str:
    """10**13 -> "10万亿", 10**9 -> "10亿": a limit as officers say it."""
    for size, unit in ((10**12, "万亿"), (10**8, "亿"), (10**4, "万")):
        if n >= size and n % size == 0:
            return f"{n // size}{unit}"
    return f"{n:,}"


MONEY_RANGE_ZH = f"金额超出可计算范围（须小于{zh_number(MONEY_LIMIT)}元）"
COUNT_RANGE_ZH = f"数值超出可计算范围（须小于{zh_number(COUNT_LIMIT)}）"


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _decimal(value: object) -> Decimal:
    if isinstance(value, bool):
        raise CellError("应为数字，不是是/否")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise CellError("不是有效数字")
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        return value
    if isinstance(value, str):
        text = value.strip()
        if ("," in text or "，" in text) and not _GROUPED_RE.match(text):
            raise CellError(f"千分位逗号位置不对：{text!r}（每三位一个逗号；小数点应写作“.”）")
        text = text.replace(",", "").replace("，", "")
        if not _NUMBER_RE.match(text):
            raise CellError(f"不是数字：{value.strip()!r}")
        try:
            return Decimal(text)
        except InvalidOperation as exc:  # pragma: no cover - the regex admits only valid numbers
            raise CellError(f"不是数字：{value.strip()!r}") from exc
    raise CellError(f"不是数字：{value!r}")


def parse_money(value: object, *, scale: int = 1, signed: bool = False) -> int:
    amount = _decimal(value) * scale
    if amount != amount.to_integral_value():
        if scale == WAN:
            raise CellError("万元金额最多保留4位小数（精确到元）")
        raise CellError("金额须为整数元（不接受角、分），请先取整")
    if amount < 0 and not signed:
        raise CellError("金额不能为负数")
    if abs(amount) >= MONEY_LIMIT:
        raise CellError(MONEY_RANGE_ZH)
    return int(amount)


def parse_count(value: object) -> int:
    number = _decimal(value)
    if number != number.to_integral_value():
        raise CellError("应为整数")
    if number < 0:
        raise CellError("不能为负数")
    if number >= COUNT_LIMIT:
        raise CellError(COUNT_RANGE_ZH)
    return int(number)


def parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise CellError(f"应为 是/否、1/0 或 true/false，实际为 {value!r}")


def parse_date(value: object) -> date:
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            raise CellError("日期不应含时间")
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        match = _DATE_RE.match(value.strip())
        if match:
            try:
                result = date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError as exc:
                raise CellError(f"日期不存在：{value.strip()}") from exc
            if 1900 <= result.year <= 2100:
                return result
            raise CellError(f"日期超出范围：{value.strip()}")
    raise CellError(f"日期格式应为 YYYY-MM-DD，实际为 {value!r}")


def parse_text(value: object, name: str) -> str:
    if isinstance(value, bool):
        raise CellError("应为文本")
    if isinstance(value, float):
        if value != int(value):
            raise CellError("应为代码（整数）")
        text = str(int(value))
    elif isinstance(value, int):
        text = str(value)
    else:
        text = str(value).strip()
    if name in CODE_FIELDS:
        match = _CODE_FLOAT_RE.match(text)
        if match:
            text = match[1]
    if name == "credit_code":
        text = text.upper()
        if len(text) != 18:
            raise CellError(f"统一社会信用代码应为18位，实际{len(text)}位")
        if not uscc.is_valid(text):
            raise CellError("统一社会信用代码无效（字符或校验位错误）")
    elif name == "region_code" and not _REGION_RE.match(text):
        raise CellError("区划代码应为6位数字")
    return text


def parse_cell(value: object, spec: FieldSpec, scale: int = 1) -> object:
    """The value of one non-blank cell for `spec`, or CellError."""
    kind = spec.kind
    if kind is Kind.MONEY:
        return parse_money(value, scale=scale, signed=spec.signed)
    if kind is Kind.COUNT:
        return parse_count(value)
    if kind is Kind.BOOL:
        return parse_bool(value)
    if kind is Kind.DATE:
        return parse_date(value)
    return parse_text(value, spec.name)


def normalize_header(text: str) -> str:
    """Header comparison form: NFKC (full-width brackets → ASCII), no whitespace, lower case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()
