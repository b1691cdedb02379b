"""Log a complaint 投诉 from the profile: ``c``, a digit for the category, what the
customer said, Enter. Severity and channel have their defaults (一般, 前台); Tab or
↑/↓ move between fields, ←/→ choose in a row, Escape cancels. The owner and the
deadlines are the store's rules (store/complaints.py)."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from store.complaints import CATEGORIES, CHANNELS, SEVERITIES, ComplaintLine
from store.profile import Profile
from store.validation import FieldError
from tui.i18n import label, t
from tui.keys import ChoiceRow, TextInput, localize
from tui.safe import esc

CATEGORY_CODES = list(CATEGORIES)


class ComplaintScreen(ModalScreen[ComplaintLine | None]):
    BINDINGS = [
        Binding("enter", "save", "key.save", priority=True),
        Binding("escape", "cancel", "key.cancel"),
        *[Binding(str(i + 1), f"category('{code}')", "key.category" if i == 0 else "", key_display="1-6",
                  show=i == 0) for i, code in enumerate(CATEGORY_CODES)],
        Binding("down", "app.focus_next", "key.next_field", show=False),
        Binding("up", "app.focus_previous", show=False),
    ]

    class Saved(Message):
        def __init__(self, line: ComplaintLine) -> None:
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
        self.saving = False

    @property
    def ready_for_keys(self) -> bool:
        return not self.saving

    def compose(self) -> ComposeResult:
        p = self.profile
        with Vertical(id="complaint-form", classes="form"):
            yield Static(t("complaint.title", name=esc(p.owner.name if p.owner else ""), plate=esc(p.vehicle.plate or "")),
                         id="complaint-title")
            with Horizontal(classes="field-row", id="category-row"):
                yield Static(t("complaint.category"), classes="field-label")
                yield ChoiceRow([(c, label(CATEGORIES, c)) for c in CATEGORY_CODES], numbered=True, id="category",
                                wrap=True)
            with Horizontal(classes="field-row"):
                yield Static(t("complaint.text"), classes="field-label")
                yield TextInput(placeholder=t("complaint.text_hint"), id="text", compact=True, max_length=500)
            with Horizontal(classes="field-row"):
                yield Static(t("complaint.severity"), classes="field-label")
                yield ChoiceRow([(c, label(SEVERITIES, c)) for c in SEVERITIES], selected="normal", id="severity")
            with Horizontal(classes="field-row"):
                yield Static(t("complaint.channel"), classes="field-label")
                yield ChoiceRow([(c, label(CHANNELS, c)) for c in CHANNELS], selected="counter", id="channel")
            yield Static(t("complaint.help"), id="complaint-help")

    def on_mount(self) -> None:
        self.query_one("#category", ChoiceRow).focus()

    def action_category(self, code: str) -> None:
        self.query_one("#category", ChoiceRow).selected = code
        self.query_one("#text", Input).focus()  # at once: the text typed next lands there

    @on(ChoiceRow.Changed, "#category")
    def category_changed(self, event: ChoiceRow.Changed) -> None:
        pass  # ←/→ on the row: the choice is read when saving

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        if self.saving:
            return
        category = self.query_one("#category", ChoiceRow).selected
        if category is None:
            self.notify(t("complaint.choose_category"), severity="warning")
            self.query_one("#category").focus()
            return
        text = self.query_one("#text", Input).value.strip()
        if not text:
            self.notify(t("complaint.need_text"), severity="warning")
            self.query_one("#text").focus()
            return
        self.saving = True
        p = self.profile
        self.save(dict(customer_id=p.owner.customer_id, vehicle_id=p.vehicle.vehicle_id, category=category, text=text,
                       severity=self.query_one("#severity", ChoiceRow).selected or "normal",
                       channel=self.query_one("#channel", ChoiceRow).selected or "counter"))

    @work(thread=True, exclusive=True, group="complaint")
    def save(self, details: dict) -> None:
        try:
            line = self.app.counter.log_complaint(**details)
        except (FieldError, PermissionError) as exc:  # a refusal names its field or rule
            self.post_message(self.Refused(str(exc), "warning"))
            return
        except Exception as exc:  # a database error is a message, not a crash
            self.post_message(self.Refused(t("error.db", e=str(exc)), "error"))
            return
        self.post_message(self.Saved(line))

    def on_complaint_screen_refused(self, message: Refused) -> None:
        self.saving = False
        self.app.keys_may_flow()
        self.notify(esc(message.error), severity=message.severity, timeout=8)

    def on_complaint_screen_saved(self, message: Saved) -> None:
        line = message.line
        by = line.respond_by.strftime("%m-%d %H:%M") if line.respond_by else ""
        self.notify(esc(t("complaint.saved", id=line.id, owner=line.owner or "-", by=by)), timeout=8)
        self.dismiss(line)
