"""Points 积分: earn 积分获取, redeem 积分兑换, adjust 手工调整, expire 过期, reverse 冲销.

The ledger (``PointsEntry``) is append-only: every change is a new row with a
unique idempotency key, and a reversal is a new row pointing at the one it undoes.
The account's cached ``balance`` moves in the same transaction, and two sums must
always equal it: the ledger's points, and the ``remaining`` of its positive rows
(the "lots" that redemption and expiry spend, oldest first). ``check_ledger``
proves both.

Concurrency: every function that debits an account first locks it, ``SELECT ... FOR
UPDATE`` on Postgres (the caller runs it through ``store.db.in_transaction``, which
retries serialization failures and deadlocks), and on SQLite the caller's
``write_session`` already holds the write lock (``BEGIN IMMEDIATE``). The balance is
read, checked and written under that lock, and the idempotency key is checked under
it too, so two tills with the same key redeem once and two tills with different
keys can never spend the same point.

Row kinds:

| kind | Chinese | points | key |
| --- | --- | --- | --- |
| earn | 消费积分 | + | ``earn:visit:<visit id>`` (once per RO, however often imported) |
| referral | 推荐奖励 | + | ``referral:<referral id>`` |
| activity | 活动积分 | + | ``activity:event:<event id>:customer:<customer id>`` (once per attendee, :mod:`store.events`) |
| adjust | 手工调整 | ± | ``adjust:<key>`` (with reason and staff member) |
| redeem | 积分兑换 | − | ``redeem:<key>`` |
| expire | 积分过期 | − | ``expire:<lot id>`` |
| reverse | 冲销 | ∓ | ``reverse:<entry id>`` |
| recover | 追回 | − | ``recover:<entry id>``: a later credit repays points a reversal could not take back |
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, select

from store import audit, clock
from store.validation import FieldError, clean_text
from store.access import Actor, require, require_for_customer
from store.dates import add_months
from store.models import (
    CatalogItem,
    Customer,
    Membership,
    PointsAccount,
    PointsEntry,
    Referral,
    Staff,
    Vehicle,
    Visit,
)
from store.settings import get_setting, get_settings

CREDIT_KINDS = ("earn", "referral", "activity", "adjust", "reverse")  # rows that may hold a lot (points > 0)
CATEGORIES = ("labour", "parts", "oil", "accessories")
MAX_KEY_LEN = 100
MAX_QUANTITY = 99


class PointsError(Exception):
    """A refused points action. ``str()`` is one line (English) for a log or the
    command line; ``code`` and ``facts`` let a screen word it in its own language."""

    def __init__(self, message: str, *, code: str | None = None, **facts) -> None:
        super().__init__(message)
        self.code, self.facts = code, facts


class PointsNotFound(PointsError):
    pass


@dataclass(frozen=True)
class ExpiringLot:
    """Points that lapse after ``expires_on`` (the last day they can still be used)."""

    expires_on: date
    points: int


@dataclass
class EarnResult:
    visit_id: int
    ro_number: str
    customer_id: int | None
    status: str  # earned | already | reversed | already_reversed | skipped
    points: int = 0  # earned (+) or taken back (−) by this call or the one it repeats
    balance: int | None = None
    owed: int = 0  # points a reversal could not take back (already spent)
    reason: str = ""

    def as_dict(self) -> dict:
        return {
            "visit_id": self.visit_id, "ro_number": self.ro_number, "customer_id": self.customer_id,
            "status": self.status, "points": self.points, "balance": self.balance, "owed": self.owed,
            "reason": self.reason,
        }


@dataclass
class RedeemResult:
    entry_id: int
    customer_id: int
    key: str
    points: int  # spent, positive
    balance: int  # right after this redemption
    item_code: str | None = None
    item_name: str | None = None
    quantity: int | None = None
    money_fen: int | None = None
    replayed: bool = False  # this key had already redeemed; nothing new was spent

    def as_dict(self) -> dict:
        return {
            "entry_id": self.entry_id, "customer_id": self.customer_id, "key": self.key, "points": self.points,
            "balance": self.balance, "item_code": self.item_code, "item_name": self.item_name,
            "quantity": self.quantity, "money_fen": self.money_fen, "replayed": self.replayed,
        }


@dataclass
class EntryResult:
    """The outcome of an adjustment, a referral reward or a reversal."""

    entry_id: int
    customer_id: int
    kind: str
    points: int
    balance: int
    owed: int = 0
    replayed: bool = False

    def as_dict(self) -> dict:
        return {"entry_id": self.entry_id, "customer_id": self.customer_id, "kind": self.kind,
                "points": self.points, "balance": self.balance, "owed": self.owed, "replayed": self.replayed}


@dataclass
class HistoryLine:
    entry_id: int
    at: datetime
    kind: str
    points: int
    balance_after: int
    description: str
    staff: str | None
    reason: str | None
    expires_on: date | None
    remaining: int

    def as_dict(self) -> dict:
        return {"entry_id": self.entry_id, "at": self.at.isoformat(timespec="seconds"), "kind": self.kind,
                "points": self.points, "balance_after": self.balance_after, "description": self.description,
                "staff": self.staff, "reason": self.reason,
                "expires_on": self.expires_on.isoformat() if self.expires_on else None, "remaining": self.remaining}


@dataclass
class CatalogLine:
    id: int
    code: str
    name: str
    category: str  # service 服务 | accessory 精品 | gift 礼品
    price_points: int
    stock: int | None  # None: no stock kept

    def as_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "category": self.category,
                "price_points": self.price_points, "stock": self.stock}


@dataclass
class LedgerDifference:
    customer_id: int
    account_id: int
    cached: int
    ledger_sum: int
    lots_remaining: int

    def describe(self) -> str:
        return (f"customer {self.customer_id}: cached balance {self.cached}, ledger sum {self.ledger_sum}, "
                f"unspent lots {self.lots_remaining}")


@dataclass
class LedgerCheck:
    accounts: int
    differences: list[LedgerDifference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences


# --- small helpers -----------------------------------------------------------


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _text(value: str | None, field: str, limit: int, *, missing: str) -> str:
    """Required, bounded text without control characters, refused as a PointsError."""
    try:
        text = clean_text(value, field=field, max_len=limit)
    except FieldError as exc:
        raise PointsError(str(exc)) from exc
    if not text:
        raise PointsError(missing)
    return text


def _check_key(key: str | None) -> str:
    if key is None:
        return uuid.uuid4().hex
    key = key.strip()
    if not key or len(key) > MAX_KEY_LEN or any(ord(c) < 32 for c in key):
        raise PointsError(f"an idempotency key is 1-{MAX_KEY_LEN} printable characters")
    return key


def _entry_by_key(session: Session, key: str) -> PointsEntry | None:
    return session.exec(select(PointsEntry).where(PointsEntry.idempotency_key == key)).first()


def _customer(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise PointsNotFound(f"no customer with id {customer_id}")
    return customer


def lock_account(session: Session, customer_id: int) -> PointsAccount:
    """The customer's account, created if missing, locked for this transaction.

    Creation is ``INSERT ... ON CONFLICT DO NOTHING`` so two first earns at once
    make one account; the ``FOR UPDATE`` then serializes every debit on Postgres.
    """
    stmt = (select(PointsAccount).where(PointsAccount.customer_id == customer_id).with_for_update()
            .execution_options(populate_existing=True))
    account = session.exec(stmt).first()
    if account is not None:
        return account
    if _dialect(session) == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    session.execute(
        insert(PointsAccount.__table__)
        .values(customer_id=customer_id, balance=0, owed=0, updated_at=clock.now())
        .on_conflict_do_nothing(index_elements=["customer_id"])
    )
    return session.exec(stmt).one()


def _lots(session: Session, account_id: int, *, exclude_id: int | None = None) -> list[PointsEntry]:
    """Unspent positive rows, oldest first (FIFO)."""
    stmt = select(PointsEntry).where(PointsEntry.account_id == account_id, PointsEntry.remaining > 0)
    if exclude_id is not None:
        stmt = stmt.where(PointsEntry.id != exclude_id)
    return list(session.exec(stmt.order_by(PointsEntry.id).execution_options(populate_existing=True)).all())


def _consume(session: Session, account: PointsAccount, points: int, *, exclude_id: int | None = None) -> int:
    """Take up to ``points`` from the oldest lots; returns what was taken."""
    left = points
    for lot in _lots(session, account.id, exclude_id=exclude_id):
        if left <= 0:
            break
        take = min(left, lot.remaining)
        lot.remaining -= take
        session.add(lot)
        left -= take
    return points - left


def _lot_expiry(session: Session, store_id: int) -> date | None:
    months = int(get_setting(session, "points_expiry_months", store_id=store_id) or 0)
    return add_months(clock.today(), months) if months > 0 else None


def _add_row(session: Session, account: PointsAccount, **fields) -> PointsEntry:
    row = PointsEntry(account_id=account.id, created_at=clock.now(), **fields)
    session.add(row)
    account.balance += row.points
    account.updated_at = clock.now()
    session.add(account)
    session.flush()
    if account.balance < 0:  # the rule every function keeps; a bug must not commit
        raise AssertionError(f"points account {account.id} would go below zero")
    return row


def _credit(session: Session, account: PointsAccount, *, store_id: int, kind: str, points: int, key: str,
            actor: Actor, **fields) -> tuple[PointsEntry, int]:
    """A new lot of ``points``. Points still owed from a reversal are repaid from it
    first, as a ``recover`` row. Returns (the row, points recovered)."""
    row = _add_row(session, account, kind=kind, points=points, remaining=points, idempotency_key=key,
                   expires_on=_lot_expiry(session, store_id), staff_id=actor.staff_id, **fields)
    recovered = min(account.owed, points)
    if recovered > 0:
        row.remaining -= recovered
        account.owed -= recovered
        session.add(row)
        _add_row(session, account, kind="recover", points=-recovered, remaining=0,
                 idempotency_key=f"recover:{row.id}", reverses_id=row.id, staff_id=actor.staff_id,
                 reason=f"repays {recovered} points a reversal could not take back")
    return row, recovered


def _expire_overdue(session: Session, account: PointsAccount, today: date) -> int:
    """Expire every lot whose last day is before ``today``; returns points expired."""
    lots = session.exec(
        select(PointsEntry)
        .where(PointsEntry.account_id == account.id, PointsEntry.remaining > 0,
               PointsEntry.expires_on.is_not(None), PointsEntry.expires_on < today)
        .order_by(PointsEntry.id)
        .execution_options(populate_existing=True)
    ).all()
    total = 0
    for lot in lots:
        points = lot.remaining
        lot.remaining = 0
        session.add(lot)
        _add_row(session, account, kind="expire", points=-points, remaining=0, idempotency_key=f"expire:{lot.id}",
                 reverses_id=lot.id, reason=f"expired after {lot.expires_on.isoformat()}")
        total += points
    return total


def _balance_after(session: Session, entry: PointsEntry) -> int:
    return session.exec(
        select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
            PointsEntry.account_id == entry.account_id, PointsEntry.id <= entry.id)
    ).one()


# --- reading ----------------------------------------------------------------


def balance(session: Session, *, customer_id: int) -> int:
    acct = session.exec(select(PointsAccount).where(PointsAccount.customer_id == customer_id)).first()
    return acct.balance if acct else 0


def expiring_soon(session: Session, *, customer_id: int, within_days: int = 30) -> list[ExpiringLot]:
    """Points whose last valid day falls within the next ``within_days`` days, oldest
    first, one row per day. Empty when the store keeps no expiry."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        return []
    if not get_setting(session, "points_expiry_months", store_id=customer.store_id):
        return []
    today = clock.today()
    rows = session.exec(
        select(PointsEntry.expires_on, PointsEntry.remaining)
        .join(PointsAccount, PointsAccount.id == PointsEntry.account_id)
        .where(
            PointsAccount.customer_id == customer_id,
            PointsEntry.remaining > 0,
            PointsEntry.expires_on.is_not(None),
            PointsEntry.expires_on >= today,
            PointsEntry.expires_on <= today + timedelta(days=within_days),
        )
        .order_by(PointsEntry.expires_on)
    ).all()
    by_day: dict[date, int] = {}
    for expires_on, remaining in rows:
        by_day[expires_on] = by_day.get(expires_on, 0) + remaining
    return [ExpiringLot(expires_on=d, points=p) for d, p in by_day.items()]


