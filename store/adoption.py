"""Adoption 客户领养: each service advisor owns a set of cars and their calls.

The rules (DOMAIN.md, "Adoption and the daily call list"):

| step | rule | setting (default) |
| --- | --- | --- |
| pick | vehicles with a maintenance visit (首保 ``first_maintenance`` or 定期保养 ``maintenance``, not cancelled) in the last N months up to the day, one row per vehicle; sold cars and do-not-contact owners left out | ``adoption_window_months`` (12) |
| rank | by oil and care-product spend 油品/养护用品 (``Visit.oil_fen``) over the window, then output value 产值 (``Visit.total_fen``), both over every visit of the window | |
| assign | by the last digit of the plate from the store's mapping (``"0-1:王伟,2-3:李娜"``; SAs by staff name or code), or by hand | ``adoption_plate_digit_map`` |
| letter plates | a plate ending in a letter or a suffix (``粤A12345D``, ``粤B1234学``): ``last_digit`` uses the last digit found in the plate; ``by_hand`` leaves it unassigned and lists it for the manager | ``adoption_letter_plate_rule`` (last_digit) |
| reassign | ends the vehicle's open :class:`~store.models.Adoption` row (``ended_on`` = the day) and starts a new one, so the history stays; every change writes an audit row | |

A car moved by hand (``method`` "hand") stays with its SA when the plate mapping is
run again; a car the mapping would give to someone else is moved (the mapping
changed). A car already adopted that no longer qualifies (no maintenance in the
window) keeps its SA: that owner is the one who should call it back. Only a store
manager assigns (the command line without ``--as`` acts as the system).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date

from sqlalchemy import and_, case, func, or_, select
from sqlmodel import Session

from store.access import Actor, require, require_customer_access, require_manager
from store.audit import record
from store.dates import add_months
from store.maintenance import MAINTENANCE_TYPES
from store.models import Adoption, Customer, Staff, Vehicle, Visit
from store.plates import normalize_plate
from store.settings import get_setting, set_setting

LETTER_RULES = ("last_digit", "by_hand")
DIGITS = "0123456789"


class AdoptionError(ValueError):
    """An assignment that cannot be made as asked (the message says why)."""


# --- the mapping -------------------------------------------------------------


def parse_digit_map(text: str) -> dict[str, str]:
    """``"0-1:王伟,2-3:李娜,9:SA05"`` -> {"0": "王伟", "1": "王伟", ...}.

    Ranges (``0-1``) or single digits before a colon, pairs separated by commas
    (full-width ``：`` and ``，`` too). A digit named twice is an error; digits left
    out are simply not assigned."""
    text = (text or "").replace("：", ":").replace("，", ",").replace("；", ",").replace(";", ",")
    mapping: dict[str, str] = {}
    pairs = [p.strip() for p in text.split(",") if p.strip()]
    if not pairs:
        raise AdoptionError("the plate-digit mapping is empty: give it as \"0-1:王伟,2-3:李娜,...\"")
    for pair in pairs:
        digits, sep, who = pair.partition(":")
        digits, who = digits.strip(), who.strip()
        if not sep or not who:
            raise AdoptionError(f"{pair!r}: write digits:SA, e.g. \"0-1:王伟\"")
        m = re.fullmatch(r"([0-9])\s*(?:-\s*([0-9]))?", digits)
        if not m:
            raise AdoptionError(f"{pair!r}: {digits!r} is not a digit or a range like 0-1")
        lo, hi = int(m.group(1)), int(m.group(2) if m.group(2) is not None else m.group(1))
        if hi < lo:
            raise AdoptionError(f"{pair!r}: the range runs backwards")
        for d in range(lo, hi + 1):
            if str(d) in mapping:
                raise AdoptionError(f"digit {d} is given twice ({mapping[str(d)]} and {who})")
            mapping[str(d)] = who
    return mapping


def format_digit_map(mapping: dict[str, str]) -> str:
    """The inverse of :func:`parse_digit_map`, runs of one SA folded into ranges."""
    out: list[str] = []
    d = 0
    while d < 10:
        who = mapping.get(str(d))
        if who is None:
            d += 1
            continue
        end = d
        while end + 1 < 10 and mapping.get(str(end + 1)) == who:
            end += 1
        out.append(f"{d}-{end}:{who}" if end > d else f"{d}:{who}")
        d = end + 1
    return ",".join(out)


def plate_digit(plate: str | None, rule: str = "last_digit") -> str | None:
    """The digit a plate is assigned by: its last character when that is a digit;
    for a plate ending in a letter, the last digit in it under ``last_digit``, none
    under ``by_hand`` (the manager assigns it)."""
    plate = normalize_plate(plate)
    if not plate:
        return None
    if plate[-1] in DIGITS:
        return plate[-1]
    if rule == "by_hand":
        return None
    for ch in reversed(plate):
        if ch in DIGITS:
            return ch
    return None


def resolve_staff(session: Session, store_id: int, ref: str) -> Staff:
    """An active staff member of the store by code (``SA01``) or by name (``王伟``)."""
    ref = (ref or "").strip()
    if not ref:
        raise AdoptionError("name the service advisor")
    base = select(Staff).where(Staff.store_id == store_id, Staff.active.is_(True))
    by_code = session.execute(base.where(func.upper(Staff.code) == ref.upper())).scalars().first()
    if by_code is not None:
        return by_code
    by_name = session.execute(base.where(Staff.name == ref).order_by(Staff.id)).scalars().all()
    if len(by_name) > 1:
        codes = ", ".join(s.code for s in by_name)
        raise AdoptionError(f"{ref!r} names several staff ({codes}): use the staff code")
    if not by_name:
        raise AdoptionError(f"no active staff member {ref!r} in this store")
    return by_name[0]


def resolve_map(session: Session, store_id: int, mapping: dict[str, str]) -> dict[str, Staff]:
    """Digit -> Staff, every name or code looked up once."""
    found: dict[str, Staff] = {}
    out: dict[str, Staff] = {}
    for digit, ref in mapping.items():
        if ref not in found:
            found[ref] = resolve_staff(session, store_id, ref)
        out[digit] = found[ref]
    return out


# --- who qualifies -----------------------------------------------------------


@dataclass
class Candidate:
    """A vehicle that came in for maintenance in the window, with what it brings."""

    vehicle_id: int
    plate: str | None
    customer_id: int | None
    owner: str | None
    model: str | None
    oil_fen: int  # oil and care products over the window
    output_fen: int  # every repair order's total over the window
    last_maintenance: date | None
    rank: int = 0  # 1 = the most valuable


def window_start(session: Session, store_id: int, as_of: date) -> date:
    months = int(get_setting(session, "adoption_window_months", store_id=store_id))
    return add_months(as_of, -months)


def candidates(session: Session, *, store_id: int, as_of: date) -> list[Candidate]:
    """Vehicles with a maintenance visit from the window start to ``as_of`` (both
    days included), one row per vehicle, most valuable first."""
    start = window_start(session, store_id, as_of)
    is_maint = Visit.repair_type.in_(MAINTENANCE_TYPES)
    stmt = (
        select(
            Vehicle.id, Vehicle.plate, Vehicle.customer_id, Customer.name, Vehicle.model,
            func.coalesce(func.sum(Visit.oil_fen), 0), func.coalesce(func.sum(Visit.total_fen), 0),
            func.max(case((is_maint, Visit.date_in))),
        )
        .join(Visit, Visit.vehicle_id == Vehicle.id)
        .join(Customer, Customer.id == Vehicle.customer_id, isouter=True)
        .where(
            Vehicle.store_id == store_id,
            Visit.status != "cancelled",
            Visit.date_in >= start,
            Visit.date_in <= as_of,
            or_(Vehicle.sold_on.is_(None), Vehicle.sold_on > as_of),
            or_(Customer.id.is_(None), Customer.do_not_contact.is_(False)),
        )
        .group_by(Vehicle.id, Vehicle.plate, Vehicle.customer_id, Customer.name, Vehicle.model)
        .having(func.sum(case((is_maint, 1), else_=0)) > 0)
    )
    rows = [Candidate(r[0], r[1], r[2], r[3], r[4], int(r[5]), int(r[6]), _as_date(r[7]))
            for r in session.execute(stmt).all()]
    rows.sort(key=lambda c: (-c.oil_fen, -c.output_fen, c.vehicle_id))
    for i, c in enumerate(rows, start=1):
        c.rank = i
    return rows


def _as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])  # SQLite hands MAX() of a date back as text


# --- open adoptions ----------------------------------------------------------


def active_on(as_of: date):
    """The SQL condition for an adoption in force on ``as_of``."""
    return and_(Adoption.started_on <= as_of, or_(Adoption.ended_on.is_(None), Adoption.ended_on > as_of))


def open_adoptions(session: Session, vehicle_ids: list[int] | None = None, *, store_id: int | None = None,
                   for_update: bool = False) -> dict[int, Adoption]:
    """The open (not ended) adoption of each vehicle."""
    stmt = select(Adoption).where(Adoption.ended_on.is_(None))
    if store_id is not None:
        stmt = stmt.where(Adoption.store_id == store_id)
    if vehicle_ids is not None:
        if not vehicle_ids:
            return {}
        stmt = stmt.where(Adoption.vehicle_id.in_(vehicle_ids))
    if for_update:
        stmt = stmt.with_for_update()
    return {a.vehicle_id: a for a in session.execute(stmt).scalars()}


# --- assigning by plate ------------------------------------------------------


@dataclass
class PlanLine:
    vehicle_id: int
    plate: str | None
    owner: str | None
    rank: int
    oil_fen: int
    output_fen: int
    digit: str | None
    to_staff_id: int | None = None
    to_staff: str | None = None
    from_staff_id: int | None = None
    from_staff: str | None = None
    why: str | None = None  # for an unassigned car: letter_plate | unmapped_digit | no_digit


@dataclass
class AdoptionPlan:
    """What a plate-digit run does (or, dry, would do)."""

    as_of: date
    window_from: date
    mapping: dict[str, str]  # digit -> staff name, as resolved
    letter_rule: str
    candidates: int = 0
    new: list[PlanLine] = field(default_factory=list)
    moved: list[PlanLine] = field(default_factory=list)
    unchanged: list[PlanLine] = field(default_factory=list)
    kept_by_hand: list[PlanLine] = field(default_factory=list)
    unassigned: list[PlanLine] = field(default_factory=list)
    applied: bool = False

    def per_staff(self) -> dict[str, int]:
        """How many candidates each SA holds after the run."""
        counts: dict[str, int] = {}
        for line in self.new + self.moved + self.unchanged + self.kept_by_hand:
            counts[line.to_staff or "?"] = counts.get(line.to_staff or "?", 0) + 1
        return counts

    def as_dict(self) -> dict:
        return {
            "as_of": self.as_of.isoformat(), "window_from": self.window_from.isoformat(),
            "mapping": self.mapping, "letter_plate_rule": self.letter_rule, "applied": self.applied,
            "candidates": self.candidates, "per_staff": self.per_staff(),
            "new": [asdict(x) for x in self.new], "moved": [asdict(x) for x in self.moved],
            "unchanged": len(self.unchanged), "kept_by_hand": [asdict(x) for x in self.kept_by_hand],
            "unassigned": [asdict(x) for x in self.unassigned],
        }


def stored_map(session: Session, store_id: int) -> dict[str, str]:
    return dict(get_setting(session, "adoption_plate_digit_map", store_id=store_id) or {})


def plan_by_plate(session: Session, *, store_id: int, as_of: date, mapping: dict[str, str],
                  letter_rule: str | None = None) -> AdoptionPlan:
    """Work out each candidate's SA from ``mapping`` (digit -> staff name or code),
    without writing anything."""
    letter_rule = letter_rule or get_setting(session, "adoption_letter_plate_rule", store_id=store_id)
    if letter_rule not in LETTER_RULES:
        raise AdoptionError(f"adoption_letter_plate_rule {letter_rule!r}: one of {', '.join(LETTER_RULES)}")
    staff_by_digit = resolve_map(session, store_id, mapping)
    cands = candidates(session, store_id=store_id, as_of=as_of)
    current = open_adoptions(session, [c.vehicle_id for c in cands], store_id=store_id)
    names = _staff_names(session, {a.staff_id for a in current.values()})
    plan = AdoptionPlan(as_of=as_of, window_from=window_start(session, store_id, as_of),
                        mapping={d: s.name for d, s in sorted(staff_by_digit.items())}, letter_rule=letter_rule,
                        candidates=len(cands))
    for c in cands:
        digit = plate_digit(c.plate, letter_rule)
        line = PlanLine(c.vehicle_id, c.plate, c.owner, c.rank, c.oil_fen, c.output_fen, digit)
        now = current.get(c.vehicle_id)
        if now is not None:
            line.from_staff_id, line.from_staff = now.staff_id, names.get(now.staff_id)
        target = staff_by_digit.get(digit) if digit is not None else None
        if now is not None and now.method == "hand":
            line.to_staff_id, line.to_staff = now.staff_id, line.from_staff
            plan.kept_by_hand.append(line)
        elif target is None:
            if now is not None:  # keeps its SA; the mapping says nothing about it
                line.to_staff_id, line.to_staff = now.staff_id, line.from_staff
                plan.unchanged.append(line)
            else:
                if digit is not None:
                    line.why = "unmapped_digit"
                elif any(ch in DIGITS for ch in normalize_plate(c.plate)):
                    line.why = "letter_plate"  # by_hand: the manager assigns it
                else:
                    line.why = "no_digit"
                plan.unassigned.append(line)
        else:
            line.to_staff_id, line.to_staff = target.id, target.name
            if now is None:
                plan.new.append(line)
            elif now.staff_id == target.id:
                plan.unchanged.append(line)
            else:
                plan.moved.append(line)
    return plan


def _staff_names(session: Session, ids) -> dict[int, str]:
    ids = [i for i in ids if i is not None]
    if not ids:
        return {}
    return dict(session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(ids))).all())


def adopt_by_plate(session: Session, actor: Actor, *, store_id: int, as_of: date,
                   mapping_text: str | None = None, dry_run: bool = False) -> AdoptionPlan:
    """Assign the candidates by plate digit. ``mapping_text`` (saved as the store's
    mapping when applied) or, without it, the store's saved mapping."""
    require_manager(actor, store_id)
    if mapping_text:
        mapping = parse_digit_map(mapping_text)
    else:
        mapping = stored_map(session, store_id)
        if not mapping:
            raise AdoptionError("this store has no plate-digit mapping yet: give one, e.g. "
                                "--by-plate-digit \"0-1:王伟,2-3:李娜,4-5:张敏,6-7:刘洋,8-9:陈静\"")
    plan = plan_by_plate(session, store_id=store_id, as_of=as_of, mapping=mapping)
    if dry_run:
        return plan
    if mapping_text:
        codes = {d: s.code for d, s in resolve_map(session, store_id, mapping).items()}
        if codes != stored_map(session, store_id):
            set_setting(session, "adoption_plate_digit_map", codes, store_id=store_id)
            record(session, actor, "setting.change", "setting", store_id=store_id,
                   detail={"key": "adoption_plate_digit_map", "value": codes})
    locked = open_adoptions(session, [x.vehicle_id for x in plan.moved], store_id=store_id, for_update=True)
    for line in plan.moved:
        old = locked.get(line.vehicle_id)
        if old is None or old.staff_id != line.from_staff_id:
            raise AdoptionError(f"{line.plate}: its assignment changed meanwhile; run again")
        old.ended_on = as_of
        session.add(old)
    session.flush()  # the old rows close before the new ones open (one open row per car)
    starting = plan.new + plan.moved
    customers = dict(session.execute(
        select(Vehicle.id, Vehicle.customer_id).where(Vehicle.id.in_([x.vehicle_id for x in starting]))
    ).all()) if starting else {}
    # One batch of inserts, then one of audit rows: a store's first run is thousands of cars.
    rows = [Adoption(store_id=store_id, vehicle_id=x.vehicle_id, staff_id=x.to_staff_id, started_on=as_of,
                     assigned_by_staff_id=actor.staff_id, rank_value_fen=x.output_fen, method="plate")
            for x in starting]
    session.add_all(rows)
    session.flush()
    for row, line in zip(rows, starting):
        record(session, actor, "adoption.move" if line.from_staff_id else "adoption.assign", "adoption", row.id,
               customer_id=customers.get(line.vehicle_id), store_id=store_id,
               detail={"vehicle_id": line.vehicle_id, "method": "plate", "plate": line.plate, "from": line.from_staff,
                       "to": line.to_staff, "digit": line.digit, "rule": "plate_digit"})
    session.flush()
    plan.applied = True
    return plan


