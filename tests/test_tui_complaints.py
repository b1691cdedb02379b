"""Logging a complaint from the profile: c, a digit, the words, Enter, in one burst;
the profile then puts the complaint first. Refusals change nothing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from store.access import SYSTEM
from store.db import read_session, write_session
from store.models import Adoption, Complaint, Staff
from store.staff import add_staff
from tests.factories import add_car, add_store
from tests.test_tui_bursts import burst, screen_name
from tests.tui_helpers import wait_for
from tui.app import DealerDeskApp


@pytest.fixture(autouse=True)
def key_file(tmp_path, monkeypatch):
    monkeypatch.setenv("DEALERDESK_KEY_FILE", str(tmp_path / "pii.key"))


@pytest.fixture
def shop(sqlite_engine):
    with write_session(sqlite_engine) as s:
        store = add_store(s)
        add_staff(s, SYSTEM, store_id=store.id, code="M01", name="周建国", role="manager", pin="8888")
        sa = add_staff(s, SYSTEM, store_id=store.id, code="SA01", name="王伟", role="sa", pin="1111")
        car = add_car(s, store, plate="粤A12345", owner="张伟", phone="13812345678",
                      visits=[("RO1", date(2026, 11, 1), 800)])
        s.add(Adoption(store_id=store.id, vehicle_id=car.id, staff_id=sa.id, started_on=date(2026, 1, 1)))
    return sqlite_engine


def complaints(engine):
    with read_session(engine) as s:
        return s.exec(select(Complaint)).all()


async def test_c_a_digit_the_words_and_enter_log_it_and_the_profile_puts_it_first(shop):
    app = DealerDeskApp(shop, staff_code="SA01")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen" and app.screen.is_mounted)
        burst(app, "12345", "enter", "c", "2", "前台态度差", "enter")
        await wait_for(pilot, lambda: complaints(shop))
        await wait_for(pilot, lambda: screen_name(app) == "ProfileScreen" and app.screen.profile is not None
                       and app.screen.profile.action.code == "complaint")
        assert "pitch" not in [a.code for a in app.screen.profile.actions]
    (c,) = complaints(shop)
    assert (c.category, c.summary, c.severity, c.channel, c.status) == ("attitude", "前台态度差", "normal", "counter",
                                                                        "new")
    with read_session(shop) as s:
        assert s.get(Staff, c.owner_id).code == "SA01"


async def test_enter_without_a_category_or_words_saves_nothing(shop):
    app = DealerDeskApp(shop, staff_code="SA01")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen" and app.screen.is_mounted)
        burst(app, "12345", "enter", "c", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "ComplaintScreen" and app.screen.is_mounted)
        await pilot.pause(0.2)
        burst(app, "1", "enter")  # a category, no words: still nothing
        await pilot.pause(0.3)
        assert screen_name(app) == "ComplaintScreen"
        burst(app, "escape")
        await wait_for(pilot, lambda: screen_name(app) == "ProfileScreen")
    assert complaints(shop) == []


async def test_f3_lists_the_complaints_by_due_time_for_who_may_see_them(shop):
    from store.access import Actor
    from store.complaints import log_complaint
    from store.db import in_transaction
    from store.models import Vehicle

    with read_session(shop) as s:
        sa = s.exec(select(Staff).where(Staff.code == "SA01")).one()
        sa_actor = Actor(sa.id, sa.name, sa.role, sa.store_id)
        car = s.exec(select(Vehicle)).one()
    in_transaction(shop, lambda s: log_complaint(s, actor=sa_actor, customer_id=car.customer_id, category="price",
                                                 text="结算比报价高"))
    app = DealerDeskApp(shop, staff_code="M01")
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen" and app.screen.is_mounted)
        burst(app, "f3")
        await wait_for(pilot, lambda: screen_name(app) == "ComplaintsScreen" and app.screen.items)
        (item,) = app.screen.items
        assert (item.plate, item.owner, item.category) == ("粤A12345", "王伟", "price")
        burst(app, "enter")
        await wait_for(pilot, lambda: screen_name(app) == "ProfileScreen" and app.screen.profile is not None)
        assert app.screen.profile.action.code == "complaint"


async def test_the_call_list_confirms_a_resolved_complaint_in_three_keys(shop):
    """F7, then 2 (reached), → (satisfied), Enter: the complaint is closed. Enter alone
    on the form says the question must be answered and saves nothing."""
    from store.access import Actor
    from store.complaints import complaint_step, log_complaint
    from store.db import in_transaction
    from store.models import Vehicle

    with read_session(shop) as s:
        sa = s.exec(select(Staff).where(Staff.code == "SA01")).one()
        sa_actor = Actor(sa.id, sa.name, sa.role, sa.store_id)
        car = s.exec(select(Vehicle)).one()
    c = in_transaction(shop, lambda s: log_complaint(s, actor=sa_actor, customer_id=car.customer_id,
                                                     category="repair_quality", text="异响没修好"))
    in_transaction(shop, lambda s: complaint_step(s, actor=sa_actor, complaint_id=c.id, step="resolve",
                                                  note="更换减震器"))
    app = DealerDeskApp(shop, staff_code="SA01")
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen" and app.screen.is_mounted)
        burst(app, "f7")
        await wait_for(pilot, lambda: screen_name(app) == "CallsScreen" and app.screen.lst is not None
                       and app.screen.lst.rows)
        assert app.screen.lst.rows[0].complaint_ids == [c.id]
        burst(app, "2", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "CallOutcomeScreen")
        await pilot.pause(0.3)
        assert screen_name(app) == "CallOutcomeScreen"  # not saved: satisfied or not must be said
        burst(app, "right", "enter")
        await wait_for(pilot, lambda: complaints(shop)[0].status == "closed")


async def test_the_manager_hears_of_overdue_complaints_at_sign_in(shop):
    from datetime import timedelta

    from store import clock
    from store.access import Actor
    from store.complaints import log_complaint
    from store.db import in_transaction
    from store.models import Vehicle

    with read_session(shop) as s:
        sa = s.exec(select(Staff).where(Staff.code == "SA01")).one()
        car = s.exec(select(Vehicle)).one()
    in_transaction(shop, lambda s: log_complaint(s, actor=Actor(sa.id, sa.name, sa.role, sa.store_id),
                                                 customer_id=car.customer_id, category="price", text="比报价贵"))
    clock.set_today(clock.today() + timedelta(days=8))  # past the 7 days to resolve it
    app = DealerDeskApp(shop, sign_in=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "SignInScreen" and app.screen.is_mounted)
        burst(app, "M01", "enter", "8888", "enter")
        await wait_for(pilot, lambda: any("1 条投诉已逾期" in str(n.message) for n in app._notifications))
