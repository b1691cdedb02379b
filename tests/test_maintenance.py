"""Maintenance due dates from the store's intervals and the car's own km a day.
Today is 2026-11-22; defaults: first at 3 months / 5000 km, then every 6 months / 5000 km."""

from __future__ import annotations

from datetime import date

from store.db import read_session, write_session
from store.maintenance import maintenance_due, maintenance_due_all
from store.models import Customer, Vehicle, Visit
from store.settings import set_setting
from tests.factories import add_store

TODAY = date(2026, 11, 22)


def build(engine, cars, settings=None):
    """cars: list of (purchase_date, [(date_in, repair_type, mileage)]) -> vehicle ids."""
    ids = []
    with write_session(engine) as s:
        store = add_store(s)
        for key, value in (settings or {}).items():
            set_setting(s, key, value, store_id=store.id)
        for n, (purchase, visits) in enumerate(cars):
            c = Customer(store_id=store.id, name=f"车主{n}")
            s.add(c)
            s.flush()
            v = Vehicle(store_id=store.id, customer_id=c.id, plate=f"粤A{n:05d}", purchase_date=purchase)
            s.add(v)
            s.flush()
            for i, (day, kind, km) in enumerate(visits):
                s.add(Visit(store_id=store.id, vehicle_id=v.id, ro_number=f"R{n}-{i}", date_in=day, repair_type=kind,
                            mileage=km))
            ids.append(v.id)
    return ids


def due(engine, purchase, visits, as_of=TODAY, settings=None):
    (vid,) = build(engine, [(purchase, visits)], settings)
    with read_session(engine) as s:
        return maintenance_due(s, vid, as_of=as_of)


def test_new_car_first_maintenance_by_months(engine):
    d = due(engine, date(2026, 10, 1), [])
    assert (d.due_on, d.kind, d.basis, d.days_overdue) == (date(2027, 1, 1), "first", "months", 0)
    assert d.km_rate_per_day is None
    assert d.reason_en == "first maintenance due 2027-01-01: 3 months after purchase on 2026-10-01"


def test_first_maintenance_by_km_when_the_car_runs_a_lot(engine):
    # 6100 km in the 61 days since purchase: 100 km a day, so 5000 km came 11 days
    # before that reading, on 2026-07-21, before the 3 months (2026-09-01).
    d = due(engine, date(2026, 6, 1), [(date(2026, 8, 1), "repair", 6100)])
    assert (d.due_on, d.kind, d.basis) == (date(2026, 7, 21), "first", "km")
    assert d.km_rate_per_day == 100.0
    assert d.days_overdue == 124
    assert d.estimated_km == 6100 + 113 * 100


def test_periodic_by_km(engine):
    # 5000 km in 100 days (50 a day): the next 5000 km take 100 days after 2026-04-11.
    d = due(engine, date(2026, 1, 1), [(date(2026, 4, 11), "first_maintenance", 5000)])
    assert (d.due_on, d.kind, d.basis) == (date(2026, 7, 20), "periodic", "km")
    assert d.days_overdue == 125
    assert d.last_maintenance_on == date(2026, 4, 11) and d.last_maintenance_km == 5000
    assert "5,000 km since the last at 5,000 km on 2026-04-11" in d.reason_en


def test_periodic_by_months_for_a_quiet_car(engine):
    d = due(engine, date(2025, 1, 1), [(date(2026, 3, 1), "maintenance", 3000)])
    assert (d.due_on, d.basis, d.days_overdue) == (date(2026, 9, 1), "months", 82)
    assert d.reason_en == "maintenance due 2026-09-01: 6 months since the last on 2026-03-01, 82 days overdue"


def test_a_repair_is_not_a_maintenance(engine):
    d = due(engine, date(2025, 1, 1), [(date(2026, 3, 1), "maintenance", 3000), (date(2026, 10, 1), "repair", 4000)])
    assert d.last_maintenance_on == date(2026, 3, 1) and d.due_on == date(2026, 9, 1)


def test_due_exactly_today_is_not_overdue(engine):
    d = due(engine, date(2025, 1, 1), [(date(2026, 5, 22), "maintenance", None)])
    assert d.due_on == TODAY and d.days_overdue == 0


def test_month_end_and_intervals_are_settings(engine):
    d = due(engine, date(2025, 1, 1), [(date(2026, 8, 31), "maintenance", None)],
            settings={"maintenance_interval_months": 3})
    assert d.due_on == date(2026, 11, 30)


def test_no_dates_no_due(engine):
    d = due(engine, None, [])
    assert d.due_on is None and d.days_overdue == 0


def test_all_vehicles_at_once_agree_with_one_by_one(engine):
    ids = build(engine, [
        (date(2026, 10, 1), []),
        (date(2026, 6, 1), [(date(2026, 8, 1), "repair", 6100)]),
        (date(2025, 1, 1), [(date(2026, 3, 1), "maintenance", 3000)]),
    ])
    with read_session(engine) as s:
        frame = maintenance_due_all(s, as_of=TODAY)
        one_by_one = {vid: maintenance_due(s, vid, as_of=TODAY) for vid in ids}
    got = dict(zip(frame["vehicle_id"].to_list(), frame["due_on"].to_list()))
    assert got == {vid: d.due_on for vid, d in one_by_one.items()}
    assert sorted(frame["days_overdue"].to_list()) == [0, 82, 124]
