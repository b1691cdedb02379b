"""``dealerdesk care``: the day's care calendar, one contact per customer; ``care
done`` / ``care dismiss`` close tasks."""

from __future__ import annotations

from datetime import date

import typer

from store.db import in_transaction
from tui.cli.common import OutputFormat, app, ctx_obj, emit_json, cli_day, fail, output_console

care_app = typer.Typer(help="The care calendar 客户关怀: who to contact today and why.")
app.add_typer(care_app, name="care")


@care_app.callback(invoke_without_command=True)
def care(
    ctx: typer.Context,
    day: str | None = typer.Option(None, "--date", help="The day (YYYY-MM-DD; default today)."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """List the contacts due on a day (tasks are made once per trigger and kept)."""
    if ctx.invoked_subcommand is not None:
        return
    from store import clock
    from store.care import care_tasks_for

    obj = ctx_obj(ctx)
    when = cli_day(day, "--date") or clock.today()
    store_id = obj.store_id()
    result = in_transaction(obj.engine(), lambda s: care_tasks_for(s, date=when, store_id=store_id, actor=obj.actor()))
    if fmt is OutputFormat.json:
        emit_json(result.as_dict())
        return
    console = output_console(highlight=False)
    if not result.contacts:
        console.print(f"{when}: 没有要联系的客户 (no contacts due)")
    else:
        console.print(f"[b]客户关怀 care calendar {when}[/b]: {len(result.contacts)} 位客户 contacts")
    for c in result.contacts:
        d = c.as_dict()
        ids = " ".join(f"#{i}" for i in d["task_ids"])
        console.print(f"\n[b]{ids}[/b]  {d['customer']}  {d['phone'] or ''}  {' '.join(d['plates'])}"
                      f"  → {d['owner'] or '-'}")
        for reason in d["reasons"]:
            console.print(f"    {reason}")
    if result.held_back:
        console.print(f"\n{len(result.held_back)} 位客户已达联系上限，今日不联系 "
                      f"(held back: {result.cap} contacts in {result.cap_days} days)")


def _close(ctx: typer.Context, task_ids: list[int], status: str, only: bool, note: str | None) -> None:
    from store.care import TaskError, close_task

    obj = ctx_obj(ctx)
    actor = obj.actor()

    def work(session):
        closed: list[int] = []
        for tid in task_ids:
            if tid in closed:
                continue
            closed += close_task(session, tid, status, actor, merged=not only, note=note)
        return closed

    try:
        closed = in_transaction(obj.engine(), work)
    except TaskError as exc:
        fail(str(exc))
    typer.echo(f"{status}: task{'s' if len(closed) != 1 else ''} {', '.join(str(i) for i in closed)}")


@care_app.command("done")
def done(
    ctx: typer.Context,
    task_ids: list[int] = typer.Argument(..., help="Task ids (a contact's first id closes all its reasons)."),
    only: bool = typer.Option(False, "--only", help="Close just these tasks, not the customer's others due with them."),
    note: str | None = typer.Option(None, "--note"),
) -> None:
    """The customer was contacted: close the tasks and log the contact."""
    _close(ctx, task_ids, "done", only, note)


@care_app.command("dismiss")
def dismiss(
    ctx: typer.Context,
    task_ids: list[int] = typer.Argument(...),
    only: bool = typer.Option(False, "--only", help="Close just these tasks, not the customer's others due with them."),
    note: str | None = typer.Option(None, "--note"),
) -> None:
    """Not to be done: close the tasks without a contact."""
    _close(ctx, task_ids, "dismissed", only, note)
