"""The Points screen, the member bill and the sign-up form, driven by keys."""

from __future__ import annotations

import asyncio
import time
from datetime import date

from sqlmodel import select
from textual.widgets import DataTable, Input, Static

from store import members, points
from store.access import SYSTEM, Actor
from store.club_desk import ClubDesk
from store.db import read_session
from store.models import Membership, PointsEntry
from tests.club_helpers import add_visit, make_club, on, tx
from tui.app import DealerDeskApp
from tui.screens.members import JoinScreen
from tui.screens.points import ConfirmRedeem, MemberBillScreen, PointsScreen


async def _wait_for(pilot, condition, timeout=10.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.02)


def _member_with(engine, pts: int):
    club = make_club(engine)
    tx(engine, lambda s: members.join(s, customer_id=club.customer_id, scheme="annual", actor=SYSTEM))
    staff = Actor(club.staff_id, "王伟", "member", club.store_id)
    tx(engine, lambda s: points.adjust(s, customer_id=club.customer_id, points=pts, reason="开卡礼", actor=staff))
    return club


async def _open(pilot, app, screen):
    """Push a screen once the app's home screen is up (as the profile would)."""
    await _wait_for(pilot, lambda: app.screen.__class__.__name__ != "Screen" and app.screen.is_mounted)
    await pilot.pause(0.05)
    app.push_screen(screen)
    await _wait_for(pilot, lambda: app.screen is screen and screen.is_mounted and bool(screen.query("DataTable")))
    return screen


async def _on_the_mug(pilot, app, club):
    """The Points screen of a 100-point member, the MUG (60 points) highlighted."""
    screen = await _open(pilot, app, PointsScreen(club.customer_id))
    catalog = screen.query_one("#points-catalog", DataTable)
    await _wait_for(pilot, lambda: catalog.row_count == 3)
    await pilot.press("down")
    return screen


def _redeem_rows(engine):
    with read_session(engine) as s:
        return s.exec(select(PointsEntry).where(PointsEntry.kind == "redeem")).all()


def _cells(table: DataTable) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_enter_pressed_twice_redeems_once_and_the_receipt_shows_at_once(sqlite_engine, monkeypatch):
    club = _member_with(sqlite_engine, 100)
    keys = []
    real = ClubDesk.redeem

    def slow_redeem(self, customer_id, item_code, quantity, key):
        keys.append(key)
        time.sleep(0.3)  # a slow till: the second Enter arrives while the first is on its way
        return real(self, customer_id, item_code, quantity, key)

    monkeypatch.setattr(ClubDesk, "redeem", slow_redeem)
    app = DealerDeskApp(sqlite_engine, language="zh")
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _open(pilot, app, PointsScreen(club.customer_id))
        catalog = screen.query_one("#points-catalog", DataTable)
        history = screen.query_one("#points-history", DataTable)
        await _wait_for(pilot, lambda: catalog.row_count == 3 and history.row_count == 1)
        assert "积分 100" in str(screen.query_one("#points-summary", Static).render())
        await pilot.press("x", "c")  # 洗车 by its pinyin initials
        await _wait_for(pilot, lambda: catalog.row_count == 1)
        assert _cells(catalog)[0][:2] == ["WASH", "精致洗车"]
        await pilot.press("enter")
        await _wait_for(pilot, lambda: isinstance(app.screen, ConfirmRedeem))
        assert "精致洗车 × 1 = 30 分" in str(app.screen.query_one("#confirm-body", Static).render())
        await pilot.press("enter", "enter")
        await _wait_for(pilot, lambda: history.row_count == 2)
        assert _cells(history)[0][1:4] == ["兑换", "-30", "70"]
        assert "精致洗车 x1" in _cells(history)[0][4]
        await _wait_for(pilot, lambda: "积分 70" in str(screen.query_one("#points-summary", Static).render()))
        # The second Enter waited for the first redemption, then came to the points screen:
        # it asks again (a new confirmation), it redeems nothing by itself.
        await _wait_for(pilot, lambda: isinstance(app.screen, ConfirmRedeem))
        assert "积分 70" in str(screen.query_one("#points-summary", Static).render())
    assert len(keys) == 1  # one Enter reached the store
    assert [r.idempotency_key for r in _redeem_rows(sqlite_engine)] == [f"redeem:{keys[0]}"]
    with read_session(sqlite_engine) as s:
        assert points.balance(s, customer_id=club.customer_id) == 70


async def test_quantity_short_balance_and_escape_redeem_nothing(sqlite_engine):
    club = _member_with(sqlite_engine, 100)
    app = DealerDeskApp(sqlite_engine, language="zh")
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _on_the_mug(pilot, app, club)
        screen.query_one("#points-qty", Input).value = "2"
        await pilot.press("enter")  # 120 > 100: refused before any dialog
        await pilot.pause(0.1)
        assert isinstance(app.screen, PointsScreen)
        screen.query_one("#points-qty", Input).value = "1"
        await pilot.press("enter")
        await _wait_for(pilot, lambda: isinstance(app.screen, ConfirmRedeem))
        await pilot.press("escape")
        await _wait_for(pilot, lambda: isinstance(app.screen, PointsScreen))
    assert _redeem_rows(sqlite_engine) == []


