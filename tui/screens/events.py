"""Club events 会员活动 (F4), the door check-in 活动签到, and the profile's two event
keys: ``e`` signs the customer up for an event (a digit picks it), ``i`` sets their
interests 兴趣爱好 (digits toggle, Enter saves).

The door takes any part of a plate or a phone's last 4, like the lookup, and keys
typed in a burst are never lost or reordered: Enter typed before the results of
what was typed waits for them and checks in the first of *those*; keys typed while
a check-in is being saved wait for it (the input is then empty for the next person).
Someone not signed up is refused with the store's one line; ``ctrl+w`` lets them in
as a walk-in (现场报名)."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Input, Static

from store.access import AccessDenied
from store.validation import FieldError
from tui.i18n import language, t
from tui.keys import ChoiceRow, Footer, Header, TextInput, localize
from tui.safe import esc

STATUS_WORDS = {"signed_up": ("已报名", "signed up"), "waitlist": ("候补", "waitlist"),
                "cancelled": ("已取消", "cancelled"), "attended": ("已签到", "attended"),
                "none": ("未报名", "not signed up")}


def status_words(status: str) -> str:
    zh, en = STATUS_WORDS.get(status, (status, status))
    return en if language() == "en" else zh


def _refusal(exc: Exception) -> str:
    """A store refusal's one line; anything else is a database error."""
    if isinstance(exc, (FieldError, AccessDenied)):
        return str(exc)
    return t("error.db", e=str(exc).splitlines()[0])


class EventsScreen(Screen):
    """The store's events from 30 days ago on: date, name, kind, sign-ups of the
    capacity, waitlist, attended; the highlighted one's place, budget, points, target
    and costs below. Enter opens its door check-in."""

    BINDINGS = [
        Binding("enter", "door", "key.door", priority=True),
        Binding("n", "new", "key.new_event"),
        Binding("r", "reload", "key.reload"),
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
        self.loaded = False

    @property
    def ready_for_keys(self) -> bool:
        return self.loaded

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("events.title"), id="events-title", classes="section-title")
        yield Static(t("loading"), id="status")
        yield DataTable(id="events", cursor_type="row", zebra_stripes=True)
        yield Static(id="event-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#events", DataTable)
        for key in ("date", "event", "kind", "signed", "waitlist", "attended", "points"):
            table.add_column(t(f"events.col.{key}"), key=key)
        table.focus()

    def on_screen_resume(self) -> None:
        self.load()  # on first showing too; back from the door, the counts have moved

    def action_reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="events")
    def load(self) -> None:
        try:
            items = self.app.counter.event_desk().events()
        except Exception as exc:  # a role that may not, or the database: a message, not a crash
            self.post_message(self.Failed(_refusal(exc)))
            return
        self.post_message(self.Loaded(items))

    def on_events_screen_failed(self, message: Failed) -> None:
        self.query_one("#status", Static).update(esc(message.error[:120]))
        self.loaded = True
        self.app.keys_may_flow()

    def on_events_screen_loaded(self, message: Loaded) -> None:
        self.items = message.items
        table = self.query_one("#events", DataTable)
        keep = table.cursor_row
        table.clear()
        for e in self.items:
            table.add_row(f"{e.starts_at:%Y-%m-%d %H:%M}", esc(e.name), e.kind_words(language()),
                          f"{e.signed_up + e.attended}/{e.capacity}", str(e.waitlist), str(e.attended),
                          str(e.points), key=str(e.id))
        if self.items:
            table.move_cursor(row=max(0, min(keep, len(self.items) - 1)))
        self.query_one("#status", Static).update(t("events.count", n=len(self.items)) if self.items
                                                 else t("events.none"))
        self.show_detail()
        self.loaded = True
        self.app.keys_may_flow()

    @on(DataTable.RowHighlighted, "#events")
    def highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_detail()

    def current(self):
        table = self.query_one("#events", DataTable)
        if not self.items or not 0 <= table.cursor_row < len(self.items):
            return None
        return self.items[table.cursor_row]

    def show_detail(self) -> None:
        e = self.current()
        detail = self.query_one("#event-detail", Static)
        if e is None:
            detail.update("")
            return
        target = "; ".join(f"{t('events.target.' + k)} {','.join(map(str, v)) if isinstance(v, list) else v}"
                           for k, v in e.target.items()) or t("events.target.everyone")
        lines = [f"[b]{esc(e.name)}[/b]  {e.kind_words(language())}  {e.starts_at:%Y-%m-%d %H:%M}"
                 + (f"  {esc(e.place)}" if e.place else ""),
                 t("events.detail", capacity=e.capacity, left=e.seats_left, budget=f"¥{e.budget_fen / 100:,.2f}",
                   cost=f"¥{e.cost_fen / 100:,.2f}", points=e.points, invited=e.invited),
                 f"{t('events.target')}: {esc(target)}"]
        detail.update("\n".join(lines))

    def action_new(self) -> None:
        def done(words: str | None) -> None:
            if words:
                self.notify(words)
                self.load()

        self.app.push_screen(NewEventScreen(), done)

    def action_door(self) -> None:
        e = self.current()
        if e is not None:
            self.app.push_screen(DoorScreen(e.id, e.name, e.starts_at))

    def action_back(self) -> None:
        self.app.pop_screen()


