"""A redemption as lean as its SQL 积分兑换: the usual redemption, with nothing but the
driver's statements between taking the account lock and the commit.

:func:`store.points.redeem` tries this first. Everything Python has to decide is
decided before the lock (the right to redeem, the key, the parameters); the rules
that need the database are in the statements themselves:

| # | SQLite | Postgres |
| --- | --- | --- |
| 1 | ``BEGIN IMMEDIATE`` (the write lock) | ``BEGIN`` |
| 2 | debit the account: one ``UPDATE ... RETURNING`` that finds the item (active, in the customer's store, in stock), checks the balance covers it, that the key is new and that no points are overdue, and returns what the next statements need | the same, as ``WITH item ... UPDATE`` (it takes the account's row lock) |
| 3 | the ledger row (``INSERT``) | one statement after the lock (so it sees what the transaction before it committed): the ledger row (``ON CONFLICT DO NOTHING``: a key used meanwhile), the lots spent oldest first, the stock, the audit row |
| 4 | the lots spent oldest first (one ``UPDATE ... FROM`` a running sum) | ``COMMIT`` |
| 5 | the audit row | |
| (6) | the stock, for an item that keeps one | |
| 6 / 7 | ``COMMIT`` | |

When statement 2 changes nothing (an unknown item or customer, another store, a
balance or stock short, a key used before, points past their last day waiting to be
expired, no account yet) nothing has been written, and the caller runs the full
rules (:func:`store.points.redeem`'s own path) in the same transaction, which refuses
with the reason, replays the key, or expires first. On Postgres, a key used by
another till between statements 2 and 3, or stock taken meanwhile, rolls the attempt
back and the full rules run in a new transaction. Statements are prepared once per
connection (psycopg's ``prepare=True``; sqlite3 keeps its own statement cache).

The same SQL is what ``bench/points`` runs as its floor, on the bare driver.

A payment from stored value 储值消费 (:func:`store.members.spend`) is lean the same way:
one ``UPDATE`` of the customer's latest membership that only pays if it holds stored
value, has not ended, covers the amount and the key is new; then the entry and the
audit row (SQLite: 5 statements with BEGIN and COMMIT; Postgres: 4 round trips).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

# Parameters are written :name; Postgres gets them as %(name)s (see _pg).
SQLITE_DEBIT = """
WITH item AS (
  SELECT ci.id, ci.price_points * :qty AS cost, ci.name, ci.stock IS NOT NULL AS stocked, c.store_id
  FROM customer c JOIN catalogitem ci ON ci.store_id = c.store_id
  WHERE c.id = :cid AND ci.code = :code AND ci.active AND (ci.stock IS NULL OR ci.stock >= :qty)
    AND (:store IS NULL OR c.store_id = :store))
UPDATE pointsaccount SET balance = balance - (SELECT cost FROM item), updated_at = :now
WHERE customer_id = :cid AND balance >= (SELECT cost FROM item)
  AND NOT EXISTS (SELECT 1 FROM pointsentry WHERE idempotency_key = :key)
  AND NOT EXISTS (SELECT 1 FROM pointsentry e WHERE e.account_id = pointsaccount.id AND e.remaining > 0
                  AND e.expires_on < :today)
RETURNING id, balance, (SELECT id FROM item), (SELECT cost FROM item), (SELECT name FROM item),
          (SELECT stocked FROM item), (SELECT store_id FROM item)
"""

SQLITE_ENTRY = """
INSERT INTO pointsentry (account_id, kind, points, remaining, idempotency_key, catalog_item_id, quantity, staff_id,
                         reason, created_at)
VALUES (:acct, 'redeem', :points, 0, :key, :item, :qty, :staff, :name, :now)
"""

SQLITE_LOTS = """
UPDATE pointsentry SET remaining = remaining - min(remaining, :cost - (w.run - remaining))
FROM (SELECT id AS lot, sum(remaining) OVER (ORDER BY id) AS run FROM pointsentry
      WHERE account_id = :acct AND remaining > 0) AS w
WHERE pointsentry.id = w.lot AND w.run - pointsentry.remaining < :cost
"""

SQLITE_AUDIT = """
INSERT INTO auditlog (at, store_id, staff_id, action, entity, entity_id, customer_id, detail)
VALUES (:at, :audit_store, :staff, 'points.redeem', 'pointsentry', :entry, :cid, :detail)
"""

SQLITE_STOCK = "UPDATE catalogitem SET stock = stock - :qty WHERE id = :item"

PG_DEBIT = """
WITH item AS (
  SELECT ci.id, ci.price_points * CAST(:qty AS INTEGER) AS cost, ci.name, ci.stock IS NOT NULL AS stocked, c.store_id
  FROM customer c JOIN catalogitem ci ON ci.store_id = c.store_id
  WHERE c.id = :cid AND ci.code = :code AND ci.active AND (ci.stock IS NULL OR ci.stock >= :qty)
    AND (CAST(:store AS INTEGER) IS NULL OR c.store_id = :store))
