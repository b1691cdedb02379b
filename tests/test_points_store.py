"""Points ledger rules, on SQLite and Postgres."""

from __future__ import annotations

from datetime import date

from store.db import write_session
from store.models import PointsAccount, PointsEntry
from store.points import ExpiringLot, expiring_soon
from store.settings import set_setting
from tests.factories import add_car, add_store


def _seed_lots(session, customer_id, lots):
    acct = PointsAccount(customer_id=customer_id, balance=sum(p for _, p in lots))
    session.add(acct)
    session.flush()
    for i, (expires_on, pts) in enumerate(lots):
        session.add(PointsEntry(account_id=acct.id, kind="earn", points=pts, remaining=pts,
                                expires_on=expires_on, idempotency_key=f"seed:{customer_id}:{i}"))
    session.flush()


def test_expiring_soon_lists_lots_in_window_and_is_empty_without_expiry(engine):
    with write_session(engine) as s:
        store = add_store(s)
        car = add_car(s, store, plate="粤A12345")
        cid = car.customer_id
        _seed_lots(s, cid, [(date(2026, 11, 22), 5), (date(2026, 12, 22), 7), (date(2026, 12, 23), 9),
                            (date(2026, 11, 21), 3)])
    with write_session(engine) as s:
        assert expiring_soon(s, customer_id=cid) == []  # store keeps no expiry
        set_setting(s, "points_expiry_months", 12, store_id=store.id)
    with write_session(engine) as s:
        assert expiring_soon(s, customer_id=cid) == [
            ExpiringLot(date(2026, 11, 22), 5), ExpiringLot(date(2026, 12, 22), 7)]
