"""A report as an Excel workbook, for a store manager: a sheet per cut, the header
frozen, numbers, money and percentages formatted, columns as wide as their Chinese
text, native charts (openpyxl.chart: they open in Excel and LibreOffice alike), and
a last sheet 说明 (notes) with the notes and what each column means.

The whole workbook speaks the reader's language (``language``: zh, the default, or
en): sheet names, headers, a code with no words beside it (warranty in/out reads
保修内/保修外, and so do the chart's categories), the total row, chart titles and
legends, units and the notes sheet. A header is the column's name alone; the notes sheet pairs each name
with the column's code, the one CSV and JSON use. A percentage is stored as the
number shown (42.86) with the format ``0.00"%"``, so the cell reads 42.86% and a
formula sees 42.86, the same figure the CSV has; percentage points (a gap between
two percentages) read -1.80 百分点 / -1.80 pp, never %.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from store.cells import append_row, xlsx_text
from store.reports import ChartSpec, ReportBook, ReportTable, Words, localized
from store.reports.labels import (
    NOTES_COLUMNS,
    NOTES_SHEET,
    POINTS,
    TOTAL,
    column_label,
    figure_text,
    in_words,
    value_label,
)

PERCENT_FORMAT = '0.00"%"'
MONEY_FORMAT = "#,##0.00"
INT_FORMAT = "#,##0"
DATE_FORMAT = "yyyy-mm-dd"
MAX_WIDTH = 60
CHART_ROWS = 16  # a chart's height in rows, so several stack without overlapping


def display_width(text: str) -> int:
    """Terminal/Excel cells a string needs: East Asian wide and full-width
    characters count 2 (a column sized by ``len()`` cuts Chinese text in half)."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def points_format(language: str) -> str:
    """Percentage points: -1.80 百分点 / -1.80 pp."""
    return f'0.00" {POINTS.in_(language)}"'


