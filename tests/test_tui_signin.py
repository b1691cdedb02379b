"""Sign-in by keys, the lockout, the first manager of a new database, and a masked
profile that a reveal unmasks (and logs)."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from sqlmodel import select
from textual.widgets import Input, Static

from store.access import SYSTEM
from store.db import read_session, write_session
from store.models import Adoption, AuditLog, Staff
from store.staff import add_staff
from tests.factories import add_car, add_store
from tui.app import DealerDeskApp


@pytest.fixture(autouse=True)
def key_file(tmp_path, monkeypatch):
    monkeypatch.setenv("DEALERDESK_KEY_FILE", str(tmp_path / "pii.key"))


async def wait_for(pilot, condition, timeout=10.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.02)


def screen_name(app) -> str:
    return type(app.screen).__name__


def shop(engine):
    with write_session(engine) as s:
        store = add_store(s)
        add_staff(s, SYSTEM, store_id=store.id, code="M01", name="周建国", role="manager", pin="8888")
        add_staff(s, SYSTEM, store_id=store.id, code="SA01", name="王伟", role="sa", pin="1111")
        add_staff(s, SYSTEM, store_id=store.id, code="SA02", name="李娜", role="sa", pin="2222")
        add_staff(s, SYSTEM, store_id=store.id, code="GA01", name="郑志明", role="analyst", pin="9999")
        car = add_car(s, store, plate="粤A12345", owner="张伟", phone="13812345678",
                      visits=[("RO1", date(2026, 9, 1), 800)])
        sa01 = s.exec(select(Staff).where(Staff.code == "SA01")).one()
        s.add(Adoption(store_id=store.id, vehicle_id=car.id, staff_id=sa01.id, started_on=date(2026, 1, 1)))


async def sign_in(pilot, app, code, pin):
    await wait_for(pilot, lambda: screen_name(app) == "SignInScreen")
    await pilot.press(*code, "enter", *pin, "enter")


async def open_car(pilot, app):
    await wait_for(pilot, lambda: screen_name(app) == "LookupScreen")
    await pilot.press("a", "1", "2", "3")
    await wait_for(pilot, lambda: len(getattr(app.screen, "matches", [])) == 1)
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen_name(app) == "ProfileScreen" and app.screen.profile is not None)


def owner_text(app) -> str:
    return str(app.screen.query_one("#owner", Static).render())


async def test_sign_in_then_an_adopted_customer_shows_in_full(sqlite_engine):
    shop(sqlite_engine)
    app = DealerDeskApp(sqlite_engine, sign_in=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, app, "sa01", "1111")
        await open_car(pilot, app)
        assert "13812345678" in owner_text(app)
        assert "王伟" in app.sub_title
    with read_session(sqlite_engine) as s:
        (row,) = s.exec(select(AuditLog).where(AuditLog.action == "contact.unmask")).all()
        assert s.get(Staff, row.staff_id).code == "SA01"


async def test_someone_elses_customer_is_masked_until_revealed_and_the_reveal_is_logged(sqlite_engine):
    shop(sqlite_engine)
    app = DealerDeskApp(sqlite_engine, sign_in=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, app, "SA02", "2222")
        await open_car(pilot, app)
        assert "138****5678" in owner_text(app) and "13812345678" not in owner_text(app)
        with read_session(sqlite_engine) as s:
            assert not s.exec(select(AuditLog).where(AuditLog.action == "contact.unmask")).all()
        await pilot.press("u")
        await wait_for(pilot, lambda: "13812345678" in owner_text(app))
    with read_session(sqlite_engine) as s:
        (row,) = s.exec(select(AuditLog).where(AuditLog.action == "contact.unmask")).all()
        assert "前台" in row.detail and s.get(Staff, row.staff_id).code == "SA02"


async def test_wrong_pin_says_so_and_five_lock_the_code(sqlite_engine):
    shop(sqlite_engine)
    app = DealerDeskApp(sqlite_engine, sign_in=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, app, "SA01", "0000")
        error = app.screen.query_one("#signin-error", Static)
        await wait_for(pilot, lambda: "1/5" in str(error.render()))
        for _ in range(4):
            await pilot.press(*"0000", "enter")
            await pilot.pause(0.3)
        await wait_for(pilot, lambda: "锁定" in str(error.render()))
        await pilot.press(*"1111", "enter")  # the right PIN, but locked
        await pilot.pause(0.5)
        await wait_for(pilot, lambda: "锁定" in str(error.render()))
        assert screen_name(app) == "SignInScreen"
    with read_session(sqlite_engine) as s:
        assert s.exec(select(Staff).where(Staff.code == "SA01")).one().locked_until is not None


async def test_an_analyst_signs_in_but_sees_no_customers(sqlite_engine):
    shop(sqlite_engine)
    app = DealerDeskApp(sqlite_engine, sign_in=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, app, "GA01", "9999")
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen")
        await pilot.press("a", "1", "2", "3")
        await wait_for(pilot, lambda: any("aggregates" in str(n.message) for n in app._notifications))
        assert not app.screen.matches


async def test_a_new_database_asks_for_its_first_manager(sqlite_engine):
    app = DealerDeskApp(sqlite_engine, sign_in=True)
    async with app.run_test(size=(100, 34)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "FirstManagerScreen")
        app.screen.query_one("#store_name", Input).value = "天河店"
        await pilot.press("enter", *"M01", "enter")
        app.screen.query_one("#name", Input).value = "周建国"
        await pilot.press("enter", *"8888", "enter", *"8888", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen")
        assert "周建国" in app.sub_title
    with read_session(sqlite_engine) as s:
        (staff,) = s.exec(select(Staff)).all()
        assert (staff.code, staff.role) == ("M01", "manager")


async def test_the_pitch_form_refuses_a_control_character_and_says_which_field(sqlite_engine):
    from store.models import Pitch

    shop(sqlite_engine)
    app = DealerDeskApp(sqlite_engine, sign_in=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await sign_in(pilot, app, "SA01", "1111")
        await open_car(pilot, app)
        await pilot.press("p")
        await wait_for(pilot, lambda: screen_name(app) == "PitchScreen")
        app.screen.query_one("#note", Input).value = "bad\x1b[31m"
        await pilot.press("2", "enter")
        await wait_for(pilot, lambda: any("note" in str(n.message) for n in app._notifications))
        assert screen_name(app) == "PitchScreen"
    with read_session(sqlite_engine) as s:
        assert s.exec(select(Pitch)).all() == []
