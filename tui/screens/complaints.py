"""Complaints 投诉 (F3): the store's open complaints by due time for the manager and
the member specialist, one's own (owned or received) for an SA or CA. Overdue ones
are marked; Enter opens the car's profile, ``s`` steps through open / resolved /
closed / all, ``o`` shows the overdue ones only. Steps are taken with
``dealerdesk complaint handle|resolve|close``."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static

from store import clock
from store.complaints import CATEGORIES, SEVERITIES, STATUSES
from tui.i18n import label, short_date, t
from tui.keys import Footer, Header, localize
from tui.safe import esc

STATUS_CYCLE = ("open", "resolved", "closed", "all")
COLUMNS = ("resolve_by", "overdue", "status", "severity", "category", "plate", "customer", "owner_staff", "complaint")


class ComplaintsScreen(Screen):
    BINDINGS = [
        Binding("enter", "open", "key.open", priority=True),
        Binding("s", "status", "key.status"),
        Binding("o", "overdue", "key.overdue"),
        Binding("escape", "back", "key.back"),
    ]

    class Loaded(Message):
        def __init__(self, items: list) -> None:
            super().__init__()
            self.items = items

    class Failed(Message):
        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        localize(self)
        self.items: list = []
        self.status = "open"
        self.overdue_only = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="complaints-title", classes="section-title")
        yield Static(t("loading"), id="status")
        yield DataTable(id="complaints", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#complaints", DataTable)
        for key in COLUMNS:
            table.add_column(t(f"col.{key}"), key=key)
        table.focus()

    def on_screen_resume(self) -> None:
        self.load()  # on first showing too; coming back from a profile, a handled one has moved on

    @work(thread=True, exclusive=True, group="complaints")
    def load(self) -> None:
        try:
            items = self.app.counter.complaints(status=self.status, overdue_only=self.overdue_only)
        except Exception as exc:  # a role that may not, or the database: a message, not a crash
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Loaded(items))

    def on_complaints_screen_failed(self, message: Failed) -> None:
        self.query_one("#status", Static).update(esc(message.error.splitlines()[0][:120]))
        self.notify(esc(message.error), severity="error", timeout=8)

    def on_complaints_screen_loaded(self, message: Loaded) -> None:
        today = clock.today()
        self.items = message.items
        status_words = t("complaints.open_status") if self.status == "open" else (
            t("complaints.all_status") if self.status == "all" else label(STATUSES, self.status))
        if self.overdue_only:
            status_words += " · " + t("complaints.overdue_only")
        self.query_one("#complaints-title", Static).update(t("complaints.title", status=status_words))
        table = self.query_one("#complaints", DataTable)
        row = table.cursor_row
        table.clear()
        for c in self.items:
            table.add_row(
                short_date(c.resolve_by, today) if c.resolve_by else "", "!" if c.overdue else "",
                label(STATUSES, c.status), label(SEVERITIES, c.severity), label(CATEGORIES, c.category),
                esc(c.plate or ""), esc(c.customer), esc(c.owner or ""), esc(c.summary))
        if self.items:
            table.move_cursor(row=min(max(row, 0), len(self.items) - 1))
        late = sum(1 for c in self.items if c.overdue)
        self.query_one("#status", Static).update(
            t("complaints.count", n=len(self.items), late=late) if self.items else t("complaints.none"))

    def action_open(self) -> None:
        table = self.query_one("#complaints", DataTable)
        if not self.items or table.cursor_row < 0:
            return
        item = self.items[table.cursor_row]
        if item.vehicle_id is not None:
            self.app.open_vehicle(item.vehicle_id)

    @on(DataTable.RowSelected, "#complaints")
    def row_clicked(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_status(self) -> None:
        self.status = STATUS_CYCLE[(STATUS_CYCLE.index(self.status) + 1) % len(STATUS_CYCLE)]
        self.load()

    def action_overdue(self) -> None:
        self.overdue_only = not self.overdue_only
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()
