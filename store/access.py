"""Who is acting, and what they may see.

| role | Chinese | sees |
| --- | --- | --- |
| sa | 服务顾问 | full contact details of the customers adopted to them; of the customer at the counter after a logged reveal |
| ca | 销售顾问 | masked details; the customer at the counter after a logged reveal |
| member | 会员专员 | full contact details of the store's members (they run renewals and callbacks) |
| manager | 店长 | the whole store |
| analyst | 集团 | aggregates only, never a customer's details |
| system | (the command line without ``--as``) | everything: whoever runs the shell owns the database file |

What each role may *do* is :data:`RIGHTS`: one right per kind of work, checked by
:func:`require` in every store function that writes or returns customer rows.

Enforced here, in ``store/``, not on screen: every function that returns a
customer's phone or ID number goes through :func:`contact_view`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING


from store.privacy import mask_id_number, mask_phone
from store.plain_sql import sql

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlmodel import Session

    from store.models import Customer

# The models are imported inside the functions that query them: the counter's app
# imports this module (Actor, AccessDenied) and paints its first screen before any
# model is needed.


@dataclass(frozen=True)
class Actor:
    staff_id: int | None
    name: str
    role: str  # sa | ca | member | manager | analyst | system
    store_id: int | None

    @property
    def is_manager(self) -> bool:
        return self.role in ("manager", "system")


SYSTEM = Actor(staff_id=None, name="system", role="system", store_id=None)
# Before anyone signs in at a counter: no rights at all.
NOBODY = Actor(staff_id=None, name="", role="nobody", store_id=None)


class StaffNotFound(LookupError):
    pass


STAFF = frozenset({"sa", "ca", "member", "manager"})  # everyone who serves customers

# What each role may do, one right per kind of work; the system may do everything.
# Every store function that writes, or returns customer rows, checks its right here.
RIGHTS: dict[str, frozenset[str]] = {
    "customers.read": STAFF,  # a customer's rows: lookup, profile, bill, history, lists
    "pitches.record": STAFF,  # 推荐入会
    "complaints.log": STAFF,
    "interests.set": STAFF,  # a customer's interests 兴趣爱好
    "events.read": STAFF,  # club events 会员活动: the list, one event
    "events.signup": STAFF,  # 活动报名: sign up, waitlist, cancel
    "events.checkin": STAFF,  # 活动签到 at the door (awards the event's points)  # 投诉: log one, see and handle one's own (owner rules in store.complaints)
    "points.refer": STAFF,  # a friend referred
    "members.join": STAFF,  # 入会 at the counter or at delivery
    "care.work": frozenset({"sa", "member", "manager"}),  # close care tasks, log calls
    "members.serve": frozenset({"sa", "member", "manager"}),  # renew, top up, pay, benefits
    "points.earn": frozenset({"sa", "member", "manager"}),  # credit an RO
    "points.redeem": frozenset({"sa", "member", "manager"}),  # 兑换
    "insurance.record": frozenset({"sa", "member", "manager"}),  # a policy 保单 entered or corrected by hand
    "points.referral_sold": frozenset({"ca", "member", "manager"}),
    "members.leave": frozenset({"member", "manager"}),  # 退会: stored value paid back
    "members.lapse": frozenset({"member", "manager"}),
    "points.adjust": frozenset({"member", "manager"}),
    "points.expire": frozenset({"member", "manager"}),
    "points.reverse": frozenset({"member", "manager"}),  # undo a ledger row
    "ledger.check": frozenset({"member", "manager"}),  # prove balances equal their ledgers
    "club.ledger": frozenset({"member", "manager"}),  # the club's income and costs
    "events.plan": frozenset({"member", "manager"}),  # add an event, invite its target, book its costs
    "data.import": frozenset({"member", "manager"}),
    "club.settings": frozenset({"manager"}),  # catalog, tiers
    "adoption.assign": frozenset({"manager"}),
    "staff.manage": frozenset({"manager"}),
    "settings.write": frozenset({"manager"}),
    "customers.export": frozenset({"manager"}),
    "reports.read": frozenset({"member", "manager", "analyst"}),
}

ROLE_WORDS = {"sa": "a service advisor", "ca": "a sales consultant", "member": "a member specialist",
              "manager": "a store manager", "analyst": "a group analyst"}


def require_system(actor: "Actor", what: str) -> None:
    """Work on the whole database (its schema, a demo store) is the system's alone."""
    if actor.role != "system":
        raise AccessDenied(f"{what} is the system's work: run it without --as (with --system on a shared database)")


