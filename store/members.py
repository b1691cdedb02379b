"""Memberships 会员: schemes, tiers, stored value, renewal and the member bill.

| scheme | Chinese | lapses when | renewal |
| --- | --- | --- | --- |
| annual | 年费制 | the fee is not renewed by the expiry date | up to ``renewal_grace_months`` (3) after expiry, dated from the OLD expiry |
| stored | 存款制 | the balance stays 0 for ``stored_value_lapse_months`` (6), or on request | a balance under ``stored_value_low_balance_yuan`` is reminded |
| both | 年费+存款 | either of the above, or the member asks for the deposit back | as above |

Dates: ``expires_on`` is the last day a membership is in force. A renewal on the last
grace day (expiry + 3 months) is accepted; the day after, the membership has lapsed
and the customer joins again. Stored value lapses on the day it has been zero for 6
full months.

Tiers 会员等级 are per store (``Tier``): entry by a single visit's spend or by the
spend over ``tier_window_months``; a discount (95 = 9.5折), a points multiplier and
benefits. Upgrades happen as soon as a settled visit qualifies; downgrades only at
renewal, by at most ``tier_downgrade_max_steps``, and never below the lowest tier.

The member bill 会员服务帐单 adds up what membership saved a customer in a year: the
tier discount on each visit's amount, free services and gifts (``BenefitUse``, the
tier's benefits 会员权益 at their list price, :mod:`store.benefits`) and points used.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, select

from store import audit, clock
from store.validation import FieldError, clean_text
from store.access import Actor, require, require_customer_access, require_for_customer
from store.dates import add_months
from store.models import (
    BenefitUse,
    CatalogItem,
    Customer,
    Membership,
    MembershipEvent,
    PointsAccount,
    PointsEntry,
    StoredValueEntry,
    Tier,
    Vehicle,
    Visit,
)
from store.privacy import mask_phone
from store.settings import get_settings

SCHEMES = ("annual", "stored", "both")
MAX_AMOUNT_FEN = 100_000_000  # ¥1,000,000: a typo guard, not a business limit


class MembershipError(Exception):
    """A refused membership action; ``str()`` is one line for the counter."""


def parse_yuan(text: str | int | Decimal) -> int:
    """'300', '300.5', '1,200.00' yuan -> fen, exactly (no floats)."""
    try:
        value = Decimal(str(text).replace(",", "").replace("¥", "").strip())
    except InvalidOperation:
        raise MembershipError(f"{text!r} is not an amount in yuan") from None
    if not value.is_finite():
        raise MembershipError(f"{text!r} is not an amount in yuan")
    fen = value * 100
    if fen != fen.to_integral_value():
        raise MembershipError(f"{text!r}: amounts are in yuan with at most 2 decimals")
    return int(fen)


def fmt_yuan(fen: int) -> str:
    return f"¥{fen / 100:,.2f}"


# --- reading a membership ----------------------------------------------------------------


@dataclass
class TierView:
    code: str
    name: str
    rank: int
    min_single_spend_fen: int | None
    min_cumulative_spend_fen: int | None
    discount_pct: int
    points_multiplier_pct: int
    benefits: str | None

    @classmethod
    def of(cls, t: Tier) -> "TierView":
        return cls(t.code, t.name, t.rank, t.min_single_spend_fen, t.min_cumulative_spend_fen, t.discount_pct,
                   t.points_multiplier_pct, t.benefits)

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class MemberCard:
    membership_id: int
    customer_id: int
    customer_name: str
    number: str | None
    scheme: str
    state: str  # active | grace (expired, may still renew) | lapsed | left
    tier: TierView | None
    started_on: date
    expires_on: date | None
    renew_by: date | None  # the last day a renewal is accepted
    stored_value_fen: int
    low_balance: bool
    zero_balance_since: date | None
    stored_lapses_on: date | None  # if the balance stays at zero
    ended_on: date | None
    fee_fen: int
    points: int
    points_owed: int
    expiring: list = field(default_factory=list)  # list[ExpiringLot] within 30 days
    benefits: list = field(default_factory=list)  # list[store.benefits.BenefitLine], this membership year

    def as_dict(self) -> dict:
        d = dict(self.__dict__)
        d["tier"] = self.tier.as_dict() if self.tier else None
        d["expiring"] = [{"expires_on": e.expires_on, "points": e.points} for e in self.expiring]
        d["benefits"] = [b.as_dict() for b in self.benefits]
        return d


def _rules(session: Session, store_id: int) -> dict:
    return get_settings(session, store_id=store_id)


def _stored_lapse_day(m: Membership, rules: dict) -> date | None:
    if m.scheme in ("stored", "both") and m.stored_value_fen == 0 and m.zero_balance_since:
        return add_months(m.zero_balance_since, int(rules["stored_value_lapse_months"]))
    return None


def renew_by(m: Membership, rules: dict) -> date | None:
    if m.scheme in ("annual", "both") and m.expires_on:
        return add_months(m.expires_on, int(rules["renewal_grace_months"]))
    return None


def state_of(m: Membership, rules: dict, today: date | None = None) -> str:
    """active | grace | lapsed | left, from the dates (a missed lapse sweep changes nothing)."""
    today = today or clock.today()
    if m.status in ("left", "lapsed"):
        return m.status
    lapse = _stored_lapse_day(m, rules)
    if lapse is not None and today >= lapse:
        return "lapsed"
    if m.scheme in ("annual", "both") and m.expires_on and today > m.expires_on:
        return "grace" if today <= renew_by(m, rules) else "lapsed"
    return "active"


def _in_force(m: Membership, day: date, rules: dict) -> bool:
    if day < m.started_on:
        return False
    if m.ended_on is not None and day >= m.ended_on:
        return False
    if m.expires_on is not None and m.scheme in ("annual", "both") and day > m.expires_on:
        return False
    lapse = _stored_lapse_day(m, rules)
    return lapse is None or day < lapse


def current_membership(session: Session, *, customer_id: int) -> Membership | None:
    """The customer's latest membership, whatever its state."""
    return session.exec(select(Membership).where(Membership.customer_id == customer_id)
                        .order_by(Membership.id.desc())).first()


