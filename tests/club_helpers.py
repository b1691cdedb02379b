"""A small member club for points and membership tests: a store with three tiers,
a catalog, and one customer with a car."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import select

from store import clock
from store.db import in_transaction, write_session
from store.models import CatalogItem, Staff, Tier, TierBenefit, Visit
from store.staff import hash_pin
from tests.factories import add_car, add_store

TIERS = [  # code, name, rank, single yuan, cumulative yuan, discount %, multiplier %
    ("regular", "普卡", 1, 2000, None, 98, 100),
    ("gold", "金卡", 2, 8000, 8000, 95, 120),
    ("diamond", "钻石卡", 3, 20000, 20000, 90, 150),
]
BENEFITS = [  # tier, code, name, kind, quota per membership year (None: unlimited), list price yuan
    ("regular", "WASH", "洗车", "service", 4, 30),
    ("regular", "BIRTHDAY", "生日礼品", "gift", 1, 50),
    ("gold", "WASH", "洗车", "service", 6, 30),
    ("gold", "ALIGN", "四轮定位", "service", 1, 200),
    ("gold", "BIRTHDAY", "生日礼品", "gift", 1, 100),
    ("diamond", "WASH", "洗车", "service", 12, 30),
    ("diamond", "ALIGN", "四轮定位", "service", 2, 200),
    ("diamond", "TOW", "道路救援", "service", None, 300),
]
CATALOG = [  # code, name, category, points, stock
    ("WASH", "精致洗车", "service", 30, None),
    ("MUG", "保温杯", "gift", 60, 3),
    ("ALIGN", "四轮定位", "service", 120, None),
]


@dataclass
class Club:
    store_id: int
    customer_id: int
    vehicle_id: int
    staff_id: int
    plate: str


def make_club(engine, *, plate: str = "粤A12345", phone: str = "13812345678", owner: str = "张伟") -> Club:
    with write_session(engine) as s:
        store = add_store(s)
        for code, name, rank, single, cum, disc, mult in TIERS:
            s.add(Tier(store_id=store.id, code=code, name=name, rank=rank, min_single_spend_fen=single * 100,
                       min_cumulative_spend_fen=cum * 100 if cum else None, discount_pct=disc,
                       points_multiplier_pct=mult))
        for tier, code, name, kind, quota, price in BENEFITS:
            s.add(TierBenefit(store_id=store.id, tier_code=tier, code=code, name=name, kind=kind, quota=quota,
                              price_fen=price * 100))
        for code, name, cat, pts, stock in CATALOG:
            s.add(CatalogItem(store_id=store.id, code=code, name=name, category=cat, price_points=pts, stock=stock))
        staff = Staff(store_id=store.id, code="SA01", name="王伟", role="sa", pin_hash=hash_pin("1111"))
        s.add(staff)
        # The member specialist: points adjustments are theirs (and the manager's).
        s.add(Staff(store_id=store.id, code="MS01", name="林小红", role="member", pin_hash=hash_pin("7777")))
        car = add_car(s, store, plate=plate, owner=owner, phone=phone)
        s.flush()
        return Club(store.id, car.customer_id, car.id, staff.id, plate)


def add_visit(engine, club: Club, ro: str, day: date, *, total: int, labour: int = 0, parts: int = 0, oil: int = 0,
              accessories: int = 0, repair_type: str = "maintenance", status: str = "settled") -> int:
    """A visit; amounts in yuan."""
    with write_session(engine) as s:
        v = Visit(store_id=club.store_id, vehicle_id=club.vehicle_id, ro_number=ro, date_in=day, settled_on=day,
                  total_fen=total * 100, labour_fen=labour * 100, parts_fen=parts * 100, oil_fen=oil * 100,
                  accessories_fen=accessories * 100, repair_type=repair_type, status=status)
        s.add(v)
        s.flush()
        return v.id


def on(day: date | str):
    """Set today's date (the autouse fixture puts it back)."""
    clock.set_today(day)


def tx(engine, fn):
    return in_transaction(engine, fn)


def ledger(engine, customer_id: int):
    """(balance, [(kind, points, remaining)]) straight from the tables."""
    from store.models import PointsAccount, PointsEntry

    with write_session(engine) as s:
        acct = s.exec(select(PointsAccount).where(PointsAccount.customer_id == customer_id)).first()
        if acct is None:
            return None, []
        rows = s.exec(select(PointsEntry).where(PointsEntry.account_id == acct.id).order_by(PointsEntry.id)).all()
        return acct.balance, [(r.kind, r.points, r.remaining) for r in rows]
