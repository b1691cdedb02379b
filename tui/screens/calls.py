"""The day's calls 今日回访: one service advisor's list, one row per customer with
every reason merged, the most urgent first; the day's progress always on top and
the day's expected arrivals 预约到店 below.

Keys: ↑/↓ choose a customer; 1 booked (date and time), 2 reached without a booking
(a callback date if promised), 3 no answer (tried again tomorrow, up to 3 times),
4 wrong number, 5 refused (with a reason), 6 sold the car, 7 do not contact (with a
reason), 8 an insurance renewal reminder's answer 续保结果 (then 1 renewed with us,
2 elsewhere and the insurer, 3 not yet and the day to call back, 4 refused and
why; store.calls says what each records); d shows the full phone number to dial (logged); Enter opens the profile;
s the next SA's list (managers); [ and ] the day before / after; r reloads."""

from __future__ import annotations

from datetime import date, timedelta

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Input, Static

from store import clock
from store.call_desk import CallDesk, StaffChoice
from store.calls import (
    DNC_REASONS,
    OUTCOMES,
    REFUSAL_REASONS,
    RENEWAL_NOT_YET,
    RENEWAL_REFUSAL_REASONS,
    AppointmentLine,
    CallError,
    CallList,
    CallResult,
    CallRow,
    parse_day,
    parse_when,
)
from tui.i18n import label, language, short_date, t
from tui.keys import Header, ChoiceRow, TextInput, localize
from tui.safe import esc

OUTCOME_KEYS = {"1": "booked", "2": "reached", "3": "no_answer", "4": "wrong_number", "5": "refused", "6": "sold",
                "7": "do_not_contact", "8": "renewal"}
# The answers to an insurance renewal reminder (key 8), by the digit chosen in its form.
RENEWAL_CHOICES = ("renewed_here", "renewed_other", "not_yet", "refused")
# The key line's words: short enough for all eight keys at 80 columns.
KEY_WORDS = {**OUTCOMES, "reached": ("已接通", "reached"), "renewal": ("续保", "renewal")}
QUICK = ("no_answer", "wrong_number")  # logged at once, no form
WEEKDAYS_ZH = "一二三四五六日"


def outcome_keys_line() -> Text:
    """What 1-8 log, on one line above the footer: "1 已预约  2 已接通 …"."""
    line = Text(no_wrap=True, overflow="ellipsis")
    for key, outcome in OUTCOME_KEYS.items():
        line.append(f" {key} ", style="reverse")
        line.append(f"{label(KEY_WORDS, outcome)} ")
    return line


def day_words(day: date) -> str:
    if language() == "en":
        return day.strftime("%a %Y-%m-%d")
    return f"{day.isoformat()} 周{WEEKDAYS_ZH[day.weekday()]}"


def progress_words(lst: CallList, width: int = 20) -> Text:
    filled = round(width * lst.done / lst.total) if lst.total else 0
    text = Text()
    text.append(f"{lst.staff_name} · {day_words(lst.day)} · ", style="bold")
    text.append(t("calls.progress", done=lst.done, total=lst.total), style="bold")
    text.append("  ")
    text.append("█" * filled, style="green")
    text.append("░" * (width - filled))
    if lst.held_back:
        text.append("  " + t("calls.held_back", n=len(lst.held_back), cap=lst.cap, days=lst.cap_days))
    return text


def status_words(row: CallRow) -> str:
    if row.done:
        return "✓" + label(OUTCOMES, row.outcome)  # the booking's time is in the detail below
    if row.attempt > 1:
        return t("calls.try", n=row.attempt, of=row.max_tries)
    return ""


def suggested_time(row: CallRow, today: date) -> str:
    """The booking field's first guess: the due date if it is ahead (within a week), else tomorrow, 09:00."""
    due = next((r.due_on for r in row.reasons if r.code == "due_soon" and r.due_on and r.due_on > today), None)
    day = due if due and (due - today).days <= 7 else today + timedelta(days=1)
    return f"{day:%m-%d} 09:00"


