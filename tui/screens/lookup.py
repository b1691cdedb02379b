"""Lookup, the home screen 查找: results filter as you type; arrows move; Enter opens
the profile; Escape clears (coming back from a profile keeps the query)."""

from __future__ import annotations

import gc
from importlib import import_module

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static

from store.access import AccessDenied
from store.lookup import MAX_RESULTS, VehicleMatch
from tui.safe import esc
from tui.i18n import CLASS_SHORT, TIERS, label, t
from tui.keys import Footer, Header, TextInput, localize


FOLLOW_UPS_HINT_MAX = 99  # the home screen's hint counts no further ("99+")

# What opening a profile imports (the first Enter paid ~0.1 s for them, polars most).
PROFILE_MODULES = ("tui.screens.profile", "store.profile", "store.classes", "store.maintenance", "store.care",
                   "store.calls", "store.points")
_heap_settled = False


def settle_heap() -> None:
    """Once per process, after the start: load what opening a profile needs, then
    take every object alive (modules, the app, its caches) out of the garbage
    collector's full passes (``gc.freeze``). A full pass walked all of them, 40-65 ms
    at the counter, every few profiles opened: the slowest opens were those.
    Garbage made from here on is collected as before."""
    global _heap_settled
    if _heap_settled:
        return
    _heap_settled = True
    for name in PROFILE_MODULES:
        try:
            import_module(name)
        except ImportError:
            pass  # a capability not there yet; the profile reads it as absent
    gc.freeze()


def member_words(match: VehicleMatch) -> str:
    """Tier and points in one cell: "金卡 320"."""
    points = f"{match.points:,}" if match.points else ""
    return " ".join(filter(None, [label(TIERS, match.tier), points]))


