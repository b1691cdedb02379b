"""One way to put any report on the screen or into a file: a table, CSV, JSON or
an Excel workbook, from a :class:`store.reports.ReportTable` (rows as dicts and
the column order). Every ``dealerdesk report ...`` command uses these."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from enum import Enum
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from store.reports import ReportTable
from tui.cli.common import Context, fail


class ReportFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


TOTAL_LABEL = "合计"


def _cell(report: ReportTable, column: str, value) -> str:
    if value is None:
        return ""
    if column in report.percent_columns and isinstance(value, (int, float)):
        return f"{value:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def to_csv(report: ReportTable) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(report.columns)
    for row in report.rows:
        writer.writerow([_cell(report, c, row.get(c)) for c in report.columns])
    return buf.getvalue()


def to_records(report: ReportTable) -> list[dict]:
    return [
        {c: (row.get(c).isoformat() if isinstance(row.get(c), date) else row.get(c)) for c in report.columns}
        for row in report.rows
    ]


def to_json(report: ReportTable) -> str:
    return json.dumps(to_records(report), ensure_ascii=False, indent=2)


def _total_row(report: ReportTable) -> dict | None:
    if not report.total:
        return None
    first = report.columns[0]
    return {first: TOTAL_LABEL} | {k: v for k, v in report.total.items() if k in report.columns}


def rich_table(report: ReportTable) -> Table:
    numeric = {c for c in report.columns if any(isinstance(r.get(c), (int, float)) for r in report.rows)}
    table = Table(title=report.title, show_footer=bool(report.total))
    total = _total_row(report) or {}
    for c in report.columns:
        table.add_column(c, justify="right" if c in numeric else "left",
                         footer=_cell(report, c, total.get(c)) if total else "")
    for row in report.rows:
        table.add_row(*[_cell(report, c, row.get(c)) or ("-" if c not in numeric else "") for c in report.columns])
    return table


def write_xlsx(report: ReportTable, path: Path) -> None:
    """A workbook with one sheet: the header row, the rows, then the total in bold."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "report"
    ws.append(report.columns)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in report.rows:
        ws.append([row.get(c) for c in report.columns])
    total = _total_row(report)
    if total:
        ws.append([total.get(c) for c in report.columns])
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
    for idx, c in enumerate(report.columns, start=1):
        if c in report.percent_columns:
            for (cell,) in ws.iter_rows(min_row=2, min_col=idx, max_col=idx):
                cell.number_format = "0.00"
    ws.freeze_panes = "A2"
    wb.save(path)


def emit(report: ReportTable, fmt: ReportFormat, out: Path | None) -> None:
    """Print the report, or write it to ``out`` (xlsx needs ``out``)."""
    if fmt is ReportFormat.xlsx:
        if out is None:
            fail("--format xlsx needs --out FILE.xlsx")
        write_xlsx(report, out)
        typer.echo(f"wrote {len(report.rows)} rows to {out}", err=True)
        return
    if fmt is ReportFormat.table:
        if out is None:
            Console().print(rich_table(report))
            return
        buf = io.StringIO()
        Console(file=buf, width=200).print(rich_table(report))
        text = buf.getvalue()
    else:
        text = to_csv(report) if fmt is ReportFormat.csv else to_json(report) + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    # A BOM so Excel opens a Chinese CSV as UTF-8.
    out.write_text(text, encoding="utf-8-sig" if fmt is ReportFormat.csv else "utf-8")
    typer.echo(f"wrote {len(report.rows)} rows to {out}", err=True)


def report_store_ids(obj: Context) -> list[int] | None:
    """Which stores a report covers: the one named by ``--store``, else every store."""
    if not obj.store_code:
        return None
    return [obj.store_id()]


def parse_as_of(value: str | None) -> date:
    from store import clock

    if not value:
        return clock.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"--as-of {value!r} is not a date (YYYY-MM-DD)")
