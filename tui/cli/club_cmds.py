"""``dealerdesk club cost add|income add|list``: the club's own income and costs
俱乐部收支 (activity gifts, rewards, sponsorship) for the costs report.

Amounts are typed in yuan (``500``, ``99.50``; negative corrects an earlier entry)."""

from __future__ import annotations

from datetime import date

import typer

from store.club_ledger import DEPARTMENTS, KINDS, ClubLedgerError, add_entry, entries
from store.db import in_transaction, read_session
from store.members import MembershipError, fmt_yuan, parse_yuan
from tui.cli.common import OutputFormat, app, ctx_obj, emit_json, cli_day, fail

club_app = typer.Typer(help="The club's own income and costs 俱乐部收支: activity gifts, rewards, other income.",
                       no_args_is_help=True)
app.add_typer(club_app, name="club")
cost_app = typer.Typer(help="Club costs: activity gifts 活动礼品, rewards 奖励, activity costs 活动费用.",
                       no_args_is_help=True)
club_app.add_typer(cost_app, name="cost")
income_app = typer.Typer(help="Club income: sponsorship 赞助, other income 其他收入.", no_args_is_help=True)
club_app.add_typer(income_app, name="income")

FORMAT = typer.Option(OutputFormat.text, "--format", help="text or json")


def _add(ctx: typer.Context, kind: str, amount: str, category: str, department: str, day: str | None,
         note: str | None, key: str | None, fmt: OutputFormat) -> None:
    obj = ctx_obj(ctx)
    try:
        fen = parse_yuan(amount)
    except MembershipError as exc:
        fail(str(exc))
    when = cli_day(day, "--date")
    store_id, actor = obj.store_id(), obj.actor()
    try:
        line = in_transaction(obj.engine(), lambda s: add_entry(
            s, store_id=store_id, kind=kind, category=category, amount_fen=fen, actor=actor, department=department,
            day=when, note=note, key=key))
    except (ClubLedgerError, PermissionError) as exc:
        fail(str(exc))
    if fmt is OutputFormat.json:
        emit_json(line.as_dict())
        return
    where = f" ({line.department})" if line.department else ""
    again = " (already recorded)" if line.replayed else ""
    typer.echo(f"{kind} #{line.id} {line.day} {line.category}{where} {fmt_yuan(line.amount_fen)}"
               f"{' ' + line.note if line.note else ''}{again}")


@cost_app.command("add")
def cost_add(
    ctx: typer.Context,
    amount: str = typer.Argument(..., help="Yuan, e.g. 500 or 99.50 (negative corrects an earlier entry)."),
    category: str = typer.Option(..., "--category", help=" | ".join(KINDS["cost"])),
    department: str = typer.Option("club", "--department", help=" | ".join(DEPARTMENTS)),
    day: str | None = typer.Option(None, "--date", help="The day (YYYY-MM-DD; default today)."),
    note: str | None = typer.Option(None, "--note", help="What it was, e.g. 车主讲堂礼品."),
    key: str | None = typer.Option(None, "--key", help="Idempotency key: the same key records once."),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Record a club cost (managers): an activity gift, a reward, an activity's cost."""
    _add(ctx, "cost", amount, category, department, day, note, key, fmt)


@income_app.command("add")
def income_add(
    ctx: typer.Context,
    amount: str = typer.Argument(..., help="Yuan, e.g. 2000."),
    category: str = typer.Option("other", "--category", help=" | ".join(KINDS["income"])),
    day: str | None = typer.Option(None, "--date", help="The day (YYYY-MM-DD; default today)."),
    note: str | None = typer.Option(None, "--note", help="Where it came from."),
    key: str | None = typer.Option(None, "--key", help="Idempotency key: the same key records once."),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Record club income other than fees (managers): sponsorship, other income."""
    _add(ctx, "income", amount, category, "club", day, note, key, fmt)


@club_app.command("list")
def list_entries(
    ctx: typer.Context,
    month: str | None = typer.Option(None, "--month", help="YYYY-MM (default this month)."),
    fmt: OutputFormat = FORMAT,
) -> None:
    """The club's own entries of a month."""
    from tui.cli.report_cmds import parse_month

    obj = ctx_obj(ctx)
    m = parse_month(month)
    with read_session(obj.engine()) as session:
        lines = entries(session, store_id=obj.store_id(), month=m, actor=obj.actor())
    if fmt is OutputFormat.json:
        emit_json([line.as_dict() for line in lines])
        return
    if not lines:
        typer.echo(f"{m}: no club entries 没有记录")
        return
    for line in lines:
        where = f" ({line.department})" if line.department else ""
        typer.echo(f"#{line.id} {line.day} {line.kind} {line.category}{where} {fmt_yuan(line.amount_fen)}"
                   f"{' ' + line.note if line.note else ''}")
