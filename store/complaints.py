"""Complaints 投诉处理: logged in seconds, owned, answered and resolved on time, every
step a row.

| code | Chinese | |
| --- | --- | --- |
| repair_quality | 维修质量 | category |
| attitude | 服务态度 | category |
| price | 价格 | category |
| waiting | 等待时间 | category |
| parts | 配件 | category |
| other | 其他 | category |
| normal / severe | 一般 / 严重 | severity |
| counter / phone / callback / online | 前台 / 电话 / 回访 / 网上 | channel |
| new → handling → resolved → closed | 新 → 处理中 → 已解决 → 已关闭 | status |

Who owns a complaint: a severe one the store's manager; else the SA the car (or,
with no car named, any of the customer's cars) is adopted to; else whoever received
it if they serve customers; else the manager. The deadlines come from the store's
settings: an answer within ``complaint_respond_hours`` of logging, a resolution
within ``complaint_resolve_days`` (the care course's 修后7日解决: seven days).

Steps: ``handle`` (new → handling, the first answer), ``note`` (any time before it
is closed), ``resolve`` (what was done), ``reopen`` (resolved → handling: the
customer is not satisfied), ``close`` (resolved only: an unresolved complaint is
never closed). Each writes a :class:`~store.models.ComplaintStep` and an audit row.
Resolving puts a confirmation call on the owner's call list (``complaint_confirm``,
see :func:`store.calls.log_call`): reached, satisfied closes it, not satisfied
reopens it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlmodel import Session

from store import audit, clock
from store.access import Actor, AccessDenied, require, require_for_customer
from store.models import Adoption, Complaint, ComplaintStep, Customer, Staff, Vehicle, Visit
from store.plates import normalize_plate
from store.settings import get_setting
from store.validation import FieldError, clean_text

CATEGORIES = {
    "repair_quality": ("维修质量", "repair quality"),
    "attitude": ("服务态度", "attitude"),
    "price": ("价格", "price"),
    "waiting": ("等待时间", "waiting"),
    "parts": ("配件", "parts"),
    "other": ("其他", "other"),
}
SEVERITIES = {"normal": ("一般", "normal"), "severe": ("严重", "severe")}
CHANNELS = {"counter": ("前台", "counter"), "phone": ("电话", "phone"), "callback": ("回访", "callback"),
            "online": ("网上", "online")}
STATUSES = {"new": ("新", "new"), "handling": ("处理中", "handling"), "resolved": ("已解决", "resolved"),
            "closed": ("已关闭", "closed")}
OPEN = ("new", "handling")  # still to be resolved: the profile's one thing to do, the overdue list

# Which status each step leaves a complaint in, and the statuses it may come from.
STEPS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "handle": (("new",), "handling"),
    "note": (("new", "handling", "resolved"), None),
    "resolve": (("new", "handling"), "resolved"),
    "reopen": (("resolved",), "handling"),
    "close": (("resolved",), "closed"),
}
TEXT_MAX = 500


@dataclass
class ComplaintLine:
    id: int
    customer_id: int
    customer: str
    vehicle_id: int | None
    plate: str | None
    ro_number: str | None
    category: str
    severity: str
    channel: str
    status: str
    summary: str
    opened_at: datetime
    owner: str | None
    owner_id: int | None
    respond_by: datetime | None
    resolve_by: date | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    overdue: bool  # past its answer or resolution deadline, still open

    def as_dict(self) -> dict:
        return {k: (v.isoformat(sep=" ", timespec="minutes") if isinstance(v, datetime)
                    else v.isoformat() if isinstance(v, date) else v) for k, v in self.__dict__.items()}


@dataclass
class StepLine:
    at: datetime
    step: str
    staff: str | None
    note: str


def _choice(value: str, choices: dict, field: str) -> str:
    code = (value or "").strip().lower()
    for key, (zh, en) in choices.items():
        if code in (key, zh, en):
            return key
    raise FieldError(field, f"{value!r} is not one of {', '.join(choices)}")


def store_manager_id(session: Session, store_id: int) -> int | None:
    """The store's (first active) manager: owner of severe complaints and low scores."""
    return session.execute(
        select(Staff.id).where(Staff.store_id == store_id, Staff.role == "manager", Staff.active.is_(True))
        .order_by(Staff.id)).scalars().first()