def report_scope(actor: "Actor", store_id: int | None = None) -> list[int] | None:
    """Which stores a report covers for this reader (refused to those without the
    right): staff their own store; the group analyst and the system ``store_id``, or
    every store (None) when none is named."""
    require(actor, "reports.read")
    if actor.role in ("system", "analyst") and store_id is None:
        return None
    store_id = store_id if store_id is not None else actor.store_id
    return [store_id] if store_id is not None else None


def may(actor: "Actor", right: str) -> bool:
    return actor.role == "system" or actor.role in RIGHTS[right]


def require(actor: "Actor", right: str, store_id: int | None = None) -> None:
    """Raise AccessDenied unless this actor has ``right`` (in ``store_id``, for staff)."""
    if actor.role == "system":
        return
    if actor.role not in RIGHTS[right]:
        who = ROLE_WORDS.get(actor.role, actor.role)
        if right == "customers.read" and actor.role == "analyst":
            raise AccessDenied("group analysts see aggregates only, not customers")
        raise AccessDenied(f"{who} may not do this ({right})")
    if store_id is not None and actor.store_id is not None and actor.store_id != store_id \
            and actor.role != "analyst":
        raise AccessDenied("this belongs to another store")


class AccessDenied(PermissionError):
    """The acting staff member may not do this; the message says why."""


def actor_for(session: Session, code: str, *, store_id: int | None = None) -> Actor:
    from sqlmodel import select

    from store.models import Staff

    stmt = select(Staff).where(Staff.code == code.upper(), Staff.active.is_(True))
    if store_id is not None:
        stmt = stmt.where(Staff.store_id == store_id)
    staff = session.exec(stmt).first()
    if staff is None:
        raise StaffNotFound(f"no active staff member with code {code!r}")
    return Actor(staff_id=staff.id, name=staff.name, role=staff.role, store_id=staff.store_id)


def require_manager(actor: Actor, store_id: int | None) -> None:
    if actor.role == "system":
        return
    if actor.role != "manager" or (store_id is not None and actor.store_id != store_id):
        raise AccessDenied("only the store's manager may do this")


def require_customer_access(actor: Actor, store_id: int | None = None) -> None:
    """Group analysts read aggregates only; staff stay in their own store."""
    if actor.role == "system":
        return
    if actor.role == "analyst":
        raise AccessDenied("group analysts see aggregates only, not customers")
    if actor.role not in STAFF:
        raise AccessDenied(f"role {actor.role!r} may not see customers")
    if store_id is not None and actor.store_id is not None and actor.store_id != store_id:
        raise AccessDenied("this customer belongs to another store")


def first_service_advisor(conn: Session | Connection, store_id: int) -> Actor | None:
    """The store's first active service advisor (plain SQL, on a session or a connection)."""
    row = conn.execute(
        sql("SELECT id, name, role, store_id FROM staff WHERE store_id = :sid AND role = 'sa' AND active = :yes "
             "ORDER BY id LIMIT 1"), {"sid": store_id, "yes": True}).first()
    return Actor(staff_id=row.id, name=row.name, role=row.role, store_id=row.store_id) if row else None


def any_staff(conn: Session | Connection) -> bool:
    """Whether the database has any staff member yet (plain SQL)."""
    return conn.execute(sql("SELECT 1 FROM staff LIMIT 1")).first() is not None


