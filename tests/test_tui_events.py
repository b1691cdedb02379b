"""Club events on screen: the Events screen (F4) lists them with their details, the
door check-in takes any part of a plate or a phone's last 4 in one burst and checks
the right person in (points once), refuses someone not signed up and lets a walk-in
in by ctrl+w; the profile signs a customer up with ``e`` and a digit and sets their
interests with ``i``, digits and Enter. Every burst is one ``pilot.press`` with no
waits; the tests wait on what the screen shows and check what the database holds."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select
from textual.widgets import DataTable, Static

from store import clock, events, members
from store.access import SYSTEM, Actor
from store.db import in_transaction, read_session, write_session
from store.models import Adoption, Customer, CustomerInterest, EventSignup, PointsEntry, Store
from store.staff import add_staff
from tests.factories import add_car, add_store
from tests.tui_helpers import wait_for
from tui.app import DealerDeskApp

EVENT_AT = datetime(2026, 11, 29, 14, 0)


@pytest.fixture(autouse=True)
def key_file(tmp_path, monkeypatch):
    monkeypatch.setenv("DEALERDESK_KEY_FILE", str(tmp_path / "pii.key"))
    monkeypatch.setenv("DEALERDESK_HOME", str(tmp_path / "home"))


@pytest.fixture
def shop(sqlite_engine):
    """张伟 (粤A12345, phone ...5678, a member) and 李四 (粤B22222) signed up for a class
    of two seats on 11-29 with 50 points; 王五 (粤C33333) not signed up."""
    with write_session(sqlite_engine) as s:
        store = add_store(s)
        add_staff(s, SYSTEM, store_id=store.id, code="M01", name="周建国", role="manager", pin="8888")
        sa = add_staff(s, SYSTEM, store_id=store.id, code="SA01", name="王伟", role="sa", pin="1111")
        ids = {}
        for plate, owner, phone in (("粤A12345", "张伟", "13812345678"), ("粤B22222", "李四", "13922223333"),
                                    ("粤C33333", "王五", "13733334444")):
            car = add_car(s, s.get(Store, store.id), plate=plate, owner=owner, phone=phone,
                          visits=[(f"RO{plate[-5:]}", date(2026, 11, 1), 800)])
            s.add(Adoption(store_id=store.id, vehicle_id=car.id, staff_id=sa.id, started_on=date(2026, 1, 1)))
            ids[owner] = car.customer_id
        store_id = store.id
    manager = Actor(None, "店长", "manager", store_id)
    in_transaction(sqlite_engine, lambda s: members.join(s, customer_id=ids["张伟"], scheme="annual", actor=SYSTEM))
    event = in_transaction(sqlite_engine, lambda s: events.add_event(
        s, store_id=store_id, name="安全驾驶讲堂", kind="class", starts_at=EVENT_AT, capacity=2, points=50,
        place="二楼客休区", budget_fen=200_000, actor=manager))
    for name in ("张伟", "李四"):
        in_transaction(sqlite_engine, lambda s, n=name: events.sign_up(s, event_id=event.id, customer_id=ids[n],
                                                                       actor=manager))
    return sqlite_engine, event.id, ids


def statuses(engine) -> dict[int, str]:
    with read_session(engine) as s:
        return dict(s.execute(select(EventSignup.customer_id, EventSignup.status)).all())


def screen_name(app) -> str:
    return type(app.screen).__name__


def shown(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_f4_lists_the_events_with_the_highlighted_ones_details(shop):
    engine, event_id, _ = shop
    app = DealerDeskApp(engine, staff_code="SA01")
    async with app.run_test(size=(110, 30)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen" and app.screen.is_mounted)
        await pilot.press("f4")
        await wait_for(pilot, lambda: screen_name(app) == "EventsScreen" and app.screen.loaded)
        table = app.screen.query_one("#events", DataTable)
        assert table.row_count == 1
        assert [str(c) for c in table.get_row_at(0)] == ["2026-11-29 14:00", "安全驾驶讲堂", "讲堂", "2/2", "0", "0",
                                                          "50"]
        detail = shown(app, "#event-detail")
        assert "二楼客休区" in detail and "¥2,000.00" in detail and "余位 0" in detail and "全部客户" in detail


async def test_the_door_checks_in_by_plate_or_phone_in_one_burst_and_refuses_the_unsigned(shop):
    engine, event_id, ids = shop
    clock.set_today(EVENT_AT.date())
    app = DealerDeskApp(engine, staff_code="SA01")
    async with app.run_test(size=(110, 30)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen" and app.screen.is_mounted)
        # F4, Enter on the event, a plate's part and Enter, a phone's last 4 and Enter: one burst.
        await pilot.press("f4", "enter", "b", "2", "2", "enter", "5", "6", "7", "8", "enter")
        await wait_for(pilot, lambda: statuses(engine).get(ids["张伟"]) == "attended")
        await wait_for(pilot, lambda: screen_name(app) == "DoorScreen" and app.screen.ready_for_keys)
        assert statuses(engine) == {ids["张伟"]: "attended", ids["李四"]: "attended"}
        assert "张伟 已签到" in shown(app, "#door-status") and "+50" in shown(app, "#door-status")
        assert app.screen.query_one("#door-query").value == ""
        # Again: nothing new, no second award.
        await pilot.press("1", "2", "3", "4", "5", "enter")
        await wait_for(pilot, lambda: "已签到过" in shown(app, "#door-status"))
        # 王五 is not signed up: refused in one line, nothing written; ctrl+w lets him in as a walk-in.
        await pilot.press("c", "3", "3", "3", "enter")
        await wait_for(pilot, lambda: "王五 is not signed up" in shown(app, "#door-status")
                       and app.screen.ready_for_keys)
        assert ids["王五"] not in statuses(engine)
        assert [str(c) for c in app.screen.query_one("#door-people", DataTable).get_row_at(0)][2] == "未报名"
        await pilot.press("ctrl+w")
        await wait_for(pilot, lambda: statuses(engine).get(ids["王五"]) == "attended")
        assert "王五 已签到（现场报名）" in shown(app, "#door-status")
    with read_session(engine) as s:
        rows = s.execute(select(PointsEntry.points).where(PointsEntry.kind == "activity")).scalars().all()
    assert rows == [50]  # 张伟, a member; 李四 and 王五 are none: in, without points


async def test_a_waitlisted_customer_is_refused_at_the_door_unless_let_in_as_a_walk_in(shop):
    engine, event_id, ids = shop
    manager = Actor(None, "店长", "manager", None)
    in_transaction(engine, lambda s: events.sign_up(s, event_id=event_id, customer_id=ids["王五"], actor=manager))
    clock.set_today(EVENT_AT.date())
    app = DealerDeskApp(engine, staff_code="SA01")
    async with app.run_test(size=(110, 30)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen" and app.screen.is_mounted)
        await pilot.press("f4", "enter", "c", "3", "3", "enter")
        await wait_for(pilot, lambda: "只" in shown(app, "#door-status") or "waitlist" in shown(app, "#door-status"))
        assert statuses(engine)[ids["王五"]] == "waitlist"
        await pilot.press("ctrl+w")
        await wait_for(pilot, lambda: statuses(engine)[ids["王五"]] == "attended")
        assert "现场报名" in shown(app, "#door-status")


async def test_e_and_a_digit_sign_up_from_the_profile_and_the_waitlist_past_capacity(shop):
    engine, event_id, ids = shop
    app = DealerDeskApp(engine, staff_code="SA01")
    async with app.run_test(size=(110, 30)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen" and app.screen.is_mounted)
        await pilot.press("c", "3", "3", "3", "3", "3", "enter", "e", "1")
        await wait_for(pilot, lambda: ids["王五"] in statuses(engine))
        await wait_for(pilot, lambda: screen_name(app) == "ProfileScreen" and app.screen.profile is not None
                       and app.screen.profile.events)
        assert statuses(engine)[ids["王五"]] == "waitlist"  # two seats, both taken
        assert "安全驾驶讲堂 候补" in shown(app, "#member")


async def test_i_digits_and_enter_set_the_interests_shown_on_the_profile(shop):
    engine, event_id, ids = shop
    app = DealerDeskApp(engine, staff_code="SA01")
    async with app.run_test(size=(110, 30)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen" and app.screen.is_mounted)
        await pilot.press("b", "2", "2", "2", "2", "2", "enter", "i", "1", "7", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "ProfileScreen" and app.screen.profile is not None
                       and app.screen.profile.interests)
        assert "兴趣 运动 美食" in shown(app, "#owner")
        # Escape leaves them as they were.
        await pilot.press("i", "2", "escape")
        await wait_for(pilot, lambda: screen_name(app) == "ProfileScreen")
    with read_session(engine) as s:
        codes = sorted(s.execute(select(CustomerInterest.code).where(
            CustomerInterest.customer_id == ids["李四"])).scalars())
    assert codes == ["food", "sports"]


async def test_an_invitation_on_the_call_list_is_answered_signed_up_with_9(shop):
    engine, event_id, ids = shop
    from store import interests

    manager = Actor(None, "店长", "manager", None)
    in_transaction(engine, lambda s: interests.set_customer_interests(s, customer_id=ids["王五"], codes=["cars"],
                                                                     actor=manager))
    later = in_transaction(engine, lambda s: events.add_event(
        s, store_id=s.get(Customer, ids["王五"]).store_id, name="新车品鉴会", kind="party",
        starts_at=datetime(2026, 12, 5, 19, 0), capacity=10, target={"interests": ["cars"]}, actor=manager))
    invited = in_transaction(engine, lambda s: events.invite(s, event_id=later.id, actor=manager))
    assert [i.name for i in invited.invitees] == ["王五"]
    app = DealerDeskApp(engine, staff_code="SA01")
    async with app.run_test(size=(110, 30)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen" and app.screen.is_mounted)
        await pilot.press("f7")
        await wait_for(pilot, lambda: screen_name(app) == "CallsScreen" and app.screen.lst is not None)
        assert [r.name for r in app.screen.lst.rows] == ["王五"]
        assert "新车品鉴会" in str(app.screen.query_one("#call-detail", Static).render())
        await pilot.press("9")
        await wait_for(pilot, lambda: statuses(engine).get(ids["王五"]) == "signed_up")
    with read_session(engine) as s:
        from store.models import EventInvitation

        assert s.execute(select(EventInvitation.status)).scalars().all() == ["signed_up"]


async def test_n_on_the_events_screen_plans_one_and_a_bad_tier_is_one_line_that_saves_nothing(shop):
    engine, event_id, ids = shop
    from store.models import ClubEvent

    app = DealerDeskApp(engine, staff_code="M01")
    async with app.run_test(size=(110, 40)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen" and app.screen.is_mounted)
        await pilot.press("f4", "n", *"DIY", "tab", "right", "tab", *"12-06 09:30", "tab", "tab", *"20", "tab",
                          *"1500", "tab", *"30", "tab", *"platinum", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "NewEventScreen" and app.screen.ready_for_keys
                       and "unknown tier 'platinum'" in shown(app, "#event-form-error"))
        with read_session(engine) as s:
            assert s.execute(select(ClubEvent.name)).scalars().all() == ["安全驾驶讲堂"]
        await pilot.press(*["backspace"] * 8, "tab", "tab", *"cars", "enter")  # the target: interests instead
        await wait_for(pilot, lambda: screen_name(app) == "EventsScreen" and app.screen.query_one(
            "#events", DataTable).row_count == 2)
    with read_session(engine) as s:
        made = s.execute(select(ClubEvent).where(ClubEvent.name == "DIY")).scalars().one()
    assert (made.kind, made.starts_at, made.capacity, made.budget_fen, made.points, made.target) == (
        "trip", datetime(2026, 12, 6, 9, 30), 20, 150_000, 30, '{"interests": ["cars"]}')


async def test_the_reports_screen_shows_the_months_events_on_8(shop):
    engine, event_id, ids = shop
    app = DealerDeskApp(engine, staff_code="M01")
    async with app.run_test(size=(110, 36)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen" and app.screen.is_mounted)
        await pilot.press("f9", "8")
        await wait_for(pilot, lambda: screen_name(app) == "ReportsScreen" and app.screen.book is not None
                       and app.screen.report == "events")
        assert app.screen.book.title == "会员活动效果 2026-11-01 – 2026-11-30"
        (row,) = app.screen.book.sheets[0].rows
        assert (row["event"], row["signups"], row["capacity"]) == ("安全驾驶讲堂", 2, 2)
