"""My follow-ups 我的跟进: the acting staff member's considering / not-now pitches
whose follow-up date has come, the most recently due first (a years-old backlog
sinks to the bottom). Enter opens the car's
profile (pitch again from there with ``p``); ``a`` switches between mine and
everyone's."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from store import clock
from store.pitches import FollowUp
from tui.safe import esc
from tui.i18n import OUTCOMES, label, reason_words, short_date, t
from tui.keys import Header, localize


class FollowUpsScreen(Screen):
    BINDINGS = [
        Binding("enter", "open", "key.open", priority=True),
        Binding("a", "everyone", "key.everyone"),
        Binding("escape", "back", "key.back"),
    ]

    class Loaded(Message):
        def __init__(self, items: list[FollowUp]) -> None:
            super().__init__()
            self.items = items

    class Failed(Message):
        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        localize(self)
        self.items: list[FollowUp] = []
        self.everyone = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="followups-title", classes="section-title")
        yield Static(t("loading"), id="status")
        yield DataTable(id="followups", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#followups", DataTable).focus()

    def columns(self) -> tuple[str, ...]:
        # Who pitched is only news on everyone's list.
        staff = ("staff",) if self.everyone else ()
        return ("due", "overdue", "plate", "owner", "phone", "outcome", "reason", *staff, "pitched")

    def on_screen_resume(self) -> None:
        # On first showing too; coming back, a follow-up done from a profile drops off.
        self.load()

    @work(thread=True, exclusive=True, group="follow-ups")
    def load(self) -> None:
        try:
            items = self.app.counter.follow_ups(everyone=self.everyone)
        except Exception as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Loaded(items))

    def on_follow_ups_screen_failed(self, message: Failed) -> None:
        self.notify(t("error.db", e=message.error), severity="error", timeout=8)

    def on_follow_ups_screen_loaded(self, message: Loaded) -> None:
        today = clock.today()
        self.items = message.items
        actor = self.app.counter.actor
        self.query_one("#followups-title", Static).update(
            t("followups.title_all") if self.everyone else t("followups.title", staff=actor.name))
        table = self.query_one("#followups", DataTable)
        row = table.cursor_row
        if tuple(str(k.value) for k in table.columns) != self.columns():
            table.clear(columns=True)
            for key in self.columns():
                table.add_column(t(f"col.{key}"), key=key)
        else:
            table.clear()
        for f in self.items:
            p = f.pitch
            cells = {
                "due": short_date(f.due_on, today), "overdue": str(f.overdue_days) if f.overdue_days > 0 else "",
                "plate": esc(f.plate), "owner": esc(f.customer_name), "phone": esc(f.phone),
                "outcome": label(OUTCOMES, p.outcome), "pitched": short_date(p.pitched_at.date(), today),
                "staff": esc(p.staff_name), "reason": esc(" · ".join(filter(None, [reason_words(p.reason), p.note]))),
            }
            table.add_row(*(cells[key] for key in self.columns()))
        if self.items:
            table.move_cursor(row=min(max(row, 0), len(self.items) - 1))
        self.query_one("#status", Static).update(
            t("followups.count", n=len(self.items)) if self.items else t("followups.none"))

    def action_open(self) -> None:
        table = self.query_one("#followups", DataTable)
        if not self.items or table.cursor_row < 0:
            return
        item = self.items[table.cursor_row]
        if item.vehicle_id is not None:
            self.app.open_vehicle(item.vehicle_id)

    @on(DataTable.RowSelected, "#followups")
    def row_clicked(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_everyone(self) -> None:
        self.everyone = not self.everyone
        self.load()

    def action_back(self) -> None:
        self.app.pop_screen()
