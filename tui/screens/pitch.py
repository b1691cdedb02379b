"""The pitch 会员推荐: one form over the profile. The common case is three keys:
``p`` (from the profile), ``2`` (considering), Enter. Digits 1-4 pick the outcome,
Tab or ↑/↓ move between fields, ←/→ choose in a row, Enter saves, Escape cancels.

It warns when the customer was pitched recently or declined within the quiet
period; "joined" goes on to membership sign-up where that screen exists, and
otherwise the pitch row records the intent."""

from __future__ import annotations

import re
from datetime import date, timedelta
from importlib import import_module

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from store import clock
from store.validation import FieldError
from store.pitches import CHANNELS as CHANNEL_CODES
from store.pitches import OUTCOMES as OUTCOME_CODES
from store.pitches import REASONS, PitchError, PitchLine, default_follow_up
from store.profile import Profile
from tui.safe import esc
from tui.i18n import CHANNELS, OUTCOMES, label, language, reason_words, short_date, t
from tui.keys import ChoiceRow, TextInput, localize

WEEKDAYS = {"zh": "一二三四五六日", "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]}


def parse_follow_up(text: str, today: date) -> date | None:
    """A follow-up date as typed at the counter: ``2026-12-01``, ``12-01``, ``1201``,
    ``+7`` (days from today) or nothing (no follow-up). Raises ValueError."""
    text = text.strip().replace("/", "-").replace(".", "-")
    if not text:
        return None
    if m := re.fullmatch(r"\+\s*(\d{1,3})", text):
        return today + timedelta(days=int(m.group(1)))
    if m := re.fullmatch(r"(\d{4})-?(\d{1,2})-?(\d{1,2})", text):
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if m := re.fullmatch(r"(\d{1,2})-(\d{1,2})|(\d{2})(\d{2})", text):
        month, day = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        candidate = date(today.year, int(month), int(day))
        return candidate if candidate >= today else date(today.year + 1, int(month), int(day))
    raise ValueError(text)


def weekday(day: date) -> str:
    names = WEEKDAYS["en" if language() == "en" else "zh"]
    return names[day.weekday()] if language() == "en" else f"周{names[day.weekday()]}"


class PitchScreen(ModalScreen[PitchLine | None]):
    BINDINGS = [
        Binding("enter", "save", "key.save", priority=True),
        Binding("escape", "cancel", "key.cancel"),
        Binding("1", "outcome('joined')", "key.outcome", key_display="1-4"),
        Binding("2", "outcome('considering')", show=False),
        Binding("3", "outcome('declined')", show=False),
        Binding("4", "outcome('not_now')", show=False),
        Binding("down", "app.focus_next", "key.next_field", show=False),
        Binding("up", "app.focus_previous", show=False),
    ]

    class Saved(Message):
        def __init__(self, line: PitchLine) -> None:
            super().__init__()
            self.line = line

    class Refused(Message):
        def __init__(self, error: str, severity: str) -> None:
            super().__init__()
            self.error = error
            self.severity = severity

    def __init__(self, profile: Profile) -> None:
        super().__init__()
        localize(self)
        self.profile = profile
        self.today = clock.today()
        self.outcome: str | None = None
        self.follow_up_default = ""  # what the outcome filled in; anything else was typed
        self.saving = False

    def compose(self) -> ComposeResult:
        p = self.profile
        with Vertical(id="pitch-form"):
            yield Static(t("pitch.title", name=p.owner.name if p.owner else "", plate=p.vehicle.plate or ""),
                         id="pitch-title")
            yield Static(self._warning_words(), id="pitch-warning")
            with Horizontal(classes="field-row"):
                yield Static(t("pitch.outcome"), classes="field-label")
                yield ChoiceRow([(o, label(OUTCOMES, o)) for o in OUTCOME_CODES], numbered=True, id="outcome")
            with Horizontal(classes="field-row"):
                yield Static(t("pitch.reason"), classes="field-label")
                yield ChoiceRow([], id="reason")
            with Horizontal(classes="field-row"):
                yield Static("", classes="field-label")
                yield TextInput(placeholder=t("pitch.reason_text"), id="reason-text", compact=True, max_length=200)
            with Horizontal(classes="field-row"):
                yield Static(t("pitch.follow_up"), classes="field-label")
                yield TextInput(placeholder=t("pitch.follow_up_hint"), id="follow-up", compact=True, max_length=12)
                yield Static("", id="follow-up-echo")
            with Horizontal(classes="field-row"):
                yield Static(t("pitch.channel"), classes="field-label")
                yield ChoiceRow([(c, label(CHANNELS, c)) for c in CHANNEL_CODES], selected="counter", id="channel")
            with Horizontal(classes="field-row"):
                yield Static(t("pitch.note"), classes="field-label")
                yield TextInput(placeholder=t("pitch.note_hint"), id="note", compact=True, max_length=500)
            yield Static(t("pitch.help"), id="pitch-help")

    def on_mount(self) -> None:
        warning = self.query_one("#pitch-warning", Static)
        warning.display = bool(self.profile.pitch_warning)
        self.query_one("#outcome", ChoiceRow).focus()

    def _warning_words(self) -> str:
        w = self.profile.pitch_warning
        if w is None:
            return ""
        on_day = short_date(w.last.pitched_at.date(), self.today)
        if w.kind == "declined_quiet":
            return t("pitch.quiet", on=on_day, until=short_date(w.quiet_until, self.today))
        rules = self.profile.pitch_rules
        return t("pitch.recent", on=on_day, staff=w.last.staff_name or "", outcome=label(OUTCOMES, w.last.outcome),
                 days=rules.recent_days if rules else "")

    # --- choosing ----------------------------------------------------------------

    @property
    def ready_for_keys(self) -> bool:
        return not self.saving

    def action_outcome(self, outcome: str) -> None:
        self.query_one("#outcome", ChoiceRow).selected = outcome
        self.choose_outcome(outcome)  # now, not when Changed arrives: an Enter right after saves it

    @on(ChoiceRow.Changed, "#outcome")
    def outcome_changed(self, event: ChoiceRow.Changed) -> None:
        self.choose_outcome(event.value)

    def choose_outcome(self, outcome: str | None) -> None:
        if outcome is None or outcome == self.outcome:
            return
        first_choice = self.outcome is None
        self.outcome = outcome
        reason = self.query_one("#reason", ChoiceRow)
        reason.set_options([(r, reason_words(r)) for r in REASONS.get(outcome, ())])
        follow_up = self.query_one("#follow-up", Input)
        joined = outcome == "joined"
        follow_up.disabled = joined
        if follow_up.value.strip() == self.follow_up_default:
            rules = self.profile.pitch_rules
            day = default_follow_up(outcome, as_of=self.today, rules=rules) if rules else None
            self.follow_up_default = day.isoformat() if day else ""
            follow_up.value = self.follow_up_default
        self._echo_follow_up()
        if first_choice and self.focused is self.query_one("#outcome"):
            reason.focus()  # the next thing worth saying, for those with time

    @on(Input.Changed, "#follow-up")
    def follow_up_changed(self, event: Input.Changed) -> None:
        self._echo_follow_up()

    def _echo_follow_up(self) -> None:
        echo = self.query_one("#follow-up-echo", Static)
        if self.outcome == "joined":
            echo.update(t("pitch.no_follow_up"))
            return
        try:
            day = parse_follow_up(self.query_one("#follow-up", Input).value, self.today)
        except ValueError:
            echo.update("?")
            return
        echo.update(f"{day.isoformat()} {weekday(day)}" if day else "")

    # --- saving ------------------------------------------------------------------

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        if self.saving:
            return
        if self.outcome is None:
            self.notify(t("pitch.choose_outcome"), severity="warning")
            self.query_one("#outcome").focus()
            return
        text = self.query_one("#follow-up", Input).value
        try:
            follow_up_on = None if self.outcome == "joined" else parse_follow_up(text, self.today)
        except ValueError:
            self.notify(t("pitch.bad_date", text=text), severity="warning")
            self.query_one("#follow-up").focus()
            return
        if follow_up_on is not None and follow_up_on < self.today:
            self.notify(t("pitch.past_date"), severity="warning")
            self.query_one("#follow-up").focus()
            return
        reason = "；".join(filter(None, [self.query_one("#reason", ChoiceRow).selected,
                                         self.query_one("#reason-text", Input).value.strip()]))
        self.saving = True
        self.save(dict(
            customer_id=self.profile.owner.customer_id, vehicle_id=self.profile.vehicle.vehicle_id,
            outcome=self.outcome, reason=reason or None, note=self.query_one("#note", Input).value,
            channel=self.query_one("#channel", ChoiceRow).selected or "counter", follow_up_on=follow_up_on,
        ))

    @work(thread=True, exclusive=True, group="pitch")
    def save(self, details: dict) -> None:
        try:
            line = self.app.counter.record_pitch(**details)
        except (PitchError, FieldError) as exc:  # a refusal names its rule or field
            self.post_message(self.Refused(str(exc), "warning"))
            return
        except Exception as exc:  # a database error is a message, not a crash
            self.post_message(self.Refused(t("error.db", e=str(exc)), "error"))
            return
        self.post_message(self.Saved(line))

    def on_pitch_screen_refused(self, message: Refused) -> None:
        self.saving = False
        self.app.keys_may_flow()
        self.notify(esc(message.error), severity=message.severity, timeout=8)

    def on_pitch_screen_saved(self, message: Saved) -> None:
        line = message.line
        outcome = label(OUTCOMES, line.outcome)
        if line.outcome == "joined":
            try:
                join_screen = getattr(import_module("tui.screens.members"), "JoinScreen")
            except (ImportError, AttributeError):
                join_screen = None
            if join_screen is not None:
                self.notify(t("pitch.saved", outcome=outcome))
                self.app.switch_screen(join_screen(line.customer_id, pitch_id=line.id))
                return
            self.notify(t("pitch.join_intent"), timeout=8)
        elif line.follow_up_on:
            self.notify(t("pitch.saved_follow", outcome=outcome, date=short_date(line.follow_up_on, self.today)))
        else:
            self.notify(t("pitch.saved", outcome=outcome))
        self.dismiss(line)