UPDATE pointsaccount a SET balance = a.balance - item.cost, updated_at = :now
FROM item
WHERE a.customer_id = :cid AND a.balance >= item.cost
  AND NOT EXISTS (SELECT 1 FROM pointsentry WHERE idempotency_key = :key)
  AND NOT EXISTS (SELECT 1 FROM pointsentry e WHERE e.account_id = a.id AND e.remaining > 0
                  AND e.expires_on < :today)
RETURNING a.id, a.balance, item.id, item.cost, item.name, item.stocked, item.store_id
"""

# Postgres: the lots a debit of :cost spends, oldest first, as one CTE of a write.
PG_LOTS = """
lots AS (
  UPDATE pointsentry p SET remaining = p.remaining - LEAST(p.remaining, CAST(:cost AS INTEGER) - (w.run - p.remaining))
  FROM (SELECT id, SUM(remaining) OVER (ORDER BY id) AS run FROM pointsentry
        WHERE account_id = :acct AND remaining > 0) w
  WHERE p.id = w.id AND w.run - p.remaining < :cost
  RETURNING p.id),
"""

# After the lock: a fresh snapshot, so the lots and the key are as the last till left them.
PG_WRITE = """
WITH entry AS (
  INSERT INTO pointsentry (account_id, kind, points, remaining, idempotency_key, catalog_item_id, quantity, staff_id,
                           reason, created_at)
  VALUES (:acct, 'redeem', :points, 0, :key, :item, :qty, :staff, :name, :now)
  ON CONFLICT (idempotency_key) DO NOTHING
  RETURNING id),
""" + PG_LOTS + """stock AS (
  UPDATE catalogitem SET stock = stock - :qty WHERE id = :item AND CAST(:stocked AS BOOLEAN)
    AND stock IS NOT NULL AND stock >= :qty
  RETURNING id),
audit AS (
  INSERT INTO auditlog (at, store_id, staff_id, action, entity, entity_id, customer_id, detail)
  SELECT :at, :audit_store, :staff, 'points.redeem', 'pointsentry', entry.id, :cid, :detail FROM entry
  RETURNING id)
SELECT (SELECT id FROM entry), (SELECT count(*) FROM stock), (SELECT count(*) FROM lots), (SELECT count(*) FROM audit)
"""

_PARAM = re.compile(r"(?<!:):([a-z_]+)")


def _pg(sql: str) -> str:
    return _PARAM.sub(r"%(\1)s", sql)


PG_DEBIT, PG_WRITE = _pg(PG_DEBIT), _pg(PG_WRITE)


@dataclass
class LeanRedemption:
    entry_id: int
    account_id: int
    balance: int
    cost: int
    item_name: str


class Retry(Exception):
    """Postgres: another till used the key or took the stock between the statements;
    the attempt was rolled back and the full rules decide."""


def sqlite_stamp(value: datetime | date) -> str:
    """A value as SQLAlchemy keeps it in SQLite (dates ISO, times with microseconds)."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return value.isoformat()


def redeem_params(*, customer_id: int, code: str, qty: int, key: str, staff_id: int | None, store_id: int | None,
                  now: datetime, today: date, at: datetime, detail_extra: str, sqlite: bool) -> dict:
    """Everything the statements need, made before the lock. ``detail_extra`` is the
    audit detail's tail after ``"points": N`` (e.g. the system's origin), as JSON text."""
    stamp = sqlite_stamp if sqlite else (lambda v: v)
    return {"cid": customer_id, "code": code, "qty": qty, "key": key, "staff": staff_id, "store": store_id,
            "now": stamp(now), "today": stamp(today), "at": stamp(at),
            "detail_head": json.dumps({"item": code, "quantity": qty}, ensure_ascii=False)[:-1],
            "detail_tail": detail_extra + "}"}


def run_sqlite(cur, p: dict) -> LeanRedemption | None:
    """The SQLite statements on a sqlite3 cursor whose connection holds BEGIN IMMEDIATE."""
    row = cur.execute(SQLITE_DEBIT, p).fetchone()
    if row is None:
        return None
    acct, balance, item, cost, name, stocked, store = row
    p.update(acct=acct, item=item, cost=cost, points=-cost, name=name, audit_store=store,
             detail=f'{p["detail_head"]}, "points": {cost}{p["detail_tail"]}')
    entry = cur.execute(SQLITE_ENTRY + " RETURNING id", p).fetchone()[0]
    p["entry"] = entry
    cur.execute(SQLITE_LOTS, p)
    cur.execute(SQLITE_AUDIT, p)
    if stocked:
        cur.execute(SQLITE_STOCK, p)
    return LeanRedemption(entry, acct, balance, cost, name)


