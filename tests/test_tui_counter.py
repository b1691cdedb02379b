"""The counter as an advisor drives it: lookup, profile, each pitch path, follow-ups,
help, the palette, a broken database. Each test asserts what the screen shows and,
where something is saved, which rows the database now holds."""

from __future__ import annotations

import asyncio
import io
import sys
import threading
import types
from datetime import date, datetime, timedelta

import pytest
from rich.console import Console
from rich.text import Text
from sqlalchemy import create_engine
from sqlmodel import select
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from store.db import read_session, write_session
from store.models import BenefitUse, Membership, Pitch, PointsAccount, Staff, TierBenefit
from tests.factories import add_car, add_store
from tui.app import DealerDeskApp
from tui.i18n import set_language

TODAY = date(2026, 11, 22)


@pytest.fixture(autouse=True)
def chinese_after_each_test():
    yield
    set_language("zh")


@pytest.fixture
def shop(sqlite_engine):
    """Three customers: 张伟 never pitched, 李娜 a gold member, 王芳 pitched ten days ago."""
    with write_session(sqlite_engine) as s:
        store = add_store(s, name="测试4S店")
        wang = Staff(store_id=store.id, code="SA01", name="王伟", role="sa")
        li = Staff(store_id=store.id, code="SA02", name="李娜", role="sa")
        s.add_all([Staff(store_id=store.id, code="M01", name="周建国", role="manager"), wang, li])
        s.flush()
        zhang = add_car(s, store, plate="粤A12345", owner="张伟", phone="13812345678", vin="LGBH52E05JY123456",
                        visits=[("RO20260901", date(2026, 9, 1), 800), ("RO20260301", date(2026, 3, 1), 600)])
        member = add_car(s, store, plate="粤B77777", owner="李娜", phone="13900001234",
                         visits=[("RO20261101", date(2026, 11, 1), 1200)])
        s.add(Membership(store_id=store.id, customer_id=member.customer_id, scheme="annual", tier_code="gold",
                         started_on=date(2026, 1, 5), expires_on=date(2027, 1, 5)))
        s.add(PointsAccount(customer_id=member.customer_id, balance=450))
        s.add_all([TierBenefit(store_id=store.id, tier_code="gold", code="WASH", name="洗车", quota=4, price_fen=3000),
                   TierBenefit(store_id=store.id, tier_code="gold", code="ALIGN", name="四轮定位", quota=1,
                               price_fen=20000)])
        s.flush()
        membership_id = s.exec(select(Membership.id).where(Membership.customer_id == member.customer_id)).one()
        for i, day in enumerate((date(2026, 3, 1), date(2026, 10, 1))):  # two washes this membership year
            s.add(BenefitUse(membership_id=membership_id, customer_id=member.customer_id, benefit="洗车",
                             benefit_code="WASH", value_fen=3000, used_on=day, idempotency_key=f"benefit:t{i}"))
        fang = add_car(s, store, plate="粤C55555", owner="王芳", phone="13600005555",
                       visits=[("RO20261112", date(2026, 11, 12), 500)])
        s.add(Pitch(store_id=store.id, customer_id=fang.customer_id, vehicle_id=fang.id, staff_id=li.id,
                    staff_name="李娜", outcome="not_now", follow_up_on=date(2026, 12, 12),
                    pitched_at=datetime(2026, 11, 12, 10, 0)))
        ids = dict(wang=wang.id, li=li.id, zhang=zhang.customer_id, zhang_car=zhang.id, member=member.customer_id,
                   fang=fang.customer_id, fang_car=fang.id)
    return sqlite_engine, ids


async def wait_for(pilot, condition, timeout=5.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.02)


def screen_name(app) -> str:
    return type(app.screen).__name__


def text_of(app, selector: str) -> str:
    """A widget's words as the user reads them (Rich tables included)."""
    content = app.screen.query_one(selector, Static).content
    if isinstance(content, str):
        return str(Text.from_markup(content))
    if isinstance(content, Text):
        return content.plain
    console = Console(width=200, file=io.StringIO(), color_system=None)
    with console.capture() as capture:
        console.print(content)
    return capture.get()


def footer_words(app) -> str:
    """What the footer offers on this screen."""
    return " ".join(b.binding.description for b in app.screen.active_bindings.values() if b.binding.show)


