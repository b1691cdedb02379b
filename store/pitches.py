"""Pitching the member club 会员推荐: recording a pitch, its follow-up, and who to
follow up.

| outcome | Chinese | follow-up by default (setting ``pitch_follow_up_days``) |
| --- | --- | --- |
| joined | 已入会 | none: membership sign-up takes over; it counts as a conversion only when a membership starts within ``pitch_signup_days`` (30) of the pitch, else it is "joined, not signed up" 已入会（未办卡） |
| considering | 考虑中 | 7 days |
| declined | 拒绝 | 90 days (and no nudge for ``pitch_declined_quiet_days``) |
| not_now | 暂不 / 下次再说 | 30 days |

Channels: counter 前台, delivery 交车 (a sales consultant at new-car delivery),
phone 电话. Every pitch row names the staff member, the store, the channel and the
moment, so the next person at the counter sees it and does not pitch again next week.
The latest pitch of a customer is the one in force: a new pitch supersedes the
follow-up of the one before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from store import clock
from store.validation import clean_text
from store.access import Actor, require, require_customer_access
from store.models import Customer, Membership, Pitch, Vehicle
from store.privacy import mask_phone
from store.settings import get_setting

OUTCOMES = ("joined", "considering", "declined", "not_now")
CHANNELS = ("counter", "delivery", "phone")
# Outcomes that ask for another conversation later: the pitcher's follow-ups.
FOLLOW_UP_OUTCOMES = ("considering", "not_now")

# The reasons offered as choices, per outcome (stored as these words; the store's
# language). Free text may replace or extend them.
REASONS: dict[str, tuple[str, ...]] = {
    "joined": ("折扣优惠", "积分兑换", "储值方便", "免费项目"),
    "considering": ("和家人商量", "考虑费用", "下次来店再定", "比较其他店"),
    "declined": ("价格", "很少来店", "外地工作", "在别家保养", "不感兴趣", "准备卖车"),
    "not_now": ("赶时间", "下次来店再说", "价格"),
}

MAX_REASON = 255
MAX_NOTE = 500


class PitchError(ValueError):
    """A pitch that cannot be recorded as given (a message for the user)."""


@dataclass
class PitchLine:
    id: int
    customer_id: int
    vehicle_id: int | None
    store_id: int
    staff_id: int | None
    staff_name: str | None
    channel: str
    outcome: str
    reason: str | None
    note: str | None
    follow_up_on: date | None
    pitched_at: datetime
    plate: str | None = None
    customer_name: str | None = None
    # For a joined pitch: whether a membership started within pitch_signup_days (None otherwise).
    signed_up: bool | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "signed_up": self.signed_up,
            "id": self.id,
            "pitched_at": self.pitched_at.isoformat(timespec="seconds"),
            "outcome": self.outcome,
            "reason": self.reason,
            "note": self.note,
            "follow_up_on": self.follow_up_on.isoformat() if self.follow_up_on else None,
            "channel": self.channel,
            "staff": self.staff_name,
            "staff_id": self.staff_id,
            "store_id": self.store_id,
            "customer_id": self.customer_id,
            "customer": self.customer_name,
            "vehicle_id": self.vehicle_id,
            "plate": self.plate,
        }


@dataclass
class PitchWarning:
    """Why this customer should not be pitched again yet.

    ``kind`` is ``declined_quiet`` (declined, still inside the quiet period) or
    ``recent`` (pitched within ``pitch_recent_days``)."""

    kind: str
    last: PitchLine
    quiet_until: date | None = None
    recent_days: int | None = None

    def describe(self) -> str:
        """One line (English) for the command line; the screens word it themselves."""
        on = self.last.pitched_at.date().isoformat()
        if self.kind == "declined_quiet":
            return (f"declined on {on}: not to be pitched again before {self.quiet_until.isoformat()} "
                    "(pitch_declined_quiet_days)")
        by = f" by {self.last.staff_name}" if self.last.staff_name else ""
        return f"pitched on {on}{by} ({self.last.outcome}), within {self.recent_days} days (pitch_recent_days)"


@dataclass
class PitchRules:
    recent_days: int
    declined_quiet_days: int
    follow_up_days: dict[str, int]
    signup_days: int = 30

    @classmethod
    def load(cls, session: Session | None, *, store_id: int | None = None) -> PitchRules:
        return cls(
            recent_days=int(get_setting(session, "pitch_recent_days", store_id=store_id)),
            declined_quiet_days=int(get_setting(session, "pitch_declined_quiet_days", store_id=store_id)),
            follow_up_days=dict(get_setting(session, "pitch_follow_up_days", store_id=store_id) or {}),
            signup_days=int(get_setting(session, "pitch_signup_days", store_id=store_id)),
        )


def default_follow_up(outcome: str, *, as_of: date, rules: PitchRules) -> date | None:
    """The follow-up date an outcome gets unless the user gives another."""
    if outcome == "joined":
        return None
    days = rules.follow_up_days.get(outcome)
    return as_of + timedelta(days=int(days)) if days else None


def signed_up(pitched_on: date, membership_starts: list[date], *, within_days: int) -> bool:
    """The one rule of a pitch's conversion: a membership started on the day of the
    pitch or within ``within_days`` after it (the members report counts the same)."""
    return any(pitched_on <= start <= pitched_on + timedelta(days=within_days) for start in membership_starts)


def pitch_warning(last: PitchLine | None, *, as_of: date, rules: PitchRules) -> PitchWarning | None:
    """A pure rule: is pitching this customer again now unwelcome?"""
    if last is None:
        return None
    pitched_on = last.pitched_at.date()
    if last.outcome == "declined":
        quiet_until = pitched_on + timedelta(days=rules.declined_quiet_days)
        if as_of < quiet_until:
            return PitchWarning("declined_quiet", last, quiet_until)
    if (as_of - pitched_on).days < rules.recent_days:
        return PitchWarning("recent", last, recent_days=rules.recent_days)
    return None


def _line(p: Pitch, plate: str | None = None, customer_name: str | None = None) -> PitchLine:
    return PitchLine(
        id=p.id, customer_id=p.customer_id, vehicle_id=p.vehicle_id, store_id=p.store_id, staff_id=p.staff_id,
        staff_name=p.staff_name, channel=p.channel, outcome=p.outcome, reason=p.reason, note=p.note,
        follow_up_on=p.follow_up_on, pitched_at=p.pitched_at, plate=plate, customer_name=customer_name,
    )


def pitch_history(session: Session, customer_id: int, *, limit: int = 20) -> list[PitchLine]:
    """This customer's pitches, newest first; a joined one says whether it was signed up."""
    rows = session.execute(
        select(Pitch, Vehicle.plate)
        .join(Vehicle, Vehicle.id == Pitch.vehicle_id, isouter=True)
        .where(Pitch.customer_id == customer_id)
        .order_by(Pitch.pitched_at.desc(), Pitch.id.desc())
        .limit(limit)
    ).all()
    lines = [_line(p, plate) for p, plate in rows]
    joined = [x for x in lines if x.outcome == "joined"]
    if joined:
        starts = list(session.execute(select(Membership.started_on).where(Membership.customer_id == customer_id))
                      .scalars())
        days = int(get_setting(session, "pitch_signup_days", store_id=joined[0].store_id))
        for x in joined:
            x.signed_up = signed_up(x.pitched_at.date(), starts, within_days=days)
    return lines


