"""The malformed-file corpus: every broken file gets a clear message naming the file, the sheet, the row,
the column and the reason, and leaves the registry (and, for an unreadable file, the batches) unchanged.

File-level cases raise ImportFileError and stage nothing; row-level cases stage a batch whose rows carry
the error (nothing reaches the registry until a commit, and an error row is never written).
"""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import pytest
from django.test import override_settings

from gaoqi.audit.models import AuditEvent
from gaoqi.intake import services
from gaoqi.intake.models import ImportBatch, RowStatus
from gaoqi.intake.presenters import row_messages
from gaoqi.registry.models import AnnualReport, DataSource, Enterprise, IntellectualProperty
from tests import factories
from tests.intake.conftest import write_csv, write_xlsx

CODE = factories.credit_code("320583", 4242)
CODE2 = factories.credit_code("320583", 4243)
TAX_HEADER = ["纳税人识别号", "纳税人名称", "所属年度", "营业收入", "成本费用总额", "研发费用"]
LIMITS = {
    "file_bytes": 60 * 2**20,
    "inflated_bytes": 600 * 2**20,
    "rows": 300_000,
    "columns": 200,
    "cell_chars": 2000,
}


def _bad_code() -> str:
    return CODE[:-1] + ("0" if CODE[-1] != "0" else "1")


def _xlsx_bytes(rows) -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    sheet = book.add_worksheet()
    for r, row in enumerate(rows):
        sheet.write_row(r, 0, row)
    book.close()
    return buf.getvalue()


# --- file-level cases: (name, profile, builder(tmp) -> path, expected text, limits override) -------------


def f_empty(tmp: Path) -> Path:
    (tmp / "empty.csv").write_bytes(b"")
    return tmp / "empty.csv"


def f_blank_text(tmp: Path) -> Path:
    return write_csv(tmp / "blank.csv", [[], ["", " "], ["\t", "  "]])


def f_empty_xlsx(tmp: Path) -> Path:
    return write_xlsx(tmp / "empty.xlsx", [])


def f_header_only(tmp: Path) -> Path:
    return write_xlsx(tmp / "header_only.xlsx", [TAX_HEADER])


def f_binary_csv(tmp: Path) -> Path:
    rng = random.Random(7)
    (tmp / "garbage.csv").write_bytes(bytes(rng.randrange(256) for _ in range(4096)) + b"\x00\x00")
    return tmp / "garbage.csv"


def f_binary_xlsx(tmp: Path) -> Path:
    rng = random.Random(8)
    (tmp / "garbage.xlsx").write_bytes(bytes(rng.randrange(1, 256) for _ in range(4096)))
    return tmp / "garbage.xlsx"


