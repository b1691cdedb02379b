"""``dealerdesk member join|renew|topup|spend|leave|show|bill|lapse|reminders|tiers|tier-set|benefit|benefit-set``.

Amounts are typed in yuan (``300``, ``99.50``) and kept in fen.
"""

from __future__ import annotations

from pathlib import Path

import typer

from store.db import read_session
from store.members import fmt_yuan, parse_yuan
from store.validation import strip_controls
from tui.cli.common import OutputFormat, app, ctx_obj, emit_json, fail
from tui.cli.points_cmds import CUSTOMER_HELP, _print_table, customer_id, visit_of_ro, write

member_app = typer.Typer(help="Memberships 会员: join, renew, top up, leave, show, the member bill.",
                         no_args_is_help=True)
app.add_typer(member_app, name="member")

STATES = {"active": "active 有效", "grace": "expired, may renew 宽限期", "lapsed": "lapsed 失效", "left": "left 已退会"}


def _yuan(text: str | None, option: str) -> int | None:
    if text is None:
        return None
    from store.members import MembershipError

    try:
        return parse_yuan(text)
    except MembershipError as exc:
        fail(f"{option}: {exc}")


def _card_lines(card) -> list[str]:
    lines = [f"{card.customer_name}  {card.number or ''}  {card.scheme}  {STATES.get(card.state, card.state)}"]
    if card.tier:
        lines.append(f"tier {card.tier.code} {card.tier.name}: {card.tier.discount_pct / 10:g}折, "
                     f"points x{card.tier.points_multiplier_pct / 100:g}"
                     + (f", {strip_controls(card.tier.benefits)}" if card.tier.benefits else ""))
    lines.append(f"since {card.started_on}" + (f", expires {card.expires_on}" if card.expires_on else "")
                 + (f", renew by {card.renew_by}" if card.renew_by and card.state in ("active", "grace") else "")
                 + (f", ended {card.ended_on}" if card.ended_on else ""))
    if card.scheme in ("stored", "both"):
        extra = "  (low: remind to top up)" if card.low_balance else ""
        if card.stored_lapses_on and card.state in ("active", "grace"):
            extra += f"  (lapses {card.stored_lapses_on} if it stays at zero)"
        lines.append(f"stored value {fmt_yuan(card.stored_value_fen)}{extra}")
    lines.append(f"points {card.points}" + (f" (owed {card.points_owed})" if card.points_owed else ""))
    if card.benefits:
        year = card.benefits[0]
        lines.append(f"本年剩余 ({year.year_start} – {year.year_end}): "
                     + ", ".join(f"{strip_controls(b.left_words())} {b.code}" for b in card.benefits))
    for lot in card.expiring:
        lines.append(f"  {lot.points} points expire after {lot.expires_on}")
    return lines