def history(session: Session, *, customer_id: int, actor: Actor, limit: int = 50) -> list[HistoryLine]:
    """The ledger, newest first, each line with the balance right after it."""
    require_for_customer(session, actor, "customers.read", customer_id)
    acct = session.exec(select(PointsAccount).where(PointsAccount.customer_id == customer_id)).first()
    if acct is None:
        return []
    rows = session.exec(select(PointsEntry).where(PointsEntry.account_id == acct.id).order_by(PointsEntry.id)).all()
    items = {i.id: i for i in session.exec(select(CatalogItem).where(
        CatalogItem.id.in_({r.catalog_item_id for r in rows if r.catalog_item_id}))).all()}
    ros = dict(session.exec(select(Visit.id, Visit.ro_number).where(
        Visit.id.in_({r.visit_id for r in rows if r.visit_id}))).all())
    staff = dict(session.exec(select(Staff.id, Staff.name).where(
        Staff.id.in_({r.staff_id for r in rows if r.staff_id}))).all())
    running = 0
    out: list[HistoryLine] = []
    for r in rows:
        running += r.points
        if r.catalog_item_id and r.catalog_item_id in items:
            desc = f"{items[r.catalog_item_id].name} x{r.quantity or 1}"
        elif r.money_fen:
            desc = f"¥{r.money_fen / 100:,.2f}"
        elif r.visit_id:
            desc = ros.get(r.visit_id, f"visit {r.visit_id}")
        else:
            desc = r.reason or ""
        out.append(HistoryLine(r.id, r.created_at, r.kind, r.points, running, desc, staff.get(r.staff_id),
                               r.reason, r.expires_on, r.remaining))
    out.reverse()
    return out[:limit]


