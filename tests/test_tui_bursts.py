"""Keys in one burst, the way a barcode scanner or a fast typist sends them: every key
lands on the screen it was meant for, in order, and Enter acts on what was typed
before it. Each burst goes to the driver in one go with no wait between keys; the
slow paths (a lookup, a profile, a PIN check) are slowed on purpose so the keys
surely arrive while the screen is busy."""

from __future__ import annotations

import time
from datetime import date, datetime

import pytest
from sqlmodel import select
from textual import events
from textual.widgets import DataTable, Input, Static

from store import members, points
from store.access import SYSTEM, Actor
from store.counter import Counter
from store.db import read_session, write_session
from store.models import CallLog, Pitch, PointsEntry, Staff
from store.staff import add_staff
from tests.calls_helpers import adopt, make_shop
from tests.club_helpers import make_club, tx
from tests.factories import add_car, add_store
from tests.test_calls_store import CARS
from tui.app import DealerDeskApp
from tests.tui_helpers import wait_for

CHARACTERS = {"enter": "\r", "tab": "\t", "escape": "\x1b", "space": " ", "backspace": "\x7f"}
NAMED = {*CHARACTERS, "right", "left", "up", "down", *(f"f{n}" for n in range(1, 13))}


def burst(app, *keys: str) -> None:
    """Every key to the driver at once, as a scanner sends them: a named key
    ("enter", "f7") is one key, any other word is typed character by character."""
    for group in keys:
        for key in [group] if group in NAMED else list(group):
            char = CHARACTERS.get(key, key if len(key) == 1 else None)
            event = events.Key(key, char)
            event.set_sender(app)
            app._driver.send_message(event)




def screen_name(app) -> str:
    return type(app.screen).__name__


def slow(monkeypatch, cls, name, seconds):
    real = getattr(cls, name)

    def slowed(self, *args, **kwargs):
        time.sleep(seconds)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(cls, name, slowed)


@pytest.fixture(autouse=True)
def key_file(tmp_path, monkeypatch):
    monkeypatch.setenv("DEALERDESK_KEY_FILE", str(tmp_path / "pii.key"))


@pytest.fixture
def plates(sqlite_engine):
    """Three cars matching "175"; only 粤L91756 matches "1756"."""
    with write_session(sqlite_engine) as s:
        store = add_store(s)
        add_staff(s, SYSTEM, store_id=store.id, code="M01", name="周建国", role="manager", pin="8888")
        add_staff(s, SYSTEM, store_id=store.id, code="SA01", name="王伟", role="sa", pin="1111")
        add_car(s, store, plate="粤M62175", owner="陈一", phone="13800000001", vin="LGBV51PHA00000001")
        add_car(s, store, plate="粤A11750", owner="陈二", phone="13800000002", vin="LGBV51PHA00000002")
        target = add_car(s, store, plate="粤L91756", owner="林三", phone="13800000003", vin="LGBV51PHA00000016")
        # Partial matches of the VIN's last digits and of the plate, on other cars.
        add_car(s, store, plate="粤B00016", owner="陈四", phone="13800000004", vin="LGBV51PHA00000160")
        ids = {"target": target.id, "target_customer": target.customer_id}
    return sqlite_engine, ids


def profile_plate(app) -> str | None:
    profile = getattr(app.screen, "profile", None)
    return profile.vehicle.plate if profile is not None else None


async def test_sign_in_burst_code_enter_pin_enter_signs_in(plates):
    engine, _ = plates
    app = DealerDeskApp(engine, sign_in=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "SignInScreen" and app.screen.is_mounted)
        burst(app, "SA01", "enter", "1111", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen" and app.screen.is_mounted)
        assert app.counter.actor.name == "王伟"
        await pilot.pause(0.1)  # the header shows who acts before the app closes
    with read_session(engine) as s:
        assert s.exec(select(Staff).where(Staff.code == "SA01")).one().failed_attempts == 0


async def test_a_burst_at_the_first_paint_waits_for_the_database_to_open(plates):
    """The counter's own start (store/startup.py): the sign-in screen paints from
    facts read without SQLAlchemy and the engine opens after it. Code, PIN and a
    lookup typed before the engine is open (its opening slowed on purpose) still
    sign in and open the car of the query as typed."""
    from store.startup import read_start_facts

    engine, _ = plates
    url = engine.url.render_as_string(hide_password=False)
    facts = read_start_facts(url)
    assert facts is not None and facts.store_name and not facts.needs_first_manager

    def open_slowly():
        time.sleep(0.5)
        return engine

    app = DealerDeskApp(open_slowly, sign_in=True, facts=facts)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "SignInScreen" and app.screen.is_mounted)
        burst(app, "SA01", "enter", "1111", "enter", "1756", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "ProfileScreen" and profile_plate(app))
        assert profile_plate(app) == "粤L91756"
        assert app.counter.actor.name == "王伟"


