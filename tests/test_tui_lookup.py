"""The first thing a newcomer sees: type part of a plate, see the car, open it."""

from __future__ import annotations

from datetime import date

from textual.widgets import Static

from store.db import write_session
from tests.factories import add_car, add_store
from tui.app import DealerDeskApp


def _store(engine):
    with write_session(engine) as s:
        store = add_store(s)
        add_car(s, store, plate="粤A12345", owner="张伟", phone="13812345678",
                visits=[("RO20260901", date(2026, 9, 1), 800), ("RO20260301", date(2026, 3, 1), 600)])
        add_car(s, store, plate="粤B77777", owner="李娜", phone="13900001234")


async def _wait_for(pilot, condition, timeout=5.0):
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.02)


async def test_type_part_of_a_plate_then_enter_shows_owner_and_visits(sqlite_engine):
    _store(sqlite_engine)
    app = DealerDeskApp(sqlite_engine)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("a", "1", "2", "3")
        table = app.screen.query_one("#results")
        await _wait_for(pilot, lambda: table.row_count == 1)
        assert table.get_row_at(0)[0] == "粤A12345"
        assert table.get_row_at(0)[2] == "张伟"
        assert table.get_row_at(0)[3] == "138****5678"
        await pilot.press("enter")
        await _wait_for(pilot, lambda: app.screen.__class__.__name__ == "ProfileScreen")
        await _wait_for(pilot, lambda: app.screen.profile is not None)
        assert [v.date_in for v in app.screen.profile.visits] == [date(2026, 9, 1), date(2026, 3, 1)]
        owner = str(app.screen.query_one("#owner", Static).render())
        assert "张伟" in owner
        await pilot.press("escape")
        await _wait_for(pilot, lambda: app.screen.__class__.__name__ == "LookupScreen")
        assert app.screen.query_one("#query").value == "a123"


async def test_no_match_says_so(sqlite_engine):
    _store(sqlite_engine)
    app = DealerDeskApp(sqlite_engine)
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.press("9", "9", "9", "9")
        status = app.screen.query_one("#status", Static)
        await _wait_for(pilot, lambda: "9999" in str(status.render()))
        assert app.screen.query_one("#results").row_count == 0
