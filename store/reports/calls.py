"""Did adoption work? The call report 回访/邀约效果, per SA, before and after adoption.

For the report's days (``date_from`` to ``date_to``, both included):

| column | meaning |
| --- | --- |
| adopted | cars adopted to the SA on ``date_to`` |
| calls | call log rows the SA made in the period (every outcome) |
| reached | of those, the customer was on the line (booked, reached, refused, sold, do not contact) |
| booked | of those, booked 已预约 |
| showed | bookings whose car came in from the day of the call to ``call_show_window_days`` (3) after the appointment (the appointment not cancelled) |
| reach_rate, book_rate, show_rate | reached / calls, booked / reached, showed / booked, in percent |
| adopted_since | the SA's first adoption start |
| compare_days | how many days each side of the comparison spans |
| output_before / output_after | the SA's output 产值 (repair orders' totals, in yuan, rounded half up; orders are the SA's by the DMS's SA column) in the same-length periods before and after adoption |
| oil_share_before / oil_share_after | oil and care products 油品/养护用品 as a percentage of that output |

"After" is the part of the report's period from the SA's first adoption on (up to
today); "before" is the same number of days just before that first adoption. An SA
whose adoption starts after the period has no comparison (blank). A total row sums
the SAs (shares from the summed amounts).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, or_, select
from sqlmodel import Session

from store import clock
from store.calls import REACHED, CallRules
from store.models import Adoption, Appointment, CallLog, Staff, Store, Vehicle, Visit
from store.reports import ReportTable, Words, percent

DIMENSIONS = ("store", "sa")
COUNTS = ("calls", "reached", "booked", "showed")
MONEY = ("output_before", "output_after")


def _yuan(fen: int | None) -> int | None:
    return None if fen is None else (fen + 50) // 100


def _start(d: date) -> datetime:
    return datetime.combine(d, time.min)


def _showed(session: Session, booked: list[tuple], window_days: dict[int, int]) -> set[int]:
    """Ids of the booking calls whose car came in: (call_id, store_id, call_at,
    appointment_at, vehicle_id, customer_id) each."""
    if not booked:
        return set()
    vehicles = {b[4] for b in booked if b[4] is not None}
    customers = {b[5] for b in booked if b[4] is None}
    first = min(b[2] for b in booked).date()
    last = max(b[3] for b in booked).date() + timedelta(days=max(window_days.values(), default=0))
    days: dict[int, list[date]] = defaultdict(list)  # vehicle -> visit days
    owner: dict[int, int] = {}
    ids = list(vehicles)
    if customers:
        for vid, cid in session.execute(select(Vehicle.id, Vehicle.customer_id)
                                        .where(Vehicle.customer_id.in_(customers))).all():
            ids.append(vid)
            owner[vid] = cid
    for i in range(0, len(ids), 900):
        for vid, d in session.execute(
            select(Visit.vehicle_id, Visit.date_in).where(
                Visit.vehicle_id.in_(ids[i:i + 900]), Visit.status != "cancelled",
                Visit.date_in >= first, Visit.date_in <= last)
        ).all():
            days[vid].append(d if isinstance(d, date) else date.fromisoformat(str(d)[:10]))
    by_customer: dict[int, list[date]] = defaultdict(list)
    for vid, cid in owner.items():
        by_customer[cid] += days.get(vid, [])
    out = set()
    for call_id, store_id, call_at, appt_at, vid, cid in booked:
        lo, hi = call_at.date(), appt_at.date() + timedelta(days=window_days.get(store_id, 0))
        seen = days.get(vid, []) if vid is not None else by_customer.get(cid, [])
        if any(lo <= d <= hi for d in seen):
            out.add(call_id)
    return out


def _output(session: Session, store_id: int, sa_name: str, lo: date, hi: date) -> tuple[int, int, int]:
    """(total, oil, repair orders) of an SA's repair orders from ``lo`` to ``hi``."""
    if hi < lo:
        return 0, 0, 0
    total, oil, n = session.execute(
        select(func.coalesce(func.sum(Visit.total_fen), 0), func.coalesce(func.sum(Visit.oil_fen), 0), func.count())
        .where(Visit.store_id == store_id, Visit.sa_name == sa_name, Visit.status != "cancelled",
               Visit.date_in >= lo, Visit.date_in <= hi)
    ).one()
    return int(total), int(oil), int(n)