def catalog(session: Session, *, store_id: int, query: str = "") -> list[CatalogLine]:
    """Active catalog items, filtered by code, name or the name's pinyin (full or initials)."""
    from store.lookup import pinyin_forms  # pypinyin's tables load only when a catalog is searched

    rows = session.exec(select(CatalogItem).where(CatalogItem.store_id == store_id, CatalogItem.active.is_(True))
                        .order_by(CatalogItem.price_points, CatalogItem.code)).all()
    q = query.strip().lower()
    out = []
    for r in rows:
        if q:
            full, initials = pinyin_forms(r.name)
            if not any(q in s for s in (r.code.lower(), r.name.lower(), full, initials)):
                continue
        out.append(CatalogLine(r.id, r.code, r.name, r.category, r.price_points, r.stock))
    return out


def set_catalog_item(session: Session, *, store_id: int, code: str, name: str, category: str, price_points: int,
                     stock: int | None = None, active: bool = True, actor: Actor) -> CatalogLine:
    """Add or change a catalog item (by code)."""
    require(actor, "club.settings", store_id)
    code = _text(code, "catalog code", 32, missing="a catalog code is 1-32 characters").upper()
    name = _text(name, "catalog name", 100, missing="a catalog item needs a name")
    if category not in ("service", "accessory", "gift"):
        raise PointsError(f"category {category!r}: use service, accessory or gift")
    if price_points <= 0:
        raise PointsError("a catalog price is a positive number of points")
    if stock is not None and stock < 0:
        raise PointsError("stock cannot be negative")
    item = session.exec(select(CatalogItem).where(CatalogItem.store_id == store_id, CatalogItem.code == code)).first()
    before = None
    if item is None:
        item = CatalogItem(store_id=store_id, code=code, name=name, category=category, price_points=price_points,
                           stock=stock, active=active)
    else:
        before = {"name": item.name, "price_points": item.price_points, "stock": item.stock, "active": item.active}
        item.name, item.category, item.price_points, item.stock, item.active = name, category, price_points, stock, active
    session.add(item)
    session.flush()
    audit.record(session, actor, "catalog.set", "catalogitem", item.id, store_id=store_id,
                 detail={"code": code, "name": name, "price_points": price_points, "stock": stock, "before": before})
    return CatalogLine(item.id, item.code, item.name, item.category, item.price_points, item.stock)


# --- earning ------------------------------------------------------------------


def visit_points(session: Session, visit: Visit, *, store_id: int, multiplier_pct: int = 100) -> int:
    """Points a visit earns by the store's rules: a rate per 100 yuan for each spend
    category (labour 工时, parts 配件, oil 油品/养护, accessories 精品; the rest at the
    default rate), times the tier's multiplier, rounded down. Exact decimal arithmetic."""
    rules = get_settings(session, store_id=store_id)
    if visit.repair_type in (rules.get("points_excluded_repair_types") or []):
        return 0
    default = Decimal(str(rules["points_per_100_yuan"]))
    rates = {k: Decimal(str(v)) for k, v in (rules.get("points_rate_by_category") or {}).items()}
    amounts = {c: max(0, getattr(visit, f"{c}_fen") or 0) for c in CATEGORIES}
    total = max(0, visit.total_fen or 0)
    split = sum(amounts.values())
    if total and split > total:  # categories before a discount: earn on what was paid
        amounts = {c: Decimal(a) * total / split for c, a in amounts.items()}
        split = total
    amounts = {c: Decimal(a) for c, a in amounts.items()}
    amounts["other"] = Decimal(max(0, total - split))
    raw = sum(a * rates.get(c, default) for c, a in amounts.items()) / Decimal(10000)
    return math.floor(raw * Decimal(multiplier_pct) / Decimal(100))


def _visit_owner(session: Session, visit: Visit) -> int | None:
    vehicle = session.get(Vehicle, visit.vehicle_id)
    return vehicle.customer_id if vehicle else None


def _earn_key(visit_id: int) -> str:
    return f"earn:visit:{visit_id}"


def earn_for_visit(session: Session, *, visit_id: int, actor: Actor) -> EarnResult:
    """Credit a settled visit's points, once per RO however often it is imported; a
    cancelled RO has its points taken back instead. Call in a write transaction."""
    require(actor, "points.earn")
    from store import members

    visit = session.get(Visit, visit_id)
    if visit is None:
        raise PointsNotFound(f"no visit with id {visit_id}")
    if visit.status == "cancelled":
        return reverse_visit(session, visit_id=visit_id, actor=actor)
    customer_id = _visit_owner(session, visit)
    result = EarnResult(visit.id, visit.ro_number, customer_id, "skipped")
    if customer_id is None:
        result.reason = "the car has no owner on file"
        return result
    key = _earn_key(visit.id)
    existing = _entry_by_key(session, key)
    if existing is None:
        day = members.ro_day(visit)
        membership = members.membership_in_force(session, customer_id=customer_id, on=day)
        members_only = get_setting(session, "points_members_only", store_id=visit.store_id)
        if membership is None and members_only:
            result.reason = f"not a member on {day.isoformat()}"
            return result
        tier = members.tier_for_ro(session, membership, visit) if membership else None
        points = visit_points(session, visit, store_id=visit.store_id,
                              multiplier_pct=tier.points_multiplier_pct if tier else 100)
        if points <= 0:
            result.reason = "earns no points (amount or repair type)"
            return result
        # The tier rules first (reads, and an upgrade event at most): from the account's
        # lock on, nothing but the credit's statements until the caller commits.
        if membership is not None:
            members.review_tier_after_visit(session, membership=membership, visit=visit, actor=actor)
        done = _lean_credit(session, actor, _lean_credit_of(
            customer_id=customer_id, kind="earn", points=points, key=key, staff_id=actor.staff_id, store_id=None,
            action="points.earn", reason=visit.ro_number, visit_id=visit.id, audit_store_id=visit.store_id,
            detail=lambda recovered: _audit_detail(actor, {"ro": visit.ro_number, "points": points,
                                                           "recovered": recovered})))
        existing = _entry_by_key(session, key) if done is None else None  # another till earned it meanwhile
        if done is not None:
            result.status, result.points, result.balance = "earned", points, done.balance
            return result
    reversed_ = _entry_by_key(session, f"reverse:{existing.id}")
    result.status = "already_reversed" if reversed_ else "already"
    result.points = existing.points
    result.balance = balance(session, customer_id=customer_id)
    result.reason = "this RO has already earned its points"
    return result


