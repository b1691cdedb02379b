"""Did the club's events work 会员活动效果: per event, who signed up and came, what it
cost per attendee, the points it gave, and whether the attendees came back more.

For the events that began from ``date_from`` to ``date_to`` (cancelled ones left out):

| column | meaning |
| --- | --- |
| signups | signed up and not cancelled (attended included, walk-ins too) |
| waitlist | still on the waitlist |
| attended | checked in at the door |
| walk_ins | of them, let in without a sign-up |
| attendance_rate | attended / signups, in percent |
| event_cost | the event's costs in the club's accounts (activity costs and gifts), yuan |
| cost_per_attendee | event_cost / attended, yuan |
| points_given | points the check-ins credited (the ledger's activity rows) |
| visits_before, spend_before | the attendees' visits (repair orders, cancelled ones left out) and spend in the 90 days before the event's day |
| visits_after, spend_after | the same attendees' in the 90 days from the event's day on (the day itself included: a service campaign's visits count as after) |
| days_after | days of the after window that have passed (under 90: the after figures are not complete yet) |
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from store import clock
from store.models import ClubEntry, ClubEvent, EventSignup, PointsEntry, Vehicle, Visit
from store.reports import ChartSpec, ReportBook, ReportTable, Words, percent, yuan

WINDOW_DAYS = 90
COLUMNS = ["event_id", "event", "event_date", "event_kind", "capacity", "signups", "waitlist", "attended", "walk_ins",
           "attendance_rate", "event_cost", "cost_per_attendee", "points_given", "visits_before", "visits_after",
           "spend_before", "spend_after", "days_after"]
MONEY = ("event_cost", "cost_per_attendee", "spend_before", "spend_after")


def _visits(session: Session, customer_ids: list[int], lo: date, hi: date) -> tuple[int, int]:
    """Visits and spend (fen) of these customers' cars from ``lo`` to before ``hi``."""
    if not customer_ids:
        return 0, 0
    n, fen = session.execute(
        select(func.count(Visit.id), func.coalesce(func.sum(Visit.total_fen), 0))
        .join(Vehicle, Vehicle.id == Visit.vehicle_id)
        .where(Vehicle.customer_id.in_(customer_ids), Visit.status != "cancelled", Visit.date_in >= lo,
               Visit.date_in < hi)).one()
    return int(n or 0), int(fen or 0)


