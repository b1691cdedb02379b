"""Lookup, the home screen: results filter as you type; arrows move; Enter opens."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from store.lookup import MAX_RESULTS, VehicleMatch
from tui.i18n import TIERS, label, t


class LookupScreen(Screen):
    BINDINGS = [
        Binding("down", "cursor(1)", "↓", show=False, priority=True),
        Binding("up", "cursor(-1)", "↑", show=False, priority=True),
        Binding("pagedown", "cursor(10)", show=False),
        Binding("pageup", "cursor(-10)", show=False),
        Binding("enter", "open", "Open", priority=True),
        Binding("escape", "clear", "Clear"),
    ]

    class Results(Message):
        def __init__(self, query: str, matches: list[VehicleMatch]) -> None:
            super().__init__()
            self.query = query
            self.matches = matches

    class Failed(Message):
        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        self.matches: list[VehicleMatch] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder=t("lookup.placeholder"), id="query")
        yield Static(t("lookup.hint"), id="status")
        yield DataTable(id="results", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#results", DataTable)
        for key in ("plate", "model", "owner", "phone", "visits", "last_visit", "class", "tier", "points"):
            table.add_column(t(f"col.{key}"), key=key)
        self.query_one("#query", Input).focus()

    @on(Input.Changed, "#query")
    def query_changed(self, event: Input.Changed) -> None:
        query = event.value.strip()
        if not query:
            self.show([], "")
            return
        self.search(query)

    @work(thread=True, exclusive=True, group="lookup")
    def search(self, query: str) -> None:
        try:
            matches = self.app.counter.lookup(query)
        except Exception as exc:  # a database error is a message, not a crash
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Results(query, matches))

    def on_lookup_screen_results(self, message: Results) -> None:
        if message.query != self.query_one("#query", Input).value.strip():
            return  # a newer keypress is on its way
        self.show(message.matches, message.query)

    def on_lookup_screen_failed(self, message: Failed) -> None:
        self.notify(t("error.db", e=message.error), severity="error")

    def show(self, matches: list[VehicleMatch], query: str) -> None:
        self.matches = matches
        table = self.query_one("#results", DataTable)
        table.clear()
        for m in matches:
            table.add_row(
                m.plate or "", m.model or "", m.owner or "", m.phone or "", str(m.visits),
                m.last_visit.isoformat() if m.last_visit else "", m.class_ or "", label(TIERS, m.tier),
                str(m.points) if m.tier or m.points else "", key=str(m.vehicle_id),
            )
        status = self.query_one("#status", Static)
        if not query:
            status.update(t("lookup.hint"))
        elif not matches:
            status.update(t("lookup.none", q=query))
        elif len(matches) >= MAX_RESULTS:
            status.update(t("lookup.more", n=len(matches)))
        else:
            status.update(t("lookup.count", n=len(matches)))

    def action_cursor(self, step: int) -> None:
        table = self.query_one("#results", DataTable)
        if table.row_count:
            table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + step)))

    def action_open(self) -> None:
        table = self.query_one("#results", DataTable)
        if not self.matches or table.cursor_row < 0:
            return
        from tui.screens.profile import ProfileScreen

        self.app.push_screen(ProfileScreen(self.matches[table.cursor_row].vehicle_id))

    def action_clear(self) -> None:
        self.query_one("#query", Input).value = ""
