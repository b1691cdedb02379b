"""A store's October 2026 built through the store's own functions (joins, renewals,
redemptions on the days they happened), for the monthly reports. Every figure the
tests expect is worked out by hand in the table below. Today is 2026-11-22.

Customers (store S01; tiers regular 9.8折, gold 9.5折; 1 point = ¥1):

| who | car (bought) | visits (yuan) | club |
| --- | --- | --- | --- |
| c1 甲 | 2024-01-01 | 08-15 1000, 09-20 2000, 10-05 1500, 10-08 8000, 10-10 600 | joins 10-05 regular (class loyal: 3 visits, ¥4500); 10-08's RO lifts it to gold (priced at regular, the next RO at gold); +500 points, redeems WASH 30 (service), MAT 400 (accessory), MUG 60 (gift, reversed 11-02) |
| c2 乙 | 2025-06-01 | 09-01 500, 11-03 1000 | joins 10-12 regular (general) |
| c3 丙 | 2023-01-01 | 05-20 800, 10-28 400 | joins 10-20 stored, regular, tops up ¥1000 (at risk) |
| c4 丁 | - | - | joins 10-25 annual (unknown: no car) |
| c5 戊 | 2025-10-25 | 10-18 2000 | joined 2025-10-08 gold; renews 2026-10-01 (due 10-08), which moves it down to regular (nothing spent in the window); free wash ¥50 10-18; referral 10-03 sold 10-25 |
| c6 己 | - | - | joined 2025-10-15; due 2026-10-15, not renewed |
| c7 庚 | - | - | joined 2025-10-20; left 2026-03-01 (not due) |
| c8 辛 | - | - | joined 2025-09-10; due 2026-09-10, renewed 2026-10-20 in grace |
| c9 壬 | 2025-11-05 | 10-06 300, 10-09 900 cancelled | pitched 10-06 declined, 10-20 considering |
| c10 癸 | 2025-11-15 | 10-14 700, 10-30 500 | pitched 10-14 not now |

October: new members 4 (loyal, general, at risk, unknown); in force on 10-31: c1 c2 c3
c4 c5 c8 = 6; joined ever 8; renewals due c5 c6 = 2, renewed 1 (50%); insurance due
4, renewed 2 (50%); referrals 1 made, 2 sold (one referred in September).
Insurance policies 商业险 (:data:`POLICIES`): due in October c1 (10-12, sold by us, renewed
with us, ¥3,300), c3 (10-03, renewed elsewhere with 平安产险), c2 (10-20) and c5 (10-25)
not renewed; the new car's first policy ends in 2027, the sold car's before it ran out
is not due: 4 due, 2 renewed (50%), 1 with us (25%); premium sold in October ¥3,300
(c1's renewal starts 10-13) plus the new car's ¥4,000 (starts 10-10) = ¥7,300.
Fees: 2025-09 300; 2025-10 900; 2026-10 c1 c2 c4 300 each + renewals c5 c8 300 each = 1500.
Discounts in October: c1 1500x2% = 30, 8000x2% = 160 (the RO that lifted the tier, at
the tier it found), 600x5% = 30; c5 (regular since the renewal) 2000x2% = 40; c3 400x2%
= 8: 268. Costs in October: after-sales 268 + 50 = 318, accessories 30 + 400 = 430, club
60 + gift ¥200 = 260: 1008. Income 1500 + sponsor 1000 = 2500. Opening 1200 (the 2025
fees), closing 1200 + 2500 - 1008 = 2692. November to the 22nd: c2's 1000x2% = 20, the
MUG reversal -60: costs -40, closing 2732.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import select

from store import benefits, clock, members, points
from store.access import SYSTEM, Actor
from store.club_ledger import add_entry
from store.db import in_transaction, write_session
from store.models import (CallLog, CatalogItem, Customer, InsurancePolicy, Pitch, Staff, Store, Tier, TierBenefit,
                          Vehicle, Visit)
from store.staff import hash_pin

TODAY = date(2026, 11, 22)
D = date.fromisoformat


@dataclass
class Shop:
    store_id: int
    other_store_id: int
    staff: dict[str, int] = field(default_factory=dict)  # code -> id
    customers: dict[str, int] = field(default_factory=dict)  # c1.. -> id
    manager: Actor | None = None


# (number, car, insurer, start, end, premium yuan, sold by the store)
POLICIES = [
    ("PC1-2025", "c1", "人保财险", "2025-10-13", "2026-10-12", 3200, True),
    ("PC1-2026", "c1", "人保财险", "2026-10-13", "2027-10-12", 3300, True),
    ("PC3-2025", "c3", "平安产险", "2025-10-04", "2026-10-03", 2600, False),
    ("PC3-2026", "c3", "平安产险", "2026-10-04", "2027-10-03", 2700, False),
    ("PC2-2025", "c2", "太平洋产险", "2025-10-21", "2026-10-20", 2500, False),
    ("PC5-2025", "c5", "人保财险", "2025-10-26", "2026-10-25", 2400, False),
    ("PNEW-2026", "new", "人保财险", "2026-10-10", "2027-10-10", 4000, True),
    ("PSOLD-2025", "sold", "人保财险", "2025-10-06", "2026-10-05", 2000, False),
]


def _customer(s, store: Store, name: str, car: tuple[date, date | None] | None = None,
              visits: list[tuple[str, int]] = (), cancelled: list[tuple[str, int]] = (),
              model: str = "轩逸") -> tuple[int, int | None]:
    c = Customer(store_id=store.id, name=name, phone="13800000000")
    s.add(c)
    s.flush()
    if car is None:
        return c.id, None
    bought, insurance = car
    v = Vehicle(store_id=store.id, customer_id=c.id, plate=f"粤A{c.id:05d}", purchase_date=bought,
                insurance_expiry=insurance, model=model)
    s.add(v)
    s.flush()
    for i, (day, yuan) in enumerate(visits):
        s.add(Visit(store_id=store.id, vehicle_id=v.id, ro_number=f"RO{c.id}-{i}", date_in=D(day), settled_on=D(day),
                    total_fen=yuan * 100, repair_type="maintenance", sa_name="王伟"))
    for i, (day, yuan) in enumerate(cancelled):
        s.add(Visit(store_id=store.id, vehicle_id=v.id, ro_number=f"RX{c.id}-{i}", date_in=D(day), settled_on=D(day),
                    total_fen=yuan * 100, repair_type="repair", status="cancelled"))
    s.flush()
    return c.id, v.id


def on(day: str, engine, fn):
    clock.set_today(D(day))
    try:
        return in_transaction(engine, fn)
    finally:
        clock.set_today(TODAY)


def make_month(engine) -> Shop:
    with write_session(engine) as s:
        store = Store(code="S01", name="测试店")
        other = Store(code="S02", name="二店")
        s.add(store)
        s.add(other)
        s.flush()
        s.add(Tier(store_id=store.id, code="regular", name="普卡", rank=1, min_single_spend_fen=200_000,
                   discount_pct=98))
        s.add(Tier(store_id=store.id, code="gold", name="金卡", rank=2, min_single_spend_fen=800_000,
                   min_cumulative_spend_fen=800_000, discount_pct=95, points_multiplier_pct=120))
        for tier in ("regular", "gold"):  # a free wash 免费洗车 at ¥50, four a membership year
            s.add(TierBenefit(store_id=store.id, tier_code=tier, code="WASH", name="免费洗车", kind="service", quota=4,
                              price_fen=5_000))
        for code, name, cat, pts in [("WASH", "精致洗车", "service", 30), ("MAT", "原厂脚垫", "accessory", 400),
                                     ("MUG", "保温杯", "gift", 60)]:
            s.add(CatalogItem(store_id=store.id, code=code, name=name, category=cat, price_points=pts))
        shop = Shop(store.id, other.id)
        for code, name, role in [("M01", "周建国", "manager"), ("SA01", "王伟", "sa"), ("SA02", "李娜", "sa"),
                                 ("CA01", "黄磊", "ca")]:
            st = Staff(store_id=store.id, code=code, name=name, role=role, pin_hash=hash_pin("1234"))
            s.add(st)
            s.flush()
            shop.staff[code] = st.id
        shop.manager = Actor(shop.staff["M01"], "周建国", "manager", store.id)
        cars = {
            "c1": ("甲", (D("2024-01-01"), D("2027-10-12")),
                   [("2026-08-15", 1000), ("2026-09-20", 2000), ("2026-10-05", 1500), ("2026-10-08", 8000),
                    ("2026-10-10", 600)]),
            "c2": ("乙", (D("2025-06-01"), D("2026-10-20")), [("2026-09-01", 500), ("2026-11-03", 1000)]),
            "c3": ("丙", (D("2023-01-01"), D("2027-10-03")), [("2026-05-20", 800), ("2026-10-28", 400)]),
            "c4": ("丁", None, []),
            "c5": ("戊", (D("2025-10-25"), D("2026-10-25")), [("2026-10-18", 2000)]),
            "c6": ("己", None, []),
            "c7": ("庚", None, []),
            "c8": ("辛", None, []),
            "c9": ("壬", (D("2025-11-05"), D("2026-11-05")), [("2026-10-06", 300)]),
            "c10": ("癸", (D("2025-11-15"), D("2026-11-15")), [("2026-10-14", 700), ("2026-10-30", 500)]),
        }
        car_of = {}
        for key, (name, car, visits) in cars.items():
            cancelled = [("2026-10-09", 900)] if key == "c9" else []
            model = {"c1": "天籁", "c3": "奇骏", "c9": "奇骏"}.get(key, "轩逸")
            shop.customers[key], car_of[key] = _customer(s, store, name, car, visits, cancelled, model)
        # Not renewals: a new car's first policy, and a car sold before its policy ran out.
        _, car_of["new"] = _customer(s, store, "新车", (D("2026-10-10"), D("2027-10-10")))
        sold_id, car_of["sold"] = _customer(s, store, "卖车", (D("2020-01-01"), D("2026-10-05")))
        s.get(Vehicle, car_of["sold"]).sold_on = D("2026-09-01")
        for number, key, insurer, start, end, premium, here in POLICIES:
            s.add(InsurancePolicy(store_id=store.id, vehicle_id=car_of[key], policy_number=number, insurer=insurer,
                                  kind="commercial", start_on=D(start), end_on=D(end), premium_fen=premium * 100,
                                  sold_by_store=here))
        _customer(s, other, "二店客户", (D("2024-01-01"), None), [("2026-10-02", 500)])
    c = shop.customers
    m = shop.manager

    def join(key, scheme="annual", tier="regular", **kw):
        return lambda s: members.join(s, customer_id=c[key], scheme=scheme, tier_code=tier, actor=m, key=key, **kw)

    on("2025-09-10", engine, join("c8"))
    on("2025-10-08", engine, join("c5", tier="gold"))
    on("2025-10-15", engine, join("c6"))
    on("2025-10-20", engine, join("c7"))
    on("2026-03-01", engine, lambda s: members.leave(s, customer_id=c["c7"], actor=m, reason="搬家"))
    on("2026-10-01", engine, lambda s: members.renew(s, customer_id=c["c5"], actor=m, key="r5"))
    on("2026-10-05", engine, join("c1"))
    on("2026-10-06", engine, lambda s: points.adjust(s, customer_id=c["c1"], points=500, reason="开卡赠送", actor=m,
                                                     key="a1"))
    on("2026-10-06", engine, lambda s: points.redeem(s, customer_id=c["c1"], item_code="WASH", key="w1", actor=m))
    on("2026-10-07", engine, lambda s: points.redeem(s, customer_id=c["c1"], item_code="MAT", key="m1", actor=m))

    def upgrade(s):
        mem = members.current_membership(s, customer_id=c["c1"])
        visit = s.exec(select(Visit).where(Visit.ro_number == f"RO{c['c1']}-3")).one()
        assert members.review_tier_after_visit(s, membership=mem, visit=visit, actor=m) == "gold"

    on("2026-10-08", engine, upgrade)
    mug = on("2026-10-09", engine, lambda s: points.redeem(s, customer_id=c["c1"], item_code="MUG", key="g1", actor=m))
    on("2026-10-12", engine, join("c2"))
    on("2026-10-15", engine, lambda s: add_entry(s, store_id=shop.store_id, kind="cost", category="gift",
                                                 amount_fen=20_000, actor=m, note="车主讲堂礼品", key="e1"))
    on("2026-10-18", engine, lambda s: benefits.use_benefit(s, customer_id=c["c5"], benefit="WASH", actor=m,
                                                            key="b1"))
    on("2026-10-20", engine, join("c3", scheme="stored", topup_fen=100_000))
    on("2026-10-20", engine, lambda s: members.renew(s, customer_id=c["c8"], actor=m, key="r8"))
    on("2026-10-20", engine, lambda s: add_entry(s, store_id=shop.store_id, kind="income", category="sponsor",
                                                 amount_fen=100_000, actor=m, note="保险公司赞助", key="e2"))
    on("2026-10-25", engine, join("c4"))
    on("2026-11-02", engine, lambda s: points.reverse_entry(s, entry_id=mug.entry_id, reason="退回", actor=m))
    # Referrals: one made in September and sold on 10-02, one made on 10-03 and sold on 10-25.
    ref1 = on("2026-09-15", engine, lambda s: points.record_referral(s, referrer_customer_id=c["c5"], friend_name="朋友甲", actor=SYSTEM).id)
    on("2026-10-02", engine, lambda s: points.reward_referral(s, referral_id=ref1, sold_on=D("2026-10-02"), actor=m))
    ref2 = on("2026-10-03", engine, lambda s: points.record_referral(s, referrer_customer_id=c["c5"], friend_name="朋友乙", actor=SYSTEM).id)
    on("2026-10-25", engine, lambda s: points.reward_referral(s, referral_id=ref2, sold_on=D("2026-10-25"), actor=m))
    with write_session(engine) as s:
        pitches = [  # staff, customer, day, outcome, channel
            ("SA01", "c1", "2026-10-05", "joined", "counter"), ("SA01", "c9", "2026-10-06", "declined", "counter"),
            ("SA01", "c9", "2026-10-20", "considering", "counter"), ("SA02", "c2", "2026-10-12", "joined", "counter"),
            ("SA02", "c10", "2026-10-14", "not_now", "counter"), ("CA01", "c3", "2026-10-20", "joined", "delivery"),
            ("SA01", "c10", "2026-09-28", "declined", "counter"),
        ]
        for code, key, day, outcome, channel in pitches:
            st = s.get(Staff, shop.staff[code])
            s.add(Pitch(store_id=shop.store_id, customer_id=c[key], staff_id=st.id, staff_name=st.name,
                        channel=channel, outcome=outcome, pitched_at=datetime.fromisoformat(f"{day} 10:30:00")))
        for code, key, at in [("SA02", "c9", "2026-10-07 09:00:00"), ("SA02", "c10", "2026-10-21 15:00:00"),
                              ("SA01", "c2", "2026-10-31 17:59:00"), ("SA01", "c2", "2026-11-01 09:00:00")]:
            s.add(CallLog(store_id=shop.store_id, customer_id=c[key], staff_id=shop.staff[code],
                          at=datetime.fromisoformat(at), outcome="booked"))
    return shop