def events_report(session: Session, *, date_from: date, date_to: date, store_ids: list[int] | None) -> ReportBook:
    """One row per event, a total row, and a chart of visits before and after."""
    from store.events import KINDS

    today = clock.today()
    stmt = select(ClubEvent).where(ClubEvent.status != "cancelled",
                                   ClubEvent.starts_at >= datetime.combine(date_from, time.min),
                                   ClubEvent.starts_at < datetime.combine(date_to + timedelta(days=1), time.min))
    if store_ids is not None:
        stmt = stmt.where(ClubEvent.store_id.in_(store_ids))
    found = session.execute(stmt.order_by(ClubEvent.starts_at, ClubEvent.id)).scalars().all()
    ids = [e.id for e in found] or [-1]
    people: dict[int, list[EventSignup]] = defaultdict(list)
    for s in session.execute(select(EventSignup).where(EventSignup.event_id.in_(ids))).scalars():
        people[s.event_id].append(s)
    costs = dict(session.execute(select(ClubEntry.event_id, func.sum(ClubEntry.amount_fen)).where(
        ClubEntry.event_id.in_(ids), ClubEntry.kind == "cost").group_by(ClubEntry.event_id)).all())
    entry_ids = [s.points_entry_id for rows in people.values() for s in rows if s.points_entry_id]
    points = dict(session.execute(select(PointsEntry.id, PointsEntry.points).where(
        PointsEntry.id.in_(entry_ids or [-1]))).all())
    rows, total = [], defaultdict(int)
    for e in found:
        mine = people.get(e.id, [])
        came = [s.customer_id for s in mine if s.status == "attended"]
        signups = sum(1 for s in mine if s.status in ("signed_up", "attended"))
        day = e.starts_at.date()
        before = _visits(session, came, day - timedelta(days=WINDOW_DAYS), day)
        after = _visits(session, came, day, day + timedelta(days=WINDOW_DAYS))
        cost = int(costs.get(e.id) or 0)
        given = sum(points.get(s.points_entry_id, 0) for s in mine if s.points_entry_id)
        figures = {"capacity": e.capacity, "signups": signups, "waitlist": sum(1 for s in mine if s.status == "waitlist"),
                   "attended": len(came), "walk_ins": sum(1 for s in mine if s.status == "attended" and s.walk_in),
                   "points_given": given, "visits_before": before[0], "visits_after": after[0]}
        for k, v in figures.items():
            total[k] += v
        total["cost"] += cost
        total["spend_before"] += before[1]
        total["spend_after"] += after[1]
        zh, en = KINDS.get(e.kind, (e.kind, e.kind))
        rows.append({"event_id": e.id, "event": e.name, "event_date": day, "event_kind": Words(zh, en), **figures,
                     "attendance_rate": percent(len(came), signups), "event_cost": yuan(cost),
                     "cost_per_attendee": yuan(round(cost / len(came))) if came else None,
                     "spend_before": yuan(before[1]), "spend_after": yuan(after[1]),
                     "days_after": max(0, min(WINDOW_DAYS, (today - day).days + 1))})
    total_row = None
    if rows:
        total_row = {**{k: total[k] for k in ("capacity", "signups", "waitlist", "attended", "walk_ins",
                                              "points_given", "visits_before", "visits_after")},
                     "attendance_rate": percent(total["attended"], total["signups"]), "event_cost": yuan(total["cost"]),
                     "cost_per_attendee": yuan(round(total["cost"] / total["attended"])) if total["attended"] else None,
                     "spend_before": yuan(total["spend_before"]), "spend_after": yuan(total["spend_after"])}
    span = f"{date_from} – {date_to}"
    table = ReportTable(
        title=Words(f"会员活动效果，{span}", f"club events, {span}"), columns=list(COLUMNS), rows=rows,
        total=total_row, percent_columns=("attendance_rate",), money_columns=MONEY, key="events",
        sheet=Words("活动", "events"),
        charts=[ChartSpec("column", Words("参加者活动前后90天来店台次", "attendees' visits 90 days before and after"),
                          "event", ["visits_before", "visits_after"], y_title=Words("台次", "visits")),
                ChartSpec("column", Words("参加者活动前后90天产值", "attendees' spend 90 days before and after"),
                          "event", ["spend_before", "spend_after"], y_title=Words("元", "yuan"))])
    notes = [Words("报名：未取消的报名（含已签到、现场报名）；到场率 = 签到 / 报名",
                   "sign-ups: not cancelled (attended and walk-ins included); attendance rate = attended / sign-ups"),
             Words("人均费用 = 记入俱乐部收支的活动费用和礼品 / 签到人数",
                   "cost per attendee = the event's activity costs and gifts in the club's accounts / attendees"),
             Words(f"前后对比：同一批签到客户在活动日前 {WINDOW_DAYS} 天与活动日起 {WINDOW_DAYS} 天（含当天）的来店台次和产值；"
                   f"已过天数不足 {WINDOW_DAYS} 天时，活动后的数字尚不完整",
                   f"before and after: the same attendees' visits and spend in the {WINDOW_DAYS} days before the "
                   f"event's day and the {WINDOW_DAYS} days from it on (the day included); while days after is "
                   f"under {WINDOW_DAYS}, the after figures are not complete")]
    return ReportBook(title=Words(f"会员活动效果 {span}", f"club events {span}"), sheets=[table], notes=notes)