def require_for_customer(session: Session, actor: Actor, right: str, customer_id: int) -> Customer:
    """The customer, once this actor may do ``right`` for them (their own store's)."""
    from store.models import Customer

    customer = session.get(Customer, customer_id)
    if customer is None:
        raise LookupError(f"no customer with id {customer_id}")
    require(actor, right, customer.store_id)
    require_customer_access(actor, customer.store_id)
    return customer


def adopted_by(session: Session, customer_id: int, staff_id: int) -> bool:
    from sqlmodel import select

    from store.models import Adoption, Vehicle

    return session.exec(
        select(Adoption.id)
        .join(Vehicle, Vehicle.id == Adoption.vehicle_id)
        .where(Vehicle.customer_id == customer_id, Adoption.staff_id == staff_id, Adoption.ended_on.is_(None))
    ).first() is not None


def may_see_contact(session: Session, actor: Actor, customer: Customer) -> bool:
    """Whether this actor sees the customer's phone and ID number in full."""
    if actor.role == "system":
        return True
    if actor.role == "analyst" or (actor.store_id is not None and actor.store_id != customer.store_id):
        return False
    if actor.role == "manager":
        return True
    if actor.role == "sa" and actor.staff_id is not None:
        return adopted_by(session, customer.id, actor.staff_id)
    if actor.role == "member":
        from sqlmodel import select

        from store.models import Membership

        return session.exec(
            select(Membership.id).where(Membership.customer_id == customer.id, Membership.status == "active")
        ).first() is not None
    return False


@dataclass(frozen=True)
class ContactView:
    phone: str | None
    id_number: str | None
    masked: bool


def contact_view(session: Session, actor: Actor, customer: Customer, *, reason: str | None = None,
                 reveal: bool = False) -> ContactView:
    """The customer's phone and ID number as this actor may see them.

    Full details for those whose role allows it; for anyone else serving the
    customer, ``reveal=True`` with a ``reason`` unmasks (e.g. "at the counter").
    Every unmasked view writes an audit row: who, when, which customer, why."""
    from store.audit import record
    from store.pii import decrypt_id_number

    require_customer_access(actor, customer.store_id)
    allowed = may_see_contact(session, actor, customer)
    if not allowed and reveal:
        if not reason:
            raise AccessDenied("say why you need the full phone number")
        if actor.role not in ("sa", "ca", "member", "manager"):
            raise AccessDenied("this role may not unmask customer details")
        allowed = True
    id_number = decrypt_id_number(customer.id_number_enc) if customer.id_number_enc else None
    if not allowed:
        return ContactView(mask_phone(customer.phone), mask_id_number(id_number), masked=True)
    if actor.role != "system" and (customer.phone or id_number):
        record(session, actor, "contact.unmask", "customer", customer.id, customer_id=customer.id,
               store_id=customer.store_id, detail={"reason": reason or f"role {actor.role}"})
    return ContactView(customer.phone, id_number, masked=False)


# Who may find a customer by a whole phone number: those who see every phone in
# the store anyway. For anyone else a whole number that finds a car would confirm
# it (type a number, see whether a car comes back): they search by the last 4.
WHOLE_PHONE_ROLES = ("manager", "system")


def may_find_by_whole_phone(actor: Actor) -> bool:
    return actor.role in WHOLE_PHONE_ROLES


# Who may import DMS exports (RIGHTS["data.import"]): the store manager and the
# member specialist, who keep the store's data, and the system (scheduled imports,
# the first store). Service and sales advisors and group analysts may not.
def may_import(actor: Actor) -> bool:
    return may(actor, "data.import")


def require_importer(actor: Actor, store_id: int | None) -> None:
    """Raise AccessDenied unless this actor may import, into ``store_id`` (staff: their own)."""
    if not may_import(actor):
        raise AccessDenied("imports are for the store manager and member specialists")
    require(actor, "data.import", store_id)
