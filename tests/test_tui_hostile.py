"""The screen shows text as text: a customer imported as ``[bold red]大[/`` (and
names holding escape codes) shows as typed on the profile, the call list, the
points screen and the reports, and the app carries on."""

from __future__ import annotations

import io
from datetime import date

import pytest
from rich.console import Console
from sqlalchemy import text
from textual.widgets import DataTable, Static

from tests.calls_helpers import adopt, make_shop
from tests.test_calls_store import CARS
from tui.app import DealerDeskApp
from tests.tui_helpers import wait_for

MARKUP = "[bold red]大[/"
NAMES = [MARKUP, "[link=file:///etc/passwd]点[/link]", "王\x1b[2J五", "[/]", "[b]"]




def shown(app, selector) -> str:
    content = app.screen.query_one(selector, Static).render()
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(content)
    return console.export_text()


def cells(table: DataTable) -> list[str]:
    out = []
    for i in range(table.row_count):
        for c in table.get_row_at(i):
            if isinstance(c, str):
                from rich.text import Text

                c = Text.from_markup(c)  # how the DataTable draws a str cell
            out.append(getattr(c, "plain", str(c)))
    return out


def poison(engine, names=NAMES) -> None:
    """Names as an import before the text rule could have stored them."""
    with engine.begin() as conn:
        ids = conn.execute(text("select id from customer order by id")).scalars().all()
        for i, cid in enumerate(ids):
            conn.execute(text("update customer set name = :n where id = :i"), {"n": names[i % len(names)], "i": cid})


async def test_profile_and_call_list_show_markup_names_as_typed(sqlite_engine):
    shop = make_shop(sqlite_engine, CARS)
    adopt(sqlite_engine, shop, "0-9:王伟", as_of=date(2026, 10, 1))
    poison(sqlite_engine)
    with sqlite_engine.connect() as conn:
        vehicle_id = conn.execute(text("select v.id from vehicle v join customer c on c.id = v.customer_id "
                                       "where c.name = :n order by v.id"), {"n": MARKUP}).scalars().first()
    app = DealerDeskApp(sqlite_engine)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("f7")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "CallsScreen")
        table = app.screen.query_one("#calls", DataTable)
        await wait_for(pilot, lambda: table.row_count > 0)
        names = cells(table)
        assert MARKUP in names
        for _ in range(table.row_count):  # every detail draws
            await pilot.press("down")
            await pilot.pause(0.02)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.__class__.__name__ != "CallsScreen")

        from tui.screens.profile import ProfileScreen

        app.push_screen(ProfileScreen(vehicle_id))
        await wait_for(pilot, lambda: app.screen.__class__.__name__ == "ProfileScreen" and app.screen.profile is not None)
        await pilot.pause(0.1)
        assert MARKUP in shown(app, "#owner")
        assert app.is_running


async def test_points_screen_shows_a_markup_name_and_item_as_typed(sqlite_engine):
    from store import members, points
    from store.access import SYSTEM
    from tests.club_helpers import make_club, tx
    from tui.screens.points import MemberBillScreen, PointsScreen

    club = make_club(sqlite_engine, owner=MARKUP)
    tx(sqlite_engine, lambda s: members.join(s, customer_id=club.customer_id, scheme="annual", actor=SYSTEM))
    with sqlite_engine.begin() as conn:
        conn.execute(text("update catalogitem set name = :n where code = 'WASH'"), {"n": "[red]洗车[/"})
    app = DealerDeskApp(sqlite_engine, language="zh")
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: app.screen.__class__.__name__ != "Screen" and app.screen.is_mounted)
        await pilot.pause(0.05)
        screen = PointsScreen(club.customer_id)
        app.push_screen(screen)
        await wait_for(pilot, lambda: app.screen is screen and screen.is_mounted and bool(screen.query("#points-catalog")))
        await wait_for(pilot, lambda: screen.query_one("#points-catalog", DataTable).row_count == 3)
        assert MARKUP in shown(app, "#points-summary")
        assert "[red]洗车[/" in cells(app.screen.query_one("#points-catalog", DataTable))
        bill = MemberBillScreen(club.customer_id)
        app.push_screen(bill)
        await wait_for(pilot, lambda: app.screen is bill and bill.is_mounted and bool(bill.query("#bill-summary")))
        await wait_for(pilot, lambda: MARKUP in shown(app, "#bill-summary"))
        assert app.is_running


async def test_reports_draw_markup_names_as_text(sqlite_engine, tmp_path, monkeypatch):
    from tests.report_helpers import make_month

    monkeypatch.setenv("DEALERDESK_HOME", str(tmp_path / "home"))
    make_month(sqlite_engine)
    poison(sqlite_engine)
    with sqlite_engine.begin() as conn:
        conn.execute(text("update staff set name = :n where code <> 'M01'"), {"n": MARKUP})
        conn.execute(text("update vehicle set model = :m"), {"m": "[blink]轩逸[/"})
    app = DealerDeskApp(sqlite_engine, staff_code="M01", store_code="S01")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("f9")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ReportsScreen" and app.screen.book is not None)
        screen = app.screen
        from tui.screens.reports import REPORTS

        seen = []
        for n in range(1, len(REPORTS) + 1):
            await pilot.press(str(n))
            await wait_for(pilot, lambda: screen.book is not None and screen.report == REPORTS[n - 1])
            for _ in range(8):  # each sheet of the report
                seen += cells(screen.query_one("#report-table", DataTable))
                await pilot.press("s")
                await pilot.pause(0.05)
        assert app.is_running
        assert any("[blink]轩逸[/" in c or MARKUP in c for c in seen)


@pytest.mark.parametrize("seed", range(3))
def test_escaped_text_never_breaks_either_markup_parser(seed):
    """Rich (tables) and Textual (Static) read markup a little differently; escaped
    stored text parses in both, and shows as typed wherever it has no backslash."""
    import random

    from rich.text import Text
    from textual.content import Content

    from tui.safe import esc

    rnd = random.Random(seed)
    alphabet = "[]/\\=@ab大 #"  # (":a:" is an emoji code to Rich: cosmetic, left alone)
    for _ in range(400):
        s = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 12)))
        markup = "[b]" + esc(s) + "[/b]"
        rich_plain = Text.from_markup(markup).plain
        textual_plain = Content.from_markup(markup).plain
        if "\\" not in s:  # a backslash before a bracket reads differently in the two
            assert rich_plain == s and textual_plain == s