def run_pg(cur, p: dict) -> LeanRedemption | None:
    """The Postgres statements on a psycopg cursor in a transaction. Raises
    :class:`Retry` when the write found the key used or the stock gone (roll back)."""
    row = cur.execute(PG_DEBIT, p, prepare=True).fetchone()
    if row is None:
        return None
    acct, balance, item, cost, name, stocked, store = row
    p.update(acct=acct, item=item, cost=cost, points=-cost, name=name, audit_store=store, stocked=stocked,
             detail=f'{p["detail_head"]}, "points": {cost}{p["detail_tail"]}')
    entry, stock_rows, _, _ = cur.execute(PG_WRITE, p, prepare=True).fetchone()
    if entry is None or (stocked and stock_rows != 1):
        raise Retry()
    return LeanRedemption(entry, acct, balance, cost, name)


SETTLE = """
SELECT a.id, a.balance, c.store_id,
       (SELECT ci.price_points * :qty FROM catalogitem ci WHERE ci.store_id = c.store_id AND ci.code = :code
          AND ci.active AND (ci.stock IS NULL OR ci.stock >= :qty)),
       EXISTS (SELECT 1 FROM pointsentry o WHERE o.account_id = a.id AND o.remaining > 0 AND o.expires_on < :today),
       e.id, e.account_id, e.quantity, e.points, done.code, done.name,
       (SELECT SUM(s.points) FROM pointsentry s WHERE s.account_id = e.account_id AND s.id <= e.id)
FROM customer c
LEFT JOIN pointsaccount a ON a.customer_id = c.id
LEFT JOIN pointsentry e ON e.idempotency_key = :key
LEFT JOIN catalogitem done ON done.id = e.catalog_item_id
WHERE c.id = :cid
"""
PG_SETTLE = _pg(SETTLE)


@dataclass
class Settled:
    """What the debit did not do, settled by one read: the key's first redemption
    (``replay``), or a balance short (``short``: balance, cost). None of them: the full
    rules decide (an unknown item or customer, another store, stock, expiry, a key
    used otherwise)."""

    replay: tuple[int, int, int, str, str] | None = None  # entry, points spent, balance after, code, name
    short: tuple[int, int] | None = None


def settle(cur, p: dict, *, sqlite: bool) -> Settled | None:
    row = (cur.execute(SETTLE, p) if sqlite else cur.execute(PG_SETTLE, p, prepare=True)).fetchone()
    if row is None:
        return None
    acct, balance, store, cost, overdue, entry, entry_acct, qty, points, code, name, after = row
    if p["store"] is not None and store != p["store"]:
        return None
    if entry is not None:
        if acct is not None and entry_acct == acct and code == p["code"] and (qty or 1) == p["qty"]:
            return Settled(replay=(entry, -points, int(after), code, name))
        return None
    if acct is None or overdue or cost is None or balance >= cost:
        return None
    return Settled(short=(balance, cost))


def redeem_on(driver, p: dict, *, sqlite: bool) -> LeanRedemption | Settled | None:
    """The redemption in a transaction of its own on a bare driver connection (from the
    engine's pool): BEGIN, the statements, COMMIT; or, when they do not settle it, one
    read and ROLLBACK (nothing was written). None: rolled back, the full rules decide."""
    cur = driver.cursor()
    try:
        if sqlite:
            cur.execute("BEGIN IMMEDIATE")
        try:
            done = run_sqlite(cur, p) if sqlite else run_pg(cur, p)
        except Retry:
            done = settled = None
        else:
            if done is not None:
                cur.execute("COMMIT") if sqlite else driver.commit()
                return done
            settled = settle(cur, p, sqlite=sqlite)
        _rollback(driver, sqlite)
        return settled
    except BaseException:
        _rollback(driver, sqlite)
        raise
    finally:
        cur.close()


def _rollback(driver, sqlite: bool) -> None:
    if not sqlite:
        driver.rollback()
    elif driver.in_transaction:
        driver.execute("ROLLBACK")


def redeem(session: Session, p: dict) -> LeanRedemption | Settled | None:
    """Run the redemption's statements in ``session``'s transaction (it must have none
    yet: a Retry rolls it back whole), which its caller commits. A :class:`Settled` when
    the debit wrote nothing and one read says why; None: nothing was written, use the
    full rules."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    # SQLite: the statements' own BEGIN IMMEDIATE, the write lock, just before the first of them.
    conn = session.connection(execution_options={"sqlite_begin": None} if sqlite else None)
    cur = conn.connection.driver_connection.cursor()
    try:
        if sqlite:
            cur.execute("BEGIN IMMEDIATE")
            done = run_sqlite(cur, p)
        else:
            done = run_pg(cur, p)
        return done if done is not None else settle(cur, p, sqlite=sqlite)
    finally:
        cur.close()


# --- a payment from stored value 储值消费 ---------------------------------------------------

SPEND_DEBIT = """
UPDATE membership SET stored_value_fen = stored_value_fen - :amount,
  zero_balance_since = CASE WHEN stored_value_fen = :amount THEN :today ELSE NULL END
