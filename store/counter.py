"""The counter's interface to the store: plain functions over an engine that open
their own short sessions and hand back plain data. The TUI calls only these (from
worker threads), so no screen ever holds a session.

What the app asks before its first paint (the language, the store, who acts,
whether a manager must be created) is read in plain SQL on a connection; the
models, sessions and the modules built on them load with the first call that needs
them, so the sign-in screen paints without their import (a fifth of a second)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from store import clock
from store.access import NOBODY, SYSTEM, Actor, first_service_advisor
from store.plain_sql import sql
from store.settings import get_setting
from store.stores import StoreNotFound, resolve_store_id

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from store.lookup import VehicleMatch
    from store.pitches import FollowUp, PitchLine, PitchRules
    from store.profile import Profile


# store.db imports SQLAlchemy: these load it with the first query, not with this module.
def in_transaction(engine, work):
    from store.db import in_transaction

    return in_transaction(engine, work)


def read_session(engine, **options):
    from store.db import read_session

    return read_session(engine, **options)


def write_session(engine):
    from store.db import write_session

    return write_session(engine)


class Counter:
    """``engine``: an open engine, or a function that opens one; then the engine
    opens on first use (:meth:`open`), which the app asks for right after its first
    paint (see :mod:`store.startup`)."""

    def __init__(self, engine: Engine | Callable[[], Engine]) -> None:
        self._engine: Engine | None = None if callable(engine) else engine
        self._open_engine = engine if callable(engine) else None
        self._opening = threading.Lock()
        # Who acts at this counter and in which store; see :meth:`act_as`.
        self.actor: Actor = NOBODY  # until someone signs in (or act_as names them)
        self._group_wide: bool | None = None
        self.store_id: int | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self.open()
        return self._engine

    @engine.setter
    def engine(self, engine: Engine) -> None:
        self._engine = engine

    def open(self) -> None:
        """Open the engine if it is not open yet, and load what the first queries
        use (the models, sessions and the lookup's module), off the screen's thread."""
        with self._opening:  # a sign-in's worker may ask while the warm-up opens it
            if self._engine is None:
                self._engine = self._open_engine()
            import store.lookup  # noqa: F401
            import store.models  # noqa: F401
            import store.staff  # noqa: F401

    def store_name(self) -> str:
        with self.engine.connect() as conn:
            names = conn.execute(sql("SELECT name FROM store LIMIT 2")).scalars().all()
        return names[0] if len(names) == 1 else ""

    # --- signing in ---------------------------------------------------------

    def needs_first_manager(self) -> bool:
        from store.access import any_staff

        with self.engine.connect() as conn:
            return not any_staff(conn)

    def sign_in(self, code: str, pin: str):
        """The Actor for this code and PIN; raises SignInRefused. A failed try is
        committed so repeated failures lock the code."""
        from store.db import write_session
        from store.staff import SignInRefused, sign_in

        refusal = None
        with write_session(self.engine) as session:
            try:
                actor = sign_in(session, code=code, pin=pin)
            except SignInRefused as exc:
                refusal = exc
        if refusal is not None:
            raise refusal
        return actor

    def create_first_manager(self, *, store_name: str, code: str, name: str, pin: str):
        """A new database: its store (if none yet) and first manager, signed in."""
        from store.access import SYSTEM, Actor
        from store.db import write_session
        from store.staff import add_staff
        from store.stores import ensure_store
        from store.validation import clean_text

        from sqlalchemy import select

        from store.models import Store

        with write_session(self.engine) as session:
            existing = session.execute(select(Store).order_by(Store.id)).scalars().first()
            store = existing or ensure_store(
                session, "S01", clean_text(store_name, field="store name", max_len=100, required=True)
            )
            staff = add_staff(session, SYSTEM, store_id=store.id, code=code, name=name, role="manager", pin=pin)
            return Actor(staff_id=staff.id, name=staff.name, role=staff.role, store_id=store.id)

    def idle_sign_out_minutes(self) -> int:
        """The store's ``idle_sign_out_minutes``: after that long without input the
        counter signs out (0: never)."""
        with self.engine.connect() as conn:
            return int(get_setting(conn, "idle_sign_out_minutes", store_id=self.store_id) or 0)

    def sign_out(self, actor: Actor, *, reason: str, idle_minutes: int | None = None) -> None:
        """Record that ``actor`` signed out (the counter already acts as nobody)."""
        from store.staff import record_sign_out

        in_transaction(self.engine, lambda session: record_sign_out(
            session, actor, reason=reason, idle_minutes=idle_minutes))

    def language(self) -> str:
        with self.engine.connect() as conn:
            return get_setting(conn, "language")

    def lookup(self, query: str, *, limit: int = 50) -> list[VehicleMatch]:
        """Raises AccessDenied for a group analyst: aggregates only."""
        from store.lookup import lookup

        with read_session(self.engine, snapshot=False) as session:
            if self._group_wide is None:  # the group's rule, read once per counter
                from store.settings import stored_setting

                self._group_wide = bool(stored_setting(session, "group_lookup"))
            return lookup(session, query, limit=limit, actor=self.actor, group_wide=self._group_wide)

    def act_as(self, staff_code: str | None = None, *, store_code: str | None = None) -> Actor:
        """Who acts from now on: ``staff_code``, else the store's first service
        advisor (until sign-in exists). An empty database leaves the system acting."""
        with self.engine.connect() as conn:
            try:
                store_id = resolve_store_id(conn, store_code)
            except StoreNotFound:
                if store_code or staff_code:
                    raise
                return self.actor
            actor = first_service_advisor(conn, store_id) if not staff_code else None
        if staff_code:
            from store.access import actor_for

            with read_session(self.engine) as session:
                actor = actor_for(session, staff_code, store_id=store_id)
        actor = actor or SYSTEM
        self.actor, self.store_id = actor, store_id
        return actor

    def profile(self, vehicle_id: int, *, reveal_reason: str | None = None) -> Profile | None:
        """The profile as the acting staff member may see it: the phone in full only
        where their role allows (an audited view) or after a reveal with a reason."""
        from store.access import contact_view, may_see_contact, require_customer_access
        from store.models import Customer
        from store.profile import customer_profile

        with read_session(self.engine) as session:
            profile = customer_profile(session, vehicle_id, as_of=clock.today())
            if profile is None or profile.owner is None:
                return profile
            customer = session.get(Customer, profile.owner.customer_id)
            require_customer_access(self.actor, customer.store_id)
            allowed = may_see_contact(session, self.actor, customer)
        profile.owner.contact_masked = True
        if allowed or reveal_reason:
            # Only an unmasked view writes (its audit row), so a masked profile never waits for the write lock.
            with write_session(self.engine) as session:
                view = contact_view(session, self.actor, session.get(Customer, profile.owner.customer_id),
                                    reveal=bool(reveal_reason), reason=reveal_reason)
            profile.owner.phone = view.phone
            profile.owner.contact_masked = view.masked
        return profile

    def pitch_rules(self) -> PitchRules:
        from store.pitches import PitchRules

        with read_session(self.engine) as session:
            return PitchRules.load(session, store_id=self.store_id)

    def record_pitch(self, *, customer_id: int, outcome: str, **details) -> PitchLine:
        """Store a pitch by the acting staff member (see :func:`store.pitches.record_pitch`)."""
        from store.pitches import record_pitch

        return in_transaction(self.engine, lambda session: record_pitch(
            session, actor=self.actor, store_id=self.store_id, customer_id=customer_id, outcome=outcome, **details))

    def log_complaint(self, *, customer_id: int, **details):
        """Log a complaint received by the acting staff member (see :func:`store.complaints.log_complaint`)."""
        from store.complaints import log_complaint

        return in_transaction(self.engine, lambda session: log_complaint(
            session, actor=self.actor, customer_id=customer_id, **details))

    def complaints(self, *, status: str = "open", overdue_only: bool = False):
        """The store's complaints by due time, as the acting staff member may see them."""
        from store.complaints import list_complaints

        with read_session(self.engine) as session:
            return list_complaints(session, actor=self.actor, store_id=self.store_id, status=status,
                                   overdue_only=overdue_only)

    def follow_ups(self, *, everyone: bool = False, within_days: int = 0, limit: int = 500) -> list[FollowUp]:
        """The acting staff member's pitch follow-ups due (``everyone``: all pitchers')."""
        from store.pitches import follow_ups

        with read_session(self.engine) as session:
            tomorrow = datetime.combine(clock.today() + timedelta(days=1), time.min)  # a call today answers it
            return follow_ups(session, as_of=clock.today(), store_id=self.store_id, actor=self.actor,
                              answered_before=tomorrow, within_days=within_days,
                              staff_id=None if everyone else self.actor.staff_id, limit=limit)

    def event_desk(self):
        """Club events and interests as the acting staff member works them (:mod:`store.event_desk`)."""
        from store.event_desk import EventDesk

        return EventDesk(self.engine, self.actor, self.store_id)