async def test_code_and_enter_alone_counts_no_failed_try(plates):
    engine, _ = plates
    app = DealerDeskApp(engine, sign_in=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "SignInScreen" and app.screen.is_mounted)
        burst(app, "SA01", "enter", "enter")
        await wait_for(pilot, lambda: app.screen.focused is app.screen.query_one("#pin", Input))
        await pilot.pause(0.2)
        assert screen_name(app) == "SignInScreen"
        assert str(app.screen.query_one("#signin-error", Static).render()) == ""
    with read_session(engine) as s:
        assert s.exec(select(Staff).where(Staff.code == "SA01")).one().failed_attempts == 0


async def test_sign_in_lookup_and_profile_in_one_burst_while_the_pin_check_is_slow(plates, monkeypatch):
    engine, ids = plates
    slow(monkeypatch, Counter, "sign_in", 0.3)
    app = DealerDeskApp(engine, sign_in=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "SignInScreen" and app.screen.is_mounted)
        burst(app, "SA01", "enter", "1111", "enter", "1756", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "ProfileScreen" and profile_plate(app))
        assert profile_plate(app) == "粤L91756"


async def test_enter_after_a_digit_opens_the_car_of_the_query_as_typed(plates, monkeypatch):
    """"175" shows three cars; "6" and Enter together open 粤L91756, never a "175" row."""
    engine, ids = plates
    app = DealerDeskApp(engine, staff_code="SA01")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen" and app.screen.is_mounted)
        await pilot.press("1", "7", "5")
        await wait_for(pilot, lambda: len(app.screen.matches) == 3)
        assert app.screen.matches[0].plate != "粤L91756"  # Enter now would open another car
        slow(monkeypatch, Counter, "lookup", 0.3)  # "1756" comes back after Enter was pressed
        burst(app, "6", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "ProfileScreen" and profile_plate(app))
        assert profile_plate(app) == "粤L91756"
        assert app.screen.vehicle_id == ids["target"]


async def test_a_scanned_vin_and_enter_open_that_car_at_once(plates):
    engine, ids = plates
    app = DealerDeskApp(engine, staff_code="SA01")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen" and app.screen.is_mounted)
        burst(app, "LGBV51PHA00000016", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "ProfileScreen" and profile_plate(app))
        assert profile_plate(app) == "粤L91756"


async def test_part_of_a_plate_and_enter_in_one_burst(plates):
    engine, ids = plates
    app = DealerDeskApp(engine, staff_code="SA01")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen" and app.screen.is_mounted)
        burst(app, "91756", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "ProfileScreen" and profile_plate(app))
        assert profile_plate(app) == "粤L91756"


async def test_enter_with_nothing_found_keeps_the_keys_that_follow(plates):
    engine, _ = plates
    app = DealerDeskApp(engine, staff_code="SA01")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen" and app.screen.is_mounted)
        burst(app, "9999", "enter", "backspace", "backspace", "backspace", "backspace", "1756", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "ProfileScreen" and profile_plate(app))
        assert profile_plate(app) == "粤L91756"


async def test_p2_enter_on_a_profile_saves_considering_with_its_follow_up(plates, monkeypatch):
    engine, ids = plates
    slow(monkeypatch, Counter, "profile", 0.3)  # the keys come while the profile loads
    app = DealerDeskApp(engine, staff_code="SA01")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen" and app.screen.is_mounted)
        burst(app, "1756", "enter", "p", "2", "enter")
        await wait_for(pilot, lambda: pitches(engine))
        await wait_for(pilot, lambda: screen_name(app) == "ProfileScreen")
        assert profile_plate(app) == "粤L91756"
    (pitch,) = pitches(engine)
    assert (pitch.customer_id, pitch.outcome) == (ids["target_customer"], "considering")
    assert pitch.follow_up_on is not None and pitch.follow_up_on > date(2026, 11, 22)


