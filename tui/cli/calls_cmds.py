"""``dealerdesk adopt``, ``dealerdesk calls``, ``dealerdesk arrivals`` and
``dealerdesk report calls``: adoption 客户领养 and the SA's daily call list 回访/邀约."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.table import Table

from store.access import AccessDenied
from store.db import in_transaction, read_session
from tui.cli.common import OutputFormat, app, ctx_obj, emit_json, cli_day, fail, output_console, add_safe_row
from tui.cli.report_cmds import FORMAT, OUT, report_app
from tui.cli.report_output import ReportFormat, emit, report_store_ids

adopt_app = typer.Typer(help="Adoption 客户领养: assign cars to service advisors.")
app.add_typer(adopt_app, name="adopt")
calls_app = typer.Typer(help="The SA's daily call list 回访/邀约, and logging a call.")
app.add_typer(calls_app, name="calls")


def _day(value: str | None, option: str = "--date") -> date:
    from store import clock

    return cli_day(value, option) or clock.today()


def _yuan(fen: int) -> str:
    return f"¥{fen / 100:,.0f}"


# --- adopt ---------------------------------------------------------------------------


@adopt_app.callback(invoke_without_command=True)
def adopt(
    ctx: typer.Context,
    by_plate_digit: str | None = typer.Option(
        None, "--by-plate-digit",
        help='Last plate digit -> SA (name or code), e.g. "0-1:王伟,2-3:李娜,4-5:张敏,6-7:刘洋,8-9:陈静". '
             "Saved as the store's mapping; without it the saved mapping is used."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change; change nothing."),
    day: str | None = typer.Option(None, "--date", help="Adopt as of this day (default today)."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """Assign the cars maintained here in the last 12 months to SAs by the plate's last digit."""
    if ctx.invoked_subcommand is not None:
        return
    from store.adoption import AdoptionError, adopt_by_plate

    obj = ctx_obj(ctx)
    when = _day(day)
    store_id = obj.store_id()
    actor = obj.actor()
    try:
        plan = in_transaction(obj.engine(), lambda s: adopt_by_plate(
            s, actor, store_id=store_id, as_of=when, mapping_text=by_plate_digit, dry_run=dry_run))
    except (AdoptionError, AccessDenied) as exc:
        fail(str(exc))
    if fmt is OutputFormat.json:
        emit_json(plan.as_dict())
        return
    console = output_console(highlight=False)
    head = "预演 dry run: nothing changed" if dry_run else "已分配 assigned"
    console.print(f"[b]{head}[/b] — {plan.candidates} 辆车 cars with maintenance from {plan.window_from} to "
                  f"{plan.as_of}; letter plates: {plan.letter_rule}")
    table = Table("SA", "cars")
    for name, n in sorted(plan.per_staff().items()):
        add_safe_row(table, name, str(n))
    console.print(table)
    console.print(f"new {len(plan.new)} · moved {len(plan.moved)} · unchanged {len(plan.unchanged)} · "
                  f"kept (moved by hand) {len(plan.kept_by_hand)} · unassigned {len(plan.unassigned)}")
    for line in plan.moved[:20]:
        console.print(f"  {line.plate}: {line.from_staff} → {line.to_staff}")
    if plan.unassigned:
        console.print("未分配 unassigned (assign with `dealerdesk adopt move PLATE --to SA`):")
        for line in plan.unassigned:
            console.print(f"  {line.plate}  {line.owner or ''}  {line.why}")


@adopt_app.command("move")
def adopt_move(
    ctx: typer.Context,
    plate: str = typer.Argument(..., help="The car's plate."),
    to: str = typer.Option(..., "--to", help="The SA taking it (name or code)."),
    day: str | None = typer.Option(None, "--date", help="From this day (default today)."),
) -> None:
    """Give one car to another SA by hand (the old assignment ends, its history stays)."""
    from store.adoption import AdoptionError, move

    obj = ctx_obj(ctx)
    when = _day(day)
    store_id = obj.store_id()
    actor = obj.actor()
    try:
        result = in_transaction(obj.engine(), lambda s: move(s, actor, store_id=store_id, vehicle=plate, to=to,
                                                             as_of=when))
    except (AdoptionError, AccessDenied) as exc:
        fail(str(exc))
    typer.echo(f"{result.plate}: {result.from_staff or '(nobody)'} → {result.to_staff} from {when}")


