"""The look of the counter's main screens on a fixed demo store (seed 7, today
2026-11-22, cursor blink off). After an intended change of look, review the new
pictures with ``pytest tests/test_tui_snapshots.py --snapshot-update``."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from store.demo import generate
from tui.app import DealerDeskApp
from tui.i18n import set_language

TODAY = date(2026, 11, 22)


@pytest.fixture
def demo_app(sqlite_engine):
    generate(sqlite_engine, vehicles=300, seed=7, today=TODAY)
    app = DealerDeskApp(sqlite_engine, blink=False)
    yield app
    set_language("zh")


async def wait_for(pilot, condition, timeout=10.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.02)


async def type_query(pilot, query: str) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: app.screen.follow_ups_due > 0)  # the hint line has settled
    await pilot.press(*query)
    table = app.screen.query_one("#results")
    await wait_for(pilot, lambda: app.screen.shown_query == query and table.row_count > 0)


async def open_profile(pilot, query: str = "a1", down: int = 1) -> None:
    app = pilot.app
    await type_query(pilot, query)
    await pilot.press(*["down"] * down, "enter")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "ProfileScreen" and app.screen.profile is not None)


def test_lookup_results(snap_compare, demo_app):
    async def run_before(pilot):
        await type_query(pilot, "a1")

    assert snap_compare(demo_app, terminal_size=(100, 30), run_before=run_before)


def test_profile(snap_compare, demo_app):
    async def run_before(pilot):
        await open_profile(pilot)

    assert snap_compare(demo_app, terminal_size=(100, 30), run_before=run_before)


def test_profile_at_80x24(snap_compare, demo_app):
    async def run_before(pilot):
        await open_profile(pilot)

    assert snap_compare(demo_app, terminal_size=(80, 24), run_before=run_before)


def test_pitch_form_considering(snap_compare, demo_app):
    async def run_before(pilot):
        await open_profile(pilot)
        await pilot.press("p")
        await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "PitchScreen")
        await pilot.press("2")

    assert snap_compare(demo_app, terminal_size=(100, 30), run_before=run_before)


# --- every main screen at 80x24 (a counter PC's smallest terminal) --------------------------

SMALL = (80, 24)


@pytest.fixture
def manager_app(sqlite_engine):
    generate(sqlite_engine, vehicles=300, seed=7, today=TODAY)
    app = DealerDeskApp(sqlite_engine, blink=False, staff_code="M01")
    yield app
    set_language("zh")


async def open_first(pilot, query: str, *, member: bool) -> None:
    """The profile of the first car of ``query`` whose owner is (or is not) a member."""
    app = pilot.app
    await type_query(pilot, query)
    index = next(i for i, m in enumerate(app.screen.matches) if (m.tier is not None) == member)
    await pilot.press(*["down"] * index, "enter")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "ProfileScreen" and app.screen.profile is not None)


def test_lookup_at_80x24(snap_compare, demo_app):
    async def run_before(pilot):
        await type_query(pilot, "a1")

    assert snap_compare(demo_app, terminal_size=SMALL, run_before=run_before)


def test_pitch_form_at_80x24(snap_compare, demo_app):
    async def run_before(pilot):
        await open_first(pilot, "a1", member=False)
        await pilot.press("p", "2")
        await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "PitchScreen")
        await pilot.pause(0.1)

    assert snap_compare(demo_app, terminal_size=SMALL, run_before=run_before)


def test_points_at_80x24(snap_compare, demo_app):
    async def run_before(pilot):
        await open_first(pilot, "a1", member=True)
        await pilot.press("j")
        await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "PointsScreen"
                       and pilot.app.screen.view is not None)
        await pilot.pause(0.1)

    assert snap_compare(demo_app, terminal_size=SMALL, run_before=run_before)


def test_call_list_at_80x24(snap_compare, demo_app):
    async def run_before(pilot):
        await wait_for(pilot, lambda: pilot.app.screen.follow_ups_due > 0)
        await pilot.press("f7")
        await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "CallsScreen"
                       and pilot.app.screen.lst is not None)
        await pilot.pause(0.1)

    assert snap_compare(demo_app, terminal_size=SMALL, run_before=run_before)


def test_reports_at_80x24(snap_compare, manager_app):
    async def run_before(pilot):
        await pilot.pause(0.3)
        await pilot.press("f9")
        await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "ReportsScreen"
                       and getattr(pilot.app.screen, "book", None) is not None, timeout=30)
        await pilot.pause(0.2)

    assert snap_compare(manager_app, terminal_size=SMALL, run_before=run_before)


def test_import_at_80x24(snap_compare, manager_app):
    async def run_before(pilot):
        await pilot.pause(0.3)
        await pilot.press("f6")
        await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "ImportScreen")
        await pilot.pause(0.1)

    assert snap_compare(manager_app, terminal_size=SMALL, run_before=run_before)