def membership_in_force(session: Session, *, customer_id: int, on: date) -> Membership | None:
    for m in session.exec(select(Membership).where(Membership.customer_id == customer_id)
                          .order_by(Membership.id.desc())).all():
        if _in_force(m, on, _rules(session, m.store_id)):
            return m
    return None


def tiers(session: Session, *, store_id: int) -> list[TierView]:
    return [TierView.of(t) for t in session.exec(select(Tier).where(Tier.store_id == store_id).order_by(Tier.rank))]


def _tier(session: Session, store_id: int, code: str | None) -> Tier | None:
    if not code:
        return None
    return session.exec(select(Tier).where(Tier.store_id == store_id, Tier.code == code)).first()


def ro_day(visit: Visit) -> date:
    """The day an RO counts on: its settlement 结算日期, else the day the car came in."""
    return visit.settled_on or visit.date_in


def _tier_code_through(session: Session, membership: Membership, day: date, visit_id: int, *,
                       inclusive: bool) -> str | None:
    """The tier code the last change before the moment (``day``, ``visit_id``) left
    (``inclusive``: up to and including it). A change not caused by an RO (a join, a
    renewal) stands at (its day, 0); one caused by an RO at (that RO's day, its id)."""
    order = func.coalesce(MembershipEvent.visit_id, 0)
    same_day = order <= visit_id if inclusive else order < visit_id
    return session.exec(
        select(MembershipEvent.tier_code)
        .where(MembershipEvent.membership_id == membership.id, MembershipEvent.tier_code.is_not(None),
               (MembershipEvent.happened_on < day) | ((MembershipEvent.happened_on == day) & same_day))
        .order_by(MembershipEvent.happened_on.desc(), order.desc(), MembershipEvent.id.desc())
    ).first()


def tier_for_ro(session: Session, membership: Membership, visit: Visit) -> Tier | None:
    """The tier in force when this RO was settled: what it is priced at (the member
    bill's and the club's accounts' discount) and what its points are multiplied by.

    The one rule: ROs are ordered by settlement day (:func:`ro_day`), then by RO (the
    visit's id); a tier change not caused by an RO (joining, a renewal's downgrade)
    counts from the start of its day; a change an RO caused (an upgrade) counts from
    the RO after it. So the RO that lifts 普卡 to 金卡 is priced and credited as 普卡,
    the next one as 金卡. Without any change on record: the membership's tier.
    ``store.reports.club_frames.member_discounts`` is the same rule for many ROs at once."""
    code = _tier_code_through(session, membership, ro_day(visit), visit.id, inclusive=False)
    return _tier(session, membership.store_id, code or membership.tier_code)


def customer_spend(session: Session, *, customer_id: int, since: date, until: date) -> tuple[int, int]:
    """(largest single visit, total) in fen over settled visits in (since, until]."""
    row = session.exec(
        select(func.coalesce(func.max(Visit.total_fen), 0), func.coalesce(func.sum(Visit.total_fen), 0))
        .join(Vehicle, Vehicle.id == Visit.vehicle_id)
        .where(Vehicle.customer_id == customer_id, Visit.status != "cancelled", Visit.date_in > since,
               Visit.date_in <= until)
    ).one()
    return int(row[0]), int(row[1])


def qualifying_tier(session: Session, *, store_id: int, customer_id: int, as_of: date | None = None) -> Tier | None:
    """The highest tier the customer's spend earns: a single visit or the window's total."""
    as_of = as_of or clock.today()
    window = int(_rules(session, store_id)["tier_window_months"])
    single, total = customer_spend(session, customer_id=customer_id, since=add_months(as_of, -window), until=as_of)
    for t in session.exec(select(Tier).where(Tier.store_id == store_id).order_by(Tier.rank.desc())).all():
        if (t.min_single_spend_fen is not None and single >= t.min_single_spend_fen) or (
                t.min_cumulative_spend_fen is not None and total >= t.min_cumulative_spend_fen):
            return t
    return None


def member_card(session: Session, *, customer_id: int, actor: Actor) -> MemberCard | None:
    require_for_customer(session, actor, "customers.read", customer_id)
    from store import points

    m = current_membership(session, customer_id=customer_id)
    if m is None:
        return None
    rules = _rules(session, m.store_id)
    customer = session.get(Customer, customer_id)
    tier = _tier(session, m.store_id, m.tier_code)
    acct = session.exec(select(PointsAccount).where(PointsAccount.customer_id == customer_id)).first()
    low = int(rules["stored_value_low_balance_yuan"]) * 100
    state = state_of(m, rules)
    left = []
    if m.tier_code and _in_force(m, clock.today(), rules):
        from store.benefits import _with_usage, tier_benefits

        left = _with_usage(session, m, tier_benefits(session, store_id=m.store_id, tier_code=m.tier_code), clock.today())
    return MemberCard(
        membership_id=m.id, customer_id=customer_id, customer_name=customer.name if customer else "",
        number=m.number, scheme=m.scheme, state=state, tier=TierView.of(tier) if tier else None,
        started_on=m.started_on, expires_on=m.expires_on, renew_by=renew_by(m, rules),
        stored_value_fen=m.stored_value_fen,
        low_balance=m.scheme in ("stored", "both") and state in ("active", "grace") and m.stored_value_fen < low,
        zero_balance_since=m.zero_balance_since, stored_lapses_on=_stored_lapse_day(m, rules), ended_on=m.ended_on,
        fee_fen=m.fee_fen, points=acct.balance if acct else 0, points_owed=acct.owed if acct else 0,
        expiring=points.expiring_soon(session, customer_id=customer_id), benefits=left,
    )


