"""The care calendar 客户关怀: who to contact on a day, why, and who owns the call.

Triggers (every number a store setting, ``care_*`` unless named):

| kind | Chinese | due on |
| --- | --- | --- |
| new_car | 新车7日关怀 | purchase date + 7 days |
| first_maintenance | 首保提醒 | first maintenance due date (:mod:`store.maintenance`) - ``call_due_within_days`` (15) |
| repair_callback | 修后3日回访 | each repair order's settlement (else date in) + 3 days |
| problem_callback | 问题7日回访 | that date + 7 days, when the customer opened a complaint (投诉) on that car (or none named) within those 7 days |
| overdue | 保养逾期 | maintenance due date + 15 and + 30 days, while the car has not come back for it |
| not_returned | 未回厂 | last return (last visit, else purchase) + 3.5, 6, 9 and 12 months (3.5 = 3 calendar months + 15 days), while it stays away |
| birthday | 生日关怀 | the owner's birthday (29 Feb on 28 Feb in other years) |
| insurance | 续保提醒 | ``insurance_expiry`` - 30 days |
| inspection | 年检提醒 | inspection date - 30 days: ``inspection_due`` if recorded, else from the purchase date by the rule for private cars (非营运小微型客车): on-site inspection at 6, 8 and 10 years, then every year (``inspection_*`` settings) |
| warranty | 保修到期提醒 | warranty end (recorded, else purchase + the model's or store's warranty months) - 30 days |
| complaint_confirm | 投诉处理回访 | the day a complaint is resolved (made by :mod:`store.complaints`, not by a trigger here); never held back by the contact cap |
| event_invite | 活动邀约 | the day a club event's invitation list is written (made by :mod:`store.events`), for the catch-up days |

Holiday greetings are not generated (they go out as bulk messages, not calls).

How a day's list is made (:func:`care_tasks_for`):

1. Every trigger whose date falls in the last ``care_catch_up_days`` (7) up to the
   day (an insurance or inspection reminder whose date passed earlier, while the
   expiry is still ahead: as of the first day it is seen) becomes a :class:`~store.models.CareTask` with a unique key per occurrence
   (``repair_callback:visit:812``, ``overdue15:v:77:2026-10-01``...). The insert
   skips keys already there, so a task done or dismissed is never made again.
2. Open tasks whose reason has gone (the car came back, was maintained, was sold,
   the owner asked not to be contacted) are closed as ``void``.
3. Open tasks due in that window are merged into ONE contact per customer, with one
   owner: the SA the customer's car is adopted to (客户领养), else the SA of their
   latest visit.
4. A customer already contacted ``contact_cap_per_period`` times (2) in the last
   ``contact_cap_period_days`` (30) (call log rows of every kind) is held back, and
   comes up again when the cap allows (within the window).

``CareTask.reason`` holds the reason in Chinese and English, split by ``" | "``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import polars as pl
from sqlalchemy import func, or_, select
from sqlmodel import Session

from store.access import Actor, require, require_customer_access
from store.clock import now, today
from store.classes import classified
from store.dates import add_months, anniversary
from store.frames import query_frame
from store.maintenance import maintenance_due_all
from store.models import Adoption, CallLog, CareTask, Complaint, Customer, Staff, Vehicle, Visit
from store.privacy import mask_phone
from store.settings import get_settings

KINDS: dict[str, tuple[str, str]] = {
    "new_car": ("新车7日关怀", "new car care call"),
    "first_maintenance": ("首保提醒", "first maintenance reminder"),
    "repair_callback": ("修后3日回访", "after-service callback"),
    "problem_callback": ("问题7日回访", "callback on a reported problem"),
    "overdue": ("保养逾期", "maintenance overdue"),
    "not_returned": ("未回厂", "not returned"),
    "birthday": ("生日关怀", "birthday"),
    "insurance": ("续保提醒", "insurance renewal"),
    "inspection": ("年检提醒", "annual inspection"),
    "warranty": ("保修到期提醒", "warranty expiry"),
    "complaint_confirm": ("投诉处理回访", "complaint follow-up"),
    "event_invite": ("活动邀约", "event invitation"),
}
# Kinds the contact cap never holds back: a customer who complained is called to
# confirm the handling however often the store has called them.
CAP_EXEMPT = frozenset({"complaint_confirm"})
KIND_ORDER = {k: i for i, k in enumerate(
    ["complaint_confirm", "problem_callback", "repair_callback", "overdue", "first_maintenance", "not_returned", "new_car",
     "insurance", "inspection", "warranty", "birthday", "event_invite"])}
REASON_SEP = " | "
CLOSED = {"done", "dismissed", "void"}
# Kinds whose reason lapses when the car comes back (checked on every run).
LAPSING = ("first_maintenance", "overdue", "not_returned")


class TaskError(ValueError):
    pass


@dataclass
class TaskLine:
    id: int
    kind: str
    key: str
    reason_zh: str
    reason_en: str
    due_on: date
    status: str
    customer_id: int
    vehicle_id: int | None
    plate: str | None
    owner_staff_id: int | None

    @property
    def reason(self) -> str:
        return self.reason_zh

    @property
    def kind_zh(self) -> str:
        return KINDS.get(self.kind, (self.kind,))[0]

    def as_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "reason": self.reason_zh, "reason_en": self.reason_en,
                "due_on": self.due_on.isoformat(), "status": self.status, "vehicle_id": self.vehicle_id,
                "plate": self.plate, "key": self.key}


@dataclass
class CareContact:
    """One call to one customer, covering every reason due."""

    customer_id: int
    customer_name: str
    phone: str | None  # masked
    owner_staff_id: int | None
    owner_name: str | None
    tasks: list[TaskLine]
    contacts_in_period: int
    held_back: bool = False

    @property
    def task_ids(self) -> list[int]:
        return [t.id for t in self.tasks]

    @property
    def reasons_zh(self) -> list[str]:
        return [t.reason_zh for t in self.tasks]

    @property
    def reasons_en(self) -> list[str]:
        return [t.reason_en for t in self.tasks]

    def as_dict(self) -> dict:
        return {
            "customer_id": self.customer_id, "customer": self.customer_name, "phone": self.phone,
            "owner": self.owner_name, "owner_staff_id": self.owner_staff_id,
            "task_ids": self.task_ids, "kinds": [t.kind for t in self.tasks],
            "plates": sorted({t.plate for t in self.tasks if t.plate}),
            "reasons": self.reasons_zh, "reasons_en": self.reasons_en,
            "due_on": min(t.due_on for t in self.tasks).isoformat(),
            "contacts_in_period": self.contacts_in_period, "held_back": self.held_back,
        }


@dataclass
class CareDay:
    day: date
    store_id: int
    contacts: list[CareContact] = field(default_factory=list)
    held_back: list[CareContact] = field(default_factory=list)
    created: int = 0
    voided: int = 0
    cap: int = 0
    cap_days: int = 0

    def as_dict(self) -> dict:
        return {"date": self.day.isoformat(), "store_id": self.store_id, "created": self.created,
                "voided": self.voided, "contact_cap": {"contacts": self.cap, "days": self.cap_days},
                "contacts": [c.as_dict() for c in self.contacts],
                "held_back": [c.as_dict() for c in self.held_back]}


# --- triggers ---------------------------------------------------------------------


@dataclass
class _Candidate:
    key: str
    kind: str
    customer_id: int
    vehicle_id: int | None
    due_on: date
    zh: str
    en: str


def _months_label(m: float) -> str:
    return f"{m:g}"


def _add_fraction_months(day: date, months: float) -> date:
    whole = int(months)
    # Half a month is 15 days: 3.5 months = 3 calendar months + 15 days.
    return add_months(day, whole) + timedelta(days=round((months - whole) * 30))


def inspection_dates(purchase: date, rules: dict, until: date) -> list[date]:
    """Annual inspection dates 年检 of a private car from its purchase (registration)
    date: at ``inspection_first_year`` (6), then every ``inspection_every_years`` (2)
    up to ``inspection_yearly_after`` (10), then yearly."""
    first, every, yearly = (int(rules["inspection_first_year"]), int(rules["inspection_every_years"]),
                            int(rules["inspection_yearly_after"]))
    out, year = [], first
    while True:
        d = anniversary(purchase, purchase.year + year)
        if d > until:
            return out
        out.append(d)
        year += every if year < yearly else 1


def next_inspection(due: date | None, purchase: date | None, rules: dict, as_of: date
                    ) -> tuple[date | None, str | None]:
    """(the car's annual inspection date, where it comes from): ``imported`` when the
    DMS export (年检到期日) or a person recorded it, else ``computed`` from the
    purchase (registration) date by :func:`inspection_dates`: the first one on or
    after ``as_of``; (None, None) without either."""
    if due is not None:
        return due, "imported"
    if purchase is None:
        return None, None
    until = max(as_of, purchase) + timedelta(days=366 * (int(rules["inspection_first_year"]) + 1))
    ahead = [d for d in inspection_dates(purchase, rules, until) if d >= as_of]
    return (ahead[0], "computed") if ahead else (None, None)


def _warranty_end(v: dict, rules: dict) -> date | None:
    """The last day in warranty."""
    if v["warranty_end"] is not None:
        return v["warranty_end"]
    if v["purchase_date"] is None:
        return None
    months = (rules.get("warranty_months_by_model") or {}).get(v["model"] or "", rules["warranty_months"])
    return add_months(v["purchase_date"], int(months)) - timedelta(days=1)


_VEH_SCHEMA = {
    "vehicle_id": pl.Int64, "customer_id": pl.Int64, "plate": pl.String, "model": pl.String,
    "purchase_date": pl.Date, "warranty_end": pl.Date, "insurance_expiry": pl.Date, "inspection_due": pl.Date,
    "sold_on": pl.Date,
}


def _candidates(session: Session, store_id: int, day: date, rules: dict) -> tuple[list[_Candidate], set[str], set[int]]:
    """Every trigger with a date in the catch-up window; the keys of lapsing kinds that
    still hold; and the contactable vehicles."""
    catch_up = int(rules["care_catch_up_days"])
    start = day - timedelta(days=catch_up)

    def in_window(d: date | None) -> bool:
        return d is not None and start <= d <= day

    vehicles = query_frame(
        session,
        "SELECT v.id, v.customer_id, v.plate, v.model, v.purchase_date, v.warranty_end, v.insurance_expiry,"
        " v.inspection_due, v.sold_on FROM vehicle v JOIN customer c ON c.id = v.customer_id"
        " WHERE v.store_id = :s AND c.do_not_contact = :f AND (v.sold_on IS NULL OR v.sold_on > :d)"
        " AND (v.purchase_date IS NULL OR v.purchase_date <= :d)",
        {"s": store_id, "d": day, "f": False}, _VEH_SCHEMA,
    )
    vrows = {r["vehicle_id"]: r for r in vehicles.iter_rows(named=True)}
    classes = classified(session, as_of=day, store_ids=[store_id]).select("vehicle_id", "since", "last_visit", "in_park")
    dues = maintenance_due_all(session, as_of=day, store_ids=[store_id]).select("vehicle_id", "kind", "due_on")
    out: list[_Candidate] = []
    still: set[str] = set()

    def add(key, kind, cid, vid, due, zh, en, ahead: date | None = None):
        # A reminder whose date passed before the data arrived (a car imported on
        # 12-04 whose insurance ends 12-20: its reminder date, 11-20, is past the
        # catch-up window) is due the first day it is seen, while ``ahead`` (the
        # expiry it warns of) has not passed; its key makes it once.
        if due is not None and due < start and ahead is not None and ahead >= day:
            due = day
        if in_window(due):
            label_zh, label_en = KINDS[kind]
            out.append(_Candidate(key, kind, cid, vid, due, f"{label_zh}：{zh}", f"{label_en}: {en}"))

    for r in dues.iter_rows(named=True):
        v = vrows.get(r["vehicle_id"])
        if v is None or r["due_on"] is None:
            continue
        vid, cid, due = v["vehicle_id"], v["customer_id"], r["due_on"]
        if r["kind"] == "first":
            key = f"first_maintenance:v:{vid}"
            still.add(key)
            lead = int(rules["call_due_within_days"])
            add(key, "first_maintenance", cid, vid, due - timedelta(days=lead),
                f"首保应于 {due} 到期", f"first maintenance due {due}")
        for n in rules["care_overdue_days"]:
            key = f"overdue{int(n)}:v:{vid}:{due}"
            still.add(key)
            add(key, "overdue", cid, vid, due + timedelta(days=int(n)),
                f"保养应于 {due} 到期，已逾期 {int(n)} 天", f"maintenance due {due}, {int(n)} days overdue")

    for r in classes.filter(pl.col("in_park")).iter_rows(named=True):
        v = vrows.get(r["vehicle_id"])
        if v is None or r["since"] is None:
            continue
        since, vid = r["since"], v["vehicle_id"]
        came = r["last_visit"] is not None and r["last_visit"] >= since
        for m in rules["care_absent_months"]:
            key = f"absent{_months_label(float(m))}:v:{vid}:{since}"
            still.add(key)
            what_zh = f"最近来店 {since}" if came else f"购车（{since}）后未回厂"
            what_en = f"last visit {since}" if came else f"no visit since purchase on {since}"
            add(key, "not_returned", v["customer_id"], vid, _add_fraction_months(since, float(m)),
                f"{_months_label(float(m))} 个月未回厂（{what_zh}）", f"away {_months_label(float(m))} months ({what_en})")

    for v in vrows.values():
        vid, cid, purchase = v["vehicle_id"], v["customer_id"], v["purchase_date"]
        if purchase is not None:
            add(f"new_car:v:{vid}", "new_car", cid, vid, purchase + timedelta(days=int(rules["care_new_car_days"])),
                f"{purchase} 购车", f"bought {purchase}")
        if v["insurance_expiry"] is not None:
            exp = v["insurance_expiry"]
            add(f"insurance:v:{vid}:{exp}", "insurance", cid, vid,
                exp - timedelta(days=int(rules["care_insurance_days_before"])),
                f"保险 {exp} 到期", f"insurance expires {exp}", ahead=exp)
        lead = int(rules["care_inspection_days_before"])
        if v["inspection_due"] is not None:
            insp = [v["inspection_due"]]
        elif purchase is not None:
            insp = [d for d in inspection_dates(purchase, rules, day + timedelta(days=lead))
                    if d - timedelta(days=lead) >= start or d >= day]
        else:
            insp = []
        for d in insp:
            add(f"inspection:v:{vid}:{d}", "inspection", cid, vid, d - timedelta(days=lead),
                f"年检 {d} 到期", f"annual inspection due {d}", ahead=d)
        end = _warranty_end(v, rules)
        if end is not None:
            add(f"warranty:v:{vid}:{end}", "warranty", cid, vid,
                end - timedelta(days=int(rules["care_warranty_days_before"])),
                f"保修 {end} 到期", f"warranty ends {end}")

    # After-service callbacks: repair orders settled in the window (less the lead).
    cb_days, pr_days = int(rules["care_repair_callback_days"]), int(rules["care_problem_callback_days"])
    types = list(rules["care_repair_callback_types"])
    since_day = start - timedelta(days=max(cb_days, pr_days))
    visits = session.execute(
        select(Visit.id, Visit.vehicle_id, Visit.ro_number, Visit.date_in, Visit.settled_on, Visit.repair_type)
        .where(Visit.store_id == store_id, Visit.status != "cancelled", Visit.repair_type.in_(types),
               func.coalesce(Visit.settled_on, Visit.date_in) >= since_day,
               func.coalesce(Visit.settled_on, Visit.date_in) <= day)
    ).all()
    complaints = defaultdict(list)
    for cid, vid, opened in session.execute(
        select(Complaint.customer_id, Complaint.vehicle_id, Complaint.opened_on)
        .where(Complaint.store_id == store_id, Complaint.opened_on >= since_day, Complaint.opened_on <= day)
    ):
        complaints[cid].append((vid, opened))
    for x in visits:
        v = vrows.get(x.vehicle_id)
        if v is None:
            continue
        base = x.settled_on or x.date_in
        add(f"repair_callback:visit:{x.id}", "repair_callback", v["customer_id"], x.vehicle_id,
            base + timedelta(days=cb_days), f"{base} 工单 {x.ro_number}", f"repair order {x.ro_number} of {base}")
        if any(cvid in (None, x.vehicle_id) and base <= opened <= base + timedelta(days=pr_days)
               for cvid, opened in complaints.get(v["customer_id"], [])):
            add(f"problem_callback:visit:{x.id}", "problem_callback", v["customer_id"], x.vehicle_id,
                base + timedelta(days=pr_days), f"{base} 工单 {x.ro_number} 后客户反映问题",
                f"a problem reported after repair order {x.ro_number} of {base}")

    # Birthdays: owners with a car still in the park here, not asking to be left alone.
    owners = {v["customer_id"] for v in vrows.values()}
    if owners:
        for cid, bday in session.execute(
            select(Customer.id, Customer.birthday).where(Customer.store_id == store_id, Customer.birthday.is_not(None),
                                                         Customer.do_not_contact.is_(False))
        ):
            if cid not in owners:
                continue
            for year in {start.year, day.year}:
                d = anniversary(bday, year)
                add(f"birthday:c:{cid}:{year}", "birthday", cid, None, d, f"{d:%m-%d} 生日", f"birthday {d:%m-%d}")
    return out, still, set(vrows)


def _insert_ignoring_existing(session: Session, rows: list[dict]) -> int:
    """Insert tasks whose key is new; a key already there (done, dismissed or open)
    is left as it is, also when another counter inserts it at the same moment."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    # Most keys exist after the first run of a day: skip them before building the insert.
    existing: set[str] = set()
    keys = [r["key"] for r in rows]
    for i in range(0, len(keys), 1000):
        existing.update(session.execute(select(CareTask.key).where(CareTask.key.in_(keys[i:i + 1000]))).scalars())
    rows = [r for r in rows if r["key"] not in existing]
    created = 0
    for i in range(0, len(rows), 500):
        stmt = (insert(CareTask.__table__).values(rows[i:i + 500]).on_conflict_do_nothing(index_elements=["key"])
                .returning(CareTask.__table__.c.id))
        created += len(session.connection().execute(stmt).all())
    return created


# --- owners -------------------------------------------------------------------------


def owners_for(session: Session, *, store_id: int, customer_ids: list[int], day: date) -> dict[int, tuple[int | None, str | None]]:
    """One owner per customer: the SA a car of theirs is adopted to on ``day``, else
    the SA named on their latest visit (matched to a staff member by name)."""
    if not customer_ids:
        return {}
    out: dict[int, tuple[int | None, str | None]] = {}
    ids = list(customer_ids)
    for i in range(0, len(ids), 1000):
        chunk = ids[i:i + 1000]
        for cid, sid, name in session.execute(
            select(Vehicle.customer_id, Staff.id, Staff.name)
            .join(Adoption, Adoption.vehicle_id == Vehicle.id).join(Staff, Staff.id == Adoption.staff_id)
            .where(Vehicle.customer_id.in_(chunk), Adoption.started_on <= day,
                   (Adoption.ended_on.is_(None)) | (Adoption.ended_on > day))
            .order_by(Adoption.started_on)
        ):
            out[cid] = (sid, name)
        rest = [c for c in chunk if c not in out]
        if not rest:
            continue
        latest: dict[int, tuple] = {}
        for cid, d, vid_id, sa in session.execute(
            select(Vehicle.customer_id, Visit.date_in, Visit.id, Visit.sa_name)
            .join(Visit, Visit.vehicle_id == Vehicle.id)
            .where(Vehicle.customer_id.in_(rest), Visit.status != "cancelled", Visit.date_in <= day,
                   Visit.sa_name.is_not(None))
        ):
            if cid not in latest or (d, vid_id) > latest[cid][:2]:
                latest[cid] = (d, vid_id, sa)
        names = {sa for _, _, sa in latest.values()}
        staff = dict(session.execute(
            select(Staff.name, Staff.id).where(Staff.name.in_(names), Staff.store_id == store_id, Staff.active.is_(True))
        ).all()) if names else {}
        for cid, (_, _, sa) in latest.items():
            out[cid] = (staff.get(sa), sa)
    return out


# --- the day's list -----------------------------------------------------------------


def _split(reason: str) -> tuple[str, str]:
    zh, _, en = reason.partition(REASON_SEP)
    return zh, en or zh


# How many days after it fell due a reminder is still worth a call; the others stay
# for ``care_catch_up_days``. A 3-day after-service callback made ten days later is
# no callback: it leaves the lists after its last useful day.
USEFUL_DAYS = {"repair_callback": 2, "problem_callback": 3, "birthday": 3}


def still_useful(kind: str, due_on: date, day: date, catch_up: int) -> bool:
    return due_on <= day <= due_on + timedelta(days=USEFUL_DAYS.get(kind, catch_up))


def task_words(t: CareTask, day: date) -> tuple[str, str]:
    """(zh, en) of a task as of ``day``: an overdue-maintenance reminder says how late
    the car is *now* (the one count of :func:`store.maintenance.days_overdue`, as the
    call list and the profile say it), not on the day the reminder was made."""
    zh, en = _split(t.reason)
    if t.kind == "overdue":
        due_text = t.key.rsplit(":", 1)[-1]
        try:
            due = date.fromisoformat(due_text)
        except ValueError:
            return zh, en
        from store.maintenance import days_overdue

        late = days_overdue(due, day)
        label_zh, label_en = KINDS["overdue"]
        zh = f"{label_zh}：保养应于 {due} 到期，已逾期 {late} 天"
        en = f"{label_en}: maintenance due {due}, {late} days overdue"
    return zh, en


def _line(t: CareTask, plate: str | None, day: date | None = None) -> TaskLine:
    zh, en = task_words(t, day) if day is not None else _split(t.reason)
    return TaskLine(t.id, t.kind, t.key, zh, en, t.due_on, t.status, t.customer_id, t.vehicle_id, plate,
                    t.owner_staff_id)


def _lapsing(key: str) -> bool:
    return key.startswith(("first_maintenance:", "overdue", "absent"))


def care_tasks_for(session: Session, *, date: date, store_id: int, actor: Actor) -> CareDay:
    """Make the day's tasks (once per trigger occurrence) and list them as one
    contact per customer, within the contact cap. Writes: run it in a write session."""
    require(actor, "customers.read", store_id)
    require_customer_access(actor, store_id)
    day = date
    rules = get_settings(session, store_id=store_id)
    catch_up = int(rules["care_catch_up_days"])
    start = day - timedelta(days=catch_up)
    candidates, still, contactable = _candidates(session, store_id, day, rules)
    owners = owners_for(session, store_id=store_id, customer_ids=list({c.customer_id for c in candidates}), day=day)
    rows = [
        {"store_id": store_id, "customer_id": c.customer_id, "vehicle_id": c.vehicle_id, "key": c.key[:120],
         "kind": c.kind, "reason": (c.zh + REASON_SEP + c.en)[:255], "due_on": c.due_on,
         "owner_staff_id": owners.get(c.customer_id, (None, None))[0], "status": "open", "attempts": 0}
        for c in candidates
    ]
    result = CareDay(day=day, store_id=store_id, cap=int(rules["contact_cap_per_period"]),
                     cap_days=int(rules["contact_cap_period_days"]))
    result.created = _insert_ignoring_existing(session, rows)

    open_tasks = session.execute(
        select(CareTask, Vehicle.plate, Customer.do_not_contact, Vehicle.sold_on)
        .join(Customer, Customer.id == CareTask.customer_id)
        .join(Vehicle, Vehicle.id == CareTask.vehicle_id, isouter=True)
        .where(CareTask.store_id == store_id, CareTask.status == "open", CareTask.due_on >= start,
               CareTask.due_on <= day)
    ).all()
    keep: list[tuple[CareTask, str | None]] = []
    for task, plate, dnc, sold_on in open_tasks:
        gone = dnc or (sold_on is not None and sold_on <= day) or (
            task.vehicle_id is not None and task.vehicle_id not in contactable) or (
            _lapsing(task.key) and task.key not in still)
        if gone:
            task.status, task.closed_at = "void", now()
            session.add(task)
            result.voided += 1
        elif (task.next_attempt_on is None or task.next_attempt_on <= day) and \
                still_useful(task.kind, task.due_on, day, catch_up):
            keep.append((task, plate))
    session.flush()

    by_customer: dict[int, list[TaskLine]] = defaultdict(list)
    for task, plate in keep:
        by_customer[task.customer_id].append(_line(task, plate, day))
    if not by_customer:
        return result
    cids = list(by_customer)
    owners = owners_for(session, store_id=store_id, customer_ids=cids, day=day)
    period_start = datetime.combine(day - timedelta(days=result.cap_days - 1), datetime.min.time())
    period_end = datetime.combine(day + timedelta(days=1), datetime.min.time())
    contacted: dict[int, int] = {}
    people: dict[int, tuple[str, str | None]] = {}
    for i in range(0, len(cids), 1000):
        chunk = cids[i:i + 1000]
        contacted.update(session.execute(
            select(CallLog.customer_id, func.count()).where(
                CallLog.customer_id.in_(chunk), CallLog.at >= period_start, CallLog.at < period_end,
                # the retries of one unanswered attempt are one contact (see store.calls)
                or_(CallLog.outcome != "no_answer", CallLog.attempt <= 1))
            .group_by(CallLog.customer_id)
        ).all())
        people.update({cid: (name, phone) for cid, name, phone in session.execute(
            select(Customer.id, Customer.name, Customer.phone).where(Customer.id.in_(chunk)))})
    for cid, tasks in by_customer.items():
        tasks.sort(key=lambda t: (KIND_ORDER.get(t.kind, 99), t.due_on, t.id))
        owner_id, owner_name = owners.get(cid, (None, None))
        name, phone = people[cid]
        n = contacted.get(cid, 0)
        contact = CareContact(cid, name, mask_phone(phone), owner_id, owner_name, tasks, n,
                              held_back=n >= result.cap and not any(t.kind in CAP_EXEMPT for t in tasks))
        (result.held_back if contact.held_back else result.contacts).append(contact)
    order = lambda c: (c.owner_name or "\uffff", min(t.due_on for t in c.tasks), c.customer_id)  # noqa: E731
    result.contacts.sort(key=order)
    result.held_back.sort(key=order)
    return result


def close_task(session: Session, task_id: int, status: str, actor: Actor, *, merged: bool = True,
               log_contact: bool = True, note: str | None = None) -> list[int]:
    """Close a task as ``done`` (the customer was contacted) or ``dismissed``. With
    ``merged`` the customer's other open tasks due by then close with it: they were
    one contact. ``done`` logs the contact (one CallLog row), which the cap counts;
    pass ``log_contact=False`` when the caller logs its own call. Returns the ids closed."""
    require(actor, "care.work")
    if status not in ("done", "dismissed"):
        raise TaskError(f"a task closes as done or dismissed, not {status!r}")
    task = session.get(CareTask, task_id)
    if task is None:
        raise TaskError(f"no care task {task_id}")
    if task.status != "open":
        raise TaskError(f"task {task_id} is already {task.status}")
    tasks = [task]
    if merged:
        rules = get_settings(session, store_id=task.store_id)
        # The contact as it was listed: every open task of the customer due by today
        # and within the catch-up days before this task (not before today: a list
        # worked days later still closes what it showed together).
        until = max(task.due_on, today())
        since = task.due_on - timedelta(days=int(rules["care_catch_up_days"]))
        tasks += session.execute(
            select(CareTask).where(
                CareTask.customer_id == task.customer_id, CareTask.store_id == task.store_id,
                CareTask.status == "open", CareTask.id != task.id, CareTask.due_on <= until,
                CareTask.due_on >= since)
        ).scalars().all()
    at = now()
    for t in tasks:
        t.status, t.closed_at = status, at
        session.add(t)
    if status == "done" and log_contact:
        session.add(CallLog(store_id=task.store_id, customer_id=task.customer_id, vehicle_id=task.vehicle_id,
                            task_id=task.id, staff_id=actor.staff_id, at=at, channel="phone", outcome="reached",
                            reason=", ".join(sorted({t.kind for t in tasks}))[:255], note=note))
    from store.audit import record

    record(session, actor, f"care_{status}", "caretask", task.id, customer_id=task.customer_id,
           store_id=task.store_id, detail={"tasks": [t.id for t in tasks], "note": note})
    session.flush()
    return [t.id for t in tasks]


def due_task_ids(session: Session, customer_id: int) -> list[int]:
    """The customer's open care tasks due by today: a call to them covers them all."""
    return list(session.execute(select(CareTask.id).where(
        CareTask.customer_id == customer_id, CareTask.status == "open", CareTask.due_on <= today())).scalars())


def open_tasks_for_customer(session: Session, customer_id: int) -> list[TaskLine]:
    """The customer's open care tasks that are still worth a call, soonest first (the
    profile shows them, worded as of today)."""
    rows = session.execute(
        select(CareTask, Vehicle.plate).join(Vehicle, Vehicle.id == CareTask.vehicle_id, isouter=True)
        .where(CareTask.customer_id == customer_id, CareTask.status == "open")
        .order_by(CareTask.due_on, CareTask.id)
    ).all()
    day = today()
    catch_up = int(get_settings(session, store_id=rows[0][0].store_id)["care_catch_up_days"]) if rows else 0
    return [_line(t, plate, day) for t, plate in rows
            if t.due_on > day or still_useful(t.kind, t.due_on, day, catch_up)]
