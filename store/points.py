"""Points 积分: earn, redeem, adjust, expire, reverse; an append-only ledger.

Every change is a :class:`~store.models.PointsEntry` row with a unique idempotency
key; the account's cached balance moves in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, select

from store import clock
from store.models import Customer, PointsAccount, PointsEntry
from store.settings import get_setting


@dataclass(frozen=True)
class ExpiringLot:
    """Points that lapse on ``expires_on`` (the last day they can still be used)."""

    expires_on: date
    points: int


def expiring_soon(session: Session, *, customer_id: int, within_days: int = 30) -> list[ExpiringLot]:
    """Points whose last valid day falls within the next ``within_days`` days, oldest
    first, one row per day. Empty when the store keeps no expiry."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        return []
    if not get_setting(session, "points_expiry_months", store_id=customer.store_id):
        return []
    today = clock.today()
    rows = session.exec(
        select(PointsEntry.expires_on, PointsEntry.remaining)
        .join(PointsAccount, PointsAccount.id == PointsEntry.account_id)
        .where(
            PointsAccount.customer_id == customer_id,
            PointsEntry.remaining > 0,
            PointsEntry.expires_on.is_not(None),
            PointsEntry.expires_on >= today,
            PointsEntry.expires_on <= today + timedelta(days=within_days),
        )
        .order_by(PointsEntry.expires_on)
    ).all()
    by_day: dict[date, int] = {}
    for expires_on, remaining in rows:
        by_day[expires_on] = by_day.get(expires_on, 0) + remaining
    return [ExpiringLot(expires_on=d, points=p) for d, p in by_day.items()]
