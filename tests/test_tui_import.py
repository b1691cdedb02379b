"""The Import screen as a manager uses it: F6, a path, Enter; the summary and the
rejected rows show, and the database holds the good rows."""

from __future__ import annotations

from sqlalchemy import func, select
from textual.widgets import DataTable, Input, Static

from store.db import read_session, write_session
from store.models import Visit
from tests.factories import add_store
from tests.import_files import VISIT_HEADER, delimited_bytes, visit, write_bytes, write_xlsx
from tui.app import DealerDeskApp
from tui.screens.importer import ImportScreen


async def _wait_for(pilot, condition, timeout=15.0):
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.05)


def _visits(engine) -> int:
    with read_session(engine) as s:
        return s.execute(select(func.count()).select_from(Visit)).scalar_one()


async def test_f6_imports_files_and_shows_the_rejects(sqlite_engine, tmp_path):
    with write_session(sqlite_engine) as s:
        add_store(s)
    good = write_xlsx(tmp_path / "工单.xlsx", [VISIT_HEADER, visit("RO1", "粤A12345"), visit("RO2", "粤A1234"),
                                               visit("RO3", "粤B12345", day="2026-02-30")])
    junk = write_bytes(tmp_path / "坏文件.xls", b"%PDF-1.4 junk")
    app = DealerDeskApp(sqlite_engine, language="zh")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("f6")
        await _wait_for(pilot, lambda: isinstance(app.screen, ImportScreen))
        screen = app.screen
        screen.query_one("#import-path", Input).value = f'"{good}" "{junk}"'
        await pilot.press("enter")
        results = screen.query_one("#import-results", DataTable)
        await _wait_for(pilot, lambda: results.row_count == 2 and not screen.running)
        assert results.get_row_at(0) == ["工单.xlsx", "工单", "xlsx", "3", "1", "0", "0", "2"]
        assert results.get_row_at(1)[0] == "坏文件.xls"
        rejects = screen.query_one("#import-rejects", DataTable)
        assert [rejects.get_row_at(i) for i in range(rejects.row_count)] == [
            ["工单.xlsx", "5", "车牌号", "“粤A1234” 不是有效车牌"],
            ["工单.xlsx", "6", "进厂日期", "“2026-02-30” 不是日期"],
        ]
        status = str(screen.query_one("#import-status", Static).render())
        assert "新增 1" in status and "坏文件.xls：未导入，不是可读的表格文件" in status
        assert _visits(sqlite_engine) == 1
        await pilot.press("ctrl+s")
        await _wait_for(pilot, lambda: (tmp_path / "工单-rejects.xlsx").exists())
        await pilot.press("escape")
        await _wait_for(pilot, lambda: not isinstance(app.screen, ImportScreen))


async def test_the_import_screen_switches_kind_and_refuses_a_mismatch(sqlite_engine, tmp_path):
    with write_session(sqlite_engine) as s:
        add_store(s)
    cars = write_bytes(tmp_path / "cars.csv", delimited_bytes([["车牌号", "车主"], ["粤A12345", "张伟"]]))
    app = DealerDeskApp(sqlite_engine, language="en")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f6")
        await _wait_for(pilot, lambda: isinstance(app.screen, ImportScreen))
        screen = app.screen
        await pilot.press("ctrl+t", "ctrl+t")  # auto -> vehicles -> visits
        assert "Kind: visits" in str(screen.query_one("#import-hint", Static).render())
        screen.query_one("#import-path", Input).value = str(cars)
        await pilot.press("enter")
        results = screen.query_one("#import-results", DataTable)
        await _wait_for(pilot, lambda: results.row_count == 1 and not screen.running)
        assert "no RO number column" in str(screen.query_one("#import-status", Static).render())
        assert _visits(sqlite_engine) == 0


def test_a_newer_progress_message_replaces_a_queued_one():
    a = ImportScreen.Progress("a.xlsx", 0, 1, 0.1, 100)
    b = ImportScreen.Progress("a.xlsx", 0, 1, 0.2, 200)
    assert b.can_replace(a)


async def test_f6_takes_a_folder_a_glob_and_tab_completes_a_chinese_name(sqlite_engine, tmp_path, monkeypatch):
    with write_session(sqlite_engine) as s:
        add_store(s)
    exports = tmp_path / "导出"
    exports.mkdir()
    write_xlsx(exports / "工单十一月.xlsx", [VISIT_HEADER, visit("RO1", "粤A12345")])
    write_xlsx(exports / "工单十二月.xlsx", [VISIT_HEADER, visit("RO2", "粤A12346")])
    monkeypatch.chdir(tmp_path)  # paths are relative to where the app was started
    app = DealerDeskApp(sqlite_engine, language="zh")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("f6")
        await _wait_for(pilot, lambda: isinstance(app.screen, ImportScreen))
        screen = app.screen
        box = screen.query_one("#import-path", Input)
        await pilot.press("d", "o", "c", "s")  # nothing there
        await pilot.press("enter")
        assert "没有与 docs 匹配的文件" in str(screen.query_one("#import-status", Static).render())
        box.value = "导"
        await pilot.press("tab")
        assert box.value == "导出/"
        await pilot.press("工", "tab")  # both files start with 工单十: completes the shared part
        assert box.value == "导出/工单十"
        await pilot.press("二", "tab")
        assert box.value == "导出/工单十二月.xlsx"
        box.value = "导出/*.xlsx"
        await pilot.press("enter")
        results = screen.query_one("#import-results", DataTable)
        await _wait_for(pilot, lambda: results.row_count == 2 and not screen.running)
        assert _visits(sqlite_engine) == 2
        box.value = "导出"  # the folder again: every export in it, nothing new
        await pilot.press("enter")
        await _wait_for(pilot, lambda: not screen.running and "新增 0" in
                        str(screen.query_one("#import-status", Static).render()))
        assert _visits(sqlite_engine) == 2