# --- changing a membership ------------------------------------------------------------------


def _key(key: str | None) -> str:
    if key is None:
        return uuid.uuid4().hex
    key = key.strip()
    if not key or len(key) > 100 or any(ord(c) < 32 for c in key):
        raise MembershipError("an idempotency key is 1-100 printable characters")
    return key


def _event(session: Session, m: Membership, kind: str, key: str, actor: Actor, *, fee_fen: int = 0,
           note: str | None = None) -> MembershipEvent:
    ev = MembershipEvent(membership_id=m.id, customer_id=m.customer_id, kind=kind, happened_on=clock.today(),
                         tier_code=m.tier_code, expires_on=m.expires_on, fee_fen=fee_fen, idempotency_key=key,
                         staff_id=actor.staff_id, note=note)
    session.add(ev)
    session.flush()
    return ev


def _lock_membership(session: Session, membership_id: int) -> Membership:
    return session.exec(select(Membership).where(Membership.id == membership_id).with_for_update()
                        .execution_options(populate_existing=True)).one()


def _check_amount(fen: int, what: str) -> None:
    if fen <= 0:
        raise MembershipError(f"{what} must be more than zero")
    if fen > MAX_AMOUNT_FEN:
        raise MembershipError(f"{what} {fmt_yuan(fen)} is more than {fmt_yuan(MAX_AMOUNT_FEN)}: a typo?")


def _sv_entry(session: Session, m: Membership, kind: str, amount_fen: int, key: str, actor: Actor,
              visit_id: int | None = None, note: str | None = None) -> StoredValueEntry:
    m.stored_value_fen += amount_fen
    if m.stored_value_fen < 0:  # every caller checks first; a bug must not commit
        raise AssertionError(f"membership {m.id} stored value would go below zero")
    m.zero_balance_since = clock.today() if m.stored_value_fen == 0 else None
    session.add(m)
    entry = StoredValueEntry(membership_id=m.id, kind=kind, amount_fen=amount_fen, idempotency_key=key,
                             visit_id=visit_id, staff_id=actor.staff_id, note=note, created_at=clock.now())
    session.add(entry)
    session.flush()
    audit.record(session, actor, f"stored_value.{kind}", "storedvalueentry", entry.id, customer_id=m.customer_id,
                 store_id=m.store_id, detail={"amount_fen": amount_fen, "balance_fen": m.stored_value_fen})
    return entry


@dataclass
class JoinOptions:
    customer_id: int
    customer_name: str
    schemes: tuple[str, ...]
    tiers: list[TierView]
    suggested_tier: str | None
    annual_fee_fen: int
    current: MemberCard | None


def join_options(session: Session, *, customer_id: int, actor: Actor) -> JoinOptions:
    require_for_customer(session, actor, "members.join", customer_id)
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise MembershipError(f"no customer with id {customer_id}")
    rules = _rules(session, customer.store_id)
    q = qualifying_tier(session, store_id=customer.store_id, customer_id=customer_id)
    all_tiers = tiers(session, store_id=customer.store_id)
    suggested = q.code if q else (all_tiers[0].code if all_tiers else None)
    return JoinOptions(customer_id, customer.name, SCHEMES, all_tiers, suggested,
                       int(rules["annual_fee_yuan"]) * 100, member_card(session, customer_id=customer_id, actor=actor))


def join(session: Session, *, customer_id: int, scheme: str, actor: Actor, tier_code: str | None = None,
         fee_fen: int | None = None, topup_fen: int = 0, key: str | None = None, pitch_id: int | None = None,
         number: str | None = None) -> MemberCard:
    """Sign a customer up 入会. The same key twice joins once."""
    require_for_customer(session, actor, "members.join", customer_id)
    key = _key(key)
    # The customer row is the lock two counters signing up the same customer queue on.
    customer = session.exec(select(Customer).where(Customer.id == customer_id).with_for_update()
                            .execution_options(populate_existing=True)).first()
    if customer is None:
        raise MembershipError(f"no customer with id {customer_id}")
    done = session.exec(select(MembershipEvent).where(MembershipEvent.idempotency_key == f"join:{key}")).first()
    if done is not None:
        if done.customer_id != customer_id:
            raise MembershipError("this key was already used for another customer")
        return member_card(session, customer_id=customer_id, actor=actor)
    if scheme not in SCHEMES:
        raise MembershipError(f"scheme {scheme!r}: use annual (年费), stored (储值) or both")
    rules = _rules(session, customer.store_id)
    current = current_membership(session, customer_id=customer_id)
    if current is not None and state_of(current, rules) in ("active", "grace"):
        what = "renew or top up instead" if state_of(current, rules) == "grace" else "already a member"
        raise MembershipError(f"{customer.name} is a member ({current.number or current.id}, {current.scheme}): {what}")
    if tier_code:
        tier = _tier(session, customer.store_id, tier_code)
        if tier is None:
            raise MembershipError(f"no tier {tier_code!r} in this store")
    else:
        tier = qualifying_tier(session, store_id=customer.store_id, customer_id=customer_id)
        if tier is None:
            tier = session.exec(select(Tier).where(Tier.store_id == customer.store_id).order_by(Tier.rank)).first()
    if fee_fen is None:
        fee_fen = int(rules["annual_fee_yuan"]) * 100 if scheme in ("annual", "both") else 0
    if fee_fen < 0 or fee_fen > MAX_AMOUNT_FEN:
        raise MembershipError("the fee is between ¥0 and ¥1,000,000")
    if scheme == "annual" and topup_fen:
        raise MembershipError("an annual-fee membership holds no stored value: choose stored or both to top up")
    if topup_fen:
        _check_amount(topup_fen, "the top-up")
    today = clock.today()
    m = Membership(store_id=customer.store_id, customer_id=customer_id, scheme=scheme,
                   tier_code=tier.code if tier else None, status="active", started_on=today,
                   expires_on=add_months(today, int(rules["membership_term_months"])) if scheme != "stored" else None,
                   fee_fen=fee_fen, stored_value_fen=0,
                   zero_balance_since=today if scheme != "annual" else None, joined_by_staff_id=actor.staff_id,
                   created_at=clock.now())
    session.add(m)
    session.flush()
    m.number = number or f"VIP{m.id:07d}"
    session.add(m)
    _event(session, m, "join", f"join:{key}", actor, fee_fen=fee_fen,
           note=f"pitch {pitch_id}" if pitch_id else None)
    if topup_fen:
        _sv_entry(session, m, "topup", topup_fen, f"sv:join:{key}", actor, note="initial top-up")
    from store.points import lock_account

    lock_account(session, customer_id)
    audit.record(session, actor, "membership.join", "membership", m.id, customer_id=customer_id,
                 store_id=customer.store_id, detail={"scheme": scheme, "tier": m.tier_code, "fee_fen": fee_fen,
                                                     "topup_fen": topup_fen, "pitch_id": pitch_id})
    return member_card(session, customer_id=customer_id, actor=actor)


