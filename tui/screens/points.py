"""Points 积分 and the member bill 会员服务帐单, opened from the profile (j, b).

Points: the balance and what expires soon; the catalog filters as you type (code,
name or pinyin initials); ↑↓ choose, Tab to the quantity, Enter asks to confirm and
Enter again redeems. The confirmation carries one idempotency key, so Enter pressed
twice (or a retry after a timeout) redeems once. The receipt line shows in the
history as soon as the redemption is stored.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Input, Label, Static

from store import clock
from store.club_desk import ClubDesk, PointsView
from store.config import data_dir
from store.members import MemberBill
from store.points import CatalogLine, RedeemResult
from tui.safe import esc
from tui.i18n import BILL_KINDS, CATALOG_CATEGORIES, MEMBER_SCHEMES, POINTS_KINDS, STRINGS, label, refusal, t, yuan
from tui.keys import Header  # lets go of the app's title with its screen


def localize_bindings(node) -> None:
    """Word this node's bindings (declared with i18n keys) in the current language."""
    bindings = node._bindings
    for key, items in bindings.key_to_bindings.items():
        bindings.key_to_bindings[key] = [
            replace(b, description=t(b.description)) if b.description in STRINGS else b for b in items
        ]


def desk_for(app) -> ClubDesk:
    counter = app.counter
    return ClubDesk(counter.engine, counter.actor)  # whoever signed in, with their rights


class Failed(Message):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class ConfirmRedeem(ModalScreen[RedeemResult | None]):
    """Enter confirms, Escape cancels. One key per dialog: a second Enter while the
    first is on its way asks the store again with the same key and gets the same
    redemption back, never a second one."""

    CSS_PATH = "points.tcss"
    BINDINGS = [
        Binding("enter", "confirm", "club.confirm", priority=True),
        Binding("escape", "cancel", "club.cancel", priority=True),
    ]

    class Done(Message):
        def __init__(self, result: RedeemResult) -> None:
            super().__init__()
            self.result = result

    def __init__(self, customer_id: int, item: CatalogLine, quantity: int, balance: int) -> None:
        super().__init__()
        localize_bindings(self)
        self.customer_id, self.item, self.quantity, self.balance = customer_id, item, quantity, balance
        self.key = f"tui-{uuid.uuid4().hex}"
        self.finished = False
        self.submitting = False  # on its way to the store: keys wait for the answer

    @property
    def ready_for_keys(self) -> bool:
        return not self.submitting

    def compose(self) -> ComposeResult:
        cost = self.item.price_points * self.quantity
        with Vertical(id="confirm-box"):
            yield Static(t("points.confirm_title"), id="confirm-title")
            yield Static(t("points.confirm_body", item=self.item.name, qty=self.quantity, cost=cost,
                           balance=self.balance, after=self.balance - cost), id="confirm-body")
            yield Static("", id="confirm-error")
            yield Static(t("points.confirm_keys"), id="confirm-keys")

    def action_confirm(self) -> None:
        if self.finished:
            return
        self.query_one("#confirm-error", Static).update(t("points.working"))
        self.submitting = True
        self.submit()

    @work(thread=True, group="redeem")
    def submit(self) -> None:
        try:
            result = desk_for(self.app).redeem(self.customer_id, self.item.code, self.quantity, self.key)
        except Exception as exc:  # a refusal or a database error is a message, not a crash
            self.post_message(Failed(refusal(exc, "points.refused")))
            return
        self.post_message(self.Done(result))

    def on_confirm_redeem_done(self, message: Done) -> None:
        if not self.finished:
            self.finished = True
            self.dismiss(message.result)

    def on_failed(self, message: Failed) -> None:
        self.submitting = False
        self.app.keys_may_flow()
        if not self.finished:
            self.query_one("#confirm-error", Static).update(message.error)

    def action_cancel(self) -> None:
        if not self.finished:
            self.finished = True
            self.dismiss(None)


