"""``dealerdesk points earn|redeem|adjust|history|check|expire|reverse|catalog|...``.

A refused action prints one line and exits 1 with every balance unchanged (the
work runs in one transaction that rolls back).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar

import typer
from rich.table import Table

from store.access import AccessDenied
from store.customer_ref import AmbiguousCustomer, CustomerNotFound, resolve_customer
from store.db import in_transaction, read_session
from store.members import MembershipError
from store.points import PointsError
from tui.cli.common import OutputFormat, app, ctx_obj, emit_json, cli_day, fail, output_console, shown

T = TypeVar("T")

points_app = typer.Typer(help="Points 积分: earn, redeem, adjust, history, check, expire.", no_args_is_help=True)
app.add_typer(points_app, name="points")

CUSTOMER_HELP = "The customer: a plate (or part of one), a phone number, or id:N."


def visit_of_ro(ctx: typer.Context, ro_number: str, *, shown_as: str | None = None) -> int:
    """The visit id of an RO number in the store acted for; else the command fails."""
    from store.points import visit_id_of

    obj = ctx_obj(ctx)
    with read_session(obj.engine()) as session:
        visit_id = visit_id_of(session, store_id=obj.store_id(), ro_number=ro_number)
    if visit_id is None:
        fail(f"no RO {shown_as if shown_as is not None else ro_number!r} in this store")
    return visit_id


def customer_id(ctx: typer.Context, query: str) -> int:
    """Resolve a customer reference in this command's store, or fail with the candidates."""
    obj = ctx_obj(ctx)
    store_id = obj.store_id()
    with read_session(obj.engine()) as session:
        try:
            return resolve_customer(session, query, store_id=store_id, actor=obj.actor()).id
        except (CustomerNotFound, AmbiguousCustomer, AccessDenied) as exc:
            fail(str(exc))


def write(ctx: typer.Context, work: Callable) -> T:
    """Run ``work(session)`` in one retried write transaction; a refusal is one line, exit 1."""
    try:
        return in_transaction(ctx_obj(ctx).engine(), work)
    except (PointsError, MembershipError) as exc:
        fail(str(exc))


def _print_table(columns: list[str], rows: list[list]) -> None:
    table = Table(*columns)
    for row in rows:
        table.add_row(*[shown(v) for v in row])
    output_console().print(table)


