"""Find a car at the counter from whatever the SA can type without a Chinese
input method: any part of a plate ("A123", "12345", "2345"), a phone's last 4
digits, a VIN's last 6, an owner's name or its pinyin ("zw" or "zhangwei" for 张伟).

How it stays fast at a million vehicles: every vehicle has a few rows in
``searchterm``, each a kind letter and a string. A plate stores *every suffix*
of itself, so any part of the plate is a *prefix* of one of its suffixes, and a
prefix is a range scan on the one B-tree index (``term``), on SQLite and on
Postgres (where the column has collation "C"). Each kind is its own range with
its own LIMIT, so a one-character query reads at most a page of the index.

| kind | term | matched by |
| --- | --- | --- |
| P | each suffix (2+ chars) of the normalized plate (a car whose plate moved on: of its former plate), province included | prefix |
| T | phone's last 4 digits; the whole phone | exact (the whole phone: only for roles that see every phone) |
| V | VIN's last 6 | exact |
| W | whole VIN | prefix (8+ chars) |
| N | name, full pinyin, pinyin initials (lower case) | prefix |
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, insert, select

from store.access import Actor, may_find_by_whole_phone, require_customer_access
from store.db import as_connection
from store.plates import fold, is_valid_plate, normalize_plate, query_forms
from store.privacy import mask_name, mask_phone

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlmodel import Session

MAX_RESULTS = 50


@lru_cache(maxsize=65536)
def pinyin_forms(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of a Chinese name, lower case, no spaces."""
    # Imported here: pypinyin loads its dictionaries on import (a tenth of a second or
    # more), which only writing search terms needs, never a lookup.
    from pypinyin import lazy_pinyin

    syllables = [p for p in lazy_pinyin(name, errors="ignore") if p]
    # The initials are each syllable's first letter (what Style.FIRST_LETTER gives, for
    # every CJK character and the demo's names), from the one call: half the cost of
    # a store's terms.
    return "".join(syllables).lower(), "".join(p[0] for p in syllables).lower()


def terms_for(*, plate: str | None, vin: str | None, name: str | None, phone: str | None) -> list[str]:
    terms: set[str] = set()
    if plate:
        for i in range(len(plate) - 1):
            terms.add("P" + plate[i:])
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) >= 4:
        terms.add("T" + digits[-4:])
        terms.add("T" + digits)
    if vin and len(vin) >= 6:
        terms.add("V" + vin[-6:].upper())
        terms.add("W" + vin.upper())
    if name:
        clean = fold(name).lower()
        if clean:
            terms.add("N" + clean)
            full, initials = pinyin_forms(clean)
            if full:
                terms.add("N" + full)
            if initials:
                terms.add("N" + initials)
    return sorted(terms)


def reindex_vehicles(session: Session, vehicle_ids: list[int]) -> None:
    """Rebuild the search terms of these vehicles from what the tables now say."""
    if not vehicle_ids:
        return
    from store.models import Customer, SearchTerm, Vehicle

    session.flush()
    session.execute(delete(SearchTerm).where(SearchTerm.vehicle_id.in_(vehicle_ids)))
    rows = session.execute(
        # A car whose plate moved on to another car is still found by it (after that car).
        select(Vehicle.id, func.coalesce(Vehicle.plate, Vehicle.former_plate), Vehicle.vin, Customer.name,
               Customer.phone)
        .join(Customer, Customer.id == Vehicle.customer_id, isouter=True)
        .where(Vehicle.id.in_(vehicle_ids))
    ).all()
    values = [
        {"vehicle_id": vid, "term": t}
        for vid, plate, vin, name, phone in rows
        for t in terms_for(plate=plate, vin=vin, name=name, phone=phone)
    ]
    if values:
        session.execute(insert(SearchTerm), values)


def reindex_customer(session: Session, customer_id: int) -> None:
    from store.models import Vehicle

    ids = session.execute(select(Vehicle.id).where(Vehicle.customer_id == customer_id)).scalars().all()
    reindex_vehicles(session, list(ids))


