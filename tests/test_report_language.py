"""Every report in one language at a time: in Chinese mode Chinese throughout, in
English mode English throughout (titles, notes, sheet names, headers, chart titles,
units, the KPI table's words, value labels, the total row and the notes sheet 说明),
on both backends, as a book, as a workbook, on the command line and on the Reports
screen. Codes stay codes: CSV headers and JSON keys are the same in both languages.
Percentage points 百分点 / pp are never shown as %. The month is the one in
tests/report_helpers.py."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import fields
from datetime import date

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from store.db import read_session, write_session
from store.reports import ChartSpec, Month, ReportBook, ReportTable, Words, localized
from store.reports.books import calls_book, churn_book, classes_book
from store.reports.costs import costs_report
from store.reports.labels import COLUMNS, NOTES_COLUMNS, VALUES, column_label
from store.reports.complaints import complaints_report
from store.reports.satisfaction import satisfaction_report
from store.reports.members import members_report
from store.reports.events import events_report
from store.reports.insurance import insurance_report
from store.reports.workbook import write_workbook
from store.settings import set_setting
from tests.cli_helpers import cli_args
from tests.events_helpers import october_event
from tests.language_helpers import foreign, mixed
from tests.report_helpers import make_month
from tests.tui_helpers import wait_for
from tui.cli import app

OCT = Month(2026, 10)
LANGUAGES = ("zh", "en")
# Columns whose cells are words for people, not figures, codes or the store's data.
WORD_COLUMNS = ("metric", "note", "unit", "label", "role_label", "department_label", "name")
runner = CliRunner()


def books(session, store_id: int) -> dict[str, ReportBook]:
    """Every report, each cut so that every kind of sheet it has is there."""
    return {
        "churn": churn_book(session, as_of=OCT.last, by=["store"]),
        "classes": classes_book(session, as_of=OCT.last, by=["model"], store_ids=[store_id]),
        "calls": calls_book(session, date_from=OCT.first, date_to=OCT.last, store_ids=[store_id]),
        "members": members_report(session, month=OCT, store_ids=[store_id]),
        "costs": costs_report(session, month=OCT, store_ids=[store_id]),
        "complaints": complaints_report(session, month=OCT, store_ids=[store_id]),
        "satisfaction": satisfaction_report(session, month=OCT, store_ids=[store_id]),
        "insurance": insurance_report(session, month=OCT, store_ids=[store_id]),
        "events": events_report(session, date_from=OCT.first, date_to=OCT.last, store_ids=[store_id]),
    }


@pytest.fixture
def month_books(engine):
    shop = make_month(engine)
    october_event(engine, shop)
    with read_session(engine) as s:
        return books(s, shop.store_id)


def human_text(book: ReportBook, language: str) -> list[str]:
    """Everything of a localized book a reader reads as words."""
    texts = [book.title, *book.notes]
    for sheet in book.sheets:
        texts += [sheet.title, sheet.sheet, *sheet.notes]
        texts += [column_label(c, language) for c in sheet.columns]
        for chart in sheet.charts:
            texts += [chart.title, chart.y_title, column_label(chart.category, language)]
            texts += [column_label(c, language) for c in chart.values]
        texts += [r.get(c) for r in sheet.rows for c in WORD_COLUMNS if c in sheet.columns]
    return [t for t in texts if t is not None]


def words_left(value) -> list:
    """Any :class:`Words` still in a localized report (it should hold text only)."""
    if isinstance(value, Words):
        return [value]
    if isinstance(value, (ReportBook, ReportTable, ChartSpec)):
        return [w for f in fields(value) for w in words_left(getattr(value, f.name))]
    if isinstance(value, dict):
        return [w for v in value.values() for w in words_left(v)]
    if isinstance(value, (list, tuple)):
        return [w for v in value for w in words_left(v)]
    return []


def test_the_columns_and_values_catalogue_speaks_both_languages():
    """Every entry of store/reports/labels.py: Chinese in Chinese, English in English."""
    bad = [(code, zh, en) for table in (COLUMNS, VALUES) for code, (zh, en) in table.items()
           if not zh.strip() or not en.strip() or foreign(zh, "zh") or foreign(en, "en")]
    assert bad == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_report_speaks_one_language(month_books, language):
    for name, book in month_books.items():
        shown = localized(book, language)
        assert words_left(shown) == [], name
        texts = human_text(shown, language)
        assert all(str(t).strip() for t in texts if t != ""), name
        assert mixed(texts, language) == [], name
    # Both languages say the same thing: a title in each, figures alike.
    zh, en = (localized(month_books["members"], lang) for lang in LANGUAGES)
    assert (zh.title, en.title) == ("会员成效月报 2026-10", "club KPIs 2026-10")
    assert [r["value"] for r in zh.sheet("summary").rows] == [r["value"] for r in en.sheet("summary").rows]
    kpi = {r["key"]: (r["metric"], r["unit"]) for r in (zh if language == "zh" else en).sheet("summary").rows}
    assert kpi["new_members"] == (("新入会", "人") if language == "zh" else ("new members", "people"))


def chart_title(title) -> str:
    """A chart's or an axis's title as openpyxl reads it back."""
    if title is None:
        return ""
    rich = title.tx.rich if title.tx is not None else None
    return "".join(run.t for p in (rich.p if rich else []) for run in (p.r or []))


def workbook_text(path, language: str) -> list[str]:
    """A written workbook's words: sheet names, headers, the word columns and total
    rows, chart and axis titles and legends, and the notes sheet (less its codes)."""
    wb = load_workbook(path)
    texts = list(wb.sheetnames)
    *sheets, notes = wb.worksheets
    words = {column_label(c, language) for c in WORD_COLUMNS}
    for ws in sheets:
        rows = list(ws.iter_rows(values_only=True))
        header = rows[0]
        texts += [h for h in header if h is not None]
        texts += [row[i] for row in rows[1:] for i, h in enumerate(header) if h in words and row[i] is not None]
        texts += [row[0] for row in rows[1:] if row[0] in ("合计", "total")]
        for chart in ws._charts:
            texts += [chart_title(chart.title)] + [s.tx.v for s in chart.series if s.tx is not None]
            if hasattr(chart, "x_axis"):
                texts += [chart_title(chart.x_axis.title), chart_title(chart.y_axis.title)]
    codes_from = None
    for i, row in enumerate(notes.iter_rows(values_only=True)):
        if codes_from is None and row[:2] == tuple(w.in_(language) for w in NOTES_COLUMNS):
            codes_from = i
        texts += [row[0]] + ([row[1]] if codes_from is None or i == codes_from else [])
    return [t for t in texts if t]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_workbook_speaks_one_language(month_books, language, tmp_path):
    for name, book in month_books.items():
        path = write_workbook(book, tmp_path / f"{name}-{language}.xlsx", language=language)
        texts = workbook_text(path, language)
        assert mixed(texts, language) == [], name
        wb = load_workbook(path)
        assert wb.sheetnames[-1] == ("说明" if language == "zh" else "notes")
        # A header is the column's name alone; the notes sheet pairs it with the code.
        first = book.sheets[0]
        assert [c.value for c in wb.worksheets[0][1]] == [column_label(c, language) for c in first.columns]
        pairs = list(wb["说明" if language == "zh" else "notes"].iter_rows(values_only=True))
        assert all((column_label(c, language), c) in pairs for c in first.columns)
    # A code without words beside it is written in words (and charted so); one beside its words stays a code.
    churn = load_workbook(tmp_path / f"churn-{language}.xlsx")
    warranty = [r[0] for r in list(churn.worksheets[1].iter_rows(values_only=True))[1:]]
    assert warranty == (["保修内", "保修外", "合计"] if language == "zh" else ["in warranty", "out of warranty", "total"])
    classes = load_workbook(tmp_path / f"classes-{language}.xlsx").worksheets[0]
    assert [r[1:3] for r in classes.iter_rows(min_row=2, max_row=2, values_only=True)] == [
        ("loyal", "忠诚客户" if language == "zh" else "loyal")]
    members = load_workbook(tmp_path / f"members-{language}.xlsx")
    assert members.sheetnames[:2] == (["概要", "新会员分类"] if language == "zh" else ["summary", "new by class"])
    (pie,) = members.worksheets[1]._charts
    assert chart_title(pie.title) == ("新会员客户分类" if language == "zh" else "new members by class")


def test_percentage_points_are_never_percent(sqlite_engine, tmp_path):
    from tui.screens.reports import cell

    shop = make_month(sqlite_engine)
    with read_session(sqlite_engine) as s:
        book = classes_book(s, as_of=OCT.last, by=["model"], store_ids=[shop.store_id])
    mix = book.sheets[0]
    assert "gap" in mix.point_columns and "gap" not in mix.percent_columns
    gaps = [r["gap"] for r in mix.rows if r["gap"] is not None]
    assert gaps and all(isinstance(g, float) for g in gaps)
    for language, unit in (("zh", "百分点"), ("en", "pp")):
        assert column_label("gap", language) == ("差距(百分点)" if language == "zh" else "gap (pp)")
        shown = [str(cell(mix, "gap", g)) for g in gaps]  # the Reports screen (any language set)
        assert all("%" not in t for t in shown)
        path = write_workbook(book, tmp_path / f"classes-{language}.xlsx", language=language)
        ws = load_workbook(path).worksheets[0]
        column = [c.value for c in ws[1]].index(column_label("gap", language)) + 1
        formats = {ws.cell(r, column).number_format for r in range(2, ws.max_row + 1)
                   if ws.cell(r, column).value is not None}
        assert formats == {f'0.00" {unit}"'}
    from store.reports.labels import figure_text

    assert figure_text(mix, "gap", -44.38, "zh") == "-44.38 百分点"
    assert figure_text(mix, "gap", -44.38, "en") == "-44.38 pp"
    assert figure_text(mix, "share", 5.62, "en") == "5.62%"


def run(*args: str, env: dict | None = None):
    return runner.invoke(app, cli_args(args), env=env)


def test_the_command_line_speaks_the_app_language(sqlite_engine, tmp_path):
    shop = make_month(sqlite_engine)
    db = sqlite_engine.url.render_as_string(hide_password=False)
    en = {"DEALERDESK_LANGUAGE": "en"}
    classes = ("report", "classes", "--as-of", "2026-10-31", "--store", "S01", "--db", db)
    zh_out, en_out = run(*classes).output, run(*classes, env=en).output
    assert "客户分类结构，截至 2026-10-31" in zh_out and "差距(百分点)" in zh_out and "百分点" in zh_out
    assert "class mix, as of 2026-10-31" in en_out and "gap (pp)" in en_out and " pp " in en_out
    assert "忠诚客户" in zh_out and "loyal" not in zh_out and "%" not in zh_out.split("差距(百分点)")[1].split("\n")[0]
    # The title and the header line of the English table: no Chinese.
    assert mixed(en_out.splitlines()[:4], "en") == [] and mixed(zh_out.splitlines()[:4], "zh") == []
    assert "百分点" not in en_out and "%" not in "".join(line.split("│")[-2] for line in en_out.splitlines()
                                                        if line.count("│") > 2)

    members = ("report", "members", "--month", "2026-10", "--store", "S01", "--db", db)
    table = run(*members, env=en).output
    assert "club KPIs 2026-10" in table and "new members" in table and "renewal rate: annual fees" in table
    assert "会员" not in table.split("\n", 1)[0]
    # CSV headers and JSON keys are codes in both languages; the words in them follow the language.
    zh_csv = run(*members, "--sheet", "summary", "--format", "csv").output
    en_csv = run(*members, "--sheet", "summary", "--format", "csv", env=en).output
    assert zh_csv.splitlines()[0] == en_csv.splitlines()[0] == "key,metric,value,unit,note"
    assert list(csv.reader(io.StringIO(zh_csv)))[1][:4] == ["new_members", "新入会", "4", "人"]
    assert list(csv.reader(io.StringIO(en_csv)))[1][:4] == ["new_members", "new members", "4", "people"]
    doc = json.loads(run(*members, "--format", "json", env=en).output)
    assert list(doc["sheets"]) == ["summary", "new_by_class", "staff", "spend", "trend", "satisfaction"]
    assert doc["title"] == "club KPIs 2026-10" and doc["sheets"]["new_by_class"]["rows"][0]["label"] == "loyal"

    out = tmp_path / "costs.xlsx"
    assert run("report", "costs", "--month", "2026-10", "--store", "S01", "--format", "xlsx", "--out", str(out),
               "--db", db, env=en).exit_code == 0
    assert load_workbook(out).sheetnames == ["balance", "lines", "departments", "trend", "notes"]
    insurance = ("report", "insurance", "--month", "2026-10", "--store", "S01", "--db", db)
    assert "insurance renewals 2026-10" in run(*insurance, env=en).output
    assert "续保月报 2026-10" in run(*insurance).output
    assert run(*insurance, "--sheet", "summary", "--format", "csv").output.splitlines()[0].startswith(
        "month,policies_due,renewed_here")
    doc = json.loads(run(*insurance, "--format", "json", env=en).output)
    assert list(doc["sheets"]) == ["summary", "sa", "insurer", "trend"]
    out = tmp_path / "insurance.xlsx"
    assert run(*insurance, "--format", "xlsx", "--out", str(out), env=en).exit_code == 0
    wb = load_workbook(out)
    assert wb.sheetnames == ["summary", "SA", "insurer", "trend", "notes"] and len(wb["trend"]._charts) == 2

    # The store's own setting, as the app reads it, when the environment says nothing.
    with write_session(sqlite_engine) as s:
        set_setting(s, "language", "en")
    assert "class mix, as of 2026-10-31" in run(*classes).output
    assert shop.store_id


async def test_the_reports_screen_in_english(sqlite_engine, tmp_path, monkeypatch):
    from textual.widgets import DataTable

    from tui.app import DealerDeskApp
    from tui.i18n import set_language
    from tui.keys import ChoiceRow

    monkeypatch.setenv("DEALERDESK_HOME", str(tmp_path / "home"))
    make_month(sqlite_engine)
    app = DealerDeskApp(sqlite_engine, language="en", staff_code="M01", store_code="S01")
    try:
        async with app.run_test(size=(110, 36)) as pilot:
            await pilot.press("f9")
            await wait_for(pilot, lambda: type(app.screen).__name__ == "ReportsScreen" and app.screen.book is not None,
                           timeout=30)
            screen = app.screen
            seen = []
            for _ in screen.book.sheets:  # every sheet of the club KPIs
                table = screen.query_one("#report-table", DataTable)
                seen += [str(c.label) for c in table.columns.values()]
                seen += [str(table.get_row_at(i)[0]) for i in range(table.row_count)
                         if screen.current.columns[0] in ("key", "class", "role")]
                await pilot.press("s")
            seen += [words for _, words in screen.query_one("#sheet-choice", ChoiceRow).options]
            seen += [screen.book.title, *screen.book.notes]
            assert mixed(seen, "en") == []
            assert "new members" in seen and "summary" in seen
            await pilot.press("x")
            await wait_for(pilot, lambda: screen.last_export is not None)
            assert load_workbook(screen.last_export).sheetnames[0] == "summary"
    finally:
        set_language("zh")


def test_dates_and_codes_are_neutral_words_are_not():
    assert foreign("流失分析，截至 2026-10-31", "zh") == []
    assert foreign("门店设置 class_healthy_mix；未导入时为 n/a", "zh") == []
    assert foreign("流失分析 churn", "zh") == ["churn"]
    assert foreign("churn, as of 2026-10-31 (¥, %)", "en") == []
    assert foreign("churn 流失", "en") == ["流", "失"]
    assert date(2026, 10, 31) == OCT.last


def test_the_customer_export_speaks_the_language_and_keeps_its_csv_codes(sqlite_engine, tmp_path):
    make_month(sqlite_engine)
    db = sqlite_engine.url.render_as_string(hide_password=False)
    for language in LANGUAGES:
        env = {"DEALERDESK_LANGUAGE": language}
        xlsx, csv_path = tmp_path / f"c-{language}.xlsx", tmp_path / f"c-{language}.csv"
        for out in (xlsx, csv_path):
            result = run("--db", db, "--store", "S01", "export", "customers", "--out", str(out), env=env)
            assert result.exit_code == 0, result.output
        ws = load_workbook(xlsx).active
        rows = list(ws.iter_rows(values_only=True))
        reasons = [r[5] for r in rows[1:] if r[5]]
        assert reasons and mixed([ws.title, *rows[0], *reasons], language) == []
        assert (ws.title, rows[0][0]) == (("客户名单", "车牌") if language == "zh" else ("customers", "plate"))
        listed = list(csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))))
        assert list(listed[0])[:6] == ["plate", "model", "owner", "phone", "class", "class_reason"]
        assert mixed([r["class_reason"] for r in listed if r["class_reason"]], language) == []
