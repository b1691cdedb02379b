"""The Textual app: one screen per job, keyboard first.

App-wide keys: every entry of the screen catalog (tui/registry.py) with a key
opens its screen; ``?`` shows every key; ctrl+p opens the command palette; ctrl+q
quits. Screens call only :class:`store.counter.Counter` (from workers).

Sign-out on idle 自动登出: a counter left alone (no key, mouse or paste input) for
the store's ``idle_sign_out_minutes`` signs out: every screen above the base closes
(a form not yet saved is discarded; what was saved stays), the sign-in screen opens
with a one-line notice, the audit records the sign-out, and the next person signs
in as themselves. 0 turns it off. A timer looks every :attr:`DealerDeskApp.idle_check_seconds`;
the time comes from :attr:`DealerDeskApp.idle_clock` (a monotonic clock tests replace)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import events, work
from textual.actions import SkipAction
from textual.app import App
from textual.binding import Binding
from textual.command import CommandPalette
from textual.widgets import Input

from store.counter import Counter
from tui.commands import ActionCommands, ScreenCommands, VehicleCommands
from tui.i18n import language, set_language, t
from tui.keys import localize
from tui.registry import SCREENS
from tui.typeahead import TypeAhead

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from store.startup import StartFacts


class DealerDeskApp(TypeAhead, App):
    CSS_PATH = "app.tcss"
    TITLE = "dealerdesk"
    COMMANDS = {VehicleCommands, ScreenCommands, ActionCommands}
    BINDINGS = [
        Binding("ctrl+q", "quit", "key.quit", show=True, priority=True),
        Binding("question_mark", "help", "key.help", key_display="?", priority=True),
        Binding("ctrl+p", "command_palette", "key.commands", show=False, priority=True),  # the footer shows it at its right
    ]

    # Input that counts as someone at the counter: it restarts the idle time.
    INPUT_EVENTS = (events.Key, events.MouseDown, events.MouseUp, events.MouseMove, events.MouseScrollDown,
                    events.MouseScrollUp, events.Click, events.Paste)
    idle_check_seconds: float = 15.0
    idle_clock: Callable[[], float] = staticmethod(time.monotonic)

    def __init__(self, engine: Engine | Callable[[], Engine], *, language: str | None = None,
                 staff_code: str | None = None, store_code: str | None = None, blink: bool = True,
                 sign_in: bool = False, facts: StartFacts | None = None) -> None:
        """``facts`` (with ``sign_in`` and an engine still to open): what the first
        paint needs, read without SQLAlchemy (store/startup.py); the engine opens
        right after the sign-in screen is painted."""
        super().__init__()
        self._init_type_ahead()  # keys typed ahead of a busy screen wait for it, in order
        self.blink = blink  # False in snapshot tests: a blinking cursor is never the same twice
        self.counter = Counter(engine)
        self.facts = facts if sign_in else None
        set_language(language or (self.facts.language if self.facts else self.counter.language()))
        localize(self)
        for entry in SCREENS:
            if entry.key:
                self._bindings.bind(entry.key, f"open_screen('{entry.name}')", self.screen_words(entry), show=False)
        # sign_in: the app opens on sign-in by staff code and PIN (a new database first
        # asks for its manager). Without it, staff_code (or the first SA) acts: tests, demos.
        self.sign_in = sign_in
        if self.facts:  # nobody acts until someone signs in; the store as read for the paint
            self.counter.store_id = self.facts.store_id
            actor = self.counter.actor
        else:
            actor = self.counter.act_as(None if sign_in else staff_code, store_code=store_code)
        if sign_in:  # nobody acts until someone signs in
            from store.access import NOBODY

            actor = self.counter.actor = NOBODY
        self.title = t("app.title")
        self.show_actor(actor, store=self.facts.store_name if self.facts else None)
        self.idle_minutes: int | None = None  # the store's rule, read once someone acts (None: not yet)
        self.last_input = self.idle_clock()

    def show_actor(self, actor, *, store: str | None = None) -> None:
        store = self.counter.store_name() if store is None else store
        self.sub_title = t("app.acting", store=store, staff=actor.name) if actor.staff_id else store

    @staticmethod
    def screen_words(entry) -> str:
        return entry.en if language() == "en" else entry.zh

    def on_mount(self) -> None:
        self.idle_timer = self.set_interval(self.idle_check_seconds, self.sign_out_if_idle)
        if not self.sign_in:
            from tui.screens.lookup import LookupScreen

            self.push_screen(LookupScreen())
            if self.counter.actor.staff_id:
                self.read_idle_rule()
            return
        from tui.screens.signin import FirstManagerScreen, SignInScreen

        first = self.facts.needs_first_manager if self.facts else self.counter.needs_first_manager()
        self.push_screen(FirstManagerScreen() if first else SignInScreen())
        if self.facts:
            self.call_after_refresh(self.open_store)

    @work(thread=True, exclusive=True, group="open-store")
    def open_store(self) -> None:
        """After the first paint: the engine, the models and the lookup's screen,
        loaded while the person at the counter types their code."""
        try:
            self.counter.open()
            import tui.screens.lookup  # noqa: F401
        except Exception as exc:  # the sign-in tries again and shows why in its own line
            self.call_from_thread(self.notify, t("error.db", e=str(exc).splitlines()[0]), severity="error")

    async def signed_in(self, actor) -> None:
        """Sign-in done: this person acts from now on, with their rights. The lookup
        takes the sign-in's place at once, so keys typed ahead go to it."""
        self.counter.actor = actor
        if actor.store_id is not None:
            self.counter.store_id = actor.store_id
        from tui.screens.lookup import LookupScreen

        self.touch_idle()
        self.idle_minutes = None
        self.read_idle_rule()
        await self.switch_screen(LookupScreen())
        self.show_actor(actor)  # after the sign-in's header is gone: it would be told too
        if actor.role in ("manager", "member"):
            self.flag_overdue_complaints()

    @work(thread=True, exclusive=True, group="overdue-complaints")
    def flag_overdue_complaints(self) -> None:
        """The manager and the member specialist hear of overdue complaints as they sign in."""
        try:
            late = self.counter.complaints(overdue_only=True)
        except Exception:  # a flag is not worth a failed sign-in
            return
        if late:
            self.call_from_thread(self.notify, t("complaints.overdue_flag", n=len(late)), severity="warning",
                                  timeout=10)

    # --- sign-out on idle ---------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, self.INPUT_EVENTS):
            self.touch_idle()
        await super().on_event(event)

    def touch_idle(self) -> None:
        """Someone is at the counter: the idle time starts again."""
        self.last_input = self.idle_clock()

    @work(thread=True, exclusive=True, group="idle-rule")
    def read_idle_rule(self) -> None:
        try:
            minutes = self.counter.idle_sign_out_minutes()
        except Exception:  # the database is away: the default holds
            from store.settings import DEFAULTS

            minutes = DEFAULTS["idle_sign_out_minutes"]
        self.call_from_thread(setattr, self, "idle_minutes", minutes)

    def sign_out_if_idle(self) -> bool:
        """Sign out when someone acts and nobody has touched the counter for the
        store's ``idle_sign_out_minutes``; True when it did."""
        minutes = self.idle_minutes
        if not minutes or minutes <= 0 or not self.counter.actor.staff_id:
            return False
        if self.idle_clock() - self.last_input < minutes * 60:
            return False
        from store.access import NOBODY

        actor = self.counter.actor
        self.counter.actor = NOBODY  # from this moment nothing more is done in their name
        self.idle_minutes = None
        self.opening_vehicle = None
        self._held_keys.clear()
        self.record_sign_out(actor, minutes)
        self.call_later(self.show_sign_in_after_idle, minutes)
        return True

    async def show_sign_in_after_idle(self, minutes: int) -> None:
        """Back to the sign-in screen: every screen above the base closes unsaved (a
        form's fields go with it) and the profile kept for the next car is dropped."""
        from store.access import NOBODY
        from tui.screens.signin import SignInScreen

        self.show_actor(NOBODY)  # while every header is whole: one being removed must not be told
        while len(self.screen_stack) > 1:
            await self.pop_screen()
        if self.PROFILE_SCREEN in self._installed_screens:
            self.uninstall_screen(self.PROFILE_SCREEN)
        await self.push_screen(SignInScreen(notice=t("signin.idle", n=minutes)))

    @work(thread=True, group="sign-out")
    def record_sign_out(self, actor, minutes: int) -> None:
        try:
            self.counter.sign_out(actor, reason="idle", idle_minutes=minutes)
        except Exception as exc:  # the counter is signed out all the same; say why the trail missed it
            self.call_from_thread(self.notify, t("error.db", e=str(exc).splitlines()[0]), severity="error")

    # --- moving between screens -------------------------------------------------

    def open_vehicle(self, vehicle_id: int) -> None:
        """The car's profile: loaded first, then its screen opens drawn, so it is
        laid out and painted once (loading inside a just-painted screen costs a
        second layout and paint, and the load competes with the first). Keys typed
        meanwhile wait (:attr:`holding_keys`) and go to the profile."""
        self.opening_vehicle = vehicle_id
        self._load_vehicle(vehicle_id)

    @property
    def holding_keys(self) -> bool:
        return self.opening_vehicle is not None

    opening_vehicle: int | None = None

    @work(thread=True, exclusive=True, group="open-vehicle")
    def _load_vehicle(self, vehicle_id: int) -> None:
        from tui.screens.profile import ProfileScreen

        try:
            profile = self.counter.profile(vehicle_id)
        except Exception:  # the screen loads it again and says why, as it always has
            profile = ProfileScreen.NOT_LOADED
        self.call_from_thread(self._show_vehicle, vehicle_id, profile)

    PROFILE_SCREEN = "profile"

    def _show_vehicle(self, vehicle_id: int, profile) -> None:
        from tui.screens.profile import ProfileScreen

        if vehicle_id != self.opening_vehicle:
            return  # another car was asked for meanwhile (the palette): that one opens
        self.opening_vehicle = None
        kept = self._installed_screens.get(self.PROFILE_SCREEN)
        if profile is ProfileScreen.NOT_LOADED:  # it failed: a screen of its own loads it and says why
            screen = ProfileScreen(vehicle_id)
        elif kept is not None and kept.is_mounted and not any(kept is s for s in self.screen_stack):
            kept.show_vehicle(vehicle_id, profile)
            screen = kept
        else:
            screen = ProfileScreen(vehicle_id, profile)
            if kept is None:  # the first profile of the session: kept for the next car
                self.install_screen(screen, self.PROFILE_SCREEN)
        self.push_screen(screen)
        self.keys_may_flow()

    def back_to(self, screen_class) -> object | None:
        """Pop back to the nearest screen of this class in the stack, if any."""
        for index in range(len(self.screen_stack) - 1, 0, -1):
            if isinstance(self.screen_stack[index], screen_class):
                while self.screen is not self.screen_stack[index]:
                    self.pop_screen()
                return self.screen_stack[index]
        return None

    def action_open_screen(self, name: str) -> None:
        self.open_screen(name)

    def open_screen(self, name: str) -> None:
        entry = next((e for e in SCREENS if e.name == name), None)
        if entry is None:
            return
        try:
            screen_class = entry.load()
        except (ImportError, AttributeError) as exc:
            self.notify(str(exc), severity="error")
            return
        if isinstance(self.screen, screen_class):
            return
        if self.back_to(screen_class) is None:
            self.push_screen(screen_class())

    def lookup_query(self, query: str) -> None:
        """Run a lookup from elsewhere (the palette): back to the home screen, query typed in."""
        from tui.screens.lookup import LookupScreen

        screen = self.back_to(LookupScreen)
        if screen is None:
            screen = LookupScreen()
            self.push_screen(screen)
        self.call_after_refresh(lambda: setattr(screen.query_one("#query", Input), "value", query))

    # --- keys ----------------------------------------------------------------------

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        focused = self.focused
        # "?" is text in a free-text field; only the search box never needs it.
        if isinstance(focused, Input) and focused.id != "query":
            raise SkipAction()
        if isinstance(self.screen, (HelpScreen, CommandPalette)):
            raise SkipAction()
        self.push_screen(HelpScreen(self.screen))

    def action_command_palette(self) -> None:
        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(id="--command-palette", placeholder=t("cmd.placeholder")))
