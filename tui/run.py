"""Open the app on a database: the demo store is created on first use."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer

from store import clock


# Batches of this many vehicles between progress steps: the store a seed makes is
# the same whatever the batch, and small batches cost nothing on SQLite.
DEMO_PROGRESS_STEP = 200


@contextmanager
def demo_progress(label: str, total: int) -> Iterator[Callable[[int, int], None]]:
    """A ``progress(done, total)`` callback for :func:`store.demo.generate`: a bar
    on stderr when it is a terminal, else one line saying what is happening."""
    if not sys.stderr.isatty():
        typer.echo(f"dealerdesk: {label}...", err=True)  # a log or a pipe: no bar drawn in it
        yield lambda done, total: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def ensure_demo_store(engine) -> None:
    """The demo database gets its store the first time anything opens it."""
    from store.stores import has_store

    with engine.connect() as conn:
        empty = not has_store(conn)
    if empty:
        from store.demo import generate

        vehicles = 2000
        with demo_progress("creating the demo store (first run only)", vehicles) as progress:
            generate(engine, vehicles=vehicles, today=clock.today(), progress=progress,
                     batch=DEMO_PROGRESS_STEP)


def run_app(ctx, *, demo: bool = False) -> None:
    from store.startup import read_start_facts

    # The counter's usual start (an SQLite file at the current schema, sign-in, the
    # only store): the sign-in screen paints first and the engine opens behind it.
    facts = None if ctx.staff_code or ctx.store_code else read_start_facts(ctx.db_url)
    if facts is not None and (facts.has_store or not demo):
        from tui.app import DealerDeskApp

        def open_engine_after_paint():
            from store.db import open_engine

            return open_engine(ctx.db_url)

        DealerDeskApp(open_engine_after_paint, sign_in=True, facts=facts).run()
        return
    from store.db import DatabaseError, open_engine

    try:
        engine = open_engine(ctx.db_url)
    except DatabaseError as exc:
        typer.echo(f"dealerdesk: {exc}", err=True)
        raise typer.Exit(1)
    if demo:
        ensure_demo_store(engine)
    from store.access import StaffNotFound
    from store.stores import StoreNotFound
    from tui.app import DealerDeskApp

    try:
        # Who acts: whoever signs in; --as CODE (with its PIN, checked first) skips the form.
        if ctx.staff_code:
            ctx.actor()
        app = DealerDeskApp(engine, staff_code=ctx.staff_code, store_code=ctx.store_code,
                            sign_in=not ctx.staff_code)
    except (StaffNotFound, StoreNotFound) as exc:
        typer.echo(f"dealerdesk: {exc}", err=True)
        raise typer.Exit(1)
    app.run()
