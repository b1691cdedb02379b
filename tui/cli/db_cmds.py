"""``dealerdesk db upgrade|current``."""

from __future__ import annotations

import typer

from store.db import current_revision, head_revision, make_engine, upgrade
from tui.cli.common import app, ctx_obj

db_app = typer.Typer(help="The database schema.")
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Bring the database's schema up to this version (needed for Postgres)."""
    from store.access import require_system

    require_system(ctx_obj(ctx).actor(), "upgrading the schema")
    engine = make_engine(ctx_obj(ctx).db_url)
    before = current_revision(engine)
    upgrade(engine)
    typer.echo(f"schema {before or 'empty'} -> {head_revision()}")


@db_app.command("current")
def db_current(ctx: typer.Context) -> None:
    """Show the schema revision of the database and the one this version needs."""
    engine = make_engine(ctx_obj(ctx).db_url)
    typer.echo(f"database {current_revision(engine) or 'empty'}, needed {head_revision()}")