def _owner(session: Session, *, store_id: int, customer_id: int, vehicle_id: int | None, severity: str,
           received_by: Actor) -> int | None:
    manager = store_manager_id(session, store_id)
    if severity == "severe":
        return manager
    cars = [vehicle_id] if vehicle_id else list(session.execute(
        select(Vehicle.id).where(Vehicle.customer_id == customer_id).order_by(Vehicle.id)).scalars())
    if cars:
        sa = session.execute(
            select(Adoption.staff_id).join(Staff, Staff.id == Adoption.staff_id)
            .where(Adoption.vehicle_id.in_(cars), Adoption.ended_on.is_(None), Staff.active.is_(True))
            .order_by(Adoption.started_on)).scalars().first()
        if sa is not None:
            return sa
    if received_by.staff_id is not None and received_by.role in ("sa", "member"):
        return received_by.staff_id
    return manager


def log_complaint(session: Session, *, actor: Actor, customer_id: int, category: str, text: str,
                  severity: str = "normal", channel: str = "counter", vehicle_id: int | None = None,
                  ro_number: str | None = None, plate: str | None = None,
                  owner_id: int | None = None) -> ComplaintLine:
    """Log a complaint as the acting staff member received it; its owner and deadlines
    are set here. Refused with one line naming the field: empty text, an unknown
    category, severity or channel, a car or RO of someone else."""
    customer = require_for_customer(session, actor, "complaints.log", customer_id)
    summary = clean_text(text, field="text", max_len=TEXT_MAX, required=True)
    category = _choice(category, CATEGORIES, "category")
    severity = _choice(severity, SEVERITIES, "severity")
    channel = _choice(channel, CHANNELS, "channel")
    if vehicle_id is not None:
        car = session.get(Vehicle, vehicle_id)
        if car is None or car.customer_id != customer.id:
            raise FieldError("car", "is not this customer's car")
    if vehicle_id is None:
        # The car whose plate named the customer; else a customer's only car.
        cars = list(session.execute(select(Vehicle.id, Vehicle.plate).where(Vehicle.customer_id == customer.id)))
        typed = normalize_plate(plate) if plate else ""
        named = [vid for vid, p in cars if typed and len(typed) >= 4 and (p or "").endswith(typed)]
        vehicle_id = named[0] if len(named) == 1 else (cars[0][0] if len(cars) == 1 else None)
    ro = clean_text(ro_number, field="RO", max_len=40) if ro_number else None
    if ro:
        visit = session.execute(select(Visit).where(Visit.store_id == customer.store_id, Visit.ro_number == ro)
                                ).scalars().first()
        if visit is None or (vehicle_id is not None and visit.vehicle_id != vehicle_id):
            raise FieldError("RO", f"{ro!r} is not a repair order of this car in this store")
        vehicle_id = vehicle_id or visit.vehicle_id
    at = clock.now()
    hours = int(get_setting(session, "complaint_respond_hours", store_id=customer.store_id))
    days = int(get_setting(session, "complaint_resolve_days", store_id=customer.store_id))
    complaint = Complaint(
        store_id=customer.store_id, customer_id=customer.id, vehicle_id=vehicle_id, ro_number=ro,
        opened_on=at.date(), opened_at=at, summary=summary, status="new", category=category, severity=severity,
        channel=channel, received_by_id=actor.staff_id,
        owner_id=owner_id or _owner(session, store_id=customer.store_id, customer_id=customer.id,
                                    vehicle_id=vehicle_id, severity=severity, received_by=actor),
        respond_by=at + timedelta(hours=hours), resolve_by=at.date() + timedelta(days=days))
    session.add(complaint)
    session.flush()
    session.add(ComplaintStep(complaint_id=complaint.id, at=at, staff_id=actor.staff_id, step="opened", note=summary))
    audit.record(session, actor, "complaint.log", "complaint", complaint.id, customer_id=customer.id,
                 store_id=customer.store_id, detail={"category": category, "severity": severity})
    session.flush()
    return _lines(session, [complaint.id])[0]


def _may_handle(actor: Actor, complaint: Complaint) -> None:
    require(actor, "complaints.log", complaint.store_id)
    if actor.role in ("system", "manager", "member") or actor.staff_id == complaint.owner_id:
        return
    raise AccessDenied("only the complaint's owner, a member specialist or the manager may handle it")