WHERE id = (SELECT MAX(id) FROM membership WHERE customer_id = :cid)
  AND scheme <> 'annual' AND status <> 'left' AND stored_value_fen >= :amount
  AND (CAST(:store AS INTEGER) IS NULL OR store_id = :store)
  AND NOT EXISTS (SELECT 1 FROM storedvalueentry WHERE idempotency_key = :key)
RETURNING id, stored_value_fen, store_id
"""

SQLITE_SPEND_ENTRY = """
INSERT INTO storedvalueentry (membership_id, kind, amount_fen, idempotency_key, visit_id, staff_id, created_at)
VALUES (:membership, 'spend', :signed, :key, :visit, :staff, :now) RETURNING id
"""

SQLITE_SPEND_AUDIT = """
INSERT INTO auditlog (at, store_id, staff_id, action, entity, entity_id, customer_id, detail)
VALUES (:at, :audit_store, :staff, 'stored_value.spend', 'storedvalueentry', :entry, :cid, :detail)
"""

PG_SPEND_WRITE = _pg("""
WITH entry AS (
  INSERT INTO storedvalueentry (membership_id, kind, amount_fen, idempotency_key, visit_id, staff_id, created_at)
  VALUES (:membership, 'spend', :signed, :key, :visit, :staff, :now)
  ON CONFLICT (idempotency_key) DO NOTHING RETURNING id),
audit AS (
  INSERT INTO auditlog (at, store_id, staff_id, action, entity, entity_id, customer_id, detail)
  SELECT :at, :audit_store, :staff, 'stored_value.spend', 'storedvalueentry', entry.id, :cid, :detail FROM entry
  RETURNING id)
SELECT (SELECT id FROM entry), (SELECT count(*) FROM audit)
""")
PG_SPEND_DEBIT = _pg(SPEND_DEBIT)


@dataclass
class LeanPayment:
    membership_id: int
    entry_id: int
    balance_fen: int


def spend(session: Session, *, customer_id: int, amount_fen: int, key: str, staff_id: int | None,
          store_id: int | None, visit_id: int | None, now: datetime, today: date, at: datetime,
          detail_extra: str) -> LeanPayment | None:
    """The payment's statements in ``session``'s fresh transaction (its caller commits).
    None: nothing was written, the full rules decide. Raises :class:`Retry` (Postgres)
    when another till used the key between the statements: roll back."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    stamp = sqlite_stamp if sqlite else (lambda v: v)
    p = {"cid": customer_id, "amount": amount_fen, "signed": -amount_fen, "key": key, "staff": staff_id,
         "store": store_id, "visit": visit_id, "now": stamp(now), "today": stamp(today), "at": stamp(at)}
    conn = session.connection(execution_options={"sqlite_begin": None} if sqlite else None)
    cur = conn.connection.driver_connection.cursor()
    try:
        if sqlite:
            cur.execute("BEGIN IMMEDIATE")
            row = cur.execute(SPEND_DEBIT, p).fetchone()
        else:
            row = cur.execute(PG_SPEND_DEBIT, p, prepare=True).fetchone()
        if row is None:
            return None
        membership, balance, store = row
        p.update(membership=membership, audit_store=store,
                 detail=f'{{"amount_fen": {-amount_fen}, "balance_fen": {balance}{detail_extra}}}')
        if sqlite:
            entry = cur.execute(SQLITE_SPEND_ENTRY, p).fetchone()[0]
            p["entry"] = entry
            cur.execute(SQLITE_SPEND_AUDIT, p)
        else:
            entry, _ = cur.execute(PG_SPEND_WRITE, p, prepare=True).fetchone()
            if entry is None:
                raise Retry()
        return LeanPayment(membership, entry, balance)
    finally:
        cur.close()


# --- credits and manual debits: an adjustment, an RO's points, a reversal's new lot ----------
#
# A credit 积分入账 (an adjustment up, the points an RO earns, a redemption given back):
#
# | # | SQLite | Postgres |
# | --- | --- | --- |
# | 1 | ``BEGIN IMMEDIATE`` (when the caller has not begun) | ``BEGIN`` |
# | 2 | the account, made if missing and locked (``INSERT ... ON CONFLICT DO UPDATE RETURNING``), with the customer's store, whether the key is used, the lot-expiry setting | the same; the row lock, the latest balance and debt |
# | 3 | the ledger row | one statement: the ledger row (``ON CONFLICT DO NOTHING``), the account, the repayment of a debt, the stock given back, the audit row |
# | 4 | the account's balance (and debt) | ``COMMIT`` |
# | (5) | a debt repaid first: its ``recover`` row | |
# | (5) | the stock given back, for a redemption reversed | |
# | 5 | the audit row | |
# | 6 | ``COMMIT`` | |
#
# A manual debit (an adjustment down) is a redemption without an item: the debit with
# its checks, the ledger row, the lots, the audit row.