class CallOutcomeScreen(ModalScreen[dict | None]):
    """The details an outcome needs: the appointment, a callback date, a reason, the
    car sold; for an insurance renewal (``renewal``) which answer (digits 1-4 on its
    choice), the insurer, the callback day or the reason. Enter saves, Escape cancels."""

    BINDINGS = [
        Binding("enter", "save", "key.save", priority=True),
        Binding("escape", "cancel", "key.cancel"),
        Binding("down", "app.focus_next", show=False),
        Binding("up", "app.focus_previous", show=False),
    ]

    def __init__(self, outcome: str, row: CallRow) -> None:
        super().__init__()
        localize(self)
        self.outcome = outcome
        self.row = row
        self.today = clock.today()

    def compose(self) -> ComposeResult:
        o, row = self.outcome, self.row
        with Vertical(id="call-form"):
            yield Static(t("calls.form_title", outcome=label(KEY_WORDS, o) if o != "renewal"
                           else t("calls.renewal_title"), name=esc(row.name),
                           plates=esc(" ".join(row.plates))), id="call-form-title")
            if o == "renewal":
                yield from self.renewal_fields()
            if o == "booked":
                with Horizontal(classes="field-row"):
                    yield Static(t("calls.when"), classes="field-label")
                    yield TextInput(value=suggested_time(row, self.today), id="when", compact=True, max_length=24)
                    yield Static("", id="when-echo")
            if o == "reached" and row.complaint_ids:
                with Horizontal(classes="field-row"):
                    yield Static(t("calls.satisfied"), classes="field-label")
                    yield ChoiceRow([("yes", t("calls.satisfied_yes")), ("no", t("calls.satisfied_no"))],
                                    id="satisfied")
            if o == "reached" and row.asks_scores:
                with Horizontal(classes="field-row"):
                    yield Static(t("calls.scores"), classes="field-label")
                    yield TextInput(placeholder=t("calls.scores_hint"), id="scores", compact=True, max_length=20)
            if o == "reached":
                with Horizontal(classes="field-row"):
                    yield Static(t("calls.callback"), classes="field-label")
                    yield TextInput(placeholder=t("calls.callback_hint"), id="callback", compact=True, max_length=12)
                    yield Static("", id="callback-echo")
            if o in ("refused", "do_not_contact"):
                choices = REFUSAL_REASONS if o == "refused" else DNC_REASONS
                with Horizontal(classes="field-row"):
                    yield Static(t("calls.reason"), classes="field-label")
                    yield ChoiceRow([(c, c) for c in choices], id="reason")
                with Horizontal(classes="field-row"):
                    yield Static("", classes="field-label")
                    yield TextInput(placeholder=t("calls.reason_text"), id="reason-text", compact=True, max_length=200)
            if o == "sold":
                cars = self.cars()
                with Horizontal(classes="field-row"):
                    yield Static(t("calls.car"), classes="field-label")
                    yield ChoiceRow([(str(v), p) for v, p in cars], selected=str(cars[0][0]) if cars else None,
                                    id="car")
            with Horizontal(classes="field-row"):
                yield Static(t("calls.note"), classes="field-label")
                yield TextInput(placeholder=t("calls.note_hint"), id="note", compact=True, max_length=500)
            yield Static("", id="call-form-error", classes="form-error")
            yield Static(t("calls.form_help"), id="call-form-help")

    def renewal_fields(self) -> ComposeResult:
        """The renewal's answer, then the field each answer needs (shown once chosen)."""
        with Horizontal(classes="field-row"):
            yield Static(t("calls.renewal_choice"), classes="field-label")
            yield ChoiceRow([(c, t(f"calls.renewal.{c}")) for c in RENEWAL_CHOICES], numbered=True, id="renewal")
        with Horizontal(classes="field-row", id="insurer-row"):
            yield Static(t("calls.insurer"), classes="field-label")
            yield TextInput(placeholder=t("calls.insurer_hint"), id="insurer", compact=True, max_length=60)
        with Horizontal(classes="field-row", id="callback-row"):
            yield Static(t("calls.callback"), classes="field-label")
            yield TextInput(placeholder=t("calls.callback_hint"), id="callback", compact=True, max_length=12)
            yield Static("", id="callback-echo")
        with Horizontal(classes="field-row", id="reason-row"):
            yield Static(t("calls.reason"), classes="field-label")
            yield ChoiceRow([(c, c) for c in RENEWAL_REFUSAL_REASONS], id="reason")
        with Horizontal(classes="field-row", id="reason-text-row"):
            yield Static("", classes="field-label")
            yield TextInput(placeholder=t("calls.reason_text"), id="reason-text", compact=True, max_length=200)
        cars = [(v, p) for v, p in self.cars() if v in self.row.renewal_vehicle_ids]
        if len(cars) > 1:
            with Horizontal(classes="field-row"):
                yield Static(t("calls.car"), classes="field-label")
                yield ChoiceRow([(str(v), p) for v, p in cars], selected=str(cars[0][0]), id="car")

    def show_renewal_fields(self, choice: str | None) -> None:
        """Only the field the chosen answer needs."""
        for row_id, wanted in (("#insurer-row", "renewed_other"), ("#callback-row", "not_yet"),
                               ("#reason-row", "refused"), ("#reason-text-row", "refused")):
            self.query_one(row_id).display = choice == wanted

    def on_key(self, event) -> None:
        """On the renewal's choice a digit 1-4 picks the answer and moves on to what it needs."""
        if self.outcome != "renewal" or event.character not in ("1", "2", "3", "4"):
            return
        choice = self.query_one("#renewal", ChoiceRow)
        if self.focused is not choice:
            return
        event.stop()
        event.prevent_default()
        picked = RENEWAL_CHOICES[int(event.character) - 1]
        choice.selected = picked
        self.show_renewal_fields(picked)
        follow = {"renewed_other": "#insurer", "not_yet": "#callback", "refused": "#reason"}.get(picked)
        if follow:
            self.query_one(follow).focus()

    @on(ChoiceRow.Changed, "#renewal")
    def renewal_changed(self, event: ChoiceRow.Changed) -> None:
        self.show_renewal_fields(event.value)

    def renewal_values(self) -> dict | None:
        """What the chosen renewal answer logs (store.calls), or None after saying what is missing."""
        chosen = self.query_one("#renewal", ChoiceRow).selected
        if chosen is None:
            self.error(t("calls.need_renewal"))
            return None
        cars = self.query("#car")
        car = int(cars.first(ChoiceRow).selected) if cars else (self.row.renewal_vehicle_ids or [None])[0]
        if chosen == "renewed_here":
            return {"outcome": "renewed_here", "vehicle_id": car}
        if chosen == "renewed_other":
            insurer = self.query_one("#insurer", Input).value.strip()
            if not insurer:
                self.error(t("calls.need_insurer"))
                return None
            return {"outcome": "renewed_other", "vehicle_id": car, "insurer": insurer}
        if chosen == "not_yet":
            text = self.query_one("#callback", Input).value
            try:
                day = parse_day(text, today=self.today) if text.strip() else None
            except CallError as exc:
                self.error(t("calls.bad_input", e=str(exc)))
                return None
            if day is None:
                self.error(t("calls.need_callback"))
                return None
            if day <= self.today:
                self.error(t("calls.callback_future"))
                return None
            return {"outcome": "reached", "vehicle_id": car, "callback_on": day, "reason": RENEWAL_NOT_YET}
        reason = "；".join(filter(None, [self.query_one("#reason", ChoiceRow).selected,
                                         self.query_one("#reason-text", Input).value.strip()]))
        if not reason:
            self.error(t("calls.need_reason"))
            return None
        return {"outcome": "refused", "vehicle_id": car, "reason": reason}

    def cars(self) -> list[tuple[int, str]]:
        seen: dict[int, str] = {}
        for r in self.row.reasons:
            if r.vehicle_id is not None and r.vehicle_id not in seen:
                seen[r.vehicle_id] = r.plate or str(r.vehicle_id)
        if not seen and self.row.vehicle_id is not None:
            seen[self.row.vehicle_id] = " ".join(self.row.plates) or str(self.row.vehicle_id)
        return list(seen.items())

    def on_mount(self) -> None:
        if self.outcome == "renewal":
            self.show_renewal_fields(None)
            self.query_one("#renewal").focus()
            return
        first = self.query("#when, #satisfied, #scores, #callback, #reason, #car, #note").first()
        first.focus()
        if self.outcome == "booked":
            self.echo_when(self.query_one("#when", Input).value)

    @on(Input.Changed, "#when")
    def when_changed(self, event: Input.Changed) -> None:
        self.echo_when(event.value)

    def echo_when(self, text: str) -> None:
        echo = self.query_one("#when-echo", Static)
        try:
            at = parse_when(text, today=self.today)
        except CallError:
            echo.update("?")
            return
        echo.update(f"→ {day_words(at.date())} {at:%H:%M}")

    @on(Input.Changed, "#callback")
    def callback_changed(self, event: Input.Changed) -> None:
        echo = self.query_one("#callback-echo", Static)
        if not event.value.strip():
            echo.update("")
            return
        try:
            echo.update(f"→ {day_words(parse_day(event.value, today=self.today))}")
        except CallError:
            echo.update("?")

    def error(self, words: str) -> None:
        self.query_one("#call-form-error", Static).update(words)

    def action_save(self) -> None:
        o = self.outcome
        if o == "renewal":
            values = self.renewal_values()
            if values is not None:
                self.dismiss({**values, "note": self.query_one("#note", Input).value.strip() or None})
            return
        out: dict = {"outcome": o, "note": self.query_one("#note", Input).value.strip() or None}
        try:
            if o == "booked":
                at = parse_when(self.query_one("#when", Input).value, today=self.today)
                if at < clock.now():
                    self.error(t("calls.past"))
                    return
                out["appointment_at"] = at
            if o == "reached" and self.row.complaint_ids:
                chosen = self.query_one("#satisfied", ChoiceRow).selected
                if chosen is None:
                    self.error(t("calls.need_satisfied"))
                    self.query_one("#satisfied").focus()
                    return
                out["satisfied"] = chosen == "yes"
            if o == "reached" and self.row.asks_scores:
                out["scores"] = self.query_one("#scores", Input).value.strip() or None
            if o == "reached":
                text = self.query_one("#callback", Input).value
                if text.strip():
                    day = parse_day(text, today=self.today)
                    if day <= self.today:
                        self.error(t("calls.callback_future"))
                        return
                    out["callback_on"] = day
        except CallError as exc:
            self.error(t("calls.bad_input", e=str(exc)))
            return
        if o in ("refused", "do_not_contact"):
            chosen = self.query_one("#reason", ChoiceRow).selected
            typed = self.query_one("#reason-text", Input).value.strip()
            reason = "；".join(filter(None, [chosen, typed]))
            if not reason:
                self.error(t("calls.need_reason"))
                return
            out["reason"] = reason
        if o == "sold":
            car = self.query_one("#car", ChoiceRow).selected
            if car is None:
                self.error(t("calls.need_car"))
                return
            out["vehicle_id"] = int(car)
        self.dismiss(out)

    def action_cancel(self) -> None:
        self.dismiss(None)