def _start(session: Session, actor: Actor, *, store_id: int, vehicle_id: int, customer_id: int | None,
           staff_id: int, as_of: date, method: str, value_fen: int, detail: dict) -> Adoption:
    row = Adoption(store_id=store_id, vehicle_id=vehicle_id, staff_id=staff_id, started_on=as_of,
                   assigned_by_staff_id=actor.staff_id, rank_value_fen=value_fen, method=method)
    session.add(row)
    session.flush()
    action = "adoption.assign" if detail.get("from") is None else "adoption.move"
    record(session, actor, action, "adoption", row.id, customer_id=customer_id, store_id=store_id,
           detail={"vehicle_id": vehicle_id, "method": method} | detail)
    return row


# --- by hand -------------------------------------------------------------------


@dataclass
class MoveResult:
    vehicle_id: int
    plate: str | None
    from_staff: str | None
    to_staff: str
    adoption_id: int


def find_vehicle(session: Session, store_id: int, plate_or_id: str | int) -> Vehicle:
    if isinstance(plate_or_id, int):
        v = session.get(Vehicle, plate_or_id)
        if v is None or v.store_id != store_id:
            raise AdoptionError(f"no vehicle {plate_or_id} in this store")
        return v
    plate = normalize_plate(plate_or_id)
    v = session.execute(
        select(Vehicle).where(Vehicle.store_id == store_id, Vehicle.plate == plate).order_by(Vehicle.id.desc())
    ).scalars().first()
    if v is None:
        raise AdoptionError(f"no vehicle with plate {plate_or_id!r} in this store")
    return v