SQLITE_LOCK = """
INSERT INTO pointsaccount (customer_id, balance, owed, updated_at)
SELECT c.id, 0, 0, :now FROM customer c WHERE c.id = :cid AND (:store IS NULL OR c.store_id = :store)
ON CONFLICT (customer_id) DO UPDATE SET updated_at = excluded.updated_at
RETURNING id, balance, owed, (SELECT store_id FROM customer WHERE id = :cid),
          EXISTS (SELECT 1 FROM pointsentry WHERE idempotency_key = :key),
          (SELECT s.value FROM setting s JOIN customer c ON s.store_id = c.store_id
            WHERE c.id = :cid AND s.key = 'points_expiry_months'),
          (SELECT value FROM setting WHERE store_id IS NULL AND key = 'points_expiry_months')
"""

SQLITE_CREDIT_ENTRY = """
INSERT INTO pointsentry (account_id, kind, points, remaining, expires_on, idempotency_key, visit_id, catalog_item_id,
                         quantity, reverses_id, staff_id, reason, created_at)
VALUES (:acct, :kind, :points, :remaining, :expires, :key, :visit, :item, :qty, :reverses, :staff, :reason, :now)
RETURNING id
"""

SQLITE_CREDIT_ACCOUNT = """
UPDATE pointsaccount SET balance = balance + :points - :recovered, owed = owed - :recovered WHERE id = :acct
RETURNING balance
"""

SQLITE_RECOVER = """
INSERT INTO pointsentry (account_id, kind, points, remaining, idempotency_key, reverses_id, staff_id, reason,
                         created_at)
VALUES (:acct, 'recover', -:recovered, 0, 'recover:' || :entry, :entry, :staff, :recover_reason, :now)
"""

SQLITE_STOCK_BACK = "UPDATE catalogitem SET stock = stock + :qty WHERE id = :item AND stock IS NOT NULL"

SQLITE_ENTRY_AUDIT = """
INSERT INTO auditlog (at, store_id, staff_id, action, entity, entity_id, customer_id, detail)
VALUES (:at, :audit_store, :staff, :action, 'pointsentry', :entry, :cid, :detail)
"""

PG_LOCK = _pg(SQLITE_LOCK.replace(":store IS NULL", "CAST(:store AS INTEGER) IS NULL"))

PG_CREDIT_WRITE = _pg("""
WITH entry AS (
  INSERT INTO pointsentry (account_id, kind, points, remaining, expires_on, idempotency_key, visit_id,
                           catalog_item_id, quantity, reverses_id, staff_id, reason, created_at)
  VALUES (:acct, :kind, :points, :remaining, CAST(:expires AS DATE), :key, CAST(:visit AS INTEGER),
          CAST(:item AS INTEGER), CAST(:qty AS INTEGER), CAST(:reverses AS INTEGER), CAST(:staff AS INTEGER),
          :reason, :now)
  ON CONFLICT (idempotency_key) DO NOTHING
  RETURNING id),
acct AS (
  UPDATE pointsaccount SET balance = balance + :points - :recovered, owed = owed - :recovered
  WHERE id = :acct AND EXISTS (SELECT 1 FROM entry)
  RETURNING balance),
recover AS (
  INSERT INTO pointsentry (account_id, kind, points, remaining, idempotency_key, reverses_id, staff_id, reason,
                           created_at)
  SELECT :acct, 'recover', -CAST(:recovered AS INTEGER), 0, 'recover:' || entry.id, entry.id,
         CAST(:staff AS INTEGER), :recover_reason, :now FROM entry WHERE CAST(:recovered AS INTEGER) > 0
  RETURNING id),
stock AS (
  UPDATE catalogitem SET stock = stock + :qty
  WHERE id = CAST(:item AS INTEGER) AND CAST(:stock_back AS BOOLEAN) AND stock IS NOT NULL
    AND EXISTS (SELECT 1 FROM entry)
  RETURNING id),
audit AS (
  INSERT INTO auditlog (at, store_id, staff_id, action, entity, entity_id, customer_id, detail)
  SELECT :at, :audit_store, CAST(:staff AS INTEGER), :action, 'pointsentry', entry.id, :cid, :detail FROM entry
  RETURNING id)
SELECT (SELECT id FROM entry), (SELECT balance FROM acct), (SELECT count(*) FROM recover), (SELECT count(*) FROM stock),
       (SELECT count(*) FROM audit)
""")


@dataclass
class LeanEntry:
    """A ledger row written by these statements: its id, the account's balance after
    it, the points a debt took from a credit (``recovered``), the customer's store."""

    entry_id: int
    account_id: int
    balance: int
    store_id: int
    recovered: int = 0


@dataclass
class Credit:
    """What a credit writes, decided before the lock. ``expiry_months`` None: the
    database's setting decides (read with the lock); ``detail`` makes the audit
    detail's JSON text from the points recovered."""

    customer_id: int
    kind: str
    points: int
    key: str
    staff_id: int | None
    store_id: int | None  # the actor's store: a customer of another store is not credited here
    action: str
    reason: str | None
    detail: object  # (recovered: int) -> str
    expiry_months: int | None = None
    visit_id: int | None = None
    item_id: int | None = None
    quantity: int | None = None
    reverses_id: int | None = None
    stock_back: bool = False
    audit_store_id: int | None = None  # the audit row's store, when not the customer's (an RO's)


