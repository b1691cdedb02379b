"""The customer profile at the counter 客户档案: who this is, what they are worth,
what happened lately, and the one thing to do now (next best action 当前建议).

:func:`customer_profile` gathers plain dataclasses for a vehicle and its owner.
:func:`next_actions` is the pure rule that turns the facts into an ordered list of
:class:`Action` codes (the screen words them in the user's language):

| order | code | when | e.g. |
| --- | --- | --- | --- |
| 1 | complaint | a complaint 投诉 is open | "open complaint since 10-20: resolve it first" |
| 2 | finish_join | the last pitch says joined, no membership yet | "said yes on 11-20: finish the sign-up" |
| 3 | follow_up | the last pitch says considering 考虑中 (before today) | "considering since 10-03: follow up" |
| 4 | renew | membership expires within 30 days or lapsed within the grace period | "membership ends 12-01: renew" |
| 5 | churned / at_risk | the vehicle's class 客户分类 | "at risk: 4 months since the last visit" |
| 6 | ask_again / pitch / pitch_again | not a member and not quiet | "not a member, never pitched: pitch" |
| 7 | birthday | birthday within the next 7 days | "birthday this week (11-25)" |
| 8 | top_up | stored value below the low-balance setting | |
| 9 | maintenance | maintenance due | |
| 10 | points_expiring | points expiring within 30 days | |
| - | none | nothing pending | |

A declined customer is not nudged for ``pitch_declined_quiet_days``, and nobody is
nudged within ``pitch_recent_days`` of their last pitch.

Sections built by other capabilities (class, maintenance due, care tasks, points
expiring) are read through their modules when present; until a module exists its
section is ``None`` ("not available") rather than an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import import_module
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from store.models import Complaint, Customer, Membership, PointsAccount, Tier, Vehicle, Visit
from store.pitches import PitchLine, PitchRules, PitchWarning, pitch_history, pitch_warning
from store.privacy import mask_phone
from store.settings import get_setting

RENEWAL_REMIND_DAYS = 30
BIRTHDAY_WINDOW_DAYS = 7
POINTS_EXPIRING_WITHIN_DAYS = 30


# --- the profile's parts -----------------------------------------------------


@dataclass
class OwnerInfo:
    customer_id: int
    name: str
    gender: str | None
    birthday: date | None
    phone: str | None  # masked unless the caller may see it
    region: str | None
    preferred_contact_time: str | None
    do_not_contact: bool
    contact_masked: bool = True  # the phone shown is de-identified (PIPL)


@dataclass
class VehicleInfo:
    vehicle_id: int
    plate: str | None
    vin: str | None
    model: str | None
    colour: str | None
    purchase_date: date | None
    warranty_end: date | None
    insurance_expiry: date | None
    mileage: int | None
    region: str | None
    other_plates: list[str] = field(default_factory=list)  # the owner's other cars
    inspection_due: date | None = None  # the next annual inspection 年检
    inspection_source: str | None = None  # imported (from the DMS or entered) | computed (store.care.next_inspection)
    former_plate: str | None = None  # plate moved on 车牌已转出: the plate it had, now on another car
    plate_moved_on: date | None = None


@dataclass
class ClassInfo:
    """The vehicle's class 客户分类 (from :mod:`store.classes`) and why, in both languages."""

    code: str
    label_zh: str | None = None
    label_en: str | None = None
    reason_zh: str | None = None
    reason_en: str | None = None
    months_since_last_visit: int | None = None


@dataclass
class MembershipInfo:
    number: str | None
    tier_code: str | None
    tier_name: str | None
    scheme: str
    status: str  # active | lapsed | left
    started_on: date
    expires_on: date | None
    stored_value_fen: int
    benefits: list = field(default_factory=list)  # store.benefits.BenefitLine: what is left this membership year


@dataclass
class PointsInfo:
    balance: int
    expiring: int | None = None  # None: not known (the points module is not there)
    expiring_by: date | None = None