class DoorScreen(Screen):
    """Check-in at the door 活动签到 for one event."""

    BINDINGS = [
        Binding("enter", "check_in", "key.check_in", priority=True),
        # ctrl+w closes a browser's tab before the page sees it: ctrl+g there.
        Binding("ctrl+w,ctrl+g", "walk_in", "key.walk_in", key_display="^w/^g", priority=True),
        Binding("down", "cursor(1)", "key.move", key_display="↑ ↓", show=False, priority=True),
        Binding("up", "cursor(-1)", "key.move", key_display="↑ ↓", show=False, priority=True),
        Binding("escape", "back", "key.back"),
    ]

    class Results(Message):
        def __init__(self, query: str, people: list) -> None:
            super().__init__()
            self.query = query
            self.people = people

    class Done(Message):
        def __init__(self, result=None, error: str | None = None) -> None:
            super().__init__()
            self.result = result
            self.error = error

    def __init__(self, event_id: int, name: str, starts_at) -> None:
        super().__init__()
        localize(self)
        self.event_id = event_id
        self.name_ = name
        self.starts_at = starts_at
        self.people: list = []
        self.shown_query: str | None = None
        self.check_when_shown: tuple[str, bool] | None = None  # Enter before its results: (query, walk-in)
        self.saving = False

    @property
    def ready_for_keys(self) -> bool:
        return self.check_when_shown is None and not self.saving

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("door.title", name=esc(self.name_), at=f"{self.starts_at:%Y-%m-%d %H:%M}"),
                     id="door-title", classes="section-title")
        yield TextInput(placeholder=t("door.placeholder"), id="door-query")
        yield Static(t("door.hint"), id="door-status")
        yield DataTable(id="door-people", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#door-people", DataTable)
        for key in ("customer", "plates", "status"):
            table.add_column(t(f"door.col.{key}"), key=key)
        table.can_focus = False
        self.query_one("#door-query", Input).focus()
        self.search("")

    @on(Input.Changed, "#door-query")
    def changed(self, event: Input.Changed) -> None:
        self.search(event.value.strip())

    @work(thread=True, exclusive=True, group="door")
    def search(self, query: str) -> None:
        try:
            people = self.app.counter.event_desk().door(self.event_id, query)
        except Exception as exc:
            self.post_message(self.Done(error=_refusal(exc)))
            return
        self.post_message(self.Results(query, people))

    def on_door_screen_results(self, message: Results) -> None:
        if message.query != self.query_one("#door-query", Input).value.strip():
            return  # a newer key is on its way
        self.people = message.people
        table = self.query_one("#door-people", DataTable)
        table.clear()
        for p in self.people:
            table.add_row(esc(p.name), esc(" ".join(p.plates)),
                          status_words(p.status) + (f" #{p.position}" if p.position else ""))
        self.shown_query = message.query
        if message.query and not self.people:
            self.query_one("#door-status", Static).update(t("door.none", q=esc(message.query)))
        if self.check_when_shown is not None and self.check_when_shown[0] == message.query:
            walk_in = self.check_when_shown[1]
            self.check_when_shown = None
            self._check(walk_in)
            if not self.saving:
                self.app.keys_may_flow()

    def action_cursor(self, step: int) -> None:
        table = self.query_one("#door-people", DataTable)
        if table.row_count:
            table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + step)))

    def action_check_in(self) -> None:
        self._enter(walk_in=False)

    def action_walk_in(self) -> None:
        self._enter(walk_in=True)

    def _enter(self, *, walk_in: bool) -> None:
        query = self.query_one("#door-query", Input).value.strip()
        if query != (self.shown_query or ""):
            self.check_when_shown = (query, walk_in)  # typed faster than the results came: wait for them
            return
        self._check(walk_in)

    def _check(self, walk_in: bool) -> None:
        table = self.query_one("#door-people", DataTable)
        if not self.people or not self.query_one("#door-query", Input).value.strip():
            return
        person = self.people[max(0, table.cursor_row)]
        self.saving = True
        self.save(person.customer_id, walk_in)

    @work(thread=True, exclusive=True, group="door-save")
    def save(self, customer_id: int, walk_in: bool) -> None:
        try:
            result = self.app.counter.event_desk().check_in(self.event_id, customer_id, walk_in=walk_in)
        except Exception as exc:
            self.post_message(self.Done(error=_refusal(exc)))
            return
        self.post_message(self.Done(result))

    def on_door_screen_done(self, message: Done) -> None:
        status = self.query_one("#door-status", Static)
        if message.error:
            status.update(Text(message.error))
            self.notify(esc(message.error), severity="warning", timeout=8)
        else:
            r = message.result
            words = t("door.again", name=esc(r.name)) if r.replayed else t("door.done", name=esc(r.name))
            if r.walk_in and not r.replayed:
                words += t("door.walk_in")
            if r.points:
                words += t("door.points", n=r.points)
            status.update(words)
            self.query_one("#door-query", Input).value = ""  # the next person
        self.saving = False
        self.check_when_shown = None  # a search that failed never brings the results an Enter waits for
        self.app.keys_may_flow()

    def action_back(self) -> None:
        self.app.pop_screen()


