"""``dealerdesk lookup QUERY``."""

from __future__ import annotations

import typer

from store.access import AccessDenied
from store.db import read_connection
from store.lookup import lookup as find
from tui.cli.common import OutputFormat, app, ctx_obj, emit_json, fail, output_console, add_safe_row


@app.command("lookup")
def lookup(
    ctx: typer.Context,
    query: str = typer.Argument(..., help="Part of a plate, a phone's last 4, a VIN's last 6, a name or its pinyin."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
    limit: int = typer.Option(50, "--limit", min=1, max=500),
) -> None:
    """Find vehicles the way the counter does."""
    c = ctx_obj(ctx)
    actor = c.actor()
    with read_connection(c.engine()) as session:
        try:
            from store.settings import stored_setting

            matches = find(session, query, limit=limit, actor=actor,
                           group_wide=bool(stored_setting(session, "group_lookup")))
        except AccessDenied as exc:
            fail(str(exc))
    if fmt is OutputFormat.json:
        emit_json([m.as_dict() for m in matches])
        return
    if not matches:
        typer.echo(f"no vehicle matches {query!r}")
        return
    from rich.table import Table

    table = Table("plate", "model", "owner", "phone", "visits", "last visit", "class", "tier", "points")
    for m in matches:
        d = m.as_dict()
        plate = d["plate"] or (f"{d['former_plate']} (plate moved on)" if d["former_plate"] else "")
        add_safe_row(table, plate, d["model"] or "", d["owner"] or "", d["phone"] or "", str(d["visits"]),
                      d["last_visit"] or "", d["class"] or "", d["tier"] or "", str(d["points"]))
    output_console().print(table)
