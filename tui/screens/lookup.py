"""Lookup, the home screen 查找: results filter as you type; arrows move; Enter opens
the profile; Escape clears (coming back from a profile keeps the query)."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from store.lookup import MAX_RESULTS, VehicleMatch
from tui.i18n import CLASS_SHORT, TIERS, label, t
from tui.keys import TextInput, localize


def member_words(match: VehicleMatch) -> str:
    """Tier and points in one cell: "金卡 320"."""
    points = f"{match.points:,}" if match.points else ""
    return " ".join(filter(None, [label(TIERS, match.tier), points]))


class SearchInput(TextInput):
    """The search box: "?" is never part of a plate or a name, so it stays the help key."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return character != "?" and super().check_consume_key(key, character)


class LookupScreen(Screen):
    BINDINGS = [
        Binding("down", "cursor(1)", "key.move", key_display="↑ ↓", show=False, priority=True),
        Binding("up", "cursor(-1)", "key.move", key_display="↑ ↓", show=False, priority=True),
        Binding("pagedown", "cursor(10)", "key.page", key_display="PgUp PgDn", show=False),
        Binding("pageup", "cursor(-10)", "key.page", key_display="PgUp PgDn", show=False),
        Binding("enter", "open", "key.open", priority=True),
        Binding("escape", "clear", "key.clear"),
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

    class FollowUpsDue(Message):
        def __init__(self, count: int) -> None:
            super().__init__()
            self.count = count

    def __init__(self) -> None:
        super().__init__()
        localize(self)
        self.matches: list[VehicleMatch] = []
        self.shown_query: str | None = None  # the query whose results are on screen
        self.follow_ups_due = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield SearchInput(placeholder=t("lookup.placeholder"), id="query")
        yield Static(t("lookup.hint"), id="status")
        yield DataTable(id="results", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#results", DataTable)
        # Seven columns fit 80 terminal cells with Chinese text; visits per car are in the profile.
        for key in ("plate", "model", "owner", "phone", "last_visit", "class", "tier"):
            table.add_column(t(f"col.{key}"), key=key)
        self.query_one("#query", Input).focus()
        self.count_follow_ups()
        self.warm_up()

    @work(thread=True, group="warm-up")
    def warm_up(self) -> None:
        # The first lookup pays for imports, connections and a cold page cache; pay it
        # now, while the advisor reads the screen, not on their first keypress.
        try:
            self.app.counter.lookup("粤A1", limit=1)
        except Exception:
            pass  # the real lookup will say what is wrong

    def on_screen_resume(self) -> None:
        # Back from a profile: the query stays; what it shows may have changed (a pitch, a sign-up).
        self.query_one("#query", Input).focus()
        query = self.query_one("#query", Input).value.strip()
        if query:
            self.search(query)
        else:
            self.count_follow_ups()

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

    @work(thread=True, exclusive=True, group="follow-ups")
    def count_follow_ups(self) -> None:
        try:
            count = len(self.app.counter.follow_ups())
        except Exception:  # the hint is a nicety; lookup reports database errors itself
            return
        self.post_message(self.FollowUpsDue(count))

    def on_lookup_screen_results(self, message: Results) -> None:
        if message.query != self.query_one("#query", Input).value.strip():
            return  # a newer keypress is on its way
        self.show(message.matches, message.query)

    def on_lookup_screen_failed(self, message: Failed) -> None:
        self.notify(t("error.db", e=message.error), severity="error", timeout=8)

    def on_lookup_screen_follow_ups_due(self, message: FollowUpsDue) -> None:
        self.follow_ups_due = message.count
        if not self.query_one("#query", Input).value.strip():
            self.show([], "")

    def show(self, matches: list[VehicleMatch], query: str) -> None:
        table = self.query_one("#results", DataTable)
        # The same query again (back from a profile): keep the highlighted car highlighted.
        keep = None
        if query == self.shown_query and self.matches and 0 <= table.cursor_row < len(self.matches):
            keep = self.matches[table.cursor_row].vehicle_id
        self.matches = matches
        table.clear()
        # One batch, not a row at a time: the table lays itself out once per keypress.
        table.add_rows(
            (m.plate or "", m.model or "", m.owner or "", m.phone or "",
             m.last_visit.isoformat() if m.last_visit else "", label(CLASS_SHORT, m.class_), member_words(m))
            for m in matches
        )
        if keep is not None:
            table.move_cursor(row=next((i for i, m in enumerate(matches) if m.vehicle_id == keep), 0))
        status = self.query_one("#status", Static)
        if not query:
            status.update(t("lookup.followups_due", n=self.follow_ups_due) if self.follow_ups_due else t("lookup.hint"))
        elif not matches:
            status.update(t("lookup.none", q=query))
        elif len(matches) >= MAX_RESULTS:
            status.update(t("lookup.more", n=len(matches)))
        else:
            status.update(t("lookup.count", n=len(matches)))
        self.shown_query = query

    def action_cursor(self, step: int) -> None:
        table = self.query_one("#results", DataTable)
        if table.row_count:
            table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + step)))

    def action_open(self) -> None:
        table = self.query_one("#results", DataTable)
        if not self.matches or table.cursor_row < 0:
            return
        self.app.open_vehicle(self.matches[table.cursor_row].vehicle_id)

    @on(DataTable.RowSelected, "#results")
    def row_clicked(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_clear(self) -> None:
        self.query_one("#query", Input).value = ""
