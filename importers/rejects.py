"""The rejects workbook (``--rejects OUT.xlsx``): one line per bad cell, so the
person fixing the DMS data has the file, the row, the column and why."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from importers.pipeline import FileResult
from store.cells import append_row
from store.files import open_private

HEADERS = ["文件 file", "行 row", "列 column", "字段 field", "值 value", "原因 reason"]


def write_rejects(results: Sequence[FileResult], path: Path | str) -> int:
    """Write every rejected cell and refused file of ``results``; returns the line count."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("rejects")
    append_row(ws, HEADERS)
    lines = 0
    for result in results:
        if result.refused:
            append_row(ws, [result.file, None, None, None, None, result.refused])
            lines += 1
        for r in result.rejected:
            # Values go in as text, never as a formula (a bad cell shows as it was, less its controls).
            append_row(ws, [result.file, r.row, r.column, r.field, r.value, r.reason])
            lines += 1
    with open_private(Path(path)) as fh:  # owner-only: the rows hold customers' details
        wb.save(fh)
    return lines
