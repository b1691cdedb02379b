"""A club event in the report month of tests/report_helpers.py: a class on 2026-10-15
with two sign-ups (c1 and c10, both customers there), c1 checked in, a cost of ¥300."""

from __future__ import annotations

from datetime import datetime

from store import events
from tests.report_helpers import Shop, on


def october_event(engine, shop: Shop) -> int:
    m = shop.manager
    event = on("2026-10-01", engine, lambda s: events.add_event(
        s, store_id=shop.store_id, name="安全驾驶讲堂", kind="class", starts_at=datetime(2026, 10, 15, 10, 0),
        capacity=2, points=30, actor=m))
    for key in ("c1", "c10"):
        on("2026-10-02", engine, lambda s, k=key: events.sign_up(s, event_id=event.id, customer_id=shop.customers[k],
                                                                 actor=m))
    on("2026-10-15", engine, lambda s: events.check_in(s, event_id=event.id, customer_id=shop.customers["c1"], actor=m))
    on("2026-10-15", engine, lambda s: events.add_cost(s, event_id=event.id, amount_fen=30_000, actor=m, key="hall"))
    return event.id