def _expiry(months: int | None, store_row: str | None, group_row: str | None, today: date) -> date | None:
    if months is None:
        raw = store_row if store_row is not None else group_row
        months = int(json.loads(raw) or 0) if raw is not None else None
    if months is None:
        from store.settings import DEFAULTS

        months = int(DEFAULTS["points_expiry_months"] or 0)
    if months <= 0:
        return None
    from store.dates import add_months

    return add_months(today, months)


def credit(cur, c: Credit, *, sqlite: bool, now: datetime, today: date, at: datetime) -> LeanEntry | None:
    """The credit's statements on a driver cursor inside a transaction (SQLite: one
    holding the write lock). None: nothing but the account's row was touched (the
    customer is unknown or of another store, or the key is used: the caller's full
    rules say which)."""
    stamp = sqlite_stamp if sqlite else (lambda v: v)
    p = {"cid": c.customer_id, "store": c.store_id, "now": stamp(now), "key": c.key}
    row = (cur.execute(SQLITE_LOCK, p) if sqlite else cur.execute(PG_LOCK, p, prepare=True)).fetchone()
    if row is None or row[4]:
        return None
    acct, _balance, owed, store, _used, store_months, group_months = row
    expires = _expiry(c.expiry_months, store_months, group_months, today)
    recovered = min(owed, c.points)
    p.update(acct=acct, kind=c.kind, points=c.points, remaining=c.points - recovered, recovered=recovered,
             expires=None if expires is None else stamp(expires), visit=c.visit_id, item=c.item_id, qty=c.quantity,
             reverses=c.reverses_id, staff=c.staff_id, reason=c.reason, stock_back=c.stock_back,
             recover_reason=f"repays {recovered} points a reversal could not take back", at=stamp(at),
             audit_store=c.audit_store_id if c.audit_store_id is not None else store, action=c.action,
             detail=c.detail(recovered))
    if sqlite:
        entry = cur.execute(SQLITE_CREDIT_ENTRY, p).fetchone()[0]
        p["entry"] = entry
        balance = cur.execute(SQLITE_CREDIT_ACCOUNT, p).fetchone()[0]
        if recovered:
            cur.execute(SQLITE_RECOVER, p)
        if c.stock_back and c.item_id is not None:
            cur.execute(SQLITE_STOCK_BACK, p)
        cur.execute(SQLITE_ENTRY_AUDIT, p)
    else:
        entry, balance, _, _, _ = cur.execute(PG_CREDIT_WRITE, p, prepare=True).fetchone()
        if entry is None:  # another till used the key after our snapshot: nothing was written
            return None
    return LeanEntry(entry, acct, balance, store, recovered)


SQLITE_MANUAL_DEBIT = """
UPDATE pointsaccount SET balance = balance - :cost, updated_at = :now
WHERE customer_id = :cid AND balance >= :cost
  AND EXISTS (SELECT 1 FROM customer c WHERE c.id = :cid AND (:store IS NULL OR c.store_id = :store))
  AND NOT EXISTS (SELECT 1 FROM pointsentry WHERE idempotency_key = :key)
  AND NOT EXISTS (SELECT 1 FROM pointsentry e WHERE e.account_id = pointsaccount.id AND e.remaining > 0
                  AND e.expires_on < :today)
RETURNING id, balance, (SELECT store_id FROM customer WHERE id = :cid)
"""

SQLITE_DEBIT_ENTRY = """
INSERT INTO pointsentry (account_id, kind, points, remaining, idempotency_key, staff_id, reason, created_at)
VALUES (:acct, :kind, -:cost, 0, :key, :staff, :reason, :now) RETURNING id
"""

PG_MANUAL_DEBIT = _pg(SQLITE_MANUAL_DEBIT.replace(":store IS NULL", "CAST(:store AS INTEGER) IS NULL"))

PG_DEBIT_WRITE = _pg("""
WITH entry AS (
  INSERT INTO pointsentry (account_id, kind, points, remaining, idempotency_key, staff_id, reason, created_at)
  VALUES (:acct, :kind, -CAST(:cost AS INTEGER), 0, :key, CAST(:staff AS INTEGER), :reason, :now)
  ON CONFLICT (idempotency_key) DO NOTHING
  RETURNING id),
""" + PG_LOTS + """audit AS (
  INSERT INTO auditlog (at, store_id, staff_id, action, entity, entity_id, customer_id, detail)
  SELECT :at, :audit_store, CAST(:staff AS INTEGER), :action, 'pointsentry', entry.id, :cid, :detail FROM entry
  RETURNING id)
SELECT (SELECT id FROM entry), (SELECT count(*) FROM lots), (SELECT count(*) FROM audit)
""")