@member_app.command("join")
def join(
    ctx: typer.Context,
    customer: str = typer.Argument(..., help=CUSTOMER_HELP),
    scheme: str = typer.Option(..., "--scheme", help="annual 年费 | stored 储值 | both 年费+储值"),
    tier: str | None = typer.Option(None, "--tier", help="Tier code (default: what their spend earns, else the lowest)."),
    fee: str | None = typer.Option(None, "--fee", help="Fee in yuan (default: the store's annual fee; 0 for stored)."),
    topup: str | None = typer.Option(None, "--topup", help="Initial stored value in yuan."),
    key: str | None = typer.Option(None, "--key", help="Idempotency key: the same key twice joins once."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """Sign a customer up 入会."""
    from store import members

    cid = customer_id(ctx, customer)
    actor = ctx_obj(ctx).actor()
    fee_fen, topup_fen = _yuan(fee, "--fee"), _yuan(topup, "--topup") or 0
    card = write(ctx, lambda s: members.join(s, customer_id=cid, scheme=scheme, actor=actor, tier_code=tier,
                                             fee_fen=fee_fen, topup_fen=topup_fen, key=key))
    if fmt is OutputFormat.json:
        emit_json(card.as_dict())
        return
    typer.echo("\n".join(["joined:"] + _card_lines(card)))


@member_app.command("renew")
def renew(
    ctx: typer.Context,
    customer: str = typer.Argument(..., help=CUSTOMER_HELP),
    fee: str | None = typer.Option(None, "--fee", help="Fee in yuan (default: the store's annual fee)."),
    key: str | None = typer.Option(None, "--key", help="Idempotency key: the same key twice renews once."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """Renew 续会 for one more term from the OLD expiry (up to 3 months after it)."""
    from store import members

    cid = customer_id(ctx, customer)
    actor = ctx_obj(ctx).actor()
    fee_fen = _yuan(fee, "--fee")
    result = write(ctx, lambda s: members.renew(s, customer_id=cid, actor=actor, fee_fen=fee_fen, key=key))
    if fmt is OutputFormat.json:
        emit_json(result.as_dict())
        return
    if result.replayed:
        typer.echo(f"already renewed with this key: in force until {result.new_expires_on}")
        return
    tier = f"; tier {result.tier_change}" if result.tier_change else ""
    typer.echo(f"renewed: {result.old_expires_on} -> {result.new_expires_on}, fee {fmt_yuan(result.fee_fen)}{tier}")


def _stored(ctx, customer, amount, key, fmt, fn_name: str, visit_ro: str | None = None) -> None:
    from store import members

    cid = customer_id(ctx, customer)
    obj = ctx_obj(ctx)
    actor = obj.actor()
    fen = _yuan(amount, "amount")
    visit_id = visit_of_ro(ctx, visit_ro) if visit_ro else None
    fn = getattr(members, fn_name)
    extra = {"visit_id": visit_id} if fn_name == "spend" else {}
    result = write(ctx, lambda s: fn(s, customer_id=cid, amount_fen=fen, actor=actor, key=key, **extra))
    if fmt is OutputFormat.json:
        emit_json(result.as_dict())
        return
    prefix = "already done with this key: " if result.replayed else ""
    typer.echo(f"{prefix}{result.kind} {fmt_yuan(abs(result.amount_fen))}, stored value {fmt_yuan(result.balance_fen)}")


@member_app.command("topup")
def topup(
    ctx: typer.Context,
    customer: str = typer.Argument(..., help=CUSTOMER_HELP),
    amount: str = typer.Argument(..., help="Yuan."),
    key: str | None = typer.Option(None, "--key", help="Idempotency key: the same key twice tops up once."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """Top up stored value 充值."""
    _stored(ctx, customer, amount, key, fmt, "topup")


@member_app.command("spend")
def spend(
    ctx: typer.Context,
    customer: str = typer.Argument(..., help=CUSTOMER_HELP),
    amount: str = typer.Argument(..., help="Yuan."),
    ro: str | None = typer.Option(None, "--ro", help="The RO paid."),
    key: str | None = typer.Option(None, "--key", help="Idempotency key: the same key twice pays once."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """Pay from stored value 储值消费 (never below zero)."""
    _stored(ctx, customer, amount, key, fmt, "spend", visit_ro=ro)


@member_app.command("leave")
def leave(
    ctx: typer.Context,
    customer: str = typer.Argument(..., help=CUSTOMER_HELP),
    reason: str = typer.Option("", "--reason"),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """End a membership on request 退会; stored value (the deposit) is paid back."""
    from store import members

    cid = customer_id(ctx, customer)
    actor = ctx_obj(ctx).actor()
    result = write(ctx, lambda s: members.leave(s, customer_id=cid, actor=actor, reason=reason))
    if fmt is OutputFormat.json:
        emit_json(result.as_dict())
        return
    refund = f", {fmt_yuan(result.refund_fen)} stored value paid back" if result.refund_fen else ""
    typer.echo(f"left on {result.ended_on}{refund}")


@member_app.command("show")
def show(
    ctx: typer.Context,
    customer: str = typer.Argument(..., help=CUSTOMER_HELP),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """The membership: scheme, state, tier, expiry and renewal deadline, stored value, points."""
    from store import members

    cid = customer_id(ctx, customer)
    with read_session(ctx_obj(ctx).engine()) as session:
        card = members.member_card(session, customer_id=cid, actor=ctx_obj(ctx).actor())
    if fmt is OutputFormat.json:
        emit_json(card.as_dict() if card else None)
        return
    if card is None:
        typer.echo("not a member")
        return
    typer.echo("\n".join(_card_lines(card)))


@member_app.command("bill")
def bill(
    ctx: typer.Context,
    customer: str = typer.Argument(..., help=CUSTOMER_HELP),
    year: int = typer.Option(..., "--year", min=2000, max=2100),
    out: Path | None = typer.Option(None, "--out", help="Write the bill to this .xlsx file."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """The member bill 会员服务帐单: what membership saved this customer in a year."""
    from store import members

    cid = customer_id(ctx, customer)
    with read_session(ctx_obj(ctx).engine()) as session:
        result = members.member_bill(session, customer_id=cid, year=year, actor=ctx_obj(ctx).actor())
    if out is not None:
        if out.suffix.lower() != ".xlsx":
            fail("--out must name an .xlsx file")
        try:
            members.write_member_bill_xlsx(result, out)
        except OSError as exc:
            fail(f"cannot write {out}: {exc.strerror or exc}")
    if fmt is OutputFormat.json:
        emit_json(result.as_dict())
        return
    _print_table(["date", "kind", "what", "saved", "points"],
                 [[x.day, x.kind, x.description, fmt_yuan(x.saved_fen), x.points or ""] for x in result.lines])
    typer.echo(f"{strip_controls(result.customer_name or '')} {result.year}: discounts {fmt_yuan(result.discount_fen)}, free services "
               f"{fmt_yuan(result.free_services_fen)}, points used {result.points_used} "
               f"({fmt_yuan(result.points_value_fen)}); saved {fmt_yuan(result.total_saved_fen)}, "
               f"fees paid {fmt_yuan(result.fees_paid_fen)}")
    if out is not None:
        typer.echo(f"wrote {out}")


@member_app.command("lapse")
def lapse(ctx: typer.Context, fmt: OutputFormat = typer.Option(OutputFormat.text, "--format")) -> None:
    """Mark lapsed what the dates say has lapsed (fee past its grace, stored value at zero too long)."""
    from store import members

    obj = ctx_obj(ctx)
    store_id, actor = obj.store_id(), obj.actor()
    lines = write(ctx, lambda s: members.sweep_lapses(s, store_id=store_id, actor=actor))
    if fmt is OutputFormat.json:
        emit_json([x.as_dict() for x in lines])
        return
    for x in lines:
        typer.echo(f"{x.customer_name} (id:{x.customer_id}) {x.scheme}: lapsed {x.ended_on}, {x.reason}")
    typer.echo(f"{len(lines)} memberships lapsed")


@member_app.command("reminders")
def reminders(
    ctx: typer.Context,
    within: int = typer.Option(30, "--within", help="Renewals due within N days."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """Low stored value (top-up reminder) and renewals due."""
    from store import members

    obj = ctx_obj(ctx)
    with read_session(obj.engine()) as session:
        lines = members.reminders(session, store_id=obj.store_id(), renewal_within_days=within, actor=obj.actor())
    if fmt is OutputFormat.json:
        emit_json([x.as_dict() for x in lines])
        return
    _print_table(["customer", "phone", "no.", "kind", "detail"],
                 [[f"{x.customer_name} (id:{x.customer_id})", x.phone, x.number, x.kind, x.detail] for x in lines])


@member_app.command("tiers")
def tiers(ctx: typer.Context, fmt: OutputFormat = typer.Option(OutputFormat.text, "--format")) -> None:
    """The store's tiers 会员等级 and their benefits 会员权益 (quota per membership year, list price)."""
    from store import benefits, members

    obj = ctx_obj(ctx)
    with read_session(obj.engine()) as session:
        rows = members.tiers(session, store_id=obj.store_id())
        offered = benefits.tier_benefits(session, store_id=obj.store_id())
    by_tier: dict[str, list] = {}
    for b in offered:
        by_tier.setdefault(b.tier_code, []).append(b)
    if fmt is OutputFormat.json:
        emit_json([t.as_dict() | {"tier_benefits": [b.as_dict() for b in by_tier.get(t.code, [])]} for t in rows])
        return

    def listed(code: str, text: str | None) -> str:
        items = [f"{b.name} {b.code} {'不限' if b.quota is None else f'{b.quota}次/年'} {fmt_yuan(b.price_fen)}"
                 for b in by_tier.get(code, [])]
        return "; ".join(items) or (text or "")

    _print_table(["code", "name", "rank", "single spend", "cumulative", "discount", "points x", "benefits"],
                 [[t.code, t.name, t.rank, fmt_yuan(t.min_single_spend_fen) if t.min_single_spend_fen else "-",
                   fmt_yuan(t.min_cumulative_spend_fen) if t.min_cumulative_spend_fen else "-",
                   f"{t.discount_pct / 10:g}折", f"{t.points_multiplier_pct / 100:g}", listed(t.code, t.benefits)]
                  for t in rows])


@member_app.command("tier-set")
def tier_set(
    ctx: typer.Context,
    code: str = typer.Argument(...),
    name: str = typer.Argument(...),
    rank: int = typer.Option(..., "--rank", help="1 = lowest."),
    single: str | None = typer.Option(None, "--single", help="Entry by one visit's spend, yuan."),
    cumulative: str | None = typer.Option(None, "--cumulative", help="Entry by the window's total spend, yuan."),
    discount: int = typer.Option(100, "--discount", help="Percent paid: 95 = 9.5折."),
    multiplier: int = typer.Option(100, "--multiplier", help="Points multiplier in percent: 150 = 1.5x."),
    benefits: str | None = typer.Option(None, "--benefits"),
) -> None:
    """Add or change a tier."""
    from store import members

    obj = ctx_obj(ctx)
    store_id, actor = obj.store_id(), obj.actor()
    single_fen, cum_fen = _yuan(single, "--single"), _yuan(cumulative, "--cumulative")
    t = write(ctx, lambda s: members.set_tier(s, store_id=store_id, code=code, name=name, rank=rank,
                                              min_single_spend_fen=single_fen, min_cumulative_spend_fen=cum_fen,
                                              discount_pct=discount, points_multiplier_pct=multiplier,
                                              benefits=benefits, actor=actor))
    typer.echo(f"tier {t.code} {t.name} (rank {t.rank}) saved")


def _benefit_write(ctx: typer.Context, work):
    from store.benefits import BenefitError

    try:
        return write(ctx, work)
    except BenefitError as exc:
        fail(str(exc))


@member_app.command("benefit")
def benefit(
    ctx: typer.Context,
    customer: str = typer.Argument(..., help=CUSTOMER_HELP),
    name: str = typer.Argument(..., help="The tier's benefit, by code or name (see `member tiers`): WASH, 免费洗车."),
    key: str | None = typer.Option(None, "--key", help="Idempotency key: the same key twice records once."),
    ro: str | None = typer.Option(None, "--ro", help="The RO it was given with."),
    fmt: OutputFormat = typer.Option(OutputFormat.text, "--format"),
) -> None:
    """Record a tier benefit 会员权益 a member used (refused past its quota for the membership year);
    it counts in the member bill at its list price."""
    from store import benefits

    cid = customer_id(ctx, customer)
    obj = ctx_obj(ctx)
    actor = obj.actor()
    visit_id = visit_of_ro(ctx, ro) if ro else None
    result = _benefit_write(ctx, lambda s: benefits.use_benefit(s, customer_id=cid, benefit=name, actor=actor,
                                                                 key=key, visit_id=visit_id))
    if fmt is OutputFormat.json:
        emit_json(result.as_dict())
        return
    b = result.line
    said = "recorded" if result.status == "recorded" else f"already recorded with key {result.key}"
    typer.echo(f"{said}: {strip_controls(b.name)} {b.code} ({fmt_yuan(result.value_fen)}); "
               f"本年剩余 {strip_controls(b.left_words())}")


@member_app.command("benefit-set")
def benefit_set(
    ctx: typer.Context,
    tier: str = typer.Argument(..., help="Tier code (see `member tiers`)."),
    code: str = typer.Argument(..., help="Benefit code, e.g. WASH."),
    name: str = typer.Argument(..., help="Its name, e.g. 免费洗车."),
    kind: str = typer.Option("service", "--kind", help="service 服务 | gift 礼品"),
    quota: int | None = typer.Option(None, "--quota", help="Times per membership year (leave out: unlimited)."),
    price: str = typer.Option(..., "--price", help="List price in yuan (its value in the member bill)."),
    inactive: bool = typer.Option(False, "--inactive", help="Withdraw it."),
) -> None:
    """Add or change a tier's benefit 会员权益."""
    from store import benefits

    obj = ctx_obj(ctx)
    store_id, actor = obj.store_id(), obj.actor()
    price_fen = _yuan(price, "--price")
    b = _benefit_write(ctx, lambda s: benefits.set_benefit(s, store_id=store_id, tier_code=tier, code=code, name=name,
                                                            kind=kind, quota=quota, price_fen=price_fen,
                                                            active=not inactive, actor=actor))
    typer.echo(f"tier {b.tier_code}: {strip_controls(b.name)} {b.code} "
               f"{'unlimited' if b.quota is None else f'{b.quota} a membership year'}, {fmt_yuan(b.price_fen)}"
               + ("" if b.active else " (withdrawn)"))
