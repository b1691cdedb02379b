"""The customer profile 客户档案: the one thing to do now, then owner, vehicle and
membership, then visits, what is due, complaints and pitches. Keys: p pitch,
c log a complaint, j points, b member bill, Escape back to lookup (the query kept)."""

from __future__ import annotations

from datetime import date
from importlib import import_module

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from store import clock
from store.access import AccessDenied
from store.profile import Action, Profile
from tui.i18n import (
    CHANNELS,
    CLASS_LABELS,
    GENDERS,
    MEMBER_STATUS,
    OUTCOMES,
    REPAIR_TYPES,
    SCHEMES,
    TIERS,
    label,
    language,
    reason_words,
    short_date,
    t,
    yuan,
)
from tui.keys import Footer, Header, localize
from tui.rendered import RenderedOnce
from tui.safe import esc, strip_controls


def action_words(action: Action, today: date) -> str:
    """An action code and its facts, in words."""
    p = {k: short_date(v, today) if isinstance(v, date) else v for k, v in action.params.items()}
    code = action.code
    if code == "renew" and action.params.get("expired"):
        code = "renew_expired"
    if code == "birthday" and action.params.get("days") == 0:
        code = "birthday_today"
    if code == "pitch_again":
        p["outcome"] = label(OUTCOMES, action.params.get("outcome"))
    if code == "top_up":
        p["balance"] = yuan(action.params.get("balance_fen", 0))
    if code == "maintenance":
        p = {"due_on": p.get("due_on") or ""}  # the details are in the section below
    return t(f"action.{code}", **p)


def _class_words(profile: Profile) -> str:
    c = profile.class_
    if c is None:
        return ""
    en = language() == "en"
    name = (c.label_en if en else c.label_zh) or label(CLASS_LABELS, c.code)
    reason = c.reason_en if en else c.reason_zh
    return f"{t('profile.class')}: {name}" + (f" — {reason}" if reason else "")


def _table(*columns: str, expand: bool = True) -> Table:
    table = Table(box=None, expand=expand, show_edge=False, pad_edge=False, header_style="bold", padding=(0, 1))
    for col in columns:
        table.add_column(col, overflow="fold")
    return table


