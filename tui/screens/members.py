"""Membership sign-up 入会, pushed by the pitch screen when the outcome is "joined".

Scheme and tier are chosen with ←/→ (the tier the customer's spend earns comes
pre-chosen), the fee and the first top-up typed in yuan; ctrl+s (or Enter in a
field) saves. Dismisses with the new membership id, or None on Escape. The form
holds one idempotency key, so saving twice signs up once.
"""

from __future__ import annotations

import uuid

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, RadioButton, RadioSet, Static

from store.members import JoinOptions, MemberCard, MembershipError, parse_yuan
from tui.i18n import MEMBER_SCHEMES, label, t, yuan
from tui.screens.points import Failed, desk_for, localize_bindings


def _yuan_text(fen: int) -> str:
    return yuan(fen).lstrip("¥").replace(",", "")


class JoinScreen(ModalScreen[int | None]):
    CSS_PATH = "members.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "club.save", priority=True),
        Binding("escape", "cancel", "club.cancel", priority=True),
    ]

    class Loaded(Message):
        def __init__(self, options: JoinOptions) -> None:
            super().__init__()
            self.options = options

    class Joined(Message):
        def __init__(self, card: MemberCard) -> None:
            super().__init__()
            self.card = card

    def __init__(self, customer_id: int, pitch_id: int | None = None) -> None:
        super().__init__()
        localize_bindings(self)
        self.customer_id = customer_id
        self.pitch_id = pitch_id
        self.options: JoinOptions | None = None
        self.key = f"tui-join-{uuid.uuid4().hex}"
        self.saving = False
        self.finished = False

    def compose(self) -> ComposeResult:
        with Vertical(id="join-form"):
            yield Static(t("join.title", name="…"), id="join-title")
            with Horizontal(classes="join-row"):
                yield Static(t("join.scheme"), classes="join-label")
                yield RadioSet(*[RadioButton(label(MEMBER_SCHEMES, s), value=(s == "annual"), name=s)
                                 for s in ("annual", "stored", "both")], id="join-scheme")
            with Horizontal(classes="join-row"):
                yield Static(t("join.tier"), classes="join-label")
                yield Vertical(id="join-tier-slot")
            with Horizontal(classes="join-row"):
                yield Static(t("join.fee"), classes="join-label")
                yield Input("", id="join-fee", restrict=r"[0-9.,]*", max_length=12, compact=True)
            with Horizontal(classes="join-row"):
                yield Static(t("join.topup"), classes="join-label")
                yield Input("0", id="join-topup", restrict=r"[0-9.,]*", max_length=12, compact=True, disabled=True)
            yield Static("", id="join-error")
            yield Static(t("join.keys"), id="join-keys")

    def on_mount(self) -> None:
        self.query_one("#join-scheme", RadioSet).focus()
        self.load()

    @work(thread=True, exclusive=True, group="join-load")
    def load(self) -> None:
        try:
            options = desk_for(self.app).join_options(self.customer_id)
        except Exception as exc:
            self.post_message(Failed(str(exc)))
            return
        self.post_message(self.Loaded(options))

    async def on_join_screen_loaded(self, message: Loaded) -> None:
        o = self.options = message.options
        self.query_one("#join-title", Static).update(t("join.title", name=o.customer_name))
        if o.current is not None and o.current.state in ("active", "grace"):
            self.query_one("#join-error", Static).update(t("join.already", number=o.current.number or ""))
        self.query_one("#join-fee", Input).value = _yuan_text(o.annual_fee_fen)
        if o.tiers:
            buttons = [RadioButton(f"{x.name} {x.discount_pct / 10:g}折", value=(x.code == o.suggested_tier), name=x.code)
                       for x in o.tiers]
            await self.query_one("#join-tier-slot", Vertical).mount(RadioSet(*buttons, id="join-tier"))

    def _chosen(self, radio_id: str) -> str | None:
        radios = self.query(f"#{radio_id}")
        if not radios:
            return None
        pressed = radios.first(RadioSet).pressed_button
        return pressed.name if pressed is not None else None

    @on(RadioSet.Changed, "#join-scheme")
    def scheme_changed(self, event: RadioSet.Changed) -> None:
        scheme = event.pressed.name
        fee, topup = self.query_one("#join-fee", Input), self.query_one("#join-topup", Input)
        topup.disabled = scheme == "annual"
        if scheme == "annual":
            topup.value = "0"
        fee.disabled = scheme == "stored"
        if scheme == "stored":
            fee.value = "0"
        elif self.options is not None and fee.value in ("", "0"):
            fee.value = _yuan_text(self.options.annual_fee_fen)

    @on(Input.Submitted)
    def submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        if self.options is None or self.finished:
            return
        scheme = self._chosen("join-scheme") or "annual"
        try:
            fee = parse_yuan(self.query_one("#join-fee", Input).value or "0")
            topup = parse_yuan(self.query_one("#join-topup", Input).value or "0")
        except MembershipError as exc:
            self.query_one("#join-error", Static).update(str(exc))
            return
        self.query_one("#join-error", Static).update(t("join.saving"))
        self.save(scheme, self._chosen("join-tier"), fee, topup)

    @work(thread=True, group="join-save")
    def save(self, scheme: str, tier: str | None, fee: int, topup: int) -> None:
        try:
            card = desk_for(self.app).join(self.customer_id, scheme=scheme, tier_code=tier, fee_fen=fee,
                                           topup_fen=topup, key=self.key, pitch_id=self.pitch_id)
        except Exception as exc:  # a refusal is a message in the form
            self.post_message(Failed(str(exc)))
            return
        self.post_message(self.Joined(card))

    def on_failed(self, message: Failed) -> None:
        self.query_one("#join-error", Static).update(message.error)

    def on_join_screen_joined(self, message: Joined) -> None:
        if self.finished:
            return
        self.finished = True
        card = message.card
        self.notify(t("join.joined", number=card.number or "", tier=card.tier.name if card.tier else ""))
        self.dismiss(card.membership_id)

    def action_cancel(self) -> None:
        if not self.finished:
            self.finished = True
            self.dismiss(None)
