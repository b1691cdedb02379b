"""Club events 会员活动: plan one, invite the right members, sign them up, check them
in at the door, award their points and book what it cost.

Kinds (:data:`KINDS`): class 讲堂 (safe driving 安全驾驶, DIY maintenance DIY维修, new
car 新车知识), trip 自驾游, party 联谊会 (holiday parties, the year-end VIP evening),
service campaign 服务活动 (summer A/C check 夏季空调检查) and other (fuel-economy
contests 节油竞赛, charity events...).

The rules:

- **Add** (:func:`add_event`, club staff): a name, a kind, a start in the future
  (a past one is refused), a capacity of at least 1, a budget and the points for
  attending, and a target: tiers (the store's tier codes), customer classes,
  interests (:mod:`store.interests`), models, regions and car age in whole years.
  Anything unknown is refused in one line and nothing is written.
- **Invite** (:func:`invitation_list`, :func:`invite`): the customers the target
  matches (every list given must match; any one entry of a list does), members in
  force first, then by value (spend over the last 12 months), without do-not-contact
  customers, those already signed up or invited, and those at the contact cap
  (``contact_cap_per_period`` in ``contact_cap_period_days``: held back and
  counted). Each invitation is an ``event_invite`` care task owned by the customer's
  SA (:func:`store.care.owners_for`), so it shows on that SA's call list as one more
  reason merged into the customer's one contact (:mod:`store.calls`).
- **Answer** (:func:`answer_invitation`): the call's outcome, signed up (a sign-up,
  logged as reached), not interested (reached) or no answer (tried again tomorrow,
  as every unanswered call); the call counts towards the contact cap.
- **Sign up** (:func:`sign_up`, any staff serving customers): while seats are free the
  customer is signed up; past the capacity they join the waitlist (候补) in order.
  A cancelled or past event takes no sign-ups. A cancellation (:func:`cancel`) of a
  signed-up customer moves the first on the waitlist up.
- **Check in** (:func:`check_in`, at the door): a signed-up customer is marked
  attended and earns the event's points once, through the points ledger (kind
  ``activity``, key ``activity:event:<event>:customer:<customer>``). Someone not
  signed up (or only on the waitlist) is refused, unless checked in as a walk-in
  (``walk_in=True``: ``ctrl+w`` at the door, ``--walk-in`` on the command line), which
  is recorded as such and earns the same points; the door decides, so a walk-in is let
  in whatever the seats left. Check-in opens on the event's day.
  With ``points_members_only`` on (the default) only a member in force earns points.
- **Costs** (:func:`add_cost`): gifts and costs go into the club's accounts
  (:mod:`store.club_ledger`: department club, category activity or gift), tied to the
  event, for the costs report and the events report's cost per attendee.

Refusals are :class:`~store.validation.FieldError` (a field's value) and
:class:`~store.access.AccessDenied` (a right), one line each.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlmodel import Session

from store import audit, clock
from store.access import Actor, require, require_for_customer
from store.models import (
    CareTask,
    ClubEntry,
    ClubEvent,
    Customer,
    CustomerInterest,
    EventInvitation,
    EventSignup,
    Membership,
    Tier,
    Vehicle,
    Visit,
)
from store.validation import FieldError, clean_text

KINDS: dict[str, tuple[str, str]] = {
    "class": ("讲堂", "class"),
    "trip": ("自驾游", "trip"),
    "party": ("联谊会", "party"),
    "campaign": ("服务活动", "service campaign"),
    "other": ("其他", "other"),
}
STATUSES: dict[str, tuple[str, str]] = {
    "signed_up": ("已报名", "signed up"),
    "waitlist": ("候补", "waitlist"),
    "cancelled": ("已取消", "cancelled"),
    "attended": ("已签到", "attended"),
}
ANSWERS: dict[str, tuple[str, str]] = {
    "signed_up": ("已报名", "signed up"),
    "not_interested": ("不感兴趣", "not interested"),
    "no_answer": ("无人接听", "no answer"),
}
CLASSES = ("loyal", "relatively_loyal", "general", "at_risk", "churned")
TARGET_LISTS = ("tiers", "classes", "interests", "models", "regions")
MAX_CAPACITY = 10_000
MAX_POINTS = 100_000
MAX_BUDGET_FEN = 100_000_000
VALUE_DAYS = 365
TASK_KIND = "event_invite"


# --- what the store hands out ---------------------------------------------------------


@dataclass
class EventLine:
    id: int
    store_id: int
    name: str
    kind: str
    starts_at: datetime
    place: str | None
    capacity: int
    budget_fen: int
    points: int
    target: dict
    status: str
    signed_up: int = 0
    waitlist: int = 0
    attended: int = 0
    invited: int = 0
    cost_fen: int = 0

    @property
    def seats_left(self) -> int:
        return max(0, self.capacity - self.signed_up - self.attended)

    def kind_words(self, language: str = "zh") -> str:
        zh, en = KINDS.get(self.kind, (self.kind, self.kind))
        return en if language == "en" else zh

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "kind": self.kind,
                "starts_at": self.starts_at.isoformat(timespec="minutes"), "place": self.place,
                "capacity": self.capacity, "budget_fen": self.budget_fen, "points": self.points,
                "target": self.target, "status": self.status, "signed_up": self.signed_up,
                "waitlist": self.waitlist, "attended": self.attended, "invited": self.invited,
                "cost_fen": self.cost_fen, "seats_left": self.seats_left}


@dataclass
class SignupLine:
    customer_id: int
    name: str
    status: str
    walk_in: bool
    signed_at: datetime
    checked_in_at: datetime | None
    plates: list[str] = field(default_factory=list)
    position: int | None = None  # on the waitlist: 1 is next

    def as_dict(self) -> dict[str, Any]:
        return {"customer_id": self.customer_id, "customer": self.name, "status": self.status,
                "walk_in": self.walk_in, "signed_at": self.signed_at.isoformat(timespec="minutes"),
                "checked_in_at": self.checked_in_at.isoformat(timespec="minutes") if self.checked_in_at else None,
                "plates": self.plates, "position": self.position}


@dataclass
class SignupResult:
    event_id: int
    customer_id: int
    name: str
    status: str  # signed_up | waitlist | cancelled | attended
    position: int | None = None  # on the waitlist
    moved_up: int | None = None  # a cancellation moved this customer up from the waitlist
    moved_up_name: str | None = None
    points: int = 0  # awarded at this check-in
    points_note: str | None = None
    walk_in: bool = False
    replayed: bool = False  # nothing new: already so

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Invitee:
    customer_id: int
    name: str
    member: bool
    value_fen: int
    owner_staff_id: int | None
    owner_name: str | None


@dataclass
class InvitationList:
    event_id: int
    invitees: list[Invitee]
    held_back: list[Invitee]  # at the contact cap
    do_not_contact: int
    already: int  # signed up or invited before

    def as_dict(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "invited": [i.__dict__ for i in self.invitees],
                "held_back": [i.__dict__ for i in self.held_back], "do_not_contact": self.do_not_contact,
                "already": self.already}


# --- reading ------------------------------------------------------------------------------


def _target(event: ClubEvent) -> dict:
    try:
        return json.loads(event.target or "{}")
    except ValueError:
        return {}


def _line(session: Session, e: ClubEvent) -> EventLine:
    counts = dict(session.execute(select(EventSignup.status, func.count()).where(EventSignup.event_id == e.id)
                                  .group_by(EventSignup.status)).all())
    invited = session.execute(select(func.count()).select_from(EventInvitation)
                              .where(EventInvitation.event_id == e.id)).scalar_one()
    cost = session.execute(select(func.coalesce(func.sum(ClubEntry.amount_fen), 0))
                           .where(ClubEntry.event_id == e.id, ClubEntry.kind == "cost")).scalar_one()
    return EventLine(e.id, e.store_id, e.name, e.kind, e.starts_at, e.place, e.capacity, e.budget_fen, e.points,
                     _target(e), e.status, counts.get("signed_up", 0), counts.get("waitlist", 0),
                     counts.get("attended", 0), invited, int(cost or 0))


def _event(session: Session, event_id: int, *, lock: bool = False) -> ClubEvent:
    stmt = select(ClubEvent).where(ClubEvent.id == event_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    event = session.execute(stmt).scalars().first()
    if event is None:
        raise FieldError("event", f"no event {event_id}")
    return event


def list_events(session: Session, *, store_id: int, actor: Actor, since: date | None = None,
                include_cancelled: bool = False) -> list[EventLine]:
    """The store's events from ``since`` (default: 30 days ago) on, soonest first."""
    require(actor, "events.read", store_id)
    since = since or clock.today() - timedelta(days=30)
    stmt = select(ClubEvent).where(ClubEvent.store_id == store_id,
                                   ClubEvent.starts_at >= datetime.combine(since, datetime.min.time()))
    if not include_cancelled:
        stmt = stmt.where(ClubEvent.status != "cancelled")
    return [_line(session, e) for e in session.execute(stmt.order_by(ClubEvent.starts_at, ClubEvent.id)).scalars()]