# The counter runs these on every keypress, so they go to the driver's own cursor:
# fixed statement text (prepared once by the driver on both backends), no ORM
# statement building and no result-row wrapping. Each describe column is named in
# _DESCRIBE_COLUMNS, in order.
_DESCRIBE_COLUMNS = ("id", "customer_id", "plate", "vin", "model", "name", "phone", "store_id", "purchase_date",
                     "visits", "last_visit", "visits_w", "spend_w", "tier", "points", "former_plate")
# What a row shows, from vehicle v, customer c and the visit facts f.
_DESCRIBE_SELECT = """
    SELECT v.id, v.customer_id, v.plate, v.vin, v.model, c.name, c.phone,
      v.store_id, v.purchase_date,
      coalesce(f.visits, 0) AS visits, f.last_visit, f.visits_w, f.spend_w,
      (SELECT coalesce(m.tier_code, m.scheme) FROM membership m
        WHERE m.customer_id = v.customer_id AND m.status = 'active' ORDER BY m.id DESC LIMIT 1) AS tier,
      (SELECT p.balance FROM pointsaccount p WHERE p.customer_id = v.customer_id) AS points,
      v.former_plate
"""
_DESCRIBE_BODY = _DESCRIBE_SELECT + """    FROM vehicle v LEFT JOIN customer c ON c.id = v.customer_id
    LEFT JOIN (
      -- One pass over the page's visits: the counts shown and the facts its class needs.
      SELECT vehicle_id, count(*) AS visits, max(date_in) AS last_visit,
        count(DISTINCT CASE WHEN date_in >= {w} THEN date_in END) AS visits_w,
        sum(CASE WHEN date_in >= {w} THEN total_fen ELSE 0 END) AS spend_w
      FROM visit WHERE vehicle_id {ids} AND status <> 'cancelled' AND date_in <= {d}
      GROUP BY vehicle_id
    ) f ON f.vehicle_id = v.id
    WHERE v.id {ids}
"""
# Postgres: the page's ids as one array parameter, so the text never changes.
_DESCRIBE_PG = _DESCRIBE_BODY.format(w="%(w)s", d="%(d)s", ids="= ANY(%(ids)s)")
# Postgres at the counter: the ranges and the describe in one statement, one round
# trip a keypress (two cost a scheduler wake-up each on a busy counter PC). The page
# is the first ``lim`` distinct vehicles in the ranges' order: kind, then term (a
# kind is one digit, so k || term orders as the pair), then id.
_LOOKUP_PG = """
    WITH r AS ({ranges}),
    page AS (
      SELECT vehicle_id, min(k::text || term COLLATE "C") AS o FROM r
      GROUP BY vehicle_id ORDER BY o, vehicle_id LIMIT %(lim)s
    )
""" + _DESCRIBE_SELECT + """    FROM page JOIN vehicle v ON v.id = page.vehicle_id
    LEFT JOIN customer c ON c.id = v.customer_id
    LEFT JOIN LATERAL (
      SELECT count(*) AS visits, max(date_in) AS last_visit,
        count(DISTINCT CASE WHEN date_in >= %(w)s THEN date_in END) AS visits_w,
        sum(CASE WHEN date_in >= %(w)s THEN total_fen ELSE 0 END) AS spend_w
      FROM visit WHERE vehicle_id = v.id AND status <> 'cancelled' AND date_in <= %(d)s
    ) f ON true
    ORDER BY page.o, page.vehicle_id
"""
# SQLite: the ids as one JSON array read by json_each, for the same reason.
_DESCRIBE_SQLITE = _DESCRIBE_BODY.format(w=":w", d=":d", ids="IN (SELECT value FROM json_each(:ids))")

# The upper end of a prefix range: above every string that starts with the prefix.
PREFIX_END = "\U0010ffff"
# The upper end of an exact match: the smallest string above the term itself.
EXACT_END = "\x01"