def notes(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def open_profile(pilot, app, query: str, row: int = 0):
    await pilot.press(*query)
    table = app.screen.query_one("#results")
    await wait_for(pilot, lambda: app.screen.shown_query == query and table.row_count > row)
    for _ in range(row):
        await pilot.press("down")
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen_name(app) == "ProfileScreen" and app.screen.profile is not None)


def pitches(engine, customer_id: int) -> list[Pitch]:
    with read_session(engine) as s:
        return list(s.exec(select(Pitch).where(Pitch.customer_id == customer_id).order_by(Pitch.id)).all())


# --- lookup ------------------------------------------------------------------------


@pytest.mark.parametrize("query,plate", [
    ("a123", "粤A12345"),      # any part of a plate, no Chinese input method
    ("5678", "粤A12345"),      # a phone's last 4
    ("123456", "粤A12345"),    # a VIN's last 6
    ("zw", "粤A12345"),        # pinyin initials of 张伟
    ("王芳", "粤C55555"),      # the name itself
])
async def test_lookup_finds_a_car_every_way_it_can_be_typed(shop, query, plate):
    engine, _ = shop
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press(*query)
        table = app.screen.query_one("#results")
        await wait_for(pilot, lambda: app.screen.shown_query == query and table.row_count >= 1)
        assert table.get_row_at(0)[0] == plate


async def test_arrows_move_enter_opens_the_highlighted_car_and_escape_keeps_the_query(shop):
    engine, _ = shop
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("5", "5", "5", "5")  # 粤C55555 by plate
        table = app.screen.query_one("#results")
        await wait_for(pilot, lambda: table.row_count == 1)
        await pilot.press("backspace", "backspace", "backspace", "backspace", "粤")
        await wait_for(pilot, lambda: app.screen.shown_query == "粤" and table.row_count == 3)
        plates = [table.get_row_at(i)[0] for i in range(3)]
        await pilot.press("down", "down", "up")
        assert table.cursor_row == 1
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "ProfileScreen" and app.screen.profile is not None)
        assert app.screen.profile.vehicle.plate == plates[1]
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen")
        assert app.screen.query_one("#query", Input).value == "粤"
        assert app.screen.query_one("#results").row_count == 3
        await pilot.press("escape")  # on lookup, Escape clears
        assert app.screen.query_one("#query", Input).value == ""


async def test_the_screen_stays_responsive_while_a_slow_query_runs(shop, monkeypatch):
    engine, _ = shop
    app = DealerDeskApp(engine)
    release = threading.Event()
    real_lookup = app.counter.lookup

    def slow_lookup(query, **kw):
        release.wait(5)
        return real_lookup(query, **kw)

    async with app.run_test(size=(120, 30)) as pilot:
        monkeypatch.setattr(app.counter, "lookup", slow_lookup)
        await pilot.press("a", "1", "2")
        # The query is still running; typing and the cursor still respond at once.
        assert app.screen.query_one("#query", Input).value == "a12"
        await pilot.press("3")
        assert app.screen.query_one("#query", Input).value == "a123"
        release.set()
        table = app.screen.query_one("#results")
        await wait_for(pilot, lambda: app.screen.shown_query == "a123" and table.row_count == 1)


async def test_a_database_error_is_a_message_not_a_crash(shop):
    engine, _ = shop
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 30)) as pilot:
        app.counter.engine = create_engine("sqlite:////nonexistent-dir/none.sqlite")  # the disk is gone
        await pilot.press("a", "1", "2")
        await wait_for(pilot, lambda: any("数据库错误" in n for n in notes(app)))
        assert screen_name(app) == "LookupScreen" and app.is_running
        app.counter.engine = engine  # back again: the next keypress works
        await pilot.press("3")
        table = app.screen.query_one("#results")
        await wait_for(pilot, lambda: table.row_count == 1)


async def test_a_profile_that_cannot_load_says_so(shop):
    engine, ids = shop
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("a", "1", "2", "3")
        table = app.screen.query_one("#results")
        await wait_for(pilot, lambda: table.row_count == 1)
        app.counter.engine = create_engine("sqlite:////nonexistent-dir/none.sqlite")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "ProfileScreen" and "数据库错误" in text_of(app, "#action"))
        assert any("数据库错误" in n for n in notes(app))


# --- profile -----------------------------------------------------------------------


