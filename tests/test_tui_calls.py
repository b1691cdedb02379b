"""Working the day's list by keys (F7) and moving cars between SAs (F8), as an SA
and a manager would: each test asserts what the screen shows and which rows the
database now holds."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

import pytest
from rich.console import Console
from sqlmodel import select
from textual.widgets import DataTable, Static

from store.db import read_session
from store.models import Adoption, Appointment, AuditLog, CallLog, Customer
from tests.calls_helpers import TODAY, adopt, make_shop
from tests.test_calls_store import CARS
from tui.app import DealerDeskApp

D = TODAY


@pytest.fixture
def shop(sqlite_engine):
    shop = make_shop(sqlite_engine, CARS)
    adopt(sqlite_engine, shop, "0-9:王伟", as_of=date(2026, 10, 1))
    return sqlite_engine, shop


async def wait_for(pilot, condition, timeout=30.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.02)


def text_of(app, selector) -> str:
    return str(app.screen.query_one(selector, Static).render())


def column(table: DataTable, index: int) -> list[str]:
    return [str(table.get_row_at(i)[index]) for i in range(table.row_count)]


async def open_calls(app, pilot):
    await pilot.press("f7")
    await wait_for(pilot, lambda: app.screen.__class__.__name__ == "CallsScreen")
    table = app.screen.query_one("#calls", DataTable)
    await wait_for(pilot, lambda: table.row_count > 0)
    return table


def calls(engine):
    with read_session(engine) as s:
        return s.exec(select(CallLog).order_by(CallLog.id)).all()


async def test_book_the_first_call_with_two_keys_and_see_it_arrive_tomorrow(shop):
    engine, shop = shop
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 36)) as pilot:
        table = await open_calls(app, pilot)
        assert column(table, 1) == ["丁", "丙", "戊", "甲", "乙"]
        assert "王伟" in text_of(app, "#calls-progress") and "已完成 0/5" in text_of(app, "#calls-progress")
        assert "30 天" in text_of(app, "#call-detail")
        await pilot.press("1")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "CallOutcomeScreen")
        assert "11-23 09:00" in app.screen.query_one("#when").value
        await pilot.press("enter")
        await wait_for(pilot, lambda: "已完成 1/5" in text_of(app, "#calls-progress"))
        assert column(table, 1)[-1] == "丁" and "已预约" in column(table, 3)[-1]
        assert column(table, 1)[0] == "丙"  # the cursor's row is the next call
        (c,) = calls(engine)
        assert (c.outcome, c.staff_id, c.customer_id) == ("booked", shop.wang.staff_id, shop.customers["粤A10004"])
        with read_session(engine) as s:
            appt = s.exec(select(Appointment)).one()
        assert appt.at == datetime(2026, 11, 23, 9, 0) and appt.call_id == c.id
        arrivals = app.screen.query_one("#arrivals", DataTable)
        assert arrivals.row_count == 0
        await pilot.press("right_square_bracket")  # tomorrow
        await wait_for(pilot, lambda: arrivals.row_count == 1)
        assert [str(x) for x in arrivals.get_row_at(0)[:3]] == ["09:00", "粤A10004", "丁"]
        assert "丁" not in column(table, 1)  # a pending appointment: no call


async def test_no_answer_is_one_key_and_comes_back_tomorrow_as_the_second_try(shop):
    engine, shop = shop
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 36)) as pilot:
        table = await open_calls(app, pilot)
        await pilot.press("down", "3")  # 丙
        await wait_for(pilot, lambda: "已完成 1/5" in text_of(app, "#calls-progress"))
        assert column(table, 1)[-1] == "丙" and "无人接听" in column(table, 3)[-1]
        (c,) = calls(engine)
        assert (c.outcome, c.attempt, c.callback_on) == ("no_answer", 1, D + timedelta(days=1))
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: "2026-11-23" in text_of(app, "#calls-progress"))
        await wait_for(pilot, lambda: "第 2/3 次" in column(table, 3))
        assert column(table, 1)[column(table, 3).index("第 2/3 次")] == "丙"
        await pilot.press("3")  # not today's list: nothing logged
        await pilot.pause(0.2)
        assert len(calls(engine)) == 1


async def test_refused_needs_a_reason_chosen_by_arrow_keys(shop):
    engine, shop = shop
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_calls(app, pilot)
        await pilot.press("5")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "CallOutcomeScreen")
        await pilot.press("enter")  # no reason yet
        await wait_for(pilot, lambda: "原因" in text_of(app, "#call-form-error"))
        assert calls(engine) == []
        await pilot.press("right", "enter")  # the first reason: 价格
        await wait_for(pilot, lambda: len(calls(engine)) == 1)
        assert (calls(engine)[0].outcome, calls(engine)[0].reason) == ("refused", "价格")
        await pilot.press("4")  # wrong number, one key, on the next row
        await wait_for(pilot, lambda: len(calls(engine)) == 2)
        assert calls(engine)[1].outcome == "wrong_number" and calls(engine)[1].customer_id == shop.customers["粤A10003"]


async def test_escape_cancels_and_do_not_contact_takes_the_customer_off_the_list(shop):
    engine, shop = shop
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 36)) as pilot:
        table = await open_calls(app, pilot)
        await pilot.press("7")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "CallOutcomeScreen")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "CallsScreen")
        assert calls(engine) == []
        await pilot.press("7")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "CallOutcomeScreen")
        await pilot.press("tab", *"moved", "enter")
        await wait_for(pilot, lambda: "已完成 0/4" in text_of(app, "#calls-progress"))
        assert "丁" not in column(table, 1)
        with read_session(engine) as s:
            c = s.get(Customer, shop.customers["粤A10004"])
        assert c.do_not_contact and c.do_not_contact_reason == "moved"


async def test_d_shows_the_number_to_dial_and_logs_it(shop):
    engine, shop = shop
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 36)) as pilot:
        table = await open_calls(app, pilot)
        assert column(table, -1)[0] == "138****5678"
        await pilot.press("d")
        await wait_for(pilot, lambda: column(table, -1)[0] == "13812345678")
        with read_session(engine) as s:
            audit = s.exec(select(AuditLog).where(AuditLog.action == "contact.unmask")).all()
        assert [(a.staff_id, a.customer_id) for a in audit] == [(shop.wang.staff_id, shop.customers["粤A10004"])]


async def test_a_manager_moves_a_car_by_keys_and_sees_the_results_tab(shop):
    engine, shop = shop
    app = DealerDeskApp(engine, staff_code="M01")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("f8")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "AdoptionScreen")
        loads = app.screen.query_one("#loads", DataTable)
        cars = app.screen.query_one("#cars", DataTable)
        await wait_for(pilot, lambda: loads.row_count == 3 and cars.row_count == 6)
        assert column(loads, 0) == ["王伟", "李娜", "未分配"] and column(loads, 1) == ["6", "0", "0"]
        await pilot.press("tab", "down", "m")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "PickStaffScreen")
        plate = app.screen.plate
        await pilot.press("1")  # 李娜, the only other SA
        await wait_for(pilot, lambda: column(loads, 1)[:2] == ["5", "1"])
        with read_session(engine) as s:
            rows = s.exec(select(Adoption).where(Adoption.vehicle_id == shop.cars[plate]).order_by(Adoption.id)).all()
        assert [(a.staff_id, a.ended_on, a.method) for a in rows] == [
            (shop.wang.staff_id, D, "plate"), (shop.li.staff_id, None, "hand")]
        with read_session(engine) as s:
            audit = s.exec(select(AuditLog).where(AuditLog.action == "adoption.move")).one()
        assert audit.staff_id == shop.manager.staff_id
        await pilot.press("b")
        results = app.screen.query_one("#results-table", DataTable)
        await wait_for(pilot, lambda: results.row_count == 3)
        assert [str(x) for x in results.get_row_at(0)[:2]] == ["王伟", "5"]
        assert "30 天" in text_of(app, "#results-title")


async def test_an_sa_cannot_assign(shop):
    engine, shop = shop
    app = DealerDeskApp(engine)  # the first SA acts
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("f8")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "AdoptionScreen")
        await wait_for(pilot, lambda: "店长" in text_of(app, "#adoption-status"))
        assert app.screen.query_one("#loads", DataTable).row_count == 0
        await pilot.press("m")
        await pilot.pause(0.1)
        assert app.screen.__class__.__name__ == "AdoptionScreen"


async def test_what_1_to_7_log_is_on_the_screen_and_in_help(shop):
    from tui.screens.help import help_table

    engine, shop = shop
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_calls(app, pilot)
        keys_line = text_of(app, "#call-keys")
        for words in (" 1 已预约", " 3 无人接听", " 5 拒绝", " 7 勿扰"):
            assert words in keys_line, keys_line
        console = Console(width=120, record=True)
        console.print(help_table(app, app.screen))
        text = console.export_text()
        for words in ("记录：已预约", "记录：已接通", "记录：无人接听", "记录：号码错误", "记录：拒绝", "记录：已卖车",
                      "记录：勿扰"):
            assert words in text, words


async def test_the_header_counts_the_days_calls_against_a_list_that_never_shrinks(shop):
    """A birthday-only customer, a follow-up-only customer and the rest: each outcome
    logged by keys leaves its row on the list, done, and F2 no longer lists the
    answered follow-up."""
    from datetime import time as clock_time

    from store.db import write_session
    from store.models import CareTask, Pitch

    engine, shop = shop
    with write_session(engine) as s:
        s.add(CareTask(store_id=shop.store_id, customer_id=shop.customers["粤A10006"], key="birthday:己",
                       vehicle_id=shop.cars["粤A10006"], kind="birthday", reason="生日关怀 | birthday", due_on=D,
                       owner_staff_id=shop.wang.staff_id))
        s.add(Pitch(store_id=shop.store_id, customer_id=shop.customers["粤A10002"], vehicle_id=shop.cars["粤A10002"],
                    staff_id=shop.wang.staff_id, staff_name="王伟", outcome="not_now", follow_up_on=D,
                    pitched_at=datetime.combine(D - timedelta(days=30), clock_time(10))))
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 36)) as pilot:
        table = await open_calls(app, pilot)
        total = table.row_count
        assert f"已完成 0/{total}" in text_of(app, "#calls-progress")
        for n in range(1, 4):  # no answer on the first three rows, one key each
            await pilot.press("3")
            await wait_for(pilot, lambda: f"已完成 {n}/{total}" in text_of(app, "#calls-progress"))
            assert table.row_count == total
        for _ in range(total - 3):  # and the rest
            await pilot.press("4")
        await wait_for(pilot, lambda: f"已完成 {total}/{total}" in text_of(app, "#calls-progress"))
        assert table.row_count == total
        await pilot.press("escape", "f2")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "FollowUpsScreen")
        await pilot.pause(0.5)
        follow = app.screen.query_one("#followups", DataTable)
        cells = [str(c) for i in range(follow.row_count) for c in follow.get_row_at(i)]
        assert not any("乙" in c for c in cells), cells  # the call answered 乙's follow-up


# --- an insurance renewal reminder's answers (key 8) ------------------------------------------

RENEWAL_CARS = [dict(plate=p, owner=o, visits=[(date(2026, 10, 1), "maintenance", 600, 200)])
                for p, o in (("粤A20001", "甲"), ("粤A20002", "乙"), ("粤A20003", "丙"), ("粤A20004", "丁"))]


@pytest.fixture
def renewals(sqlite_engine):
    """Four customers whose only reason is their insurance expiring on 12-10 (a 商业险
    the store sold each); one more car with nothing due but maintenance soon."""
    from store.access import SYSTEM
    from store.care import care_tasks_for
    from store.db import write_session
    from store.insurance import record_policy

    shop = make_shop(sqlite_engine, RENEWAL_CARS + [dict(plate="粤A20005", owner="戊",
                                                         visits=[(date(2026, 5, 30), "maintenance", 600, 200)])])
    adopt(sqlite_engine, shop, "0-9:王伟", as_of=date(2026, 10, 1))
    with write_session(sqlite_engine) as s:
        for i, car in enumerate(RENEWAL_CARS, start=1):
            record_policy(s, store_id=shop.store_id, plate=car["plate"], policy_number=f"PDZA{i}", insurer="人保财险",
                          kind="商业险", start_on=date(2025, 12, 11), end_on=date(2026, 12, 10), premium_fen=320_000,
                          sold_by_store=True, actor=shop.manager)
        care_tasks_for(s, date=D, store_id=shop.store_id, actor=SYSTEM)
    return sqlite_engine, shop


def row_index(table: DataTable, name: str) -> int:
    return column(table, 1).index(name)


async def test_insurance_renewal_answers_by_key_8(renewals):
    from store.models import InsurancePolicy, Vehicle

    engine, shop = renewals
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 36)) as pilot:
        table = await open_calls(app, pilot)
        assert "8 续保" in text_of(app, "#call-keys")
        names = column(table, 1)
        assert sorted(names) == ["丁", "丙", "乙", "戊", "甲"]

        async def answer(name, *keys):
            before = len(calls(engine))
            await pilot.press(*["down"] * row_index(table, name), "8", *keys)
            await wait_for(pilot, lambda: len(calls(engine)) == before + 1)
            await wait_for(pilot, lambda: app.screen.__class__.__name__ == "CallsScreen"
                           and app.screen.ready_for_keys and table.row_count == 5)
            await pilot.press(*["up"] * 5)
            return calls(engine)[-1]

        # 1: renewed with us, one key after 8.
        c = await answer("甲", "1", "enter")
        assert (c.outcome, c.customer_id) == ("renewed_here", shop.customers["粤A20001"])
        await wait_for(pilot, lambda: "本店续保" in column(table, 3)[row_index(table, "甲")])
        # 2: elsewhere, the insurer typed.
        c = await answer("乙", "2", *"平安产险", "enter")
        assert (c.outcome, c.reason) == ("renewed_other", "平安产险")
        # 3: not yet, call back in 5 days.
        c = await answer("丙", "3", *"+5", "enter")
        assert (c.outcome, c.callback_on, c.reason) == ("reached", D + timedelta(days=5), "暂未续保")
        # 4: refused, the first reason chosen by arrow key.
        c = await answer("丁", "4", "right", "enter")
        assert (c.outcome, c.reason) == ("refused", "价格")
        assert "已完成 4/5" in text_of(app, "#calls-progress")
        # 8 on a row without a renewal reminder opens nothing.
        await pilot.press(*["down"] * row_index(table, "戊"), "8")
        await pilot.pause(0.2)
        assert app.screen.__class__.__name__ == "CallsScreen" and len(calls(engine)) == 4
    with read_session(engine) as s:
        told = s.exec(select(InsurancePolicy).where(InsurancePolicy.source == "call")).all()
        assert {(p.vehicle_id, p.insurer, p.sold_by_store) for p in told} == {
            (shop.cars["粤A20001"], None, True), (shop.cars["粤A20002"], "平安产险", False)}
        assert s.get(Vehicle, shop.cars["粤A20001"]).insurance_expiry == date(2027, 12, 10)
        assert s.get(Vehicle, shop.cars["粤A20003"]).insurance_expiry == date(2026, 12, 10)


async def test_a_renewal_form_says_what_is_missing(renewals):
    engine, shop = renewals
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 36)) as pilot:
        table = await open_calls(app, pilot)
        await pilot.press(*["down"] * row_index(table, "乙"), "8", "enter")
        await wait_for(pilot, lambda: "1-4" in text_of(app, "#call-form-error"))
        await pilot.press("2", "enter")
        await wait_for(pilot, lambda: "保险公司" in text_of(app, "#call-form-error"))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "CallsScreen")
        assert calls(engine) == []