class EventPickScreen(ModalScreen[str | None]):
    """From the profile (``e``): the events still taking sign-ups; a digit (or ↑/↓ and
    Enter) signs the customer up, or onto the waitlist when it is full."""

    BINDINGS = [
        Binding("escape", "cancel", "key.cancel"),
        Binding("enter", "pick", "key.sign_up", priority=True),
        *[Binding(str(i), f"digit({i})", show=False) for i in range(1, 10)],
    ]

    class Loaded(Message):
        def __init__(self, items: list | None, error: str | None = None) -> None:
            super().__init__()
            self.items = items
            self.error = error

    class Saved(Message):
        def __init__(self, words: str | None, error: str | None = None) -> None:
            super().__init__()
            self.words = words
            self.error = error

    def __init__(self, customer_id: int, name: str) -> None:
        super().__init__()
        localize(self)
        self.customer_id = customer_id
        self.name_ = name
        self.items: list = []
        self.loaded = False
        self.saving = False

    @property
    def ready_for_keys(self) -> bool:
        return self.loaded and not self.saving

    def compose(self) -> ComposeResult:
        with Vertical(id="event-pick-form"):
            yield Static(t("pick_event.title", name=esc(self.name_)), classes="form-title")
            yield DataTable(id="event-pick", cursor_type="row")
            yield Static(t("pick_event.help"), id="event-pick-help")

    def on_mount(self) -> None:
        table = self.query_one("#event-pick", DataTable)
        table.add_columns("#", t("events.col.date"), t("events.col.event"), t("events.col.signed"),
                          t("events.col.waitlist"))
        table.focus()
        self.load()

    @work(thread=True, exclusive=True, group="pick-event")
    def load(self) -> None:
        try:
            items = self.app.counter.event_desk().upcoming()[:9]
        except Exception as exc:
            self.post_message(self.Loaded(None, _refusal(exc)))
            return
        self.post_message(self.Loaded(items))

    def on_event_pick_screen_loaded(self, message: Loaded) -> None:
        self.loaded = True
        if message.error:
            self.notify(esc(message.error), severity="error", timeout=8)
            self.dismiss(None)
        else:
            self.items = message.items
            table = self.query_one("#event-pick", DataTable)
            for i, e in enumerate(self.items, start=1):
                table.add_row(str(i), f"{e.starts_at:%m-%d %H:%M}", esc(e.name), f"{e.signed_up + e.attended}/{e.capacity}",
                              str(e.waitlist))
            if not self.items:
                self.query_one("#event-pick-help", Static).update(t("pick_event.none"))
        self.app.keys_may_flow()

    def action_digit(self, n: int) -> None:
        if 1 <= n <= len(self.items):
            self._sign_up(self.items[n - 1].id)

    def action_pick(self) -> None:
        table = self.query_one("#event-pick", DataTable)
        if self.items and table.cursor_row >= 0:
            self._sign_up(self.items[table.cursor_row].id)

    def _sign_up(self, event_id: int) -> None:
        if self.saving:
            return
        self.saving = True
        self.save(event_id)

    @work(thread=True, exclusive=True, group="pick-event-save")
    def save(self, event_id: int) -> None:
        try:
            r = self.app.counter.event_desk().sign_up(event_id, self.customer_id)
        except Exception as exc:
            self.post_message(self.Saved(None, _refusal(exc)))
            return
        name = next((e.name for e in self.items if e.id == event_id), "")
        if r.status == "waitlist":
            words = t("pick_event.waitlist", event=name, n=r.position or 0)
        else:
            words = t("pick_event.done", event=name) + (t("pick_event.already") if r.replayed else "")
        self.post_message(self.Saved(words))

    def on_event_pick_screen_saved(self, message: Saved) -> None:
        self.saving = False
        if message.error:
            self.notify(esc(message.error), severity="warning", timeout=8)
            self.app.keys_may_flow()
            return
        self.dismiss(message.words)
        self.app.keys_may_flow()

    def action_cancel(self) -> None:
        self.dismiss(None)