@dataclass
class VisitLine:
    date_in: date
    ro_number: str
    repair_type: str
    repair_type_raw: str | None
    mileage: int | None
    total_fen: int
    sa_name: str | None


@dataclass
class DueLine:
    """Something due for the car or the customer: maintenance, a care task."""

    kind: str
    text: str | None  # in Chinese, the store's language
    due_on: date | None
    text_en: str | None = None


@dataclass
class ComplaintLine:
    opened_on: date
    summary: str
    status: str


@dataclass
class Action:
    """What to do now, as a code and the facts its words need."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Profile:
    owner: OwnerInfo | None
    vehicle: VehicleInfo
    class_: ClassInfo | None  # None: classes not available
    membership: MembershipInfo | None
    points: PointsInfo
    last_return: date | None  # the last visit, else the purchase date
    visits: list[VisitLine]
    maintenance: list[DueLine] | None  # None: not available
    tasks: list[DueLine] | None  # None: not available
    complaints: list[ComplaintLine]
    pitches: list[PitchLine]
    pitch_warning: PitchWarning | None
    actions: list[Action]
    pitch_rules: PitchRules | None = None  # the store's, for the pitch form's defaults
    scores: list = field(default_factory=list)  # the latest callbacks' satisfaction (store.satisfaction.ScoreLine)
    interests: list = field(default_factory=list)  # 兴趣爱好 (store.interests.InterestChoice)
    events: list = field(default_factory=list)  # club events signed up for, from today on (store.events.CustomerEvent)

    @property
    def action(self) -> Action:
        return self.actions[0]

    @property
    def is_member(self) -> bool:
        return self.membership is not None and self.membership.status == "active"


# --- the rule ------------------------------------------------------------------


@dataclass
class Facts:
    """What :func:`next_actions` looks at: plain values, easy to build in a test."""

    is_member: bool = False
    membership_status: str | None = None  # active | lapsed | left
    membership_scheme: str | None = None
    membership_expires_on: date | None = None
    stored_value_fen: int = 0
    last_pitch: PitchLine | None = None
    class_code: str | None = None
    last_return: date | None = None
    months_since_return: int | None = None  # as the class rule counted them
    birthday: date | None = None
    open_complaints: list[ComplaintLine] = field(default_factory=list)
    maintenance: list[DueLine] = field(default_factory=list)
    points_expiring: int | None = None
    points_expiring_by: date | None = None


@dataclass
class ActionRules:
    pitch: PitchRules
    renewal_grace_months: int = 3
    low_balance_fen: int = 20000

    @classmethod
    def load(cls, session: Session | None, *, store_id: int | None = None) -> ActionRules:
        return cls(
            pitch=PitchRules.load(session, store_id=store_id),
            renewal_grace_months=int(get_setting(session, "renewal_grace_months", store_id=store_id)),
            low_balance_fen=int(get_setting(session, "stored_value_low_balance_yuan", store_id=store_id)) * 100,
        )


def months_between(earlier: date, later: date) -> int:
    """Whole months from ``earlier`` to ``later`` (0 if later is earlier)."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    if later.day < earlier.day:
        months -= 1
    return max(0, months)


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def next_birthday(birthday: date, as_of: date) -> date:
    """The next birthday on or after ``as_of`` (29 Feb is kept on 28 Feb in other years)."""
    for year in (as_of.year, as_of.year + 1):
        try:
            day = birthday.replace(year=year)
        except ValueError:
            day = date(year, 2, 28)
        if day >= as_of:
            return day
    raise AssertionError("unreachable")


