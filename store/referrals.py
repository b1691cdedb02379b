"""Referrals 推荐购车: a customer brings a friend who buys a car.

| state | Chinese | meaning |
| --- | --- | --- |
| open | 未成交 | no sale matched yet |
| matched | 已成交(未奖励) | the friend bought (matched to their car, or entered by hand); no points: the referrer was not a member in force that day (``points_members_only``), or the store gives none |
| rewarded | 已奖励 | matched, and the referrer credited ``points_referral_reward`` once |

Matching (:func:`match_referrals`, run by every import and by a sale entered by
hand): an open referral with the friend's phone is matched to a car of the store
whose owner has that phone and which was bought on or after the day of the
referral (its purchase date; without one, the day it was first recorded), the
earliest such car first. It is then rewarded by :func:`store.points.reward_referral`,
once. The club's KPI counts matched referrals (rewarded or not) by the day of the sale.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import text
from sqlmodel import Session

from store import clock
from store.access import Actor, require, require_customer_access
from store.privacy import mask_phone

STATES = ("open", "matched", "rewarded")
_PHONE_NOISE = re.compile(r"[\s\-()（）]")
_PHONE = re.compile(r"\+?\d{5,20}")
_CHINA_PREFIX = re.compile(r"^(\+86|0086|86)(1\d{10})$")


def normalize_phone(text: str | None) -> str | None:
    """A typed phone number as the importer keeps it (spaces, dashes and brackets
    dropped, a +86/0086/86 before a mobile number dropped); None when it holds no number."""
    if text is None:
        return None
    found = _PHONE.search(_PHONE_NOISE.sub("", text))
    if found is None:
        return None
    return _CHINA_PREFIX.sub(r"\2", found.group(0))


def state_of(sold_on: date | None, rewarded: bool) -> str:
    return "rewarded" if rewarded else "matched" if sold_on is not None else "open"


@dataclass
class ReferralLine:
    id: int
    referred_on: date
    referrer_id: int
    referrer: str
    friend_name: str
    friend_phone: str | None  # masked
    state: str
    sold_on: date | None
    plate: str | None  # the car the friend bought, when matched to one
    points: int

    def as_dict(self) -> dict:
        return {"id": self.id, "referred_on": self.referred_on.isoformat(), "referrer_id": self.referrer_id,
                "referrer": self.referrer, "friend_name": self.friend_name, "friend_phone": self.friend_phone,
                "state": self.state, "sold_on": self.sold_on.isoformat() if self.sold_on else None,
                "plate": self.plate, "points": self.points}


def _day(value) -> date | None:
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(str(value)[:10])


def referrals(session: Session, *, store_id: int, actor: Actor, state: str | None = None) -> list[ReferralLine]:
    """The store's referrals, newest first; ``state`` one of :data:`STATES` or all."""
    require(actor, "customers.read", store_id)
    require_customer_access(actor, store_id)
    if state is not None and state not in STATES:
        raise ValueError(f"state {state!r}: one of {', '.join(STATES)}")
    where = {"open": " AND r.sold_on IS NULL AND r.rewarded = :no",
             "matched": " AND r.sold_on IS NOT NULL AND r.rewarded = :no",
             "rewarded": " AND r.rewarded = :yes", None: ""}[state]
    rows = session.execute(text(
        "SELECT r.id, r.referred_on, r.referrer_customer_id, c.name, r.friend_name, r.friend_phone, r.sold_on,"
        " r.rewarded, v.plate, COALESCE((SELECT p.points FROM pointsentry p"
        "  WHERE p.idempotency_key = 'referral:' || CAST(r.id AS VARCHAR(20))), 0)"
        " FROM referral r JOIN customer c ON c.id = r.referrer_customer_id"
        " LEFT JOIN vehicle v ON v.id = r.vehicle_id"
        " WHERE r.store_id = :sid" + where + " ORDER BY r.referred_on DESC, r.id DESC"),
        {"sid": store_id, "yes": True, "no": False}).all()
    return [ReferralLine(rid, _day(on), cid, name, friend, mask_phone(phone), state_of(_day(sold), bool(rewarded)),
                         _day(sold), plate, int(points))
            for rid, on, cid, name, friend, phone, sold, rewarded, plate, points in rows]


def match_referrals(session: Session, *, store_id: int, actor: Actor) -> list:
    """Match every open referral with a phone to the car its friend bought (see the
    module's rules) and reward it once; returns the
    :class:`store.points.ReferralResult` of each referral matched now. Cheap to run
    after every import: one query over the store's open referrals."""
    from store.points import reward_referral

    require(actor, "points.referral_sold", store_id)
    rows = session.execute(text(
        "SELECT r.id, v.id, COALESCE(v.purchase_date, " + _created_day(session) + ") AS bought"
        " FROM referral r JOIN customer c ON c.store_id = r.store_id AND c.phone = r.friend_phone"
        " JOIN vehicle v ON v.customer_id = c.id AND v.store_id = r.store_id"
        " WHERE r.store_id = :sid AND r.sold_on IS NULL AND r.rewarded = :no AND r.friend_phone IS NOT NULL"
        " AND COALESCE(v.purchase_date, " + _created_day(session) + ") >= r.referred_on"
        " ORDER BY r.id, bought, v.id"), {"sid": store_id, "no": False}).all()
    out, seen = [], set()
    for referral_id, vehicle_id, bought in rows:
        if referral_id in seen:
            continue
        seen.add(referral_id)
        out.append(reward_referral(session, referral_id=referral_id, sold_on=min(_day(bought), clock.today()),
                                   vehicle_id=vehicle_id, actor=actor))
    return out


def _created_day(session: Session) -> str:
    return ("CAST(v.created_at AS DATE)" if session.get_bind().dialect.name == "postgresql"
            else "date(v.created_at)")
