"""Sign-out on idle 自动登出: a counter left alone for the store's
``idle_sign_out_minutes`` goes back to the sign-in screen, a half-done form is
discarded, the audit records it, and the next person signs in as themselves.

The idle time is read from the app's ``idle_clock``, which these tests replace: no
test sleeps for minutes; each moves the clock and asks the app to look."""

from __future__ import annotations

import asyncio
import json
from datetime import date

import pytest
from sqlmodel import select
from textual.widgets import Static

from store.access import SYSTEM
from store.db import read_session, write_session
from store.models import AuditLog, Pitch, Staff
from store.settings import set_setting
from store.staff import add_staff
from tests.factories import add_car, add_store
from tui.app import DealerDeskApp


@pytest.fixture(autouse=True)
def key_file(tmp_path, monkeypatch):
    monkeypatch.setenv("DEALERDESK_KEY_FILE", str(tmp_path / "pii.key"))
    monkeypatch.delenv("DEALERDESK_IDLE_SIGN_OUT_MINUTES", raising=False)


class FakeClock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds

    def advance(self, minutes: float) -> None:
        self.seconds += minutes * 60


async def wait_for(pilot, condition, timeout=10.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.02)


def screen_name(app) -> str:
    return type(app.screen).__name__


def shop(engine, *, idle_minutes: int | None = None) -> int:
    with write_session(engine) as s:
        store = add_store(s, name="测试4S店")
        add_staff(s, SYSTEM, store_id=store.id, code="M01", name="周建国", role="manager", pin="8888")
        add_staff(s, SYSTEM, store_id=store.id, code="SA01", name="王伟", role="sa", pin="1111")
        add_staff(s, SYSTEM, store_id=store.id, code="SA02", name="李娜", role="sa", pin="2222")
        car = add_car(s, store, plate="粤A12345", owner="张伟", phone="13812345678",
                      visits=[("RO1", date(2026, 9, 1), 800)])
        if idle_minutes is not None:
            set_setting(s, "idle_sign_out_minutes", idle_minutes, store_id=store.id)
        return car.customer_id


def new_app(engine) -> tuple[DealerDeskApp, FakeClock]:
    app = DealerDeskApp(engine, sign_in=True)
    clock = FakeClock()
    app.idle_clock = clock
    app.last_input = clock()
    return app, clock


async def sign_in(pilot, app, code, pin):
    await wait_for(pilot, lambda: screen_name(app) == "SignInScreen")
    await pilot.press(*code, "enter", *pin, "enter")
    await wait_for(pilot, lambda: screen_name(app) == "LookupScreen" and app.idle_minutes is not None)
    await pilot.pause()  # the lookup painted, as at a counter someone walked away from


async def open_car(pilot, app):
    await pilot.press("a", "1", "2", "3")
    await wait_for(pilot, lambda: len(getattr(app.screen, "matches", [])) == 1)
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen_name(app) == "ProfileScreen" and app.screen.profile is not None)


def sign_outs(engine) -> list[tuple[str, dict]]:
    with read_session(engine) as s:
        rows = s.exec(select(AuditLog).where(AuditLog.action == "staff.sign_out").order_by(AuditLog.id)).all()
        return [(s.get(Staff, r.staff_id).code, json.loads(r.detail)) for r in rows]


def pitched(engine, customer_id: int) -> list[str]:
    with read_session(engine) as s:
        return [p.outcome for p in s.exec(select(Pitch).where(Pitch.customer_id == customer_id).order_by(Pitch.id))]


def notice(app) -> str:
    return str(app.screen.query_one("#signin-notice", Static).render())


async def test_a_lookup_left_alone_signs_out_and_the_next_person_signs_in_as_themselves(sqlite_engine):
    shop(sqlite_engine)
    app, clock = new_app(sqlite_engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, app, "sa01", "1111")
        assert app.idle_minutes == 10  # the default
        assert "王伟" in app.sub_title
        await pilot.press("a", "1")
        clock.advance(9.9)
        assert not app.sign_out_if_idle()
        clock.advance(0.2)
        assert app.sign_out_if_idle()
        await wait_for(pilot, lambda: screen_name(app) == "SignInScreen")
        assert "已自动登出" in notice(app) and "10 分钟" in notice(app)
        assert "王伟" not in app.sub_title
        assert app.counter.actor.staff_id is None
        await wait_for(pilot, lambda: len(sign_outs(sqlite_engine)) == 1)
        await sign_in(pilot, app, "sa02", "2222")
        assert "李娜" in app.sub_title and "王伟" not in app.sub_title
        assert app.counter.actor.name == "李娜"
    assert sign_outs(sqlite_engine) == [("SA01", {"reason": "idle", "idle_minutes": 10})]


