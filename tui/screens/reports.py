"""Reports 报表, the store manager's month: the club's KPIs 会员成效, what the club
costs 费用核算, churn 流失分析, the class mix 客户分类 and the calls 回访效果, each as
the sheets of its workbook, with the sheet's charts drawn below the figures.

Keys: 1-5 pick the report; [ and ] the month before / after (churn and the class mix
are as of the month's last day, or today); s / S the next / previous sheet; x writes
the workbook (the same one ``dealerdesk report ... --format xlsx`` writes) under the
data directory's ``exports``; r reloads; Escape back. Queries and the export run in
workers; a month's figures that arrive after the user moved on are dropped.

A book arrives in both languages and is shown, charted and written in the app's
(:func:`store.reports.localized`). Read from a read replica (:mod:`store.replica`),
the period line also says how old the replica's data is."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from store import clock
from store.config import data_dir
from store.report_desk import ReportDesk
from store.reports import Month, ReportBook, ReportTable, localized
from store.reports.books import REPORTS
from store.reports.labels import CODED, column_label, figure_text, shown_columns, value_label
from store.reports.members import period_end
from tui.safe import esc
from tui.charts import render_charts
from tui.i18n import language, t
from tui.keys import Header, ChoiceRow, localize


def cell(table: ReportTable, column: str, value) -> str | Text:
    """A localized sheet's cell: a code in words, a figure right-aligned with its
    unit (%, 百分点 / pp), text from the store escaped."""
    if value is None:
        return ""
    if column in CODED and isinstance(value, str):
        return esc(value_label(value, language()))
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return Text(figure_text(table, column, value, language()), justify="right")
    return esc(value)  # a name, a model, a region from the store: shown as text


class ReportsScreen(Screen):
    CSS_PATH = "reports.tcss"
    BINDINGS = [
        Binding("escape", "back", "key.back"),
        Binding("1", "pick(0)", "reports.key.pick", key_display=f"1-{len(REPORTS)}"),
        *[Binding(str(i + 1), f"pick({i})", show=False) for i in range(1, len(REPORTS))],
        Binding("left_square_bracket", "month(-1)", "reports.key.month", key_display="[ ]"),
        Binding("right_square_bracket", "month(1)", show=False),
        Binding("s", "sheet(1)", "reports.key.sheet"),
        Binding("S", "sheet(-1)", show=False),
        Binding("x", "export", "reports.key.export"),
        Binding("r", "reload", "key.refresh", show=False),  # in the help; the footer keeps esc and ?
    ]

    class Loaded(Message):
        def __init__(self, name: str, month: Month, book: ReportBook) -> None:
            super().__init__()
            self.name = name
            self.month = month
            self.book = book

    class Exported(Message):
        def __init__(self, path: Path) -> None:
            super().__init__()
            self.path = path

    class Failed(Message):
        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        localize(self)
        self.report = REPORTS[0]
        self.month = Month.of(clock.today())
        self.book: ReportBook | None = None
        self.sheet_index = 0
        self.last_export: Path | None = None

    @property
    def desk(self) -> ReportDesk:
        c = self.app.counter
        return ReportDesk(c.engine, c.actor, c.store_id)

    def compose(self) -> ComposeResult:
        yield Header()
        yield ChoiceRow([(name, t(f"reports.name.{name}")) for name in REPORTS], selected=self.report, numbered=True,
                        id="report-choice")
        yield Static("", id="report-period")
        yield ChoiceRow([], id="sheet-choice")
        yield DataTable(id="report-table", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="report-chart-box"):
            yield Static("", id="report-chart")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#report-choice", ChoiceRow).can_focus = False
        self.query_one("#sheet-choice", ChoiceRow).can_focus = False
        self.query_one("#report-table", DataTable).focus()
        if not self.desk.may_read:
            self.query_one("#report-period", Static).update(t("reports.not_allowed"))
            return
        self.load()

    # --- loading ----------------------------------------------------------------------

    def show_period(self, loading: bool) -> None:
        until = period_end(self.month)
        words = t("reports.period", month=str(self.month), until=until.isoformat())
        if self.book is not None and self.book.data_as_of:  # read from a replica: how old it is
            words += "  " + str(self.book.data_as_of)
        if loading:
            words += "  " + t("loading")
        self.query_one("#report-period", Static).update(words)

    def load(self) -> None:
        self.show_period(loading=True)
        self.run_report(self.report, self.month)

    @work(thread=True, exclusive=True, group="report")
    def run_report(self, name: str, month: Month) -> None:
        try:
            book = self.desk.book(name, month)
        except Exception as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Loaded(name, month, book))

    def on_reports_screen_failed(self, message: Failed) -> None:
        self.show_period(loading=False)
        self.notify(esc(message.error), severity="error", timeout=8)

    def on_reports_screen_loaded(self, message: Loaded) -> None:
        if (message.name, message.month) != (self.report, self.month):
            return  # the user picked another report or month meanwhile
        keep = self.book.sheets[self.sheet_index].key if self.book and self.sheet_index < len(self.book.sheets) else None
        self.book = localized(message.book, language())
        keys = [s.key for s in self.book.sheets]
        self.sheet_index = keys.index(keep) if keep in keys else 0
        self.query_one("#sheet-choice", ChoiceRow).set_options(
            [(str(s.key), s.sheet or s.title) for s in self.book.sheets], str(keys[self.sheet_index]))
        self.show_period(loading=False)
        self.show_sheet()

    @property
    def current(self) -> ReportTable | None:
        if self.book is None or not self.book.sheets:
            return None
        return self.book.sheets[self.sheet_index]

    def show_sheet(self) -> None:
        sheet = self.current
        table = self.query_one("#report-table", DataTable)
        table.clear(columns=True)
        chart = self.query_one("#report-chart", Static)
        if sheet is None:
            chart.update("")
            return
        self.query_one("#sheet-choice", ChoiceRow).selected = str(sheet.key)
        columns = shown_columns(sheet)
        for c in columns:
            table.add_column(column_label(c, language()), key=c)
        for row in sheet.rows:
            table.add_row(*[cell(sheet, c, row.get(c)) for c in columns])
        if sheet.total:
            first = columns[0]
            table.add_row(*[Text(t("reports.total"), style="bold") if c == first else
                            Text(str(cell(sheet, c, sheet.total.get(c))), style="bold", justify="right")
                            for c in columns])
        width = max(10, min(40, self.size.width - 40))
        drawn = render_charts(sheet, width=width, language=language())
        self.query_one("#report-chart-box").display = drawn is not None
        chart.update(drawn if drawn is not None else "")

    # --- keys -----------------------------------------------------------------------------

    def action_pick(self, index: int) -> None:
        if index >= len(REPORTS) or REPORTS[index] == self.report:
            return
        self.report = REPORTS[index]
        self.query_one("#report-choice", ChoiceRow).selected = self.report
        self.book = None
        self.sheet_index = 0
        self.query_one("#sheet-choice", ChoiceRow).set_options([])
        self.show_sheet()
        self.load()

    def action_month(self, step: int) -> None:
        self.month = self.month.next() if step > 0 else self.month.prev()
        self.load()

    def action_sheet(self, step: int) -> None:
        if self.book is None or not self.book.sheets:
            return
        self.sheet_index = (self.sheet_index + step) % len(self.book.sheets)
        self.show_sheet()

    def action_reload(self) -> None:
        self.load()

    def action_export(self) -> None:
        if self.book is None:
            self.notify(t("loading"), severity="warning")
            return
        path = data_dir() / "exports" / f"{self.report}-{self.month}.xlsx"
        self.export(self.book, path)

    @work(thread=True, exclusive=True, group="report-export")
    def export(self, book: ReportBook, path: Path) -> None:
        try:
            written = ReportDesk.export(book, path, language=language())
        except Exception as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Exported(written))

    def on_reports_screen_exported(self, message: Exported) -> None:
        self.last_export = message.path
        self.notify(t("reports.exported", path=str(message.path)), timeout=10)

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