def query_ranges(query: str, *, whole_phone: bool = False) -> list[tuple[str, bool]]:
    """The (term, is_prefix) ranges a typed query searches.

    A phone is matched by its last 4 digits or, with ``whole_phone``, by the whole
    number, never by a prefix: typing the first 7 digits must not confirm a number.
    ``whole_phone`` is for roles that may see every phone (:func:`may_find_by_whole_phone`):
    for anyone else a whole number finding the car would confirm it."""
    folded = fold(query)
    if not folded:
        return []
    ranges: list[tuple[str, bool]] = []
    if len(folded) >= 2 or not folded.isascii():
        # As typed; with O and I read as the 0 and 1 a serial holds; and a whole plate
        # in its canonical order (224578使 is stored as 使224578).
        forms = query_forms(folded)
        whole = normalize_plate(folded)
        if whole not in forms and is_valid_plate(whole):
            forms.append(whole)
        ranges.extend(("P" + form, True) for form in forms)
    if folded.isdigit() and len(folded) == 4:
        ranges.append(("T" + folded, False))
    elif folded.isdigit() and len(folded) >= 7 and whole_phone:
        ranges.append(("T" + folded, False))
    if len(folded) == 6 and folded.isalnum():
        ranges.append(("V" + folded, False))
    elif len(folded) >= 8 and folded.isalnum() and folded.isascii():
        ranges.append(("W" + folded, True))
    lowered = folded.lower()
    if not lowered.isdigit():
        ranges.append(("N" + lowered, True))
    return ranges


def _driver(session: Session | Connection):
    """(the driver's connection, is Postgres) of the session's connection."""
    conn = as_connection(session)
    return conn.connection.driver_connection, conn.dialect.name == "postgresql"


def _fetch(session: Session, sqlite_sql: str, pg_sql: str, params: dict) -> list[tuple]:
    raw, pg = _driver(session)
    cur = raw.cursor()
    try:
        cur.execute(pg_sql if pg else sqlite_sql, params)
        return cur.fetchall()
    finally:
        cur.close()


def matching_vehicle_ids(session: Session, query: str, *, limit: int = MAX_RESULTS,
                         whole_phone: bool = False) -> list[int]:
    """Vehicle ids matching ``query``, best kinds first, at most ``limit``."""
    n, params = _range_params(query, limit, whole_phone=whole_phone)
    if not n:
        return []
    sqlite_sql, pg_sql = _ranges_sql(n)
    seen: dict[int, None] = {}
    for (vid,) in _fetch(session, sqlite_sql, pg_sql, params):
        seen.setdefault(vid, None)
    return list(seen)[:limit]


@lru_cache(maxsize=8)
def _ranges_sql(n: int) -> tuple[str, str]:
    """All of a query's term ranges in one statement (one round trip, not one per
    kind), each still its own index range with its own LIMIT, kinds in order; in
    SQLite's and in psycopg's parameter style."""
    def statement(mark) -> str:
        return f"SELECT vehicle_id FROM ({_range_parts(n, mark)}) u ORDER BY k, term"

    return statement(lambda name: f":{name}"), statement(lambda name: f"%({name})s")


def _range_parts(n: int, mark) -> str:
    return " UNION ALL ".join(
        f"SELECT * FROM (SELECT {i} AS k, term, vehicle_id FROM searchterm"
        f" WHERE term >= {mark(f'lo{i}')} AND term < {mark(f'hi{i}')} ORDER BY term LIMIT {mark('lim')}) r{i}"
        for i in range(n)
    )


@lru_cache(maxsize=8)
def _lookup_pg_sql(n: int) -> str:
    return _LOOKUP_PG.format(ranges=_range_parts(n, lambda name: f"%({name})s"))


def _range_params(query: str, limit: int, *, whole_phone: bool = False) -> tuple[int, dict]:
    """(how many ranges, their bounds and the limit) for a typed query."""
    ranges = query_ranges(query, whole_phone=whole_phone)
    params: dict = {"lim": limit}
    for i, (term, is_prefix) in enumerate(ranges):
        params[f"lo{i}"], params[f"hi{i}"] = term, term + (PREFIX_END if is_prefix else EXACT_END)
    return len(ranges), params