def complaint_step(session: Session, *, actor: Actor, complaint_id: int, step: str, note: str = "",
                   points: int = 0, money_fen: int = 0, benefit: str | None = None) -> ComplaintLine:
    """Take one step of the handling (see the module's table); ``resolve`` needs a
    note of what was done. A step the status does not allow is one line, nothing written.

    Compensation goes with ``resolve``, through the rules of where it lands: ``points``
    an adjustment on the customer's points ledger (store.points, a member specialist's
    or manager's right), ``money_fen`` a cost of the club's accounts under after-sales
    (store.club_ledger, the same rights), ``benefit`` a free service as a use of one of
    the member's tier benefits (store.benefits: its quota and rights); each keyed by
    the complaint's step, so a retried transaction never pays twice."""
    complaint = session.get(Complaint, complaint_id, with_for_update=True)
    if complaint is None:
        raise FieldError("complaint", f"no complaint {complaint_id}")
    _may_handle(actor, complaint)
    if step not in STEPS:
        raise FieldError("step", f"{step!r} is not one of {', '.join(STEPS)}")
    allowed, after = STEPS[step]
    if complaint.status not in allowed:
        words = {"close": "only a resolved complaint is closed: resolve it first",
                 "reopen": "only a resolved complaint is reopened"}
        raise FieldError("status", f"complaint {complaint_id} is {complaint.status}: "
                         + words.get(step, f"{step} needs it {' or '.join(allowed)}"))
    text = clean_text(note, field="note", max_len=TEXT_MAX) or ""
    if step in ("resolve", "note", "reopen") and not text:
        raise FieldError("note", {"resolve": "say what was done", "reopen": "say why the customer is not satisfied",
                                  "note": "is empty"}[step])
    if (points or money_fen or benefit) and step != "resolve":
        raise FieldError("compensation", "goes with resolve")
    if money_fen < 0:
        raise FieldError("money", "is not negative")
    at = clock.now()
    if complaint.first_response_at is None and step != "close":
        complaint.first_response_at = at
    if after is not None:
        complaint.status = after
    if step == "resolve":
        complaint.resolved_at = at
        _schedule_confirmation(session, complaint, at.date())
    if step == "reopen":
        complaint.resolved_at = None
    if step == "close":
        complaint.closed_on = at.date()
    paid = []
    if points or money_fen or benefit:
        n = session.execute(select(func.count()).select_from(ComplaintStep).where(
            ComplaintStep.complaint_id == complaint.id)).scalar_one()
        key = f"complaint:{complaint.id}:{n}"
        if points:
            from store.points import adjust

            adjust(session, customer_id=complaint.customer_id, points=points, actor=actor, key=key,
                   reason=f"投诉补偿 #{complaint.id}")
            paid.append(f"积分 {points:+d}")
        if money_fen:
            from store.club_ledger import add_entry

            add_entry(session, store_id=complaint.store_id, kind="cost", category="other", amount_fen=money_fen,
                      actor=actor, department="aftersales", note=f"投诉补偿 #{complaint.id}", key=key)
            paid.append(f"¥{money_fen / 100:,.2f}")
        if benefit:
            from store.benefits import BenefitError, use_benefit

            try:
                used = use_benefit(session, customer_id=complaint.customer_id, benefit=benefit, actor=actor, key=key)
            except BenefitError as exc:
                raise FieldError("benefit", str(exc)) from None
            paid.append(f"权益 {used.line.name}")
    if paid:
        text = (text + "；" if text else "") + "补偿：" + "，".join(paid)
    session.add(ComplaintStep(complaint_id=complaint.id, at=at, staff_id=actor.staff_id,
                              step={"handle": "handling", "resolve": "resolved", "reopen": "reopened",
                                    "close": "closed"}.get(step, step), note=text[:TEXT_MAX]))
    audit.record(session, actor, f"complaint.{step}", "complaint", complaint.id, customer_id=complaint.customer_id,
                 store_id=complaint.store_id)
    session.flush()
    return _lines(session, [complaint.id])[0]


