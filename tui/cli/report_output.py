"""One way to put any report on the screen or into a file: a table, CSV, JSON or
an Excel workbook, from a :class:`store.reports.ReportTable` (rows as dicts and
the column order) or a :class:`store.reports.ReportBook` (several such tables).
Every ``dealerdesk report ...`` command uses these; the workbook writer itself is
:mod:`store.reports.workbook`, shared with the Reports screen.

Everything meant for people (titles, notes, the table's headers and coded values,
the total row, the workbook) is in the language the command line speaks
(:meth:`tui.cli.common.Context.language`); CSV headers and JSON keys are the
columns' codes in both."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from store.cells import csv_row, csv_value
from store.reports import ReportBook, ReportTable, localized
from store.reports.labels import CODED, TOTAL, column_label, figure_text, shown_columns, value_label
from tui.cli.common import Context, fail, output_console, shown

if TYPE_CHECKING:
    from rich.console import Console

    from store.replica import DataAge


class ReportFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


def _cell(report: ReportTable, column: str, value) -> str:
    if value is None:
        return ""
    if column in report.percent_columns and isinstance(value, (int, float)):
        return f"{value:.2f}"
    if isinstance(value, (Decimal, float)):
        return f"{value:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def to_csv(report: ReportTable) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(csv_row(report.columns))
    for row in report.rows:
        # Text from the store is made safe before it is formatted; numbers stay numbers.
        writer.writerow([_cell(report, c, csv_value(row.get(c))) for c in report.columns])
    return buf.getvalue()


def to_records(report: ReportTable) -> list[dict]:
    return [
        {c: (row.get(c).isoformat() if isinstance(row.get(c), date) else row.get(c)) for c in report.columns}
        for row in report.rows
    ]


def _json_value(value):
    if isinstance(value, Decimal):
        # Money is yuan as an exact decimal string ("2159.32"), never a float a reader
        # would sum into 2159.3199999999997 (see README, "Money in JSON").
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def to_json(report: ReportTable | ReportBook) -> str:
    if isinstance(report, ReportBook):
        doc = {"title": report.title, "notes": report.notes,
               "sheets": {s.key: {"title": s.title, "rows": to_records(s), "total": s.total} for s in report.sheets}}
        return json.dumps(doc, ensure_ascii=False, indent=2, default=_json_value)
    return json.dumps(to_records(report), ensure_ascii=False, indent=2, default=_json_value)


def book_csv(book: ReportBook) -> str:
    """Every sheet, one after another: its title on a line, its CSV, a blank line."""
    parts = []
    for sheet in book.sheets:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(csv_row([f"{sheet.key}: {sheet.title}"]))
        parts.append(buf.getvalue() + to_csv(sheet))
    return "\n".join(parts)


def _shown_cell(report: ReportTable, column: str, value, language: str) -> str:
    """A cell as the printed table shows it: a code in words, a figure with its unit."""
    if column in CODED and isinstance(value, str):
        return value_label(value, language)
    return figure_text(report, column, value, language)


def rich_table(report: ReportTable, language: str = "zh") -> Table:
    """A localized table for people: headers in words, codes in words, the total
    row under the rows (a code beside its words is left out, as on the screen)."""
    columns = shown_columns(report)
    numeric = {c for c in columns if any(isinstance(r.get(c), (int, float, Decimal)) for r in report.rows)}
    table = Table(title=report.title, show_footer=bool(report.total))
    total = report.total or {}
    for i, c in enumerate(columns):
        footer = ""
        if total:
            footer = TOTAL.in_(language) if i == 0 else _shown_cell(report, c, total.get(c), language)
        table.add_column(column_label(c, language), justify="right" if c in numeric else "left", footer=footer)
    for row in report.rows:
        table.add_row(*[shown(_shown_cell(report, c, row.get(c), language) or ("-" if c not in numeric else ""))
                        for c in columns])
    return table


def write_xlsx(report: ReportTable | ReportBook, path: Path, language: str = "zh") -> None:
    """A workbook: a sheet per table (header frozen, formats, widths, charts), see
    :func:`store.reports.workbook.write_workbook`."""
    from store.reports.workbook import write_workbook

    write_workbook(report, path, language=language)


def _rows(report: ReportTable | ReportBook) -> int:
    return sum(len(s.rows) for s in report.sheets) if isinstance(report, ReportBook) else len(report.rows)


def _print_notes(notes: list[str], console: Console) -> None:
    for note in notes:
        console.print(f"  · {escape(note)}", style="dim")


def _print_tables(report: ReportTable | ReportBook, console: Console, language: str) -> None:
    if isinstance(report, ReportTable):
        console.print(rich_table(report, language))
        _print_notes(report.notes, console)
        return
    console.print(f"[b]{escape(report.title)}[/b]")
    for sheet in report.sheets:
        console.print(rich_table(sheet, language))
        _print_notes(sheet.notes, console)
    _print_notes(report.notes, console)


def emit(report: ReportTable | ReportBook, fmt: ReportFormat, out: Path | None, *, language: str = "zh",
         book: Callable[[], ReportBook] | None = None, sheet: str | None = None, age: DataAge | None = None) -> None:
    """Print the report, or write it to ``out`` (xlsx needs ``out``), in ``language``.
    ``book`` builds the workbook (every cut, with charts) when xlsx is asked for;
    ``sheet`` picks one table of a book for the other formats; ``age``: read from a
    replica this old (:mod:`store.replica`), said in a note and on stderr."""
    from store.replica import stamped

    if age is not None:
        typer.echo(age.words.in_(language), err=True)
    report = stamped(report, age)
    if fmt is ReportFormat.xlsx:
        if out is None:
            fail("--format xlsx needs --out FILE.xlsx")
        whole = stamped(book(), age) if book is not None else report
        write_xlsx(whole, out, language)
        typer.echo(f"wrote {_rows(whole)} rows to {out}", err=True)
        return
    if sheet is not None and isinstance(report, ReportBook):
        try:
            report = stamped(report.sheet(sheet), age)
        except KeyError as exc:
            fail(str(exc.args[0]))
    report = localized(report, language)
    if fmt is ReportFormat.table:
        if out is None:
            _print_tables(report, output_console(), language)
            return
        buf = io.StringIO()
        _print_tables(report, output_console(file=buf), language)
        text = buf.getvalue()
    elif fmt is ReportFormat.csv:
        text = book_csv(report) if isinstance(report, ReportBook) else to_csv(report)
    else:
        text = to_json(report) + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    # A BOM so Excel opens a Chinese CSV as UTF-8.
    from store.files import open_private

    with open_private(out, "w", encoding="utf-8-sig" if fmt is ReportFormat.csv else "utf-8") as fh:
        fh.write(text)
    typer.echo(f"wrote {_rows(report)} rows to {out}", err=True)


def report_store_ids(obj: Context) -> list[int] | None:
    """Which stores a report covers (:func:`store.access.report_scope`): ``--store``
    where named, else the reader's own store, or every store for the analyst and the system."""
    from store.access import report_scope

    return report_scope(obj.actor(), obj.store_id() if obj.store_code else None)


def parse_as_of(value: str | None) -> date:
    from store import clock

    from tui.cli.common import cli_day

    return cli_day(value, "--as-of") or clock.today()