class InterestsScreen(ModalScreen[bool]):
    """From the profile (``i``): the store's interests, numbered; a digit ticks or
    unticks one, Enter saves, Escape leaves them as they were."""

    BINDINGS = [
        Binding("escape", "cancel", "key.cancel"),
        Binding("enter", "save", "key.save", priority=True),
        *[Binding(str(i), f"toggle({i})", show=False) for i in range(1, 10)],
    ]

    class Loaded(Message):
        def __init__(self, items: list | None, error: str | None = None) -> None:
            super().__init__()
            self.items = items
            self.error = error

    class Saved(Message):
        def __init__(self, error: str | None = None) -> None:
            super().__init__()
            self.error = error

    def __init__(self, customer_id: int, name: str, chosen: list[str]) -> None:
        super().__init__()
        localize(self)
        self.customer_id = customer_id
        self.name_ = name
        self.chosen = set(chosen)
        self.items: list = []
        self.loaded = False
        self.saving = False

    @property
    def ready_for_keys(self) -> bool:
        return self.loaded and not self.saving

    def compose(self) -> ComposeResult:
        with Vertical(id="interests-form"):
            yield Static(t("interests.title", name=esc(self.name_)), classes="form-title")
            yield Static(t("loading"), id="interests-list")
            yield Static(t("interests.help"), id="interests-help")

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="interests")
    def load(self) -> None:
        try:
            items = self.app.counter.event_desk().interests()[:9]
        except Exception as exc:
            self.post_message(self.Loaded(None, _refusal(exc)))
            return
        self.post_message(self.Loaded(items))

    def on_interests_screen_loaded(self, message: Loaded) -> None:
        self.loaded = True
        if message.error:
            self.notify(esc(message.error), severity="error", timeout=8)
            self.dismiss(False)
        else:
            self.items = message.items
            self.paint()
        self.app.keys_may_flow()

    def paint(self) -> None:
        lines = []
        for i, c in enumerate(self.items, start=1):
            mark = "[b]☑[/b]" if c.code in self.chosen else "☐"
            lines.append(f"{mark} {i} {esc(c.en if language() == 'en' else c.zh)}")
        self.query_one("#interests-list", Static).update("\n".join(lines))

    def action_toggle(self, n: int) -> None:
        if 1 <= n <= len(self.items):
            code = self.items[n - 1].code
            self.chosen ^= {code}
            self.paint()

    def action_save(self) -> None:
        if self.saving or not self.loaded:
            return
        self.saving = True
        self.save([c.code for c in self.items if c.code in self.chosen])

    @work(thread=True, exclusive=True, group="interests-save")
    def save(self, codes: list[str]) -> None:
        try:
            self.app.counter.event_desk().set_interests(self.customer_id, codes)
        except Exception as exc:
            self.post_message(self.Saved(_refusal(exc)))
            return
        self.post_message(self.Saved())

    def on_interests_screen_saved(self, message: Saved) -> None:
        self.saving = False
        if message.error:
            self.notify(esc(message.error), severity="warning", timeout=8)
            self.app.keys_may_flow()
            return
        self.dismiss(True)
        self.app.keys_may_flow()

    def action_cancel(self) -> None:
        self.dismiss(False)


