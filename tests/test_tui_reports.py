"""The Reports screen (F9) driven by keys as a manager would: pick a report and a
month, read the figures and the chart, press x and open the workbook it wrote."""

from __future__ import annotations

import asyncio
import io

import pytest
from openpyxl import load_workbook
from textual.widgets import DataTable, Static

from tests.report_helpers import make_month
from tui.app import DealerDeskApp
from tui.charts import bar, render_chart
from store.reports import ChartSpec, ReportTable


@pytest.fixture
def month_engine(sqlite_engine, tmp_path, monkeypatch):
    monkeypatch.setenv("DEALERDESK_HOME", str(tmp_path / "home"))
    make_month(sqlite_engine)
    return sqlite_engine


async def wait_for(pilot, condition, timeout=30.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.02)


def rows(app) -> list[list[str]]:
    table = app.screen.query_one("#report-table", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def text_of(app, selector) -> str:
    """What a Static shows, as plain text (its Rich content drawn at the screen's width)."""
    from rich.console import Console

    content = app.screen.query_one(selector, Static).content
    console = Console(width=app.size.width, record=True, file=io.StringIO())
    console.print(content)
    return console.export_text()


async def test_pick_a_report_and_a_month_see_the_figures_and_export(month_engine):
    app = DealerDeskApp(month_engine, staff_code="M01", store_code="S01")
    async with app.run_test(size=(110, 36)) as pilot:
        await pilot.press("f9")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ReportsScreen" and app.screen.book is not None)
        screen = app.screen
        assert "2026-11" in text_of(app, "#report-period")
        await pilot.press("left_square_bracket")  # October
        await wait_for(pilot, lambda: "2026-10" in text_of(app, "#report-period") and screen.book is not None
                       and "2026-10" in screen.book.title and "加载" not in text_of(app, "#report-period"))
        figures = {r[0]: r[1] for r in rows(app)}
        assert figures["新入会"] == "4" and figures["续会率"] == "50.00"
        assert figures["会员单车产值"] == "4,166.67"

        await pilot.press("s")  # new members by class, with its chart
        await wait_for(pilot, lambda: rows(app) and rows(app)[0][0] == "忠诚客户")
        assert app.screen.query_one("#report-chart-box").display
        assert "新会员客户分类" in text_of(app, "#report-chart") and "25.0%" in text_of(app, "#report-chart")

        await pilot.press("2")  # what the club costs, still October
        await wait_for(pilot, lambda: screen.book is not None and "会员服务费用核算，2026-10" in screen.book.title
                       and rows(app) and rows(app)[0][0] == "2026-10")
        assert rows(app)[0][1:] == ["1,200.00", "2,500.00", "1,008.00", "2,692.00"]
        await pilot.press("s")
        await wait_for(pilot, lambda: "支出明细" in text_of(app, "#report-chart"))
        assert "█" in text_of(app, "#report-chart")

        await pilot.press("x")
        await wait_for(pilot, lambda: screen.last_export is not None)
        path = screen.last_export
        assert path.name == "costs-2026-10.xlsx" and path.parent.name == "exports"
        wb = load_workbook(path)
        assert wb.sheetnames[:2] == ["余额", "收支明细"]
        assert list(wb["余额"].iter_rows(min_row=2, values_only=True))[0] == ("2026-10", 1200, 2500, 1008, 2692)
        assert wb["收支明细"]._charts


async def test_an_advisor_is_not_shown_the_reports(month_engine):
    app = DealerDeskApp(month_engine, staff_code="SA01", store_code="S01")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f9")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ReportsScreen")
        await wait_for(pilot, lambda: "店长" in text_of(app, "#report-period"))
        assert app.screen.book is None and rows(app) == []


def test_terminal_bars_to_an_eighth_of_a_cell():
    assert bar(1, 1, 10) == "█" * 10 and bar(0.5, 1, 3) == "█▌" and bar(0, 1, 10) == ""
    table = ReportTable("t", ["model", "vehicles"], [{"model": "轩逸", "vehicles": 3}, {"model": "天籁", "vehicles": 1}])
    from rich.console import Console

    console = Console(width=60, record=True)
    console.print(render_chart(table, ChartSpec("pie", "车型", "model", ["vehicles"]), width=8))
    text = console.export_text()
    assert "轩逸 ██████ 75.0%" in text and "天籁 ██     25.0%" in text