def get_event(session: Session, *, event_id: int, actor: Actor) -> EventLine:
    require(actor, "events.read")
    event = _event(session, event_id)
    require(actor, "events.read", event.store_id)
    return _line(session, event)


def signups(session: Session, *, event_id: int, actor: Actor) -> list[SignupLine]:
    """Who signed up, in order: attended and signed up first, then the waitlist (with
    their place), then those who cancelled."""
    require(actor, "customers.read")
    event = _event(session, event_id)
    require(actor, "customers.read", event.store_id)
    rows = session.execute(select(EventSignup, Customer.name).join(Customer, Customer.id == EventSignup.customer_id)
                           .where(EventSignup.event_id == event_id)
                           .order_by(EventSignup.signed_at, EventSignup.id)).all()
    plates: dict[int, list[str]] = {}
    ids = [s.customer_id for s, _ in rows]
    if ids:
        for cid, plate in session.execute(select(Vehicle.customer_id, Vehicle.plate).where(
                Vehicle.customer_id.in_(ids), Vehicle.plate.is_not(None)).order_by(Vehicle.id)):
            plates.setdefault(cid, []).append(plate)
    order = {"attended": 0, "signed_up": 0, "waitlist": 1, "cancelled": 2}
    out, place = [], 0
    for s, name in sorted(rows, key=lambda r: (order.get(r[0].status, 3), r[0].signed_at, r[0].id)):
        line = SignupLine(s.customer_id, name, s.status, s.walk_in, s.signed_at, s.checked_in_at,
                          plates.get(s.customer_id, []))
        if s.status == "waitlist":
            place += 1
            line.position = place
        out.append(line)
    return out