@dataclass
class VehicleMatch:
    vehicle_id: int
    customer_id: int | None
    plate: str | None
    vin: str | None
    model: str | None
    owner: str | None
    phone: str | None  # masked unless the caller may see it
    visits: int
    last_visit: date | None
    class_: str | None
    tier: str | None
    points: int
    # Set when the class provider gives reasons (store.classes does): a ClassResult.
    class_info: object | None = None
    store_id: int | None = None
    other_store: bool = False  # found by a group-wide search: shown masked, not opened
    former_plate: str | None = None  # the plate moved on to another car (车牌已转出); ``plate`` is then None

    def as_dict(self) -> dict:
        return {
            "plate": self.plate,
            "vin": self.vin,
            "model": self.model,
            "owner": self.owner,
            "phone": self.phone,
            "visits": self.visits,
            "last_visit": self.last_visit.isoformat() if self.last_visit else None,
            "class": self.class_,
            "class_reason": getattr(self.class_info, "reason_en", None),
            "class_reason_zh": getattr(self.class_info, "reason_zh", None),
            "tier": self.tier,
            "points": self.points,
            "vehicle_id": self.vehicle_id,
            "customer_id": self.customer_id,
            "other_store": self.other_store,
            "former_plate": self.former_plate,
        }


def _classes(session: Session, ids: list[int]) -> dict:
    # Imported on first use: store.classes brings polars, which a bare lookup needs not.
    from store.classes import lookup_classes

    return lookup_classes(session, ids)


# A hook: fn(session, vehicle_ids) -> {vehicle_id: class code, or an object with
# .code and its reason (store.classes.ClassResult)}. Tests may replace it.
class_provider = _classes


def match_rank(query: str, *, plate: str | None, vin: str | None, phone: str | None) -> int:
    """0: the query is this car's whole plate (with or without its province), whole
    VIN or whole phone; 1: its plate ends with the query; 2: any other match (a car
    whose plate moved on has none: the car holding it now comes first)."""
    folded = fold(query)
    if not folded:
        return 2
    plate = fold(plate or "")
    if plate and (folded in (plate, plate[1:]) or plate in (normalize_plate(folded),
                                                            normalize_plate(plate[0] + folded))):
        return 0  # the whole plate, with or without its province, however typed
    if vin and folded == vin.upper():
        return 0
    if folded.isdigit() and len(folded) >= 7 and folded == re.sub(r"\D", "", phone or ""):
        return 0
    return 1 if any(plate.endswith(form) for form in query_forms(folded)) else 2


def lookup(session: Session, query: str, *, actor: Actor, limit: int = MAX_RESULTS,
           unmask: bool = False, group_wide: bool = False) -> list[VehicleMatch]:
    """Vehicles matching ``query``, of the actor's store (staff) or of every store (the
    system). Phones come masked: a list is never the place to unmask (see
    :func:`store.access.contact_view`). A group analyst gets no rows. A whole phone
    number finds its car only for an actor who may see every phone (manager, system).

    ``group_wide`` (the group's ``group_lookup`` setting): staff see other stores'
    matching cars too, after their own, marked ``other_store`` and with the owner's
    name masked (张*); their profiles stay closed."""
    require_customer_access(actor, actor.store_id)
    whole_phone = may_find_by_whole_phone(actor)
    if actor.store_id is None:
        return _lookup(session, query, limit=limit, unmask=unmask, whole_phone=whole_phone)
    # The index spans every store: read wider pages until the store's own cars fill
    # this one (or the index has no more), so another store's cars never crowd it out.
    page = limit
    while True:
        matches = _lookup(session, query, limit=page, unmask=unmask, whole_phone=whole_phone)
        own = [m for m in matches if m.store_id == actor.store_id]
        if len(own) >= limit or len(matches) < page or page >= limit * 64:
            break
        page *= 8
    own = own[:limit]
    if not group_wide:
        return own
    others = [m for m in matches if m.store_id != actor.store_id][:limit - len(own)]
    for m in others:
        m.other_store, m.owner, m.phone = True, mask_name(m.owner), mask_phone(m.phone)
    return own + others