@dataclass
class RenewResult:
    card: MemberCard
    old_expires_on: date | None
    new_expires_on: date
    fee_fen: int
    tier_change: str | None = None  # "gold -> regular"
    replayed: bool = False

    def as_dict(self) -> dict:
        return {"membership_id": self.card.membership_id, "old_expires_on": self.old_expires_on,
                "new_expires_on": self.new_expires_on, "fee_fen": self.fee_fen, "tier_change": self.tier_change,
                "tier": self.card.tier.code if self.card.tier else None, "replayed": self.replayed}


def _renewal_tier(session: Session, m: Membership) -> Tier | None:
    """At renewal: the tier the last window's spend earns, at most N steps down, never below the lowest."""
    ladder = list(session.exec(select(Tier).where(Tier.store_id == m.store_id).order_by(Tier.rank)).all())
    if not ladder:
        return None
    current = next((i for i, t in enumerate(ladder) if t.code == m.tier_code), None)
    q = qualifying_tier(session, store_id=m.store_id, customer_id=m.customer_id)
    target = next(i for i, t in enumerate(ladder) if t.code == q.code) if q else 0
    if current is None:
        return ladder[target]
    steps = int(_rules(session, m.store_id)["tier_downgrade_max_steps"])
    return ladder[max(target, current - steps)]


def renew(session: Session, *, customer_id: int, actor: Actor, fee_fen: int | None = None,
          key: str | None = None) -> RenewResult:
    """Renew 续会 an annual fee for one more term, dated from the OLD expiry (not from
    today), while within the grace period. The same key twice renews once; without a
    key, a renewal asked for again the same day renews once (a retried command must
    not sell two terms)."""
    require_for_customer(session, actor, "members.serve", customer_id)
    key = _key(key) if key is not None else None
    current = current_membership(session, customer_id=customer_id)
    if current is None:
        raise MembershipError("not a member: join first")
    m = _lock_membership(session, current.id)
    if key is None:
        # A renewal made today that gave the membership its present expiry: this is
        # that renewal asked for again, not a second term.
        done = session.exec(select(MembershipEvent).where(
            MembershipEvent.membership_id == m.id, MembershipEvent.kind == "renew",
            MembershipEvent.expires_on == m.expires_on, MembershipEvent.happened_on == clock.today())).first()
        if done is not None:
            return RenewResult(member_card(session, customer_id=customer_id, actor=actor), None, done.expires_on, done.fee_fen,
                               replayed=True)
        key = f"m{m.id}-from-{m.expires_on}" if m.expires_on else _key(None)
    done = session.exec(select(MembershipEvent).where(MembershipEvent.idempotency_key == f"renew:{key}")).first()
    if done is not None:
        if done.customer_id != customer_id:
            raise MembershipError("this key was already used for another customer")
        return RenewResult(member_card(session, customer_id=customer_id, actor=actor), None, done.expires_on, done.fee_fen,
                           replayed=True)
    rules = _rules(session, m.store_id)
    state = state_of(m, rules)
    if m.scheme == "stored":
        raise MembershipError("a stored-value membership has no fee to renew: top up instead")
    if state == "left":
        raise MembershipError(f"left on {m.ended_on}: join again")
    if state == "lapsed":
        last = renew_by(m, rules)
        raise MembershipError(f"lapsed: expired {m.expires_on}, renewal was open until {last}; join again")
    term = int(rules["membership_term_months"])
    today = clock.today()
    if m.expires_on > add_months(today, term):
        raise MembershipError(f"already renewed: in force until {m.expires_on}")
    if fee_fen is None:
        fee_fen = int(rules["annual_fee_yuan"]) * 100
    if fee_fen < 0 or fee_fen > MAX_AMOUNT_FEN:
        raise MembershipError("the fee is between ¥0 and ¥1,000,000")
    old = m.expires_on
    m.expires_on = add_months(old, term)
    m.fee_fen = fee_fen
    m.status = "active"
    before = m.tier_code
    new_tier = _renewal_tier(session, m)
    change = None
    if new_tier is not None and new_tier.code != before:
        m.tier_code = new_tier.code
        change = f"{before} -> {new_tier.code}"
    session.add(m)
    _event(session, m, "renew", f"renew:{key}", actor, fee_fen=fee_fen, note=f"from {old.isoformat()}")
    audit.record(session, actor, "membership.renew", "membership", m.id, customer_id=customer_id, store_id=m.store_id,
                 detail={"old_expires_on": old, "new_expires_on": m.expires_on, "fee_fen": fee_fen, "tier": change})
    return RenewResult(member_card(session, customer_id=customer_id, actor=actor), old, m.expires_on, fee_fen, change)


