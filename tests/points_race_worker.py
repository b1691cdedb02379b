"""A till in its own process, for the race tests: redeem against one member as fast
as it can once every till is ready, and report what happened to each attempt."""

from __future__ import annotations

from store.access import SYSTEM
from datetime import date


def till(url: str, today: date, customer_id: int, item_code: str, keys: list[str], ready, start, out,
         how: str = "session") -> None:
    from store import clock, points
    from store.db import in_transaction, make_engine

    clock.set_today(today)
    engine = make_engine(url)
    with engine.connect():
        pass  # connect before the start line, so the race is in the redeeming
    ready.release()
    start.wait()
    results = []
    for key in keys:
        try:
            if how == "now":  # the counter's and the command line's own transaction
                r = points.redeem_now(engine, customer_id=customer_id, item_code=item_code, key=key, actor=SYSTEM)
            else:
                r = in_transaction(engine, lambda s, key=key: points.redeem(
                    s, customer_id=customer_id, item_code=item_code, key=key, actor=SYSTEM))
            results.append(("ok", key, r.entry_id, r.replayed, r.balance))
        except points.PointsError as exc:
            results.append(("refused", key, str(exc)))
        except Exception as exc:  # noqa: BLE001 - the test asserts there are none
            results.append(("error", key, repr(exc)))
    engine.dispose()
    out.put(results)
