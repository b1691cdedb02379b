"""Every cell the app writes to an xlsx or a CSV goes through here: nothing we
write can be run, and nothing we write breaks the file.

- Text that a spreadsheet would read as a formula (it starts with ``=``, ``+``,
  ``-``, ``@``, a tab or a CR; OWASP's CSV-injection list) is written as text: in
  a CSV with a leading apostrophe, in an xlsx as a string cell (never a formula)
  with Excel's quote prefix. A number written as text ("-12.50") stays as it is:
  it cannot run.
- Control characters are dropped (a tab or line break becomes a space; an xlsx
  cell keeps its line breaks, which Excel wraps): xlsx
  cannot hold most of them (openpyxl refuses the whole workbook) and in a CSV
  they corrupt the terminal that prints it.

Numbers, dates and None pass through untouched.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from typing import IO, Any

from store.validation import strip_controls

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d[\d,]*)?(\.\d+)?%?")


def _risky(text: str) -> bool:
    if text in ("-", "+"):  # a dash for "none" is no formula
        return False
    return text.startswith(FORMULA_START) and not (any(c.isdigit() for c in text) and _NUMBER.fullmatch(text))


def clean_cell_text(text: str) -> str:
    """The text without control characters (see :func:`store.validation.strip_controls`)."""
    return strip_controls(text)


def csv_value(value: Any) -> Any:
    """One CSV cell: formula-like text gets a leading apostrophe, controls go."""
    if not isinstance(value, str):
        return value
    if _risky(value):
        return "'" + strip_controls(value)
    return strip_controls(value)


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_value(v) for v in values]


def csv_writer(fh: IO[str], **kwargs: Any):
    """A :func:`csv.writer` whose every row goes through :func:`csv_value`."""
    return _SafeWriter(csv.writer(fh, **kwargs))


def dict_writer(fh: IO[str], fieldnames: Sequence[str], **kwargs: Any):
    """A :class:`csv.DictWriter` whose every value goes through :func:`csv_value`."""
    return _SafeDictWriter(csv.DictWriter(fh, fieldnames=fieldnames, **kwargs))


class _SafeWriter:
    def __init__(self, writer) -> None:
        self._w = writer

    def writerow(self, row: Iterable[Any]):
        return self._w.writerow(csv_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class _SafeDictWriter:
    def __init__(self, writer: csv.DictWriter) -> None:
        self._w = writer

    def writeheader(self):
        return self._w.writerow({f: csv_value(f) for f in self._w.fieldnames})

    def writerow(self, row: dict):
        return self._w.writerow({k: csv_value(v) for k, v in row.items()})

    def writerows(self, rows: Iterable[dict]) -> None:
        for row in rows:
            self.writerow(row)


# --- xlsx -----------------------------------------------------------------------


def xlsx_text(text: str) -> str:
    """Text an xlsx cell can hold: without the characters openpyxl refuses
    (ILLEGAL_CHARACTERS_RE) and the other controls."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    # A line break stays: a wrapped cell (a header's Chinese over its code) is made of them.
    return ILLEGAL_CHARACTERS_RE.sub("", "\n".join(strip_controls(line) for line in text.split("\n")))


def as_text_cell(cell) -> None:
    """Make a cell that holds formula-like text a string cell, shown as typed."""
    value = cell.value
    if isinstance(value, str) and (cell.data_type == "f" or _risky(value)):
        cell.data_type = "s"
        cell.quotePrefix = True


def xlsx_value(value: Any) -> Any:
    return xlsx_text(value) if isinstance(value, str) else value


def append_row(ws, values: Iterable[Any]) -> None:
    """``ws.append(values)`` with every text cell safe: controls dropped, formula-like
    text a string cell. Works on normal and write-only sheets."""
    values = [xlsx_value(v) for v in values]
    if getattr(ws, "_dealerdesk_write_only", None) is None:
        ws._dealerdesk_write_only = type(ws).__name__ == "WriteOnlyWorksheet"
    if ws._dealerdesk_write_only:
        from openpyxl.cell import WriteOnlyCell

        cells = []
        for v in values:
            if isinstance(v, str) and _risky(v):
                cell = WriteOnlyCell(ws, value=v)
                as_text_cell(cell)
                cells.append(cell)
            else:
                cells.append(v)
        ws.append(cells)
        return
    ws.append(values)
    for cell in ws[ws.max_row]:
        as_text_cell(cell)


def set_cell(ws, row: int, column: int, value: Any):
    """``ws.cell(row, column, value)`` through the same rule."""
    cell = ws.cell(row, column, xlsx_value(value))
    as_text_cell(cell)
    return cell
