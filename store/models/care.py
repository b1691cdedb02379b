"""Adoption 客户领养, the care calendar 客户关怀, calls 回访/邀约, appointments 预约
and complaints 投诉."""

from __future__ import annotations

from datetime import date

from pydantic import NaiveDatetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from store.clock import now


class Adoption(SQLModel, table=True):
    """A vehicle owned by one SA. Reassigning ends the row and starts another,
    so the history stays."""

    __table_args__ = (
        Index("ix_adoption_vehicle_active", "vehicle_id", "ended_on"),
        # At most one open adoption per car, even when two managers move it at once.
        Index("ux_adoption_vehicle_open", "vehicle_id", unique=True,
              sqlite_where=text("ended_on IS NULL"), postgresql_where=text("ended_on IS NULL")),
    )
    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    vehicle_id: int = Field(foreign_key="vehicle.id")
    staff_id: int = Field(foreign_key="staff.id", index=True)
    started_on: date
    ended_on: date | None = None
    assigned_by_staff_id: int | None = Field(default=None, foreign_key="staff.id")
    rank_value_fen: int = 0
    # plate: by the plate's last digit from the store's mapping; hand: moved by a
    # manager (a later plate run leaves it alone).
    method: str = Field(default="plate", max_length=16, sa_column_kwargs={"server_default": "plate"})


class CareTask(SQLModel, table=True):
    """Who to contact, why and by when. ``key`` makes a trigger create its task once
    (e.g. ``repair3d:vehicle:123:ro:...``)."""

    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    customer_id: int = Field(foreign_key="customer.id", index=True)
    vehicle_id: int | None = Field(default=None, foreign_key="vehicle.id")
    key: str = Field(max_length=120, unique=True)
    kind: str = Field(max_length=32)
    reason: str = Field(max_length=255)
    due_on: date = Field(index=True)
    owner_staff_id: int | None = Field(default=None, foreign_key="staff.id")
    status: str = Field(default="open", max_length=16)  # open | done | dismissed
    attempts: int = 0
    next_attempt_on: date | None = None
    closed_at: NaiveDatetime | None = None


class CallLog(SQLModel, table=True):
    """One contact with a customer, whatever its kind; the contact cap counts these."""

    __table_args__ = (Index("ix_calllog_customer_at", "customer_id", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    customer_id: int = Field(foreign_key="customer.id")
    vehicle_id: int | None = Field(default=None, foreign_key="vehicle.id")
    task_id: int | None = Field(default=None, foreign_key="caretask.id")
    staff_id: int | None = Field(default=None, foreign_key="staff.id", index=True)
    at: NaiveDatetime = Field(default_factory=now)
    channel: str = Field(default="phone", max_length=16)
    # booked | reached | no_answer | wrong_number | refused | sold | do_not_contact
    outcome: str = Field(max_length=16)
    reason: str | None = Field(default=None, max_length=255)
    note: str | None = Field(default=None, max_length=500)
    # The try this call was (no answer: 1, 2, 3 ...) and when to call next, if at all.
    attempt: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    callback_on: date | None = None


class Appointment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    customer_id: int = Field(foreign_key="customer.id", index=True)
    vehicle_id: int | None = Field(default=None, foreign_key="vehicle.id")
    at: NaiveDatetime = Field(index=True)
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    call_id: int | None = Field(default=None, foreign_key="calllog.id")
    status: str = Field(default="booked", max_length=16)  # booked | arrived | missed | cancelled


class Complaint(SQLModel, table=True):
    """A complaint 投诉 and where its handling stands (see :mod:`store.complaints`)."""

    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    customer_id: int = Field(foreign_key="customer.id", index=True)
    vehicle_id: int | None = Field(default=None, foreign_key="vehicle.id")
    opened_on: date
    closed_on: date | None = None
    summary: str = Field(max_length=500)
    status: str = Field(default="new", max_length=16)  # new | handling | resolved | closed
    ro_number: str | None = Field(default=None, max_length=40)
    category: str = Field(default="other", max_length=16)
    severity: str = Field(default="normal", max_length=8)  # normal 一般 | severe 严重
    channel: str = Field(default="counter", max_length=16)
    received_by_id: int | None = Field(default=None, foreign_key="staff.id")
    owner_id: int | None = Field(default=None, foreign_key="staff.id", index=True)
    opened_at: NaiveDatetime | None = None
    respond_by: NaiveDatetime | None = None
    resolve_by: date | None = None
    first_response_at: NaiveDatetime | None = None
    resolved_at: NaiveDatetime | None = None


class SatisfactionScore(SQLModel, table=True):
    """One answer of an after-service callback 满意度回访: a question and its score."""

    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    customer_id: int = Field(foreign_key="customer.id", index=True)
    vehicle_id: int | None = Field(default=None, foreign_key="vehicle.id")
    visit_id: int | None = Field(default=None, foreign_key="visit.id")
    call_id: int = Field(foreign_key="calllog.id", index=True)
    sa_name: str | None = Field(default=None, max_length=50)  # who served the RO (the DMS's SA column)
    at: NaiveDatetime = Field(index=True)
    question: str = Field(max_length=24)
    score: int


class ComplaintStep(SQLModel, table=True):
    """One step of a complaint's handling: who did what, when (every step a row)."""

    id: int | None = Field(default=None, primary_key=True)
    complaint_id: int = Field(foreign_key="complaint.id", index=True)
    at: NaiveDatetime
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    step: str = Field(max_length=16)  # opened | handling | note | resolved | reopened | closed
    note: str = Field(default="", max_length=500)
