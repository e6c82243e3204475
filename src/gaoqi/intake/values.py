"""What one cell means for one target: the registry's reference data (regions, technology fields), codes,
years, dates, percentages and the profile's wording for IP kinds and list names, on top of the evaluation
template's cell rules (`policy.template.cells`). Text is NFKC-normalised first where a number, date or code
is expected (full-width digits and punctuation)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from operator import mul

from gaoqi.intake.layout import MappedColumn
from gaoqi.intake.profiles import Profile
from gaoqi.intake.targets import PERCENT_SCALE
from gaoqi.policy.core.facts import COUNT_LIMIT, MONEY_LIMIT, Kind
from gaoqi.policy.template.cells import (
    COUNT_RANGE_ZH,
    MONEY_RANGE_ZH,
    CellError,
    normalize_header,
    parse_bool,
    parse_count,
    parse_date,
    parse_money,
    parse_text,
)

_YYYYMMDD = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_YEAR_TEXT = re.compile(r"^((?:19|20)\d{2})(?:年度|年)?$")
_USCC_RE = re.compile(r"^[0-9]{8}[0-9A-HJ-NPQRTUWXY]{10}$")
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def fast_credit_code(value: object) -> str | None:
    """A canonical valid credit code as written, or None (then `cells.parse_text` says what is wrong):
    the GB 32100 check digit computed here, as stdnum does, at a fiftieth of its cost."""
    if type(value) is not str:
        return None
    text = value.strip().upper()
    if not _USCC_RE.match(text):
        return None
    total = sum(map(mul, map(_USCC_VALUE.__getitem__, text[:17]), _USCC_WEIGHTS))
    return text if _USCC_ALPHABET[(31 - total) % 31] == text[17] else None


class Lookups:
    """Reference data a row is checked against: regions and technology fields (two small queries)."""

    def __init__(self):
        from gaoqi.regions.models import Level, Region
        from gaoqi.registry.models import TechField

        regions = list(Region.objects.values_list("code", "name", "level", "city_code"))
        self.level = {code: level for code, _, level, _ in regions}
        self.city_of = {code: city for code, _, _, city in regions}
        city_names = {code: name for code, name, level, _ in regions if level == Level.CITY}
        self.counties_by_name: dict[str, list[str]] = {}
        self.cities_by_name: dict[str, str] = {}
        for code, name, level, city in regions:
            if level == Level.COUNTY:
                for spelling in (name, city_names.get(city, "") + name):
                    self.counties_by_name.setdefault(normalize_header(spelling), []).append(code)
            elif level == Level.CITY:
                self.cities_by_name[normalize_header(name)] = code
                self.cities_by_name[normalize_header(name.removesuffix("市"))] = code
        fields = list(TechField.objects.values_list("code", "name"))
        self.tech_codes = {code for code, _ in fields}
        self.tech_by_name = {normalize_header(name): code for code, name in fields}


def _nfkc(value: object) -> object:
    return unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else value


def _code_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(_nfkc(value))


class ValueReader:
    """Parses one non-blank cell for its column's target; CellError says why it cannot."""

    def __init__(self, profile: Profile, today: date):
        self.profile, self.today = profile, today
        self.lookups = Lookups()

    def _region(self, value: object, city: str) -> str:
        text = _code_text(value)
        if re.fullmatch(r"\d{6}", text):
            level = self.lookups.level.get(text)
            if level is None:
                raise CellError(f"未知的行政区划代码 {text}")
            if level != "county":
                raise CellError(f"{text} 不是县（市、区）级区划代码")
            return text
        codes = self.lookups.counties_by_name.get(normalize_header(text), [])
        if city:
            codes = [c for c in codes if self.lookups.city_of.get(c) == city]
        if len(codes) == 1:
            return codes[0]
        if not codes:
            raise CellError(f"未找到名为“{text}”的县（市、区）")
        raise CellError(f"“{text}”在多个设区市都有，请写明所在市（如“南京市{text}”）或填写区划代码")

    def _city(self, value: object) -> str:
        text = _code_text(value)
        if re.fullmatch(r"\d{6}", text) and self.lookups.level.get(text) == "city":
            return text
        code = self.lookups.cities_by_name.get(normalize_header(text))
        if code is None:
            raise CellError(f"未找到名为“{text}”的设区市")
        return code

    def _year(self, value: object) -> int:
        if isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer():
            year = int(value)
        else:
            m = _YEAR_TEXT.match(normalize_header(_code_text(value)))
            if not m:
                raise CellError(f"年度应为四位数字（如 2023），实际为“{value}”")
            year = int(m[1])
        if not 1949 <= year <= self.today.year:
            raise CellError(f"年度 {year} 不在 1949–{self.today.year} 之间")
        return year

    def _date(self, value: object) -> date:
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = _code_text(value)
            if not _YYYYMMDD.match(value):
                raise CellError(f"日期格式应为 YYYY-MM-DD，实际为数字 {value}")
        value = _nfkc(value)
        if isinstance(value, str) and (m := _YYYYMMDD.match(value)):
            value = f"{m[1]}-{m[2]}-{m[3]}"
        result = parse_date(value)
        if result > self.today:
            raise CellError(f"日期 {result.isoformat()} 晚于今天")
        return result

    def _percent(self, value: object) -> int:
        if isinstance(value, str):
            value = _nfkc(value).removesuffix("%").strip()
        try:
            number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
        except ArithmeticError as exc:
            raise CellError(f"不是百分数：{value!r}") from exc
        if not number.is_finite():
            raise CellError(f"不是百分数：{value!r}")
        scaled = number * PERCENT_SCALE
        if scaled != scaled.to_integral_value(ROUND_HALF_UP):
            raise CellError("百分数最多保留两位小数")
        if number < 0 or number > 10_000:
            raise CellError("百分数应在 0–10000 之间")
        return int(scaled)

    def parse_cell(self, col: MappedColumn, value: object, city: str = "") -> object:
        target, kind = col.target, col.target.kind
        if kind == Kind.MONEY:
            if type(value) is int or (type(value) is float and value.is_integer() and col.scale == 1):
                amount = int(value) * col.scale
                if amount < 0 and not target.signed:
                    raise CellError("金额不能为负数")
                if abs(amount) >= MONEY_LIMIT:
                    raise CellError(MONEY_RANGE_ZH)
                return amount
            return parse_money(_nfkc(value), scale=col.scale, signed=target.signed)
        if kind == Kind.COUNT:
            if type(value) is int or (type(value) is float and value.is_integer()):
                number = int(value)
                if number < 0:
                    raise CellError("不能为负数")
                if number >= COUNT_LIMIT:
                    raise CellError(COUNT_RANGE_ZH)
                return number
            return parse_count(_nfkc(value))
        if kind == "percent":
            return self._percent(value)
        if kind == Kind.BOOL:
            return parse_bool(_nfkc(value))
        if kind == Kind.DATE:
            return self._date(value)
        if kind == "region":
            return self._region(value, city)
        if kind == "city":
            return self._city(value)
        if kind == "year":
            return self._year(value)
        if kind == "tech_field":
            text = _code_text(value)
            if text in self.lookups.tech_codes:
                return text
            code = self.lookups.tech_by_name.get(normalize_header(text))
            if code is None:
                raise CellError(f"未知的技术领域“{text}”（应为技术领域代码或名称）")
            return code
        if kind == "ip_kind":
            code = self.profile.ip_kinds.get(normalize_header(str(value)))
            if code is None:
                raise CellError(
                    f"未知的知识产权类型“{value}”（可用：{'、'.join(_accepted(self.profile.ip_kinds))}）"
                )
            return code
        if kind == "tag":
            code = self.profile.tags.get(normalize_header(str(value)))
            if code is None:
                raise CellError(f"未知的称号“{value}”（可用：{'、'.join(_accepted(self.profile.tags))}）")
            return code
        # text
        if target.name == "credit_code":
            return fast_credit_code(value) or parse_text(_nfkc(value), "credit_code")
        if target.name == "ip_number":
            return re.sub(r"\s+", "", _code_text(value)).upper()
        if isinstance(value, bool):
            raise CellError("应为文本")
        return re.sub(r"\s+", " ", _code_text(value) if isinstance(value, float) else str(value)).strip()

    # --- rows ---------------------------------------------------------------------------------------


def _accepted(mapping: dict[str, str]) -> list[str]:
    return list(mapping)[:8]
