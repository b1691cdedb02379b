"""``dealerdesk event add|list|show|invite|answer|signup|cancel|checkin|cost`` and
``dealerdesk interest list|show|set|edit``: club events 会员活动 and members'
interests 兴趣爱好 (the rules: :mod:`store.events`, :mod:`store.interests`).

Refusals (a past date, an unknown tier or interest, checking in someone not signed
up without ``--walk-in``...) are one line, exit 1, and change nothing."""

from __future__ import annotations

import typer

from store.db import in_transaction, read_session
from store.members import fmt_yuan, parse_yuan
from tui.cli.common import OutputFormat, app, ctx_obj, emit_json, fail, shown
from tui.cli.points_cmds import CUSTOMER_HELP, _print_table, customer_id

event_app = typer.Typer(help="Club events 会员活动: plan, invite, sign up, check in, costs.", no_args_is_help=True)
app.add_typer(event_app, name="event")
interest_app = typer.Typer(help="Members' interests 兴趣爱好: the store's list and each customer's.",
                           no_args_is_help=True)
app.add_typer(interest_app, name="interest")

FORMAT = typer.Option(OutputFormat.text, "--format", help="text or json")
EVENT = typer.Argument(..., help="The event's number (event list shows it).")


def _write(ctx: typer.Context, work):
    return in_transaction(ctx_obj(ctx).engine(), work)


def _yuan(text: str | None, option: str) -> int:
    if text is None:
        return 0
    from store.members import MembershipError

    try:
        return parse_yuan(text)
    except MembershipError as exc:
        fail(f"{option}: {exc}")


def _summary(line) -> str:
    return (f"#{line.id} {line.starts_at:%Y-%m-%d %H:%M} {line.name} ({line.kind_words()} {line.kind})"
            f"{' @ ' + line.place if line.place else ''}  signed up {line.signed_up + line.attended}/{line.capacity}"
            f", waitlist {line.waitlist}, attended {line.attended}, points {line.points}"
            f"{'  CANCELLED' if line.status == 'cancelled' else ''}")


@event_app.command("add")
def add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The event's name, e.g. 安全驾驶讲堂."),
    kind: str = typer.Option(..., "--kind", help="class 讲堂 | trip 自驾游 | party 联谊会 | campaign 服务活动 | other"),
    when: str = typer.Option(..., "--date", help="Date and time: 2026-12-05 14:00, 12-05 14:00, +7 19:00."),
    capacity: int = typer.Option(..., "--capacity", help="Seats; sign-ups past it join the waitlist."),
    place: str | None = typer.Option(None, "--place", help="Where."),
    budget: str | None = typer.Option(None, "--budget", help="Budget in yuan."),
    points: int = typer.Option(0, "--points", help="Points for attending, once per attendee."),
    tiers: str | None = typer.Option(None, "--tiers", help="Target: tier codes, comma separated (gold,diamond)."),
    classes: str | None = typer.Option(None, "--classes", help="Target: loyal, relatively_loyal, general, at_risk, churned."),
    interests: str | None = typer.Option(None, "--interests", help="Target: interests (sports,cars; interest list)."),
    models: str | None = typer.Option(None, "--models", help="Target: models (a part of the name matches)."),
    regions: str | None = typer.Option(None, "--regions", help="Target: regions."),
    car_age_min: int | None = typer.Option(None, "--car-age-min", help="Target: cars at least this many years old."),
    car_age_max: int | None = typer.Option(None, "--car-age-max", help="Target: cars at most this many years old."),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Plan an event (member specialists and managers)."""
    from store import events

    obj = ctx_obj(ctx)
    store_id, actor = obj.store_id(), obj.actor()
    target = {k: v for k, v in dict(tiers=tiers, classes=classes, interests=interests, models=models,
                                    regions=regions, car_age_min=car_age_min, car_age_max=car_age_max).items()
              if v is not None}
    budget_fen = _yuan(budget, "--budget")
    line = _write(ctx, lambda s: events.add_event(
        s, store_id=store_id, name=name, kind=kind, starts_at=events.parse_start(when), capacity=capacity,
        actor=actor, place=place, budget_fen=budget_fen, points=points, target=target))
    if fmt is OutputFormat.json:
        emit_json(line.as_dict())
        return
    typer.echo(_summary(line))


@event_app.command("list")
def list_(
    ctx: typer.Context,
    all_: bool = typer.Option(False, "--all", help="Cancelled ones too."),
    fmt: OutputFormat = FORMAT,
) -> None:
    """The store's events from 30 days ago on, soonest first."""
    from store import events

    obj = ctx_obj(ctx)
    store_id, actor = obj.store_id(), obj.actor()
    with read_session(obj.engine()) as session:
        lines = events.list_events(session, store_id=store_id, actor=actor, include_cancelled=all_)
    if fmt is OutputFormat.json:
        emit_json([line.as_dict() for line in lines])
        return
    if not lines:
        typer.echo("no events 没有活动")
        return
    _print_table(["#", "date 日期", "event 活动", "kind 类型", "place 地点", "signed up 报名", "waitlist 候补",
                  "attended 签到", "points 积分"],
                 [[e.id, f"{e.starts_at:%Y-%m-%d %H:%M}", e.name, e.kind_words(), e.place or "",
                   f"{e.signed_up + e.attended}/{e.capacity}", e.waitlist, e.attended, e.points] for e in lines])


