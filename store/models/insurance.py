"""Insurance policies 保单, one row per policy a car ever had: its history, from
which the car's current expiry (``Vehicle.insurance_expiry``) follows."""

from __future__ import annotations

from datetime import date

from pydantic import NaiveDatetime
from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from store.clock import now


class InsurancePolicy(SQLModel, table=True):
    """A policy: number (unique per store), car, insurer, type (``compulsory``
    交强险 or ``commercial`` 商业险), cover from ``start_on`` to ``end_on``, the
    premium in fen, and whether this store sold it (本店出单)."""

    __table_args__ = (UniqueConstraint("store_id", "policy_number"),)
    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    vehicle_id: int = Field(foreign_key="vehicle.id", index=True)
    policy_number: str = Field(max_length=40)
    insurer: str | None = Field(default=None, max_length=60)
    kind: str = Field(max_length=12)  # compulsory | commercial
    start_on: date | None = None
    end_on: date = Field(index=True)
    premium_fen: int = 0
    sold_by_store: bool = False
    source: str = Field(default="import", max_length=8)  # import | hand
    created_at: NaiveDatetime = Field(default_factory=now)
    updated_at: NaiveDatetime = Field(default_factory=now)