async def test_member_bill_screen_shows_this_years_savings_and_exports(sqlite_engine, tmp_path, monkeypatch):
    monkeypatch.setenv("DEALERDESK_HOME", str(tmp_path))
    club = make_club(sqlite_engine)
    on("2026-01-02")
    tx(sqlite_engine, lambda s: members.join(s, customer_id=club.customer_id, scheme="annual", tier_code="gold", actor=SYSTEM))
    on("2026-11-22")
    add_visit(sqlite_engine, club, "RO1", date(2026, 3, 3), total=2000)  # 9.5折: ¥100 saved
    app = DealerDeskApp(sqlite_engine, language="zh")
    async with app.run_test(size=(120, 36)) as pilot:
        await _open(pilot, app, MemberBillScreen(club.customer_id))
        lines = app.screen.query_one("#bill-lines", DataTable)
        await _wait_for(pilot, lambda: lines.row_count == 1)
        assert _cells(lines)[0][1] == "会员折扣" and _cells(lines)[0][3] == "¥100"
        assert "合计节省 ¥100" in str(app.screen.query_one("#bill-summary", Static).render())
        await pilot.press("x")
        path = tmp_path / "exports" / f"member-bill-{club.customer_id}-2026.xlsx"
        await _wait_for(pilot, path.exists)
        await pilot.press("left")
        await _wait_for(pilot, lambda: "2025" in str(app.screen.query_one("#bill-summary", Static).render()))
        assert lines.row_count == 0


async def test_join_screen_signs_up_once_and_dismisses_with_the_membership(sqlite_engine):
    club = make_club(sqlite_engine)
    app = DealerDeskApp(sqlite_engine, language="zh")
    results = []
    async with app.run_test(size=(100, 40)) as pilot:
        await _wait_for(pilot, lambda: app.screen.__class__.__name__ != "Screen" and app.screen.is_mounted)
        await pilot.pause(0.05)
        app.push_screen(JoinScreen(club.customer_id, pitch_id=None), callback=results.append)
        await _wait_for(pilot, lambda: isinstance(app.screen, JoinScreen) and bool(app.screen.query("#join-tier")))
        screen = app.screen
        assert screen.query_one("#join-fee", Input).value == "300"
        await pilot.press("right", "space")  # the scheme row: stored value, chosen
        await _wait_for(pilot, lambda: not screen.query_one("#join-topup", Input).disabled)
        screen.query_one("#join-topup", Input).value = "500"
        await pilot.press("ctrl+s", "ctrl+s")
        await _wait_for(pilot, lambda: results != [])
    with read_session(sqlite_engine) as s:
        (m,) = s.exec(select(Membership)).all()
    assert results == [m.id]
    assert (m.scheme, m.stored_value_fen, m.fee_fen, m.tier_code) == ("stored", 500_00, 0, "regular")


async def test_points_spent_at_another_counter_meanwhile_are_refused_in_chinese(sqlite_engine):
    club = _member_with(sqlite_engine, 100)
    app = DealerDeskApp(sqlite_engine, language="zh")
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _on_the_mug(pilot, app, club)
        await pilot.press("enter")
        await _wait_for(pilot, lambda: isinstance(app.screen, ConfirmRedeem))
        # While the dialog is open another counter redeems 60 of the 100 points.
        tx(sqlite_engine, lambda s: points.redeem(s, customer_id=club.customer_id, item_code="MUG", key="other", actor=SYSTEM))
        await pilot.press("enter")
        error = app.screen.query_one("#confirm-error", Static)
        await _wait_for(pilot, lambda: "积分不足" in str(error.render()))
        assert "现有 40 分，需要 60 分，未兑换" in str(error.render())
        assert isinstance(app.screen, ConfirmRedeem)  # the dialog stays, Escape goes back
    assert [r.idempotency_key for r in _redeem_rows(sqlite_engine)] == ["redeem:other"]
    with read_session(sqlite_engine) as s:
        assert points.balance(s, customer_id=club.customer_id) == 40


async def test_tab_reaches_the_quantity_and_digits_on_a_row_set_it(sqlite_engine):
    club = _member_with(sqlite_engine, 200)
    app = DealerDeskApp(sqlite_engine, language="zh")
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _open(pilot, app, PointsScreen(club.customer_id))
        catalog = screen.query_one("#points-catalog", DataTable)
        await _wait_for(pilot, lambda: catalog.row_count == 3)
        await pilot.press("tab")
        assert app.focused is screen.query_one("#points-qty", Input)
        await pilot.press("backspace", "2")
        assert screen.query_one("#points-qty", Input).value == "2"
        await pilot.press("tab")
        assert app.focused is catalog
        await pilot.press("down", "3")  # 保温杯, three of them
        assert screen.query_one("#points-qty", Input).value == "3"
        await pilot.press("enter")
        await _wait_for(pilot, lambda: isinstance(app.screen, ConfirmRedeem))
        assert "保温杯 × 3 = 180 分" in str(app.screen.query_one("#confirm-body", Static).render())
        await pilot.press("escape")
        await pilot.press("shift+tab", "shift+tab")
        assert app.focused is screen.query_one("#points-filter", Input)


async def test_the_history_says_what_and_who_in_full_at_120_and_the_essentials_at_80(sqlite_engine):
    club = _member_with(sqlite_engine, 100)
    for size, shown in (((120, 36), ["开卡礼", "王伟"]), ((80, 24), ["开卡礼"])):
        app = DealerDeskApp(sqlite_engine, language="zh")
        async with app.run_test(size=size) as pilot:
            screen = await _open(pilot, app, PointsScreen(club.customer_id))
            history = screen.query_one("#points-history", DataTable)
            await _wait_for(pilot, lambda: history.row_count == 1)
            await pilot.pause(0.1)
            cells = [str(c) for c in history.get_row_at(0)]
            for words in shown:
                assert any(words in c for c in cells), (size, cells)
            widths = sum(col.get_render_width(history) for col in history.columns.values())
            assert widths <= history.size.width, (size, widths, history.size.width)
