"""The evaluation template's file formats: one import point for readers and the template writer.

- `read_template(path)` → `ReadResult` (one `RowRecord` per data row: `EnterpriseFacts` or `RowError`s);
- `read_table(path)` → `TableResult` (a typed Polars DataFrame of the valid rows, plus the errors),
  the same semantics, for bulk evaluation;
- `write_template(path)` → the downloadable .xlsx template.
"""

from gaoqi.policy.io_read import (
    ReadResult,
    RowError,
    RowRecord,
    TemplateError,
    read_template,
    resolve_header,
)
from gaoqi.policy.io_table import SCHEMA, TableResult, read_table
from gaoqi.policy.io_write import write_template

__all__ = [
    "SCHEMA",
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
