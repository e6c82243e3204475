"""Synthetic sample files, one per import profile, as each department would send it (docs/samples/).

`python -m gaoqi.intake.samples [OUT_DIR]` writes them; the same seed gives the same bytes, so they are
committed and a test checks they are current. Every firm is invented (names, codes, figures) and every
file says so in its title row ("合成数据"), which also marks what it imports as synthetic.

The files show what the readers cope with: a title above the header, a two-row header with merged year
cells, amounts as text with thousands separators, full-width digits, 万元 and 千元, Chinese dates, a GBK
CSV without declaration, rows without a credit code, a county name shared by two cities.
"""

from __future__ import annotations

import csv
import io
import random
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import xlsxwriter
from stdnum.cn import uscc

SEED = 2019
YEARS = (2024, 2025)
FIXED_TIME = datetime(2026, 1, 5, 9, 0, 0)
TITLE_MARK = "合成数据（演示用，非真实企业）"
_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
COUNTIES = {  # code: (name as departments write it, city name)
    "320583": ("昆山市", "苏州市"),
    "320506": ("吴中区", "苏州市"),
    "320505": ("虎丘区", "苏州市"),
    "320585": ("太仓市", "苏州市"),
    "320115": ("江宁区", "南京市"),
    "320106": ("鼓楼区", "南京市"),
    "320214": ("新吴区", "无锡市"),
}
BRANDS = "恒瑞 博远 科沃 华智 中新 睿芯 德尔 凯澄 汇川 天准 迈拓 晶瑞 朗坤 启航 鼎峰 宏图 巨能 诺飞 钧达 瀚海".split()
TRADES = ["智能装备", "生物医药", "新材料", "电子科技", "软件技术", "环保科技", "精密机械", "光电科技"]
FIELDS = ["软件", "微电子技术", "医药生物技术", "高分子材料", "804", "资源与环境"]  # names or codes


@dataclass(frozen=True)
class Firm:
    code: str
    name: str
    county: str
    founded: date
    field: str
    revenue: int  # yuan, the later year


def credit_code(county: str, n: int) -> str:
    body, digits = "", n * 7919 + 104729
    for _ in range(9):
        body = _ALPHABET[digits % 31] + body
        digits //= 31
    stem = "91" + county + body
    return stem + uscc.calc_check_digit(stem)


def firms(n: int = 36, seed: int = SEED) -> list[Firm]:
    rng = random.Random(seed)
    counties = list(COUNTIES)
    out = []
    for i in range(n):
        county = counties[i % len(counties)]
        city = COUNTIES[county][1].removesuffix("市")
        name = f"{city}{BRANDS[i % len(BRANDS)]}{TRADES[(i * 3) % len(TRADES)]}有限公司"
        if i >= len(BRANDS):
            name = name.replace("有限公司", "股份有限公司")
        founded = date(2008 + rng.randrange(15), rng.randrange(1, 13), rng.randrange(1, 29))
        revenue = rng.randrange(8, 400) * 250_000
        out.append(Firm(credit_code(county, i + 1), name, county, founded, FIELDS[i % len(FIELDS)], revenue))
    return out


def _book(path: Path) -> xlsxwriter.Workbook:
    book = xlsxwriter.Workbook(str(path))
    book.set_properties({"title": TITLE_MARK, "author": "gaoqi samples", "created": FIXED_TIME})
    return book


def _title(book, sheet, text: str, width: int) -> None:
    fmt = book.add_format({"bold": True, "align": "center"})
    sheet.merge_range(0, 0, 0, width - 1, f"{text} — {TITLE_MARK}", fmt)


def _fullwidth(text: str) -> str:
    return text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})


