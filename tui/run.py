"""Open the app on a database: the demo store is created on first use."""

from __future__ import annotations

import typer

from store import clock
from store.db import DatabaseError, open_engine
from store.models import Store


def ensure_demo_store(engine) -> None:
    """The demo database gets its store the first time anything opens it."""
    from sqlalchemy import select

    with engine.connect() as conn:
        empty = conn.execute(select(Store.id)).first() is None
    if empty:
        from store.demo import generate

        typer.echo("dealerdesk: creating the demo store (first run only)...", err=True)
        generate(engine, today=clock.today())


def run_app(ctx, *, demo: bool = False) -> None:
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
