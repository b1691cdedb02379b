"""A believable demo store, and the same generator at group scale for benchmarks.

A Nissan-style 4S store in Guangzhou: owners with Chinese names and phones, cars
bought over the last eight years, two to three years of visits at plausible
intervals and amounts (first maintenance, periodic maintenance, repairs, insurance
jobs, accessories), some customers slipping away, several SAs, members with
points, pitches. Streamed in batches, so 1,000,000 vehicles and 10,000,000 visits
never sit in memory at once. Then the club's history for the monthly reports: each
membership's join and yearly renewals, the pitch that signed recent members up,
sales consultants' pitches at delivery, referrals, birthday gifts and the club's own
costs (its own random stream, so the cars and visits above stay as they were); and
each car's insurance policies 商业险 of the last two years (again its own stream): the
policy that ran out in the last year and, where the owner renewed and the store
knows of it, the one running now, sold by the store (本店出单) or elsewhere.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine

from store import clock
from store.bulk import bulk_insert, fix_sequences, next_ids, refresh_statistics
from store.lookup import terms_for
from store.models import (
    BenefitUse,
    CatalogItem,
    ClubEntry,
    Customer,
    InsurancePolicy,
    Membership,
    MembershipEvent,
    Pitch,
    PointsAccount,
    PointsEntry,
    Referral,
    SearchTerm,
    Staff,
    Store,
    Tier,
    TierBenefit,
    Vehicle,
    Visit,
)
from store.staff import hash_pin

DEMO_STORE_CODE = "GZ01"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英",
    "霞", "平", "刚", "桂英", "志强", "建华", "晓明", "海燕", "文", "斌", "宇", "浩", "凯", "鹏", "晨", "欣怡",
    "子涵", "雨轩", "俊杰", "梓萱", "嘉欣", "家豪", "伟强", "丽华", "国庆", "建国", "小红", "晓燕", "志明", "婷",
]
MODELS = [  # (model, share, price band in yuan for a periodic maintenance)
    ("轩逸", 30, (380, 700)),
    ("天籁", 12, (600, 1100)),
    ("奇骏", 14, (550, 1000)),
    ("逍客", 16, (450, 850)),
    ("楼兰", 5, (800, 1400)),
    ("蓝鸟", 8, (380, 650)),
    ("骐达", 9, (350, 600)),
    ("艾睿雅", 6, (300, 500)),
]
REGIONS = [("天河区", 40), ("番禺区", 20), ("白云区", 15), ("增城区", 12), ("从化区", 6), ("花都区", 7)]
COLOURS = ["白", "黑", "银", "灰", "红", "蓝"]
PHONE_PREFIXES = ["138", "139", "135", "136", "137", "150", "151", "158", "159", "186", "187", "188", "189", "177", "133"]
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"

DEMO_STAFF = [  # code, name, role, pin
    ("M01", "周建国", "manager", "8888"),
    ("SA01", "王伟", "sa", "1111"),
    ("SA02", "李娜", "sa", "2222"),
    ("SA03", "张敏", "sa", "3333"),
    ("SA04", "刘洋", "sa", "4444"),
    ("SA05", "陈静", "sa", "5555"),
    ("CA01", "黄磊", "ca", "6666"),
    ("MS01", "林小红", "member", "7777"),
    ("GA01", "郑志明", "analyst", "9999"),
]
TIERS = [  # code, name, rank, single spend yuan, cumulative yuan, discount %, points multiplier %
    ("regular", "普卡", 1, 2000, None, 98, 100),
    ("gold", "金卡", 2, 8000, 8000, 95, 120),
    ("diamond", "钻石卡", 3, 20000, 20000, 90, 150),
]
# Tier benefits 会员权益: tier, code, name, kind, quota per membership year (None: unlimited), list price yuan.
BENEFITS = [
    ("regular", "WASH", "免费洗车", "service", 4, 30),
    ("regular", "BIRTHDAY", "生日礼品", "gift", 1, 50),
    ("gold", "WASH", "免费洗车", "service", 6, 30),
    ("gold", "ALIGN", "四轮定位", "service", 1, 200),
    ("gold", "BIRTHDAY", "生日礼品", "gift", 1, 100),
    ("gold", "TOW", "道路救援", "service", 1, 300),
    ("diamond", "WASH", "免费洗车", "service", 12, 30),
    ("diamond", "ALIGN", "四轮定位", "service", 2, 200),
    ("diamond", "BIRTHDAY", "生日礼品", "gift", 1, 200),
    ("diamond", "TOW", "道路救援", "service", None, 300),
]
BENEFIT_PRICE = {(t, c): p * 100 for t, c, _, _, _, p in BENEFITS}
CATALOG = [  # code, name, category, points, stock
    ("WASH", "精致洗车", "service", 30, None),
    ("ALIGN", "四轮定位", "service", 120, None),
    ("LABOUR1", "工时费抵扣1小时", "service", 150, None),
    ("AC", "空调清洗", "service", 200, None),
    ("MAT", "原厂脚垫", "accessory", 400, 20),
    ("DASHCAM", "行车记录仪", "accessory", 1200, 5),
    ("UMBRELLA", "品牌雨伞", "gift", 80, 50),
    ("MUG", "保温杯", "gift", 60, 40),
]


@dataclass
class DemoSummary:
    store_id: int
    vehicles: int = 0
    customers: int = 0
    visits: int = 0
    members: int = 0
    pitches: int = 0
    staff: list[tuple[str, str, str, str]] = field(default_factory=list)


def _weighted(rng: random.Random, items: list[tuple]) -> tuple:
    total = sum(i[1] for i in items)
    x = rng.uniform(0, total)
    for item in items:
        x -= item[1]
        if x <= 0:
            return item
    return items[-1]


def _fen(rng: random.Random, low: int, high: int) -> int:
    """An amount in fen, rounded to whole yuan as workshop bills are."""
    return rng.randint(low, high) * 100


def _plate(rng: random.Random, used: set[str]) -> str:
    while True:
        if rng.random() < 0.08:  # new energy, small car: 粤AD12345
            plate = "粤A" + rng.choice("DF") + rng.choice(PLATE_LETTERS + "0123456789") + f"{rng.randint(0, 9999):04d}"
        else:
            tail = [rng.choice("0123456789") for _ in range(5)]
            if rng.random() < 0.5:
                tail[rng.randint(0, 1)] = rng.choice(PLATE_LETTERS)
            plate = "粤" + rng.choice("AAAAABCDEFGHJKLMNPQRST") + "".join(tail)
        if plate not in used:
            used.add(plate)
            return plate


def _vin(rng: random.Random, n: int) -> str:
    # WMI of a Chinese-built car, then filler, then a serial that is unique per vehicle.
    body = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(6))
    return f"LGB{body}{n:08d}"[:17]


def generate(
    engine: Engine,
    *,
    vehicles: int = 2000,
    seed: int = 7,
    today: date | None = None,
    batch: int = 5000,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Write a demo store with ``vehicles`` vehicles (and ~10 visits each at scale).

    ``progress(done, total)`` is called with the vehicles written after each batch of
    ``batch`` (the last call, ``done == total``, when everything is written); the
    batch size changes nothing in the store a seed makes. Refuses to run twice on
    one database: a demo store already there is left alone.
    """
    rng = random.Random(seed)
    today = today or clock.today()
    with engine.begin() as conn:
        if conn.execute(select(Store.id).where(Store.code == DEMO_STORE_CODE)).first():
            raise ValueError(f"the demo store {DEMO_STORE_CODE} is already in this database")
        store_id = conn.execute(
            Store.__table__.insert().values(code=DEMO_STORE_CODE, name="广州天河东风日产4S店", region="广州", group_name="粤港汽车集团")
        ).inserted_primary_key[0]
        staff_rows = []
        sid = next_ids(conn, Staff.__table__)
        for i, (code, name, role, pin) in enumerate(DEMO_STAFF):
            staff_rows.append(
                {"id": sid + i, "store_id": store_id, "code": code, "name": name, "role": role,
                 "pin_hash": hash_pin(pin), "failed_attempts": 0, "active": True, "created_at": datetime.now()}
            )
        bulk_insert(conn, Staff.__table__, staff_rows)
        bulk_insert(conn, Tier.__table__, [
            {"store_id": store_id, "code": c, "name": n, "rank": r, "min_single_spend_fen": s * 100,
             "min_cumulative_spend_fen": cum * 100 if cum else None, "discount_pct": d, "points_multiplier_pct": m}
            for c, n, r, s, cum, d, m in TIERS
        ])
        bulk_insert(conn, TierBenefit.__table__, [
            {"store_id": store_id, "tier_code": t, "code": c, "name": n, "kind": k, "quota": q, "price_fen": p * 100,
             "active": True} for t, c, n, k, q, p in BENEFITS
        ])
        bulk_insert(conn, CatalogItem.__table__, [
            {"store_id": store_id, "code": c, "name": n, "category": cat, "price_points": p, "stock": st, "active": True}
            for c, n, cat, p, st in CATALOG
        ])
        ids = {t: next_ids(conn, t.__table__) for t in (Customer, Vehicle, Visit, Membership, PointsAccount, PointsEntry, Pitch)}
        # Demo redemptions are catalog items priced at exactly the points they spend.
        ids["catalog"] = {p: i for i, p in conn.execute(select(CatalogItem.id, CatalogItem.price_points).where(
            CatalogItem.store_id == store_id, CatalogItem.code.in_(["WASH", "MUG", "UMBRELLA", "ALIGN"]))).all()}
    sas = [(r["id"], r["name"]) for r in staff_rows if r["role"] == "sa"]
    ca = next(r for r in staff_rows if r["role"] == "ca")
    summary = DemoSummary(store_id=store_id, staff=[(c, n, r, p) for c, n, r, p in DEMO_STAFF])
    used_plates: set[str] = set()
    members_seen: set[int] = set()
    ro_serial = 0

    done = 0
    customer = None  # carried across batches: the store is the same whatever the batch size
    while done < vehicles:
        n = min(batch, vehicles - done)
        rows: dict[str, list[dict]] = {k: [] for k in ("cust", "veh", "visit", "mem", "acct", "pts", "pitch", "term")}
        for i in range(n):
            serial = done + i
            # One customer in eight owns a second car.
            if customer is None or rng.random() > 0.12:
                name = rng.choice(SURNAMES) + rng.choice(GIVEN)
                birthday = date(rng.randint(1960, 2000), rng.randint(1, 12), rng.randint(1, 28))
                customer = {
                    "id": ids[Customer], "store_id": store_id, "name": name,
                    "gender": rng.choice(["男", "男", "女"]), "birthday": birthday,
                    "phone": rng.choice(PHONE_PREFIXES) + f"{rng.randint(0, 99999999):08d}",
                    "region": _weighted(rng, REGIONS)[0], "do_not_contact": rng.random() < 0.01,
                    "created_at": datetime.now(), "updated_at": datetime.now(),
                }
                ids[Customer] += 1
                rows["cust"].append(customer)
            model, _, (m_low, m_high) = _weighted(rng, MODELS)
            age_days = int(rng.triangular(5, 8 * 365, 2 * 365))
            purchase = today - timedelta(days=age_days)
            plate = _plate(rng, used_plates)
            vin = _vin(rng, serial + 1) if rng.random() > 0.03 else None
            vehicle_id = ids[Vehicle]
            ids[Vehicle] += 1
            km_per_month = rng.randint(600, 2500)
            leave_on = purchase + timedelta(days=_leave_age_days(rng))  # the day this owner stops coming
            visits = []
            day = purchase + timedelta(days=rng.randint(80, 120))  # first maintenance ~3 months
            horizon = today - timedelta(days=rng.randint(730, 1095))  # history starts 2-3 years back
            first = True
            while day <= today:
                if day >= horizon or first:
                    kind_roll = rng.random()
                    if first:
                        rtype, raw = "first_maintenance", "首保"
                    elif kind_roll < 0.62:
                        rtype, raw = "maintenance", "定期保养"
                    elif kind_roll < 0.80:
                        rtype, raw = "repair", "一般维修"
                    elif kind_roll < 0.86:
                        rtype, raw = "warranty", "索赔"
                    elif kind_roll < 0.93:
                        rtype, raw = "insurance", "保险维修"
                    elif kind_roll < 0.97:
                        rtype, raw = "accessories", "精品加装"
                    else:
                        rtype, raw = "bodywork", "钣喷"
                    labour = parts = oil = acc = 0
                    if rtype in ("first_maintenance", "maintenance"):
                        oil = _fen(rng, m_low // 2, m_high // 2)
                        parts = _fen(rng, 50, m_high // 2)
                        labour = _fen(rng, 80, 200) if rtype == "maintenance" else 0
                    elif rtype == "repair":
                        labour, parts = _fen(rng, 100, 800), _fen(rng, 100, 3000)
                    elif rtype == "warranty":
                        labour = parts = 0
                    elif rtype == "insurance":
                        labour, parts = _fen(rng, 500, 3000), _fen(rng, 1000, 12000)
                    elif rtype == "bodywork":
                        labour, parts = _fen(rng, 300, 1500), _fen(rng, 200, 2000)
                    else:
                        acc = _fen(rng, 300, 4000)
                    months = (day - purchase).days / 30.4
                    ro_serial += 1
                    sa = rng.choice(sas)
                    visits.append({
                        "id": ids[Visit], "store_id": store_id, "vehicle_id": vehicle_id,
                        "ro_number": f"RO{day:%Y%m}{ro_serial:08d}", "date_in": day, "settled_on": day,
                        "repair_type": rtype, "repair_type_raw": raw,
                        "mileage": int(months * km_per_month) + rng.randint(0, 300),
                        "labour_fen": labour, "parts_fen": parts, "oil_fen": oil, "accessories_fen": acc,
                        "total_fen": labour + parts + oil + acc, "sa_name": sa[1], "status": "settled",
                    })
                    ids[Visit] += 1
                first = False
                # Next visit: about every 3.5 months (maintenance, repairs, accessories),
                # until the owner leaves for good.
                day += timedelta(days=int(rng.triangular(45, 150, 90)))
                if day > leave_on:
                    break
            mileage = visits[-1]["mileage"] if visits else None
            rows["visit"].extend(visits)
            rows["veh"].append({
                "id": vehicle_id, "store_id": store_id, "customer_id": customer["id"], "plate": plate,
                "plate_raw": plate if rng.random() > 0.3 else plate[:2] + "·" + plate[2:], "vin": vin,
                "model": model, "colour": rng.choice(COLOURS), "purchase_date": purchase,
                "warranty_end": purchase + timedelta(days=3 * 365), "insurance_expiry": _anniversary(purchase, today),
                "inspection_due": None, "region": customer["region"], "mileage": mileage,
                "selling_dealer": "本店" if rng.random() > 0.15 else "外店", "created_at": datetime.now(),
                "updated_at": datetime.now(),
            })
            for t in terms_for(plate=plate, vin=vin, name=customer["name"], phone=customer["phone"]):
                rows["term"].append({"vehicle_id": vehicle_id, "term": t})
            _member_and_pitches(rng, rows, ids, members_seen, store_id, customer, vehicle_id, visits, purchase, today, sas, ca)
        _write_batch(engine, rows)
        summary.vehicles += len(rows["veh"])
        summary.customers += len(rows["cust"])
        summary.visits += len(rows["visit"])
        summary.members += len(rows["mem"])
        summary.pitches += len(rows["pitch"])
        done += n
        if progress and done < vehicles:  # the last step is reported when all is written
            progress(done, vehicles)
    with engine.begin() as conn:
        fix_sequences(conn, [t.__table__ for t in (Store, Staff, Customer, Vehicle, Visit, Membership,
                                                   PointsAccount, PointsEntry, Pitch, Tier, TierBenefit, CatalogItem,
                                                   SearchTerm)])
    _club_history(engine, store_id=store_id, today=today, seed=seed, sas=sas, ca=ca)
    _insurance_history(engine, store_id=store_id, today=today, seed=seed)
    refresh_statistics(engine, [t.__table__ for t in (Customer, Vehicle, Visit, SearchTerm, PointsEntry, Pitch)])
    if progress:
        progress(vehicles, vehicles)
    return summary


# What a real store looks like (the case study's store): about 10% of the cars in
# warranty have stopped coming back and about half of those out of it; owners come
# about 3.5 times a year. Owners leave mostly when the warranty ends. tests/test_demo
# holds the generated store to these within a tolerance.
DEMO_TARGETS = {"churn_in_warranty": 0.10, "churn_out_of_warranty": 0.50, "visits_per_car_year": 3.5}


def _leave_age_days(rng: random.Random) -> int:
    """The car's age when its owner stops coming: a quarter during the 3-year warranty
    (most of them early), a third within a few years after it (most soon after), the
    rest never."""
    roll = rng.random()
    if roll < 0.25:
        return int(rng.uniform(0.2, 2.5) * 365)
    if roll < 0.61:
        return int((3.0 + rng.expovariate(1 / 1.1)) * 365)
    return 100 * 365


def _anniversary(purchase: date, today: date) -> date:
    """The next yearly anniversary of the purchase: when the insurance runs out."""
    year = today.year
    candidate = date(year, purchase.month, min(purchase.day, 28))
    return candidate if candidate >= today else date(year + 1, purchase.month, min(purchase.day, 28))


def _member_and_pitches(rng, rows, ids, members_seen, store_id, customer, vehicle_id, visits, purchase, today, sas, ca) -> None:
    """About a fifth of owners are members with points; many others were pitched."""
    if customer["id"] in members_seen:
        return
    if visits and rng.random() < 0.22:
        members_seen.add(customer["id"])
        started = visits[0]["date_in"]
        scheme = rng.choice(["annual", "annual", "annual", "stored", "both"])
        spend = sum(v["total_fen"] for v in visits)
        tier = "diamond" if spend >= 2_000_000 else "gold" if spend >= 800_000 else "regular"
        years = max(1, (today - started).days // 365 + 1)
        expires = date(started.year + years, started.month, min(started.day, 28))
        if rng.random() < 0.15:  # some let it lapse
            expires = today - timedelta(days=rng.randint(1, 200))
        rows["mem"].append({
            "id": ids[Membership], "store_id": store_id, "customer_id": customer["id"],
            "number": f"VIP{ids[Membership]:07d}", "scheme": scheme, "tier_code": tier,
            "status": "active" if expires >= today - timedelta(days=90) else "lapsed",
            "started_on": started, "expires_on": expires, "fee_fen": 30000 if scheme != "stored" else 0,
            "stored_value_fen": 0, "created_at": datetime.now(),
        })
        ids[Membership] += 1
        account_id = ids[PointsAccount]
        ids[PointsAccount] += 1
        balance = 0
        multiplier = {"regular": 100, "gold": 120, "diamond": 150}[tier]
        for v in visits:
            pts = v["total_fen"] // 10000 * multiplier // 100
            if pts <= 0:
                continue
            at = datetime.combine(v["date_in"], time(17, 0))
            rows["pts"].append({
                "id": ids[PointsEntry], "account_id": account_id, "kind": "earn", "points": pts, "remaining": pts,
                "idempotency_key": f"earn:visit:{v['id']}", "visit_id": v["id"], "created_at": at,
            })
            ids[PointsEntry] += 1
            balance += pts
        if balance >= 30 and rng.random() < 0.4:
            spend_pts = rng.choice([30, 60, 80, 120])
            if spend_pts <= balance:
                left = spend_pts  # the oldest points are spent first
                for entry in (e for e in rows["pts"] if e["account_id"] == account_id and e["kind"] == "earn"):
                    take = min(left, entry["remaining"])
                    entry["remaining"] -= take
                    left -= take
                rows["pts"].append({
                    "id": ids[PointsEntry], "account_id": account_id, "kind": "redeem", "points": -spend_pts,
                    "remaining": 0, "idempotency_key": f"demo:redeem:{ids[PointsEntry]}",
                    "catalog_item_id": ids["catalog"].get(spend_pts), "quantity": 1,
                    "reason": "积分兑换", "created_at": datetime.combine(visits[-1]["date_in"], time(17, 30)),
                })
                ids[PointsEntry] += 1
                balance -= spend_pts
        rows["acct"].append({"id": account_id, "customer_id": customer["id"], "balance": balance,
                             "updated_at": datetime.now()})
        return
    if visits and rng.random() < 0.35:
        v = rng.choice(visits)
        outcome = rng.choice(["considering", "declined", "not_now", "declined"])
        follow = {"considering": 7, "not_now": 30, "declined": None}[outcome]
        sa_id, sa_name = rng.choice(sas)
        rows["pitch"].append({
            "id": ids[Pitch], "store_id": store_id, "customer_id": customer["id"], "vehicle_id": vehicle_id,
            "staff_id": sa_id, "staff_name": sa_name, "channel": "counter", "outcome": outcome,
            "reason": rng.choice(["价格", "很少来店", "要考虑一下", "外地工作", None]),
            "follow_up_on": v["date_in"] + timedelta(days=follow) if follow else None,
            "pitched_at": datetime.combine(v["date_in"], time(10, 30)),
        })
        ids[Pitch] += 1


def _club_history(engine: Engine, *, store_id: int, today: date, seed: int, sas: list[tuple[int, str]],
                  ca: dict) -> None:
    """The club's past for the monthly reports (KPIs, costs): join and renewal events
    with their fees, the joined pitch of members who signed up in the last two years,
    CA pitches at delivery of the last year's new cars, referrals, birthday gifts of
    gold and diamond members, and the club's monthly activity costs."""
    from store.dates import add_months

    rng = random.Random(seed * 7919 + 1)
    now = datetime.now()
    with engine.begin() as conn:
        members = conn.execute(
            select(Membership.id, Membership.customer_id, Membership.started_on, Membership.expires_on,
                   Membership.scheme, Membership.tier_code, Membership.fee_fen)
            .where(Membership.store_id == store_id).order_by(Membership.id)).all()
        birthdays = dict(conn.execute(select(Customer.id, Customer.birthday).where(Customer.store_id == store_id)).all())
        recent_cars = conn.execute(
            select(Vehicle.id, Vehicle.customer_id, Vehicle.purchase_date)
            .where(Vehicle.store_id == store_id, Vehicle.purchase_date > add_months(today, -12))
            .order_by(Vehicle.id)).all()
        members_of = {m.customer_id for m in members}
        events, pitches, referrals, gifts, entries = [], [], [], [], []
        for m in members:
            expiry = add_months(m.started_on, 12) if m.scheme != "stored" else None
            events.append({"membership_id": m.id, "customer_id": m.customer_id, "kind": "join",
                           "happened_on": m.started_on, "tier_code": m.tier_code, "expires_on": expiry,
                           "fee_fen": m.fee_fen, "idempotency_key": f"demo:join:{m.id}", "created_at": now})
            while expiry is not None and m.expires_on and add_months(expiry, 12) <= add_months(m.expires_on, 1):
                day = min(expiry - timedelta(days=rng.randint(0, 25)), today)
                expiry = add_months(expiry, 12)
                events.append({"membership_id": m.id, "customer_id": m.customer_id, "kind": "renew",
                               "happened_on": day, "tier_code": m.tier_code, "expires_on": expiry, "fee_fen": m.fee_fen,
                               "idempotency_key": f"demo:renew:{m.id}:{day.isoformat()}", "created_at": now})
            if m.started_on > add_months(today, -24):
                sa_id, sa_name = rng.choice(sas)
                pitches.append({"store_id": store_id, "customer_id": m.customer_id, "staff_id": sa_id,
                                "staff_name": sa_name, "channel": "counter", "outcome": "joined",
                                "reason": rng.choice(["折扣优惠", "积分兑换", "免费项目"]),
                                "pitched_at": datetime.combine(m.started_on, time(11, 0))})
            if m.tier_code in ("gold", "diamond") and birthdays.get(m.customer_id):
                bday = birthdays[m.customer_id]
                for year in (today.year - 1, today.year):
                    day = date(year, bday.month, min(bday.day, 28))
                    if m.started_on <= day <= today and day > add_months(today, -12):
                        gifts.append({"membership_id": m.id, "customer_id": m.customer_id, "benefit": "生日礼品",
                                      "benefit_code": "BIRTHDAY", "value_fen": BENEFIT_PRICE[(m.tier_code, "BIRTHDAY")],
                                      "used_on": day, "idempotency_key": f"demo:birthday:{m.id}:{year}",
                                      "created_at": now})
            if rng.random() < 0.04:
                referred = today - timedelta(days=rng.randint(5, 360))
                sold = referred + timedelta(days=rng.randint(7, 40)) if rng.random() < 0.6 else None
                referrals.append({"store_id": store_id, "referrer_customer_id": m.customer_id,
                                  "friend_name": rng.choice(SURNAMES) + rng.choice(GIVEN), "referred_on": referred,
                                  "sold_on": sold if sold and sold <= today else None,
                                  "rewarded": bool(sold and sold <= today)})
        for vehicle_id, customer_id, bought in recent_cars:
            if customer_id in members_of or rng.random() < 0.4:
                continue
            outcome = rng.choice(["joined", "considering", "declined", "not_now", "declined"])
            pitches.append({"store_id": store_id, "customer_id": customer_id, "vehicle_id": vehicle_id,
                            "staff_id": ca["id"], "staff_name": ca["name"], "channel": "delivery", "outcome": outcome,
                            "pitched_at": datetime.combine(bought, time(15, 0)),
                            "follow_up_on": bought + timedelta(days=7) if outcome == "considering" else None})
        month = date(today.year, today.month, 1)
        for back in range(24):
            day = add_months(month, -back) + timedelta(days=rng.randint(5, 20))
            if day > today:
                continue
            entries.append({"store_id": store_id, "day": day, "kind": "cost", "department": "club",
                            "category": "gift", "amount_fen": rng.randint(8, 20) * 10000, "note": "车主讲堂礼品",
                            "idempotency_key": f"demo:club:gift:{day.isoformat()}", "created_at": now})
            if back % 3 == 0:
                entries.append({"store_id": store_id, "day": day, "kind": "income", "department": "club",
                                "category": "sponsor", "amount_fen": rng.randint(10, 30) * 10000,
                                "note": "保险公司赞助", "idempotency_key": f"demo:club:sponsor:{day.isoformat()}",
                                "created_at": now})
        bulk_insert(conn, MembershipEvent.__table__, events)
        bulk_insert(conn, Pitch.__table__, pitches)
        bulk_insert(conn, Referral.__table__, referrals)
        bulk_insert(conn, BenefitUse.__table__, gifts)
        bulk_insert(conn, ClubEntry.__table__, entries)


INSURERS = ("人保财险", "平安产险", "太平洋产险", "国寿财险", "大地保险")


def _insurance_history(engine: Engine, *, store_id: int, today: date, seed: int, batch: int = 20000) -> None:
    """Each car's 商业险 of the last two years (see the module's docstring): a car
    bought within the year has its first policy only, sold by the store 85% of the
    time; an older car the policy that ended in the last year (sold by the store 60%)
    and, renewed, the one running now to its insurance expiry. An owner still coming
    in renews where the store knows of it 80% of the time, one who stopped 20%; a
    renewal is the store's 75% of the time when the store sold the last one, else 30%."""
    from sqlalchemy import func

    from store.dates import add_months

    rng = random.Random(seed * 7919 + 2)
    now = datetime.now()
    last_visit = (select(func.max(Visit.date_in)).where(Visit.vehicle_id == Vehicle.id).correlate(Vehicle)
                  .scalar_subquery())
    with engine.begin() as conn:
        cars = conn.execute(
            select(Vehicle.id, Vehicle.purchase_date, Vehicle.insurance_expiry, last_visit)
            .where(Vehicle.store_id == store_id, Vehicle.insurance_expiry.is_not(None)).order_by(Vehicle.id)).all()
    rows: list[dict] = []

    def policy(vid: int, start: date, end: date, insurer: str, premium_yuan: int, here: bool) -> None:
        rows.append({"store_id": store_id, "vehicle_id": vid, "policy_number": f"PDZA{end:%Y}{vid:09d}",
                     "insurer": insurer, "kind": "commercial", "start_on": start, "end_on": end,
                     "premium_fen": premium_yuan * 100, "sold_by_store": here, "source": "import",
                     "created_at": now, "updated_at": now})

    for vid, purchase, expiry, seen in cars:
        previous_end = add_months(expiry, -12)
        insurer, premium = rng.choice(INSURERS), rng.randint(25, 55) * 100
        if purchase is None or purchase > previous_end:
            policy(vid, purchase or previous_end + timedelta(days=1), expiry, insurer, premium, rng.random() < 0.85)
        else:
            here = rng.random() < 0.6
            policy(vid, add_months(previous_end, -12) + timedelta(days=1), previous_end, insurer, premium, here)
            coming = seen is not None and seen >= previous_end - timedelta(days=180)
            if rng.random() < (0.8 if coming else 0.2):
                renewed_here = rng.random() < (0.75 if here else 0.3)
                if not renewed_here and rng.random() < 0.5:
                    insurer = rng.choice(INSURERS)
                policy(vid, previous_end + timedelta(days=1), expiry, insurer, premium - rng.randint(0, 3) * 100,
                       renewed_here)
        if len(rows) >= batch:
            with engine.begin() as conn:
                bulk_insert(conn, InsurancePolicy.__table__, rows)
            rows = []
    with engine.begin() as conn:
        bulk_insert(conn, InsurancePolicy.__table__, rows)


def _write_batch(engine: Engine, rows: dict[str, list[dict]]) -> None:
    with engine.begin() as conn:
        bulk_insert(conn, Customer.__table__, rows["cust"])
        bulk_insert(conn, Vehicle.__table__, rows["veh"])
        bulk_insert(conn, Visit.__table__, rows["visit"])
        bulk_insert(conn, SearchTerm.__table__, rows["term"])
        bulk_insert(conn, Membership.__table__, rows["mem"])
        bulk_insert(conn, PointsAccount.__table__, rows["acct"])
        bulk_insert(conn, PointsEntry.__table__, rows["pts"])
        bulk_insert(conn, Pitch.__table__, rows["pitch"])
