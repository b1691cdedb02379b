"""``dealerdesk complaint``: log a complaint 投诉, take the steps of its handling, list
the open ones by due time (see :mod:`store.complaints`)."""

from __future__ import annotations

import typer
from rich.table import Table

from store.complaints import (CATEGORIES, CHANNELS, SEVERITIES, complaint_step, complaint_steps,
                              list_complaints, log_complaint)
from store.customer_ref import AmbiguousCustomer, CustomerNotFound, resolve_customer
from store.db import in_transaction, read_session
from tui.cli.common import OutputFormat, add_safe_row, app, ctx_obj, emit_json, fail, output_console

complaint_app = typer.Typer(help="Complaints 投诉: log, handle, resolve, close; the open ones by due time.",
                            no_args_is_help=True)
app.add_typer(complaint_app, name="complaint")


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else ""


def _print(lines) -> None:
    table = Table(box=None, pad_edge=False)
    for name in ("id", "status", "due", "overdue", "severity", "category", "customer", "plate", "owner", "complaint"):
        table.add_column(name, no_wrap=name != "complaint")
    for x in lines:
        add_safe_row(table, x.id, x.status, x.resolve_by.isoformat() if x.resolve_by else "",
                     "OVERDUE" if x.overdue else "", x.severity, x.category, x.customer, x.plate or "",
                     x.owner or "", x.summary)
    output_console().print(table)


@complaint_app.command("add")
def add(
    ctx: typer.Context,
    customer: str = typer.Argument(..., help="The customer: a plate (or part of one), a phone number, or id:N."),
    category: str = typer.Option(..., "--category", help=f"One of {', '.join(CATEGORIES)} (or its Chinese name)."),
    text: str = typer.Option(..., "--text", help="What the customer said."),
    severity: str = typer.Option("normal", "--severity", help=f"One of {', '.join(SEVERITIES)}."),
    channel: str = typer.Option("counter", "--channel", help=f"One of {', '.join(CHANNELS)}."),
    ro: str | None = typer.Option(None, "--ro", help="The repair order it concerns."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """Log a complaint received from this customer; it gets its owner and deadlines."""
    c = ctx_obj(ctx)
    actor, store_id = c.actor(), c.store_id()
    with read_session(c.engine()) as session:
        try:
            found = resolve_customer(session, customer, store_id=store_id, actor=actor)
        except (CustomerNotFound, AmbiguousCustomer) as exc:
            fail(str(exc))
    line = in_transaction(c.engine(), lambda s: log_complaint(
        s, actor=actor, customer_id=found.id, category=category, text=text, severity=severity, channel=channel,
        ro_number=ro, plate=customer))
    if fmt is OutputFormat.json:
        emit_json(line.as_dict())
        return
    typer.echo(f"complaint {line.id} logged for {line.customer}: owner {line.owner or '-'}, "
               f"answer by {_when(line.respond_by)}, resolve by {line.resolve_by}")


def _step(ctx: typer.Context, complaint_id: int, step: str, note: str, fmt: OutputFormat, **paid) -> None:
    c = ctx_obj(ctx)
    actor = c.actor()
    try:
        line = in_transaction(c.engine(), lambda s: complaint_step(s, actor=actor, complaint_id=complaint_id,
                                                                  step=step, note=note, **paid))
    except ValueError as exc:  # the points ledger's and the club accounts' refusals
        fail(str(exc))
    if fmt is OutputFormat.json:
        emit_json(line.as_dict())
        return
    typer.echo(f"complaint {line.id}: {line.status}")


@complaint_app.command("handle")
def handle(ctx: typer.Context, complaint_id: int = typer.Argument(...),
           note: str = typer.Option("", "--note", help="The first answer given."),
           fmt: OutputFormat = typer.Option(OutputFormat.text, "--format")) -> None:
    """Start handling it (new → handling): the first answer is recorded."""
    _step(ctx, complaint_id, "handle", note, fmt)


@complaint_app.command("note")
def note(ctx: typer.Context, complaint_id: int = typer.Argument(...),
         text: str = typer.Option(..., "--text", help="What happened."),
         fmt: OutputFormat = typer.Option(OutputFormat.text, "--format")) -> None:
    """Add a step's note (a call made, a part ordered)."""
    _step(ctx, complaint_id, "note", text, fmt)


@complaint_app.command("resolve")
def resolve(ctx: typer.Context, complaint_id: int = typer.Argument(...),
            note: str = typer.Option(..., "--note", help="What was done."),
            points: int = typer.Option(0, "--points", help="Compensation: points credited to the customer."),
            yuan: float = typer.Option(0, "--yuan", help="Compensation: money paid, a cost of the club under "
                                       "after-sales."),
            benefit: str | None = typer.Option(None, "--benefit", help="Compensation: a free service, as a use of "
                                               "one of the member's tier benefits (its code or name)."),
            fmt: OutputFormat = typer.Option(OutputFormat.text, "--format")) -> None:
    """Resolved: say what was done (and any compensation); the confirmation call goes on the owner's list."""
    from decimal import Decimal

    _step(ctx, complaint_id, "resolve", note, fmt, points=points,
          money_fen=int((Decimal(str(yuan)) * 100).to_integral_value()), benefit=benefit)


@complaint_app.command("reopen")
def reopen(ctx: typer.Context, complaint_id: int = typer.Argument(...),
           note: str = typer.Option(..., "--note", help="Why the customer is not satisfied."),
           fmt: OutputFormat = typer.Option(OutputFormat.text, "--format")) -> None:
    """The customer is not satisfied with the resolution: back to handling."""
    _step(ctx, complaint_id, "reopen", note, fmt)


@complaint_app.command("close")
def close(ctx: typer.Context, complaint_id: int = typer.Argument(...),
          note: str = typer.Option("", "--note", help="The customer's words on the handling."),
          fmt: OutputFormat = typer.Option(OutputFormat.text, "--format")) -> None:
    """Close a resolved complaint (an unresolved one is refused)."""
    _step(ctx, complaint_id, "close", note, fmt)


@complaint_app.command("list")
def list_(
    ctx: typer.Context,
    status: str = typer.Option("open", "--status", help="open (new and handling), resolved, closed or all."),
    overdue: bool = typer.Option(False, "--overdue", help="Only those past their deadlines."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """Complaints by due time: the store's for the manager and member specialist, one's own for an SA."""
    c = ctx_obj(ctx)
    actor, store_id = c.actor(), c.store_id()
    with read_session(c.engine()) as session:
        lines = list_complaints(session, actor=actor, store_id=store_id, status=status, overdue_only=overdue)
    if fmt is OutputFormat.json:
        emit_json([x.as_dict() for x in lines])
        return
    if not lines:
        typer.echo("no complaints")
        return
    _print(lines)


@complaint_app.command("show")
def show(ctx: typer.Context, complaint_id: int = typer.Argument(...),
         fmt: OutputFormat = typer.Option(OutputFormat.text, "--format")) -> None:
    """One complaint and every step of its handling."""
    c = ctx_obj(ctx)
    with read_session(c.engine()) as session:
        line, steps = complaint_steps(session, actor=c.actor(), complaint_id=complaint_id)
    if fmt is OutputFormat.json:
        emit_json({**line.as_dict(), "steps": [{"at": _when(s.at), "step": s.step, "staff": s.staff, "note": s.note}
                                               for s in steps]})
        return
    _print([line])
    table = Table("at", "step", "staff", "note", box=None, pad_edge=False)
    for s in steps:
        add_safe_row(table, _when(s.at), s.step, s.staff or "", s.note)
    output_console().print(table)