def _spend_through(session: Session, *, customer_id: int, visit: Visit, window_months: int) -> tuple[int, int]:
    """(largest single RO, total) in fen over the customer's ROs up to and including
    ``visit`` (in the order of :func:`tier_for_ro`) within the tier window before its day."""
    day = ro_day(visit)
    settled = func.coalesce(Visit.settled_on, Visit.date_in)
    row = session.exec(
        select(func.coalesce(func.max(Visit.total_fen), 0), func.coalesce(func.sum(Visit.total_fen), 0))
        .join(Vehicle, Vehicle.id == Visit.vehicle_id)
        .where(Vehicle.customer_id == customer_id, Visit.status != "cancelled",
               settled > add_months(day, -window_months),
               (settled < day) | ((settled == day) & (Visit.id <= visit.id)))
    ).one()
    return int(row[0]), int(row[1])


def review_tier_after_visit(session: Session, *, membership: Membership, visit: Visit, actor: Actor) -> str | None:
    """Upgrade when a settled RO (alone or with the window's spend up to it) qualifies
    for a higher tier than the one in force after it. The change is dated on the RO's
    day and names the RO, so it applies from the next RO on (:func:`tier_for_ro`),
    however late the RO is credited. Returns the new tier code, if any."""
    window = int(_rules(session, membership.store_id)["tier_window_months"])
    single, total = _spend_through(session, customer_id=membership.customer_id, visit=visit, window_months=window)
    q = None
    for t in session.exec(select(Tier).where(Tier.store_id == membership.store_id).order_by(Tier.rank.desc())).all():
        if (t.min_single_spend_fen is not None and single >= t.min_single_spend_fen) or (
                t.min_cumulative_spend_fen is not None and total >= t.min_cumulative_spend_fen):
            q = t
            break
    if q is None:
        return None
    day = ro_day(visit)
    before = _tier_code_through(session, membership, day, visit.id, inclusive=True) or membership.tier_code
    current = _tier(session, membership.store_id, before)
    if current is not None and q.rank <= current.rank:
        return None
    ev = MembershipEvent(membership_id=membership.id, customer_id=membership.customer_id, kind="upgrade",
                         happened_on=day, tier_code=q.code, visit_id=visit.id, expires_on=membership.expires_on,
                         idempotency_key=f"upgrade:{membership.id}:{visit.id}", staff_id=actor.staff_id,
                         note=f"{before} -> {q.code} after {visit.ro_number}")
    session.add(ev)
    session.flush()
    # A change recorded later for a later RO (credited out of order) keeps its word on the current tier.
    order = func.coalesce(MembershipEvent.visit_id, 0)
    later = session.exec(select(MembershipEvent.id).where(
        MembershipEvent.membership_id == membership.id, MembershipEvent.tier_code.is_not(None),
        (MembershipEvent.happened_on > day) | ((MembershipEvent.happened_on == day) & (order > visit.id)))).first()
    if later is None:
        membership.tier_code = q.code
        session.add(membership)
    audit.record(session, actor, "membership.upgrade", "membership", membership.id, customer_id=membership.customer_id,
                 store_id=membership.store_id, detail={"from": before, "to": q.code, "ro": visit.ro_number})
    return q.code


@dataclass
class StoredValueResult:
    membership_id: int
    entry_id: int
    kind: str
    amount_fen: int
    balance_fen: int
    replayed: bool = False

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _stored_membership(session: Session, customer_id: int) -> Membership:
    current = current_membership(session, customer_id=customer_id)
    if current is None:
        raise MembershipError("not a member: join first")
    m = _lock_membership(session, current.id)
    if m.scheme == "annual":
        raise MembershipError("an annual-fee membership holds no stored value")
    return m


def _sv_replay(session: Session, key: str, customer_id: int, kind: str, amount_fen: int) -> StoredValueResult | None:
    done = session.exec(select(StoredValueEntry).where(StoredValueEntry.idempotency_key == key)).first()
    if done is None:
        return None
    m = session.get(Membership, done.membership_id)
    if m.customer_id != customer_id or done.kind != kind or done.amount_fen != amount_fen:
        raise MembershipError("this key was already used for another stored-value entry")
    after = session.exec(select(func.sum(StoredValueEntry.amount_fen)).where(
        StoredValueEntry.membership_id == m.id, StoredValueEntry.id <= done.id)).one()
    return StoredValueResult(m.id, done.id, kind, amount_fen, int(after), replayed=True)


def topup(session: Session, *, customer_id: int, amount_fen: int, actor: Actor,
          key: str | None = None) -> StoredValueResult:
    """Top up 充值 stored value. The same key twice tops up once."""
    require_for_customer(session, actor, "members.serve", customer_id)
    _check_amount(amount_fen, "a top-up")
    key = f"sv:{_key(key)}"
    m = _stored_membership(session, customer_id)
    replay = _sv_replay(session, key, customer_id, "topup", amount_fen)
    if replay:
        return replay
    state = state_of(m, _rules(session, m.store_id))
    if state in ("lapsed", "left"):
        raise MembershipError(f"the membership has {'lapsed' if state == 'lapsed' else 'ended'}: join again")
    entry = _sv_entry(session, m, "topup", amount_fen, key, actor)
    return StoredValueResult(m.id, entry.id, "topup", amount_fen, m.stored_value_fen)