def move(session: Session, actor: Actor, *, store_id: int, vehicle: str | int, to: str | int,
         as_of: date) -> MoveResult:
    """Give a car to another SA by hand (or adopt a car nobody holds): the open
    adoption ends on ``as_of`` and a new one starts. A later plate run keeps it."""
    require_manager(actor, store_id)
    v = find_vehicle(session, store_id, vehicle)
    if v.sold_on is not None and v.sold_on <= as_of:
        raise AdoptionError(f"{v.plate}: the owner sold this car on {v.sold_on.isoformat()}")
    staff = session.get(Staff, to) if isinstance(to, int) else resolve_staff(session, store_id, to)
    if staff is None or staff.store_id != store_id or not staff.active:
        raise AdoptionError("no such active staff member in this store")
    old = open_adoptions(session, [v.id], store_id=store_id, for_update=True).get(v.id)
    if old is not None and old.staff_id == staff.id:
        raise AdoptionError(f"{v.plate} is already adopted by {staff.name}")
    from_name = None
    value = 0
    if old is not None:
        from_name = _staff_names(session, [old.staff_id]).get(old.staff_id)
        old.ended_on = as_of
        value = old.rank_value_fen
        session.add(old)
        session.flush()
    else:
        start = window_start(session, store_id, as_of)
        value = int(session.execute(
            select(func.coalesce(func.sum(Visit.total_fen), 0))
            .where(Visit.vehicle_id == v.id, Visit.status != "cancelled", Visit.date_in >= start, Visit.date_in <= as_of)
        ).scalar() or 0)
    row = _start(session, actor, store_id=store_id, vehicle_id=v.id, customer_id=v.customer_id, staff_id=staff.id,
                 as_of=as_of, method="hand", value_fen=value,
                 detail={"plate": v.plate, "from": from_name, "to": staff.name, "rule": "by_hand"})
    return MoveResult(v.id, v.plate, from_name, staff.name, row.id)