@points_app.command("earn")
def earn(
    ctx: typer.Context,
    ro_number: str | None = typer.Argument(None, help="The RO number 工单号 to credit."),
    all_: bool = typer.Option(False, "--all", help="Every settled visit not yet credited, and every cancelled RO taken back."),
    since: str | None = typer.Option(None, "--since", help="With --all: visits from this date (YYYY-MM-DD)."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """Credit the points of a settled RO (once, however often it is run); a cancelled RO gives them back."""
    from store import points

    obj = ctx_obj(ctx)
    store_id, actor = obj.store_id(), obj.actor()
    if all_ == bool(ro_number):
        fail("give an RO number or --all")
    if all_:
        since_day = _date(since, "--since") if since else None
        results = write(ctx, lambda s: points.sync_visits(s, store_id=store_id, since=since_day, actor=actor))
    else:
        visit_id = visit_of_ro(ctx, ro_number.strip(), shown_as=ro_number)
        results = [write(ctx, lambda s: points.earn_for_visit(s, visit_id=visit_id, actor=actor))]
    if fmt is OutputFormat.json:
        emit_json([r.as_dict() for r in results])
        return
    if all_:
        earned = sum(r.points for r in results if r.status == "earned")
        taken = sum(-r.points for r in results if r.status == "reversed")
        typer.echo(f"{sum(r.status == 'earned' for r in results)} ROs credited ({earned} points), "
                   f"{sum(r.status == 'reversed' for r in results)} cancelled ROs taken back ({taken} points)")
        return
    r = results[0]
    messages = {
        "earned": f"{r.ro_number}: +{r.points} points, balance {r.balance}",
        "already": f"{r.ro_number}: already credited ({r.points} points); nothing added",
        "reversed": f"{r.ro_number}: cancelled, {-r.points} points taken back, balance {r.balance}"
                    + (f"; {r.owed} points owed (already spent)" if r.owed else ""),
        "already_reversed": f"{r.ro_number}: already taken back; nothing changed",
        "skipped": f"{r.ro_number}: no points ({r.reason})",
    }
    typer.echo(messages[r.status])


def _date(text: str, option: str) -> date:
    return cli_day(text, option)


@points_app.command("redeem")
def redeem(
    ctx: typer.Context,
    customer: str = typer.Argument(..., help=CUSTOMER_HELP),
    item: str | None = typer.Argument(None, help="Catalog code (see `points catalog`)."),
    qty: int = typer.Option(1, "--qty", help="Quantity."),
    money: int | None = typer.Option(None, "--money", help="Redeem this many points against money instead (if the store allows)."),
    key: str | None = typer.Option(None, "--key", help="Idempotency key: the same key twice redeems once."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """Redeem points for a catalog item (or money). Refused when the balance or stock is short."""
    from store import points

    if (item is None) == (money is None):
        fail("give a catalog item or --money POINTS")
    cid = customer_id(ctx, customer)
    actor = ctx_obj(ctx).actor()
    if money is not None:
        result = write(ctx, lambda s: points.redeem_for_money(s, customer_id=cid, points=money, key=key, actor=actor))
    else:
        try:
            result = points.redeem_now(ctx_obj(ctx).engine(), customer_id=cid, item_code=item, quantity=qty, key=key,
                                       actor=actor)
        except PointsError as exc:
            fail(str(exc))
    if fmt is OutputFormat.json:
        emit_json(result.as_dict())
        return
    what = f"{result.item_name} x{result.quantity}" if result.item_code else f"¥{result.money_fen / 100:,.2f}"
    prefix = f"already redeemed with key {result.key}: " if result.replayed else ""
    typer.echo(f"{prefix}{what} for {result.points} points, balance {result.balance} (entry {result.entry_id})")


@points_app.command("adjust")
def adjust(
    ctx: typer.Context,
    customer: str = typer.Argument(..., help=CUSTOMER_HELP),
    points_: int = typer.Option(..., "--points", help="Signed: 50 adds, -50 takes away."),
    reason: str = typer.Option(..., "--reason", help="Why (kept in the ledger)."),
    key: str | None = typer.Option(None, "--key", help="Idempotency key."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """A manual adjustment 手工调整, with a reason and the staff member (--as CODE)."""
    from store import points

    cid = customer_id(ctx, customer)
    actor = ctx_obj(ctx).actor()
    result = write(ctx, lambda s: points.adjust(s, customer_id=cid, points=points_, reason=reason, actor=actor, key=key))
    if fmt is OutputFormat.json:
        emit_json(result.as_dict())
        return
    typer.echo(f"{'already adjusted: ' if result.replayed else ''}{result.points:+d} points, balance {result.balance}")


@points_app.command("history")
def history(
    ctx: typer.Context,
    customer: str = typer.Argument(..., help=CUSTOMER_HELP),
    limit: int = typer.Option(50, "--limit", min=1, max=10000),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """The customer's ledger, newest first, with the balance after each row."""
    from store import points

    cid = customer_id(ctx, customer)
    with read_session(ctx_obj(ctx).engine()) as session:
        lines = points.history(session, customer_id=cid, limit=limit, actor=ctx_obj(ctx).actor())
    if fmt is OutputFormat.json:
        emit_json([line.as_dict() for line in lines])
        return
    if not lines:
        typer.echo("no points yet")
        return
    _print_table(["entry", "when", "kind", "points", "balance", "what", "staff", "expires"],
                 [[x.entry_id, x.at.strftime("%Y-%m-%d %H:%M"), x.kind, f"{x.points:+d}", x.balance_after,
                   x.description, x.staff, x.expires_on] for x in lines])


@points_app.command("check")
def check(ctx: typer.Context, fmt: OutputFormat = typer.Option(OutputFormat.text, "--format")) -> None:
    """Prove every account's cached balance equals its ledger's sum (and its unspent lots), and every
    stored-value balance the sum of its entries. Exit 1 on any difference."""
    from store import members, points

    obj = ctx_obj(ctx)
    with read_session(obj.engine()) as session:
        result = points.check_ledger(session, store_id=obj.store_id(), actor=obj.actor())
        memberships, stored = members.check_stored_value(session, store_id=obj.store_id())
    if fmt is OutputFormat.json:
        emit_json({"accounts": result.accounts, "differences": [d.__dict__ for d in result.differences],
                   "memberships": memberships, "stored_value_differences": [d.__dict__ for d in stored]})
    else:
        for d in [*result.differences, *stored]:
            typer.echo(d.describe())
        typer.echo(f"{result.accounts} accounts checked, {len(result.differences)} differences; "
                   f"{memberships} stored-value balances checked, {len(stored)} differences")
    if not result.ok or stored:
        raise typer.Exit(1)


@points_app.command("expire")
def expire(ctx: typer.Context, fmt: OutputFormat = typer.Option(OutputFormat.text, "--format")) -> None:
    """Expire points past their last day (oldest first; each lot once). Safe to run daily."""
    from store import points

    obj = ctx_obj(ctx)
    store_id, actor, engine = obj.store_id(), obj.actor(), obj.engine()
    with read_session(engine) as session:
        customers = points.accounts_with_overdue_points(session, store_id=store_id, actor=actor)
    expired = {}
    for cid in customers:  # one short transaction per account: tills keep redeeming meanwhile
        n = write(ctx, lambda s, cid=cid: points.expire_account(s, customer_id=cid, actor=actor))
        if n:
            expired[cid] = n
    if fmt is OutputFormat.json:
        emit_json({"accounts": len(expired), "points": sum(expired.values()),
                   "by_customer": [{"customer_id": k, "points": v} for k, v in expired.items()]})
        return
    typer.echo(f"{sum(expired.values())} points expired on {len(expired)} accounts")


@points_app.command("reverse")
def reverse(
    ctx: typer.Context,
    entry_id: int = typer.Argument(..., help="The ledger entry (see `points history`)."),
    reason: str = typer.Option(..., "--reason"),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """Undo a ledger row with a new row: a redemption gives its points (and stock) back; a credit is taken back."""
    from store import points

    actor = ctx_obj(ctx).actor()
    result = write(ctx, lambda s: points.reverse_entry(s, entry_id=entry_id, reason=reason, actor=actor))
    if fmt is OutputFormat.json:
        emit_json(result.as_dict())
        return
    owed = f"; {result.owed} points owed (already spent)" if result.owed else ""
    typer.echo(f"{'already reversed: ' if result.replayed else ''}{result.points:+d} points, "
               f"balance {result.balance}{owed}")


@points_app.command("reverse-ro")
def reverse_ro(
    ctx: typer.Context,
    ro_number: str = typer.Argument(..., help="The cancelled RO 作废工单."),
    reason: str = typer.Option(..., "--reason", help="Why (kept in the ledger and the audit trail)."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """An RO cancelled in the DMS: mark it cancelled and take back the points it earned (once)."""
    from store import points

    obj = ctx_obj(ctx)
    store_id, actor = obj.store_id(), obj.actor()
    result = write(ctx, lambda s: points.cancel_ro(s, store_id=store_id, ro_number=ro_number, reason=reason,
                                                   actor=actor))
    if fmt is OutputFormat.json:
        emit_json(result.as_dict())
        return
    r = result
    typer.echo({
        "reversed": f"{r.ro_number}: cancelled, {-r.points} points taken back, balance {r.balance}"
                    + (f"; {r.owed} points owed (already spent)" if r.owed else ""),
        "already_reversed": f"{r.ro_number}: cancelled; its points were already taken back, nothing changed",
        "skipped": f"{r.ro_number}: cancelled; it had earned no points",
    }[r.status])


@points_app.command("catalog")
def catalog(
    ctx: typer.Context,
    query: str = typer.Argument("", help="Filter by code, name or pinyin initials."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """What points buy 积分兑换目录."""
    from store import points

    obj = ctx_obj(ctx)
    with read_session(obj.engine()) as session:
        lines = points.catalog(session, store_id=obj.store_id(), query=query)
    if fmt is OutputFormat.json:
        emit_json([x.as_dict() for x in lines])
        return
    _print_table(["code", "name", "category", "points", "stock"],
                 [[x.code, x.name, x.category, x.price_points, "-" if x.stock is None else x.stock] for x in lines])


@points_app.command("catalog-set")
def catalog_set(
    ctx: typer.Context,
    code: str = typer.Argument(...),
    name: str = typer.Argument(...),
    category: str = typer.Option(..., "--category", help="service | accessory | gift"),
    price: int = typer.Option(..., "--points", help="Price in points."),
    stock: int | None = typer.Option(None, "--stock", help="Units in stock (leave out for a service)."),
    inactive: bool = typer.Option(False, "--inactive", help="Withdraw it from the catalog."),
) -> None:
    """Add or change a catalog item."""
    from store import points

    obj = ctx_obj(ctx)
    store_id, actor = obj.store_id(), obj.actor()
    line = write(ctx, lambda s: points.set_catalog_item(s, store_id=store_id, code=code, name=name, category=category,
                                                        price_points=price, stock=stock, active=not inactive,
                                                        actor=actor))
    typer.echo(f"{line.code} {line.name}: {line.price_points} points" + (f", {line.stock} in stock" if line.stock is not None else ""))


@points_app.command("refer")
def refer(
    ctx: typer.Context,
    customer: str = typer.Argument(..., help="The member who refers 推荐人. " + CUSTOMER_HELP),
    friend: str = typer.Option(..., "--friend", help="The friend's name."),
    phone: str | None = typer.Option(None, "--phone", help="The friend's phone: a car bought by it matches the referral."),
) -> None:
    """Record a referral 推荐购车. An import (or `points referral-sold`) that brings the friend's new car
    matches it, and the referrer is rewarded once if a member in force."""
    from store import points

    cid = customer_id(ctx, customer)
    actor = ctx_obj(ctx).actor()
    ref_id = write(ctx, lambda s: points.record_referral(s, referrer_customer_id=cid, friend_name=friend,
                                                         friend_phone=phone, actor=actor).id)
    typer.echo(f"referral {ref_id} recorded" + ("" if phone else "; without the friend's phone it is matched by hand "
                                                "(`points referral-sold`)"))


def _referral_words(r) -> str:
    if r.status == "rewarded":
        return f"referral {r.referral_id}: sold {r.sold_on}, +{r.points} points, balance {r.balance}"
    if r.status == "already_rewarded":
        return f"referral {r.referral_id}: already rewarded ({r.points} points); nothing added"
    return f"referral {r.referral_id}: sale recorded on {r.sold_on}, no points: {r.reason}"


@points_app.command("referral-sold")
def referral_sold(
    ctx: typer.Context,
    referral_id: int = typer.Argument(...),
    sold_on: str | None = typer.Option(None, "--sold-on", help="Sale date (default today)."),
    plate: str | None = typer.Option(None, "--plate", help="The car the friend bought (its whole plate)."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """The referred friend bought a car (a sale entered by hand): reward the referrer once, if a member in force."""
    from store import points

    day = _date(sold_on, "--sold-on") if sold_on else None
    obj = ctx_obj(ctx)
    actor = obj.actor()
    vehicle_id = None
    if plate:
        from store.lookup import lookup as find
        from store.plates import normalize_plate

        with read_session(obj.engine()) as session:
            cars = [m for m in find(session, plate, limit=5, actor=actor)
                    if m.plate and m.plate == normalize_plate(plate) and not m.other_store]
        if len(cars) != 1:
            fail(f"{plate!r} matches {len(cars)} cars: give the whole plate of the car the friend bought")
        vehicle_id = cars[0].vehicle_id
    result = write(ctx, lambda s: points.reward_referral(s, referral_id=referral_id, sold_on=day, vehicle_id=vehicle_id,
                                                         actor=actor))
    if fmt is OutputFormat.json:
        emit_json(result.as_dict())
        return
    typer.echo(_referral_words(result))


@points_app.command("referrals")
def referrals(
    ctx: typer.Context,
    open_: bool = typer.Option(False, "--open", help="Only those whose friend has not bought yet."),
    matched: bool = typer.Option(False, "--matched", help="Only sales matched without points."),
    rewarded: bool = typer.Option(False, "--rewarded", help="Only those rewarded."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """Referrals 推荐购车: open (no sale yet), matched (sold, no points) or rewarded, newest first."""
    from store.referrals import referrals as listed

    if open_ + matched + rewarded > 1:
        fail("choose one of --open, --matched, --rewarded")
    state = "open" if open_ else "matched" if matched else "rewarded" if rewarded else None
    obj = ctx_obj(ctx)
    store_id, actor = obj.store_id(), obj.actor()
    with read_session(obj.engine()) as session:
        lines = listed(session, store_id=store_id, actor=actor, state=state)
    if fmt is OutputFormat.json:
        emit_json([x.as_dict() for x in lines])
        return
    if not lines:
        typer.echo(f"no {state + ' ' if state else ''}referrals")
        return
    _print_table(["id", "referred", "referrer", "friend", "phone", "state", "sold", "car", "points"],
                 [[x.id, x.referred_on, f"{x.referrer} (id:{x.referrer_id})", x.friend_name, x.friend_phone or "",
                   x.state, x.sold_on or "", x.plate or "", x.points or ""] for x in lines])
    counts = {st: sum(1 for x in lines if x.state == st) for st in ("open", "matched", "rewarded")}
    typer.echo(f"{len(lines)} referrals: " + ", ".join(f"{k} {v}" for k, v in counts.items() if v or not state))