@adopt_app.command("list")
def adopt_list(
    ctx: typer.Context,
    sa: str | None = typer.Option(None, "--sa", help="One SA's cars (name or code); without it, counts per SA."),
    day: str | None = typer.Option(None, "--date", help="As of this day (default today)."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """Who holds how many cars (and their value), or one SA's cars."""
    from store.access import require_customer_access
    from store.adoption import AdoptionError, adopted_cars, resolve_staff, staff_loads

    obj = ctx_obj(ctx)
    when = _day(day)
    store_id = obj.store_id()
    actor = obj.actor()
    with read_session(obj.engine()) as session:
        try:
            if sa is None:
                loads = staff_loads(session, store_id=store_id, as_of=when, actor=actor)
            else:
                require_customer_access(actor, store_id)
                staff = resolve_staff(session, store_id, sa)
                if actor.role == "sa" and actor.staff_id != staff.id:
                    raise AccessDenied("an SA sees only their own cars")
                cars = adopted_cars(session, store_id=store_id, as_of=when, staff_id=staff.id, actor=actor)
        except (AdoptionError, AccessDenied) as exc:
            fail(str(exc))
    if sa is None:
        data = [{"staff_code": x.code, "staff": x.name or "(unassigned)", "cars": x.vehicles, "oil_fen": x.oil_fen,
                 "output_fen": x.output_fen, "since": x.since} for x in loads]
        if fmt is OutputFormat.json:
            emit_json(data)
            return
        table = Table("SA", "code", "cars", "oil 12m", "output 12m", "since")
        for d in data:
            add_safe_row(table, d["staff"], d["staff_code"] or "", str(d["cars"]), _yuan(d["oil_fen"]),
                          _yuan(d["output_fen"]), str(d["since"] or ""))
        output_console().print(table)
        return
    data = [{"plate": c.plate, "owner": c.owner, "model": c.model, "since": c.started_on, "method": c.method,
             "oil_fen": c.oil_fen, "output_fen": c.output_fen} for c in cars]
    if fmt is OutputFormat.json:
        emit_json(data)
        return
    table = Table("plate", "owner", "model", "since", "how", "oil 12m", "output 12m")
    for d in data:
        add_safe_row(table, d["plate"] or "", d["owner"] or "", d["model"] or "", str(d["since"]), d["method"] or "",
                      _yuan(d["oil_fen"]), _yuan(d["output_fen"]))
    output_console().print(table)


# --- calls ---------------------------------------------------------------------------


def _staff_id(session, store_id: int, ref: str) -> int:
    from store.adoption import AdoptionError, resolve_staff

    try:
        return resolve_staff(session, store_id, ref).id
    except AdoptionError as exc:
        fail(str(exc))


@calls_app.callback(invoke_without_command=True)
def calls(
    ctx: typer.Context,
    sa: str | None = typer.Option(None, "--sa", help="The SA (name or code); default: the one acting (--as)."),
    day: str | None = typer.Option(None, "--date", help="The day (YYYY-MM-DD; default today)."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """The day's call list of one SA: one row per customer, every reason merged, most urgent first."""
    if ctx.invoked_subcommand is not None:
        return
    from store.call_desk import CallDesk

    obj = ctx_obj(ctx)
    when = _day(day)
    store_id = obj.store_id()
    actor = obj.actor()
    engine = obj.engine()
    from store.access import require_customer_access

    require_customer_access(actor, store_id)  # the analyst: aggregates only, before anything else
    if sa is None:
        if actor.role != "sa":
            fail("say whose list: --sa NAME")
        staff_id = actor.staff_id
    else:
        with read_session(engine) as session:
            staff_id = _staff_id(session, store_id, sa)
    try:
        result = CallDesk(engine, actor, store_id).day_list(staff_id, when, refresh_care=True)
    except AccessDenied as exc:
        fail(str(exc))
    if fmt is OutputFormat.json:
        emit_json(result.as_dict())
        return
    console = output_console(highlight=False)
    console.print(f"[b]{result.staff_name} {result.day}[/b]  已完成 done {result.done}/{result.total}"
                  + (f"  · 达联系上限暂缓 held back by the contact cap: {len(result.held_back)}"
                     if result.held_back else ""))
    table = Table("#", "customer", "phone", "reasons", "status")
    for i, r in enumerate(result.rows, start=1):
        status = r.outcome or (f"try {r.attempt}/{r.max_tries}" if r.attempt > 1 else "")
        add_safe_row(table, str(i), r.name, r.phone or "", r.reason_text(), status)
    console.print(table)


@calls_app.command("log")
def calls_log(
    ctx: typer.Context,
    plate: str = typer.Argument(..., help="The car's plate (its owner is the customer called)."),
    outcome: str = typer.Option(..., "--outcome",
                                help="booked, reached, no_answer, wrong_number, refused, sold, do_not_contact; "
                                "an insurance renewal reminder: renewed_here (with us), renewed_other (elsewhere, "
                                "--insurer), or reached --callback (not yet) / refused --reason"),
    at: str | None = typer.Option(None, "--at", help='booked: the appointment, e.g. "2026-11-25 09:30".'),
    callback: str | None = typer.Option(None, "--callback", help="reached: call back on this day."),
    reason: str | None = typer.Option(None, "--reason", help="refused / do_not_contact: why."),
    note: str | None = typer.Option(None, "--note"),
    sa: str | None = typer.Option(None, "--sa", help="Who called (a manager logging for an SA)."),
    satisfied: str | None = typer.Option(None, "--satisfied",
                                         help="reached, confirming a resolved complaint: yes closes it, no reopens it."),
    scores: str | None = typer.Option(None, "--scores", help="reached, an after-service callback: the customer's "
                                      "satisfaction, 5 (every question) or one digit per question (45455)."),
    insurer: str | None = typer.Option(None, "--insurer", help="renewed_other: the insurer the car renewed with."),
) -> None:
    """Log the outcome of a call; the next attempt is scheduled by the store's rules."""
    from store import clock
    from store.adoption import AdoptionError, find_vehicle
    from store.calls import CallError, log_call, parse_day, parse_when
    from store.care import due_task_ids
    from store.validation import FieldError

    obj = ctx_obj(ctx)
    store_id = obj.store_id()
    actor = obj.actor()
    engine = obj.engine()
    with read_session(engine) as session:
        try:
            v = find_vehicle(session, store_id, plate)
        except AdoptionError as exc:
            fail(str(exc))
        staff_id = _staff_id(session, store_id, sa) if sa else None
        if staff_id is None and actor.staff_id is None:
            from store.adoption import owner_sa

            owner = owner_sa(session, v.id, as_of=clock.today())
            if owner is None:
                fail(f"{v.plate} is adopted by nobody: say who called with --sa NAME")
            staff_id = owner.id
    if v.customer_id is None:
        fail(f"{plate}: no owner on record")
    pleased = None
    if satisfied is not None:
        words = {"yes": True, "y": True, "满意": True, "no": False, "n": False, "不满意": False}
        if satisfied.strip().lower() not in words:
            fail(f"--satisfied {satisfied!r}: yes or no")
        pleased = words[satisfied.strip().lower()]
    try:
        when = parse_when(at, today=clock.today()) if at else None
        cb = parse_day(callback, today=clock.today()) if callback else None
        result = in_transaction(engine, lambda s: log_call(
            s, actor, customer_id=v.customer_id, vehicle_id=v.id, outcome=outcome, appointment_at=when,
            callback_on=cb, reason=reason, note=note, staff_id=staff_id, satisfied=pleased, scores=scores,
            insurer=insurer,
            task_ids=due_task_ids(s, v.customer_id)))
    except (CallError, AccessDenied, FieldError) as exc:
        fail(str(exc))
    msg = f"{v.plate}: {outcome}"
    if result.appointment_at:
        msg += f", appointment {result.appointment_at:%Y-%m-%d %H:%M}"
    if result.callback_on:
        msg += f", next call {result.callback_on}"
    if outcome == "no_answer":
        msg += f" (try {result.attempt})" + ("" if result.callback_on else ", no more tries")
    if result.complaint_opened:
        msg += f"; a low score opened complaint {result.complaint_opened} (the manager's)"
    if result.renewal_policies:
        msg += f"; renewal recorded ({', '.join(result.renewal_policies)})"
    typer.echo(msg)


@app.command("arrivals")
def arrivals_cmd(
    ctx: typer.Context,
    day: str | None = typer.Option(None, "--date", help="The day (YYYY-MM-DD; default today)."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """The day's expected arrivals 预约到店: every appointment booked for that day."""
    from store.calls import arrivals

    obj = ctx_obj(ctx)
    when = _day(day)
    store_id = obj.store_id()
    with read_session(obj.engine()) as session:
        lines = arrivals(session, store_id=store_id, day=when, actor=obj.actor())
    if fmt is OutputFormat.json:
        emit_json([x.as_dict() for x in lines])
        return
    if not lines:
        typer.echo(f"{when}: 没有预约 (no appointments)")
        return
    table = Table("time", "plate", "customer", "phone", "model", "SA", "arrived", "note", title=f"预约到店 {when}")
    for x in lines:
        add_safe_row(table, f"{x.at:%H:%M}", x.plate or "", x.customer + (" (勿扰)" if x.do_not_contact else ""),
                      x.phone or "", x.model or "", x.staff or "", "✓" if x.arrived else "", x.note or "")
    output_console().print(table)


# --- report calls ------------------------------------------------------------------------


@report_app.command("calls")
def report_calls(
    ctx: typer.Context,
    date_from: str = typer.Option(..., "--from", help="First day (YYYY-MM-DD)."),
    date_to: str = typer.Option(..., "--to", help="Last day (YYYY-MM-DD)."),
    by: str | None = typer.Option(None, "--by", help="sa or store (comma list)."),
    fmt: ReportFormat = FORMAT,
    out: Path | None = OUT,
) -> None:
    """Calls made, reached, booked, showed up, and output and oil share before/after adoption, per SA."""
    from store.reports import parse_dimensions
    from store.reports.calls import DIMENSIONS, calls_report

    obj = ctx_obj(ctx)
    lo, hi = _day(date_from, "--from"), _day(date_to, "--to")
    try:
        dims = parse_dimensions(by, DIMENSIONS)
        with read_session(obj.reports_engine()) as session:
            report = calls_report(session, date_from=lo, date_to=hi, by=dims, store_ids=report_store_ids(obj))
    except ValueError as exc:
        fail(str(exc))

    def book():  # the workbook: per SA with its chart, pitches and bookings per SA/CA
        from store.reports.books import calls_book

        with read_session(obj.reports_engine()) as session:
            return calls_book(session, date_from=lo, date_to=hi, by=dims, store_ids=report_store_ids(obj))

    emit(report, fmt, out, language=obj.language(), book=book, age=obj.replica_age())