async def test_the_second_car_opens_on_the_kept_screen_and_its_keys_act_on_it(plates, monkeypatch):
    """The app keeps one profile screen: the second car is drawn into it before it is
    shown. Escape, a new plate, Enter and p2Enter in one burst (the profile load
    slowed) pitch the second car's owner, never the first's; and a load of the first
    car that comes back late is never drawn over the second."""
    from tui.screens.profile import ProfileScreen

    engine, ids = plates
    app = DealerDeskApp(engine, staff_code="SA01")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen" and app.screen.is_mounted)
        burst(app, "62175", "enter")
        await wait_for(pilot, lambda: profile_plate(app) == "粤M62175")
        first_screen, first_id = app.screen, app.screen.vehicle_id
        slow(monkeypatch, Counter, "profile", 0.3)
        burst(app, "escape", *["backspace"] * 5, "1756", "enter", "p", "2", "enter")
        await wait_for(pilot, lambda: pitches(engine))
        await wait_for(pilot, lambda: screen_name(app) == "ProfileScreen" and profile_plate(app) == "粤L91756")
        assert app.screen is first_screen  # the same screen, drawn again
        stale = app.counter.profile(first_id)
        app.screen.post_message(ProfileScreen.Loaded(first_id, stale))
        await pilot.pause(0.2)
        assert profile_plate(app) == "粤L91756"
        assert "粤M62175" not in str(app.screen.query_one("#vehicle", Static).render())
    (pitch,) = pitches(engine)
    assert pitch.customer_id == ids["target_customer"]


def pitches(engine):
    with read_session(engine) as s:
        return s.exec(select(Pitch)).all()


@pytest.fixture
def call_shop(sqlite_engine):
    shop = make_shop(sqlite_engine, CARS)
    adopt(sqlite_engine, shop, "0-9:王伟", as_of=date(2026, 10, 1))
    return sqlite_engine, shop


def call_rows(engine):
    with read_session(engine) as s:
        return s.exec(select(CallLog).order_by(CallLog.id)).all()


async def test_calls_1_enter_books_the_default_time(call_shop):
    engine, shop = call_shop
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen" and app.screen.is_mounted)
        burst(app, "f7", "1", "enter")
        await wait_for(pilot, lambda: len(call_rows(engine)) == 1)
        (c,) = call_rows(engine)
        assert c.outcome == "booked" and c.customer_id == shop.customers["粤A10004"]
        await wait_for(pilot, lambda: screen_name(app) == "CallsScreen")


async def test_calls_refusal_with_a_reason_key_in_one_burst(call_shop):
    engine, shop = call_shop
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen" and app.screen.is_mounted)
        burst(app, "f7", "5", "right", "enter", "4")
        await wait_for(pilot, lambda: len(call_rows(engine)) == 2)
        first, second = call_rows(engine)
        assert (first.outcome, first.reason, first.customer_id) == ("refused", "价格", shop.customers["粤A10004"])
        assert second.outcome == "wrong_number" and second.customer_id == shop.customers["粤A10003"]


async def test_j_enter_enter_on_a_members_profile_redeems_once(sqlite_engine, monkeypatch):
    club = make_club(sqlite_engine)
    tx(sqlite_engine, lambda s: members.join(s, customer_id=club.customer_id, scheme="annual", actor=SYSTEM))
    staff = Actor(club.staff_id, "王伟", "member", club.store_id)
    tx(sqlite_engine, lambda s: points.adjust(s, customer_id=club.customer_id, points=100, reason="开卡礼",
                                               actor=staff))
    slow(monkeypatch, Counter, "profile", 0.2)
    app = DealerDeskApp(sqlite_engine, staff_code="SA01")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen" and app.screen.is_mounted)
        burst(app, "a12345", "enter", "j", "enter", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "PointsScreen" and app.screen.view is not None
                       and "积分 70" in str(app.screen.query_one("#points-summary", Static).render()))
        await pilot.pause(0.3)
        assert screen_name(app) == "PointsScreen"
    with read_session(sqlite_engine) as s:
        rows = s.exec(select(PointsEntry).where(PointsEntry.kind == "redeem")).all()
        assert len(rows) == 1 and rows[0].points == -30
        assert points.balance(s, customer_id=club.customer_id) == 70
