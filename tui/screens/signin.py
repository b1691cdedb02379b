"""Sign-in 登录 by staff code and PIN, and the first manager of a new database."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Static

from tui.i18n import t
from tui.keys import Header, localize


class SignInScreen(Screen):
    """Staff code, Enter, PIN, Enter; then the lookup takes its place.

    The app hands keys over one at a time (tui/typeahead.py), so when Enter arrives
    the code and PIN boxes hold everything typed before it; while a PIN is being
    checked the screen is busy and keys typed meanwhile wait for its answer."""

    BINDINGS = [
        Binding("ctrl+q", "app.quit", "key.quit", priority=True),
        Binding("enter", "next_field", show=False, priority=True),
    ]

    checking = False  # a PIN is being checked: keys wait

    @property
    def ready_for_keys(self) -> bool:
        return not self.checking

    def action_next_field(self) -> None:
        if self.checking:
            return
        if self.focused is self.query_one("#code", Input):
            self.code_entered()
        else:
            self.pin_entered()

    def __init__(self, notice: str = "") -> None:
        """``notice``: one line above the form (why the last person was signed out)."""
        super().__init__()
        localize(self)  # the footer in the user's language
        self.notice = notice

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="signin", classes="form"):
            yield Static(t("signin.title"), classes="form-title")
            if self.notice:
                yield Static(self.notice, id="signin-notice", markup=False)
            yield Label(t("signin.code"))
            yield Input(id="code", placeholder="SA01", max_length=16)
            yield Label(t("signin.pin"))
            yield Input(id="pin", password=True, max_length=8)
            yield Static("", id="signin-error", classes="form-error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#code", Input).focus()

    def code_entered(self) -> None:
        # At once, not after the next refresh: a PIN typed ahead must land in its box.
        self.set_focus(self.query_one("#pin", Input))

    def pin_entered(self) -> None:
        code = self.query_one("#code", Input).value.strip()
        pin = self.query_one("#pin", Input).value
        if not code:
            self.set_focus(self.query_one("#code", Input))
            return
        if not pin:  # an empty PIN is no try: never count it against the code
            self.set_focus(self.query_one("#pin", Input))
            return
        self.checking = True
        self.attempt(code, pin)

    @work(thread=True, exclusive=True)
    def attempt(self, code: str, pin: str) -> None:
        from store.staff import SignInRefused

        try:
            actor = self.app.counter.sign_in(code, pin)
        except SignInRefused as exc:
            self.app.call_from_thread(self.refused, str(exc))
        except Exception as exc:  # a database error is a message, not a crash
            self.app.call_from_thread(self.refused, t("error.db", e=str(exc)))
        else:
            self.app.call_from_thread(self.app.signed_in, actor)

    def refused(self, message: str) -> None:
        self.checking = False
        self.app.keys_may_flow()
        self.query_one("#signin-error", Static).update(message)
        pin = self.query_one("#pin", Input)
        pin.value = ""
        self.set_focus(pin)


class FirstManagerScreen(Screen):
    """A new database has no staff: create the store's first manager."""

    BINDINGS = [
        Binding("ctrl+q", "app.quit", "key.quit", priority=True),
        Binding("enter", "next_field", show=False, priority=True),  # see SignInScreen
    ]

    creating = False  # the store and manager are being written: keys wait

    @property
    def ready_for_keys(self) -> bool:
        return not self.creating

    def action_next_field(self) -> None:
        if isinstance(self.focused, Input) and not self.creating:
            self.next_field(self.focused)

    FIELDS = ("store_name", "code", "name", "pin", "pin2")

    def __init__(self) -> None:
        super().__init__()
        localize(self)

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="first-manager", classes="form"):
            yield Static(t("first.title"), classes="form-title")
            for field in self.FIELDS:
                yield Label(t(f"first.{field}"))
                yield Input(id=field, password=field.startswith("pin"), max_length=50 if field == "store_name" else 16)
            yield Static("", id="first-error", classes="form-error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#store_name", Input).focus()

    def next_field(self, field: Input) -> None:
        index = self.FIELDS.index(field.id)
        if index + 1 < len(self.FIELDS):
            self.set_focus(self.query_one(f"#{self.FIELDS[index + 1]}", Input))
            return
        values = {f: self.query_one(f"#{f}", Input).value.strip() for f in self.FIELDS}
        if values["pin"] != values["pin2"]:
            self.query_one("#first-error", Static).update(t("first.pins_differ"))
            self.query_one("#pin", Input).focus()
            return
        self.creating = True
        self.create(values)

    def not_created(self, words: str) -> None:
        self.creating = False
        self.query_one("#first-error", Static).update(words)
        self.app.keys_may_flow()

    @work(thread=True, exclusive=True)
    def create(self, values: dict[str, str]) -> None:
        try:
            actor = self.app.counter.create_first_manager(
                store_name=values["store_name"], code=values["code"], name=values["name"], pin=values["pin"]
            )
        except ValueError as exc:
            self.app.call_from_thread(self.not_created, str(exc))
        except Exception as exc:
            self.app.call_from_thread(self.not_created, t("error.db", e=str(exc)))
        else:
            self.app.call_from_thread(self.app.signed_in, actor)
