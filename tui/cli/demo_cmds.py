"""``dealerdesk demo``: a believable store to try everything on."""

from __future__ import annotations

import typer

from store import clock
from tui.cli.common import app, ctx_obj, fail


@app.command("demo")
def demo(
    ctx: typer.Context,
    vehicles: int = typer.Option(2000, "--vehicles", min=1, help="How many vehicles."),
    seed: int = typer.Option(7, "--seed", help="Random seed: the same seed gives the same store."),
) -> None:
    """Fill the database with a demo store (staff codes and PINs in the README)."""
    from store.access import require_system
    from store.demo import generate
    from tui.run import DEMO_PROGRESS_STEP, demo_progress

    require_system(ctx_obj(ctx).actor(), "building a demo store")
    engine = ctx_obj(ctx).engine(auto_upgrade=True)
    with demo_progress("demo store", vehicles) as progress:
        try:
            summary = generate(engine, vehicles=vehicles, seed=seed, today=clock.today(), progress=progress,
                               batch=max(DEMO_PROGRESS_STEP, min(5000, vehicles // 50)))
        except ValueError as exc:
            fail(str(exc))
    typer.echo(
        f"demo store ready: {summary.vehicles} vehicles, {summary.customers} customers, "
        f"{summary.visits} visits, {summary.members} members, {summary.pitches} pitches"
    )