def calls_report(session: Session, *, date_from: date, date_to: date, by: list[str] | None = None,
                 store_ids: list[int] | None = None) -> ReportTable:
    """Calls, bookings, shows and the before/after comparison, per SA (``by=["sa"]``),
    per store, or one total row."""
    if date_to < date_from:
        raise ValueError(f"--to {date_to} is before --from {date_from}")
    by = list(by or [])
    today = clock.today()
    lo, hi = _start(date_from), _start(date_to + timedelta(days=1))

    store_q = select(Store.id, Store.code)
    if store_ids is not None:
        store_q = store_q.where(Store.id.in_(store_ids))
    stores = dict(session.execute(store_q).all())
    windows = {sid: CallRules.load(session, sid).show_window_days for sid in stores}

    calls = session.execute(
        select(CallLog.id, CallLog.store_id, CallLog.staff_id, CallLog.outcome, CallLog.at)
        .where(CallLog.store_id.in_(stores or {-1}), CallLog.at >= lo, CallLog.at < hi)
    ).all()
    booked = session.execute(
        select(CallLog.id, CallLog.store_id, CallLog.at, Appointment.at, Appointment.vehicle_id, Appointment.customer_id)
        .join(Appointment, Appointment.call_id == CallLog.id)
        .where(CallLog.store_id.in_(stores or {-1}), CallLog.at >= lo, CallLog.at < hi, CallLog.outcome == "booked",
               Appointment.status != "cancelled")
    ).all()
    showed = _showed(session, [tuple(b) for b in booked], windows)

    firsts = dict(session.execute(
        select(Adoption.staff_id, func.min(Adoption.started_on)).where(Adoption.store_id.in_(stores or {-1}))
        .group_by(Adoption.staff_id)).all())
    adopted = dict(session.execute(
        select(Adoption.staff_id, func.count()).where(
            Adoption.store_id.in_(stores or {-1}), Adoption.started_on <= date_to,
            or_(Adoption.ended_on.is_(None), Adoption.ended_on > date_to))
        .group_by(Adoption.staff_id)).all())
    callers = {c.staff_id for c in calls if c.staff_id is not None}
    staff = session.execute(
        select(Staff).where(Staff.store_id.in_(stores or {-1}),
                            or_(Staff.id.in_(callers | set(firsts) or {-1}), Staff.role == "sa"))
        .order_by(Staff.store_id, Staff.code)
    ).scalars().all()

    per: dict[int | None, dict] = {}

    def blank(store_id, name):
        return {"store": stores.get(store_id), "sa": name, "adopted": 0, "calls": 0, "reached": 0, "booked": 0,
                "showed": 0, "adopted_since": None, "compare_days": None, "_before": None, "_after": None}

    for s in staff:
        row = blank(s.store_id, s.name)
        row["adopted"] = int(adopted.get(s.id, 0))
        first = firsts.get(s.id)
        if first is not None and not isinstance(first, date):
            first = date.fromisoformat(str(first)[:10])
        row["adopted_since"] = first
        if first is not None:
            after_lo, after_hi = max(date_from, first), min(date_to, today)
            if after_hi >= after_lo:
                n = (after_hi - after_lo).days + 1
                row["compare_days"] = n
                row["_after"] = _output(session, s.store_id, s.name, after_lo, after_hi)
                row["_before"] = _output(session, s.store_id, s.name, first - timedelta(days=n),
                                         first - timedelta(days=1))
        per[s.id] = row
    for c in calls:
        row = per.get(c.staff_id)
        if row is None:  # a call logged by the system, or by staff gone from the list
            row = per.setdefault(None, blank(c.store_id, "-"))
        row["calls"] += 1
        row["reached"] += c.outcome in REACHED
        row["booked"] += c.outcome == "booked"
        row["showed"] += c.id in showed

    def finish(row: dict) -> dict:
        before, after = row.pop("_before"), row.pop("_after")
        row["output_before"] = _yuan(before[0]) if before else None
        row["output_after"] = _yuan(after[0]) if after else None
        row["oil_share_before"] = percent(before[1], before[0]) if before else None
        row["oil_share_after"] = percent(after[1], after[0]) if after else None
        row["reach_rate"] = percent(row["reached"], row["calls"])
        row["book_rate"] = percent(row["booked"], row["reached"])
        row["show_rate"] = percent(row["showed"], row["booked"])
        return row

    def combine(rows: list[dict], **keys) -> dict:
        out = {"store": None, "sa": None, "adopted": 0, "calls": 0, "reached": 0, "booked": 0, "showed": 0,
               "adopted_since": None, "compare_days": None, "_before": None, "_after": None} | keys
        for r in rows:
            for k in ("adopted", *COUNTS):
                out[k] += r[k]
            if r["adopted_since"] is not None:
                out["adopted_since"] = min(filter(None, [out["adopted_since"], r["adopted_since"]]))
            for side in ("_before", "_after"):
                if r[side] is not None:
                    prev = out[side] or (0, 0, 0)
                    out[side] = tuple(a + b for a, b in zip(prev, r[side]))
        return out

    base = list(per.values())
    if "sa" in by:
        rows = [finish(dict(r)) for r in base]
    elif "store" in by:
        groups: dict[str, list[dict]] = defaultdict(list)
        for r in base:
            groups[r["store"]].append(r)
        rows = [finish(combine(g, store=code)) for code, g in sorted(groups.items(), key=lambda kv: str(kv[0]))]
    else:
        rows = []
    total = finish(combine(base))
    dims = [d for d in DIMENSIONS if d in by]
    if "sa" in by and "store" not in by and len(stores) > 1:
        dims = ["store", "sa"]  # an SA's name alone is ambiguous across stores
    columns = dims + ["adopted", *COUNTS, "reach_rate", "book_rate", "show_rate", "adopted_since", "compare_days",
                      "output_before", "output_after", "oil_share_before", "oil_share_after"]
    if not by:
        rows = [total | {"sa": None}]
        columns = columns  # one total row
    for r in rows:
        for k in list(r):
            if k not in columns:
                r.pop(k)
    title = Words(f"回访/邀约效果 {date_from} – {date_to}", f"calls and bookings {date_from} – {date_to}")
    notes = [Words("产值单位为元；油品占比 = 油品及养护用品 / 产值，为百分比",
                   "output in yuan; oil share = oil and care products / output, in percent"),
             Words("之前/之后：各服务顾问首次领养前后相同的天数",
                   "before/after: the same number of days before and after each SA's first adoption")]
    return ReportTable(title=title, columns=columns, rows=rows,
                       total={k: v for k, v in total.items() if k in columns} if by else None, notes=notes,
                       percent_columns=("reach_rate", "book_rate", "show_rate", "oil_share_before",
                                        "oil_share_after"))