def reverse_visit(session: Session, *, visit_id: int, actor: Actor, reason: str = "RO cancelled") -> EarnResult:
    """Take back what a cancelled or reversed RO earned (a new ``reverse`` row).

    What the customer already spent comes from their other points, oldest first; what
    they no longer have is recorded as owed and repaid from their next credits. Points
    of this RO that already expired are not taken twice. Reversing twice is a no-op."""
    require(actor, "points.earn")
    visit = session.get(Visit, visit_id)
    if visit is None:
        raise PointsNotFound(f"no visit with id {visit_id}")
    customer_id = _visit_owner(session, visit)
    result = EarnResult(visit.id, visit.ro_number, customer_id, "skipped")
    earn = _entry_by_key(session, _earn_key(visit.id))
    if earn is None:
        result.reason = "this RO earned no points"
        return result
    entry = _lean_take_back(session, earn.id, actor=actor, reason=reason, store_id=visit.store_id)
    if entry is None:
        account = session.get(PointsAccount, earn.account_id)
        account = lock_account(session, account.customer_id)
        entry = _reverse_credit(session, account, earn, actor=actor, reason=reason, store_id=visit.store_id)
    result.status = "already_reversed" if entry.replayed else "reversed"
    result.points, result.balance, result.owed = entry.points, entry.balance, entry.owed
    return result


def visit_id_of(session: Session, *, store_id: int, ro_number: str) -> int | None:
    """The visit of an RO number 工单号 in this store, if it has one."""
    return session.exec(select(Visit.id).where(Visit.store_id == store_id, Visit.ro_number == ro_number)).first()


def cancel_ro(session: Session, *, store_id: int, ro_number: str, reason: str, actor: Actor) -> EarnResult:
    """An RO cancelled by hand 工单作废 (as an import's status column does): the visit is
    marked cancelled and what it earned is taken back through :func:`reverse_visit`,
    once. Both are audited (``visit.cancel``, ``points.reverse``)."""
    require(actor, "points.reverse", store_id)
    reason = _text(reason, "reason", 200, missing="cancelling an RO needs a reason")
    ro = _text(ro_number, "RO number", 40, missing="give the RO number")
    visit = session.exec(select(Visit).where(Visit.store_id == store_id, Visit.ro_number == ro).with_for_update()
                         .execution_options(populate_existing=True)).first()
    if visit is None:
        raise PointsNotFound(f"no RO {ro!r} in this store")
    if visit.status != "cancelled":
        visit.status = "cancelled"
        session.add(visit)
        session.flush()
        audit.record(session, actor, "visit.cancel", "visit", visit.id, customer_id=_visit_owner(session, visit),
                     store_id=store_id, detail={"ro": visit.ro_number, "reason": reason})
    return reverse_visit(session, visit_id=visit.id, actor=actor, reason=f"RO cancelled: {reason}")


def _reverse_credit(session: Session, account: PointsAccount, credit: PointsEntry, *, actor: Actor, reason: str,
                    store_id: int | None) -> EntryResult:
    key = f"reverse:{credit.id}"
    done = _entry_by_key(session, key)
    if done is not None:
        return EntryResult(done.id, account.customer_id, "reverse", done.points, account.balance, replayed=True)
    # Overdue points go first, so a reversal never takes back points that are lost anyway.
    _expire_overdue(session, account, clock.today())
    session.refresh(credit)
    expired = -session.exec(select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
        PointsEntry.kind == "expire", PointsEntry.reverses_id == credit.id)).one()
    recovered = -session.exec(select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
        PointsEntry.kind == "recover", PointsEntry.reverses_id == credit.id)).one()
    # Points recovered from this credit went to an earlier debt, which stays repaid.
    take_back = credit.points - expired - recovered
    from_own = min(take_back, credit.remaining)
    credit.remaining -= from_own
    session.add(credit)
    from_others = _consume(session, account, min(take_back - from_own, account.balance - from_own),
                           exclude_id=credit.id)
    owed = take_back - from_own - from_others
    account.owed += owed
    note = reason + (f"; owed {owed} points already spent" if owed else "")
    row = _add_row(session, account, kind="reverse", points=-(from_own + from_others), remaining=0,
                   idempotency_key=key, reverses_id=credit.id, visit_id=credit.visit_id, staff_id=actor.staff_id,
                   reason=note[:255])
    audit.record(session, actor, "points.reverse", "pointsentry", row.id, customer_id=account.customer_id,
                 store_id=store_id, detail={"reverses": credit.id, "points": row.points, "owed": owed, "reason": reason})
    return EntryResult(row.id, account.customer_id, "reverse", row.points, account.balance, owed)


def sync_visits(session: Session, *, store_id: int, since: date | None = None, actor: Actor) -> list[EarnResult]:
    """Earn for every settled visit of members not yet credited, and take back every
    cancelled RO's points: safe to run after every import, any number of times."""
    require(actor, "points.earn", store_id)
    # Only members' cars can earn: a million imported rows of non-members cost one query, not a million.
    members_cars = select(Vehicle.id).join(Membership, Membership.customer_id == Vehicle.customer_id)
    stmt = select(Visit.id).where(Visit.store_id == store_id, Visit.vehicle_id.in_(members_cars))
    if since is not None:
        stmt = stmt.where(Visit.date_in >= since)
    credited = select(PointsEntry.visit_id).where(PointsEntry.kind == "earn", PointsEntry.visit_id.is_not(None))
    reversed_ = select(PointsEntry.visit_id).where(PointsEntry.kind == "reverse", PointsEntry.visit_id.is_not(None))
    # In the order tiers follow (store.members.tier_for_ro): by settlement day, then RO.
    to_earn = session.exec(stmt.where(Visit.status != "cancelled", Visit.id.not_in(credited))
                           .order_by(func.coalesce(Visit.settled_on, Visit.date_in), Visit.id)).all()
    to_reverse = session.exec(stmt.where(Visit.status == "cancelled", Visit.id.in_(credited),
                                         Visit.id.not_in(reversed_)).order_by(Visit.id)).all()
    results = [earn_for_visit(session, visit_id=v, actor=actor) for v in to_earn]
    results += [reverse_visit(session, visit_id=v, actor=actor) for v in to_reverse]
    return [r for r in results if r.status in ("earned", "reversed")]


@dataclass
class ReferralResult:
    """What became of a referral whose friend bought: ``rewarded`` (points credited
    now), ``already_rewarded`` (credited before; nothing new), or ``matched`` (the
    sale is recorded, no points: ``reason`` says why, e.g. the referrer was not a
    member in force on the day of the sale)."""

    referral_id: int
    customer_id: int
    status: str
    points: int = 0
    balance: int | None = None
    entry_id: int | None = None
    sold_on: date | None = None
    vehicle_id: int | None = None
    reason: str = ""

    @property
    def replayed(self) -> bool:
        return self.status == "already_rewarded"

    def as_dict(self) -> dict:
        return {"referral_id": self.referral_id, "customer_id": self.customer_id, "status": self.status,
                "points": self.points, "balance": self.balance, "entry_id": self.entry_id,
                "sold_on": self.sold_on.isoformat() if self.sold_on else None, "vehicle_id": self.vehicle_id,
                "reason": self.reason}


