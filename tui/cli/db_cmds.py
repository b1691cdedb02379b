"""``dealerdesk db upgrade|current``."""

from __future__ import annotations

import typer

from store.db import current_revision, head_revision, make_engine, upgrade
from tui.cli.common import app, ctx_obj, fail

db_app = typer.Typer(help="The database schema.")
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Bring the database's schema up to this version (needed for Postgres)."""
    from store.access import require_system

    require_system(ctx_obj(ctx).actor(), "upgrading the schema")
    engine = make_engine(ctx_obj(ctx).db_url)
    before = _current(engine)
    upgrade(engine)
    typer.echo(f"schema {before or 'empty'} -> {head_revision()}")


def _current(engine):
    """The schema's revision, or one line saying why the database cannot be reached
    (a Postgres database that does not exist yet: how to create it)."""
    from sqlalchemy.exc import OperationalError

    try:
        return current_revision(engine)
    except OperationalError as exc:
        words = str(exc.orig).strip().splitlines()[-1] if exc.orig else str(exc).splitlines()[0]
        hint = ""
        if "does not exist" in words and engine.url.database:
            hint = (f"; create it first: createdb -h {engine.url.host or 'localhost'} "
                    f"-U {engine.url.username or 'postgres'} {engine.url.database}")
        fail(f"cannot open the database {engine.url.render_as_string(hide_password=True)}: {words}{hint}")


@db_app.command("current")
def db_current(ctx: typer.Context) -> None:
    """Show the schema revision of the database and the one this version needs."""
    engine = make_engine(ctx_obj(ctx).db_url)
    typer.echo(f"database {_current(engine) or 'empty'}, needed {head_revision()}")