class ProfileScreen(Screen):
    BINDINGS = [
        Binding("escape", "back", "key.back"),
        Binding("p", "pitch", "key.pitch"),
        Binding("c", "complaint", "key.complaint"),
        Binding("j", "points", "key.points"),
        Binding("b", "bill", "key.bill"),
        Binding("u", "reveal", "key.reveal"),
        # Not in the footer (it keeps ^q and ? at 80 columns); the help screen (?) lists them.
        Binding("e", "event_signup", "key.event_signup", show=False),
        Binding("i", "interests", "key.interests", show=False),
        # The details scroll (their own keys); listed here so the help screen shows them.
        Binding("down,up", "scroll_details", "key.scroll", key_display="↑ ↓", show=False),
        Binding("pagedown,pageup", "scroll_details", "key.page", key_display="PgUp PgDn", show=False),
    ]

    class Loaded(Message):
        def __init__(self, vehicle_id: int, profile: Profile | None) -> None:
            super().__init__()
            self.vehicle_id = vehicle_id
            self.profile = profile

    class Failed(Message):
        def __init__(self, vehicle_id: int, error: str, *, denied: bool = False) -> None:
            super().__init__()
            self.vehicle_id = vehicle_id
            self.error = error
            self.denied = denied

    NOT_LOADED = object()

    def __init__(self, vehicle_id: int, profile: Profile | None | object = NOT_LOADED) -> None:
        """``profile``: already loaded (:meth:`DealerDeskApp.open_vehicle` loads it
        before the screen opens), so the screen is laid out and painted once, with
        the profile in it; without it the screen loads it itself."""
        super().__init__()
        localize(self)
        self.vehicle_id = vehicle_id
        self.profile: Profile | None = None
        self._preloaded = profile
        self._opening = True  # its first resume is the screen opening, not a return to it
        self.settled = False  # loaded or failed: keys typed ahead (p, j, b) may act

    def show_vehicle(self, vehicle_id: int, profile: Profile | None) -> None:
        """The screen again, for another car whose profile is loaded: drawn here,
        before the screen is back on top, so no frame shows the car before it. The
        app keeps one profile screen this way: opening it again costs a layout and
        a paint, not a new screen's widgets and styles (half of opening a profile)."""
        self.vehicle_id = vehicle_id
        self.profile = None
        self.settled = False
        self._opening = True
        self.query_one("#details").scroll_home(animate=False)
        self.query_one("#details").focus()
        self.show_loaded(profile)

    @property
    def ready_for_keys(self) -> bool:
        return self.settled

    def _settle(self) -> None:
        if not self.settled:
            self.settled = True
            self.app.keys_may_flow()

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="now"):
            yield Static(t("loading"), id="action")
            yield Static(id="also")
        with Horizontal(id="cards"):
            yield Static(id="owner", classes="card")
            yield Static(id="vehicle", classes="card")
            yield Static(id="member", classes="card")
        with VerticalScroll(id="details"):
            # Stacked on a narrow terminal; side by side from WIDE columns on (see on_resize).
            # What to do with the customer first: the latest pitch and what is due are
            # above the fold at 80x24; the visit history follows.
            with Vertical(id="care-col", classes="details-col"):
                yield Static(id="pitches", classes="section")
                yield Static(id="due", classes="section")
                yield Static(id="complaints", classes="section")
            with Vertical(id="history-col", classes="details-col"):
                yield Static(id="visits", classes="section")
        yield Footer()

    WIDE = 140

    def on_resize(self, event) -> None:
        self.query_one("#details").set_class(event.size.width >= self.WIDE, "-wide")

    def on_mount(self) -> None:
        self.query_one("#details").set_class(self.app.size.width >= self.WIDE, "-wide")
        self.query_one("#owner").border_title = t("profile.owner")
        self.query_one("#vehicle").border_title = t("profile.vehicle")
        self.query_one("#member").border_title = t("profile.membership")
        self.query_one("#details").focus()
        if self._preloaded is self.NOT_LOADED:
            self.load()
        else:
            self.show_loaded(self._preloaded)

    @work(thread=True, exclusive=True, group="profile")
    def load(self, reveal_reason: str | None = None) -> None:
        vehicle_id = self.vehicle_id
        try:
            profile = self.app.counter.profile(vehicle_id, reveal_reason=reveal_reason)
        except AccessDenied as exc:  # the role may not see customers: say so, plainly
            self.post_message(self.Failed(vehicle_id, str(exc), denied=True))
            return
        except Exception as exc:  # a database error is a message, not a crash
            self.post_message(self.Failed(vehicle_id, str(exc)))
            return
        self.post_message(self.Loaded(vehicle_id, profile))

    def on_profile_screen_failed(self, message: Failed) -> None:
        if message.vehicle_id != self.vehicle_id:
            return  # the screen shows another car now
        text = message.error if message.denied else t("error.db", e=message.error)
        self.notify(esc(text), severity="error", timeout=8)
        if self.profile is None:
            self.query_one("#action", Static).update(esc(text.splitlines()[0][:120]))
        self._settle()

    def on_profile_screen_loaded(self, message: Loaded) -> None:
        # The kept screen may show another car by the time a load of the one before
        # comes back: that profile is never drawn over this car's.
        if message.vehicle_id == self.vehicle_id:
            self.show_loaded(message.profile)

    def show_loaded(self, p: Profile | None) -> None:
        if p is None:
            self.query_one("#action", Static).update(t("profile.not_found"))
            self._settle()
            return
        self.profile = p
        self.render_profile(p, clock.today())
        self._settle()

    # --- drawing ---------------------------------------------------------------

    def render_profile(self, p: Profile, today: date) -> None:
        now = Text()
        now.append(f" {t('profile.now')} ", style="reverse bold")
        now.append(f" {strip_controls(action_words(p.action, today))}", style="bold")
        self.query_one("#action", Static).update(now)
        also = [action_words(a, today) for a in p.actions[1:4]]
        lines = []
        if _class_words(p):
            lines.append(_class_words(p))
        if also:
            lines.append(f"{t('profile.also')}: " + " · ".join(also))
        self.query_one("#also", Static).update("\n".join(esc(line) for line in lines))  # stored words: shown as text

        o = p.owner
        if o is not None:
            owner = [f"[b]{esc(o.name)}[/b] {esc(label(GENDERS, o.gender)) if o.gender else ''}",
                     f"{t('profile.phone')} {esc(o.phone or '-')}"]
            if o.contact_masked and o.phone:  # a line of its own: never wrapped mid-phrase
                owner.append(f"[dim]{t('profile.masked_hint')}[/dim]")
            bits = []
            if o.birthday:
                bits.append(f"{t('profile.birthday')} {o.birthday.strftime('%m-%d')}")
            if o.region:
                bits.append(esc(o.region))
            if bits:
                owner.append("  ".join(bits))
            if p.interests:
                owner.append(f"{t('profile.interests')} "
                             + esc(" ".join(c.en if language() == "en" else c.zh for c in p.interests)))
            if o.do_not_contact:
                owner.append(f"[b]{t('profile.do_not_contact')}[/b]")
        else:
            owner = [t("action.no_owner")]
        self.query_one("#owner", Static).update("\n".join(owner))

        v = p.vehicle
        vehicle = [f"[b]{esc(v.plate)}[/b] {esc(v.model)} {esc(v.colour)}".rstrip(), f"VIN {esc(v.vin or '-')}"]
        if v.plate is None and v.former_plate:
            vehicle.insert(1, t("profile.plate_moved_on", plate=esc(v.former_plate),
                                day=v.plate_moved_on.isoformat() if v.plate_moved_on else "-"))
        dates = []
        if v.purchase_date:
            dates.append(f"{t('profile.purchase')} {v.purchase_date.isoformat()}")
        if v.warranty_end:
            dates.append(f"{t('profile.warranty')} {v.warranty_end.isoformat()}")
        if dates:
            vehicle.append("  ".join(dates))
        dates = []
        if v.insurance_expiry:
            dates.append(f"{t('profile.insurance')} {v.insurance_expiry.isoformat()}")
        if v.inspection_due:
            dates.append(f"{t('profile.inspection')} {v.inspection_due.isoformat()} "
                         f"({t('profile.inspection.' + (v.inspection_source or 'computed'))})")
        if dates:
            vehicle.append("  ".join(dates))
        if v.mileage:
            vehicle.append(f"{t('profile.mileage')} {v.mileage:,} km")
        if v.other_plates:
            vehicle.append(f"{t('profile.other_cars')} {esc(' '.join(v.other_plates))}")
        self.query_one("#vehicle", Static).update("\n".join(vehicle))

        m = p.membership
        if m is not None:
            tier = m.tier_name if m.tier_name and language() != "en" else label(TIERS, m.tier_code or m.scheme)
            member = [f"[b]{esc(tier)}[/b] {label(SCHEMES, m.scheme)}"
                      + (f" {label(MEMBER_STATUS, m.status)}" if m.status != "active" else "")]
            if m.expires_on:
                member.append(f"{t('profile.expires')} {m.expires_on.isoformat()}")
            member.append(f"{t('profile.points')} {p.points.balance:,}  {t('profile.stored_value')} {yuan(m.stored_value_fen)}")
            if m.benefits:  # 本年剩余 洗车 2/4: what the tier still gives this membership year
                member.append(f"{t('profile.benefits_left')} " + "  ".join(esc(b.left_words()) for b in m.benefits))
        else:
            member = [f"[b]{t('profile.not_member')}[/b]"]
            if p.points.balance:
                member.append(f"{t('profile.points')} {p.points.balance:,}")
        if p.points.expiring:
            member.append(t("profile.expiring", points=p.points.expiring, by=short_date(p.points.expiring_by, today)))
        for ev in p.events[:2]:  # club events signed up for 活动报名
            from tui.screens.events import status_words

            member.append(f"{t('profile.events')} {ev.starts_at:%m-%d} {esc(ev.name)} {status_words(ev.status)}")
        self.query_one("#member", Static).update("\n".join(member))

        self._render_sections(p, today)

    def _render_sections(self, p: Profile, today: date) -> None:
        visits = _table(t("col.date"), t("col.type"), t("col.mileage"), t("col.amount"), t("col.sa"), t("col.ro"),
                        expand=False)
        for x in p.visits:
            # The DMS's own words in Chinese; the code's in English.
            kind = label(REPAIR_TYPES, x.repair_type) if language() == "en" else (
                x.repair_type_raw or label(REPAIR_TYPES, x.repair_type))
            visits.add_row(x.date_in.isoformat(), esc(kind),
                           f"{x.mileage:,}" if x.mileage else "", yuan(x.total_fen), esc(x.sa_name), esc(x.ro_number))
        title = t("profile.visits") if p.visits else t("profile.no_visits")
        self.query_one("#visits", Static).update(
            RenderedOnce(Group(Text(title, style="bold"), visits)) if p.visits else Text(title, style="bold"))

        due_rows = (p.maintenance or []) + (p.tasks or [])
        due_widget = self.query_one("#due", Static)
        if p.maintenance is None and p.tasks is None:
            due_widget.display = False  # neither capability is there yet: say nothing
        else:
            due_widget.display = True
            due = _table(t("col.due_on"), t("col.what"))
            for d in sorted(due_rows, key=lambda d: d.due_on or date.max):
                words = (d.text_en if language() == "en" else None) or d.text or d.kind
                due.add_row(d.due_on.isoformat() if d.due_on else "", esc(words))
            due_widget.update(RenderedOnce(Group(Text(t("profile.due"), style="bold"), due)) if due_rows
                              else Text(t("profile.nothing_due"), style="bold"))

        complaints_widget = self.query_one("#complaints", Static)
        complaints_widget.display = bool(p.complaints or p.scores)
        parts = []
        if p.complaints:
            complaints = _table(t("col.date"), t("col.what"))
            for c in p.complaints:
                complaints.add_row(c.opened_on.isoformat(), esc(c.summary))
            parts += [Text(t("profile.complaints"), style="bold"), complaints]
        if p.scores:
            from store.satisfaction import QUESTIONS

            lines = Text(t("profile.scores"), style="bold")
            for line in p.scores:
                answers = "  ".join(f"{label(QUESTIONS, q)} {s}" for q, s in line.scores.items())
                lines.append(f"\n{line.at.date().isoformat()}  {answers}")
            parts.append(lines)
        if parts:
            complaints_widget.update(RenderedOnce(Group(*parts)))

        if p.pitches:
            pitches = _table(t("col.pitched"), t("col.outcome"), t("col.staff"), t("col.reason"), t("col.due"))
            for x in p.pitches:
                who = " ".join(filter(None, [x.staff_name, label(CHANNELS, x.channel)]))
                why = " · ".join(filter(None, [reason_words(x.reason), x.note]))
                outcome = label(OUTCOMES, x.outcome)
                if x.outcome == "joined" and not x.signed_up:
                    outcome = t("profile.joined_not_signed")  # said yes, no membership started: no conversion
                pitches.add_row(x.pitched_at.date().isoformat(), outcome, esc(who), esc(why),
                                x.follow_up_on.isoformat() if x.follow_up_on else "")
            self.query_one("#pitches", Static).update(
                RenderedOnce(Group(Text(t("profile.pitches"), style="bold"), pitches)))
        else:
            self.query_one("#pitches", Static).update(Text(t("profile.no_pitches"), style="bold"))

    # --- keys ----------------------------------------------------------------

    def action_scroll_details(self) -> None:
        self.query_one("#details").focus()  # reached only when the details lost focus

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_pitch(self) -> None:
        p = self.profile
        if p is None:
            return
        if p.owner is None:
            self.notify(t("profile.no_customer"), severity="warning")
            return
        if p.is_member:
            m = p.membership
            tier = m.tier_name if m.tier_name and language() != "en" else label(TIERS, m.tier_code or m.scheme)
            self.notify(t("profile.already_member", tier=tier))
            return
        from tui.screens.pitch import PitchScreen

        self.app.push_screen(PitchScreen(p))  # coming back reloads (on_screen_resume)

    def action_complaint(self) -> None:
        p = self.profile
        if p is None:
            return
        if p.owner is None:
            self.notify(t("complaint.no_customer"), severity="warning")
            return
        from tui.screens.complaint import ComplaintScreen

        self.app.push_screen(ComplaintScreen(p))  # coming back reloads: the complaint is the thing to do

    def _open_club_screen(self, name: str, missing: str) -> None:
        if self.profile is None or self.profile.owner is None:
            return
        try:
            screen_class = getattr(import_module("tui.screens.points"), name)
        except (ImportError, AttributeError):
            self.notify(t(missing), severity="information")
            return
        self.app.push_screen(screen_class(self.profile.owner.customer_id))

    def action_points(self) -> None:
        self._open_club_screen("PointsScreen", "profile.no_points_screen")

    def action_reveal(self) -> None:
        """The customer is at the counter: show the full phone (the reveal is logged)."""
        if self.profile is not None and self.profile.owner is not None and self.profile.owner.contact_masked:
            self.load(t("profile.reveal_reason"))

    def action_event_signup(self) -> None:
        """Sign the customer up for a club event: a digit picks it (the waitlist when full)."""
        p = self.profile
        if p is None or p.owner is None:
            return
        from tui.screens.events import EventPickScreen

        def done(words: str | None) -> None:
            if words:
                self.notify(esc(words))

        self.app.push_screen(EventPickScreen(p.owner.customer_id, p.owner.name), done)  # back: it reloads

    def action_interests(self) -> None:
        """The customer's interests: digits tick them, Enter saves."""
        p = self.profile
        if p is None or p.owner is None:
            return
        from tui.screens.events import InterestsScreen

        self.app.push_screen(InterestsScreen(p.owner.customer_id, p.owner.name, [c.code for c in p.interests]))

    def action_bill(self) -> None:
        self._open_club_screen("MemberBillScreen", "profile.no_bill_screen")

    def on_screen_resume(self) -> None:
        # Back from points, a bill or a sign-up: balances and actions may have moved.
        if not self._opening and self.profile is not None:
            self.load()
        self._opening = False