def end_adoption(session: Session, actor: Actor, *, vehicle_id: int, as_of: date, why: str) -> bool:
    """End a car's open adoption (the car was sold, ...). True if there was one."""
    row = open_adoptions(session, [vehicle_id], for_update=True).get(vehicle_id)
    if row is None:
        return False
    row.ended_on = as_of
    session.add(row)
    customer_id = session.execute(select(Vehicle.customer_id).where(Vehicle.id == vehicle_id)).scalar()
    record(session, actor, "adoption.end", "adoption", row.id, customer_id=customer_id, store_id=row.store_id,
           detail={"vehicle_id": vehicle_id, "staff_id": row.staff_id, "why": why})
    return True


# --- what the manager sees -----------------------------------------------------


@dataclass
class StaffLoad:
    staff_id: int | None  # None: the candidates nobody holds
    code: str | None
    name: str | None
    vehicles: int
    oil_fen: int  # over the adoption window, as of the day
    output_fen: int
    since: date | None  # the SA's first adoption


@dataclass
class AdoptedCar:
    vehicle_id: int
    plate: str | None
    owner: str | None
    customer_id: int | None
    model: str | None
    staff_id: int | None
    started_on: date | None
    method: str | None
    oil_fen: int
    output_fen: int


def _window_values(session: Session, store_id: int, as_of: date, vehicle_ids: list[int] | None = None):
    start = window_start(session, store_id, as_of)
    stmt = (
        select(Visit.vehicle_id, func.coalesce(func.sum(Visit.oil_fen), 0), func.coalesce(func.sum(Visit.total_fen), 0))
        .where(Visit.store_id == store_id, Visit.status != "cancelled", Visit.date_in >= start, Visit.date_in <= as_of)
        .group_by(Visit.vehicle_id)
    )
    if vehicle_ids is not None:
        stmt = stmt.where(Visit.vehicle_id.in_(vehicle_ids))
    return {vid: (int(o), int(t)) for vid, o, t in session.execute(stmt).all()}