async def test_a_half_done_pitch_is_discarded_and_what_was_saved_stays(sqlite_engine):
    customer_id = shop(sqlite_engine)
    app, clock = new_app(sqlite_engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await sign_in(pilot, app, "sa01", "1111")
        await open_car(pilot, app)
        await pilot.press("p", "2", "enter")  # a pitch saved: considering
        await wait_for(pilot, lambda: screen_name(app) == "ProfileScreen" and pitched(sqlite_engine, customer_id))
        await pilot.press("p", "3")  # a second one begun: declined, not saved
        await wait_for(pilot, lambda: screen_name(app) == "PitchScreen")
        clock.advance(11)
        assert app.sign_out_if_idle()
        await wait_for(pilot, lambda: screen_name(app) == "SignInScreen")
        assert [type(s).__name__ for s in app.screen_stack[1:]] == ["SignInScreen"]
        await wait_for(pilot, lambda: len(sign_outs(sqlite_engine)) == 1)
        await sign_in(pilot, app, "sa02", "2222")
        await open_car(pilot, app)  # the next person's profile, not the one left open
        assert app.screen.profile is not None
    assert pitched(sqlite_engine, customer_id) == ["considering"]  # nothing from the half-done form


async def test_a_key_press_starts_the_idle_time_again(sqlite_engine):
    shop(sqlite_engine)
    app, clock = new_app(sqlite_engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, app, "sa01", "1111")
        clock.advance(9)
        await pilot.press("a")
        clock.advance(9)
        assert not app.sign_out_if_idle()
        assert screen_name(app) == "LookupScreen"
        clock.advance(1.5)
        assert app.sign_out_if_idle()
        await wait_for(pilot, lambda: screen_name(app) == "SignInScreen")
        await wait_for(pilot, lambda: len(sign_outs(sqlite_engine)) == 1)


async def test_the_timer_looks_by_itself(sqlite_engine):
    shop(sqlite_engine, idle_minutes=3)
    app, clock = new_app(sqlite_engine)
    app.idle_check_seconds = 0.05
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, app, "sa01", "1111")
        assert app.idle_minutes == 3  # the store's own setting
        await pilot.press("a", "1", "2", "3")  # a lookup, then the counter is left alone
        await wait_for(pilot, lambda: len(getattr(app.screen, "matches", [])) == 1)
        await pilot.pause()
        clock.advance(3.5)
        await wait_for(pilot, lambda: screen_name(app) == "SignInScreen")
        assert "3 分钟" in notice(app)
        await wait_for(pilot, lambda: len(sign_outs(sqlite_engine)) == 1)


async def test_zero_never_signs_out(sqlite_engine):
    shop(sqlite_engine, idle_minutes=0)
    app, clock = new_app(sqlite_engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, app, "sa01", "1111")
        assert app.idle_minutes == 0
        clock.advance(24 * 60)
        assert not app.sign_out_if_idle()
        assert screen_name(app) == "LookupScreen" and "王伟" in app.sub_title
    assert sign_outs(sqlite_engine) == []


async def test_nobody_signed_in_is_never_signed_out(sqlite_engine):
    shop(sqlite_engine)
    app, clock = new_app(sqlite_engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "SignInScreen")
        app.idle_minutes = 10
        clock.advance(60)
        assert not app.sign_out_if_idle()
    assert sign_outs(sqlite_engine) == []


async def test_a_mouse_move_starts_the_idle_time_again(sqlite_engine):
    """The terminal (and the browser) hands mouse input to the app, as here."""
    from textual import events

    shop(sqlite_engine)
    app, clock = new_app(sqlite_engine)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, app, "sa01", "1111")
        clock.advance(9)
        moved = clock()
        app.post_message(events.MouseMove(None, 10, 10, 1, 0, 0, False, False, False, screen_x=10, screen_y=10))
        await wait_for(pilot, lambda: app.last_input == moved)
        clock.advance(9)
        assert not app.sign_out_if_idle()
        assert screen_name(app) == "LookupScreen"