async def test_profile_shows_who_what_and_the_one_thing_to_do(shop):
    engine, _ = shop
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_profile(pilot, app, "a123")
        assert "非会员，从未推荐：推荐入会" in text_of(app, "#action")
        owner = text_of(app, "#owner")
        assert "张伟" in owner and "138****5678" in owner and "13812345678" not in owner
        vehicle = text_of(app, "#vehicle")
        assert "粤A12345" in vehicle and "LGBH52E05JY123456" in vehicle
        assert "非会员" in text_of(app, "#member")
        assert "一般客户" in text_of(app, "#also")  # class and its reason
        visits = text_of(app, "#visits")
        assert visits.index("2026-09-01") < visits.index("2026-03-01")
        assert "还没有推荐记录" in text_of(app, "#pitches")
        footer = footer_words(app)
        for words in ("推荐入会", "投诉", "积分", "账单", "返回", "帮助"):
            assert words in footer


async def test_a_members_profile_shows_tier_points_and_no_pitch(shop):
    engine, ids = shop
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_profile(pilot, app, "b777")
        member = text_of(app, "#member")
        assert "金卡" in member and "2027-01-05" in member and "450" in member
        assert "本年剩余 洗车 2/4  四轮定位 1/1" in member
        await pilot.press("p")
        await wait_for(pilot, lambda: any("已是会员" in n for n in notes(app)))
        assert screen_name(app) == "ProfileScreen"
    assert pitches(engine, ids["member"]) == []


# --- pitch -------------------------------------------------------------------------


async def test_considering_in_three_keys(shop):
    engine, ids = shop
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_profile(pilot, app, "a123")
        await pilot.press("p", "2", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "ProfileScreen" and "考虑中" in text_of(app, "#pitches"))
        assert any("已记录：考虑中，11-29 跟进" in n for n in notes(app))
        history = text_of(app, "#pitches")
        assert "王伟" in history and "2026-11-29" in history
    (row,) = pitches(engine, ids["zhang"])
    assert (row.outcome, row.follow_up_on, row.channel) == ("considering", TODAY + timedelta(days=7), "counter")
    assert (row.staff_id, row.staff_name, row.vehicle_id) == (ids["wang"], "王伟", ids["zhang_car"])
    assert row.pitched_at.date() == TODAY and row.reason is None


async def test_declined_with_a_chosen_reason_and_words_of_their_own(shop):
    engine, ids = shop
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_profile(pilot, app, "a123")
        await pilot.press("p", "3")
        await wait_for(pilot, lambda: app.focused.id == "reason")
        await pilot.press("right")  # the first reason: 价格
        await pilot.press("tab", *"年费太贵")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "ProfileScreen" and "拒绝" in text_of(app, "#pitches"))
        assert "价格；年费太贵" in text_of(app, "#pitches")
        # Declined today: the action line no longer says to pitch.
        assert "推荐" not in text_of(app, "#action")
    (row,) = pitches(engine, ids["zhang"])
    assert (row.outcome, row.reason) == ("declined", "价格；年费太贵")
    assert row.follow_up_on == TODAY + timedelta(days=90)


async def test_not_now_by_phone_with_its_own_date_and_a_note(shop):
    engine, ids = shop
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_profile(pilot, app, "a123")
        await pilot.press("p", "4")
        follow_up = app.screen.query_one("#follow-up", Input)
        assert follow_up.value == (TODAY + timedelta(days=30)).isoformat()
        follow_up.focus()
        follow_up.value = ""
        await pilot.press("+", "1", "4", "down", "right", "right")  # channel: phone
        await pilot.press("down", *"下周出差")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "ProfileScreen" and "暂不" in text_of(app, "#pitches"))
    (row,) = pitches(engine, ids["zhang"])
    assert (row.outcome, row.channel, row.note) == ("not_now", "phone", "下周出差")
    assert row.follow_up_on == TODAY + timedelta(days=14)


async def test_a_follow_up_date_in_the_past_is_refused_and_nothing_is_saved(shop):
    engine, ids = shop
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_profile(pilot, app, "a123")
        await pilot.press("p", "2")
        app.screen.query_one("#follow-up", Input).value = "2026-01-01"
        await pilot.press("enter")
        await wait_for(pilot, lambda: any("不能早于今天" in n for n in notes(app)))
        assert screen_name(app) == "PitchScreen"
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(app) == "ProfileScreen")
    assert pitches(engine, ids["zhang"]) == []