def reward_referral(session: Session, *, referral_id: int, sold_on: date | None = None, vehicle_id: int | None = None,
                    actor: Actor) -> ReferralResult:
    """A referred friend bought a car: record the sale (its day, the car when known)
    and credit the referrer once (``referral:<id>``). Where ``points_members_only`` is
    on (the default), only a referrer whose membership was in force on the day of the
    sale earns; otherwise the sale is recorded as matched, without points."""
    from store import members

    ref = session.exec(select(Referral).where(Referral.id == referral_id).with_for_update()
                       .execution_options(populate_existing=True)).first()
    if ref is None:
        raise PointsNotFound(f"no referral with id {referral_id}")
    require(actor, "points.referral_sold", ref.store_id)
    key = f"referral:{ref.id}"
    done = _entry_by_key(session, key)
    if done is not None:
        return ReferralResult(ref.id, ref.referrer_customer_id, "already_rewarded", done.points,
                              balance(session, customer_id=ref.referrer_customer_id), done.id, ref.sold_on,
                              ref.vehicle_id, "this referral was rewarded before")
    if vehicle_id is not None:
        car = session.get(Vehicle, vehicle_id)
        if car is None or car.store_id != ref.store_id:
            raise PointsNotFound(f"no car {vehicle_id} in this store")
    ref.sold_on = sold_on or ref.sold_on or clock.today()
    ref.vehicle_id = vehicle_id or ref.vehicle_id
    session.add(ref)
    detail = {"referral": ref.id, "sold_on": ref.sold_on, "vehicle_id": ref.vehicle_id}
    result = ReferralResult(ref.id, ref.referrer_customer_id, "matched", sold_on=ref.sold_on,
                            vehicle_id=ref.vehicle_id)
    rules = get_settings(session, store_id=ref.store_id)
    points = int(rules["points_referral_reward"])
    member = members.membership_in_force(session, customer_id=ref.referrer_customer_id, on=ref.sold_on)
    if rules["points_members_only"] and member is None:
        result.reason = f"the referrer was not a member on {ref.sold_on.isoformat()} (points_members_only)"
    elif points <= 0:
        result.reason = "this store gives no points for referrals (points_referral_reward is 0)"
    if result.reason:
        session.flush()
        audit.record(session, actor, "referral.matched", "referral", ref.id, customer_id=ref.referrer_customer_id,
                     store_id=ref.store_id, detail={**detail, "points": 0, "reason": result.reason})
        return result
    account = lock_account(session, ref.referrer_customer_id)
    ref.rewarded = True
    session.add(ref)
    row, _ = _credit(session, account, store_id=ref.store_id, kind="referral", points=points, key=key, actor=actor,
                     reason=f"referred {ref.friend_name}"[:255])
    audit.record(session, actor, "points.referral", "pointsentry", row.id, customer_id=ref.referrer_customer_id,
                 store_id=ref.store_id, detail={**detail, "points": points})
    result.status, result.points, result.balance, result.entry_id = "rewarded", points, account.balance, row.id
    return result


def record_referral(session: Session, *, referrer_customer_id: int, friend_name: str, friend_phone: str | None = None,
                    referred_on: date | None = None, actor: Actor) -> Referral:
    """A customer 推荐 a friend; the referral is matched to the friend's car when an
    import (or a sale by hand) brings one bought by that phone
    (:func:`store.referrals.match_referrals`), and rewarded by :func:`reward_referral`."""
    from store.referrals import normalize_phone

    require_for_customer(session, actor, "points.refer", referrer_customer_id)
    customer = _customer(session, referrer_customer_id)
    friend_name = _text(friend_name, "friend's name", 100, missing="the friend's name is 1-100 characters")
    phone = None
    if friend_phone is not None and friend_phone.strip():
        phone = normalize_phone(friend_phone)
        if phone is None:
            raise PointsError(f"the friend's phone {friend_phone!r} is not a phone number")
    ref = Referral(store_id=customer.store_id, referrer_customer_id=customer.id, friend_name=friend_name,
                   friend_phone=phone, referred_on=referred_on or clock.today())
    session.add(ref)
    session.flush()
    audit.record(session, actor, "referral.add", "referral", ref.id, customer_id=customer.id, store_id=customer.store_id,
                 detail={"friend": friend_name})
    return ref


def award_activity(session: Session, *, customer_id: int, points: int, key: str, reason: str, actor: Actor,
                   on: date) -> tuple[PointsEntry | None, str | None]:
    """Points for attending a club event (:func:`store.events.check_in` checks the
    right and the attendance), credited once per ``key``. Where ``points_members_only``
    is on (the default) only a member in force on ``on`` earns. Returns (the ledger
    row, or None; why none, or None)."""
    from store import members

    customer = _customer(session, customer_id)
    if points <= 0:
        return None, None
    if get_setting(session, "points_members_only", store_id=customer.store_id) and \
            members.membership_in_force(session, customer_id=customer_id, on=on) is None:
        return None, "not a member: no points (points_members_only)"
    done = _entry_by_key(session, key)
    if done is not None:
        return done, "awarded before"
    credited = _lean_credit(session, actor, _lean_credit_of(
        customer_id=customer_id, kind="activity", points=points, key=key, staff_id=actor.staff_id, store_id=None,
        action="points.activity", reason=reason,
        detail=lambda _recovered: _audit_detail(actor, {"points": points, "key": key})))
    if credited is None:  # another door's check-in credited it meanwhile
        return _entry_by_key(session, key), "awarded before"
    return session.get(PointsEntry, credited.entry_id), None


# --- adjusting and redeeming ------------------------------------------------------


def adjust(session: Session, *, customer_id: int, points: int, reason: str, actor: Actor,
           key: str | None = None) -> EntryResult:
    """A manual correction, with its reason and the staff member who made it.

    In a fresh transaction it runs as its statements alone (:mod:`store.points_lean`:
    a credit 6 on SQLite with BEGIN and COMMIT, 4 round trips on Postgres; a debit
    the same); a refusal or a replayed key goes through the full rules below."""
    from store import points_lean

    require(actor, "points.adjust")
    reason = _text(reason, "reason", 255, missing="an adjustment needs a reason")
    if actor.staff_id is None:
        raise PointsError("an adjustment needs the staff member making it (--as CODE)")
    if points == 0:
        raise PointsError("an adjustment of 0 points changes nothing")
    key = f"adjust:{_check_key(key)}"
    if not session.in_transaction():
        sqlite = _dialect(session) == "sqlite"
        store_id = None if actor.role == "system" else actor.store_id
        detail = _audit_detail(actor, {"points": points, "reason": reason})
        stamps = {"now": clock.now(), "today": clock.today(), "at": clock.real_now()}
        cur = points_lean.session_cursor(session, begin=True)
        try:
            if points > 0:
                done = points_lean.credit(cur, points_lean.Credit(
                    customer_id=customer_id, kind="adjust", points=points, key=key, staff_id=actor.staff_id,
                    store_id=store_id, action="points.adjust", reason=reason, detail=lambda _recovered: detail,
                    expiry_months=_outside_expiry_months()), sqlite=sqlite, **stamps)
            else:
                done = points_lean.manual_debit(cur, customer_id=customer_id, cost=-points, kind="adjust", key=key,
                                                staff_id=actor.staff_id, store_id=store_id, reason=reason,
                                                action="points.adjust", detail=detail, sqlite=sqlite, **stamps)
        except points_lean.Retry:
            done = None
            session.rollback()
        finally:
            cur.close()
        if done is not None:
            return EntryResult(done.entry_id, customer_id, "adjust", points, done.balance)
    return _adjust_by_the_rules(session, customer_id=customer_id, points=points, reason=reason, actor=actor, key=key)