def _schedule_confirmation(session: Session, complaint: Complaint, day: date) -> None:
    """A resolved complaint gets its confirmation call 投诉处理回访 on the owner's call
    list from today (a care task merged into the customer's one contact, never held
    back by the contact cap; do-not-contact still holds). Each resolution its own."""
    from store.care import REASON_SEP
    from store.models import CareTask

    n = session.execute(select(func.count()).select_from(ComplaintStep).where(
        ComplaintStep.complaint_id == complaint.id, ComplaintStep.step == "resolved")).scalar_one()
    words = complaint.summary[:60]
    session.add(CareTask(
        store_id=complaint.store_id, customer_id=complaint.customer_id, vehicle_id=complaint.vehicle_id,
        key=f"complaint_confirm:{complaint.id}:{n + 1}", kind="complaint_confirm",
        reason=(f"投诉处理回访：{words}，客户满意吗？" + REASON_SEP
                + f"complaint follow-up: is the customer satisfied with how “{words}” was handled?")[:255],
        due_on=day, owner_staff_id=complaint.owner_id, status="open"))


def _lines(session: Session, ids: list[int], *, at: datetime | None = None) -> list[ComplaintLine]:
    at = at or clock.now()
    owner = select(Staff.name).where(Staff.id == Complaint.owner_id).scalar_subquery()
    plate = select(Vehicle.plate).where(Vehicle.id == Complaint.vehicle_id).scalar_subquery()
    rows = session.execute(
        select(Complaint, Customer.name, plate.label("plate"), owner.label("owner"))
        .join(Customer, Customer.id == Complaint.customer_id).where(Complaint.id.in_(ids))).all()
    by_id = {}
    for c, customer, plate_, owner_ in rows:
        late = c.status in OPEN and (
            (c.first_response_at is None and c.respond_by is not None and at > c.respond_by)
            or (c.resolve_by is not None and at.date() > c.resolve_by))
        by_id[c.id] = ComplaintLine(
            id=c.id, customer_id=c.customer_id, customer=customer, vehicle_id=c.vehicle_id, plate=plate_, ro_number=c.ro_number,
            category=c.category, severity=c.severity, channel=c.channel, status=c.status, summary=c.summary,
            opened_at=c.opened_at or datetime.combine(c.opened_on, datetime.min.time()), owner=owner_,
            owner_id=c.owner_id, respond_by=c.respond_by, resolve_by=c.resolve_by,
            first_response_at=c.first_response_at, resolved_at=c.resolved_at, overdue=late)
    return [by_id[i] for i in ids if i in by_id]


def list_complaints(session: Session, *, actor: Actor, store_id: int, status: str = "open",
                    overdue_only: bool = False, limit: int = 500) -> list[ComplaintLine]:
    """The store's complaints by due time (the resolution deadline, then the answer's):
    the manager and the member specialist see the store's, an SA or CA their own
    (owned or received). ``status``: open (new and handling), resolved, closed, all."""
    require(actor, "complaints.log", store_id)
    wanted = {"open": OPEN, "resolved": ("resolved",), "closed": ("closed",), "all": tuple(STATUSES)}.get(status)
    if wanted is None:
        raise FieldError("status", f"{status!r} is not one of open, resolved, closed, all")
    stmt = select(Complaint.id).where(Complaint.store_id == store_id, Complaint.status.in_(wanted))
    if actor.role in ("sa", "ca"):
        stmt = stmt.where(or_(Complaint.owner_id == actor.staff_id, Complaint.received_by_id == actor.staff_id))
    stmt = stmt.order_by(func.coalesce(Complaint.resolve_by, Complaint.opened_on), Complaint.respond_by,
                         Complaint.id).limit(limit)
    lines = _lines(session, list(session.execute(stmt).scalars()))
    return [c for c in lines if c.overdue] if overdue_only else lines


def complaint_steps(session: Session, *, actor: Actor, complaint_id: int) -> tuple[ComplaintLine, list[StepLine]]:
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        raise FieldError("complaint", f"no complaint {complaint_id}")
    require_for_customer(session, actor, "complaints.log", complaint.customer_id)
    if actor.role in ("sa", "ca") and actor.staff_id not in (complaint.owner_id, complaint.received_by_id):
        raise AccessDenied("this complaint is another staff member's: ask the manager")
    steps = [StepLine(at, step, name, note) for at, step, name, note in session.execute(
        select(ComplaintStep.at, ComplaintStep.step, Staff.name, ComplaintStep.note)
        .outerjoin(Staff, Staff.id == ComplaintStep.staff_id)
        .where(ComplaintStep.complaint_id == complaint_id).order_by(ComplaintStep.at, ComplaintStep.id))]
    return _lines(session, [complaint_id])[0], steps
