"""The evaluation template's file formats: readers (row by row, columnar) and the template writer.

- `read_template(path)` -> `ReadResult` (one `RowRecord` per data row: `EnterpriseFacts` or `RowError`s);
- `read_table(path)` -> `TableResult` (a typed Polars DataFrame of the valid rows, plus the errors);
- `write_template(path)` -> the downloadable .xlsx template.
Cell rules (what a cell means) are in `cells`; the per-row error for Excel input is `read.RowError`; a file
that cannot be read raises `TemplateError` (`NoDataRows`, raised by `evaluate_file`, for headers only).
"""

from gaoqi.policy.template.read import (
    NoDataRows,
    ReadResult,
    RowError,
    RowRecord,
    TemplateError,
    read_template,
    resolve_header,
)
from gaoqi.policy.template.table import SCHEMA, TableResult, read_table
from gaoqi.policy.template.write import write_template

__all__ = [
    "SCHEMA",
    "NoDataRows",
    "ReadResult",
    "RowError",
    "RowRecord",
    "TableResult",
    "TemplateError",
    "read_table",
    "read_template",
    "resolve_header",
    "write_template",
]