def _adjust_by_the_rules(session: Session, *, customer_id: int, points: int, reason: str, actor: Actor,
                         key: str) -> EntryResult:
    require_for_customer(session, actor, "points.adjust", customer_id)
    customer = _customer(session, customer_id)
    account = lock_account(session, customer_id)
    done = _entry_by_key(session, key)
    if done is not None:
        if done.account_id != account.id:
            raise PointsError("this key was already used for another customer")
        return EntryResult(done.id, customer_id, "adjust", done.points, _balance_after(session, done), replayed=True)
    if points > 0:
        row, _ = _credit(session, account, store_id=customer.store_id, kind="adjust", points=points, key=key,
                         actor=actor, reason=reason)
    else:
        _expire_overdue(session, account, clock.today())
        if account.balance < -points:
            raise PointsError(f"not enough points: balance {account.balance}, adjustment {points}")
        _consume(session, account, -points)
        row = _add_row(session, account, kind="adjust", points=points, remaining=0, idempotency_key=key,
                       staff_id=actor.staff_id, reason=reason)
    audit.record(session, actor, "points.adjust", "pointsentry", row.id, customer_id=customer_id,
                 store_id=customer.store_id, detail={"points": points, "reason": reason})
    return EntryResult(row.id, customer_id, "adjust", points, account.balance)


def _lean_credit_of(**fields):
    """What a credit writes (:class:`store.points_lean.Credit`), with the lot expiry
    the environment or config file sets, if any."""
    from store.points_lean import Credit

    return Credit(expiry_months=_outside_expiry_months(), **fields)


def _lean_credit(session: Session, actor: Actor, credit):
    """A credit's statements (:func:`store.points_lean.credit`) in the session's
    transaction, which has begun (its pending changes flushed first). None: the key
    was used meanwhile, nothing written."""
    from store import points_lean

    cur = points_lean.session_cursor(session, begin=False)
    try:
        return points_lean.credit(cur, credit, sqlite=_dialect(session) == "sqlite", now=clock.now(),
                                  today=clock.today(), at=clock.real_now())
    finally:
        cur.close()


def _lean_take_back(session: Session, credit_id: int, *, actor: Actor, reason: str,
                    store_id: int | None) -> EntryResult | None:
    """A credit taken back by its statements (:func:`store.points_lean.take_back`) in
    the session's begun transaction. None: nothing written, the full rules decide."""
    from store import points_lean

    cur = points_lean.session_cursor(session, begin=False)
    try:
        done = points_lean.take_back(
            cur, credit_id=credit_id, key=f"reverse:{credit_id}", staff_id=actor.staff_id, reason=reason,
            audit_store_id=store_id, sqlite=_dialect(session) == "sqlite", now=clock.now(), today=clock.today(),
            at=clock.real_now(),
            detail=lambda taken, owed: _audit_detail(actor, {"reverses": credit_id, "points": taken, "owed": owed,
                                                             "reason": reason}))
    finally:
        cur.close()
    if done is None:
        return None
    return EntryResult(done.entry_id, done.customer_id, "reverse", done.points, done.balance, done.owed)


def _account_owner(session: Session, account_id: int) -> int:
    return session.get(PointsAccount, account_id).customer_id


def _audit_detail(actor: Actor, detail: dict) -> str | None:
    """The audit detail as :func:`store.audit.record` would encode it for this actor."""
    if actor.role == "system":
        detail = {**detail, "system": audit.system_origin()}
    return audit.encode_detail(detail)


def _outside_expiry_months() -> int | None:
    """The lot expiry from the environment or the config file; None: the database's
    setting decides (read by the credit's first statement)."""
    from store.settings import outside_setting

    months = outside_setting("points_expiry_months")
    return None if months is None else int(months or 0)


def _replay(session: Session, done: PointsEntry, account: PointsAccount, key: str) -> RedeemResult:
    item = session.get(CatalogItem, done.catalog_item_id) if done.catalog_item_id else None
    return RedeemResult(done.id, account.customer_id, key, -done.points, _balance_after(session, done),
                        item.code if item else None, item.name if item else None, done.quantity, done.money_fen,
                        replayed=True)


def _used_for(done: PointsEntry, account: PointsAccount, item: CatalogItem | None) -> str:
    """What a replayed key was first used for, in a refusal (the caller's account
    or another customer's, never whose)."""
    if done.account_id != account.id:
        return "another redemption, for another customer"
    if item is not None:
        return f"{item.code} x{done.quantity or 1} ({-done.points} points)"
    return f"{-done.points} points for money"


_ORIGIN: list[str] = []


def _system_detail(actor: Actor) -> str:
    """The audit detail's tail for this actor (audit.record adds the system's origin)."""
    if actor.role != "system":
        return ""
    if not _ORIGIN:
        _ORIGIN.append(', "system": ' + json.dumps(audit.system_origin(), ensure_ascii=False))
    return _ORIGIN[0]


