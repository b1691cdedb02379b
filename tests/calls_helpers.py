"""A small store for adoption and call-list tests: a manager, two SAs and cars whose
maintenance falls due on chosen days (months rule only: no mileage recorded)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from store.access import SYSTEM, Actor
from store.dates import add_months
from store.db import write_session
from store.models import Staff, Visit
from tests.factories import add_car, add_store

TODAY = date(2026, 11, 22)


@dataclass
class Shop:
    store_id: int
    manager: Actor
    wang: Actor  # SA01 王伟
    li: Actor  # SA02 李娜
    cars: dict[str, int] = field(default_factory=dict)  # plate -> vehicle id
    customers: dict[str, int] = field(default_factory=dict)  # plate -> customer id


def actor(staff: Staff) -> Actor:
    return Actor(staff_id=staff.id, name=staff.name, role=staff.role, store_id=staff.store_id)


def maintained_on_for_due(due: date) -> date:
    """The last maintenance that makes the next one (6 months later) due on ``due``."""
    return add_months(due, -6)


def make_shop(engine, cars: list[dict] = ()) -> Shop:
    """``cars``: dicts with plate, owner, and visits as (day, repair_type, total_yuan, oil_yuan)."""
    with write_session(engine) as s:
        store = add_store(s)
        m = Staff(store_id=store.id, code="M01", name="周建国", role="manager")
        w = Staff(store_id=store.id, code="SA01", name="王伟", role="sa")
        li = Staff(store_id=store.id, code="SA02", name="李娜", role="sa")
        s.add_all([m, w, li])
        s.flush()
        shop = Shop(store.id, actor(m), actor(w), actor(li))
        for spec in cars:
            add_to_shop(s, shop, **spec)
    return shop


def add_to_shop(s, shop: Shop, *, plate: str, owner: str = "张伟", phone: str = "13812345678",
                visits=(), purchase_date: date | None = date(2023, 5, 6), customer_id: int | None = None) -> int:
    from store.models import Store, Vehicle

    store = s.get(Store, shop.store_id)
    if customer_id is None:
        car = add_car(s, store, plate=plate, owner=owner, phone=phone, purchase_date=purchase_date)
    else:  # a second car of the same owner
        car = Vehicle(store_id=store.id, customer_id=customer_id, plate=plate, plate_raw=plate,
                      purchase_date=purchase_date)
        s.add(car)
        s.flush()
    for i, (day, kind, total, oil) in enumerate(visits):
        s.add(Visit(store_id=store.id, vehicle_id=car.id, ro_number=f"RO{car.id:04d}{i:03d}", date_in=day,
                    settled_on=day, repair_type=kind, total_fen=total * 100, oil_fen=oil * 100, sa_name="王伟"))
    s.flush()
    shop.cars[plate] = car.id
    shop.customers[plate] = car.customer_id
    return car.id


def adopt(engine, shop: Shop, mapping: str = "0-4:王伟,5-9:李娜", *, as_of: date = TODAY, who: Actor = SYSTEM):
    from store.adoption import adopt_by_plate

    with write_session(engine) as s:
        return adopt_by_plate(s, who, store_id=shop.store_id, as_of=as_of, mapping_text=mapping)