def manual_debit(cur, *, customer_id: int, cost: int, kind: str, key: str, staff_id: int | None,
                 store_id: int | None, reason: str, action: str, detail: str, sqlite: bool, now: datetime,
                 today: date, at: datetime) -> LeanEntry | None:
    """A debit without an item (an adjustment down) on a driver cursor in a fresh
    transaction (SQLite: holding the write lock). None: nothing was written (a balance
    short, a key used, points to expire first, an unknown customer: the full rules
    say which). Raises :class:`Retry` (Postgres) when the key was used meanwhile."""
    stamp = sqlite_stamp if sqlite else (lambda v: v)
    p = {"cid": customer_id, "cost": cost, "kind": kind, "key": key, "staff": staff_id, "store": store_id,
         "reason": reason, "action": action, "detail": detail, "now": stamp(now), "today": stamp(today),
         "at": stamp(at)}
    row = (cur.execute(SQLITE_MANUAL_DEBIT, p) if sqlite else cur.execute(PG_MANUAL_DEBIT, p, prepare=True)).fetchone()
    if row is None:
        return None
    acct, balance, store = row
    p.update(acct=acct, audit_store=store)
    if sqlite:
        entry = cur.execute(SQLITE_DEBIT_ENTRY, p).fetchone()[0]
        p["entry"] = entry
        cur.execute(SQLITE_LOTS, p)
        cur.execute(SQLITE_ENTRY_AUDIT, p)
    else:
        entry, _, _ = cur.execute(PG_DEBIT_WRITE, p, prepare=True).fetchone()
        if entry is None:
            raise Retry()
    return LeanEntry(entry, acct, balance, store)


def session_cursor(session: Session, *, begin: bool):
    """A driver cursor on the session's connection. ``begin`` (SQLite, no transaction
    yet): the statements' own BEGIN IMMEDIATE, the write lock, comes first; inside
    a transaction the session's pending changes are flushed before them."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    if begin:
        conn = session.connection(execution_options={"sqlite_begin": None} if sqlite else None)
    else:
        session.flush()
        conn = session.connection()
    cur = conn.connection.driver_connection.cursor()
    if begin and sqlite:
        cur.execute("BEGIN IMMEDIATE")
    return cur


# --- a credit taken back 积分冲回 (an RO cancelled, an adjustment or a referral reversed) ------
#
# What the credit still holds comes back from it; what was spent of it, from the
# customer's other points, oldest first; the rest is owed, repaid from the next credit.
# Points of it already expired or already taken by a debt are not taken twice.
#
# | # | SQLite | Postgres |
# | --- | --- | --- |
# | 1 | ``BEGIN IMMEDIATE`` (when the caller has not begun) | ``BEGIN`` |
# | 2 | | the account's row lock (``SELECT ... FOR UPDATE``) |
# | 2 / 3 | one read: the credit, the account, the key, overdue points, what expired or repaid a debt | the same, after the lock |
# | 3 | the credit's remaining | one statement: the credit, the other lots, the reversal's row, the account, the audit row |
# | (4) | the other lots, oldest first, when the credit alone does not cover it | ``COMMIT`` |
# | 4 | the reversal's row | |
# | 5 | the account: balance and debt | |
# | 6 | the audit row | |
# | 7 | ``COMMIT`` | |

PG_LOCK_OF_ENTRY = _pg("""
SELECT a.id FROM pointsaccount a WHERE a.id = (SELECT account_id FROM pointsentry WHERE id = :credit) FOR UPDATE
""")

TAKE_BACK_READ = """
SELECT a.id, a.balance, a.owed, a.customer_id, c.store_id, cr.points, cr.remaining, cr.visit_id, cr.kind,
  EXISTS (SELECT 1 FROM pointsentry WHERE idempotency_key = :key),
  EXISTS (SELECT 1 FROM pointsentry o WHERE o.account_id = a.id AND o.remaining > 0 AND o.expires_on < :today),
  COALESCE((SELECT -SUM(x.points) FROM pointsentry x WHERE x.kind = 'expire' AND x.reverses_id = cr.id), 0),
  COALESCE((SELECT -SUM(x.points) FROM pointsentry x WHERE x.kind = 'recover' AND x.reverses_id = cr.id), 0)
FROM pointsentry cr JOIN pointsaccount a ON a.id = cr.account_id JOIN customer c ON c.id = a.customer_id
WHERE cr.id = :credit
"""
PG_TAKE_BACK_READ = _pg(TAKE_BACK_READ)

SQLITE_TAKE_FROM_CREDIT = "UPDATE pointsentry SET remaining = remaining - :from_own WHERE id = :credit"

SQLITE_TAKE_FROM_OTHERS = """
UPDATE pointsentry SET remaining = remaining - min(remaining, :from_others - (w.run - remaining))
FROM (SELECT id AS lot, sum(remaining) OVER (ORDER BY id) AS run FROM pointsentry
      WHERE account_id = :acct AND remaining > 0 AND id <> :credit) AS w