def spend(session: Session, *, customer_id: int, amount_fen: int, actor: Actor, key: str | None = None,
          visit_id: int | None = None) -> StoredValueResult:
    """Pay from stored value 储值消费; never below zero. The same key twice spends once.

    In a fresh transaction the usual payment is its statements alone
    (:func:`store.points_lean.spend`); a refusal or a replayed key goes through the
    rules below, with the same outcome."""
    from store import points_lean
    from store.points import _system_detail

    require(actor, "members.serve")
    _check_amount(amount_fen, "a payment")
    key = f"sv:{_key(key)}"
    if not session.in_transaction():
        try:
            done = points_lean.spend(
                session, customer_id=customer_id, amount_fen=amount_fen, key=key, staff_id=actor.staff_id,
                store_id=None if actor.role == "system" else actor.store_id, visit_id=visit_id, now=clock.now(),
                today=clock.today(), at=clock.real_now(), detail_extra=_system_detail(actor))
        except points_lean.Retry:
            session.rollback()  # another till used the key meanwhile: the rules below, in a new transaction
            done = None
        if done is not None:
            return StoredValueResult(done.membership_id, done.entry_id, "spend", -amount_fen, done.balance_fen)
    require_for_customer(session, actor, "members.serve", customer_id)
    m = _stored_membership(session, customer_id)
    replay = _sv_replay(session, key, customer_id, "spend", -amount_fen)
    if replay:
        return replay
    if m.status == "left":
        raise MembershipError("the membership has ended")
    if m.stored_value_fen < amount_fen:
        raise MembershipError(f"not enough stored value: balance {fmt_yuan(m.stored_value_fen)}, "
                              f"needs {fmt_yuan(amount_fen)}")
    entry = _sv_entry(session, m, "spend", -amount_fen, key, actor, visit_id=visit_id)
    return StoredValueResult(m.id, entry.id, "spend", -amount_fen, m.stored_value_fen)


@dataclass
class LeaveResult:
    membership_id: int
    ended_on: date
    refund_fen: int

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def leave(session: Session, *, customer_id: int, actor: Actor, reason: str = "") -> LeaveResult:
    """The member asks to leave 退会; any stored value (the deposit) is paid back."""
    require_for_customer(session, actor, "members.leave", customer_id)
    current = current_membership(session, customer_id=customer_id)
    if current is None:
        raise MembershipError("not a member")
    m = _lock_membership(session, current.id)
    if m.status == "left":
        raise MembershipError(f"already left on {m.ended_on}")
    try:
        reason = clean_text(reason, field="reason", max_len=255) or "on request"
    except FieldError as exc:
        raise MembershipError(str(exc)) from exc
    refund = m.stored_value_fen
    if refund:
        _sv_entry(session, m, "refund", -refund, f"sv:refund:{m.id}", actor, note="deposit paid back on leaving")
    m.status = "left"
    m.ended_on = clock.today()
    m.end_reason = reason
    session.add(m)
    _event(session, m, "leave", f"leave:{m.id}", actor, note=reason)
    audit.record(session, actor, "membership.leave", "membership", m.id, customer_id=customer_id, store_id=m.store_id,
                 detail={"refund_fen": refund, "reason": reason})
    return LeaveResult(m.id, m.ended_on, refund)


@dataclass
class LapseLine:
    membership_id: int
    customer_id: int
    customer_name: str
    scheme: str
    ended_on: date
    reason: str

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def sweep_lapses(session: Session, *, store_id: int, actor: Actor) -> list[LapseLine]:
    """Mark lapsed 失效 what the dates say has lapsed: an annual fee past its grace,
    stored value at zero for the lapse period. Safe to run daily, any number of times."""
    require(actor, "members.lapse", store_id)
    rules = _rules(session, store_id)
    today = clock.today()
    out = []
    rows = session.exec(select(Membership, Customer.name).join(Customer, Customer.id == Membership.customer_id)
                        .where(Membership.store_id == store_id, Membership.status == "active")
                        .order_by(Membership.id)).all()
    for m, name in rows:
        if state_of(m, rules, today) != "lapsed":
            continue
        stored_day = _stored_lapse_day(m, rules)
        if stored_day is not None and today >= stored_day:
            ended, why = stored_day, f"stored value at zero since {m.zero_balance_since}"
        else:
            ended, why = m.expires_on + timedelta(days=1), f"not renewed by {renew_by(m, rules)}"
        m.status, m.ended_on, m.end_reason = "lapsed", ended, why
        session.add(m)
        _event(session, m, "lapse", f"lapse:{m.id}:{ended.isoformat()}", actor, note=why)
        audit.record(session, actor, "membership.lapse", "membership", m.id, customer_id=m.customer_id,
                     store_id=store_id, detail={"ended_on": ended, "reason": why})
        out.append(LapseLine(m.id, m.customer_id, name, m.scheme, ended, why))
    return out