def redeem_now(engine, *, customer_id: int, item_code: str, quantity: int = 1, key: str | None = None,
               actor: Actor) -> RedeemResult:
    """A redemption in a transaction of its own, as the counter and the command line make
    one: on a pooled connection, no session, BEGIN, its statements and COMMIT with
    nothing in between (:func:`store.points_lean.redeem_on`); what they do not settle
    goes through the full rules in ``in_transaction``. The same outcome as :func:`redeem`."""
    from store import points_lean
    from store.db import in_transaction

    require(actor, "points.redeem")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise PointsError(f"quantity must be 1-{MAX_QUANTITY}", code="quantity", most=MAX_QUANTITY)
    user_key = _check_key(key)
    code = item_code.strip().upper()
    sqlite = engine.dialect.name == "sqlite"
    params = points_lean.redeem_params(
        customer_id=customer_id, code=code, qty=quantity, key=f"redeem:{user_key}", staff_id=actor.staff_id,
        store_id=None if actor.role == "system" else actor.store_id, now=clock.now(), today=clock.today(),
        at=clock.real_now(), detail_extra=_system_detail(actor), sqlite=sqlite)
    raw = engine.raw_connection()  # a pooled connection, no session: the statements are all there is to it
    try:
        done = points_lean.redeem_on(raw.driver_connection, params, sqlite=sqlite)
    except Exception as exc:  # noqa: BLE001 - a lock timeout, a lost connection: the full rules retry it
        if not is_retryable_error(exc):
            raise
        done = None
    finally:
        raw.close()
    if isinstance(done, points_lean.LeanRedemption):
        return RedeemResult(done.entry_id, customer_id, user_key, done.cost, done.balance, code, done.item_name,
                            quantity)
    if done is not None and done.replay is not None:
        entry, spent, after, item_code_, name = done.replay
        return RedeemResult(entry, customer_id, user_key, spent, after, item_code_, name, quantity, replayed=True)
    if done is not None and done.short is not None:
        balance_, cost = done.short
        raise PointsError(f"not enough points: balance {balance_}, needs {cost}", code="not_enough",
                          balance=balance_, needs=cost)
    # The same key: whatever the statements did (nothing, or a rolled-back attempt), this is one redemption.
    return in_transaction(engine, lambda s: _redeem_by_the_rules(s, customer_id=customer_id, item_code=code,
                                                                 quantity=quantity, user_key=user_key, actor=actor))


def is_retryable_error(exc: BaseException) -> bool:
    """A driver error the full rules' retrying transaction would retry: SQLite's lock
    timeout, Postgres's serialization failure or deadlock."""
    code = getattr(exc, "sqlstate", None)
    return code in ("40001", "40P01") or "database is locked" in str(exc)


def redeem(session: Session, *, customer_id: int, item_code: str, quantity: int = 1, key: str | None = None,
           actor: Actor) -> RedeemResult:
    """Spend points on a catalog item. Run it through ``in_transaction``: on Postgres the
    account row lock makes a second till wait, then see the new balance.

    In a fresh transaction the usual redemption runs as its SQL alone
    (:mod:`store.points_lean`: 6 statements with BEGIN and COMMIT on SQLite, 4 round
    trips on Postgres); whatever it does not settle (a refusal, a replayed key, points
    to expire first) goes through the full rules below, with the same outcome."""
    from store import points_lean

    require(actor, "points.redeem")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise PointsError(f"quantity must be 1-{MAX_QUANTITY}", code="quantity", most=MAX_QUANTITY)
    user_key = _check_key(key)
    code = item_code.strip().upper()
    if not session.in_transaction():
        params = points_lean.redeem_params(
            customer_id=customer_id, code=code, qty=quantity, key=f"redeem:{user_key}", staff_id=actor.staff_id,
            store_id=None if actor.role == "system" else actor.store_id, now=clock.now(), today=clock.today(),
            at=clock.real_now(), detail_extra=_system_detail(actor), sqlite=_dialect(session) == "sqlite")
        try:
            done = points_lean.redeem(session, params)
        except points_lean.Retry:
            session.rollback()  # another till got there first: the full rules, in a new transaction
            done = None
        if isinstance(done, points_lean.LeanRedemption):
            return RedeemResult(done.entry_id, customer_id, user_key, done.cost, done.balance, code, done.item_name,
                                quantity)
        if done is not None and done.replay is not None:
            entry, spent, after, item_code, name = done.replay
            return RedeemResult(entry, customer_id, user_key, spent, after, item_code, name, quantity, replayed=True)
        if done is not None and done.short is not None:
            balance, cost = done.short
            raise PointsError(f"not enough points: balance {balance}, needs {cost}", code="not_enough",
                              balance=balance, needs=cost)
    return _redeem_by_the_rules(session, customer_id=customer_id, item_code=code, quantity=quantity,
                                user_key=user_key, actor=actor)