class CallsScreen(Screen):
    BINDINGS = [
        Binding("escape", "back", "key.back"),  # first: the footer keeps it at 80 columns
        Binding("1", "outcome('booked')", "calls.key.outcomes", key_display="1-8"),
        # Each outcome key with its words, so `?` explains every one (the footer shows 1-8).
        *[Binding(k, f"outcome('{o}')", f"calls.outcome_key.{o}", show=False) for k, o in OUTCOME_KEYS.items()],
        # An event invitation's answers (8 is the renewal reminder's form, 3 no answer).
        Binding("9", "event_answer('signed_up')", "calls.key.event_signed_up", show=False),
        Binding("0", "event_answer('not_interested')", "calls.key.event_not_interested", show=False),
        Binding("d", "dial", "calls.key.dial"),
        Binding("enter", "open", "key.open", priority=True),
        Binding("s", "next_staff", "calls.key.next_sa"),
        Binding("left_square_bracket", "shift_day(-1)", "calls.key.day", key_display="[ ]", show=False),
        Binding("right_square_bracket", "shift_day(1)", show=False),
        Binding("r", "reload", "key.refresh", show=False),
    ]

    class Loaded(Message):
        def __init__(self, lst: CallList, arrivals: list[AppointmentLine], advisors: list[StaffChoice],
                     seq: int = 0) -> None:
            super().__init__()
            self.seq = seq
            self.lst = lst
            self.arrivals = arrivals
            self.advisors = advisors

    class Logged(Message):
        def __init__(self, result: CallResult, name: str) -> None:
            super().__init__()
            self.result = result
            self.name = name

    class Failed(Message):
        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    class Dialled(Message):
        def __init__(self, customer_id: int, phone: str | None) -> None:
            super().__init__()
            self.customer_id = customer_id
            self.phone = phone

    def __init__(self, staff_id: int | None = None, day: date | None = None) -> None:
        super().__init__()
        localize(self)
        self.staff_id = staff_id
        self.day = day or clock.today()
        self.lst: CallList | None = None
        self.rows: list[CallRow] = []
        self.advisors: list[StaffChoice] = []
        self.revealed: dict[int, str] = {}
        self.busy = False  # a call is being logged: keys wait for the list it leaves
        self.failed = False
        self.force_care = False  # r: rebuild the care calendar too
        self.load_seq = 0  # only the latest load may paint (a thread worker is not stopped by a newer one)

    @property
    def ready_for_keys(self) -> bool:
        return (self.lst is not None or self.failed) and not self.busy

    @property
    def desk(self) -> CallDesk:
        c = self.app.counter
        return CallDesk(c.engine, c.actor, c.store_id)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("loading"), id="calls-progress")
        yield DataTable(id="calls", cursor_type="row", zebra_stripes=True)
        yield Static("", id="call-detail")
        yield Static(outcome_keys_line(), id="call-keys")
        yield Static(t("calls.arrivals_title", n=0), id="arrivals-title", classes="section-title")
        yield DataTable(id="arrivals", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#calls", DataTable)
        for key in ("n", "customer", "reasons", "status", "phone"):
            table.add_column(t(f"calls.col.{key}"), key=key)
        arrivals = self.query_one("#arrivals", DataTable)
        for key in ("time", "plate", "customer", "sa", "arrived"):
            arrivals.add_column(t(f"calls.col.{key}"), key=key)
        arrivals.can_focus = False
        table.focus()
        self.load()

    def on_screen_resume(self) -> None:
        self.load()

    # --- loading -------------------------------------------------------------------

    def load(self) -> None:
        self.load_seq += 1
        self.load_worker(self.load_seq)

    @work(thread=True, exclusive=True, group="calls")
    def load_worker(self, seq: int) -> None:
        try:
            desk = self.desk
            advisors = desk.advisors()
            staff_id = self.staff_id or desk.own_list_staff() or (advisors[0].staff_id if advisors else None)
            if staff_id is None:
                self.post_message(self.Failed(t("calls.no_sa")))
                return
            self.staff_id = staff_id
            lst = desk.day_list(staff_id, self.day, refresh_care=True if self.force_care else None)
            self.force_care = False
            arrivals = desk.arrivals(self.day)
        except Exception as exc:  # shown, never a crash
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Loaded(lst, arrivals, advisors, seq))

    def on_calls_screen_failed(self, message: Failed) -> None:
        self.busy = False
        self.failed = True
        self.app.keys_may_flow()
        self.notify(esc(message.error), severity="error", timeout=8)
        if self.lst is None:
            self.query_one("#calls-progress", Static).update(message.error)

    def on_calls_screen_loaded(self, message: Loaded) -> None:
        if message.seq != self.load_seq:
            return  # an older load finishing late
        self.busy = False
        self.app.keys_may_flow()
        self.lst, self.rows, self.advisors = message.lst, message.lst.rows, message.advisors
        self.query_one("#calls-progress", Static).update(progress_words(message.lst))
        table = self.query_one("#calls", DataTable)
        at = table.cursor_row
        # The status column only when a row has a status: its room goes to the reason.
        statuses = [status_words(r) for r in self.rows]
        keys = ["n", "customer", "reasons"] + (["status"] if any(statuses) else []) + ["phone"]
        table.clear(columns=True)
        for key in keys:
            table.add_column(t(f"calls.col.{key}"), key=key)
        # The reason gets what the other columns leave (the detail below has it in full):
        # each column's widest cell or header, plus a cell's padding, margins and scrollbar.
        phones = [self.revealed.get(r.customer_id) or r.phone or "" for r in self.rows]
        others = {
            "n": [str(len(self.rows))], "customer": [r.name for r in self.rows], "status": statuses, "phone": phones}
        used = sum(max([cell_len(t(f"calls.col.{k}"))] + [cell_len(v) for v in others[k]]) for k in keys
                   if k != "reasons")
        room = max(16, self.size.width - used - 2 * len(keys) - 6)
        for i, (r, status, phone) in enumerate(zip(self.rows, statuses, phones), start=1):
            more = f" +{len(r.reasons) - 1}" if len(r.reasons) > 1 else ""
            style = "dim" if r.done else ""
            reason = Text(r.top.text(language()), style=style)
            reason.truncate(room - cell_len(more), overflow="ellipsis")
            reason.append(more, style=style)
            cells = {"n": Text(str(i), style=style), "customer": Text(r.name, style=style), "reasons": reason,
                     "status": Text(status, style=style), "phone": Text(phone, style=style)}
            table.add_row(*(cells[k] for k in keys), key=str(r.customer_id))
        if self.rows:
            table.move_cursor(row=min(max(at, 0), len(self.rows) - 1))
        else:
            self.query_one("#call-detail", Static).update(t("calls.empty"))
        self.show_detail()
        arrivals = self.query_one("#arrivals", DataTable)
        arrivals.clear()
        for a in message.arrivals:
            name = a.customer + (" " + t("calls.dnc_mark") if a.do_not_contact else "")
            arrivals.add_row(f"{a.at:%H:%M}", esc(a.plate), esc(name), esc(a.staff), "✓" if a.arrived else "")
        arrivals.display = bool(message.arrivals)  # an empty table's header is room the list can use
        self.query_one("#arrivals-title", Static).update(
            t("calls.arrivals_title", n=len(message.arrivals)) + f" · {short_date(self.day, clock.today())}")

    @on(DataTable.RowHighlighted, "#calls")
    def highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_detail()

    def current(self) -> CallRow | None:
        table = self.query_one("#calls", DataTable)
        if not self.rows or table.cursor_row < 0 or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def show_detail(self) -> None:
        row = self.current()
        detail = self.query_one("#call-detail", Static)
        if row is None:
            return
        lang = language()
        head = Text()
        head.append(f"{row.name}  ", style="bold")
        head.append(self.revealed.get(row.customer_id) or row.phone or "")
        head.append("  " + " ".join(row.plates))
        head.append("  " + t("calls.contacts", n=row.contacts_in_period, days=self.lst.cap_days if self.lst else 30))
        if row.value_fen:
            head.append("  " + t("calls.value", v=f"¥{row.value_fen / 100:,.0f}"))
        if row.done and row.outcome_by:
            head.append("  " + t("calls.done_by", who=row.outcome_by, outcome=label(OUTCOMES, row.outcome)))
        if row.appointment_at:
            head.append("  " + t("calls.logged_appt", at=f"{row.appointment_at:%m-%d %H:%M}"))
        lines = [head] + [Text(f"• {r.text(lang)}") for r in row.reasons]
        if any(r.code == "event" for r in row.reasons):
            lines.append(Text(t("calls.event_keys"), style="bold"))
        detail.update(Text("\n").join(lines))

    # --- working a call ------------------------------------------------------------

    def action_outcome(self, outcome: str) -> None:
        row = self.current()
        if row is None or self.busy:
            return
        if self.lst is not None and self.lst.day != clock.today():
            self.notify(t("calls.not_today"), severity="warning")
            return
        if outcome in QUICK:
            self.save(row, {"outcome": outcome})
            return
        if outcome == "renewal" and not row.renewal_vehicle_ids:
            self.notify(t("calls.no_renewal"), severity="warning")
            return

        def done(values: dict | None) -> None:
            if values:
                self.save(row, values)

        self.app.push_screen(CallOutcomeScreen(outcome, row), done)

    def save(self, row: CallRow, values: dict) -> None:
        self.busy = True
        values.setdefault("vehicle_id", row.vehicle_id)
        self.log_call(row, values)

    @work(thread=True, exclusive=True, group="call-log")
    def log_call(self, row: CallRow, values: dict) -> None:
        try:
            result = self.desk.log(customer_id=row.customer_id, task_ids=row.task_ids, staff_id=self.staff_id,
                                   **values)
        except Exception as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Logged(result, row.name))

    def on_calls_screen_logged(self, message: Logged) -> None:
        r = message.result
        words = t("calls.logged", name=esc(message.name), outcome=label(OUTCOMES, r.outcome))
        if r.appointment_at:
            words += " · " + t("calls.logged_appt", at=f"{r.appointment_at:%m-%d %H:%M}")
        if r.outcome == "no_answer":
            words += " · " + (t("calls.retry", on=short_date(r.callback_on, clock.today()))
                              if r.callback_on else t("calls.no_more_tries", n=r.attempt))
        if r.complaint_opened:
            words += " · " + t("calls.low_score", id=r.complaint_opened)
        self.notify(words)
        self.load()

    def action_event_answer(self, answer: str) -> None:
        """A club event's invitation on the row: 9 signed up (or the waitlist), 0 not interested."""
        row = self.current()
        if row is None or self.busy:
            return
        if not any(r.code == "event" for r in row.reasons):
            self.notify(t("calls.no_event"), severity="warning")
            return
        if self.lst is not None and self.lst.day != clock.today():
            self.notify(t("calls.not_today"), severity="warning")
            return
        self.busy = True
        self.answer_event(row, answer)

    @work(thread=True, exclusive=True, group="call-log")
    def answer_event(self, row: CallRow, answer: str) -> None:
        try:
            result = self.desk.answer_event(customer_id=row.customer_id, answer=answer, task_ids=row.task_ids)
        except Exception as exc:
            self.post_message(self.Failed(str(exc)))
            return
        if answer == "signed_up" and result is not None and result.status == "waitlist":
            words = t("calls.event_waitlist", name=esc(row.name), n=result.position or 0)
        else:
            words = t(f"calls.event_{answer}", name=esc(row.name))
        self.post_message(self.EventAnswered(words))

    class EventAnswered(Message):
        def __init__(self, words: str) -> None:
            super().__init__()
            self.words = words

    def on_calls_screen_event_answered(self, message: EventAnswered) -> None:
        self.notify(message.words)
        self.load()

    def action_dial(self) -> None:
        row = self.current()
        if row is not None:
            self.dial(row.customer_id)

    @work(thread=True, exclusive=True, group="dial")
    def dial(self, customer_id: int) -> None:
        try:
            phone = self.desk.reveal_phone(customer_id)
        except Exception as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Dialled(customer_id, phone))

    def on_calls_screen_dialled(self, message: Dialled) -> None:
        self.revealed[message.customer_id] = message.phone or ""
        table = self.query_one("#calls", DataTable)
        try:
            table.update_cell(str(message.customer_id), "phone", message.phone or "")
        except Exception:  # the row left the list meanwhile
            pass
        self.show_detail()

    # --- moving around -------------------------------------------------------------

    def action_open(self) -> None:
        row = self.current()
        if row is not None and row.vehicle_id is not None:
            self.app.open_vehicle(row.vehicle_id)

    @on(DataTable.RowSelected, "#calls")
    def row_clicked(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_next_staff(self) -> None:
        if self.app.counter.actor.role == "sa":
            self.notify(t("calls.own_only"), severity="warning")
            return
        if not self.advisors:
            return
        ids = [a.staff_id for a in self.advisors]
        i = ids.index(self.staff_id) if self.staff_id in ids else -1
        self.staff_id = ids[(i + 1) % len(ids)]
        self.revealed.clear()
        self.load()

    def action_shift_day(self, step: int) -> None:
        self.day = self.day + timedelta(days=step)
        self.load()

    def action_reload(self) -> None:
        self.force_care = True
        self.load()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()

