"""``dealerdesk pitches`` (the pitches made between two days) and ``dealerdesk pitch``
(record one, as the counter's pitch form does)."""

from __future__ import annotations

from datetime import date

import typer
from rich.table import Table

from store import clock
from store.db import in_transaction, read_session
from store.lookup import lookup as find
from store.pitches import CHANNELS, OUTCOMES, PitchError, pitch_warning_for, pitches_between, record_pitch
from tui.cli.common import OutputFormat, app, ctx_obj, emit_json, cli_day, fail, output_console, add_safe_row


def _day(value: str | None, option: str) -> date | None:
    return cli_day(value, option)


@app.command("pitches")
def pitches(
    ctx: typer.Context,
    date_from: str = typer.Option(..., "--from", help="First day (YYYY-MM-DD)."),
    date_to: str = typer.Option(..., "--to", help="Last day, included (YYYY-MM-DD)."),
    staff: str | None = typer.Option(None, "--staff", help="Only this staff member's pitches (code)."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """Every member-club pitch made from --from to --to: who, when, where, outcome, follow-up."""
    c = ctx_obj(ctx)
    start, end = _day(date_from, "--from"), _day(date_to, "--to")
    store_id = c.store_id()
    with read_session(c.engine()) as session:
        staff_id = None
        if staff:
            from store.access import StaffNotFound, actor_for

            try:
                staff_id = actor_for(session, staff, store_id=store_id).staff_id
            except StaffNotFound as exc:
                fail(str(exc))
        try:
            lines = pitches_between(session, date_from=start, date_to=end, store_id=store_id, staff_id=staff_id, actor=c.actor())
        except PitchError as exc:
            fail(str(exc))
    if fmt is OutputFormat.json:
        emit_json([line.as_dict() for line in lines])
        return
    if not lines:
        typer.echo(f"no pitches from {start} to {end}")
        return
    table = Table(box=None, pad_edge=False)
    for name in ("when", "staff", "channel", "plate", "customer", "outcome", "reason", "follow-up"):
        table.add_column(name, no_wrap=name != "reason")
    for x in lines:
        add_safe_row(table, x.pitched_at.strftime("%Y-%m-%d %H:%M"), x.staff_name or "", x.channel, x.plate or "",
                      x.customer_name or "", x.outcome, x.reason or "",
                      x.follow_up_on.isoformat() if x.follow_up_on else "")
    output_console().print(table)
    counts = {o: sum(1 for x in lines if x.outcome == o) for o in OUTCOMES}
    typer.echo(f"{len(lines)} pitches: " + ", ".join(f"{o} {n}" for o, n in counts.items()))


@app.command("pitch")
def pitch(
    ctx: typer.Context,
    plate: str = typer.Argument(..., help="The car's plate (as the lookup finds it; must match one car)."),
    outcome: str = typer.Argument(..., help="joined | considering | declined | not_now"),
    reason: str | None = typer.Option(None, "--reason"),
    note: str | None = typer.Option(None, "--note"),
    channel: str = typer.Option("counter", "--channel", help="counter | delivery | phone"),
    follow_up: str | None = typer.Option(None, "--follow-up", help="YYYY-MM-DD (default: by outcome, from the settings)"),
    anyway: bool = typer.Option(False, "--anyway", help="Record it although the customer was pitched recently "
                                "or declined within the quiet period (the counter's form warns the same way)."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """Record a pitch for the owner of a car (as --as CODE, else as the system). Within
    pitch_recent_days of the last pitch, or pitch_declined_quiet_days of a refusal, it
    says so and records nothing unless --anyway."""
    c = ctx_obj(ctx)
    if outcome not in OUTCOMES:
        fail(f"outcome must be one of {', '.join(OUTCOMES)}")
    if channel not in CHANNELS:
        fail(f"channel must be one of {', '.join(CHANNELS)}")
    follow_up_on = _day(follow_up, "--follow-up") if follow_up else "default"
    actor = c.actor()
    store_id = c.store_id()
    with read_session(c.engine()) as session:
        matches = [m for m in find(session, plate, limit=5, actor=actor) if m.plate and plate.upper() in m.plate.upper()]
    if len(matches) != 1 or matches[0].customer_id is None:
        fail(f"{plate!r} matches {len(matches)} cars with an owner: give the whole plate")
    m = matches[0]
    from store.pitches import MAX_NOTE, MAX_REASON
    from store.validation import clean_text

    clean_text(reason, field="reason", max_len=MAX_REASON)  # a bad field is refused before any warning
    clean_text(note, field="note", max_len=MAX_NOTE)
    with read_session(c.engine()) as session:
        warning = pitch_warning_for(session, customer_id=m.customer_id, actor=actor, store_id=store_id)
    if warning is not None and not anyway:
        fail(f"{m.plate}: {warning.describe()}; not recorded (--anyway records it)")
    if warning is not None:
        typer.echo(f"dealerdesk: {m.plate}: {warning.describe()}; recorded anyway", err=True)
    try:
        line = in_transaction(c.engine(), lambda session: record_pitch(
            session, actor=actor, store_id=store_id, customer_id=m.customer_id, vehicle_id=m.vehicle_id,
            outcome=outcome, reason=reason, note=note, channel=channel, follow_up_on=follow_up_on,
            as_of=clock.today()))
    except PitchError as exc:
        fail(str(exc))
    if fmt is OutputFormat.json:
        emit_json(line.as_dict())
        return
    typer.echo(f"pitch {line.id}: {m.plate} {m.owner} {line.outcome}"
               + (f", follow up on {line.follow_up_on}" if line.follow_up_on else ""))
