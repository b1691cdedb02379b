"""``dealerdesk serve``: the counter app for every counter's browser 门店服务器."""

from __future__ import annotations

import os
import shlex
import sys

import typer

from tui.cli.common import app, ctx_obj

# What a tab's app must not inherit from the server's environment: it signs in as
# whoever sits at that counter, never as the staff member or store the server ran as.
NOT_FOR_TABS = ("DEALERDESK_STAFF", "DEALERDESK_PIN")


def prepare_tab_environment(environ, *, db_url: str, store_code: str | None, today: str | None) -> None:
    """Make ``environ`` (the server's, which textual-serve hands each tab's app) what a
    tab starts with: the database URL (its credentials stay on the server, never in a
    browser), the store and the business day where the server was given them, and
    no staff member."""
    for key in NOT_FOR_TABS:
        environ.pop(key, None)
    environ["DEALERDESK_DB"] = db_url
    if store_code:
        environ["DEALERDESK_STORE"] = store_code
    if today:
        environ["DEALERDESK_TODAY"] = today


@app.command("serve")
def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on; 0.0.0.0 for every counter on the "
                                                          "store's network (better: behind a reverse proxy, see README)."),
    port: int = typer.Option(8000, "--port", min=1, max=65535),
    public_url: str | None = typer.Option(None, "--public-url",
                                          help="The address counters open, when a reverse proxy stands in front "
                                               "(e.g. https://dealerdesk.store.lan)."),
) -> None:
    """Serve the app to browsers: each tab is its own app, signed in as its own staff member."""
    from store import clock
    from store.access import require_system

    obj = ctx_obj(ctx)
    require_system(obj.actor(), "running the store's server")
    obj.engine()  # the schema checked (and the demo store made) once, before any tab opens
    fixed = clock.fixed_today()
    prepare_tab_environment(os.environ, db_url=obj.db_url, store_code=obj.store_code,
                            today=fixed.isoformat() if fixed else None)
    from textual_serve.server import Server

    command = f"{shlex.quote(sys.executable)} -m tui"
    typer.echo(f"dealerdesk: counters open {public_url or f'http://{host}:{port}'}", err=True)
    Server(command, host=host, port=port, title="dealerdesk", public_url=public_url).serve()