def adopted_cars(session: Session, *, store_id: int, as_of: date, actor: Actor, staff_id: int | None = None) -> list[AdoptedCar]:
    """Cars adopted on ``as_of`` (of one SA, or all), most valuable first."""
    require(actor, "customers.read", store_id)
    require_customer_access(actor, store_id)
    stmt = (
        select(Adoption, Vehicle.plate, Vehicle.customer_id, Customer.name, Vehicle.model)
        .join(Vehicle, Vehicle.id == Adoption.vehicle_id)
        .join(Customer, Customer.id == Vehicle.customer_id, isouter=True)
        .where(Adoption.store_id == store_id, active_on(as_of))
    )
    if staff_id is not None:
        stmt = stmt.where(Adoption.staff_id == staff_id)
    rows = session.execute(stmt).all()
    values = _window_values(session, store_id, as_of)
    out = [AdoptedCar(a.vehicle_id, plate, name, cid, model, a.staff_id, a.started_on, a.method,
                      *values.get(a.vehicle_id, (0, 0))) for a, plate, cid, name, model in rows]
    out.sort(key=lambda c: (-c.oil_fen, -c.output_fen, c.vehicle_id))
    return out


def unassigned_cars(session: Session, *, store_id: int, as_of: date) -> list[AdoptedCar]:
    """Candidates nobody holds (letter plates under ``by_hand``, unmapped digits,
    cars that qualified since the last run)."""
    cands = candidates(session, store_id=store_id, as_of=as_of)
    held = {vid for (vid,) in session.execute(
        select(Adoption.vehicle_id).where(Adoption.store_id == store_id, active_on(as_of))).all()}
    return [AdoptedCar(c.vehicle_id, c.plate, c.owner, c.customer_id, c.model, None, None, None, c.oil_fen,
                       c.output_fen) for c in cands if c.vehicle_id not in held]