def _lookup(session: Session, query: str, *, limit: int, unmask: bool, whole_phone: bool) -> list[VehicleMatch]:
    raw, pg = _driver(session)
    if pg and class_provider is _classes:
        n, params = _range_params(query, limit, whole_phone=whole_phone)
        if not n:
            return []
        as_of, window = _class_days(session)
        cur = raw.cursor()
        try:
            cur.execute(_lookup_pg_sql(n), {**params, "d": as_of, "w": window})
            rows = [dict(zip(_DESCRIBE_COLUMNS, r)) for r in cur.fetchall()]
        finally:
            cur.close()
        return _matches(session, rows, [r["id"] for r in rows], as_of=as_of, window=window, unmask=unmask,
                        query=query)
    ids = matching_vehicle_ids(session, query, limit=limit, whole_phone=whole_phone)
    return describe_vehicles(session, ids, unmask=unmask, query=query)


def _class_days(session: Session) -> tuple[date, date]:
    """(today, the first day of the default loyalty window)."""
    from store import clock
    from store.classes import default_window_start

    as_of = clock.today()
    return as_of, default_window_start(session, as_of)


def describe_vehicles(session: Session, ids: list[int], *, unmask: bool = False,
                      query: str | None = None) -> list[VehicleMatch]:
    """Lookup rows for these vehicles, in the given order (with ``query``: exact
    matches of it first, then plates ending with it, see :func:`match_rank`)."""
    if not ids:
        return []
    from store import clock

    fast = class_provider is _classes  # the default rule: classify from this statement's facts
    as_of, window = _class_days(session) if fast else (clock.today(), None)
    raw, pg = _driver(session)
    params = {"ids": list(ids) if pg else json.dumps(list(ids)), "d": as_of, "w": window or as_of}
    if not pg:
        params["d"], params["w"] = params["d"].isoformat(), params["w"].isoformat()
    rows = [dict(zip(_DESCRIBE_COLUMNS, r)) for r in _fetch(session, _DESCRIBE_SQLITE, _DESCRIBE_PG, params)]
    if not pg:  # SQLite hands dates back as ISO text
        for r in rows:
            for key in ("purchase_date", "last_visit"):
                if r[key] is not None:
                    r[key] = date.fromisoformat(r[key][:10])
    return _matches(session, rows, ids, as_of=as_of, window=window, unmask=unmask, query=query)


def _matches(session: Session, rows: list[dict], ids: list[int], *, as_of: date, window: date | None,
             unmask: bool, query: str | None = None) -> list[VehicleMatch]:
    """Lookup rows, classed, in the order of ``ids`` (re-ranked for ``query``)."""
    if window is not None:
        from store.classes import classify_facts, lookup_classes

        classes, others = classify_facts(session, rows, as_of=as_of, window_start=window)
        if others:  # a store with another window: its own pass
            classes.update(lookup_classes(session, others, as_of=as_of))
    else:
        classes = class_provider(session, ids) if class_provider else {}
    by_id = {r["id"]: r for r in rows}
    if query is not None:  # stable: each rank keeps the index's order
        ids = sorted(ids, key=lambda vid: match_rank(query, plate=by_id[vid]["plate"], vin=by_id[vid]["vin"],
                                                     phone=by_id[vid]["phone"]) if vid in by_id else 3)
    out = []
    for vid in ids:
        r = by_id.get(vid)
        if r is None:
            continue
        out.append(
            VehicleMatch(
                vehicle_id=vid,
                customer_id=r["customer_id"],
                plate=r["plate"],
                vin=r["vin"],
                model=r["model"],
                owner=r["name"],
                phone=r["phone"] if unmask else mask_phone(r["phone"]),
                visits=r["visits"],
                last_visit=r["last_visit"],
                class_=getattr(classes.get(vid), "code", classes.get(vid)),
                tier=r["tier"],
                points=r["points"] or 0,
                class_info=None if isinstance(classes.get(vid), str) else classes.get(vid),
                store_id=r["store_id"],
                former_plate=r["former_plate"],
            )
        )
    return out