async def test_enter_without_an_outcome_asks_for_one(shop):
    engine, ids = shop
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_profile(pilot, app, "a123")
        await pilot.press("p", "enter")
        await wait_for(pilot, lambda: any("1-4" in n for n in notes(app)))
        assert screen_name(app) == "PitchScreen"
    assert pitches(engine, ids["zhang"]) == []


async def test_joined_records_the_intent_when_sign_up_is_not_there(shop, monkeypatch):
    engine, ids = shop
    monkeypatch.setitem(sys.modules, "tui.screens.members", None)  # import fails: not built
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_profile(pilot, app, "a123")
        await pilot.press("p", "1")
        assert app.screen.query_one("#follow-up", Input).disabled
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "ProfileScreen" and "已入会" in text_of(app, "#pitches"))
        assert any("入会意向" in n for n in notes(app))
        assert "办理入会" in text_of(app, "#action")  # the intent is now the thing to do
    (row,) = pitches(engine, ids["zhang"])
    assert (row.outcome, row.follow_up_on) == ("joined", None)


async def test_joined_goes_on_to_sign_up_when_it_exists(shop, monkeypatch):
    engine, ids = shop
    opened = {}

    class JoinScreen(Screen):
        def __init__(self, customer_id, pitch_id=None):
            super().__init__()
            opened.update(customer_id=customer_id, pitch_id=pitch_id)

    module = types.ModuleType("tui.screens.members")
    module.JoinScreen = JoinScreen
    monkeypatch.setitem(sys.modules, "tui.screens.members", module)
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_profile(pilot, app, "a123")
        await pilot.press("p", "1", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "JoinScreen")
    (row,) = pitches(engine, ids["zhang"])
    assert opened == {"customer_id": ids["zhang"], "pitch_id": row.id}
    assert row.outcome == "joined"


async def test_joined_opens_the_real_sign_up_screen_for_this_customer_and_pitch(shop):
    pytest.importorskip("tui.screens.members")
    engine, ids = shop
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_profile(pilot, app, "a123")
        await pilot.press("p", "1", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "JoinScreen")
        (row,) = pitches(engine, ids["zhang"])
        assert (app.screen.customer_id, app.screen.pitch_id) == (ids["zhang"], row.id)


async def test_a_recent_pitch_is_warned_about_and_can_still_be_recorded(shop):
    engine, ids = shop
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_profile(pilot, app, "c555")
        # 王芳 said "not now" to 李娜 ten days ago; her follow-up is on 12-12.
        assert "推荐" not in text_of(app, "#action")
        await pilot.press("p")
        await wait_for(pilot, lambda: screen_name(app) == "PitchScreen")
        warning = text_of(app, "#pitch-warning")
        assert "11-12" in warning and "李娜" in warning and "暂不" in warning
        assert app.screen.query_one("#pitch-warning").display
        await pilot.press("2", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "ProfileScreen" and "考虑中" in text_of(app, "#pitches"))
    assert [p.outcome for p in pitches(engine, ids["fang"])] == ["not_now", "considering"]


async def test_acting_as_another_advisor_stores_their_name(shop):
    engine, ids = shop
    app = DealerDeskApp(engine, staff_code="SA02")
    async with app.run_test(size=(120, 36)) as pilot:
        assert "李娜" in app.sub_title
        await open_profile(pilot, app, "a123")
        await pilot.press("p", "2", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "ProfileScreen" and "考虑中" in text_of(app, "#pitches"))
    (row,) = pitches(engine, ids["zhang"])
    assert (row.staff_id, row.staff_name) == (ids["li"], "李娜")


# --- the other keys of the profile ---------------------------------------------------


async def test_points_and_bill_keys_say_politely_when_those_screens_are_missing(shop, monkeypatch):
    engine, _ = shop
    monkeypatch.setitem(sys.modules, "tui.screens.points", None)
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_profile(pilot, app, "b777")
        await pilot.press("j")
        await wait_for(pilot, lambda: any("积分页面" in n for n in notes(app)))
        await pilot.press("b")
        await wait_for(pilot, lambda: any("会员账单" in n for n in notes(app)))
        assert screen_name(app) == "ProfileScreen"


async def test_points_key_opens_the_points_screen_for_this_customer(shop, monkeypatch):
    engine, ids = shop
    opened = []

    class PointsScreen(Screen):
        def __init__(self, customer_id):
            super().__init__()
            opened.append(customer_id)

    module = types.ModuleType("tui.screens.points")
    module.PointsScreen = PointsScreen
    monkeypatch.setitem(sys.modules, "tui.screens.points", module)
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_profile(pilot, app, "b777")
        await pilot.press("j")
        await wait_for(pilot, lambda: screen_name(app) == "PointsScreen")
    assert opened == [ids["member"]]


