"""Tier benefits 会员权益 with quotas.

Each tier lists its benefits (:class:`store.models.TierBenefit`): a service 服务 or a
gift 礼品, so many per membership year or unlimited, at a list price.

| rule | |
| --- | --- |
| which benefits | those of the member's tier in force today (its ``tier_code``); a withdrawn one (``active`` off) is refused |
| membership year 会员年度 | from the start date: a membership started on 03-15 has years 03-15 – 03-14; a quota counts the uses in the year that holds today, whatever the tier was when they were used |
| a use | one row (``BenefitUse``) with the benefit's code and its list price, under an idempotency key: the same key again is "already recorded" and changes nothing; the same key for another customer or benefit is refused |
| past the quota | refused in one line naming the benefit, what was used of what, and the year |
| two counters at once | the membership row is locked first, so two uses can never pass one quota |

The member bill counts each use at its price (free services 免费服务), and so do the
club's accounts (after-sales 售后部).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from store import audit, clock
from store.access import Actor, require, require_for_customer
from store.dates import add_months
from store.models import BenefitUse, Membership, Tier, TierBenefit, Visit
from store.validation import FieldError, clean_text

KINDS = ("service", "gift")
KIND_WORDS = {"service": "服务", "gift": "礼品"}
MAX_PRICE_FEN = 100_000_00  # ¥100,000: a typo guard
MAX_QUOTA = 1000


class BenefitError(Exception):
    """A refused benefit action: one line for the counter."""


@dataclass
class BenefitLine:
    """A tier's benefit, and (for a member) what is left of it this membership year."""

    tier_code: str
    code: str
    name: str
    kind: str
    quota: int | None  # per membership year; None: unlimited
    price_fen: int
    active: bool = True
    used: int = 0
    year_start: date | None = None
    year_end: date | None = None

    @property
    def remaining(self) -> int | None:
        return None if self.quota is None else max(0, self.quota - self.used)

    def left_words(self) -> str:
        """"洗车 2/4" (left of the quota), "道路救援 不限" (unlimited)."""
        return f"{self.name} {'不限' if self.quota is None else f'{self.remaining}/{self.quota}'}"

    def as_dict(self) -> dict:
        return {"tier": self.tier_code, "code": self.code, "name": self.name, "kind": self.kind, "quota": self.quota,
                "price_fen": self.price_fen, "active": self.active, "used": self.used, "remaining": self.remaining,
                "year_start": self.year_start.isoformat() if self.year_start else None,
                "year_end": self.year_end.isoformat() if self.year_end else None}


@dataclass
class BenefitResult:
    use_id: int
    status: str  # recorded | already
    line: BenefitLine
    key: str
    value_fen: int

    def as_dict(self) -> dict:
        return {"use_id": self.use_id, "status": self.status, "key": self.key, "value_fen": self.value_fen,
                "benefit": self.line.as_dict()}


def membership_year(started_on: date, day: date) -> tuple[date, date]:
    """The membership year 会员年度 that holds ``day``: from an anniversary of the start
    to the day before the next (a start on 02-29 keeps its month end)."""
    years = max(0, day.year - started_on.year)
    start = add_months(started_on, 12 * years)
    if start > day:
        years -= 1
        start = add_months(started_on, 12 * years)
    return start, add_months(started_on, 12 * (years + 1)) - timedelta(days=1)


def _line(b: TierBenefit) -> BenefitLine:
    return BenefitLine(b.tier_code, b.code, b.name, b.kind, b.quota, b.price_fen, b.active)


def tier_benefits(session: Session, *, store_id: int, tier_code: str | None = None,
                  include_inactive: bool = False) -> list[BenefitLine]:
    """The store's tier benefits (one tier's with ``tier_code``), by tier rank then code."""
    stmt = (select(TierBenefit).join(Tier, (Tier.store_id == TierBenefit.store_id) & (Tier.code == TierBenefit.tier_code),
                                     isouter=True)
            .where(TierBenefit.store_id == store_id).order_by(Tier.rank, TierBenefit.tier_code, TierBenefit.id))
    if tier_code is not None:
        stmt = stmt.where(TierBenefit.tier_code == tier_code)
    if not include_inactive:
        stmt = stmt.where(TierBenefit.active.is_(True))
    return [_line(b) for b in session.exec(stmt).all()]


def _used(session: Session, membership_id: int, start: date, end: date) -> dict[str, int]:
    rows = session.exec(select(BenefitUse.benefit_code, func.count()).where(
        BenefitUse.membership_id == membership_id, BenefitUse.benefit_code.is_not(None),
        BenefitUse.used_on >= start, BenefitUse.used_on <= end).group_by(BenefitUse.benefit_code)).all()
    return {code: int(n) for code, n in rows}


def _with_usage(session: Session, m: Membership, lines: list[BenefitLine], day: date) -> list[BenefitLine]:
    start, end = membership_year(m.started_on, day)
    used = _used(session, m.id, start, end)
    for x in lines:
        x.used, x.year_start, x.year_end = used.get(x.code, 0), start, end
    return lines


def member_benefits(session: Session, *, customer_id: int, actor: Actor, on: date | None = None) -> list[BenefitLine]:
    """The benefits of the member's tier with what is left of each this membership
    year (本年剩余); empty for a customer with no membership in force."""
    from store.members import membership_in_force

    require_for_customer(session, actor, "customers.read", customer_id)
    day = on or clock.today()
    m = membership_in_force(session, customer_id=customer_id, on=day)
    if m is None or not m.tier_code:
        return []
    return _with_usage(session, m, tier_benefits(session, store_id=m.store_id, tier_code=m.tier_code), day)