@dataclass
class Reminder:
    customer_id: int
    customer_name: str
    phone: str | None  # masked
    number: str | None
    kind: str  # low_balance | renewal
    detail: str
    due_on: date | None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def reminders(session: Session, *, store_id: int, actor: Actor, renewal_within_days: int = 30) -> list[Reminder]:
    """Who to remind: stored value under the store's threshold (a top-up reminder),
    and annual fees expiring within ``renewal_within_days`` or in their grace period."""
    require(actor, "customers.read", store_id)
    require_customer_access(actor, store_id)
    rules = _rules(session, store_id)
    today = clock.today()
    low = int(rules["stored_value_low_balance_yuan"]) * 100
    out = []
    rows = session.exec(select(Membership, Customer).join(Customer, Customer.id == Membership.customer_id)
                        .where(Membership.store_id == store_id, Membership.status == "active")
                        .order_by(Membership.id)).all()
    for m, c in rows:
        state = state_of(m, rules, today)
        if state not in ("active", "grace"):
            continue
        if m.scheme in ("stored", "both") and m.stored_value_fen < low:
            lapse = _stored_lapse_day(m, rules)
            detail = f"stored value {fmt_yuan(m.stored_value_fen)} (under {fmt_yuan(low)})"
            if lapse:
                detail += f"; lapses {lapse} if not topped up"
            out.append(Reminder(c.id, c.name, mask_phone(c.phone), m.number, "low_balance", detail, lapse))
        if m.scheme in ("annual", "both") and m.expires_on and m.expires_on <= today + timedelta(days=renewal_within_days):
            last = renew_by(m, rules)
            detail = (f"expired {m.expires_on}, renew by {last}" if state == "grace"
                      else f"expires {m.expires_on}")
            out.append(Reminder(c.id, c.name, mask_phone(c.phone), m.number, "renewal", detail, last))
    return out


def _text(value: str | None, field: str, limit: int, *, required: bool = False) -> str | None:
    """A field's text through the one rule (:func:`store.validation.clean_text`),
    refused as a MembershipError naming the field."""
    try:
        return clean_text(value, field=field, max_len=limit, required=required)
    except FieldError as exc:
        raise MembershipError(str(exc)) from exc


def set_tier(session: Session, *, store_id: int, code: str, name: str, rank: int, min_single_spend_fen: int | None,
             min_cumulative_spend_fen: int | None, discount_pct: int, points_multiplier_pct: int,
             benefits: str | None = None, actor: Actor) -> TierView:
    """Add or change a store's tier (by code)."""
    require(actor, "club.settings", store_id)
    code = _text(code, "tier code", 16, required=True).lower()
    name = _text(name, "tier name", 32, required=True)
    benefits = _text(benefits, "tier benefits", 1000)
    if not 1 <= discount_pct <= 100:
        raise MembershipError("discount_pct is 1-100 (95 = 9.5折)")
    if not 100 <= points_multiplier_pct <= 1000:
        raise MembershipError("the points multiplier is 100-1000 (150 = 1.5x)")
    t = session.exec(select(Tier).where(Tier.store_id == store_id, Tier.code == code)).first() or Tier(
        store_id=store_id, code=code, name=name)
    t.name, t.rank, t.discount_pct, t.points_multiplier_pct, t.benefits = name, rank, discount_pct, \
        points_multiplier_pct, benefits
    t.min_single_spend_fen, t.min_cumulative_spend_fen = min_single_spend_fen, min_cumulative_spend_fen
    session.add(t)
    session.flush()
    audit.record(session, actor, "tier.set", "tier", t.id, store_id=store_id, detail=TierView.of(t).as_dict())
    return TierView.of(t)


@dataclass
class StoredValueDifference:
    membership_id: int
    customer_id: int
    cached_fen: int
    ledger_fen: int

    def describe(self) -> str:
        return (f"membership {self.membership_id} (customer {self.customer_id}): stored value "
                f"{fmt_yuan(self.cached_fen)}, entries add up to {fmt_yuan(self.ledger_fen)}")


def check_stored_value(session: Session, *, store_id: int | None = None) -> tuple[int, list[StoredValueDifference]]:
    """Every stored-value balance against the sum of its entries (and never negative)."""
    sums = (select(StoredValueEntry.membership_id, func.sum(StoredValueEntry.amount_fen).label("total"))
            .group_by(StoredValueEntry.membership_id).subquery())
    stmt = (select(Membership.id, Membership.customer_id, Membership.stored_value_fen, func.coalesce(sums.c.total, 0))
            .join(sums, sums.c.membership_id == Membership.id, isouter=True))
    if store_id is not None:
        stmt = stmt.where(Membership.store_id == store_id)
    checked, out = 0, []
    for mid, cid, cached, total in session.exec(stmt.order_by(Membership.id)):
        checked += 1
        if cached != total or cached < 0:
            out.append(StoredValueDifference(mid, cid, cached, int(total)))
    return checked, out


# --- the member bill 会员服务帐单 ---------------------------------------------------------------


@dataclass
class BillLine:
    day: date
    kind: str  # discount | free_service | points
    description: str
    saved_fen: int
    points: int = 0


@dataclass
class MemberBill:
    customer_id: int
    customer_name: str
    year: int
    number: str | None
    tier_name: str | None
    lines: list[BillLine] = field(default_factory=list)
    discount_fen: int = 0
    free_services_fen: int = 0
    points_used: int = 0
    points_value_fen: int = 0
    fees_paid_fen: int = 0

    @property
    def total_saved_fen(self) -> int:
        return self.discount_fen + self.free_services_fen + self.points_value_fen

    def as_dict(self) -> dict:
        return {
            "customer_id": self.customer_id, "customer_name": self.customer_name, "year": self.year,
            "number": self.number, "tier": self.tier_name, "discount_fen": self.discount_fen,
            "free_services_fen": self.free_services_fen, "points_used": self.points_used,
            "points_value_fen": self.points_value_fen, "fees_paid_fen": self.fees_paid_fen,
            "total_saved_fen": self.total_saved_fen,
            "lines": [{"day": l.day, "kind": l.kind, "description": l.description, "saved_fen": l.saved_fen,
                       "points": l.points} for l in self.lines],
        }


