"""``dealerdesk store add|list`` (the group's stores 门店) and ``dealerdesk customer``
(one customer's contact card, as the acting staff member may see it)."""

from __future__ import annotations

import typer

from store.db import read_session, write_session
from tui.cli.common import OutputFormat, app, ctx_obj, emit_json, fail

store_app = typer.Typer(help="The group's stores 门店: add one (the system's work), list them.", no_args_is_help=True)
app.add_typer(store_app, name="store")


@store_app.command("add")
def store_add(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="Store code, e.g. SZ01."),
    name: str = typer.Argument(..., help="The store's name, e.g. 深圳南山东风日产4S店."),
) -> None:
    """Add a store to the database (run without --as; --system on a shared database)."""
    from store.stores import add_store

    obj = ctx_obj(ctx)
    with write_session(obj.engine()) as session:
        try:
            store = add_store(session, actor=obj.actor(), code=code, name=name)
        except ValueError as exc:
            fail(str(exc))
        typer.echo(f"added store {store.code} {store.name}")


@store_app.command("list")
def store_list(ctx: typer.Context, fmt: OutputFormat = typer.Option(OutputFormat.text, "--format")) -> None:
    """The stores in this database."""
    from store.stores import list_stores

    obj = ctx_obj(ctx)
    with read_session(obj.engine()) as session:
        rows = [(s.code, s.name) for s in list_stores(session, actor=obj.actor())]
    if fmt is OutputFormat.json:
        emit_json([{"code": c, "name": n} for c, n in rows])
        return
    for code, name in rows:
        typer.echo(f"{code}\t{name}")


@app.command("customer")
def customer(
    ctx: typer.Context,
    query: str = typer.Argument(..., help="The customer: a plate (or part of one), a phone's last 4, or id:N."),
    reveal: bool = typer.Option(False, "--reveal", help="Show the full phone and ID number (logged; needs --reason)."),
    reason: str | None = typer.Option(None, "--reason", help="Why the full details are needed, e.g. 客户在柜台."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """One customer's contact card: the phone and ID number in full where the role
    allows (an SA's adopted customers, a member specialist's members, the manager's
    store), else masked; ``--reveal --reason`` unmasks as the app's ``u`` does."""
    from store.customer_ref import AmbiguousCustomer, CustomerNotFound, contact_card

    obj = ctx_obj(ctx)
    actor, store_id = obj.actor(), obj.store_id()
    if reveal and not reason:
        fail("--reveal needs --reason: say why the full details are needed")
    with write_session(obj.engine()) as session:  # a full view writes its audit row
        try:
            card = contact_card(session, query, actor=actor, store_id=store_id, reveal=reveal, reason=reason)
        except (CustomerNotFound, AmbiguousCustomer) as exc:
            fail(str(exc))
    if fmt is OutputFormat.json:
        emit_json(card)
        return
    typer.echo(f"{card['name']} (id:{card['customer_id']})  {card['phone'] or '-'}"
               + (f"  ID {card['id_number']}" if card["id_number"] else "")
               + ("  (masked: --reveal --reason to see in full)" if card["masked"] else ""))
    if card["plates"]:
        typer.echo("  " + " ".join(card["plates"]))
