"""Insurance policies 保单 as history: every policy a car ever had, imported from
the insurers' or the DMS's exports or entered by hand, unique by policy number
within a store. The car's current expiry (``Vehicle.insurance_expiry``, which the
care calendar's renewal reminder reads) follows its latest policy: the latest end
date of all its policies. The renewal rate counts the policies themselves
(:mod:`store.reports.insurance`).

| code | Chinese | meaning |
| --- | --- | --- |
| compulsory | 交强险 | the compulsory third-party cover |
| commercial | 商业险 | commercial cover (damage, third party, ...) |

A policy for a car the store does not know is refused (its row rejected with
the reason): import the vehicles first, then the same file again (a re-import
changes only what is new).

Renewals told on the phone 电话确认续保 (the call list's renewal outcomes,
:func:`record_reported_renewal`): the customer says the car was renewed, with us
(本店续保) or elsewhere (他店续保, with which insurer). That is a fact the renewal
rate must count before any export brings the policy, so it is kept as a policy
with ``source`` ``call``: one per type of the policies that were expiring (交强险
when none is on file), cover from the day after the old expiry for a year, the
insurer as told, ``sold_by_store`` for a renewal with us, no premium (nothing was
told), and the number ``call:<car>:<type>:<old expiry>`` (so saying it twice
changes nothing). The car's expiry moves on with it, so its renewal reminder
stops. When the real policy of that cover arrives (an import or a hand entry of
the same car and type, starting within :data:`SUCCESSOR_GRACE_DAYS` of the
reported start), it replaces the reported one: the fact is then known in full,
premium and all.

A policy's successor 续保保单 (what the renewal rate counts, see
:mod:`store.reports.insurance`): another policy of the same car and type that ends
later and starts (or, without a start date, ends a year later than it would have
started) no later than :data:`SUCCESSOR_GRACE_DAYS` after the policy's end: a
renewal a little late is still a renewal; one after a long lapse is new business.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from store import audit
from store.access import Actor, require
from store.clock import now
from store.models import InsurancePolicy, Vehicle
from store.plates import InvalidPlate, parse_plate
from store.validation import FieldError, clean_text

POLICY_KINDS = {"compulsory": "交强险", "commercial": "商业险"}
REPORTED = "call"  # the source of a renewal told on the phone
SUCCESSOR_GRACE_DAYS = 90
_KIND_WORDS = {
    "compulsory": ("交强", "compulsory"),
    "commercial": ("商业", "commercial"),
}


def policy_kind(text: str | None) -> str | None:
    """``compulsory`` or ``commercial`` for a type cell (交强险, 商业险, 交强, 商业
    险种 names, or the English code), else None."""
    if not text:
        return None
    folded = str(text).strip().lower()
    for code, words in _KIND_WORDS.items():
        if any(w in folded for w in words):
            return code
    return None


class UnknownVehicle(LookupError):
    """No car of this store has that plate or VIN."""


@dataclass
class PolicyLine:
    policy_number: str
    plate: str | None
    insurer: str | None
    kind: str
    start_on: date | None
    end_on: date
    premium_fen: int
    sold_by_store: bool
    source: str

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class MergeCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


_FIELDS = ("vehicle_id", "insurer", "kind", "start_on", "end_on", "premium_fen", "sold_by_store")


def find_vehicle(session: Session, *, store_id: int, plate: str | None = None, vin: str | None = None) -> Vehicle | None:
    """The store's car with this VIN, else with this plate (the newest car holding it)."""
    if vin:
        car = session.exec(select(Vehicle).where(Vehicle.vin == vin, Vehicle.store_id == store_id)).first()
        if car is not None:
            return car
    if plate:
        return session.exec(select(Vehicle).where(Vehicle.store_id == store_id, Vehicle.plate == plate)
                            .order_by(Vehicle.id.desc())).first()
    return None