def next_actions(facts: Facts, *, as_of: date, rules: ActionRules) -> list[Action]:
    """The things to do now with this customer, the most pressing first (never empty)."""
    actions: list[Action] = []
    last = facts.last_pitch

    if facts.open_complaints:
        first = min(facts.open_complaints, key=lambda c: c.opened_on)
        actions.append(Action("complaint", {"since": first.opened_on, "summary": first.summary,
                                            "count": len(facts.open_complaints)}))

    if last is not None and not facts.is_member:
        if last.outcome == "joined":
            actions.append(Action("finish_join", {"since": last.pitched_at.date(), "staff": last.staff_name}))
        elif last.outcome == "considering" and last.pitched_at.date() < as_of:
            actions.append(Action("follow_up", {"since": last.pitched_at.date(), "staff": last.staff_name,
                                                "due": last.follow_up_on}))

    if facts.membership_expires_on is not None and facts.membership_status in ("active", "lapsed"):
        expires = facts.membership_expires_on
        grace_end = add_months(expires, rules.renewal_grace_months)
        if expires < as_of <= grace_end or (expires >= as_of and (expires - as_of).days <= RENEWAL_REMIND_DAYS):
            actions.append(Action("renew", {"expires_on": expires, "expired": expires < as_of, "grace_end": grace_end}))

    if facts.class_code in ("churned", "at_risk") and facts.last_return is not None:
        months = facts.months_since_return
        if months is None:
            months = months_between(facts.last_return, as_of)
        actions.append(Action(facts.class_code, {"months": months, "last_return": facts.last_return}))

    # No membership pitch while a complaint is open: it is answered first.
    if not facts.is_member and not facts.open_complaints \
            and not any(a.code in ("finish_join", "follow_up", "renew") for a in actions):
        warning = pitch_warning(last, as_of=as_of, rules=rules.pitch)
        if last is None:
            actions.append(Action("pitch"))
        elif warning is None:
            if last.outcome == "not_now" and last.follow_up_on is not None and last.follow_up_on <= as_of:
                actions.append(Action("ask_again", {"since": last.pitched_at.date(), "due": last.follow_up_on}))
            elif last.outcome == "not_now" and last.follow_up_on is not None:
                pass  # the follow-up date has not come yet: leave them be
            else:
                actions.append(Action("pitch_again", {"last_on": last.pitched_at.date(), "outcome": last.outcome}))

    if facts.birthday is not None:
        day = next_birthday(facts.birthday, as_of)
        if (day - as_of).days < BIRTHDAY_WINDOW_DAYS:
            actions.append(Action("birthday", {"on": day, "days": (day - as_of).days}))

    if (facts.is_member and facts.membership_scheme in ("stored", "both")
            and facts.stored_value_fen < rules.low_balance_fen):
        actions.append(Action("top_up", {"balance_fen": facts.stored_value_fen}))

    due = [m for m in facts.maintenance if m.due_on is None or m.due_on <= as_of + timedelta(days=15)]
    if due:
        first = min(due, key=lambda m: m.due_on or as_of)
        actions.append(Action("maintenance", {"due_on": first.due_on, "text": first.text, "kind": first.kind}))

    if facts.points_expiring:
        actions.append(Action("points_expiring", {"points": facts.points_expiring, "by": facts.points_expiring_by}))

    return actions or [Action("none")]


# --- other capabilities, read when they are there --------------------------------


def optional(target: str) -> Callable | None:
    """``module:function`` if that module exists yet, else None."""
    module, _, name = target.partition(":")
    try:
        return getattr(import_module(module), name)
    except (ImportError, AttributeError):
        return None


def _get(obj: Any, *names: str) -> Any:
    for name in names:
        if isinstance(obj, dict) and name in obj:
            return obj[name]
        if hasattr(obj, name):
            return getattr(obj, name)
    return None


def _as_list(result: Any) -> list:
    if result is None:
        return []
    if isinstance(result, (list, tuple)) and not (isinstance(result, tuple) and hasattr(result, "_fields")):
        return list(result)
    return [result]


def _class_info(result: Any) -> ClassInfo | None:
    code = _get(result, "code")
    if not code:
        return None
    return ClassInfo(
        code=str(code), label_zh=_get(result, "label_zh"), label_en=_get(result, "label_en"),
        reason_zh=_get(result, "reason_zh", "reason"), reason_en=_get(result, "reason_en", "reason"),
        months_since_last_visit=_get(result, "months_since_last_visit"),
    )