def f_truncated(tmp: Path) -> Path:
    data = _xlsx_bytes([TAX_HEADER, [CODE, "甲公司", 2024, 1, 1, 1]])
    (tmp / "truncated.xlsx").write_bytes(data[: len(data) // 2])
    return tmp / "truncated.xlsx"


def f_zip_bomb(tmp: Path) -> Path:
    path = tmp / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        with z.open("xl/worksheets/sheet1.xml", "w") as member:
            block = b"\0" * (1 << 20)
            for _ in range(64):  # 64 MB of zeros, ~64 KB compressed
                member.write(block)
    return path


def f_inflated(tmp: Path) -> Path:
    rows = [TAX_HEADER] + [[CODE, f"公司{i}", 2024, i, i, 0] for i in range(3000)]
    return write_xlsx(tmp / "inflated.xlsx", rows)


def f_huge(tmp: Path) -> Path:
    path = tmp / "huge_200mb.xlsx"
    with open(path, "wb") as fh:  # sparse: 200 MB on paper, no disk used; refused before a byte is read
        fh.truncate(200 * 2**20)
    return path


def f_many_rows(tmp: Path) -> Path:
    return write_csv(tmp / "many_rows.csv", [TAX_HEADER] + [[CODE, "甲", 2024, 1, 1, 0]] * 120)


def f_many_columns(tmp: Path) -> Path:
    return write_csv(
        tmp / "many_columns.csv", [TAX_HEADER + [f"备注{i}" for i in range(30)], [CODE, "甲", 2024, 1, 1, 0]]
    )


def f_wrong_headers(tmp: Path) -> Path:
    return write_xlsx(tmp / "wrong_headers.xlsx", [["姓名", "电话", "地址"], ["张三", "123", "苏州"]])


def f_wrong_sheet(tmp: Path) -> Path:
    import xlsxwriter

    path = tmp / "wrong_sheet.xlsx"
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("说明").write(0, 0, "填表说明：请填写下一页")
    sheet = book.add_worksheet("专利")
    sheet.write_row(0, 0, ["专利号", "专利类型", "授权日期"])
    sheet.write_row(1, 0, ["ZL1", "发明", "2020-01-01"])
    book.close()
    return path


def f_missing_required(tmp: Path) -> Path:
    return write_xlsx(
        tmp / "no_founding_date.xlsx",
        [["统一社会信用代码", "企业名称", "所属区县"], [CODE, "甲公司", "昆山市"]],
    )


def f_two_columns_one_fact(tmp: Path) -> Path:
    return write_csv(
        tmp / "two_revenues.csv",
        [["纳税人识别号", "所属年度", "营业收入", "主营业务收入"], [CODE, 2024, 1, 2]],
    )


def f_bad_unit(tmp: Path) -> Path:
    return write_csv(
        tmp / "bad_unit.csv", [["统一社会信用代码", "年度", "从业人员期末人数（万元）"], [CODE, 2024, 3]]
    )


def f_no_year(tmp: Path) -> Path:
    return write_csv(tmp / "no_year.csv", [["纳税人识别号", "营业收入"], [CODE, 100]])


def f_bad_encoding(tmp: Path) -> Path:
    (tmp / "bad_encoding.csv").write_bytes("纳税人识别号,营业收入\n".encode() + b"\x80\xff\xfe,1\n")
    return tmp / "bad_encoding.csv"


def f_ole_garbage(tmp: Path) -> Path:
    (tmp / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x01" * 2000)
    return tmp / "old.xls"


def f_text_named_xlsx(tmp: Path) -> Path:
    (tmp / "renamed.xlsx").write_text("纳税人识别号,营业收入\n", encoding="utf-8")
    return tmp / "renamed.xlsx"


FILE_CASES = [
    ("empty file", "tax", f_empty, "文件为空", None),
    ("only blanks and separators", "tax", f_blank_text, "没有任何数据", None),
    ("empty workbook", "tax", f_empty_xlsx, "没有任何数据", None),
    ("header without data rows", "tax", f_header_only, "只有表头", None),
    ("binary garbage named .csv", "tax", f_binary_csv, "不是文本", None),
    ("binary garbage named .xlsx", "tax", f_binary_xlsx, "内容不是 Excel", None),
    ("truncated xlsx", "tax", f_truncated, "损坏", None),
    ("zip bomb", "tax", f_zip_bomb, "压缩炸弹", None),
    ("inflated size over the limit", "tax", f_inflated, "解压后大小", {"inflated_bytes": 100_000}),
    ("200 MB file", "tax", f_huge, "超过上限", None),
    ("too many rows", "tax", f_many_rows, "数据行数超过上限", {"rows": 100}),
    ("too many columns", "tax", f_many_columns, "列数", {"columns": 20}),
    ("wrong headers", "tax", f_wrong_headers, "没有找到", None),
    ("wrong sheet (another department's list)", "tax", f_wrong_sheet, "所有工作表", None),
    ("required column missing", "market_registry", f_missing_required, "缺少必填列“成立日期”", None),
    ("two columns for one fact", "tax", f_two_columns_one_fact, "都对应", None),
    ("万元 on a head count", "statistics", f_bad_unit, "不能使用单位“万元”", None),
    ("no year anywhere", "tax", f_no_year, "缺少年度", None),
    ("neither UTF-8 nor GB18030", "tax", f_bad_encoding, "编码无法识别", None),
    ("OLE2 garbage .xls", "tax", f_ole_garbage, ".xls", None),
    ("text renamed .xlsx", "tax", f_text_named_xlsx, "内容不是 Excel", None),
]


def _counts() -> dict:
    return {
        "enterprises": Enterprise.objects.count(),
        "reports": AnnualReport.objects.count(),
        "ip": IntellectualProperty.objects.count(),
        "sources": DataSource.objects.count(),
        # staging a preview is audited (the batch); nothing else may be
        "audit": AuditEvent.objects.exclude(target_type="intake.importbatch", action="create").count(),
    }


@pytest.mark.parametrize(
    ("label", "profile", "build", "expected", "limits"), FILE_CASES, ids=[c[0] for c in FILE_CASES]
)
def test_unreadable_file(label, profile, build, expected, limits, officers, tmp_path):
    path = build(tmp_path)
    before, batches = _counts(), ImportBatch.objects.count()
    with override_settings(GAOQI_INTAKE_LIMITS={**LIMITS, **(limits or {})}):
        with pytest.raises(services.ImportFileError) as caught:
            services.batch_stage(actor=officers["province"], path=path, profile=profile)
    message = caught.value.message
    assert f"文件“{path.name}”" in message
    assert expected in message, message
    assert _counts() == before and ImportBatch.objects.count() == batches


def test_file_level_messages_name_sheet_and_row_when_known(officers, tmp_path):
    path = f_bad_unit(tmp_path)
    with pytest.raises(services.ImportFileError) as caught:
        services.batch_stage(actor=officers["province"], path=path, profile="statistics")
    problem = caught.value.problem
    assert problem.row == 1 and "C列" in problem.column
    path = write_xlsx(
        tmp_path / "dup.xlsx",
        [["纳税人识别号", "所属年度", "营业收入", "主营业务收入"], [CODE, 2024, 1, 2]],
        sheet="申报",
    )
    with pytest.raises(services.ImportFileError) as caught:
        services.batch_stage(actor=officers["province"], path=path, profile="tax")
    assert "工作表“申报”" in caught.value.message and "第 1 行" in caught.value.message


# --- row-level cases: (name, profile, rows or builder, expected reason, column header) -------------------


def r_formula(tmp: Path) -> Path:
    return write_xlsx(
        tmp / "formula.xlsx",
        [TAX_HEADER, [CODE, "甲公司", 2024, None, 100, 1]],
        formulas=[(1, 3, "=SUM(1,2)", 3)],
    )


def r_merged_numbers(tmp: Path) -> Path:
    rows = [TAX_HEADER, [CODE, "甲公司", 2024, None, 100, 1], [CODE2, "乙公司", 2024, None, 100, 1]]
    return write_xlsx(tmp / "merged_numbers.xlsx", rows, merges=[(1, 3, 2, 3, 50)])


def _csv(name: str, header: list, *rows) -> callable:
    def build(tmp: Path) -> Path:
        return write_csv(tmp / name, [header, *rows])

    return build


MARKET = ["统一社会信用代码", "企业名称", "所属区县", "成立日期"]
IP = ["专利号", "专利类型", "授权日期", "到期日", "权利人统一社会信用代码"]
TAGS = ["统一社会信用代码", "企业名称", "认定类别", "认定年度"]
ROW_CASES = [
    ("formula cell", "tax", r_formula, "公式", "营业收入（D列）"),
    (
        "merged numeric cells",
        "tax",
        r_merged_numbers,
        "数值单元格不能合并（合并区域 D2:D3）",
        "营业收入（D列）",
    ),
    (
        "text in a number",
        "tax",
        _csv("text_number.csv", TAX_HEADER, [CODE, "甲", 2024, "约100万", 1, 0]),
        "不是数字",
        "营业收入（D列）",
    ),
    (
        "Excel error value",
        "tax",
        _csv("div0.csv", TAX_HEADER, [CODE, "甲", 2024, "#DIV/0!", 1, 0]),
        "不是数字",
        "营业收入（D列）",
    ),
    (
        "negative money",
        "tax",
        _csv("negative.csv", TAX_HEADER, [CODE, "甲", 2024, "-5", 1, 0]),
        "金额不能为负数",
        "营业收入（D列）",
    ),
    (
        "fraction of a yuan",
        "tax",
        _csv("fraction.csv", TAX_HEADER, [CODE, "甲", 2024, "12.5", 100, 0]),
        "整数元",
        "营业收入（D列）",
    ),
    (
        "misplaced thousands separator",
        "tax",
        _csv("comma.csv", TAX_HEADER, [CODE, "甲", 2024, "12,34", 100, 0]),
        "千分位",
        "营业收入（D列）",
    ),
    (
        "money beyond the arithmetic",
        "tax",
        _csv("huge_money.csv", TAX_HEADER, [CODE, "甲", 2024, "1e20", 1, 0]),
        "超出可计算范围",
        "营业收入（D列）",
    ),
    (
        "R&D above total cost",
        "tax",
        _csv("cross.csv", TAX_HEADER, [CODE, "甲", 2024, 100, 50, 60]),
        "研发费用总额不能超过成本费用支出总额",
        "研发费用（F列）",
    ),
    (
        "credit code check digit",
        "tax",
        _csv("bad_code.csv", TAX_HEADER, [_bad_code(), "甲", 2024, 1, 1, 0]),
        "统一社会信用代码无效",
        "纳税人识别号（A列）",
    ),
    (
        "year in words",
        "tax",
        _csv("year_words.csv", TAX_HEADER, [CODE, "甲", "二〇二三", 1, 1, 0]),
        "年度应为四位数字",
        "所属年度（C列）",
    ),
    (
        "year in the future",
        "tax",
        _csv("year_future.csv", TAX_HEADER, [CODE, "甲", 2099, 1, 1, 0]),
        "不在 1949",
        "所属年度（C列）",
    ),
    (
        "neither code nor name",
        "tax",
        _csv("anonymous.csv", TAX_HEADER, ["", "", 2024, 1, 1, 0]),
        "都为空",
        "",
    ),
    (
        "same firm and year twice, different figures",
        "tax",
        _csv("dups.csv", TAX_HEADER, [CODE, "甲", 2024, 1, 1, 0], [CODE, "甲", 2024, 2, 2, 0]),
        "数值不同",
        "",
    ),
    (
        "too long a cell",
        "tax",
        _csv("long.csv", TAX_HEADER, [CODE, "甲" * 80, 2024, 1, 1, 0]),
        "内容过长",
        "纳税人名称（B列）",
    ),
    (
        "date that does not exist",
        "market_registry",
        _csv("feb30.csv", MARKET, [CODE, "甲", "昆山市", "2023-02-30"]),
        "日期不存在",
        "成立日期（D列）",
    ),
    (
        "founded in the future",
        "market_registry",
        _csv("future.csv", MARKET, [CODE, "甲", "昆山市", "2099年1月1日"]),
        "晚于今天",
        "成立日期（D列）",
    ),
    (
        "Excel serial number as a date",
        "market_registry",
        _csv("serial.csv", MARKET, [CODE, "甲", "昆山市", "43831"]),
        "日期格式应为",
        "成立日期（D列）",
    ),
    (
        "unknown county",
        "market_registry",
        _csv("county.csv", MARKET, [CODE, "甲", "火星区", "2020-01-01"]),
        "未找到名为“火星区”",
        "所属区县（C列）",
    ),
    (
        "county name in two cities",
        "market_registry",
        _csv("gulou.csv", MARKET, [CODE, "甲", "鼓楼区", "2020-01-01"]),
        "多个设区市",
        "所属区县（C列）",
    ),
    (
        "county code of a city",
        "market_registry",
        _csv("city_code.csv", MARKET, [CODE, "甲", "320500", "2020-01-01"]),
        "不是县（市、区）级",
        "所属区县（C列）",
    ),
    (
        "required cell empty",
        "market_registry",
        _csv("no_date.csv", MARKET, [CODE, "甲", "昆山市", ""]),
        "必填项为空",
        "成立日期（D列）",
    ),
    (
        "yes/no garbled",
        "statistics",
        _csv("flag.csv", ["统一社会信用代码", "年度", "是否规上企业", "营业收入"], [CODE, 2024, "也许", 1]),
        "应为 是/否",
        "是否规上企业（C列）",
    ),
    (
        "unknown IP kind",
        "ip_office",
        _csv("trademark.csv", IP, ["ZL1", "商标", "2020-01-01", "", CODE]),
        "未知的知识产权类型",
        "专利类型（B列）",
    ),
    (
        "IP expiry before grant",
        "ip_office",
        _csv("expiry.csv", IP, ["ZL1", "发明", "2020-01-01", "2019-01-01", CODE]),
        "到期日期应晚于授权日期",
        "到期日（D列）",
    ),
    (
        "unknown list name",
        "industry_it_lists",
        _csv("tag.csv", TAGS, [CODE, "甲", "高新技术企业", 2024]),
        "未知的称号",
        "认定类别（C列）",
    ),
    (
        "percent with too many decimals",
        "statistics",
        _csv("pct.csv", ["统一社会信用代码", "年度", "研发投入强度(%)"], [CODE, 2024, "3.14159%"]),
        "两位小数",
        "研发投入强度(%)（C列）",
    ),
]


@pytest.mark.parametrize(
    ("label", "profile", "build", "reason", "column"), ROW_CASES, ids=[c[0] for c in ROW_CASES]
)
def test_row_error(label, profile, build, reason, column, officers, tmp_path):
    path = build(tmp_path)
    before = _counts()
    limits = {"cell_chars": 60} if label == "too long a cell" else {}
    with override_settings(GAOQI_INTAKE_LIMITS={**LIMITS, **limits}):
        batch = services.batch_stage(actor=officers["province"], path=path, profile=profile)
    bad = batch.rows.filter(status=RowStatus.ERROR).first()
    assert bad is not None, f"{label}: no error row ({batch.summary})"
    messages = row_messages(batch, bad)
    matching = [m for m in messages if reason in m]
    assert matching, messages
    assert f"文件“{path.name}”" in matching[0] and f"第 {bad.line} 行" in matching[0]
    if column:
        assert f"列“{column}”" in matching[0], matching[0]
    if batch.sheet:
        assert f"工作表“{batch.sheet}”" in matching[0]
    assert _counts() == before


def test_error_rows_are_never_written(officers, tmp_path):
    firm = factories.enterprise("320583", credit_code=CODE, actor=officers["province"])
    path = write_csv(
        tmp_path / "mixed.csv",
        [TAX_HEADER, [CODE, firm.name, 2024, 100, 90, 5], [CODE2, "乙", 2024, "-1", 1, 0]],
    )
    batch = services.batch_stage(actor=officers["province"], path=path, profile="tax")
    batch = services.batch_commit(actor=officers["province"], batch=batch)
    assert batch.summary["written"]["reports"] == 1
    assert AnnualReport.objects.filter(source=batch.source).count() == 1


def test_corpus_size():
    assert len(FILE_CASES) + len(ROW_CASES) >= 30