def last_pitch(session: Session, customer_id: int) -> PitchLine | None:
    history = pitch_history(session, customer_id, limit=1)
    return history[0] if history else None


def _clean(text: str | None, limit: int, field: str) -> str | None:
    """Bounded, control-character-free text; a refusal names the field."""
    return clean_text(text, field=field, max_len=limit)


def record_pitch(
    session: Session,
    *,
    actor: Actor,
    customer_id: int,
    outcome: str,
    vehicle_id: int | None = None,
    store_id: int | None = None,
    channel: str = "counter",
    reason: str | None = None,
    note: str | None = None,
    follow_up_on: date | None | str = "default",
    as_of: date | None = None,
) -> PitchLine:
    """Store one pitch: who (``actor``), when (now), where (channel and store).

    ``follow_up_on`` left as ``"default"`` takes the outcome's default from the
    store's settings; ``None`` means no follow-up. A joined customer gets none."""
    as_of = as_of or clock.today()
    if outcome not in OUTCOMES:
        raise PitchError(f"unknown outcome {outcome!r}: one of {', '.join(OUTCOMES)}")
    if channel not in CHANNELS:
        raise PitchError(f"unknown channel {channel!r}: one of {', '.join(CHANNELS)}")
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise PitchError(f"no customer {customer_id}")
    require(actor, "pitches.record", customer.store_id)
    require_customer_access(actor, customer.store_id)
    if vehicle_id is not None:
        vehicle = session.get(Vehicle, vehicle_id)
        if vehicle is None or vehicle.customer_id != customer_id:
            raise PitchError(f"vehicle {vehicle_id} does not belong to customer {customer_id}")
    member = session.execute(
        select(Membership.number).where(Membership.customer_id == customer_id, Membership.status == "active")
    ).first()
    if member is not None:
        raise PitchError(f"{customer.name} is already a member ({member.number or 'no number'}): nothing to pitch")
    store_id = store_id or actor.store_id or customer.store_id
    if follow_up_on == "default":
        follow_up_on = default_follow_up(outcome, as_of=as_of, rules=PitchRules.load(session, store_id=store_id))
    if outcome == "joined":
        follow_up_on = None
    if follow_up_on is not None and follow_up_on < as_of:
        raise PitchError(f"the follow-up date {follow_up_on.isoformat()} is in the past")
    pitch = Pitch(
        store_id=store_id, customer_id=customer_id, vehicle_id=vehicle_id, staff_id=actor.staff_id,
        staff_name=None if actor.role == "system" else actor.name,
        channel=channel, outcome=outcome, reason=_clean(reason, MAX_REASON, "reason"), note=_clean(note, MAX_NOTE, "note"),
        follow_up_on=follow_up_on, pitched_at=clock.now(),
    )
    session.add(pitch)
    session.flush()
    plate = session.get(Vehicle, vehicle_id).plate if vehicle_id is not None else None
    return _line(pitch, plate, customer.name)