def _due_line(item: Any, default_kind: str) -> DueLine:
    due_on = _get(item, "due_on", "due", "due_date", "date")
    return DueLine(
        kind=str(_get(item, "kind", "what", "type") or default_kind),
        text=_get(item, "reason_zh", "reason", "text", "label", "description"),
        due_on=due_on if isinstance(due_on, date) else None,
        text_en=_get(item, "reason_en"),
    )


def _points_expiring(result: Any) -> tuple[int, date | None]:
    if result is None:
        return 0, None
    if isinstance(result, int):
        return result, None
    if isinstance(result, tuple) and not hasattr(result, "_fields"):
        return int(result[0] or 0), result[1] if len(result) > 1 else None
    if isinstance(result, list):
        total, first = 0, None
        for entry in result:
            pts, by = _points_expiring(entry)
            total += pts
            if by and (first is None or by < first):
                first = by
        return total, first
    pts = _get(result, "points", "expiring", "total", "remaining")
    by = _get(result, "expires_on", "by", "first_expires_on", "date")
    return int(pts or 0), by if isinstance(by, date) else None


# --- gathering -----------------------------------------------------------------


def customer_profile(
    session: Session, vehicle_id: int, *, as_of: date, unmask: bool = False, last_visits: int = 10
) -> Profile | None:
    """Everything the counter shows about this vehicle and its owner as of a day."""
    v = session.get(Vehicle, vehicle_id)
    if v is None:
        return None
    c = session.get(Customer, v.customer_id) if v.customer_id is not None else None
    other_plates = []
    if c is not None:
        other_plates = [p for p in session.execute(
            select(Vehicle.plate).where(Vehicle.customer_id == c.id, Vehicle.id != v.id, Vehicle.sold_on.is_(None))
            .order_by(Vehicle.id)
        ).scalars() if p]
    from store.care import next_inspection
    from store.settings import get_settings

    inspection, inspection_source = next_inspection(v.inspection_due, v.purchase_date,
                                                    get_settings(session, store_id=v.store_id), as_of)
    vehicle = VehicleInfo(
        vehicle_id=v.id, plate=v.plate, vin=v.vin, model=v.model, colour=v.colour, purchase_date=v.purchase_date,
        warranty_end=v.warranty_end, insurance_expiry=v.insurance_expiry, mileage=v.mileage, region=v.region,
        other_plates=other_plates, inspection_due=inspection, inspection_source=inspection_source,
        former_plate=v.former_plate, plate_moved_on=v.plate_moved_on,
    )
    owner = None
    if c is not None:
        owner = OwnerInfo(
            customer_id=c.id, name=c.name, gender=c.gender, birthday=c.birthday,
            phone=c.phone if unmask else mask_phone(c.phone), region=c.region,
            preferred_contact_time=c.preferred_contact_time, do_not_contact=c.do_not_contact,
        )

    visits = [
        VisitLine(x.date_in, x.ro_number, x.repair_type, x.repair_type_raw, x.mileage, x.total_fen, x.sa_name)
        for x in session.execute(
            select(Visit).where(Visit.vehicle_id == v.id, Visit.status != "cancelled")
            .order_by(Visit.date_in.desc(), Visit.id.desc()).limit(last_visits)
        ).scalars()
    ]
    last_return = visits[0].date_in if visits else v.purchase_date

    vehicle_class = optional("store.classes:vehicle_class")
    class_ = _class_info(vehicle_class(session, v.id, as_of=as_of)) if vehicle_class else None
    maintenance_due = optional("store.maintenance:maintenance_due")
    maintenance = ([_due_line(x, "maintenance") for x in _as_list(maintenance_due(session, v.id, as_of=as_of))]
                   if maintenance_due else None)

    membership = None
    points = PointsInfo(balance=0)
    tasks: list[DueLine] | None = None
    complaints: list[ComplaintLine] = []
    pitches: list[PitchLine] = []
    scores: list = []
    store_id = c.store_id if c is not None else v.store_id
    if c is not None:
        m = session.execute(
            select(Membership).where(Membership.customer_id == c.id)
            .order_by((Membership.status == "active").desc(), Membership.started_on.desc(), Membership.id.desc())
        ).scalars().first()
        if m is not None:
            tier_name = session.execute(
                select(Tier.name).where(Tier.store_id == m.store_id, Tier.code == m.tier_code)
            ).scalar() if m.tier_code else None
            membership = MembershipInfo(
                number=m.number, tier_code=m.tier_code, tier_name=tier_name, scheme=m.scheme, status=m.status,
                started_on=m.started_on, expires_on=m.expires_on, stored_value_fen=m.stored_value_fen,
            )
            if m.status == "active" and m.tier_code:
                from store.benefits import _with_usage, tier_benefits

                membership.benefits = _with_usage(
                    session, m, tier_benefits(session, store_id=m.store_id, tier_code=m.tier_code), as_of)
        balance = session.execute(select(PointsAccount.balance).where(PointsAccount.customer_id == c.id)).scalar()
        points = PointsInfo(balance=balance or 0)
        expiring_soon = optional("store.points:expiring_soon")
        if expiring_soon is not None:
            pts, by = _points_expiring(
                expiring_soon(session, customer_id=c.id, within_days=POINTS_EXPIRING_WITHIN_DAYS))
            points.expiring, points.expiring_by = pts, by
        open_tasks = optional("store.care:open_tasks_for_customer")
        if open_tasks is not None:
            tasks = [_due_line(x, "care") for x in _as_list(open_tasks(session, c.id))]
        complaints = [
            ComplaintLine(x.opened_on, x.summary, x.status)
            for x in session.execute(
                select(Complaint).where(Complaint.customer_id == c.id, Complaint.status.in_(("new", "handling")))
                .order_by(Complaint.opened_on)
            ).scalars()
        ]
        pitches = pitch_history(session, c.id)
        from store.satisfaction import last_scores

        scores = last_scores(session, c.id)
        booked = optional("store.calls:appointments_for_customer")
        if booked is not None:  # appointments 预约 made from the call list show with what is due
            tasks = (tasks or []) + [
                DueLine("appointment", f"预约到店 {a.at:%H:%M}" + (f"（{a.staff}）" if a.staff else ""), a.at.date(),
                        f"booked to come in at {a.at:%H:%M}" + (f" ({a.staff})" if a.staff else ""))
                for a in booked(session, c.id) if a.status == "booked" and a.at.date() >= as_of]

    rules = ActionRules.load(session, store_id=store_id)
    facts = Facts(
        is_member=membership is not None and membership.status == "active",
        membership_status=membership.status if membership else None,
        membership_scheme=membership.scheme if membership else None,
        membership_expires_on=membership.expires_on if membership else None,
        stored_value_fen=membership.stored_value_fen if membership else 0,
        last_pitch=pitches[0] if pitches else None,
        class_code=class_.code if class_ else None,
        months_since_return=class_.months_since_last_visit if class_ else None,
        last_return=last_return,
        birthday=owner.birthday if owner else None,
        open_complaints=complaints,
        maintenance=maintenance or [],
        points_expiring=points.expiring,
        points_expiring_by=points.expiring_by,
    )
    actions = next_actions(facts, as_of=as_of, rules=rules) if owner is not None else [Action("no_owner")]
    return Profile(
        owner=owner, vehicle=vehicle, class_=class_, membership=membership, points=points, last_return=last_return,
        visits=visits, maintenance=maintenance, tasks=tasks, complaints=complaints, pitches=pitches,
        pitch_warning=pitch_warning(pitches[0] if pitches else None, as_of=as_of, rules=rules.pitch),
        actions=actions, pitch_rules=rules.pitch, scores=scores,
        interests=_interests(session, owner.customer_id) if owner is not None else [],
        events=_events(session, owner.customer_id, as_of) if owner is not None else [],
    )


def _interests(session: Session, customer_id: int) -> list:
    from store.interests import of_store_customer

    return of_store_customer(session, customer_id)


def _events(session: Session, customer_id: int, as_of: date) -> list:
    from store.events import upcoming_of_customer

    return upcoming_of_customer(session, customer_id, as_of)
