"""Small hand-built stores for tests."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from store.lookup import reindex_vehicles
from store.models import Customer, Store, Vehicle, Visit


def add_store(session: Session, code: str = "T01", name: str = "测试店") -> Store:
    store = Store(code=code, name=name)
    session.add(store)
    session.flush()
    return store


def add_car(
    session: Session,
    store: Store,
    *,
    plate: str,
    owner: str = "张伟",
    phone: str | None = "13812345678",
    vin: str | None = None,
    model: str = "轩逸",
    purchase_date: date | None = date(2023, 5, 6),
    visits: list[tuple[str, date, int]] = (),
) -> Vehicle:
    """A customer with one car and visits given as (ro_number, date_in, total_yuan)."""
    customer = Customer(store_id=store.id, name=owner, phone=phone)
    session.add(customer)
    session.flush()
    vehicle = Vehicle(store_id=store.id, customer_id=customer.id, plate=plate, plate_raw=plate, vin=vin,
                      model=model, purchase_date=purchase_date)
    session.add(vehicle)
    session.flush()
    for ro, day, total in visits:
        session.add(Visit(store_id=store.id, vehicle_id=vehicle.id, ro_number=ro, date_in=day, total_fen=total * 100,
                          repair_type="maintenance"))
    session.flush()
    reindex_vehicles(session, [vehicle.id])
    return vehicle
