"""Keys typed ahead of the screen: held while the counter is busy, then applied in order.

A barcode scanner or a fast typist sends keys faster than a screen opens, a form
appears or results load. Textual hands each key to the focused widget's queue and
goes on to the next at once, so a burst could reach a screen before the key before
it had its effect (``p2⏎`` on a profile: ``2`` and Enter landing on the profile, not
on the pitch form ``p`` opens). The app here dispatches one key at a time:

1. A key goes out only when the previous one has *settled*: it went to the focused
   widget followed by a marker message that bubbles the same way the key does (up to
   the screen, then the app, where the key's bindings run). The marker's return means
   the key was handled and its binding ran; a second round through the same widget
   lets messages the binding posted there (a choice's Changed) be handled too. A
   priority binding runs at once, in the app; a marker then goes through whatever is
   focused after it, so what it set off (a dismissed form's callback) happens first.
2. A key goes out only when the screen on top is ready for keys (and the app is not
   opening the next one, its ``holding_keys``): mounted, and not busy by its own account (:class:`KeyReady`'s ``ready_for_keys``: a profile still
   loading, a lookup whose Enter waits for its query's results, a sign-in being
   checked). A screen that becomes ready calls :meth:`TypeAhead.keys_may_flow`.

Keys that arrive meanwhile wait in order. Nothing is dropped: a marker whose widget
was removed is given up at once (and any marker after ``SETTLE_TIMEOUT``), and a screen
busy for longer than ``BUSY_TIMEOUT`` lets the keys through, so a broken screen
never swallows the keyboard.
"""

from __future__ import annotations

from collections import deque
from time import monotonic

from textual import events
from textual.message import Message
from textual.widget import Widget

SETTLE_TIMEOUT = 5.0  # seconds a marker may take to come back (a loaded machine) before it is given up
BUSY_TIMEOUT = 10.0  # seconds a screen may hold keys before they go through anyway
POLL = 0.05  # how often a held queue looks again (a screen that forgot to say it is ready)


class KeySettled(Message):
    """Follows a key up the DOM; back at the app, that key has been handled."""

    def __init__(self, token: int, rounds_left: int, target: Widget) -> None:
        super().__init__()
        self.token = token
        self.rounds_left = rounds_left
        self.target = target


class FlushKeys(Message, bubble=False):
    """Sent to the app: a screen is ready, apply the keys held for it."""


class KeyReady:
    """A screen that can be busy says so: ``ready_for_keys`` False holds typed keys."""

    @property
    def ready_for_keys(self) -> bool:
        return True


class TypeAhead:
    """App mixin: one key at a time, none while the screen on top is busy."""

    def _init_type_ahead(self) -> None:
        self._held_keys: deque[events.Key] = deque()
        self._key_in_flight: int | None = None
        self._key_target: Widget | None = None
        self._key_sent_at = 0.0
        self._key_token = 0
        self._busy_since: float | None = None
        self._poll_timer = None

    # --- what screens call ----------------------------------------------------

    def keys_may_flow(self) -> None:
        """A screen became ready: apply the held keys (safe from any thread)."""
        self.post_message(FlushKeys())

    @property
    def keys_held(self) -> int:
        return len(self._held_keys)

    # --- the gate -------------------------------------------------------------

    def _screen_ready(self) -> bool:
        if getattr(self, "holding_keys", False):  # the app itself is opening a screen
            return False
        screen = self.screen
        if not screen.is_mounted:
            return False
        return bool(getattr(screen, "ready_for_keys", True))

    def _gate_closed(self) -> bool:
        now = monotonic()
        if self._key_in_flight is not None:
            target = self._key_target
            gone = target is None or not target.is_attached or target._closing or target._closed
            if not gone and now - self._key_sent_at < SETTLE_TIMEOUT:
                return True
            self._key_in_flight = None  # its marker was lost with its widget
        if self._screen_ready():
            self._busy_since = None
            return False
        if self._busy_since is None:
            self._busy_since = now
        return now - self._busy_since < BUSY_TIMEOUT

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            self._held_keys.append(event)
            await self._flush_keys()
            return
        await super().on_event(event)

    async def _flush_keys(self) -> None:
        while self._held_keys and not self._gate_closed():
            await self._dispatch_key(self._held_keys.popleft())
        if self._held_keys:
            self._start_polling()

    def _start_polling(self) -> None:
        if self._poll_timer is None:
            self._poll_timer = self.set_interval(POLL, self._poll)

    async def _poll(self) -> None:
        await self._flush_keys()
        if not self._held_keys and self._poll_timer is not None:
            self._poll_timer.stop()
            self._poll_timer = None

    async def _dispatch_key(self, event: events.Key) -> None:
        """What Textual's App.on_event does with a key, then wait for it to settle."""
        if not self.app_focus:
            self.app_focus = True
        screen = self.screen
        if screen.maximized is not None and event.key == "escape" and self.escape_to_minimize:
            screen.minimize()
            return
        if self.focused:
            screen._clear_tooltip()
        if await self._check_bindings(event.key, priority=True):
            # The binding ran here, but what it set off may not have (a dismissed form's
            # callback runs on the screen below): let that screen's queue catch up.
            self._send_marker(self.focused or self.screen, rounds_left=1)
            return
        target = self.focused or self.screen
        target._forward_event(event)
        self._send_marker(target, rounds_left=1)

    def _send_marker(self, target: Widget, *, rounds_left: int) -> None:
        self._key_token += 1
        if target.post_message(KeySettled(self._key_token, rounds_left, target)):
            self._key_in_flight = self._key_token
            self._key_target = target
            self._key_sent_at = monotonic()
        else:
            self._key_in_flight = None

    async def on_key_settled(self, message: KeySettled) -> None:
        message.stop()
        if message.token != self._key_in_flight:
            return
        if message.rounds_left and message.target.is_attached:
            self._send_marker(message.target, rounds_left=message.rounds_left - 1)
            return
        self._key_in_flight = None
        await self._flush_keys()

    async def on_flush_keys(self, message: FlushKeys) -> None:
        await self._flush_keys()