def market_registry(out: Path, fs: list[Firm]) -> None:
    book = _book(out / "market_registry.xlsx")
    sheet = book.add_worksheet("企业登记名单")
    headers = [
        "序号",
        "统一社会信用代码",
        "企业名称",
        "所属区县",
        "所属地市",
        "成立日期",
        "技术领域",
        "注册资本（万元）",
    ]
    _title(book, sheet, "2025年企业登记名单（市场监管局导出）", len(headers))
    sheet.write_row(2, 0, headers)  # row 2 is left blank: the header is not on line 1 or 2
    datefmt = book.add_format({"num_format": "yyyy-mm-dd"})
    for i, f in enumerate(fs):
        r = 3 + i
        sheet.write_number(r, 0, i + 1)
        sheet.write_string(r, 1, f.code)
        sheet.write_string(r, 2, f.name)
        sheet.write_string(r, 3, COUNTIES[f.county][0])
        sheet.write_string(r, 4, COUNTIES[f.county][1])
        if i % 3 == 0:
            sheet.write_datetime(r, 5, datetime.combine(f.founded, datetime.min.time()), datefmt)
        elif i % 3 == 1:
            sheet.write_string(r, 5, f"{f.founded.year}年{f.founded.month}月{f.founded.day}日")
        else:
            sheet.write_string(r, 5, f.founded.strftime("%Y%m%d"))
        sheet.write_string(r, 6, f.field)
        sheet.write_number(r, 7, (f.revenue // 1_000_000) * 10 + 100)
    book.close()


def tax(out: Path, fs: list[Firm]) -> None:
    """GBK CSV without a BOM, as a Windows export: amounts as text with separators, some full-width."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([f"企业所得税年度纳税申报数据 — {TITLE_MARK}"])
    w.writerow(
        [
            "纳税人识别号",
            "纳税人名称",
            "所属年度",
            "营业收入",
            "成本费用总额",
            "研发费用",
            "可加计扣除研发费用",
            "应纳所得税额",
        ]
    )
    for i, f in enumerate(fs):
        for k, year in enumerate(YEARS):
            revenue = f.revenue * (9 + k) // 10
            cost = revenue * 8 // 10
            rnd = revenue * (3 + i % 5) // 100
            cells = [f"{revenue:,}", f"{cost:,}", str(rnd), str(rnd * 9 // 10), str(revenue // 100)]
            if i % 7 == 3:
                cells[2] = _fullwidth(cells[2])
            w.writerow([f.code, f.name, str(year), *cells])
    (out / "tax.csv").write_bytes(buf.getvalue().encode("gb18030"))


def statistics(out: Path, fs: list[Firm]) -> None:
    """Two-row header: the year merged over its indicators; amounts in 千元."""
    book = _book(out / "statistics.xlsx")
    sheet = book.add_worksheet("规上企业")
    per_year = ["营业收入", "工业总产值", "从业人员期末人数", "R&D经费内部支出", "研发投入强度(%)"]
    width = 3 + len(per_year) * len(YEARS)
    _title(book, sheet, "规模以上工业企业研发活动统计表（单位：千元）", width)
    head = book.add_format({"bold": True, "align": "center"})
    for c, text in enumerate(["统一社会信用代码", "单位详细名称", "是否规上企业"]):
        sheet.merge_range(1, c, 2, c, text, head)
    for k, year in enumerate(YEARS):
        first = 3 + k * len(per_year)
        sheet.merge_range(1, first, 1, first + len(per_year) - 1, f"{year}年", head)
        sheet.write_row(2, first, per_year, head)
    for i, f in enumerate(fs[::2]):
        r = 3 + i
        sheet.write_row(r, 0, [f.code, f.name, "是" if f.revenue >= 20_000_000 else "否"])
        for k, _year in enumerate(YEARS):
            revenue = f.revenue * (9 + k) // 10 // 1000
            rnd = revenue * 4 // 100
            first = 3 + k * len(per_year)
            sheet.write_row(
                r, first, [revenue, revenue * 11 // 10, 40 + i * 3, rnd, round(rnd * 100 / revenue, 2)]
            )
    book.close()


def ip_office(out: Path, fs: list[Firm]) -> None:
    book = _book(out / "ip_office.xlsx")
    sheet = book.add_worksheet("知识产权明细")
    headers = ["专利号/登记号", "专利类型", "专利名称", "权利人", "权利人统一社会信用代码", "授权公告日"]
    _title(book, sheet, "有效知识产权明细", len(headers))
    sheet.write_row(1, 0, headers)
    kinds = ["发明", "实用新型", "外观设计", "软件著作权", "实用新型", "发明"]
    r = 2
    for i, f in enumerate(fs[:18]):
        for k in range(1 + i % 3):
            kind = kinds[(i + k) % len(kinds)]
            number = (
                f"2023SR{100000 + i * 10 + k}"
                if kind == "软件著作权"
                else f"ZL20{21 + k}1{i:04d}{k}.{i % 10}"
            )
            granted = date(2022 + k, 1 + (i % 12), 1 + (k * 7 % 28))
            code, name = f.code, f.name
            if i % 6 == 5 and k == 0:
                code = ""  # no credit code: matched by exact name within the county
            if i % 9 == 8 and k == 0:
                code, name = "", name.replace("有限公司", "公司")  # near miss: candidates to confirm
            when = (
                granted.strftime("%Y.%m.%d") if k % 2 else f"{granted.year}年{granted.month}月{granted.day}日"
            )
            sheet.write_row(
                r, 0, [number, kind, f"一种{TRADES[(i + k) % len(TRADES)]}装置", name, code, when]
            )
            r += 1
    book.close()


def industry_it_lists(out: Path, fs: list[Firm]) -> None:
    book = _book(out / "industry_it_lists.xlsx")
    sheet = book.add_worksheet("认定名单")
    headers = ["序号", "企业名称", "统一社会信用代码", "所在地区", "设区市", "认定类别", "认定年度"]
    _title(book, sheet, "专精特新中小企业及“小巨人”企业认定名单", len(headers))
    sheet.write_row(1, 0, headers)
    kinds = ["江苏省专精特新中小企业", "专精特新“小巨人”企业", "创新型中小企业"]
    for i, f in enumerate(fs[1::3]):
        county, city = COUNTIES[f.county]
        sheet.write_row(2 + i, 0, [i + 1, f.name, f.code, county, city, kinds[i % 3], YEARS[i % 2]])
    book.close()


def development_reform_lists(out: Path, fs: list[Firm]) -> None:
    """UTF-8 with BOM, as Excel's "CSV UTF-8" export."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([f"瞪羚企业、独角兽企业培育名单 — {TITLE_MARK}"])
    w.writerow(["企业名称", "统一社会信用代码", "所在地区", "企业类别", "入选年度"])
    kinds = ["瞪羚企业", "潜在独角兽企业", "瞪羚企业", "独角兽企业"]
    for i, f in enumerate(fs[2::4]):
        w.writerow(
            [f.name, f.code, COUNTIES[f.county][1] + COUNTIES[f.county][0], kinds[i % 4], str(YEARS[1])]
        )
    (out / "development_reform_lists.csv").write_bytes(buf.getvalue().encode("utf-8-sig"))


def bureau_ledger(out: Path, fs: list[Firm]) -> None:
    """The bureau's own ledger in 万元, with two firms not yet registered anywhere else."""
    book = _book(out / "bureau_ledger.xlsx")
    sheet = book.add_worksheet("培育台账")
    headers = [
        "序号",
        "企业名称",
        "统一社会信用代码",
        "所在县（市、区）",
        "成立日期",
        "技术领域",
        "年度",
        "职工总数",
        "科技人员数",
        "销售收入（万元）",
        "研发费用总额（万元）",
        "Ⅰ类知识产权数",
        "Ⅱ类知识产权数",
    ]
    _title(book, sheet, "高新技术企业培育台账", len(headers))
    sheet.write_row(3, 0, headers)  # two rows of notes above the header
    sheet.write_string(1, 0, "填报单位：（盖章）            填报日期：2026年1月5日")
    extra = [
        Firm(
            credit_code("320583", 900 + k),
            f"昆山新设{BRANDS[k]}科技有限公司",
            "320583",
            date(2024, 3 + k, 8),
            "软件",
            3_000_000,
        )
        for k in range(2)
    ]
    for i, f in enumerate([*fs[:12], *extra]):
        r = 4 + i
        revenue_wan = f.revenue / 10_000
        sheet.write_row(
            r,
            0,
            [
                i + 1,
                f.name,
                f.code,
                COUNTIES[f.county][1] + COUNTIES[f.county][0],
                f.founded.isoformat(),
                f.field,
                YEARS[1],
                60 + i * 5,
                12 + i,
                revenue_wan,
                round(revenue_wan * 0.05, 2),
                i % 3,
                3 + i % 5,
            ],
        )
    book.close()


WRITERS = (
    market_registry,
    tax,
    statistics,
    ip_office,
    industry_it_lists,
    development_reform_lists,
    bureau_ledger,
)


def write_samples(out: str | Path) -> list[Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    fs = firms()
    for writer in WRITERS:
        writer(out, fs)
    return sorted(p for p in out.iterdir() if p.suffix in (".xlsx", ".csv"))


if __name__ == "__main__":
    for path in write_samples(sys.argv[1] if len(sys.argv) > 1 else "docs/samples"):
        print(path)