@event_app.command("show")
def show(ctx: typer.Context, event_id: int = EVENT, fmt: OutputFormat = FORMAT) -> None:
    """One event: its target, budget, costs, invitations and who signed up."""
    from store import events

    obj = ctx_obj(ctx)
    actor = obj.actor()
    with read_session(obj.engine()) as session:
        line = events.get_event(session, event_id=event_id, actor=actor)
        people = events.signups(session, event_id=event_id, actor=actor)
    if fmt is OutputFormat.json:
        emit_json({**line.as_dict(), "signups": [p.as_dict() for p in people]})
        return
    typer.echo(_summary(line))
    target = ", ".join(f"{k}: {','.join(map(str, v)) if isinstance(v, list) else v}" for k, v in line.target.items())
    typer.echo(f"target 目标: {target or 'everyone 全部客户'}")
    typer.echo(f"budget 预算 {fmt_yuan(line.budget_fen)}, costs 费用 {fmt_yuan(line.cost_fen)}, "
               f"invited 已邀约 {line.invited}, seats left 余位 {line.seats_left}")
    if people:
        words = {k: f"{en} {zh}" for k, (zh, en) in events.STATUSES.items()}
        _print_table(["customer 客户", "plates 车牌", "status 状态", "walk-in", "checked in 签到"],
                     [[p.name, " ".join(p.plates), words[p.status] + (f" #{p.position}" if p.position else ""),
                       "yes" if p.walk_in else "", f"{p.checked_in_at:%H:%M}" if p.checked_in_at else ""]
                      for p in people])


