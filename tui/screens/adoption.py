"""Adoption 客户领养, the store manager's screen: who holds how many cars and what
they are worth, each SA's cars, moving a car between SAs; and, on the second tab,
did it work (calls, bookings, shows, output and oil share before and after).

Keys: ↑/↓ choose; Tab between the SA list and their cars; m move the chosen car
(then 1-9 picks the SA); a / b show the assignments / the results tab; p the
results' period (30, 90 or 365 days); r reloads; Escape back."""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane

from store import clock
from store.adoption import AdoptedCar, StaffLoad
from store.call_desk import CallDesk, StaffChoice
from store.reports import ReportTable
from tui.safe import esc
from tui.i18n import short_date, t
from tui.keys import Header, localize

PERIODS = (30, 90, 365)


def money(fen: int | None) -> str:
    return "" if fen is None else f"¥{fen / 100:,.0f}"


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return esc(value)  # stored text: shown as text


class PickStaffScreen(ModalScreen[int | None]):
    """Which SA takes the car: a digit, or ↑/↓ and Enter; Escape cancels."""

    BINDINGS = [
        Binding("escape", "cancel", "key.cancel"),
        Binding("enter", "pick", "key.save", priority=True),
        *[Binding(str(i), f"digit({i})", show=False) for i in range(1, 10)],
    ]

    def __init__(self, plate: str, advisors: list[StaffChoice], current: int | None) -> None:
        super().__init__()
        localize(self)
        self.plate = plate
        self.advisors = [a for a in advisors if a.staff_id != current][:9]

    def compose(self) -> ComposeResult:
        with Vertical(id="pick-form"):
            yield Static(t("adoption.move_title", plate=self.plate), classes="form-title")
            yield DataTable(id="pick", cursor_type="row")
            yield Static(t("adoption.move_help"), id="pick-help")

    def on_mount(self) -> None:
        table = self.query_one("#pick", DataTable)
        table.add_columns("#", t("adoption.col.sa"), t("adoption.col.code"))
        for i, a in enumerate(self.advisors, start=1):
            table.add_row(str(i), esc(a.name), esc(a.code))
        table.focus()

    def action_digit(self, n: int) -> None:
        if 1 <= n <= len(self.advisors):
            self.dismiss(self.advisors[n - 1].staff_id)

    def action_pick(self) -> None:
        table = self.query_one("#pick", DataTable)
        if self.advisors and table.cursor_row >= 0:
            self.dismiss(self.advisors[table.cursor_row].staff_id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class AdoptionScreen(Screen):
    BINDINGS = [
        Binding("escape", "back", "key.back"),
        Binding("m", "move", "adoption.key.move"),
        Binding("a", "tab('assign')", "adoption.key.assign"),
        Binding("b", "tab('results')", "adoption.key.results"),
        Binding("p", "period", "adoption.key.period"),
        Binding("r", "reload", "key.refresh", show=False),  # in the help; the footer keeps esc and ?
    ]

    class Loaded(Message):
        def __init__(self, loads: list[StaffLoad], advisors: list[StaffChoice], seq: int = 0) -> None:
            super().__init__()
            self.seq = seq
            self.loads = loads
            self.advisors = advisors

    class CarsLoaded(Message):
        def __init__(self, staff_id: int | None, cars: list[AdoptedCar]) -> None:
            super().__init__()
            self.staff_id = staff_id
            self.cars = cars

    class ReportLoaded(Message):
        def __init__(self, report: ReportTable) -> None:
            super().__init__()
            self.report = report

    class Moved(Message):
        def __init__(self, words: str) -> None:
            super().__init__()
            self.words = words

    class Failed(Message):
        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        localize(self)
        self.loads: list[StaffLoad] = []
        self.cars: list[AdoptedCar] = []
        self.cars_of: int | None = None
        self.advisors: list[StaffChoice] = []
        self.period = PERIODS[0]
        self.load_seq = 0  # only the latest load may paint

    @property
    def desk(self) -> CallDesk:
        c = self.app.counter
        return CallDesk(c.engine, c.actor, c.store_id)

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial="assign", id="adoption-tabs"):
            with TabPane(t("adoption.tab.assign"), id="assign"):
                yield Static(t("loading"), id="adoption-status")
                with Horizontal(id="adoption-panes"):
                    yield DataTable(id="loads", cursor_type="row", zebra_stripes=True)
                    yield DataTable(id="cars", cursor_type="row", zebra_stripes=True)
            with TabPane(t("adoption.tab.results"), id="results"):
                yield Static("", id="results-title", classes="section-title")
                yield DataTable(id="results-table", cursor_type="row", zebra_stripes=True)
                yield Static(t("adoption.results_note"), id="results-note")
        yield Footer()

    def on_mount(self) -> None:
        loads = self.query_one("#loads", DataTable)
        for key in ("sa", "cars", "oil", "output"):
            loads.add_column(t(f"adoption.col.{key}"), key=key)
        cars = self.query_one("#cars", DataTable)
        for key in ("plate", "owner", "model", "oil", "output", "since", "how"):
            cars.add_column(t(f"adoption.col.{key}"), key=key)
        if not self.app.counter.actor.is_manager:
            self.query_one("#adoption-status", Static).update(t("adoption.managers_only"))
            return
        loads.focus()
        self.load()

    # --- loading -------------------------------------------------------------------

    def load(self) -> None:
        self.load_seq += 1
        self.load_worker(self.load_seq)

    @work(thread=True, exclusive=True, group="adoption")
    def load_worker(self, seq: int) -> None:
        try:
            desk = self.desk
            self.post_message(self.Loaded(desk.loads(), desk.advisors(), seq))
        except Exception as exc:
            self.post_message(self.Failed(str(exc)))

    @work(thread=True, exclusive=True, group="adoption-cars")
    def load_cars(self, staff_id: int | None) -> None:
        try:
            self.post_message(self.CarsLoaded(staff_id, self.desk.cars(staff_id)))
        except Exception as exc:
            self.post_message(self.Failed(str(exc)))

    @work(thread=True, exclusive=True, group="adoption-report")
    def load_report(self) -> None:
        today = clock.today()
        try:
            report = self.desk.report(today - timedelta(days=self.period - 1), today)
        except Exception as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.ReportLoaded(report))

    def on_adoption_screen_failed(self, message: Failed) -> None:
        self.notify(esc(message.error), severity="error", timeout=8)

    def on_adoption_screen_loaded(self, message: Loaded) -> None:
        if message.seq != self.load_seq:
            return
        self.loads, self.advisors = message.loads, message.advisors
        table = self.query_one("#loads", DataTable)
        at = table.cursor_row
        table.clear()
        for x in self.loads:
            name = esc(x.name) if x.staff_id is not None else t("adoption.unassigned")
            table.add_row(name, str(x.vehicles), money(x.oil_fen), money(x.output_fen), key=str(x.staff_id))
        if self.loads:
            table.move_cursor(row=min(max(at, 0), len(self.loads) - 1))
        held = sum(x.vehicles for x in self.loads if x.staff_id is not None)
        loose = sum(x.vehicles for x in self.loads if x.staff_id is None)
        self.query_one("#adoption-status", Static).update(t("adoption.status", held=held, loose=loose))
        self.show_cars()

    @on(DataTable.RowHighlighted, "#loads")
    def load_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_cars()

    def current_load(self) -> StaffLoad | None:
        table = self.query_one("#loads", DataTable)
        if not self.loads or not 0 <= table.cursor_row < len(self.loads):
            return None
        return self.loads[table.cursor_row]

    def show_cars(self) -> None:
        load = self.current_load()
        if load is not None:
            self.load_cars(load.staff_id)

    def on_adoption_screen_cars_loaded(self, message: CarsLoaded) -> None:
        load = self.current_load()
        if load is None or load.staff_id != message.staff_id:
            return  # the cursor moved on meanwhile
        self.cars, self.cars_of = message.cars, message.staff_id
        table = self.query_one("#cars", DataTable)
        at = table.cursor_row
        table.clear()
        for c in self.cars:
            how = t(f"adoption.how.{c.method}") if c.method else ""
            table.add_row(esc(c.plate), esc(c.owner), esc(c.model), money(c.oil_fen), money(c.output_fen),
                          short_date(c.started_on, clock.today()), how, key=str(c.vehicle_id))
        if self.cars:
            table.move_cursor(row=min(max(at, 0), len(self.cars) - 1))

    def on_adoption_screen_report_loaded(self, message: ReportLoaded) -> None:
        report = message.report
        table = self.query_one("#results-table", DataTable)
        table.clear(columns=True)
        for c in report.columns:
            table.add_column(t(f"adoption.rcol.{c}"), key=c)
        for row in report.rows:
            table.add_row(*[cell(row.get(c)) for c in report.columns])
        if report.total:
            table.add_row(*[Text(cell(report.total.get(c)) if i else t("adoption.total"), style="bold")
                            for i, c in enumerate(report.columns)])
        today = clock.today()
        self.query_one("#results-title", Static).update(
            t("adoption.results_title", start=(today - timedelta(days=self.period - 1)).isoformat(),
              end=today.isoformat(), days=self.period))

    # --- moving a car --------------------------------------------------------------

    def action_move(self) -> None:
        if not self.app.counter.actor.is_manager:
            self.notify(t("adoption.managers_only"), severity="warning")
            return
        table = self.query_one("#cars", DataTable)
        if not self.cars or not 0 <= table.cursor_row < len(self.cars):
            self.notify(t("adoption.choose_car"), severity="warning")
            return
        car = self.cars[table.cursor_row]

        def picked(staff_id: int | None) -> None:
            if staff_id is not None:
                self.do_move(car, staff_id)

        self.app.push_screen(PickStaffScreen(car.plate or "", self.advisors, car.staff_id), picked)

    @work(thread=True, exclusive=True, group="adoption-move")
    def do_move(self, car: AdoptedCar, staff_id: int) -> None:
        try:
            result = self.desk.move(car.vehicle_id, staff_id)
        except Exception as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Moved(t("adoption.moved", plate=result.plate or "", frm=result.from_staff or "—",
                                       to=result.to_staff)))

    def on_adoption_screen_moved(self, message: Moved) -> None:
        self.notify(message.words)
        self.load()

    # --- tabs and the rest ---------------------------------------------------------

    def action_tab(self, name: str) -> None:
        self.query_one("#adoption-tabs", TabbedContent).active = name

    @on(TabbedContent.TabActivated, "#adoption-tabs")
    def tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "results" and self.app.counter.actor.is_manager:
            self.load_report()
            self.query_one("#results-table", DataTable).focus()
        elif event.pane.id == "assign":
            self.query_one("#loads", DataTable).focus()

    def action_period(self) -> None:
        self.period = PERIODS[(PERIODS.index(self.period) + 1) % len(PERIODS)]
        self.action_tab("results")
        self.load_report()

    def action_reload(self) -> None:
        if not self.app.counter.actor.is_manager:
            return
        self.load()
        if self.query_one("#adoption-tabs", TabbedContent).active == "results":
            self.load_report()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()