def _redeem_by_the_rules(session: Session, *, customer_id: int, item_code: str, quantity: int, user_key: str,
                         actor: Actor) -> RedeemResult:
    require_for_customer(session, actor, "points.redeem", customer_id)
    customer = _customer(session, customer_id)
    key = f"redeem:{user_key}"
    account = lock_account(session, customer_id)  # always the account first, then the item: no deadlock
    done = _entry_by_key(session, key)
    if done is not None:
        item = session.get(CatalogItem, done.catalog_item_id) if done.catalog_item_id else None
        if (done.account_id != account.id or item is None or item.code != item_code.strip().upper()
                or (done.quantity or 1) != quantity):
            # A key means one redemption: the same customer, item and quantity, or nothing.
            raise PointsError(f"key {user_key!r} already used for {_used_for(done, account, item)}", code="key_used")
        return _replay(session, done, account, user_key)
    item = session.exec(
        select(CatalogItem)
        .where(CatalogItem.store_id == customer.store_id, CatalogItem.code == item_code.strip().upper())
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if item is None or not item.active:
        raise PointsError(f"no catalog item {item_code!r} in this store", code="no_item", item=item_code)
    if item.stock is not None and item.stock < quantity:
        raise PointsError(f"out of stock: {item.name} has {item.stock} left, asked for {quantity}", code="out_of_stock",
                          item=item.name, stock=item.stock, asked=quantity)
    cost = item.price_points * quantity
    _expire_overdue(session, account, clock.today())
    if account.balance < cost:
        raise PointsError(f"not enough points: balance {account.balance}, needs {cost}", code="not_enough",
                          balance=account.balance, needs=cost)
    _consume(session, account, cost)
    if item.stock is not None:
        item.stock -= quantity
        session.add(item)
    row = _add_row(session, account, kind="redeem", points=-cost, remaining=0, idempotency_key=key,
                   catalog_item_id=item.id, quantity=quantity, staff_id=actor.staff_id, reason=item.name)
    audit.record(session, actor, "points.redeem", "pointsentry", row.id, customer_id=customer_id,
                 store_id=customer.store_id, detail={"item": item.code, "quantity": quantity, "points": cost})
    return RedeemResult(row.id, customer_id, user_key, cost, account.balance, item.code, item.name, quantity)


def redeem_for_money(session: Session, *, customer_id: int, points: int, key: str | None = None,
                     actor: Actor, visit_id: int | None = None) -> RedeemResult:
    """Spend points against a bill (积分抵现), where the store allows it."""
    require_for_customer(session, actor, "points.redeem", customer_id)
    customer = _customer(session, customer_id)
    rules = get_settings(session, store_id=customer.store_id)
    if not rules["points_redeem_for_money"]:
        raise PointsError("this store does not redeem points for money (points_redeem_for_money)")
    if points <= 0:
        raise PointsError("redeem a positive number of points")
    user_key = _check_key(key)
    key = f"redeem:{user_key}"
    account = lock_account(session, customer_id)
    done = _entry_by_key(session, key)
    if done is not None:
        if done.account_id != account.id or done.money_fen is None or -done.points != points:
            item = session.get(CatalogItem, done.catalog_item_id) if done.catalog_item_id else None
            raise PointsError(f"key {user_key!r} already used for {_used_for(done, account, item)}", code="key_used")
        return _replay(session, done, account, user_key)
    _expire_overdue(session, account, clock.today())
    if account.balance < points:
        raise PointsError(f"not enough points: balance {account.balance}, needs {points}", code="not_enough",
                          balance=account.balance, needs=points)
    money = points * int(rules["points_fen_per_point"])
    _consume(session, account, points)
    row = _add_row(session, account, kind="redeem", points=-points, remaining=0, idempotency_key=key,
                   money_fen=money, visit_id=visit_id, staff_id=actor.staff_id, reason="points for money")
    audit.record(session, actor, "points.redeem_money", "pointsentry", row.id, customer_id=customer_id,
                 store_id=customer.store_id, detail={"points": points, "money_fen": money})
    return RedeemResult(row.id, customer_id, user_key, points, account.balance, money_fen=money)


def reverse_entry(session: Session, *, entry_id: int, reason: str, actor: Actor) -> EntryResult:
    """Undo one ledger row with a new row: a redemption gives its points back (a new
    lot) and its stock; an earn, referral or adjustment credit is taken back."""
    require(actor, "points.reverse")
    entry = session.get(PointsEntry, entry_id)
    if entry is None:
        raise PointsNotFound(f"no ledger entry {entry_id}")
    reason = _text(reason, "reason", 255, missing="a reversal needs a reason")
    is_credit = entry.kind in ("earn", "referral", "activity") or (entry.kind == "adjust" and entry.points > 0)
    if not is_credit and entry.kind != "redeem" and not (entry.kind == "adjust" and entry.points < 0):
        raise PointsError(f"a {entry.kind} row cannot be reversed")
    key = f"reverse:{entry.id}"
    # The usual reversal as its statements alone (store.points_lean); a replay or points
    # waiting to expire first go through the full rules below.
    if is_credit:
        done = _lean_take_back(session, entry.id, actor=actor, reason=reason, store_id=None)
    else:
        owner = _account_owner(session, entry.account_id)
        done = _lean_credit(session, actor, _lean_credit_of(
            customer_id=owner, kind="reverse", points=-entry.points, key=key,
            staff_id=actor.staff_id, store_id=None, action="points.reverse", reason=reason[:255],
            reverses_id=entry.id, item_id=entry.catalog_item_id, quantity=entry.quantity,
            stock_back=bool(entry.catalog_item_id and entry.quantity),
            detail=lambda _recovered: _audit_detail(actor, {"reverses": entry.id, "points": -entry.points,
                                                            "reason": reason})))
        if done is not None:
            done = EntryResult(done.entry_id, owner, "reverse", -entry.points,
                               done.balance)
    if done is not None:
        return done
    account = session.get(PointsAccount, entry.account_id)
    customer = _customer(session, account.customer_id)
    account = lock_account(session, customer.id)
    if is_credit:
        return _reverse_credit(session, account, entry, actor=actor, reason=reason, store_id=customer.store_id)
    done = _entry_by_key(session, key)
    if done is not None:
        return EntryResult(done.id, customer.id, "reverse", done.points, account.balance, replayed=True)
    row, _ = _credit(session, account, store_id=customer.store_id, kind="reverse", points=-entry.points, key=key,
                     actor=actor, reverses_id=entry.id, catalog_item_id=entry.catalog_item_id,
                     quantity=entry.quantity, reason=reason[:255])
    if entry.catalog_item_id and entry.quantity:
        item = session.exec(select(CatalogItem).where(CatalogItem.id == entry.catalog_item_id).with_for_update()
                            .execution_options(populate_existing=True)).one()
        if item.stock is not None:
            item.stock += entry.quantity
            session.add(item)
    audit.record(session, actor, "points.reverse", "pointsentry", row.id, customer_id=customer.id,
                 store_id=customer.store_id, detail={"reverses": entry.id, "points": row.points, "reason": reason})
    return EntryResult(row.id, customer.id, "reverse", row.points, account.balance)


# --- expiry and checks ------------------------------------------------------------------


def accounts_with_overdue_points(session: Session, *, actor: Actor, store_id: int | None = None) -> list[int]:
    """Customer ids holding lots whose last day has passed (for those who expire them)."""
    require(actor, "points.expire", store_id)
    stmt = (select(PointsAccount.customer_id).distinct()
            .join(PointsEntry, PointsEntry.account_id == PointsAccount.id)
            .where(PointsEntry.remaining > 0, PointsEntry.expires_on.is_not(None),
                   PointsEntry.expires_on < clock.today()))
    if store_id is not None:
        stmt = stmt.join(Customer, Customer.id == PointsAccount.customer_id).where(Customer.store_id == store_id)
    return list(session.exec(stmt.order_by(PointsAccount.customer_id)).all())


def expire_account(session: Session, *, customer_id: int, actor: Actor) -> int:
    """Expire one customer's overdue lots (each lot once: ``expire:<lot id>``)."""
    require(actor, "points.expire")
    account = lock_account(session, customer_id)
    points = _expire_overdue(session, account, clock.today())
    if points:
        audit.record(session, actor, "points.expire", "pointsaccount", account.id, customer_id=customer_id,
                     detail={"points": points})
    return points


def check_ledger(session: Session, *, actor: Actor, store_id: int | None = None) -> LedgerCheck:
    """For every account: cached balance == ledger sum == unspent lots, never negative."""
    require(actor, "ledger.check", store_id)
    ledger = (select(PointsEntry.account_id, func.sum(PointsEntry.points).label("total"),
                     func.sum(PointsEntry.remaining).label("lots"))
              .group_by(PointsEntry.account_id).subquery())
    stmt = (select(PointsAccount.id, PointsAccount.customer_id, PointsAccount.balance,
                   func.coalesce(ledger.c.total, 0), func.coalesce(ledger.c.lots, 0))
            .join(ledger, ledger.c.account_id == PointsAccount.id, isouter=True))
    if store_id is not None:
        stmt = stmt.join(Customer, Customer.id == PointsAccount.customer_id).where(Customer.store_id == store_id)
    result = LedgerCheck(accounts=0)
    for account_id, customer_id, cached, total, lots in session.exec(stmt.order_by(PointsAccount.customer_id)):
        result.accounts += 1
        if not (cached == total == lots) or cached < 0:
            result.differences.append(LedgerDifference(customer_id, account_id, cached, int(total), int(lots)))
    return result


__all__ = [
    "CatalogLine", "EarnResult", "EntryResult", "ExpiringLot", "HistoryLine", "LedgerCheck", "LedgerDifference",
    "PointsError", "PointsNotFound", "RedeemResult", "ReferralResult", "accounts_with_overdue_points", "adjust",
    "balance", "cancel_ro", "catalog", "check_ledger", "earn_for_visit", "expire_account", "expiring_soon", "history",
    "lock_account", "record_referral", "redeem", "redeem_for_money", "redeem_now", "reverse_entry", "reverse_visit",
    "reward_referral", "set_catalog_item", "sync_visits", "visit_points",
]