def staff_loads(session: Session, *, store_id: int, as_of: date, actor: Actor) -> list[StaffLoad]:
    """Per SA: cars adopted on ``as_of`` and their value over the window; every
    active SA is listed (0 cars too), then a row for the unassigned candidates."""
    cars = adopted_cars(session, store_id=store_id, as_of=as_of, actor=actor)
    firsts = dict(session.execute(
        select(Adoption.staff_id, func.min(Adoption.started_on)).where(Adoption.store_id == store_id)
        .group_by(Adoption.staff_id)).all())
    staff = session.execute(
        select(Staff).where(Staff.store_id == store_id, or_(
            and_(Staff.role == "sa", Staff.active.is_(True)),
            Staff.id.in_({c.staff_id for c in cars} or {-1}),
        )).order_by(Staff.code)).scalars().all()
    out = []
    for s in staff:
        mine = [c for c in cars if c.staff_id == s.id]
        out.append(StaffLoad(s.id, s.code, s.name, len(mine), sum(c.oil_fen for c in mine),
                             sum(c.output_fen for c in mine), _as_date(firsts.get(s.id))))
    loose = unassigned_cars(session, store_id=store_id, as_of=as_of)
    out.append(StaffLoad(None, None, None, len(loose), sum(c.oil_fen for c in loose),
                         sum(c.output_fen for c in loose), None))
    return out


@dataclass
class HistoryLine:
    staff: str | None
    started_on: date
    ended_on: date | None
    method: str


def history(session: Session, vehicle_id: int) -> list[HistoryLine]:
    """Every SA this car has had, oldest first."""
    rows = session.execute(
        select(Adoption, Staff.name).join(Staff, Staff.id == Adoption.staff_id)
        .where(Adoption.vehicle_id == vehicle_id).order_by(Adoption.started_on, Adoption.id)
    ).all()
    return [HistoryLine(name, a.started_on, a.ended_on, a.method) for a, name in rows]


def owner_sa(session: Session, vehicle_id: int, *, as_of: date) -> Staff | None:
    """The SA who holds this car on ``as_of``."""
    return session.execute(
        select(Staff).join(Adoption, Adoption.staff_id == Staff.id)
        .where(Adoption.vehicle_id == vehicle_id, active_on(as_of)).order_by(Adoption.id.desc())
    ).scalars().first()
