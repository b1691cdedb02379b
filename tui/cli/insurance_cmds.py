"""``dealerdesk insurance``: a car's policies 保单 (see :mod:`store.insurance`):
enter or correct one by hand, list a car's history."""

from __future__ import annotations

import typer
from rich.table import Table

from store.db import in_transaction, read_session
from store.insurance import POLICY_KINDS, UnknownVehicle, list_policies, record_policy, set_inspection_due
from store.members import MembershipError, fmt_yuan, parse_yuan
from tui.cli.common import (OutputFormat, add_safe_row, app, cli_day, ctx_obj, emit_json, fail, output_console,
                            shown)

insurance_app = typer.Typer(help="Insurance policies 保单: enter or correct one, list a car's history.",
                            no_args_is_help=True)
app.add_typer(insurance_app, name="insurance")


@insurance_app.command("add")
def add(
    ctx: typer.Context,
    plate: str = typer.Argument(..., help="The car's plate."),
    policy: str = typer.Option(..., "--policy", help="The policy number 保单号; the same number again corrects it."),
    insurer: str = typer.Option(..., "--insurer", help="The insurer 保险公司."),
    kind: str = typer.Option(..., "--type", help="compulsory (交强险) or commercial (商业险)."),
    start: str | None = typer.Option(None, "--start", help="Cover starts 起保日期 (YYYY-MM-DD)."),
    end: str = typer.Option(..., "--end", help="Cover ends 终保日期 (YYYY-MM-DD)."),
    premium: str = typer.Option("0", "--premium", help="The premium 保费 in yuan."),
    sold_here: bool = typer.Option(True, "--sold-here/--sold-elsewhere", help="Whether this store sold it (本店出单)."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """Enter a policy by hand, or correct one (same policy number); the car's expiry follows its latest policy."""
    c = ctx_obj(ctx)
    actor, store_id = c.actor(), c.store_id()
    start_on, end_on = cli_day(start, "--start"), cli_day(end, "--end")
    try:
        fen = parse_yuan(premium)
    except MembershipError as exc:
        fail(f"--premium: {exc}")
    try:
        what, line = in_transaction(c.engine(), lambda s: record_policy(
            s, store_id=store_id, plate=plate, policy_number=policy, insurer=insurer, kind=kind, start_on=start_on,
            end_on=end_on, premium_fen=fen, sold_by_store=sold_here, actor=actor))
    except UnknownVehicle as exc:
        fail(str(exc))
    if fmt is OutputFormat.json:
        emit_json({"result": what, **line.as_dict()})
        return
    output_console().print(shown(f"policy {line.policy_number} for {line.plate}: {what} "
                                 f"({POLICY_KINDS[line.kind]} {line.kind}, ends {line.end_on})"))


@insurance_app.command("inspection")
def inspection(
    ctx: typer.Context,
    plate: str = typer.Argument(..., help="The car's plate."),
    due: str | None = typer.Option(None, "--due", help="The next annual inspection 年检 (YYYY-MM-DD)."),
    computed: bool = typer.Option(False, "--computed", help="Forget the recorded date: compute it from the purchase."),
) -> None:
    """Record a car's next annual inspection 年检 date by hand (or go back to the computed one)."""
    c = ctx_obj(ctx)
    actor, store_id = c.actor(), c.store_id()
    if (due is None) == (not computed):
        fail("give --due DATE or --computed")
    day = cli_day(due, "--due")
    try:
        shown_plate, _ = in_transaction(c.engine(), lambda s: set_inspection_due(
            s, store_id=store_id, plate=plate, due=day, actor=actor))
    except UnknownVehicle as exc:
        fail(str(exc))
    output_console().print(shown(f"{shown_plate}: annual inspection "
                                 + (f"due {day} (recorded)" if day else "computed from the purchase date")))


@insurance_app.command("list")
def list_(
    ctx: typer.Context,
    plate: str = typer.Argument(..., help="The car's plate."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """Every policy of a car, the latest cover first."""
    c = ctx_obj(ctx)
    actor, store_id = c.actor(), c.store_id()
    with read_session(c.engine()) as session:
        try:
            lines = list_policies(session, store_id=store_id, plate=plate, actor=actor)
        except UnknownVehicle as exc:
            fail(str(exc))
    if fmt is OutputFormat.json:
        emit_json([x.as_dict() for x in lines])
        return
    table = Table(box=None, pad_edge=False)
    for name in ("policy", "type", "insurer", "start", "end", "premium", "sold here", "source"):
        table.add_column(name, no_wrap=True)
    for x in lines:
        add_safe_row(table, x.policy_number, f"{POLICY_KINDS[x.kind]} {x.kind}", x.insurer or "",
                     x.start_on.isoformat() if x.start_on else "", x.end_on.isoformat(), fmt_yuan(x.premium_fen),
                     "yes" if x.sold_by_store else "no", x.source)
    output_console().print(table)