def _key(key: str | None) -> str:
    if key is None:
        return uuid.uuid4().hex
    key = key.strip()
    if not key or len(key) > 100 or any(ord(c) < 32 for c in key):
        raise BenefitError("an idempotency key is 1-100 printable characters")
    return key


def use_benefit(session: Session, *, customer_id: int, benefit: str, actor: Actor, key: str | None = None,
                visit_id: int | None = None) -> BenefitResult:
    """Record that a member used one of their tier's benefits (by code or name). The
    same key again returns the first use ("already"); past the quota it is refused."""
    from store.members import membership_in_force

    require_for_customer(session, actor, "members.serve", customer_id)
    user_key = _key(key)
    full_key = f"benefit:{user_key}"
    wanted = (benefit or "").strip()
    today = clock.today()
    current = membership_in_force(session, customer_id=customer_id, on=today)
    if current is None:
        raise BenefitError("no membership in force today: benefits are for members")
    # The membership row is the lock two counters recording the same benefit queue on.
    m = session.exec(select(Membership).where(Membership.id == current.id).with_for_update()
                     .execution_options(populate_existing=True)).one()
    done = session.exec(select(BenefitUse).where(BenefitUse.idempotency_key == full_key)).first()
    lines = _with_usage(session, m, tier_benefits(session, store_id=m.store_id, tier_code=m.tier_code or "",
                                                  include_inactive=True), today)
    if done is not None:
        line = next((x for x in lines if x.code == done.benefit_code), None)
        if done.customer_id != customer_id or line is None or wanted.upper() not in (line.code, line.name.upper()):
            raise BenefitError(f"key {user_key!r} was already used for another benefit or customer")
        return BenefitResult(done.id, "already", line, user_key, done.value_fen)
    line = next((x for x in lines if wanted and wanted.upper() in (x.code, x.name.upper())), None)
    if line is None or not line.active:
        offered = ", ".join(f"{x.code} {x.name}" for x in lines if x.active) or "none"
        raise BenefitError(f"tier {m.tier_code} has no benefit {wanted!r} (its benefits: {offered})")
    if line.quota is not None and line.used >= line.quota:
        raise BenefitError(f"{line.name} ({line.code}): {line.used} of {line.quota} used this membership year "
                           f"({line.year_start.isoformat()} – {line.year_end.isoformat()}); none left")
    if visit_id is not None:
        visit = session.get(Visit, visit_id)
        if visit is None or visit.store_id != m.store_id:
            raise BenefitError(f"no RO {visit_id} in this store")
    row = BenefitUse(membership_id=m.id, customer_id=customer_id, benefit=line.name, benefit_code=line.code,
                     value_fen=line.price_fen, used_on=today, visit_id=visit_id, idempotency_key=full_key,
                     staff_id=actor.staff_id)
    session.add(row)
    session.flush()
    line.used += 1
    audit.record(session, actor, "membership.benefit", "benefituse", row.id, customer_id=customer_id,
                 store_id=m.store_id, detail={"benefit": line.code, "name": line.name, "value_fen": line.price_fen,
                                              "used": line.used, "quota": line.quota})
    return BenefitResult(row.id, "recorded", line, user_key, line.price_fen)


def _text(value: str | None, field: str, limit: int) -> str:
    try:
        text = clean_text(value, field=field, max_len=limit, required=True)
    except FieldError as exc:
        raise BenefitError(str(exc)) from exc
    return text


def set_benefit(session: Session, *, store_id: int, tier_code: str, code: str, name: str, kind: str,
                quota: int | None, price_fen: int, active: bool = True, actor: Actor) -> BenefitLine:
    """Add or change a tier's benefit (by tier and code): the manager's."""
    require(actor, "club.settings", store_id)
    tier_code = _text(tier_code, "tier code", 16).lower()
    if session.exec(select(Tier.id).where(Tier.store_id == store_id, Tier.code == tier_code)).first() is None:
        raise BenefitError(f"no tier {tier_code!r} in this store")
    code = _text(code, "benefit code", 16).upper()
    if not re.fullmatch(r"[A-Z0-9_-]+", code):
        raise BenefitError(f"a benefit code is letters, digits, - and _ (WASH, ALIGN2), not {code!r}")
    name = _text(name, "benefit name", 50)
    if kind not in KINDS:
        raise BenefitError(f"kind {kind!r}: service (服务) or gift (礼品)")
    if quota is not None and not 1 <= quota <= MAX_QUOTA:
        raise BenefitError(f"a quota is 1-{MAX_QUOTA} a membership year (leave it out for unlimited)")
    if not 0 <= price_fen <= MAX_PRICE_FEN:
        raise BenefitError("a list price is between ¥0 and ¥100,000")
    b = session.exec(select(TierBenefit).where(TierBenefit.store_id == store_id, TierBenefit.tier_code == tier_code,
                                               TierBenefit.code == code)).first()
    before = _line(b).as_dict() if b is not None else None
    if b is None:
        b = TierBenefit(store_id=store_id, tier_code=tier_code, code=code, name=name)
    b.name, b.kind, b.quota, b.price_fen, b.active = name, kind, quota, price_fen, active
    session.add(b)
    session.flush()
    audit.record(session, actor, "tier.benefit", "tierbenefit", b.id, store_id=store_id,
                 detail={**_line(b).as_dict(), "before": before})
    return _line(b)