@event_app.command("invite")
def invite(
    ctx: typer.Context,
    event_id: int = EVENT,
    limit: int | None = typer.Option(None, "--limit", help="Invite at most this many (the list's first)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the list; invite nobody."),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Turn the event's target into invitations on the owning SAs' call lists:
    members first, by value; no do-not-contact customers; none at the contact cap."""
    from store import events

    obj = ctx_obj(ctx)
    actor = obj.actor()
    if dry_run:
        with read_session(obj.engine()) as session:
            found = events.invitation_list(session, event_id=event_id, actor=actor, limit=limit)
    else:
        found = _write(ctx, lambda s: events.invite(s, event_id=event_id, actor=actor, limit=limit))
    if fmt is OutputFormat.json:
        emit_json(found.as_dict())
        return
    verb = "would invite 将邀约" if dry_run else "invited 已邀约"
    typer.echo(f"{verb} {len(found.invitees)}; held back by the contact cap 超出联系上限 {len(found.held_back)}; "
               f"do not contact 勿扰 {found.do_not_contact}; invited or signed up before 已邀约/已报名 {found.already}")
    if found.invitees:
        _print_table(["customer 客户", "member 会员", "value 产值", "SA 服务顾问"],
                     [[i.name, "yes" if i.member else "", fmt_yuan(i.value_fen), i.owner_name or "-"]
                      for i in found.invitees])


def _said(result, fmt: OutputFormat) -> None:
    if fmt is OutputFormat.json:
        emit_json(result.as_dict())
        return
    from store.events import STATUSES

    zh, en = STATUSES[result.status]
    text = f"{result.name}: {en} {zh}"
    if result.position:
        text += f" (waitlist #{result.position} 候补第 {result.position} 位)"
    if result.walk_in:
        text += " (walk-in 现场报名)"
    if result.points:
        text += f", +{result.points} points 积分"
    elif result.points_note and not result.replayed:
        text += f" ({result.points_note})"
    if result.replayed:
        text += " (already so 已是此状态)"
    if result.moved_up_name:
        text += f"; {result.moved_up_name} moved up from the waitlist 候补转正"
    typer.echo(shown(text).plain)


@event_app.command("signup")
def signup(ctx: typer.Context, event_id: int = EVENT, customer: str = typer.Argument(..., help=CUSTOMER_HELP),
           fmt: OutputFormat = FORMAT) -> None:
    """Sign a customer up 报名; past the capacity they join the waitlist 候补."""
    from store import events

    cid = customer_id(ctx, customer)
    actor = ctx_obj(ctx).actor()
    _said(_write(ctx, lambda s: events.sign_up(s, event_id=event_id, customer_id=cid, actor=actor)), fmt)


@event_app.command("cancel")
def cancel(ctx: typer.Context, event_id: int = EVENT, customer: str = typer.Argument(..., help=CUSTOMER_HELP),
           fmt: OutputFormat = FORMAT) -> None:
    """Cancel a sign-up 取消报名; the first on the waitlist moves up."""
    from store import events

    cid = customer_id(ctx, customer)
    actor = ctx_obj(ctx).actor()
    _said(_write(ctx, lambda s: events.cancel(s, event_id=event_id, customer_id=cid, actor=actor)), fmt)


@event_app.command("checkin")
def checkin(
    ctx: typer.Context,
    event_id: int = EVENT,
    customer: str = typer.Argument(..., help=CUSTOMER_HELP),
    walk_in: bool = typer.Option(False, "--walk-in", help="Let in someone not signed up (现场报名)."),
    fmt: OutputFormat = FORMAT,
) -> None:
    """Check a customer in at the door 签到 and award the event's points once.
    Someone not signed up is refused unless --walk-in."""
    from store import events

    cid = customer_id(ctx, customer)
    actor = ctx_obj(ctx).actor()
    _said(_write(ctx, lambda s: events.check_in(s, event_id=event_id, customer_id=cid, actor=actor,
                                                walk_in=walk_in)), fmt)


@event_app.command("answer")
def answer(
    ctx: typer.Context,
    event_id: int = EVENT,
    customer: str = typer.Argument(..., help=CUSTOMER_HELP),
    outcome: str = typer.Argument(..., help="signed_up 已报名 | not_interested 不感兴趣 | no_answer 无人接听"),
    note: str | None = typer.Option(None, "--note", help="What the customer said."),
) -> None:
    """Log the invitation call's outcome (one contact; signed up signs them up)."""
    from store import events

    cid = customer_id(ctx, customer)
    actor = ctx_obj(ctx).actor()
    result = _write(ctx, lambda s: events.answer_invitation(s, event_id=event_id, customer_id=cid, answer=outcome,
                                                            actor=actor, note=note))
    zh, en = events.ANSWERS[outcome]
    typer.echo(f"logged 已记录: {en} {zh}")
    if result is not None:
        _said(result, OutputFormat.text)


@event_app.command("cost")
def cost(
    ctx: typer.Context,
    event_id: int = EVENT,
    amount: str = typer.Argument(..., help="Yuan, e.g. 800 (negative corrects an earlier entry)."),
    category: str = typer.Option("activity", "--category", help="activity 活动费用 | gift 活动礼品"),
    note: str | None = typer.Option(None, "--note", help="What it was (default: the event's name)."),
    key: str | None = typer.Option(None, "--key", help="Idempotency key: the same key records once."),
) -> None:
    """Record a gift or cost of the event in the club's accounts (department club)."""
    from store import events

    obj = ctx_obj(ctx)
    actor = obj.actor()
    fen = _yuan(amount, "amount")
    line = _write(ctx, lambda s: events.add_cost(s, event_id=event_id, amount_fen=fen, actor=actor,
                                                 category=category, note=note, key=key))
    typer.echo(shown(f"cost #{line.id} {line.day} club {line.category} {fmt_yuan(line.amount_fen)} "
                     f"{line.note or ''}{' (already recorded)' if line.replayed else ''}").plain)


# --- interests -------------------------------------------------------------------------


@interest_app.command("list")
def interest_list(ctx: typer.Context, fmt: OutputFormat = FORMAT) -> None:
    """The store's interests (the care course's seven until the manager edits them)."""
    from store import interests

    obj = ctx_obj(ctx)
    with read_session(obj.engine()) as session:
        rows = interests.catalog(session, store_id=obj.store_id(), include_retired=True)
    if fmt is OutputFormat.json:
        emit_json([r.as_dict() for r in rows])
        return
    for r in rows:
        typer.echo(shown(f"{r.code}  {r.zh}  {r.en}{'' if r.active else '  (retired 停用)'}").plain)


@interest_app.command("show")
def interest_show(ctx: typer.Context, customer: str = typer.Argument(..., help=CUSTOMER_HELP),
                  fmt: OutputFormat = FORMAT) -> None:
    """A customer's interests."""
    from store import interests

    cid = customer_id(ctx, customer)
    obj = ctx_obj(ctx)
    with read_session(obj.engine()) as session:
        rows = interests.of_customer(session, customer_id=cid, actor=obj.actor())
    if fmt is OutputFormat.json:
        emit_json([r.as_dict() for r in rows])
        return
    typer.echo(shown(" ".join(f"{r.zh}({r.code})" for r in rows) or "none 未填写").plain)


@interest_app.command("set")
def interest_set(
    ctx: typer.Context,
    customer: str = typer.Argument(..., help=CUSTOMER_HELP),
    words: str = typer.Argument(..., help="Interests, comma separated: codes or names (sports,美食)."),
    add_: bool = typer.Option(False, "--add", help="Add these to the customer's."),
    remove: bool = typer.Option(False, "--remove", help="Take these off."),
) -> None:
    """Set a customer's interests (exactly these, or --add / --remove)."""
    from store import interests

    if add_ and remove:
        fail("--add or --remove, not both")
    cid = customer_id(ctx, customer)
    actor = ctx_obj(ctx).actor()
    codes = [w for w in words.replace("，", ",").split(",")]
    mode = "add" if add_ else "remove" if remove else "set"
    rows = _write(ctx, lambda s: interests.set_customer_interests(s, customer_id=cid, codes=codes, actor=actor,
                                                                  mode=mode))
    typer.echo(shown("interests 兴趣: " + (" ".join(f"{r.zh}({r.code})" for r in rows) or "none 未填写")).plain)


@interest_app.command("edit")
def interest_edit(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="A short code: golf, tea."),
    name: str = typer.Argument(..., help="The Chinese name: 高尔夫."),
    en: str | None = typer.Option(None, "--en", help="The English name (default: the code)."),
    retire: bool = typer.Option(False, "--retire", help="No longer offered (customers keep it until changed)."),
) -> None:
    """Add, rename or retire an interest of the store's list (managers)."""
    from store import interests

    obj = ctx_obj(ctx)
    store_id, actor = obj.store_id(), obj.actor()
    row = _write(ctx, lambda s: interests.set_interest(s, store_id=store_id, code=code, zh=name, en=en,
                                                       active=not retire, actor=actor))
    typer.echo(shown(f"{row.code}  {row.zh}  {row.en}{'' if row.active else '  (retired 停用)'}").plain)
