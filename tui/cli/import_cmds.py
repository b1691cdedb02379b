"""``dealerdesk import FILE...``: DMS exports in."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path

import typer

from tui.cli.common import OutputFormat, app, ctx_obj, emit_json, fail


class Kind(str, Enum):
    auto = "auto"
    vehicles = "vehicles"
    visits = "visits"
    insurance = "insurance"


def _store_for_import(ctx) -> int | None:
    """The store to import into; None on an empty database (the first file that
    goes in creates it)."""
    from store.db import read_session
    from store.ingest import store_for_import
    from store.stores import StoreNotFound

    obj = ctx_obj(ctx)
    try:
        with read_session(obj.engine()) as session:
            return store_for_import(session, obj.store_code, create=False)[0]
    except StoreNotFound as exc:
        fail(str(exc))


def _print_result(result) -> None:
    if result.refused:
        return
    what = {"visits": "visits (repair orders)", "vehicles": "vehicles/customers",
            "insurance": "insurance policies"}.get(result.kind, result.kind)
    fmt = result.format + (f", {result.encoding}" if result.encoding else "") + (
        f", sheet {result.sheet}" if result.sheet else "")
    typer.echo(
        f"{result.file}: {what} export ({fmt}): {result.rows} rows, {result.inserted} inserted, "
        f"{result.updated} updated, {result.unchanged} unchanged, {result.rejected_rows} rejected"
    )
    extra = []
    if result.kind == "visits" and (result.vehicles_created or result.customers_created):
        extra.append(f"{result.vehicles_created} new vehicles, {result.customers_created} new customers")
    if result.referrals_matched:
        extra.append(f"{result.referrals_matched} referrals matched to the friend's new car (see `points referrals`)")
    if result.skipped:
        extra.append(f"{result.skipped} blank/totals rows skipped")
    if result.unknown_columns:
        extra.append("columns not imported: " + ", ".join(result.unknown_columns[:12]))
    if result.completed_interrupted:
        extra.append("an earlier, interrupted import of this file is now complete")
    for line in extra:
        typer.echo(f"  {line}")
    for m in result.plate_moves[:200]:
        typer.echo(f"  row {m.row}: plate {m.plate} is now on VIN {m.holder_vin or '(no VIN)'}; "
                   f"VIN {m.moved_on_vin or '(no VIN)'} keeps its history, marked plate moved on ({m.on.isoformat()})")
    if len(result.plate_moves) > 200:
        typer.echo(f"  ... and {len(result.plate_moves) - 200} more plates moved on (use --format json for all)")
    for r in result.rejected[:200]:
        column = f"{r.column} ({r.field})" if r.column and r.column != r.field else r.field
        typer.echo(f"  row {r.row}: {column}: {r.reason}")
    if len(result.rejected) > 200:
        typer.echo(f"  ... and {len(result.rejected) - 200} more (use --rejects OUT.xlsx for all)")


@app.command("import")
def import_(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help="DMS exports: xlsx, xlsb, xls, ods, HTML/TSV saved as .xls, CSV/TSV."),
    kind: Kind = typer.Option(Kind.auto, "--kind", help="Kind of export; auto tells them apart by the headers."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
    rejects: Path | None = typer.Option(None, "--rejects", help="Write every rejected row to this .xlsx workbook."),
) -> None:
    """Import DMS exports 导入 (vehicles/customers, repair orders, insurance policies): bad rows reported, nothing twice."""
    from importers.pipeline import ImportCancelled, import_file
    from importers.rejects import write_rejects
    from store.access import AccessDenied, require_importer
    from store.ingest import DEFAULT_STORE_CODE

    actor = ctx_obj(ctx).actor()
    try:  # an SA or analyst is refused here, before any file is opened
        require_importer(actor, None)
        # Staff import into their own store; the system names one (or the only one).
        own = actor.store_id is not None and not ctx_obj(ctx).store_code
        store_id = actor.store_id if own else _store_for_import(ctx)
        require_importer(actor, store_id)
    except AccessDenied as exc:
        fail(str(exc))
    engine = ctx_obj(ctx).engine()
    results = []
    show_bar = sys.stderr.isatty()
    for i, path in enumerate(files):
        # One bar per file, gone before the file's lines are printed (stdout and the
        # bar's stderr would otherwise interleave on the terminal).
        bar = _progress_bar() if show_bar else None
        try:
            if bar is not None:
                bar.start()
                task = bar.add_task(path.name, total=1.0)

            def report(p):
                if bar is not None:
                    bar.update(task, completed=p.fraction, description=f"{path.name}: {p.rows:,} rows")

            result = import_file(engine, path, actor=actor, store_id=store_id, store_code=ctx_obj(ctx).store_code,
                                 kind=kind.value, progress=report, file_index=i, files=len(files))
        except ImportCancelled:  # pragma: no cover - only the screen cancels
            fail(f"{path}: cancelled, nothing written")
        except AccessDenied as exc:
            fail(str(exc))
        finally:
            if bar is not None:
                bar.stop()
        results.append(result)
        if result.store_created:
            store_id = result.store_created
            if fmt is OutputFormat.text:
                typer.echo(f"created store {ctx_obj(ctx).store_code or DEFAULT_STORE_CODE} (the database had none)")
        if result.refused:
            typer.echo(f"dealerdesk: {result.refused}", err=True)
        elif fmt is OutputFormat.text:
            _print_result(result)
    if rejects is not None:
        lines = write_rejects(results, rejects)
        if fmt is OutputFormat.text:
            typer.echo(f"rejects: {lines} lines written to {rejects}")
    if fmt is OutputFormat.json:
        emit_json([r.as_dict() for r in results])
    if any(r.refused for r in results):
        raise typer.Exit(1)


def _progress_bar():
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
                    console=Console(stderr=True), transient=True)