def sheet_title(text: str, taken: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique in the book."""
    base = re.sub(r"[\[\]:*?/\\]", " ", text).strip()[:31] or "sheet"
    title, n = base, 2
    while title.lower() in taken:
        suffix = f" {n}"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title.lower())
    return title


def total_row(table: ReportTable, language: str = "zh") -> dict | None:
    if not table.total:
        return None
    first = table.columns[0]
    return {first: TOTAL.in_(language)} | {k: v for k, v in table.total.items() if k in table.columns and k != first}


def _number_format(table: ReportTable, column: str, value, language: str) -> str | None:
    """Per cell, so a column of mixed figures (the KPI summary) shows each as itself."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, date, datetime)):
        return None
    if isinstance(value, (date, datetime)):
        return DATE_FORMAT
    if column in table.percent_columns:
        return PERCENT_FORMAT
    if column in table.point_columns:
        return points_format(language)
    if column in table.money_columns or isinstance(value, Decimal):
        return MONEY_FORMAT
    return "0.00" if isinstance(value, float) else INT_FORMAT


def _cell_value(value):
    if isinstance(value, bool):
        return str(value).lower()
    return value


def _write_table(ws, table: ReportTable, language: str) -> None:
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    headers = [column_label(c, language) for c in table.columns]
    append_row(ws, headers)
    for cell in ws[1]:
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.border = Border(bottom=Side(style="thin"))
    worded = {c for c in table.columns if in_words(table, c)}
    for row in table.rows:
        append_row(ws, [value_label(row.get(c), language) if c in worded and isinstance(row.get(c), str)
                        else _cell_value(row.get(c)) for c in table.columns])
    total = total_row(table, language)
    if total:
        append_row(ws, [_cell_value(total.get(c)) for c in table.columns])
        for cell in ws[ws.max_row]:
            cell.font = bold
            cell.border = Border(top=Side(style="thin"))
    body = table.rows + ([total] if total else [])
    for idx, column in enumerate(table.columns, start=1):
        values = [value_label(v, language) if column in worded and isinstance(v, str) else v
                  for v in (r.get(column) for r in body)]
        for (cell,) in ws.iter_rows(min_row=2, max_row=1 + len(body), min_col=idx, max_col=idx):
            fmt = _number_format(table, column, cell.value, language)
            if fmt:
                cell.number_format = fmt
        lines = [headers[idx - 1]] + [figure_text(table, column, v, language) for v in values]
        width = max(display_width(text) for text in lines) + 2
        ws.column_dimensions[get_column_letter(idx)].width = min(max(width, 6), MAX_WIDTH)
    ws.freeze_panes = "A2"


def _chart(ws, table: ReportTable, spec: ChartSpec, language: str):
    from openpyxl.chart import BarChart, LineChart, PieChart, Reference, Series

    n = len(table.rows)
    first = 2 + spec.skip
    cat_col = table.columns.index(spec.category) + 1
    cats = Reference(ws, min_col=cat_col, min_row=first, max_row=1 + n)
    if spec.kind == "pie":
        chart = PieChart()
    elif spec.kind == "line":
        chart = LineChart()
    else:
        chart = BarChart()
        chart.type = "bar" if spec.kind == "bar" else "col"
        if spec.stacked:
            chart.grouping = "stacked"
            chart.overlap = 100
    chart.title = spec.title
    chart.height, chart.width = 7.5, 16
    for code in spec.values:
        col = table.columns.index(code) + 1
        ref = Reference(ws, min_col=col, min_row=first, max_row=1 + n)
        series = Series(ref, title=column_label(code, language))
        if spec.kind == "line":
            series.smooth = False
        chart.series.append(series)
    chart.set_categories(cats)
    if spec.kind != "pie":
        chart.x_axis.title = column_label(spec.category, language)
        if spec.y_title:
            chart.y_axis.title = spec.y_title
        # openpyxl hides the axes unless told (delete=True by default in 3.1).
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        if spec.kind == "bar":  # first row at the top, as in the table
            chart.x_axis.scaling.orientation = "maxMin"
    if len(spec.values) == 1 and spec.kind != "pie":
        chart.legend = None
    return chart


def _add_charts(ws, table: ReportTable, language: str) -> None:
    from openpyxl.utils import get_column_letter

    if not table.rows:
        return
    anchor_col = get_column_letter(len(table.columns) + 2)
    for i, spec in enumerate(c for c in table.charts if len(table.rows) > c.skip):
        ws.add_chart(_chart(ws, table, spec, language), f"{anchor_col}{2 + i * CHART_ROWS}")


def _write_notes(ws, book: ReportBook, language: str) -> None:
    from openpyxl.styles import Font

    append_row(ws, [book.title])
    ws["A1"].font = Font(bold=True, size=13)
    for note in book.notes:
        append_row(ws, [note])
    for table in book.sheets:
        if table.notes:
            ws.append([])
            append_row(ws, [table.sheet or table.title])
            ws.cell(ws.max_row, 1).font = Font(bold=True)
            for note in table.notes:
                append_row(ws, [note])
    ws.append([])
    append_row(ws, [w.in_(language) for w in NOTES_COLUMNS])
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    seen: list[str] = []
    for table in book.sheets:
        seen += [c for c in table.columns if c not in seen]
    for code in seen:
        append_row(ws, [column_label(code, language), code])
    widths = {1: 0, 2: 0}
    for row in ws.iter_rows(min_row=2, values_only=True):
        for i, v in enumerate(row[:2], start=1):
            if v is not None and not (i == 1 and len(row) == 1):
                widths[i] = max(widths[i], display_width(str(v)))
    for i, letter in enumerate("AB", start=1):
        ws.column_dimensions[letter].width = min(max(widths[i] + 2, 10), MAX_WIDTH)


REPORT_SHEET = Words("报表", "report")


def write_workbook(book: ReportBook | ReportTable, path: str | Path, *, language: str = "zh") -> Path:
    """Write the book (or one table) to ``path`` in ``language``: one sheet per table,
    in order, then the notes sheet 说明."""
    from openpyxl import Workbook

    if isinstance(book, ReportTable):
        book = ReportBook(title=book.title, sheets=[book], notes=[])
    book = localized(book, language)
    path = Path(path)
    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    for table in book.sheets:
        ws = wb.create_sheet(sheet_title(xlsx_text(table.sheet or REPORT_SHEET.in_(language)), taken))
        _write_table(ws, table, language)
        _add_charts(ws, table, language)
    _write_notes(wb.create_sheet(sheet_title(NOTES_SHEET.in_(language), taken)), book, language)
    wb.active = 0
    wb.properties.title = xlsx_text(book.title)
    wb.properties.creator = "dealerdesk"
    from store.files import open_private

    with open_private(path) as fh:  # owner-only, like every file the store writes
        wb.save(fh)
    return path
