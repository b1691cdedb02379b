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
    if result.vins_elsewhere:
        extra.append(f"{result.vins_elsewhere} rows carry the VIN of another store's car: recorded in this store "
                     "by their plate, without the VIN")
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
    store_per_folder: bool = typer.Option(
        False, "--store-per-folder",
        help="A group's load: each FILE is a folder holding one folder per store, named by its code "
             "(exports/GZ01/*.xlsx); every store's files go into that store."),
) -> None:
    """Import DMS exports 导入 (vehicles/customers, repair orders, insurance policies): bad rows reported, nothing twice."""
    from importers.pipeline import ImportCancelled, import_file
    from importers.rejects import write_rejects
    from store.access import AccessDenied, require_importer
    from store.ingest import DEFAULT_STORE_CODE

    if store_per_folder:
        _import_group(ctx, files, kind=kind, fmt=fmt, rejects=rejects)
        return
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


def _import_group(ctx, roots: list[Path], *, kind: Kind, fmt: OutputFormat, rejects: Path | None) -> None:
    """A dealer group's first load: under each root, one folder per store named by its
    code; each store's files into that store (each file its own transaction, as
    always), one progress bar over every file, then a summary per file and per store.
    A store must exist (``dealerdesk store add``); a folder without one, a file lying
    outside any store's folder and a store the actor may not import into are refused
    with one line each, and the rest go in."""
    from importers.paths import store_folders
    from importers.pipeline import FileResult, by_store, import_file
    from importers.rejects import write_rejects
    from store.access import AccessDenied, require_importer
    from store.db import read_session
    from store.stores import StoreNotFound, resolve_store_id

    obj = ctx_obj(ctx)
    actor = obj.actor()
    try:
        require_importer(actor, None)
    except AccessDenied as exc:
        fail(str(exc))
    engine = obj.engine()
    plan: list[tuple[str, Path, int | None, str | None]] = []  # (store code, file, store id, why refused)
    for root in roots:
        if not root.is_dir():
            fail(f"{root}: not a folder (with --store-per-folder, name folders holding one folder per store)")
        folders, loose = store_folders(root)
        for path in loose:
            plan.append(("", path, None, f"{path}: not in a store's folder (each store's exports go in a folder "
                                         "named by its store code)"))
        for code, paths in folders:
            why = None
            store_id = None
            try:
                with read_session(engine) as session:
                    store_id = resolve_store_id(session, code)
                require_importer(actor, store_id)
            except StoreNotFound:
                why = f"no store with code {code!r} (add it first: dealerdesk store add {code} NAME)"
            except AccessDenied as exc:
                why = str(exc)
            if not paths and fmt is OutputFormat.text:
                typer.echo(f"{root / code}: no files")
            for path in paths:
                plan.append((code, path, store_id, None if why is None else f"{path}: store folder {code}: {why}"))
    if not plan:
        fail("no exports found: " + ", ".join(str(r) for r in roots))
    sizes = [max(1, p.stat().st_size) for _, p, _, _ in plan]
    total, done = float(sum(sizes)), 0.0
    bar = _progress_bar() if sys.stderr.isatty() else None
    results: list[tuple[str, FileResult]] = []
    if bar is not None:
        bar.start()
        task = bar.add_task(f"{len(plan)} files", total=total)
    try:
        for i, ((code, path, store_id, why), size) in enumerate(zip(plan, sizes)):
            if why is not None:
                result = FileResult(file=str(path), refused=why, refused_code="store")
            else:
                def report(p, code=code, path=path, size=size):
                    if bar is not None:
                        bar.update(task, completed=done + p.fraction * size,
                                   description=f"{i + 1}/{len(plan)} {code} {path.name}: {p.rows:,} rows")

                try:
                    result = import_file(engine, path, actor=actor, store_id=store_id, kind=kind.value,
                                         progress=report, file_index=i, files=len(plan))
                except AccessDenied as exc:
                    result = FileResult(file=str(path), refused=f"{path}: {exc}", refused_code="access")
            done += size
            if bar is not None:
                bar.update(task, completed=done)
            results.append((code, result))
    finally:
        if bar is not None:
            bar.stop()
    stores = by_store([(code or "(none)", r) for code, r in results])
    if fmt is OutputFormat.json:
        emit_json({"files": [{"store": code or None, **r.as_dict()} for code, r in results],
                   "stores": [s.as_dict() for s in stores]})
    else:
        for _code, result in results:
            if result.refused:
                typer.echo(f"dealerdesk: {result.refused}", err=True)
            else:
                _print_result(result)
        _print_stores(stores)
    if rejects is not None:
        lines = write_rejects([r for _, r in results], rejects)
        if fmt is OutputFormat.text:
            typer.echo(f"rejects: {lines} lines written to {rejects}")
    if any(r.refused for _, r in results):
        raise typer.Exit(1)


def _print_stores(stores) -> None:
    from rich.table import Table

    from tui.cli.common import add_safe_row, output_console

    table = Table("store", "files", "refused", "rows", "inserted", "updated", "unchanged", "rejected",
                  "new vehicles", "new customers", title="by store")
    for s in stores:
        add_safe_row(table, s.store, *(f"{v:,}" for v in (s.files, s.refused, s.rows, s.inserted, s.updated,
                                                          s.unchanged, s.rejected, s.vehicles_created,
                                                          s.customers_created)))
    output_console().print(table)