def member_bill(session: Session, *, customer_id: int, year: int, actor: Actor) -> MemberBill:
    """What membership saved this customer in ``year``: the tier discount on each
    visit's amount (amount x (100 - discount_pct)%), free services at their value, and
    points used (catalog items at the store's fen per point, money at what they paid)."""
    require_for_customer(session, actor, "customers.read", customer_id)
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise MembershipError(f"no customer with id {customer_id}")
    start, end = date(year, 1, 1), date(year, 12, 31)
    memberships = session.exec(select(Membership).where(Membership.customer_id == customer_id)
                               .order_by(Membership.id)).all()
    latest = memberships[-1] if memberships else None
    tier_now = _tier(session, latest.store_id, latest.tier_code) if latest else None
    bill = MemberBill(customer_id, customer.name, year, latest.number if latest else None,
                      tier_now.name if tier_now else None)
    rules = _rules(session, customer.store_id)
    visits = session.exec(
        select(Visit).join(Vehicle, Vehicle.id == Visit.vehicle_id)
        .where(Vehicle.customer_id == customer_id, Visit.status != "cancelled", Visit.date_in >= start,
               Visit.date_in <= end).order_by(Visit.date_in, Visit.id)
    ).all()
    for v in visits:
        day = ro_day(v)
        m = next((m for m in reversed(memberships) if _in_force(m, day, rules)), None)
        tier = tier_for_ro(session, m, v) if m else None
        if tier is None or tier.discount_pct >= 100 or v.total_fen <= 0:
            continue
        saved = int((Decimal(v.total_fen) * (100 - tier.discount_pct) / 100).quantize(Decimal(1), ROUND_HALF_UP))
        bill.lines.append(BillLine(day, "discount", f"{v.ro_number} {tier.name} {tier.discount_pct / 10:g}折", saved))
        bill.discount_fen += saved
    for b in session.exec(select(BenefitUse).where(BenefitUse.customer_id == customer_id, BenefitUse.used_on >= start,
                                                   BenefitUse.used_on <= end).order_by(BenefitUse.used_on)).all():
        bill.lines.append(BillLine(b.used_on, "free_service", b.benefit, b.value_fen))
        bill.free_services_fen += b.value_fen
    fen_per_point = int(rules["points_fen_per_point"])
    acct = session.exec(select(PointsAccount).where(PointsAccount.customer_id == customer_id)).first()
    if acct is not None:
        rows = session.exec(select(PointsEntry).where(PointsEntry.account_id == acct.id).order_by(PointsEntry.id)).all()
        undone = {r.reverses_id for r in rows if r.kind == "reverse"}
        names = dict(session.exec(select(CatalogItem.id, CatalogItem.name)).all())
        for r in rows:
            if r.kind != "redeem" or r.id in undone or not (start <= r.created_at.date() <= end):
                continue
            used = -r.points
            value = r.money_fen if r.money_fen is not None else used * fen_per_point
            desc = (f"{names.get(r.catalog_item_id, '')} x{r.quantity or 1}" if r.catalog_item_id
                    else f"points for {fmt_yuan(value)}")
            bill.lines.append(BillLine(r.created_at.date(), "points", desc, value, used))
            bill.points_used += used
            bill.points_value_fen += value
    bill.fees_paid_fen = int(session.exec(select(func.coalesce(func.sum(MembershipEvent.fee_fen), 0)).where(
        MembershipEvent.customer_id == customer_id, MembershipEvent.kind.in_(("join", "renew")),
        MembershipEvent.happened_on >= start, MembershipEvent.happened_on <= end)).one())
    bill.lines.sort(key=lambda l: l.day)
    return bill


BILL_KINDS = {"discount": ("会员折扣", "Member discount"), "free_service": ("免费服务", "Free service"),
              "points": ("积分兑换", "Points used")}


def write_member_bill_xlsx(bill: MemberBill, path: str | Path) -> Path:
    """The member bill as a workbook to print or send (openpyxl)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    from store.cells import append_row

    path = Path(path)
    wb = Workbook()
    ws = wb.active
    ws.title = "会员服务帐单"
    append_row(ws, [f"会员服务帐单 Member bill {bill.year}"])
    ws["A1"].font = Font(bold=True, size=14)
    append_row(ws, ["客户 Customer", bill.customer_name, "会员号 No.", bill.number or "", "等级 Tier", bill.tier_name or ""])
    ws.append([])
    header = ["日期 Date", "项目 Kind", "说明 Description", "节省(元) Saved ¥", "积分 Points"]
    append_row(ws, header)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    first = ws.max_row + 1
    for line in bill.lines:
        append_row(ws, [line.day, BILL_KINDS[line.kind][0], line.description, line.saved_fen / 100, line.points or None])
    last = ws.max_row
    ws.append([])
    totals = [("会员折扣 Discounts", bill.discount_fen), ("免费服务 Free services", bill.free_services_fen),
              (f"积分兑换 Points used ({bill.points_used})", bill.points_value_fen),
              ("合计节省 Total saved", bill.total_saved_fen), ("会费 Fees paid", bill.fees_paid_fen)]
    for label, fen in totals:
        append_row(ws, [None, None, label, fen / 100])
        ws.cell(ws.max_row, 3).font = Font(bold=True)
    for row in ws.iter_rows(min_row=first, max_row=ws.max_row):
        row[0].number_format = "yyyy-mm-dd"
        row[3].number_format = "#,##0.00"
    for col, width in zip("ABCDE", (12, 12, 36, 16, 10)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = ws.cell(first, 1)
    for row in ws.iter_rows(min_row=first, max_row=last):
        row[2].alignment = Alignment(wrap_text=False)
    from store.files import open_private

    with open_private(path) as fh:  # owner-only: it names a customer
        wb.save(fh)
    return path
