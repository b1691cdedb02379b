"""Who this is: owner, vehicle and last visits. Escape goes back to lookup."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from store.counter import VehicleProfile
from tui.i18n import REPAIR_TYPES, TIERS, label, t, yuan


class ProfileScreen(Screen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    class Loaded(Message):
        def __init__(self, profile: VehicleProfile | None) -> None:
            super().__init__()
            self.profile = profile

    def __init__(self, vehicle_id: int) -> None:
        super().__init__()
        self.vehicle_id = vehicle_id

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="cards"):
            yield Static(id="owner", classes="card")
            yield Static(id="vehicle", classes="card")
        with Vertical(id="history"):
            yield Static(t("profile.visits"), classes="section-title")
            yield DataTable(id="visits", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#visits", DataTable)
        for key in ("date", "ro", "type", "mileage", "amount", "sa"):
            table.add_column(t(f"col.{key}"), key=key)
        self.load()

    @work(thread=True, exclusive=True)
    def load(self) -> None:
        try:
            profile = self.app.counter.vehicle_profile(self.vehicle_id)
        except Exception as exc:
            self.app.call_from_thread(self.notify, t("error.db", e=str(exc)), severity="error")
            return
        self.post_message(self.Loaded(profile))

    def on_profile_screen_loaded(self, message: Loaded) -> None:
        p = message.profile
        if p is None:
            return
        m = p.match
        member = f"{label(TIERS, m.tier)}  {t('profile.points')} {m.points}" if m.tier else t("profile.not_member")
        self.query_one("#owner", Static).update(
            f"[b]{m.owner or ''}[/b]  {p.gender or ''}\n{m.phone or ''}\n{t('profile.member')}: {member}"
        )
        self.query_one("#vehicle", Static).update(
            f"[b]{m.plate or ''}[/b]  {m.model or ''} {p.colour or ''}\nVIN {m.vin or '-'}\n"
            f"{t('profile.purchase')} {p.purchase_date or '-'}  {t('profile.warranty')} {p.warranty_end or '-'}\n"
            f"{t('profile.mileage')} {p.mileage or '-'} km  {t('profile.region')} {p.region or '-'}"
        )
        table = self.query_one("#visits", DataTable)
        table.clear()
        for v in p.visits:
            table.add_row(
                v.date_in.isoformat(), v.ro_number, v.repair_type_raw or label(REPAIR_TYPES, v.repair_type),
                f"{v.mileage:,}" if v.mileage else "", yuan(v.total_fen), v.sa_name or "",
            )
        if not p.visits:
            self.query_one(".section-title", Static).update(t("profile.no_visits"))
