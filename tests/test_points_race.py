"""Two counters, one member, the same instant: real processes redeeming at once never
overspend, on SQLite (BEGIN IMMEDIATE) and Postgres (row lock on the account)."""

from __future__ import annotations

import multiprocessing as mp
import re

import pytest

from sqlmodel import select

from store import clock, members, points
from store.access import SYSTEM, Actor
from store.db import read_session
from store.models import PointsEntry
from tests.club_helpers import make_club, tx
from tests.points_race_worker import till

TILLS, ATTEMPTS, START_BALANCE, PRICE = 6, 10, 250, 30  # room for 8 washes, 10 points left over


@pytest.mark.parametrize("how", ["session", "now"])
def test_concurrent_tills_never_overspend(engine, db_url, how):
    club = make_club(engine)
    tx(engine, lambda s: members.join(s, customer_id=club.customer_id, scheme="annual", actor=SYSTEM))
    staff = Actor(club.staff_id, "王伟", "member", club.store_id)
    tx(engine, lambda s: points.adjust(s, customer_id=club.customer_id, points=START_BALANCE, reason="seed",
                                       actor=staff))
    # Every third attempt uses a key all tills share (a retried request reaching every till at once).
    plans = [[f"shared-{i}" if i % 3 == 0 else f"till{p}-{i}" for i in range(ATTEMPTS)] for p in range(TILLS)]
    # fork starts a till in milliseconds; each opens its own engine, and a forked child
    # leaves through os._exit, so the parent's pooled connections are never touched.
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    ready, start, out = ctx.Semaphore(0), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=till, args=(db_url, clock.today(), club.customer_id, "WASH", keys, ready, start, out,
                                            how)) for keys in plans]
    for p in procs:
        p.start()
    for _ in procs:
        assert ready.acquire(timeout=120), "a till did not start"
    start.set()
    results = [r for _ in procs for r in out.get(timeout=300)]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0

    assert [r for r in results if r[0] == "error"] == []
    fresh = [r for r in results if r[0] == "ok" and not r[3]]
    replays = [r for r in results if r[0] == "ok" and r[3]]
    refused = [r for r in results if r[0] == "refused"]
    assert len(fresh) == START_BALANCE // PRICE == 8
    assert len({r[1] for r in fresh}) == len(fresh)  # no key redeemed twice
    assert {r[2] for r in replays} <= {r[2] for r in fresh}  # a replay points at the first redemption
    assert all(r[1].startswith("shared-") for r in replays)
    for r in refused:  # every refusal says why
        m = re.fullmatch(r"not enough points: balance (\d+), needs 30", r[2])
        assert m and int(m.group(1)) < PRICE, r
    assert len(fresh) + len(replays) + len(refused) == TILLS * ATTEMPTS
    with read_session(engine) as s:
        assert points.balance(s, customer_id=club.customer_id) == START_BALANCE - PRICE * len(fresh) == 10
        redeems = s.exec(select(PointsEntry).where(PointsEntry.kind == "redeem")).all()
        assert sorted(e.idempotency_key for e in redeems) == sorted(f"redeem:{r[1]}" for r in fresh)
        check = points.check_ledger(s, actor=SYSTEM)
    assert check.ok and check.accounts == 1