class NewEventScreen(ModalScreen[str | None]):
    """Plan an event from the Events screen (``n``): name, kind (← →), date and time,
    place, capacity, budget (yuan), points for attending, and the target. Tab or ↑/↓
    move between fields; Enter saves; a refusal (a past date, an unknown tier or
    interest...) is one line in the form and nothing is written; Escape cancels."""

    BINDINGS = [
        Binding("enter", "save", "key.save", priority=True),
        Binding("escape", "cancel", "key.cancel"),
        Binding("down", "app.focus_next", show=False),
        Binding("up", "app.focus_previous", show=False),
    ]
    FIELDS = ("name", "when", "place", "capacity", "budget", "points", "tiers", "classes", "interests", "models",
              "regions", "car_age")

    class Saved(Message):
        def __init__(self, words: str | None, error: str | None = None) -> None:
            super().__init__()
            self.words = words
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        localize(self)
        self.saving = False

    @property
    def ready_for_keys(self) -> bool:
        return not self.saving

    def compose(self) -> ComposeResult:
        from store.events import KINDS

        with Vertical(id="event-form"):
            yield Static(t("new_event.title"), classes="form-title")
            with Horizontal(classes="field-row"):
                yield Static(t("new_event.name"), classes="field-label")
                yield TextInput(id="ev-name", compact=True, max_length=100)
            with Horizontal(classes="field-row"):
                yield Static(t("new_event.kind"), classes="field-label")
                yield ChoiceRow([(k, zh if language() != "en" else en) for k, (zh, en) in KINDS.items()],
                                selected="class", id="ev-kind")
            for key in self.FIELDS[1:]:
                with Horizontal(classes="field-row"):
                    yield Static(t(f"new_event.{key}"), classes="field-label")
                    yield TextInput(placeholder=t(f"new_event.{key}_hint"), id=f"ev-{key.replace('_', '-')}",
                                    compact=True, max_length=200)
            yield Static("", id="event-form-error", classes="form-error")
            yield Static(t("new_event.help"), id="event-form-help")

    def on_mount(self) -> None:
        self.query_one("#ev-name", Input).focus()

    def value(self, key: str) -> str:
        return self.query_one(f"#ev-{key.replace('_', '-')}", Input).value.strip()

    def action_save(self) -> None:
        if self.saving:
            return
        error = self.query_one("#event-form-error", Static)
        try:
            fields = self.collect()
        except ValueError as exc:
            error.update(Text(str(exc)))
            return
        self.saving = True
        self.save(fields)

    def collect(self) -> dict:
        from store.members import MembershipError, parse_yuan

        def whole(key: str, default: int | None) -> int | None:
            text = self.value(key)
            if not text:
                return default
            if not text.isdigit():
                raise ValueError(t("new_event.not_number", field=t(f"new_event.{key}")))
            return int(text)

        try:
            budget = parse_yuan(self.value("budget")) if self.value("budget") else 0
        except MembershipError as exc:
            raise ValueError(f"{t('new_event.budget')}: {exc}") from None
        target: dict = {k: self.value(k) for k in ("tiers", "classes", "interests", "models", "regions") if self.value(k)}
        ages = self.value("car_age")
        if ages:
            low, _, high = ages.partition("-")
            if not (low.strip().isdigit() or not low.strip()) or not (high.strip().isdigit() or not high.strip()):
                raise ValueError(t("new_event.not_number", field=t("new_event.car_age")))
            if low.strip():
                target["car_age_min"] = int(low)
            if high.strip():
                target["car_age_max"] = int(high)
        return {"name": self.value("name"), "kind": self.query_one("#ev-kind", ChoiceRow).selected or "other",
                "when": self.value("when"), "place": self.value("place") or None,
                "capacity": whole("capacity", 0), "budget_fen": budget, "points": whole("points", 0),
                "target": target}

    @work(thread=True, exclusive=True, group="new-event")
    def save(self, fields: dict) -> None:
        try:
            line = self.app.counter.event_desk().add_event(**fields)
        except Exception as exc:
            self.post_message(self.Saved(None, _refusal(exc)))
            return
        self.post_message(self.Saved(t("new_event.saved", name=line.name, at=f"{line.starts_at:%Y-%m-%d %H:%M}")))

    def on_new_event_screen_saved(self, message: Saved) -> None:
        self.saving = False
        if message.error:
            self.query_one("#event-form-error", Static).update(Text(message.error))
            self.app.keys_may_flow()
            return
        self.dismiss(message.words)
        self.app.keys_may_flow()

    def action_cancel(self) -> None:
        self.dismiss(None)