class CatalogTable(DataTable):
    """The catalog: digits typed on a row set how many to redeem (the quantity box)."""

    def on_key(self, event) -> None:
        if event.character and event.character.isdigit():
            event.stop()
            self.screen.type_quantity(event.character)


# The history's columns: all of them where they fit, the essentials on a narrow screen.
HISTORY_COLUMNS = ("when", "kind", "points", "balance", "what", "staff")
HISTORY_NARROW = ("when", "points", "what")
NARROW = 100  # terminal columns below which the history keeps its essentials


class PointsScreen(Screen):
    CSS_PATH = "points.tcss"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "club.back"),
        Binding("down", "cursor(1)", show=False, priority=True),
        Binding("up", "cursor(-1)", show=False, priority=True),
        Binding("enter", "redeem", "club.redeem", priority=True),
        # Filter, quantity, catalog: the three places a redemption is typed, in that order.
        Binding("tab", "next_field(1)", show=False, priority=True),
        Binding("shift+tab", "next_field(-1)", show=False, priority=True),
    ]
    FIELDS = ("#points-filter", "#points-qty", "#points-catalog")

    class Loaded(Message):
        def __init__(self, view: PointsView) -> None:
            super().__init__()
            self.view = view

    class Filtered(Message):
        def __init__(self, query: str, items: list[CatalogLine]) -> None:
            super().__init__()
            self.query = query
            self.items = items

    def __init__(self, customer_id: int) -> None:
        super().__init__()
        localize_bindings(self)
        self.customer_id = customer_id
        self.view: PointsView | None = None
        self.items: list[CatalogLine] = []
        self.load_failed = False
        self.shown_filter = ""  # the filter whose items the catalog shows
        self.redeem_when_shown: str | None = None  # Enter came before its filter's items

    @property
    def ready_for_keys(self) -> bool:
        return (self.view is not None or self.load_failed) and self.redeem_when_shown is None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(t("loading") if "loading" in STRINGS else "…", id="points-summary")
        with Horizontal(id="points-body"):
            with Vertical(id="points-left"):
                yield Input(placeholder=t("points.filter"), id="points-filter")
                yield CatalogTable(id="points-catalog", cursor_type="row", zebra_stripes=True)
                with Horizontal(id="points-qty-row"):
                    yield Label(t("points.qty"), id="points-qty-label")
                    yield Input("1", id="points-qty", type="integer", max_length=2)
            with Vertical(id="points-right"):
                yield Static(t("points.history"), classes="section-title")
                yield DataTable(id="points-history", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.title = t("points.title")
        catalog = self.query_one("#points-catalog", DataTable)
        for key in ("code", "item", "category", "price", "stock"):
            catalog.add_column(t(f"points.col.{key}"), key=key)
        hist = self.query_one("#points-history", DataTable)
        hist.can_focus = False  # read, not worked: Tab skips it
        self.history_keys = HISTORY_NARROW if self.app.size.width < NARROW else HISTORY_COLUMNS
        for key in self.history_keys:
            hist.add_column(t(f"points.col.{key}"), key=key)
        self.query_one("#points-filter", Input).focus()
        self.fresh_quantity = True
        self.load()

    def action_next_field(self, step: int) -> None:
        ids = [w.id for w in (self.focused,) if w is not None]
        here = f"#{ids[0]}" if ids and f"#{ids[0]}" in self.FIELDS else self.FIELDS[0]
        target = self.FIELDS[(self.FIELDS.index(here) + step) % len(self.FIELDS)]
        self.fresh_quantity = True
        self.set_focus(self.query_one(target))

    def type_quantity(self, digit: str) -> None:
        """A digit typed on a catalog row: the first replaces the quantity, a second appends."""
        box = self.query_one("#points-qty", Input)
        box.value = digit if self.fresh_quantity or len(box.value) >= 2 else box.value + digit
        self.fresh_quantity = False

    @work(thread=True, exclusive=True, group="points-load")
    def load(self) -> None:
        try:
            view = desk_for(self.app).points_view(self.customer_id)
        except Exception as exc:
            self.post_message(Failed(t("error.db", e=str(exc))))
            return
        self.post_message(self.Loaded(view))

    def on_failed(self, message: Failed) -> None:
        self.load_failed = True
        self.redeem_when_shown = None
        self.app.keys_may_flow()
        self.notify(esc(message.error), severity="error")

    def on_points_screen_loaded(self, message: Loaded) -> None:
        v = self.view = message.view
        lines = [t("points.balance", name=esc(v.customer_name), balance=v.balance)]
        if v.card and v.card.state in ("active", "grace"):
            tier = esc(v.card.tier.name) if v.card.tier else ""
            lines[0] += "　" + t("points.member", tier=tier, scheme=label(MEMBER_SCHEMES, v.card.scheme))
        elif v.card is None:
            lines[0] += "　" + t("points.not_member")
        if v.owed:
            lines.append(t("points.owed", n=v.owed))
        if v.expiring:
            lines.append("　".join(t("points.expiring", points=e.points, date=e.expires_on.isoformat())
                                  for e in v.expiring))
        self.query_one("#points-summary", Static).update("\n".join(lines))
        hist = self.query_one("#points-history", DataTable)
        hist.clear()
        this_year = clock.today().year
        for h in v.history:
            when = h.at.strftime("%m-%d %H:%M" if h.at.year == this_year else "%Y-%m-%d")
            cells = {"when": when, "kind": label(POINTS_KINDS, h.kind), "points": f"{h.points:+,}",
                     "balance": f"{h.balance_after:,}", "what": esc(h.description), "staff": esc(h.staff)}
            hist.add_row(*(cells[k] for k in self.history_keys), key=str(h.entry_id))
        query = self.query_one("#points-filter", Input).value.strip()
        if query:
            self.filter_catalog(query)
        else:
            self.show_catalog(v.catalog, "")
        self.app.keys_may_flow()

    @on(Input.Changed, "#points-filter")
    def filter_changed(self, event: Input.Changed) -> None:
        if self.view is None:
            return
        query = event.value.strip()
        if not query:
            self.show_catalog(self.view.catalog, "")
            return
        self.filter_catalog(query)

    @work(thread=True, exclusive=True, group="points-filter")
    def filter_catalog(self, query: str) -> None:
        try:
            items = desk_for(self.app).catalog(self.view.store_id, query)
        except Exception as exc:
            self.post_message(Failed(t("error.db", e=str(exc))))
            return
        self.post_message(self.Filtered(query, items))

    def on_points_screen_filtered(self, message: Filtered) -> None:
        if message.query == self.query_one("#points-filter", Input).value.strip():
            self.show_catalog(message.items, message.query)
            if self.redeem_when_shown == message.query:
                self.redeem_when_shown = None
                self.action_redeem()
                self.app.keys_may_flow()

    def show_catalog(self, items: list[CatalogLine], query: str) -> None:
        self.items = items
        self.shown_filter = query
        table = self.query_one("#points-catalog", DataTable)
        table.clear()
        for item in items:
            table.add_row(esc(item.code), esc(item.name), label(CATALOG_CATEGORIES, item.category), f"{item.price_points:,}",
                          "-" if item.stock is None else str(item.stock), key=item.code)

    def action_cursor(self, step: int) -> None:
        self.fresh_quantity = True
        table = self.query_one("#points-catalog", DataTable)
        if table.row_count:
            table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + step)))

    def action_redeem(self) -> None:
        query = self.query_one("#points-filter", Input).value.strip()
        if self.view is not None and query != self.shown_filter:
            self.redeem_when_shown = query  # typed faster than the catalog filtered: wait for it
            return
        table = self.query_one("#points-catalog", DataTable)
        if self.view is None or not self.items or table.cursor_row < 0:
            self.notify(t("points.empty_catalog"), severity="warning")
            return
        item = self.items[min(table.cursor_row, len(self.items) - 1)]
        try:
            qty = int(self.query_one("#points-qty", Input).value or "1")
        except ValueError:
            qty = 0
        if not 1 <= qty <= 99:
            self.notify(t("points.bad_qty"), severity="warning")
            return
        cost = item.price_points * qty
        if cost > self.view.balance:
            self.notify(t("points.short", cost=cost, balance=self.view.balance), severity="warning")
            return
        if item.stock is not None and item.stock < qty:
            self.notify(t("points.no_stock", item=item.name, stock=item.stock), severity="warning")
            return
        self.app.push_screen(ConfirmRedeem(self.customer_id, item, qty, self.view.balance), callback=self.redeemed)

    def redeemed(self, result: RedeemResult | None) -> None:
        if result is None:
            return
        self.notify(t("points.redeemed", item=result.item_name, qty=result.quantity, cost=result.points,
                      balance=result.balance))
        self.query_one("#points-qty", Input).value = "1"
        self.load()  # the receipt line, the new balance and stock