def sync_expiry(session: Session, vehicle_ids: Iterable[int]) -> None:
    """Each car's ``insurance_expiry`` to the latest end date of its policies."""
    ids = sorted(set(vehicle_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        latest = dict(session.exec(select(InsurancePolicy.vehicle_id, func.max(InsurancePolicy.end_on))
                                   .where(InsurancePolicy.vehicle_id.in_(chunk))
                                   .group_by(InsurancePolicy.vehicle_id)).all())
        for car in session.exec(select(Vehicle).where(Vehicle.id.in_(chunk))).all():
            end = latest.get(car.id)
            if end is not None and car.insurance_expiry != end:
                car.insurance_expiry = end
                car.updated_at = now()
                session.add(car)
    session.flush()


def keep_latest_expiry(session: Session, *, store_id: int) -> None:
    """After a vehicles export: a car whose policies run later than the expiry the
    export gave it (保险到期日, often stale in the DMS) keeps its latest policy's end."""
    from sqlalchemy import and_, exists, or_, update

    if session.exec(select(InsurancePolicy.id).where(InsurancePolicy.store_id == store_id).limit(1)).first() is None:
        return  # no policies: nothing to keep (the common case, and a big store's first import)
    later = exists().where(InsurancePolicy.vehicle_id == Vehicle.id,
                           or_(Vehicle.insurance_expiry.is_(None), InsurancePolicy.end_on > Vehicle.insurance_expiry))
    latest = (select(func.max(InsurancePolicy.end_on)).where(InsurancePolicy.vehicle_id == Vehicle.id)
              .scalar_subquery())
    session.execute(update(Vehicle).where(and_(Vehicle.store_id == store_id, later))
                    .values(insurance_expiry=latest).execution_options(synchronize_session=False))


def _upsert(session: Session, store_id: int, values: dict, source: str,
            existing: InsurancePolicy | None) -> tuple[str, InsurancePolicy, set[int]]:
    """('inserted' | 'updated' | 'unchanged', the policy, the cars whose expiry may move)."""
    if existing is None:
        policy = InsurancePolicy(store_id=store_id, policy_number=values["policy_number"], source=source,
                                 **{k: values[k] for k in _FIELDS})
        session.add(policy)
        return "inserted", policy, {values["vehicle_id"]}
    if all(getattr(existing, k) == values[k] for k in _FIELDS):
        return "unchanged", existing, set()
    touched = {existing.vehicle_id, values["vehicle_id"]}
    for k in _FIELDS:
        setattr(existing, k, values[k])
    existing.updated_at = now()
    session.add(existing)
    return "updated", existing, touched


def merge_policies(session: Session, *, store_id: int, rows: Sequence[dict], actor: Actor
                   ) -> tuple[MergeCounts, list[tuple[int, str, str | None, str]]]:
    """Typed rows of an insurance export into the store, in the caller's transaction:
    a new policy number inserted, a changed one updated, the same one left alone.
    Returns the counts and, for rows whose car is unknown, (row, field, value,
    reason). Each row: _row, policy_number, plate, vin, insurer, kind, start_on,
    end_on, premium_fen, sold_by_store."""
    from store.access import require_importer

    require_importer(actor, store_id)
    counts = MergeCounts()
    unknown: list[tuple[int, str, str | None, str]] = []
    touched: set[int] = set()
    numbers = [r["policy_number"] for r in rows]
    known: dict[str, InsurancePolicy] = {}
    for start in range(0, len(numbers), 500):
        for p in session.exec(select(InsurancePolicy).where(InsurancePolicy.store_id == store_id,
                                                            InsurancePolicy.policy_number.in_(numbers[start:start + 500]))):
            known[p.policy_number] = p
    cars: dict[tuple[str | None, str | None], int | None] = {}
    for r in rows:
        key = (r.get("plate"), r.get("vin"))
        if key not in cars:
            car = find_vehicle(session, store_id=store_id, plate=key[0], vin=key[1])
            cars[key] = car.id if car is not None else None
        vehicle_id = cars[key]
        if vehicle_id is None:
            field, value = ("vin", key[1]) if key[1] and not key[0] else ("plate", key[0])
            unknown.append((r["_row"], field, value,
                            f"no car of this store has {'VIN' if field == 'vin' else 'plate'} {value}: "
                            "import the vehicles first, then this file again"))
            continue
        values = {**{k: r.get(k) for k in _FIELDS if k != "vehicle_id"}, "vehicle_id": vehicle_id,
                  "policy_number": r["policy_number"]}
        values["premium_fen"] = int(values["premium_fen"] or 0)
        values["sold_by_store"] = bool(values["sold_by_store"])
        what, policy, cars_moved = _upsert(session, store_id, values, "import", known.get(r["policy_number"]))
        known[policy.policy_number] = policy
        touched |= cars_moved
        setattr(counts, what, getattr(counts, what) + 1)
    session.flush()
    drop_reported(session, touched)
    sync_expiry(session, touched)
    return counts, unknown


def _line(policy: InsurancePolicy, plate: str | None) -> PolicyLine:
    return PolicyLine(policy.policy_number, plate, policy.insurer, policy.kind, policy.start_on, policy.end_on,
                      policy.premium_fen, policy.sold_by_store, policy.source)


def _car(session: Session, store_id: int, plate: str) -> Vehicle:
    try:
        normalized = parse_plate(plate)
    except InvalidPlate as exc:
        raise UnknownVehicle(f"{plate!r}: {exc}") from None
    car = find_vehicle(session, store_id=store_id, plate=normalized)
    if car is None:
        raise UnknownVehicle(f"no car with plate {normalized} in this store")
    return car


def record_policy(session: Session, *, store_id: int, plate: str, policy_number: str, insurer: str | None,
                  kind: str, start_on: date | None, end_on: date, premium_fen: int, sold_by_store: bool,
                  actor: Actor) -> tuple[str, PolicyLine]:
    """Enter a policy by hand, or correct one (same policy number): ('inserted' |
    'updated' | 'unchanged', the policy). Raises FieldError, UnknownVehicle."""
    require(actor, "insurance.record", store_id)
    number = clean_text(policy_number, field="policy", max_len=40, required=True)
    insurer = clean_text(insurer, field="insurer", max_len=60)
    code = policy_kind(kind)
    if code is None:
        raise FieldError("type", f"{kind!r} is neither 交强险 (compulsory) nor 商业险 (commercial)")
    if start_on is not None and end_on < start_on:
        raise FieldError("end", f"{end_on} is before the start {start_on}")
    if premium_fen < 0:
        raise FieldError("premium", "cannot be negative")
    car = _car(session, store_id, plate)
    existing = session.exec(select(InsurancePolicy).where(InsurancePolicy.store_id == store_id,
                                                          InsurancePolicy.policy_number == number)).first()
    values = {"policy_number": number, "vehicle_id": car.id, "insurer": insurer, "kind": code, "start_on": start_on,
              "end_on": end_on, "premium_fen": premium_fen, "sold_by_store": sold_by_store}
    what, policy, touched = _upsert(session, store_id, values, "hand", existing)
    if what != "unchanged":
        policy.source = "hand"
    session.flush()
    drop_reported(session, touched)
    sync_expiry(session, touched)
    if what != "unchanged":
        audit.record(session, actor, f"insurance.{'add' if what == 'inserted' else 'correct'}", "insurancepolicy",
                     policy.id, store_id=store_id, customer_id=car.customer_id,
                     detail={"policy": number, "plate": car.plate, "end": end_on.isoformat()})
    return what, _line(policy, car.plate)


def set_inspection_due(session: Session, *, store_id: int, plate: str, due: date | None, actor: Actor
                       ) -> tuple[str | None, date | None]:
    """Record a car's next annual inspection 年检 date by hand (None: forget it, so it
    is computed again from the purchase date). Returns (plate, the date recorded)."""
    require(actor, "insurance.record", store_id)
    car = _car(session, store_id, plate)
    if car.inspection_due != due:
        before = car.inspection_due
        car.inspection_due = due
        car.updated_at = now()
        session.add(car)
        session.flush()
        audit.record(session, actor, "vehicle.inspection_due", "vehicle", car.id, store_id=store_id,
                     customer_id=car.customer_id,
                     detail={"before": before.isoformat() if before else None, "after": due.isoformat() if due else None})
    return car.plate, due


def list_policies(session: Session, *, store_id: int, plate: str, actor: Actor) -> list[PolicyLine]:
    """Every policy of the car with this plate, newest cover first."""
    require(actor, "customers.read", store_id)
    car = _car(session, store_id, plate)
    rows = session.exec(select(InsurancePolicy).where(InsurancePolicy.vehicle_id == car.id)
                        .order_by(InsurancePolicy.end_on.desc(), InsurancePolicy.id.desc())).all()
    return [_line(p, car.plate) for p in rows]


# --- renewals told on the phone ---------------------------------------------------------


def _started(policy: InsurancePolicy) -> date:
    """When a policy's cover starts: its start date, else a year before its end."""
    return policy.start_on or _year_before(policy.end_on)


def _year_before(day: date) -> date:
    from store.dates import add_months

    return add_months(day, -12) + timedelta(days=1)


def is_successor(later: InsurancePolicy, earlier: InsurancePolicy) -> bool:
    """Whether ``later`` renews ``earlier`` (see the module's docstring)."""
    return (later.id != earlier.id and later.vehicle_id == earlier.vehicle_id and later.kind == earlier.kind
            and later.end_on > earlier.end_on
            and _started(later) <= earlier.end_on + timedelta(days=SUCCESSOR_GRACE_DAYS))


def drop_reported(session: Session, vehicle_ids: Iterable[int]) -> int:
    """Remove the renewals told on the phone that a real policy (imported or entered)
    of the same car and type now covers; returns how many went."""
    ids = sorted(set(vehicle_ids))
    gone = 0
    for start in range(0, len(ids), 500):
        rows = session.exec(select(InsurancePolicy).where(InsurancePolicy.vehicle_id.in_(ids[start:start + 500]))).all()
        reported = [p for p in rows if p.source == REPORTED]
        real = [p for p in rows if p.source != REPORTED]
        for p in reported:
            if any(q.vehicle_id == p.vehicle_id and q.kind == p.kind and q.end_on >= p.start_on
                   and abs((_started(q) - p.start_on).days) <= SUCCESSOR_GRACE_DAYS for q in real):
                session.delete(p)
                gone += 1
    if gone:
        session.flush()
    return gone


def record_reported_renewal(session: Session, *, store_id: int, vehicle_id: int, insurer: str | None,
                            sold_by_store: bool, actor: Actor, call_id: int | None = None) -> list[PolicyLine]:
    """The customer says the car's insurance was renewed (with us: ``sold_by_store``;
    elsewhere: with ``insurer``): the renewal kept as policies told on the phone
    (see the module's docstring). Raises FieldError when the car has no expiry to
    renew."""
    require(actor, "care.work", store_id)
    insurer = clean_text(insurer, field="insurer", max_len=60)
    if not sold_by_store and not insurer:
        raise FieldError("insurer", "renewed elsewhere: say with which insurer")
    car = session.get(Vehicle, vehicle_id)
    if car is None or car.store_id != store_id:
        raise UnknownVehicle(f"no car {vehicle_id} in this store")
    old_end = car.insurance_expiry
    if old_end is None:
        raise FieldError("insurance", f"{car.plate}: no insurance expiry on file to renew")
    expiring = session.exec(select(InsurancePolicy).where(InsurancePolicy.vehicle_id == car.id,
                                                          InsurancePolicy.end_on == old_end,
                                                          InsurancePolicy.source != REPORTED)).all()
    kinds = sorted({p.kind for p in expiring}) or ["compulsory"]
    from store.dates import add_months

    start, end = old_end + timedelta(days=1), add_months(old_end, 12)
    lines, touched = [], set()
    for kind in kinds:
        number = f"{REPORTED}:{car.id}:{kind}:{old_end.isoformat()}"
        existing = session.exec(select(InsurancePolicy).where(InsurancePolicy.store_id == store_id,
                                                              InsurancePolicy.policy_number == number)).first()
        values = {"policy_number": number, "vehicle_id": car.id, "insurer": insurer, "kind": kind, "start_on": start,
                  "end_on": end, "premium_fen": 0, "sold_by_store": bool(sold_by_store)}
        _what, policy, moved = _upsert(session, store_id, values, REPORTED, existing)
        touched |= moved
        lines.append(policy)
    session.flush()
    sync_expiry(session, touched | {car.id})
    audit.record(session, actor, "insurance.renewal_reported", "vehicle", car.id, store_id=store_id,
                 customer_id=car.customer_id,
                 detail={"plate": car.plate, "expiry": old_end.isoformat(), "with_us": bool(sold_by_store),
                         "insurer": insurer, "call_id": call_id})
    return [_line(p, car.plate) for p in lines]