# --- follow-ups, help, palette, language -----------------------------------------------


async def test_my_follow_ups_list_what_is_due_and_open_the_car(shop):
    engine, ids = shop
    with write_session(engine) as s:
        s.add(Pitch(store_id=1, customer_id=ids["zhang"], vehicle_id=ids["zhang_car"], staff_id=ids["wang"],
                    staff_name="王伟", outcome="considering", follow_up_on=TODAY - timedelta(days=2),
                    pitched_at=datetime(2026, 11, 13, 9, 0), reason="和家人商量"))
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: "1 位客户待跟进" in text_of(app, "#status"))
        await pilot.press("f2")
        await wait_for(pilot, lambda: screen_name(app) == "FollowUpsScreen")
        table = app.screen.query_one("#followups", DataTable)
        await wait_for(pilot, lambda: table.row_count == 1)
        row = table.get_row_at(0)
        assert row[1:4] == ["2", "粤A12345", "张伟"] and "和家人商量" in row[6]
        await pilot.press("a")  # everyone's: 李娜's not-now for 王芳 is not due until 12-12
        await wait_for(pilot, lambda: "全部" in text_of(app, "#followups-title"))
        assert table.row_count == 1
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "ProfileScreen" and app.screen.profile is not None)
        assert "考虑中（11-13 起）：跟进" in text_of(app, "#action")
        await pilot.press("f1")  # back home from anywhere
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen")


async def test_question_mark_shows_every_key_of_the_screen_and_the_app(shop):
    engine, _ = shop
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_profile(pilot, app, "a123")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: screen_name(app) == "HelpScreen")
        keys = text_of(app, "#help-keys")
        for words in ("推荐入会", "投诉", "积分", "账单", "返回", "退出", "命令面板", "我的跟进", "f2"):
            assert words in keys, words
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(app) == "ProfileScreen")


async def test_question_mark_is_text_in_a_free_text_field(shop):
    engine, _ = shop
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_profile(pilot, app, "a123")
        await pilot.press("p", "2")
        app.screen.query_one("#note", Input).focus()
        await pilot.press("question_mark")
        assert app.screen.query_one("#note", Input).value == "?"
        assert screen_name(app) == "PitchScreen"


async def test_the_palette_jumps_to_a_plate(shop):
    engine, ids = shop
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: screen_name(app) == "CommandPalette")
        await pilot.press(*"c555")
        await wait_for(pilot, lambda: any("粤C55555" in str(o.prompt) for o in app.screen.query_one(
            "CommandList").options))
        await pilot.press("enter")  # the best hit is highlighted
        await wait_for(pilot, lambda: screen_name(app) == "ProfileScreen" and app.screen.profile is not None)
        assert app.screen.profile.vehicle.vehicle_id == ids["fang_car"]


async def test_the_palette_jumps_to_a_screen(shop):
    engine, _ = shop
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: screen_name(app) == "CommandPalette")
        await pilot.press(*"跟进")
        await wait_for(pilot, lambda: any("我的跟进" in str(o.prompt) for o in app.screen.query_one(
            "CommandList").options))
        await pilot.press("enter")  # the best hit is highlighted
        await wait_for(pilot, lambda: screen_name(app) == "FollowUpsScreen")


async def test_the_palette_runs_an_action_of_the_screen(shop):
    engine, _ = shop
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 30)) as pilot:
        await open_profile(pilot, app, "a123")
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: screen_name(app) == "CommandPalette")
        await pilot.press(*"推荐")
        await wait_for(pilot, lambda: any("推荐入会" in str(o.prompt) for o in app.screen.query_one(
            "CommandList").options))
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "PitchScreen")


async def test_english_by_the_language_setting(shop, monkeypatch):
    engine, _ = shop
    monkeypatch.setenv("DEALERDESK_LANGUAGE", "en")
    app = DealerDeskApp(engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_profile(pilot, app, "a123")
        assert "not a member, never pitched: pitch" in text_of(app, "#action")
        footer = footer_words(app)
        assert "Pitch" in footer and "Back" in footer
        await pilot.press("p")
        await wait_for(pilot, lambda: screen_name(app) == "PitchScreen")
        assert "considering" in str(app.screen.query_one("#outcome").render())