class MemberBillScreen(Screen):
    """What membership saved this customer this year: ←/→ change the year, x exports."""

    CSS_PATH = "points.tcss"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "club.back"),
        Binding("left", "year(-1)", "club.prev_year"),
        Binding("right", "year(1)", "club.next_year"),
        Binding("x", "export", "club.export"),
    ]

    class Loaded(Message):
        def __init__(self, bill: MemberBill) -> None:
            super().__init__()
            self.bill = bill

    class Exported(Message):
        def __init__(self, path: str) -> None:
            super().__init__()
            self.path = path

    def __init__(self, customer_id: int, year: int | None = None) -> None:
        super().__init__()
        localize_bindings(self)
        self.customer_id = customer_id
        self.year = year or clock.today().year

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("…", id="bill-summary")
        yield DataTable(id="bill-lines", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#bill-lines", DataTable)
        for key in ("date", "kind", "what", "saved", "points"):
            table.add_column(t(f"bill.col.{key}"), key=key)
        self.load()

    @work(thread=True, exclusive=True, group="bill")
    def load(self) -> None:
        try:
            bill = desk_for(self.app).member_bill(self.customer_id, self.year)
        except Exception as exc:
            self.post_message(Failed(t("error.db", e=str(exc))))
            return
        self.post_message(self.Loaded(bill))

    def on_failed(self, message: Failed) -> None:
        self.notify(esc(message.error), severity="error")

    def on_member_bill_screen_loaded(self, message: Loaded) -> None:
        b = message.bill
        if b.year != self.year:
            return
        self.title = t("bill.title", year=b.year)
        head = t("bill.head", name=esc(b.customer_name), number=esc(b.number), tier=esc(b.tier_name))
        body = t("bill.summary", discount=yuan(b.discount_fen), free=yuan(b.free_services_fen), points=b.points_used,
                 points_value=yuan(b.points_value_fen), total=yuan(b.total_saved_fen), fees=yuan(b.fees_paid_fen))
        if not b.lines:
            body = t("bill.empty", year=b.year) + "\n" + body
        self.query_one("#bill-summary", Static).update(f"[b]{t('bill.title', year=b.year)}[/b]　{head}\n{body}")
        table = self.query_one("#bill-lines", DataTable)
        table.clear()
        for line in b.lines:
            table.add_row(line.day.isoformat(), label(BILL_KINDS, line.kind), esc(line.description), yuan(line.saved_fen),
                          f"{line.points:,}" if line.points else "")

    def action_year(self, step: int) -> None:
        self.year += step
        self.load()

    def action_export(self) -> None:
        self.export(self.year)

    @work(thread=True, group="bill-export")
    def export(self, year: int) -> None:
        path = data_dir() / "exports" / f"member-bill-{self.customer_id}-{year}.xlsx"
        try:
            written = desk_for(self.app).export_bill(self.customer_id, year, path)
        except Exception as exc:
            self.post_message(Failed(str(exc)))
            return
        self.post_message(self.Exported(str(written)))

    def on_member_bill_screen_exported(self, message: Exported) -> None:
        self.notify(t("bill.exported", path=message.path), timeout=10)
