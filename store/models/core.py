"""Stores, staff, customers, vehicles and visits: what every DMS export carries.

| table | Chinese | |
| --- | --- | --- |
| Store | 门店 (4S店) | a dealer site; a group has many |
| Staff | 员工 | SA 服务顾问, CA 销售顾问, member specialist 会员专员, manager 店长, group analyst 集团 |
| Customer | 客户/车主 | the owner |
| Vehicle | 车辆 | plate 车牌号 (as typed and normalized), VIN 车架号; a plate moved on 车牌已转出 to another car |
| Visit | 工单/结算单 | a repair order |
"""

from __future__ import annotations

from datetime import date

from pydantic import NaiveDatetime

from sqlalchemy import BigInteger, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.clock import now, real_now


class Store(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=100)
    region: str | None = Field(default=None, max_length=50)
    group_name: str | None = Field(default=None, max_length=100)


class Staff(SQLModel, table=True):
    """A person who signs in. ``role`` is one of sa, ca, member, manager, analyst."""

    __table_args__ = (UniqueConstraint("store_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    store_id: int | None = Field(default=None, foreign_key="store.id", index=True)
    code: str = Field(max_length=32)
    name: str = Field(max_length=50, index=True)
    role: str = Field(max_length=16, default="sa")
    pin_hash: str | None = Field(default=None, max_length=255)
    failed_attempts: int = 0
    locked_until: NaiveDatetime | None = None
    active: bool = True
    created_at: NaiveDatetime = Field(default_factory=now)


class Customer(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id", index=True)
    name: str = Field(max_length=100)
    gender: str | None = Field(default=None, max_length=8)
    birthday: date | None = None
    phone: str | None = Field(default=None, max_length=32, index=True)
    # ID numbers are personal information (PIPL); kept encrypted by the access layer.
    id_number_enc: str | None = Field(default=None, max_length=255)
    address: str | None = Field(default=None, max_length=255)
    region: str | None = Field(default=None, max_length=50)
    preferred_contact_time: str | None = Field(default=None, max_length=50)
    do_not_contact: bool = False
    do_not_contact_reason: str | None = Field(default=None, max_length=255)
    created_at: NaiveDatetime = Field(default_factory=now)
    updated_at: NaiveDatetime = Field(default_factory=now)


class Vehicle(SQLModel, table=True):
    __table_args__ = (Index("ix_vehicle_store_plate", "store_id", "plate"),)
    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id", index=True)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    plate: str | None = Field(default=None, max_length=16)  # normalized: 粤A12345
    plate_raw: str | None = Field(default=None, max_length=32)  # as typed: 粤 a·12345
    vin: str | None = Field(default=None, max_length=17, unique=True)
    model: str | None = Field(default=None, max_length=64, index=True)
    colour: str | None = Field(default=None, max_length=32)
    purchase_date: date | None = None
    warranty_end: date | None = None
    insurance_expiry: date | None = None
    inspection_due: date | None = None
    region: str | None = Field(default=None, max_length=50)
    mileage: int | None = None  # km, as last seen
    selling_dealer: str | None = Field(default=None, max_length=100)
    sold_on: date | None = None  # the owner sold the car; no more care calls
    # Plate moved on 车牌已转出: the plate went to another car (owners keep their plate
    # when they sell a car on), so this car holds none; it keeps its history under its
    # VIN and is still found by the plate it had, after the car that holds it now
    # (the rule: store.ingest, "one plate, one car at a time").
    former_plate: str | None = Field(default=None, max_length=16)
    plate_moved_on: date | None = None
    created_at: NaiveDatetime = Field(default_factory=now)
    updated_at: NaiveDatetime = Field(default_factory=now)


class Visit(SQLModel, table=True):
    """A repair order. Amounts in fen. ``repair_type`` is one of
    first_maintenance 首保, maintenance 定期保养, repair 一般维修, warranty 索赔,
    insurance 保险维修/事故车, bodywork 钣喷, accessories 精品/加装, rescue 救援, other."""

    __table_args__ = (
        UniqueConstraint("store_id", "ro_number"),
        Index("ix_visit_vehicle_date", "vehicle_id", "date_in"),
    )
    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    vehicle_id: int = Field(foreign_key="vehicle.id")
    ro_number: str = Field(max_length=40)
    date_in: date = Field(index=True)
    settled_on: date | None = None
    repair_type: str = Field(default="other", max_length=24)
    repair_type_raw: str | None = Field(default=None, max_length=40)
    mileage: int | None = None
    labour_fen: int = 0
    parts_fen: int = 0
    oil_fen: int = 0  # oil and care products 油品/养护用品
    accessories_fen: int = 0
    total_fen: int = 0
    sa_name: str | None = Field(default=None, max_length=50, index=True)
    status: str = Field(default="settled", max_length=16)  # settled | cancelled
    # The fingerprint of the export row this visit last came from (store.ingest): a
    # re-import skips a row whose RO holds the same one.
    row_hash: int | None = Field(default=None, sa_type=BigInteger)


class SearchTerm(SQLModel, table=True):
    """What lookup searches: every suffix of a plate, a phone's last 4, a VIN's
    last 6, a name and its pinyin. A prefix range over the one index finds any
    part of a plate on SQLite and Postgres alike; see :mod:`store.lookup`.

    The table *is* that index: its primary key is (term, vehicle_id), and on
    SQLite it is a WITHOUT ROWID table, so a term is one B-tree entry (not a
    rowid row plus an index entry) and a lookup's range scan reads the table
    itself. ``ix_searchterm_vehicle_id`` serves re-indexing a car."""

    __table_args__ = ({"sqlite_with_rowid": False},)
    # Collation "C" on Postgres so a prefix range is a plain byte range on the index.
    term: str = Field(sa_type=String(80).with_variant(String(80, collation="C"), "postgresql"), primary_key=True)
    vehicle_id: int = Field(foreign_key="vehicle.id", index=True, primary_key=True)


class Setting(SQLModel, table=True):
    """A store rule (JSON value); ``store_id`` null is the group-wide value."""

    __table_args__ = (UniqueConstraint("store_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    store_id: int | None = Field(default=None, foreign_key="store.id")
    key: str = Field(max_length=64)
    value: str = Field(max_length=4000)  # JSON
    updated_at: NaiveDatetime = Field(default_factory=now)


class AuditLog(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: NaiveDatetime = Field(default_factory=real_now, index=True)  # the machine's clock, never --today
    store_id: int | None = Field(default=None, foreign_key="store.id")
    staff_id: int | None = Field(default=None, foreign_key="staff.id", index=True)
    action: str = Field(max_length=40)
    entity: str = Field(max_length=40)
    entity_id: int | None = None
    customer_id: int | None = Field(default=None, index=True)
    detail: str | None = Field(default=None, max_length=4000)  # JSON


class ImportJournal(SQLModel, table=True):
    """One row per imported file (by content hash), so a re-run knows what it did."""

    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    file_name: str = Field(max_length=255)
    file_sha256: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=16)
    format: str = Field(max_length=16)
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    started_at: NaiveDatetime = Field(default_factory=now)
    finished_at: NaiveDatetime | None = None
