"""The Events, door check-in and profile screens' interface to club events and
interests (:mod:`store.events`, :mod:`store.interests`): plain methods over an
engine that open their own short sessions (the screens call them from workers)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine

from store import clock
from store.access import Actor
from store.db import in_transaction, read_session


class EventDesk:
    def __init__(self, engine: Engine, actor: Actor, store_id: int | None) -> None:
        self.engine = engine
        self.actor = actor
        self.store_id = store_id if store_id is not None else actor.store_id

    def events(self, *, days_back: int = 30):
        """The store's events from ``days_back`` days ago on, soonest first."""
        from store.events import list_events

        with read_session(self.engine) as session:
            return list_events(session, store_id=self.store_id, actor=self.actor,
                               since=clock.today() - timedelta(days=days_back))

    def upcoming(self):
        """Events still taking sign-ups: from now on."""
        now = clock.now()
        return [e for e in self.events(days_back=0) if e.starts_at >= now.replace(second=0, microsecond=0)]

    def add_event(self, *, name: str, kind: str, when: str, capacity: int, place: str | None = None,
                  budget_fen: int = 0, points: int = 0, target: dict | None = None):
        """Plan an event (:func:`store.events.add_event`); ``when`` as typed (12-05 14:00, +7 19:00)."""
        from store.events import add_event, parse_start

        starts_at = parse_start(when)
        return in_transaction(self.engine, lambda s: add_event(
            s, store_id=self.store_id, name=name, kind=kind, starts_at=starts_at, capacity=capacity, actor=self.actor,
            place=place, budget_fen=budget_fen, points=points, target=target))

    def signups(self, event_id: int):
        from store.events import signups

        with read_session(self.engine) as session:
            return signups(session, event_id=event_id, actor=self.actor)

    def door(self, event_id: int, text: str):
        from store.events import door_matches

        with read_session(self.engine) as session:
            return door_matches(session, event_id=event_id, text=text, actor=self.actor)

    def check_in(self, event_id: int, customer_id: int, *, walk_in: bool = False):
        from store.events import check_in

        return in_transaction(self.engine, lambda s: check_in(s, event_id=event_id, customer_id=customer_id,
                                                              actor=self.actor, walk_in=walk_in))

    def sign_up(self, event_id: int, customer_id: int):
        from store.events import sign_up

        return in_transaction(self.engine, lambda s: sign_up(s, event_id=event_id, customer_id=customer_id,
                                                             actor=self.actor))

    def interests(self):
        from store.interests import catalog

        with read_session(self.engine) as session:
            return catalog(session, store_id=self.store_id)

    def set_interests(self, customer_id: int, codes: list[str]):
        from store.interests import set_customer_interests

        return in_transaction(self.engine, lambda s: set_customer_interests(s, customer_id=customer_id, codes=codes,
                                                                            actor=self.actor))