@dataclass(frozen=True)
class CustomerEvent:
    event_id: int
    name: str
    starts_at: datetime
    status: str  # signed_up | waitlist | attended


def upcoming_of_customer(session: Session, customer_id: int, as_of: date) -> list[CustomerEvent]:
    """The customer's sign-ups of events from ``as_of`` on, for their profile (the
    caller has checked the reader), soonest first."""
    rows = session.execute(select(ClubEvent.id, ClubEvent.name, ClubEvent.starts_at, EventSignup.status)
                           .join(EventSignup, EventSignup.event_id == ClubEvent.id)
                           .where(EventSignup.customer_id == customer_id, EventSignup.status != "cancelled",
                                  ClubEvent.status != "cancelled",
                                  ClubEvent.starts_at >= datetime.combine(as_of, datetime.min.time()))
                           .order_by(ClubEvent.starts_at)).all()
    return [CustomerEvent(*r) for r in rows]


def events_of_customer(session: Session, *, customer_id: int, actor: Actor) -> list[tuple[EventLine, str]]:
    """The customer's sign-ups (event, status) of events from 30 days ago on."""
    customer = require_for_customer(session, actor, "customers.read", customer_id)
    since = datetime.combine(clock.today() - timedelta(days=30), datetime.min.time())
    rows = session.execute(select(ClubEvent, EventSignup.status).join(EventSignup, EventSignup.event_id == ClubEvent.id)
                           .where(EventSignup.customer_id == customer.id, ClubEvent.starts_at >= since)
                           .order_by(ClubEvent.starts_at)).all()
    return [(_line(session, e), status) for e, status in rows]


# --- planning -----------------------------------------------------------------------------


def _words_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.replace("，", ",").split(",")
    return [str(v).strip() for v in value if str(v).strip()]