WHERE pointsentry.id = w.lot AND w.run - pointsentry.remaining < :from_others
"""

SQLITE_TAKE_BACK_ENTRY = """
INSERT INTO pointsentry (account_id, kind, points, remaining, idempotency_key, reverses_id, visit_id, staff_id,
                         reason, created_at)
VALUES (:acct, 'reverse', -:taken, 0, :key, :credit, :visit, :staff, :reason, :now) RETURNING id
"""

SQLITE_TAKE_BACK_ACCOUNT = """
UPDATE pointsaccount SET balance = balance - :taken, owed = owed + :owed, updated_at = :now WHERE id = :acct
RETURNING balance
"""

PG_TAKE_BACK_WRITE = _pg("""
WITH own AS (
  UPDATE pointsentry SET remaining = remaining - :from_own WHERE id = :credit RETURNING id),
others AS (
  UPDATE pointsentry p SET remaining = p.remaining - LEAST(p.remaining, CAST(:from_others AS INTEGER) - (w.run - p.remaining))
  FROM (SELECT id, SUM(remaining) OVER (ORDER BY id) AS run FROM pointsentry
        WHERE account_id = :acct AND remaining > 0 AND id <> :credit) w
  WHERE p.id = w.id AND w.run - p.remaining < :from_others
  RETURNING p.id),
entry AS (
  INSERT INTO pointsentry (account_id, kind, points, remaining, idempotency_key, reverses_id, visit_id, staff_id,
                           reason, created_at)
  VALUES (:acct, 'reverse', -CAST(:taken AS INTEGER), 0, :key, :credit, CAST(:visit AS INTEGER),
          CAST(:staff AS INTEGER), :reason, :now)
  RETURNING id),
acct AS (
  UPDATE pointsaccount SET balance = balance - :taken, owed = owed + :owed, updated_at = :now WHERE id = :acct
  RETURNING balance),
audit AS (
  INSERT INTO auditlog (at, store_id, staff_id, action, entity, entity_id, customer_id, detail)
  SELECT :at, :audit_store, CAST(:staff AS INTEGER), 'points.reverse', 'pointsentry', entry.id, :cid, :detail
  FROM entry RETURNING id)
SELECT (SELECT id FROM entry), (SELECT balance FROM acct), (SELECT count(*) FROM own), (SELECT count(*) FROM others),
       (SELECT count(*) FROM audit)
""")


@dataclass
class TakenBack:
    entry_id: int
    customer_id: int
    points: int  # taken back, negative
    balance: int
    owed: int


def take_back(cur, *, credit_id: int, key: str, staff_id: int | None, reason: str, audit_store_id: int | None,
              detail, sqlite: bool, now: datetime, today: date, at: datetime) -> TakenBack | None:
    """The reversal's statements on a driver cursor inside a transaction (SQLite: one
    holding the write lock). ``detail(points, owed)`` makes the audit detail's JSON
    text. None: nothing was written; the full rules decide (the key was used, points
    wait to expire first, no such credit)."""
    stamp = sqlite_stamp if sqlite else (lambda v: v)
    p = {"credit": credit_id, "key": key, "today": stamp(today), "now": stamp(now), "at": stamp(at),
         "staff": staff_id}
    if not sqlite:
        if cur.execute(PG_LOCK_OF_ENTRY, p, prepare=True).fetchone() is None:
            return None
    row = (cur.execute(TAKE_BACK_READ, p) if sqlite else cur.execute(PG_TAKE_BACK_READ, p, prepare=True)).fetchone()
    if row is None:
        return None
    acct, balance, _owed, customer, store, points, remaining, visit, _kind, used, overdue, expired, recovered = row
    if used or overdue:
        return None
    taken_back = points - int(expired) - int(recovered)  # a debt's share stays repaid
    from_own = min(taken_back, remaining)
    from_others = max(0, min(taken_back - from_own, balance - from_own))
    owed = taken_back - from_own - from_others
    taken = from_own + from_others
    note = reason + (f"; owed {owed} points already spent" if owed else "")
    p.update(acct=acct, cid=customer, from_own=from_own, from_others=from_others, taken=taken, owed=owed,
             visit=visit, reason=note[:255], audit_store=audit_store_id if audit_store_id is not None else store,
             detail=detail(-taken, owed))
    if sqlite:
        cur.execute(SQLITE_TAKE_FROM_CREDIT, p)
        if from_others:
            cur.execute(SQLITE_TAKE_FROM_OTHERS, p)
        entry = cur.execute(SQLITE_TAKE_BACK_ENTRY, p).fetchone()[0]
        p["entry"] = entry
        after = cur.execute(SQLITE_TAKE_BACK_ACCOUNT, p).fetchone()[0]
        p["action"] = "points.reverse"
        cur.execute(SQLITE_ENTRY_AUDIT, p)
    else:
        entry, after, _, _, _ = cur.execute(PG_TAKE_BACK_WRITE, p, prepare=True).fetchone()
    return TakenBack(entry, customer, -taken, after, owed)
