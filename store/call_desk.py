"""The call list and adoption screens' interface to the store: plain methods over an
engine that open their own short sessions (the screens call them from workers)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine

from store import clock
from store.access import Actor
from store.adoption import AdoptedCar, MoveResult, StaffLoad, adopted_cars, move, staff_loads, unassigned_cars
from store.calls import AppointmentLine, CallList, CallResult, arrivals, call_list, log_call, require_list_access
from store.db import in_transaction, read_session
from store.models import Staff
from store.reports import ReportTable


# When the care calendar was last brought up to a day, per (engine, store, day): a
# list reloads after every call, and the calendar need not be rebuilt each time.
_care_refreshed: dict[tuple[str, int, date], float] = {}
CARE_REFRESH_SECONDS = 600


@dataclass(frozen=True)
class StaffChoice:
    staff_id: int
    code: str
    name: str


class CallDesk:
    def __init__(self, engine: Engine, actor: Actor, store_id: int | None) -> None:
        self.engine = engine
        self.actor = actor
        self.store_id = store_id if store_id is not None else actor.store_id

    # --- who -----------------------------------------------------------------------

    def advisors(self) -> list[StaffChoice]:
        """The store's active service advisors, by code."""
        with read_session(self.engine) as session:
            rows = session.execute(
                select(Staff).where(Staff.store_id == self.store_id, Staff.role == "sa", Staff.active.is_(True))
                .order_by(Staff.code)).scalars().all()
        return [StaffChoice(s.id, s.code, s.name) for s in rows]

    def own_list_staff(self) -> int | None:
        """The acting SA's id (whose list opens first), or None for a manager."""
        return self.actor.staff_id if self.actor.role == "sa" else None

    # --- the day's list ------------------------------------------------------------

    def day_list(self, staff_id: int, day: date | None = None, *, refresh_care: bool | None = None) -> CallList:
        """The SA's list; first brings the care calendar up to the day (its tasks are
        made once per trigger, so this is idempotent): always with ``refresh_care``,
        never with False, and by default unless done in the last 10 minutes."""
        day = day or clock.today()
        with read_session(self.engine) as session:
            staff = session.get(Staff, staff_id)
            if staff is None:
                raise LookupError(f"no staff member {staff_id}")
            require_list_access(self.actor, staff)
            store_id = staff.store_id
        key = (f"{self.engine.url}#{id(self.engine)}", store_id, day)
        if refresh_care is None:
            refresh_care = time.monotonic() - _care_refreshed.get(key, -CARE_REFRESH_SECONDS) >= CARE_REFRESH_SECONDS
        if refresh_care and day <= clock.today():
            from store.care import care_tasks_for

            in_transaction(self.engine, lambda s: care_tasks_for(s, date=day, store_id=store_id, actor=self.actor))
            _care_refreshed[key] = time.monotonic()
        with read_session(self.engine) as session:
            return call_list(session, staff_id=staff_id, day=day, actor=self.actor)

    def log(self, **kwargs) -> CallResult:
        return in_transaction(self.engine, lambda s: log_call(s, self.actor, **kwargs))

    def answer_event(self, *, customer_id: int, answer: str, task_ids: list[int]):
        """The invitation call's answer: signed up / not interested (:func:`store.events.answer_from_call`)."""
        from store.events import answer_from_call

        return in_transaction(self.engine, lambda s: answer_from_call(s, customer_id=customer_id, answer=answer,
                                                                      task_ids=task_ids, actor=self.actor))

    def reveal_phone(self, customer_id: int) -> str | None:
        from store.calls import reveal_phone

        return in_transaction(self.engine, lambda s: reveal_phone(s, self.actor, customer_id))

    def arrivals(self, day: date | None = None) -> list[AppointmentLine]:
        with read_session(self.engine) as session:
            return arrivals(session, store_id=self.store_id, day=day or clock.today(), actor=self.actor)

    # --- adoption ------------------------------------------------------------------

    def loads(self, day: date | None = None) -> list[StaffLoad]:
        with read_session(self.engine) as session:
            return staff_loads(session, store_id=self.store_id, as_of=day or clock.today(), actor=self.actor)

    def cars(self, staff_id: int | None, day: date | None = None) -> list[AdoptedCar]:
        """One SA's adopted cars, or (``staff_id`` None) the candidates nobody holds."""
        day = day or clock.today()
        with read_session(self.engine) as session:
            if staff_id is None:
                return unassigned_cars(session, store_id=self.store_id, as_of=day)
            return adopted_cars(session, store_id=self.store_id, as_of=day, staff_id=staff_id, actor=self.actor)

    def move(self, vehicle_id: int, to_staff_id: int, day: date | None = None) -> MoveResult:
        day = day or clock.today()
        return in_transaction(self.engine, lambda s: move(s, self.actor, store_id=self.store_id, vehicle=vehicle_id,
                                                          to=to_staff_id, as_of=day))

    def report(self, date_from: date, date_to: date) -> ReportTable:
        from store.reports.calls import calls_report

        with read_session(self.engine) as session:
            return calls_report(session, date_from=date_from, date_to=date_to, by=["sa"], store_ids=[self.store_id])


def now_minute() -> datetime:
    return clock.now().replace(second=0, microsecond=0)