@dataclass
class FollowUp:
    """A considering / not-now pitch whose follow-up is due: the pitcher's to do."""

    pitch: PitchLine
    due_on: date
    overdue_days: int
    vehicle_id: int | None
    plate: str | None
    customer_name: str
    phone: str | None  # masked unless the caller may see it


def follow_ups(
    session: Session,
    *,
    as_of: date,
    actor: Actor,
    staff_id: int | None = None,
    store_id: int | None = None,
    within_days: int = 0,
    unmask: bool = False,
    limit: int = 500,
    answered_before: datetime | None = None,
) -> list[FollowUp]:
    """Pitches waiting for their follow-up by ``as_of + within_days``: the latest
    pitch of each customer, outcome considering or not now, the customer not an
    active member since, and (with ``answered_before``) not called on or after the
    follow-up's day before that moment: any call answers it. ``staff_id`` None lists
    every pitcher's. The most recently due first: today's and this week's before a
    backlog of years."""
    require(actor, "customers.read", store_id)
    require_customer_access(actor, store_id)
    later = aliased(Pitch)
    newer_exists = exists().where(
        and_(later.customer_id == Pitch.customer_id,
             (later.pitched_at > Pitch.pitched_at) | ((later.pitched_at == Pitch.pitched_at) & (later.id > Pitch.id)))
    )
    member_exists = exists().where(and_(Membership.customer_id == Pitch.customer_id, Membership.status == "active"))
    stmt = (
        select(Pitch, Vehicle.plate, Customer.name, Customer.phone)
        .join(Customer, Customer.id == Pitch.customer_id)
        .join(Vehicle, Vehicle.id == Pitch.vehicle_id, isouter=True)
        .where(
            Pitch.outcome.in_(FOLLOW_UP_OUTCOMES),
            Pitch.follow_up_on.is_not(None),
            Pitch.follow_up_on <= as_of + timedelta(days=within_days),
            ~newer_exists,
            ~member_exists,
        )
        .order_by(Pitch.follow_up_on.desc(), Pitch.id.desc())
        .limit(limit)
    )
    if staff_id is not None:
        stmt = stmt.where(Pitch.staff_id == staff_id)
    if store_id is not None:
        stmt = stmt.where(Pitch.store_id == store_id)
    if answered_before is not None:
        from store.models import CallLog

        stmt = stmt.where(~exists().where(and_(CallLog.customer_id == Pitch.customer_id,
                                                CallLog.at >= Pitch.follow_up_on, CallLog.at < answered_before)))
    out = []
    for p, plate, name, phone in session.execute(stmt).all():
        out.append(FollowUp(
            pitch=_line(p, plate, name), due_on=p.follow_up_on, overdue_days=(as_of - p.follow_up_on).days,
            vehicle_id=p.vehicle_id, plate=plate, customer_name=name, phone=phone if unmask else mask_phone(phone),
        ))
    return out


def pitches_between(
    session: Session, *, date_from: date, date_to: date, actor: Actor, store_id: int | None = None,
    staff_id: int | None = None,
) -> list[PitchLine]:
    """Every pitch made from ``date_from`` to ``date_to`` (both days included), oldest first."""
    require(actor, "customers.read", store_id)
    require_customer_access(actor, store_id)
    if date_to < date_from:
        raise PitchError(f"--to {date_to.isoformat()} is before --from {date_from.isoformat()}")
    start = datetime.combine(date_from, time.min)
    end = datetime.combine(date_to + timedelta(days=1), time.min)
    stmt = (
        select(Pitch, Vehicle.plate, Customer.name)
        .join(Customer, Customer.id == Pitch.customer_id)
        .join(Vehicle, Vehicle.id == Pitch.vehicle_id, isouter=True)
        .where(Pitch.pitched_at >= start, Pitch.pitched_at < end)
        .order_by(Pitch.pitched_at, Pitch.id)
    )
    if store_id is not None:
        stmt = stmt.where(Pitch.store_id == store_id)
    if staff_id is not None:
        stmt = stmt.where(Pitch.staff_id == staff_id)
    return [_line(p, plate, name) for p, plate, name in session.execute(stmt).all()]


def pitch_warning_for(session: Session, *, customer_id: int, actor: Actor, as_of: date | None = None,
                      store_id: int | None = None) -> PitchWarning | None:
    """Whether pitching this customer now is unwelcome, by the rules the counter's
    pitch form warns with (the command line asks for ``--anyway`` to record it)."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise PitchError(f"no customer {customer_id}")
    require(actor, "customers.read", customer.store_id)
    require_customer_access(actor, customer.store_id)
    rules = PitchRules.load(session, store_id=store_id or customer.store_id)
    return pitch_warning(last_pitch(session, customer_id), as_of=as_of or clock.today(), rules=rules)


def default_pitcher(session: Session, *, store_id: int) -> Actor | None:
    """The store's first active service advisor: who acts until sign-in exists."""
    from store.access import first_service_advisor

    return first_service_advisor(session, store_id)
