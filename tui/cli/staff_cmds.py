"""``dealerdesk staff add|list|reset-pin|disable`` and ``dealerdesk audit``."""

from __future__ import annotations

import io
import json
from datetime import date

import typer
from rich.table import Table

from store.access import AccessDenied
from store.audit_query import audit_trail
from store.db import read_session, write_session
from store.staff import ROLES, add_staff, disable_staff, list_staff, reset_pin
from store.validation import FieldError
from tui.cli.common import app, ctx_obj, emit_json, cli_day, fail, output_console, add_safe_row

staff_app = typer.Typer(help="Staff and their PINs (managers only; the first manager of a new database excepted).")
app.add_typer(staff_app, name="staff")


def _pin(pin: str | None) -> str:
    if pin:
        return pin
    return typer.prompt("PIN", hide_input=True, confirmation_prompt=True)


def _guarded(work):
    try:
        return work()
    except (AccessDenied, FieldError, ValueError) as exc:
        fail(str(exc))


@staff_app.command("add")
def staff_add(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="Staff code, e.g. SA06"),
    name: str = typer.Argument(...),
    role: str = typer.Option("sa", "--role", help=" | ".join(ROLES)),
    pin: str | None = typer.Option(None, "--pin", envvar="DEALERDESK_NEW_PIN", help="4-8 digits (asked if not given)"),
) -> None:
    """Add a staff member."""
    c = ctx_obj(ctx)
    engine, store_id, actor = c.engine(), c.store_id(), c.actor()
    secret = _pin(pin)
    with write_session(engine) as s:
        staff = _guarded(lambda: add_staff(s, actor, store_id=store_id, code=code, name=name, role=role, pin=secret))
        typer.echo(f"added {staff.code} {staff.name} ({staff.role})")


@staff_app.command("list")
def staff_list(ctx: typer.Context, fmt: str = typer.Option("text", "--format", help="text | json")) -> None:
    """List the store's staff."""
    c = ctx_obj(ctx)
    with read_session(c.engine()) as s:
        rows = _guarded(lambda: list_staff(s, c.actor(), store_id=c.store_id()))
    if fmt == "json":
        emit_json([{"code": r.code, "name": r.name, "role": r.role, "active": r.active,
                    "locked_until": r.locked_until.isoformat() if r.locked_until else None} for r in rows])
        return
    table = Table("code", "name", "role", "active", "locked until")
    for r in rows:
        add_safe_row(table, r.code, r.name, r.role, "yes" if r.active else "no", str(r.locked_until or ""))
    output_console().print(table)


@staff_app.command("reset-pin")
def staff_reset_pin(ctx: typer.Context, code: str, pin: str | None = typer.Option(None, "--pin", envvar="DEALERDESK_NEW_PIN")) -> None:
    """Give a staff member a new PIN (and lift a lock)."""
    c = ctx_obj(ctx)
    engine, store_id, actor = c.engine(), c.store_id(), c.actor()
    secret = _pin(pin)
    with write_session(engine) as s:
        _guarded(lambda: reset_pin(s, actor, store_id=store_id, code=code, pin=secret))
    typer.echo(f"PIN of {code.upper()} reset")


@staff_app.command("disable")
def staff_disable(ctx: typer.Context, code: str) -> None:
    """Stop a staff member from signing in (their history stays)."""
    c = ctx_obj(ctx)
    engine, store_id, actor = c.engine(), c.store_id(), c.actor()
    with write_session(engine) as s:
        _guarded(lambda: disable_staff(s, actor, store_id=store_id, code=code))
    typer.echo(f"{code.upper()} disabled")


@app.command("audit")
def audit(
    ctx: typer.Context,
    date_from: str = typer.Option(..., "--from", help="YYYY-MM-DD"),
    date_to: str = typer.Option(..., "--to", help="YYYY-MM-DD"),
    staff: str | None = typer.Option(None, "--staff", help="Only this staff code"),
    fmt: str = typer.Option("table", "--format", help="table | csv | json"),
) -> None:
    """The audit trail: changes to money, points, memberships, assignments, staff, settings; unmaskings."""
    start, end = cli_day(date_from, "--from"), cli_day(date_to, "--to")
    c = ctx_obj(ctx)
    with read_session(c.engine()) as s:
        rows = _guarded(lambda: audit_trail(s, c.actor(), store_id=c.store_id(), date_from=start, date_to=end,
                                            staff_code=staff))
    dicts = [r.as_dict() for r in rows]
    if fmt == "json":
        emit_json(dicts)
    elif fmt == "csv":
        buf = io.StringIO()
        from store.cells import dict_writer

        writer = dict_writer(buf, ["at", "staff", "action", "entity", "entity_id", "customer_id", "detail"])
        writer.writeheader()
        writer.writerows({**d, "detail": _detail_text(d["detail"])} for d in dicts)
        typer.echo(buf.getvalue(), nl=False)
    else:
        from rich.markup import escape

        table = Table("at", "staff", "action", "entity", "customer", "detail")
        for d in dicts:  # stored text is shown as text, never read as Rich markup
            table.add_row(escape(d["at"]), escape(d["staff"] or ""), escape(d["action"]),
                          escape(f"{d['entity']} {d['entity_id'] or ''}"), str(d["customer_id"] or ""),
                          escape(_detail_text(d["detail"])))
        output_console().print(table)


def _detail_text(detail) -> str:
    """A detail as one line: its JSON, or the stored text of one that does not parse."""
    if detail is None:
        return ""
    return detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False, default=str)