def check_target(session: Session, store_id: int, target: dict | None) -> dict:
    """The target with every entry checked: tiers against the store's tiers, classes
    against :data:`CLASSES`, interests against the store's list; car ages whole years."""
    from store.interests import known_codes

    target = dict(target or {})
    unknown = set(target) - set(TARGET_LISTS) - {"car_age_min", "car_age_max"}
    if unknown:
        raise FieldError("target", f"unknown part {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    tiers = _words_list(target.get("tiers"))
    if tiers:
        codes = {c.lower(): c for c in session.execute(select(Tier.code).where(Tier.store_id == store_id)).scalars()}
        names = {n: c for c, n in session.execute(select(Tier.code, Tier.name).where(Tier.store_id == store_id))}
        picked = []
        for t in tiers:
            code = codes.get(t.lower()) or names.get(t)
            if code is None:
                raise FieldError("tier", f"unknown tier {t!r}: one of {', '.join(sorted(codes.values())) or '(none)'}")
            picked.append(code)
        out["tiers"] = list(dict.fromkeys(picked))
    classes = [c.lower() for c in _words_list(target.get("classes"))]
    bad = [c for c in classes if c not in CLASSES]
    if bad:
        raise FieldError("class", f"unknown customer class {bad[0]!r}: one of {', '.join(CLASSES)}")
    if classes:
        out["classes"] = list(dict.fromkeys(classes))
    interests = known_codes(session, store_id, _words_list(target.get("interests")))
    if interests:
        out["interests"] = interests
    for key in ("models", "regions"):
        words = [clean_text(w, field=key[:-1], max_len=64) for w in _words_list(target.get(key))]
        if words:
            out[key] = list(dict.fromkeys(words))
    for key in ("car_age_min", "car_age_max"):
        value = target.get(key)
        if value in (None, ""):
            continue
        try:
            years = int(value)
        except (TypeError, ValueError):
            raise FieldError(key.replace("_", " "), f"{value!r} is not a whole number of years") from None
        if not 0 <= years <= 50:
            raise FieldError(key.replace("_", " "), "0-50 years")
        out[key] = years
    if "car_age_min" in out and "car_age_max" in out and out["car_age_min"] > out["car_age_max"]:
        raise FieldError("car age", "the minimum is above the maximum")
    return out


def add_event(session: Session, *, store_id: int, name: str, kind: str, starts_at: datetime, capacity: int,
              actor: Actor, place: str | None = None, budget_fen: int = 0, points: int = 0,
              target: dict | None = None) -> EventLine:
    """Plan an event (club staff). Refused in one line: an unknown kind, a start in the
    past, a capacity below 1, negative points or budget, an unknown tier, class or interest."""
    require(actor, "events.plan", store_id)
    name = clean_text(name, field="name", max_len=100, required=True)
    kind = (kind or "").strip().lower()
    if kind not in KINDS:
        raise FieldError("kind", f"{kind!r}: one of {', '.join(KINDS)}")
    if starts_at < clock.now().replace(second=0, microsecond=0):
        raise FieldError("date", f"{starts_at:%Y-%m-%d %H:%M} is in the past")
    if not 1 <= int(capacity) <= MAX_CAPACITY:
        raise FieldError("capacity", f"1-{MAX_CAPACITY} people")
    if not 0 <= int(points) <= MAX_POINTS:
        raise FieldError("points", f"0-{MAX_POINTS}")
    if not 0 <= int(budget_fen) <= MAX_BUDGET_FEN:
        raise FieldError("budget", "0-¥1,000,000")
    place = clean_text(place, field="place", max_len=100)
    checked = check_target(session, store_id, target)
    event = ClubEvent(store_id=store_id, name=name, kind=kind, starts_at=starts_at.replace(second=0, microsecond=0),
                      place=place, capacity=int(capacity), budget_fen=int(budget_fen), points=int(points),
                      target=json.dumps(checked, ensure_ascii=False), staff_id=actor.staff_id, created_at=clock.now())
    session.add(event)
    session.flush()
    audit.record(session, actor, "event.add", "clubevent", event.id, store_id=store_id,
                 detail={"name": name, "kind": kind, "starts_at": event.starts_at, "capacity": capacity,
                         "points": points, "target": checked})
    return _line(session, event)


# --- inviting -----------------------------------------------------------------------------


def _matching_customers(session: Session, event: ClubEvent, target: dict, day: date) -> set[int] | None:
    """Customers of the store the target matches (None: no list given, everyone)."""
    store_id = event.store_id
    found: set[int] | None = None

    def narrow(ids) -> None:
        nonlocal found
        ids = set(ids)
        found = ids if found is None else found & ids

    if target.get("tiers"):
        narrow(session.execute(select(Membership.customer_id).where(
            Membership.store_id == store_id, Membership.status == "active",
            Membership.tier_code.in_(target["tiers"]))).scalars())
    if target.get("interests"):
        narrow(session.execute(select(CustomerInterest.customer_id).where(
            CustomerInterest.store_id == store_id, CustomerInterest.code.in_(target["interests"]))).scalars())
    cars = select(Vehicle.customer_id).where(Vehicle.store_id == store_id, Vehicle.customer_id.is_not(None),
                                             or_(Vehicle.sold_on.is_(None), Vehicle.sold_on > day))
    if target.get("models"):
        models = [Vehicle.model.contains(m, autoescape=True) for m in target["models"]]
        narrow(session.execute(cars.where(or_(*models))).scalars())
    if target.get("regions"):
        regions = target["regions"]
        narrow(set(session.execute(cars.where(Vehicle.region.in_(regions))).scalars())
               | set(session.execute(select(Customer.id).where(Customer.store_id == store_id,
                                                               Customer.region.in_(regions))).scalars()))
    if "car_age_min" in target or "car_age_max" in target:
        from store.dates import add_months

        stmt = cars.where(Vehicle.purchase_date.is_not(None))
        if "car_age_min" in target:  # bought at least min years ago
            stmt = stmt.where(Vehicle.purchase_date <= add_months(day, -12 * target["car_age_min"]))
        if "car_age_max" in target:  # and less than max + 1 years ago
            stmt = stmt.where(Vehicle.purchase_date > add_months(day, -12 * (target["car_age_max"] + 1)))
        narrow(session.execute(stmt).scalars())
    if target.get("classes"):
        from store.classes import classified

        frame = classified(session, as_of=day, store_ids=[store_id])
        vids = [r["vehicle_id"] for r in frame.iter_rows(named=True) if r["class"] in target["classes"]]
        owners: set[int] = set()
        for i in range(0, len(vids), 900):
            owners.update(session.execute(select(Vehicle.customer_id).where(
                Vehicle.id.in_(vids[i:i + 900]), Vehicle.customer_id.is_not(None))).scalars())
        narrow(owners)
    return found


def invitation_list(session: Session, *, event_id: int, actor: Actor, limit: int | None = None) -> InvitationList:
    """Who the target invites (see the module's docstring), members first, by value."""
    from store.calls import CallRules, contacts_in_period
    from store.care import owners_for

    require(actor, "events.plan")
    event = _event(session, event_id)
    require(actor, "events.plan", event.store_id)
    day = clock.today()
    matched = _matching_customers(session, event, _target(event), day)
    stmt = select(Customer.id, Customer.name, Customer.do_not_contact).where(Customer.store_id == event.store_id)
    people = session.execute(stmt).all()
    if matched is not None:
        people = [p for p in people if p.id in matched]
    dnc = sum(1 for p in people if p.do_not_contact)
    people = [p for p in people if not p.do_not_contact]
    already = set(session.execute(select(EventSignup.customer_id).where(
        EventSignup.event_id == event.id, EventSignup.status != "cancelled")).scalars())
    already |= set(session.execute(select(EventInvitation.customer_id).where(
        EventInvitation.event_id == event.id)).scalars())
    n_already = sum(1 for p in people if p.id in already)
    people = [p for p in people if p.id not in already]
    ids = [p.id for p in people]
    members, value = set(), {}
    since = day - timedelta(days=VALUE_DAYS)
    for i in range(0, len(ids), 900):
        chunk = ids[i:i + 900]
        members.update(session.execute(select(Membership.customer_id).where(
            Membership.customer_id.in_(chunk), Membership.status == "active")).scalars())
        value.update(session.execute(
            select(Vehicle.customer_id, func.coalesce(func.sum(Visit.total_fen), 0))
            .join(Visit, Visit.vehicle_id == Vehicle.id)
            .where(Vehicle.customer_id.in_(chunk), Visit.status != "cancelled", Visit.date_in >= since,
                   Visit.date_in <= day).group_by(Vehicle.customer_id)).all())
    people.sort(key=lambda p: (p.id not in members, -int(value.get(p.id, 0)), p.id))
    rules = CallRules.load(session, event.store_id)
    contacts = contacts_in_period(session, ids, day=day, rules=rules)
    owners = owners_for(session, store_id=event.store_id, customer_ids=ids, day=day)
    invitees, held = [], []
    for p in people:
        owner = owners.get(p.id, (None, None))
        row = Invitee(p.id, p.name, p.id in members, int(value.get(p.id, 0)), owner[0], owner[1])
        (held if contacts.get(p.id, 0) >= rules.cap else invitees).append(row)
    if limit is not None:
        invitees = invitees[:max(0, limit)]
    return InvitationList(event.id, invitees, held, dnc, n_already)


def invite(session: Session, *, event_id: int, actor: Actor, limit: int | None = None) -> InvitationList:
    """Write the invitation list: an invitation and an ``event_invite`` care task (due
    today, owned by the customer's SA) per customer. Invited once per event."""
    require(actor, "events.plan")
    event = _event(session, event_id)
    if event.status == "cancelled":
        raise FieldError("event", f"{event.name} is cancelled")
    if event.starts_at.date() < clock.today():
        raise FieldError("event", f"{event.name} is over ({event.starts_at:%Y-%m-%d})")
    found = invitation_list(session, event_id=event_id, actor=actor, limit=limit)
    day, at = clock.today(), clock.now()
    when = f"{event.starts_at:%m-%d %H:%M}"
    for rank, person in enumerate(found.invitees, start=1):
        task = CareTask(store_id=event.store_id, customer_id=person.customer_id, key=f"{TASK_KIND}:{event.id}:"
                        f"{person.customer_id}", kind=TASK_KIND,
                        reason=(f"活动邀约：{event.name}（{when}）" + " | "
                                + f"event invitation: {event.name} ({when})")[:255],
                        due_on=day, owner_staff_id=person.owner_staff_id)
        session.add(task)
        session.flush()
        session.add(EventInvitation(event_id=event.id, customer_id=person.customer_id,
                                    owner_staff_id=person.owner_staff_id, task_id=task.id, rank=rank, invited_at=at))
    session.flush()
    audit.record(session, actor, "event.invite", "clubevent", event.id, store_id=event.store_id,
                 detail={"invited": len(found.invitees), "held_back": len(found.held_back),
                         "do_not_contact": found.do_not_contact})
    return found


def answer_invitation(session: Session, *, event_id: int, customer_id: int, answer: str, actor: Actor,
                      note: str | None = None) -> SignupResult | None:
    """Log the invitation call's outcome: signed up (the customer is signed up, or
    waitlisted), not interested, or no answer. The call is one contact of the
    customer (:func:`store.calls.log_call`: the cap, do-not-contact and the merged
    care tasks apply); it closes the customer's invitation task with the others due."""
    from store.calls import CallError, log_call
    from store.care import due_task_ids

    if answer not in ANSWERS:
        raise FieldError("answer", f"{answer!r}: one of {', '.join(ANSWERS)}")
    require_for_customer(session, actor, "care.work", customer_id)
    event = _event(session, event_id)
    invitation = session.execute(select(EventInvitation).where(
        EventInvitation.event_id == event_id, EventInvitation.customer_id == customer_id)).scalars().first()
    if invitation is None:
        raise FieldError("invitation", f"customer {customer_id} was not invited to {event.name}")
    tasks = due_task_ids(session, customer_id)
    if invitation.task_id and invitation.task_id in tasks:
        tasks.remove(invitation.task_id)
        tasks.insert(0, invitation.task_id)
    result = None
    if answer == "signed_up":
        result = sign_up(session, event_id=event_id, customer_id=customer_id, actor=actor)
    try:
        log_call(session, actor, customer_id=customer_id, outcome="no_answer" if answer == "no_answer" else "reached",
                 task_ids=tasks, note=note or f"{event.name}: {ANSWERS[answer][0]}")
    except CallError as exc:
        raise FieldError("call", str(exc)) from exc
    invitation.status, invitation.answered_at = answer, clock.now()
    session.add(invitation)
    session.flush()
    return result


def answer_from_call(session: Session, *, customer_id: int, answer: str, task_ids, actor: Actor,
                     note: str | None = None) -> SignupResult | None:
    """The call list's answer to the event invitation among a row's tasks (the first,
    when the customer has several): see :func:`answer_invitation`."""
    invite = session.execute(select(CareTask.key).where(CareTask.id.in_(list(task_ids) or [-1]),
                                                        CareTask.kind == TASK_KIND).order_by(CareTask.id)).scalars().first()
    if invite is None:
        raise FieldError("answer", "this call holds no event invitation")
    return answer_invitation(session, event_id=int(invite.split(":")[1]), customer_id=customer_id, answer=answer,
                             actor=actor, note=note)


def mark_unanswered(session: Session, task_ids) -> None:
    """An unanswered call (any key of the call list) covering invitations: they read no answer."""
    keys = session.execute(select(CareTask.key).where(CareTask.id.in_(list(task_ids) or [-1]),
                                                      CareTask.kind == TASK_KIND)).scalars().all()
    for key in keys:
        _, event_id, customer_id = key.split(":")
        row = session.execute(select(EventInvitation).where(EventInvitation.event_id == int(event_id),
                                                            EventInvitation.customer_id == int(customer_id))
                              ).scalars().first()
        if row is not None and row.status in ("invited", "no_answer"):
            row.status, row.answered_at = "no_answer", clock.now()
            session.add(row)


# --- signing up, cancelling, the door -----------------------------------------------------


def _taken(session: Session, event_id: int) -> int:
    return session.execute(select(func.count()).select_from(EventSignup).where(
        EventSignup.event_id == event_id, EventSignup.status.in_(("signed_up", "attended")))).scalar_one()


def _waitlist_position(session: Session, row: EventSignup) -> int:
    return session.execute(select(func.count()).select_from(EventSignup).where(
        EventSignup.event_id == row.event_id, EventSignup.status == "waitlist",
        or_(EventSignup.signed_at < row.signed_at,
            (EventSignup.signed_at == row.signed_at) & (EventSignup.id <= row.id)))).scalar_one()


def sign_up(session: Session, *, event_id: int, customer_id: int, actor: Actor) -> SignupResult:
    """Sign a customer up, or put them on the waitlist once the seats are taken. A
    cancelled or past event is refused; signing up twice changes nothing."""
    require(actor, "events.signup")
    event = _event(session, event_id, lock=True)  # one seat count at a time
    customer = require_for_customer(session, actor, "events.signup", customer_id)
    if customer.store_id != event.store_id:
        raise FieldError("event", f"{event.name} is another store's")
    if event.status == "cancelled":
        raise FieldError("event", f"{event.name} is cancelled")
    if event.starts_at < clock.now().replace(second=0, microsecond=0):
        raise FieldError("event", f"{event.name} began {event.starts_at:%Y-%m-%d %H:%M}: it takes no more sign-ups")
    row = session.execute(select(EventSignup).where(EventSignup.event_id == event_id,
                                                    EventSignup.customer_id == customer_id)).scalars().first()
    if row is not None and row.status != "cancelled":
        position = _waitlist_position(session, row) if row.status == "waitlist" else None
        return SignupResult(event.id, customer_id, customer.name, row.status, position, replayed=True)
    status = "signed_up" if _taken(session, event_id) < event.capacity else "waitlist"
    now = clock.now()
    if row is None:
        row = EventSignup(event_id=event_id, customer_id=customer_id, status=status, signed_at=now,
                          staff_id=actor.staff_id)
    else:  # signed up again after cancelling: the end of the queue
        row.status, row.signed_at, row.cancelled_at, row.staff_id = status, now, None, actor.staff_id
    session.add(row)
    session.flush()
    audit.record(session, actor, "event.signup", "clubevent", event.id, customer_id=customer_id,
                 store_id=event.store_id, detail={"status": status})
    position = _waitlist_position(session, row) if status == "waitlist" else None
    return SignupResult(event.id, customer_id, customer.name, status, position)


def cancel(session: Session, *, event_id: int, customer_id: int, actor: Actor) -> SignupResult:
    """Cancel a sign-up (or a place on the waitlist). A freed seat goes to the first on
    the waitlist. One who attended cannot cancel."""
    require(actor, "events.signup")
    event = _event(session, event_id, lock=True)
    customer = require_for_customer(session, actor, "events.signup", customer_id)
    row = session.execute(select(EventSignup).where(EventSignup.event_id == event_id,
                                                    EventSignup.customer_id == customer_id)).scalars().first()
    if row is None:
        raise FieldError("sign-up", f"{customer.name} is not signed up for {event.name}")
    if row.status == "cancelled":
        return SignupResult(event.id, customer_id, customer.name, "cancelled", replayed=True)
    if row.status == "attended":
        raise FieldError("sign-up", f"{customer.name} already attended {event.name}")
    freed = row.status == "signed_up"
    row.status, row.cancelled_at = "cancelled", clock.now()
    session.add(row)
    session.flush()
    result = SignupResult(event.id, customer_id, customer.name, "cancelled")
    if freed and _taken(session, event_id) < event.capacity:
        nxt = session.execute(select(EventSignup).where(EventSignup.event_id == event_id,
                                                        EventSignup.status == "waitlist")
                              .order_by(EventSignup.signed_at, EventSignup.id)).scalars().first()
        if nxt is not None:
            nxt.status = "signed_up"
            session.add(nxt)
            session.flush()
            result.moved_up = nxt.customer_id
            result.moved_up_name = session.get(Customer, nxt.customer_id).name
    audit.record(session, actor, "event.cancel", "clubevent", event.id, customer_id=customer_id,
                 store_id=event.store_id, detail={"moved_up": result.moved_up})
    return result


def check_in(session: Session, *, event_id: int, customer_id: int, actor: Actor,
             walk_in: bool = False) -> SignupResult:
    """Check a customer in at the door and award the event's points once. Someone not
    signed up (or on the waitlist, or cancelled) is refused unless ``walk_in``."""
    from store import points as points_ledger

    require(actor, "events.checkin")
    event = _event(session, event_id, lock=True)
    customer = require_for_customer(session, actor, "events.checkin", customer_id)
    if customer.store_id != event.store_id:
        raise FieldError("event", f"{event.name} is another store's")
    if event.status == "cancelled":
        raise FieldError("event", f"{event.name} is cancelled")
    if clock.today() < event.starts_at.date():
        raise FieldError("check-in", f"{event.name} is on {event.starts_at:%Y-%m-%d}: the door opens that day")
    row = session.execute(select(EventSignup).where(EventSignup.event_id == event_id,
                                                    EventSignup.customer_id == customer_id)).scalars().first()
    if row is not None and row.status == "attended":
        return SignupResult(event.id, customer_id, customer.name, "attended", walk_in=row.walk_in, replayed=True)
    if row is None or row.status != "signed_up":
        if not walk_in:
            what = {None: "is not signed up", "waitlist": "is only on the waitlist",
                    "cancelled": "cancelled their sign-up"}[row.status if row else None]
            raise FieldError("check-in", f"{customer.name} {what} for {event.name}: check in as a walk-in to let them in")
        if row is None:
            row = EventSignup(event_id=event_id, customer_id=customer_id, status="attended", walk_in=True,
                              signed_at=clock.now(), staff_id=actor.staff_id)
        row.walk_in = True
    now = clock.now()
    row.status, row.checked_in_at = "attended", now
    session.add(row)
    session.flush()
    result = SignupResult(event.id, customer_id, customer.name, "attended", walk_in=row.walk_in)
    if event.points > 0:
        earned, note = points_ledger.award_activity(session, customer_id=customer_id, points=event.points,
                                                    key=f"activity:event:{event.id}:customer:{customer_id}",
                                                    reason=f"活动签到 {event.name}"[:255], actor=actor,
                                                    on=event.starts_at.date())
        if earned is not None:
            row.points_entry_id = earned.id
            session.add(row)
            result.points = earned.points
        result.points_note = note
    session.flush()
    audit.record(session, actor, "event.checkin", "clubevent", event.id, customer_id=customer_id,
                 store_id=event.store_id, detail={"walk_in": row.walk_in, "points": result.points})
    return result


def add_cost(session: Session, *, event_id: int, amount_fen: int, actor: Actor, category: str = "activity",
             note: str | None = None, day: date | None = None, key: str | None = None):
    """A gift or cost of the event into the club's accounts (department club)."""
    from store.club_ledger import ClubLedgerError, add_entry

    require(actor, "events.plan")
    event = _event(session, event_id)
    require(actor, "events.plan", event.store_id)
    if category not in ("activity", "gift"):
        raise FieldError("category", f"{category!r}: activity or gift")
    day = day or min(clock.today(), event.starts_at.date())
    try:
        line = add_entry(session, store_id=event.store_id, kind="cost", category=category, amount_fen=amount_fen,
                         actor=actor, department="club", day=day, note=note or event.name,
                         key=f"event:{event.id}:{key}" if key else None)
    except ClubLedgerError as exc:
        raise FieldError("cost", str(exc)) from exc
    entry = session.get(ClubEntry, line.id)
    if entry.event_id is None:
        entry.event_id = event.id
        session.add(entry)
        session.flush()
    return line


def door_matches(session: Session, *, event_id: int, text: str, actor: Actor, limit: int = 8) -> list[SignupLine]:
    """At the door: the event's people (signed up, waitlisted, attended) whose plate
    holds ``text`` (letters and digits, any part, no Chinese needed) or whose phone
    ends with it (4 digits), then, from 3 characters typed, the store's other
    customers who match, marked ``none`` (not signed up: refused, or let in as a
    walk-in)."""
    from store.plates import fold, query_forms

    require(actor, "events.checkin")
    event = _event(session, event_id)
    require(actor, "events.checkin", event.store_id)
    people = [s for s in signups(session, event_id=event_id, actor=actor) if s.status != "cancelled"]
    query = fold(text)
    if not query:
        return people[:limit]
    forms = query_forms(query)
    phones = dict(session.execute(select(Customer.id, Customer.phone).where(
        Customer.id.in_([p.customer_id for p in people] or [-1]))).all())
    digits = text.strip() if text.strip().isdigit() and len(text.strip()) == 4 else None
    out = []
    for p in people:
        plate_hit = any(f in fold(pl) for pl in p.plates for f in forms)
        phone_hit = digits is not None and (phones.get(p.customer_id) or "").endswith(digits)
        if plate_hit or phone_hit:
            out.append(p)
    if len(query) >= 3 and len(out) < limit:
        known = {p.customer_id for p in people}
        hits = or_(*[Vehicle.plate.contains(f, autoescape=True) for f in forms],
                   *([Customer.phone.endswith(digits)] if digits else []))
        rows = session.execute(select(Customer.id, Customer.name, Vehicle.plate)
                               .join(Vehicle, Vehicle.customer_id == Customer.id)
                               .where(Customer.store_id == event.store_id, hits,
                                      Customer.id.notin_(known or {-1}))
                               .order_by(Vehicle.plate).limit(limit - len(out))).all()
        others: dict[int, SignupLine] = {}
        for cid, name, plate in rows:
            line = others.setdefault(cid, SignupLine(cid, name, "none", False, clock.now(), None))
            if plate:
                line.plates.append(plate)
        out += others.values()
    return out[:limit]

def parse_start(text: str) -> datetime:
    """An event's start as typed (``2026-12-05 14:00``, ``12-05 14:00``, ``+7 19:00``,
    ``12-05`` at 09:00; see :func:`store.calls.parse_when`); a bad one is a FieldError."""
    from store.calls import CallError, parse_when

    try:
        return parse_when(text, today=clock.today())
    except CallError as exc:
        raise FieldError("date", str(exc)) from None