class SearchInput(TextInput):
    """The search box: "?" is never part of a plate or a name, so it stays the help key."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return character != "?" and super().check_consume_key(key, character)


class ResultList(OptionList, can_focus=False):
    """The results: one pre-laid-out line per car, columns padded to terminal cell
    widths (Chinese characters are two cells). About half the work of a DataTable
    per keypress, which matters at the counter's 100 ms budget; the search box keeps
    the focus and the screen moves the highlight."""

    def __init__(self, columns: list[str], *, id: str | None = None) -> None:
        super().__init__(id=id, compact=True)
        self.columns = columns
        self.rows: list[tuple[str, ...]] = []
        self.widths = [cell_len(c) for c in columns]

    @staticmethod
    def _line(cells: tuple[str, ...], widths: list[int], style: str = "") -> Text:
        text = Text(no_wrap=True, overflow="ellipsis", style=style)
        for cell, width in zip(cells, widths):
            text.append(" " + cell + " " * (width - cell_len(cell)) + " ")
        return text

    def header(self) -> Text:
        return self._line(tuple(self.columns), self.widths, "bold")

    def set_rows(self, rows: list[tuple[str, ...]], *, highlight: int = 0) -> None:
        self.rows = rows
        self.widths = [max([cell_len(c)] + [cell_len(r[i]) for r in rows]) for i, c in enumerate(self.columns)]
        self.set_options([self._line(r, self.widths) for r in rows])
        self.highlighted = min(highlight, len(rows) - 1) if rows else None

    # The few DataTable words the screen and its tests use.
    @property
    def row_count(self) -> int:
        return len(self.rows)

    @property
    def cursor_row(self) -> int:
        return -1 if self.highlighted is None else self.highlighted

    def get_row_at(self, index: int) -> list[str]:
        return list(self.rows[index])

    def move_cursor(self, *, row: int) -> None:
        self.highlighted = row


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
        def __init__(self, error: str, *, denied: bool = False) -> None:
            super().__init__()
            self.error = error
            self.denied = denied

    class FollowUpsDue(Message):
        def __init__(self, count: int) -> None:
            super().__init__()
            self.count = count

    def __init__(self) -> None:
        super().__init__()
        localize(self)
        self.matches: list[VehicleMatch] = []
        self.shown_query: str | None = None  # the query whose results are on screen
        # Enter came before its query's results: open the first car of *that* query
        # when they arrive, never a row of an earlier one. Keys wait meanwhile.
        self.open_when_shown: str | None = None
        self.follow_ups_due = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield SearchInput(placeholder=t("lookup.placeholder"), id="query")
        yield Static(t("lookup.hint"), id="status")
        # Seven columns fit 80 terminal cells with Chinese text; visits per car are in the profile.
        results = ResultList([t(f"col.{key}") for key in ("plate", "model", "owner", "phone", "last_visit", "class",
                                                           "tier")], id="results")
        yield Static(results.header(), id="results-header")
        yield results
        yield Footer()

    @property
    def ready_for_keys(self) -> bool:
        return self.open_when_shown is None

    def on_mount(self) -> None:
        self.query_one("#query", Input).focus()
        self.warm_up()  # the follow-ups hint comes from on_screen_resume, which runs on first showing too

    @work(thread=True, group="warm-up")
    def warm_up(self) -> None:
        # The first lookup pays for imports, connections and a cold page cache; pay it
        # now, while the advisor reads the screen, not on their first keypress.
        try:
            self.app.counter.lookup("粤A1", limit=1)
        except Exception:
            pass  # the real lookup will say what is wrong
        settle_heap()

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
        except AccessDenied as exc:  # the role may not see customers: say so, plainly
            self.post_message(self.Failed(str(exc), denied=True))
            return
        except Exception as exc:  # a database error is a message, not a crash
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Results(query, matches))

    @work(thread=True, exclusive=True, group="follow-ups")
    def count_follow_ups(self) -> None:
        try:
            count = len(self.app.counter.follow_ups(limit=FOLLOW_UPS_HINT_MAX))
        except Exception:  # the hint is a nicety; lookup reports database errors itself
            return
        self.post_message(self.FollowUpsDue(count))

    def on_lookup_screen_results(self, message: Results) -> None:
        if message.query != self.query_one("#query", Input).value.strip():
            return  # a newer keypress is on its way
        self.show(message.matches, message.query)
        if self.open_when_shown == message.query:
            self.open_when_shown = None
            self.action_open()
            self.app.keys_may_flow()

    def on_lookup_screen_failed(self, message: Failed) -> None:
        if self.open_when_shown is not None:
            self.open_when_shown = None
            self.app.keys_may_flow()
        self.notify(esc(message.error if message.denied else t("error.db", e=message.error)), severity="error", timeout=8)

    def on_lookup_screen_follow_ups_due(self, message: FollowUpsDue) -> None:
        self.follow_ups_due = message.count
        if not self.query_one("#query", Input).value.strip():
            self.show([], "")

    def show(self, matches: list[VehicleMatch], query: str) -> None:
        results = self.query_one("#results", ResultList)
        # The same query again (back from a profile): keep the highlighted car highlighted.
        highlight = 0
        if query == self.shown_query and self.matches and 0 <= results.cursor_row < len(self.matches):
            keep = self.matches[results.cursor_row].vehicle_id
            highlight = next((i for i, m in enumerate(matches) if m.vehicle_id == keep), 0)
        self.matches = matches
        results.set_rows([
            (m.plate or (t("lookup.moved_on", plate=m.former_plate) if m.former_plate else ""), m.model or "", (m.owner or "") + (t("lookup.other_store") if m.other_store else ""),
             m.phone or "",
             m.last_visit.isoformat() if m.last_visit else "", label(CLASS_SHORT, m.class_), member_words(m))
            for m in matches
        ], highlight=highlight)
        self.query_one("#results-header", Static).update(results.header())
        status = self.query_one("#status", Static)
        if not query:
            n = f"{self.follow_ups_due}+" if self.follow_ups_due >= FOLLOW_UPS_HINT_MAX else self.follow_ups_due
            status.update(t("lookup.followups_due", n=n) if self.follow_ups_due else t("lookup.hint"))
        elif not matches:
            status.update(t("lookup.none", q=esc(query)))
        elif len(matches) >= MAX_RESULTS:
            status.update(t("lookup.more", n=len(matches)))
        else:
            status.update(t("lookup.count_one") if len(matches) == 1 else t("lookup.count", n=len(matches)))
        self.shown_query = query

    def action_cursor(self, step: int) -> None:
        results = self.query_one("#results", ResultList)
        if results.row_count:
            results.move_cursor(row=max(0, min(results.row_count - 1, results.cursor_row + step)))

    def action_open(self) -> None:
        query = self.query_one("#query", Input).value.strip()
        if query != (self.shown_query or ""):
            # Typed faster than the results came (a scanner, a fast hand): wait for them.
            self.open_when_shown = query
            return
        results = self.query_one("#results", ResultList)
        if not self.matches or results.cursor_row < 0:
            return
        match = self.matches[results.cursor_row]
        if match.other_store:  # a group-wide search shows it; its store keeps its profile
            self.notify(t("lookup.other_store_closed"), severity="warning")
            return
        self.app.open_vehicle(match.vehicle_id)

    @on(OptionList.OptionSelected, "#results")
    def row_clicked(self, event: OptionList.OptionSelected) -> None:
        self.action_open()

    def action_clear(self) -> None:
        self.query_one("#query", Input).value = ""
