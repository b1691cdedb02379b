"""``dealerdesk export customers``: the store's customer list, for managers only. Its
words (why a car is in its class; a workbook's sheet and headers) are in the command
line's language; a CSV's headers are the columns' codes in both. The list is read
from the read replica when one is set (:mod:`store.replica`); the audit row of the
export is written to the primary."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import typer
from openpyxl import Workbook

from store import clock
from store.access import AccessDenied
from store.cells import append_row, dict_writer
from store.db import read_session, write_session
from store.exports import HEADERS, SHEET, export_customers
from store.files import open_private
from tui.cli.common import app, ctx_obj, fail

export_app = typer.Typer(help="Customer lists out of the store (managers only; every export is logged).")
app.add_typer(export_app, name="export")


@export_app.command("customers")
def customers(
    ctx: typer.Context,
    out: Path = typer.Option(..., "--out", help="A .xlsx or .csv file to write."),
    class_code: str | None = typer.Option(None, "--class", help="Only this class: loyal, general, at_risk, churned..."),
) -> None:
    """Write the store's vehicles and owners (phones as the acting role may see them)."""
    if out.suffix.lower() not in (".xlsx", ".csv"):
        fail(f"{out}: write a .xlsx or .csv file")
    c = ctx_obj(ctx)
    engine, store_id, actor, language = c.engine(), c.store_id(), c.actor(), c.language()
    replica = c.reports_engine()  # the read replica when one is set: the list is read there
    age = c.replica_age()
    try:
        with ExitStack() as stack:
            s = stack.enter_context(write_session(engine))  # the audit row commits with the export, or neither
            reads = stack.enter_context(read_session(replica)) if replica is not engine else None
            listing = export_customers(s, actor, store_id=store_id, class_code=class_code, as_of=clock.today(),
                                       language=language, read_from=reads)
            _write(out, listing, language)
    except (AccessDenied, ValueError) as exc:
        fail(str(exc))
    if age is not None:
        typer.echo(age.words.in_(language), err=True)
    typer.echo(f"{out}: {len(listing.rows)} customers{' (phones masked)' if listing.masked else ''}")


def _write(out: Path, listing, language: str) -> None:
    if out.suffix.lower() == ".csv":
        with open_private(out, "w", newline="", encoding="utf-8-sig") as fh:  # the BOM lets Excel read UTF-8
            writer = dict_writer(fh, listing.columns)  # formula-like names written as text
            writer.writeheader()
            writer.writerows(listing.rows)
        return
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET.in_(language)
    append_row(ws, [HEADERS[c].in_(language) if c in HEADERS else c for c in listing.columns])
    for row in listing.rows:
        append_row(ws, [row[c] for c in listing.columns])
    ws.freeze_panes = "A2"
    with open_private(out) as fh:  # owner-only: it is the store's customer list
        wb.save(fh)
