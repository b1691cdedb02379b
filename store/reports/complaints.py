"""Complaints 投诉 in a month, and how they were handled: by category, by owner and
over the last 12 months.

For the complaints logged from the month's first day to its last (or to today):

| column | meaning |
| --- | --- |
| complaints | logged in the month |
| severe | of them, severe 严重 |
| open | still new or being handled |
| resolved | resolved or closed |
| overdue | still open past their resolution deadline (as of the report's last day) |
| reopened | reopened at least once (the customer was not satisfied) |
| reopened_share | reopened / resolved, in percent |
| response_hours | average hours from logging to the first answer (those answered) |
| resolution_days | average days from logging to the last resolution (those resolved) |
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time

from sqlalchemy import select
from sqlmodel import Session

from store import clock
from store.complaints import CATEGORIES, OPEN
from store.models import Complaint, ComplaintStep, Staff
from store.reports import ChartSpec, Month, ReportBook, ReportTable, Words, percent

TREND_MONTHS = 12
COUNT_COLUMNS = ["complaints", "severe", "open", "resolved", "overdue", "reopened", "reopened_share",
                 "response_hours", "resolution_days"]


def _average(values: list[float], places: int = 1) -> float | None:
    return round(sum(values) / len(values), places) if values else None


def _figures(rows: list[dict], until: date) -> dict:
    resolved = [r for r in rows if r["status"] not in OPEN]
    response = [(r["first_response_at"] - r["opened_at"]).total_seconds() / 3600
                for r in rows if r["first_response_at"] and r["opened_at"]]
    resolution = [(r["resolved_at"] - r["opened_at"]).total_seconds() / 86400
                  for r in resolved if r["resolved_at"] and r["opened_at"]]
    reopened = sum(1 for r in rows if r["reopened"])
    return {
        "complaints": len(rows), "severe": sum(1 for r in rows if r["severity"] == "severe"),
        "open": sum(1 for r in rows if r["status"] in OPEN), "resolved": len(resolved),
        "overdue": sum(1 for r in rows if r["status"] in OPEN and r["resolve_by"] and r["resolve_by"] < until),
        "reopened": reopened, "reopened_share": percent(reopened, len(resolved)),
        "response_hours": _average(response), "resolution_days": _average(resolution),
    }


def _rows(session: Session, store_ids: list[int] | None, first: date, last: date) -> list[dict]:
    owner = select(Staff.name).where(Staff.id == Complaint.owner_id).scalar_subquery()
    stmt = select(Complaint, owner.label("owner")).where(Complaint.opened_on >= first, Complaint.opened_on <= last)
    if store_ids is not None:
        stmt = stmt.where(Complaint.store_id.in_(store_ids))
    found = session.execute(stmt).all()
    reopened = set(session.execute(select(ComplaintStep.complaint_id).where(
        ComplaintStep.step == "reopened", ComplaintStep.complaint_id.in_([c.id for c, _ in found] or [-1]))
    ).scalars())
    return [{"id": c.id, "category": c.category, "severity": c.severity, "status": c.status, "owner": o or "-",
             "opened_at": c.opened_at or datetime.combine(c.opened_on, time.min), "opened_on": c.opened_on,
             "first_response_at": c.first_response_at, "resolved_at": c.resolved_at, "resolve_by": c.resolve_by,
             "reopened": c.id in reopened} for c, o in found]


def complaints_report(session: Session, *, month: Month, store_ids: list[int] | None) -> ReportBook:
    """The month's complaints: a summary, by category, by owner, and the 12-month trend."""
    until = min(month.last, clock.today())
    rows = _rows(session, store_ids, month.first, until)
    summary = ReportTable(
        title=Words(f"投诉处理，{month}（至 {until}）", f"complaints, {month} (to {until})"),
        columns=list(COUNT_COLUMNS), rows=[_figures(rows, until)], percent_columns=("reopened_share",),
        key="summary", sheet=Words("概要", "summary"))
    by_category = defaultdict(list)
    for r in rows:
        by_category[r["category"]].append(r)
    category = ReportTable(
        title=Words(f"投诉类别，{month}", f"complaints by category, {month}"),
        columns=["category", "label", *COUNT_COLUMNS],
        rows=[{"category": code, "label": Words(*CATEGORIES[code]), **_figures(by_category.get(code, []), until)}
              for code in CATEGORIES],
        percent_columns=("reopened_share",), key="category", sheet=Words("类别", "category"),
        charts=[ChartSpec("bar", Words("各类别投诉", "complaints by category"), "label", ["complaints"],
                          y_title=Words("件", "complaints"))])
    by_owner = defaultdict(list)
    for r in rows:
        by_owner[r["owner"]].append(r)
    owners = ReportTable(
        title=Words(f"各负责人投诉处理，{month}", f"complaints by owner, {month}"),
        columns=["staff", *COUNT_COLUMNS],
        rows=[{"staff": name, **_figures(items, until)} for name, items in sorted(by_owner.items())],
        percent_columns=("reopened_share",), key="owner", sheet=Words("负责人", "owner"),
        charts=[ChartSpec("column", Words("各负责人平均解决天数", "average days to resolve, per owner"), "staff",
                          ["resolution_days"], y_title=Words("天", "days"))])
    trend_rows = []
    first_trend = month.back(TREND_MONTHS - 1)
    all_rows = _rows(session, store_ids, first_trend.first, until)
    for back in range(TREND_MONTHS - 1, -1, -1):
        m = month.back(back)
        end = min(m.last, until)
        in_month = [r for r in all_rows if m.first <= r["opened_on"] <= end]
        trend_rows.append({"month": str(m), **_figures(in_month, end)})
    trend = ReportTable(
        title=Words(f"投诉趋势：截至 {month} 的 {TREND_MONTHS} 个月", f"the last {TREND_MONTHS} months, to {month}"),
        columns=["month", *COUNT_COLUMNS], rows=trend_rows, percent_columns=("reopened_share",), key="trend",
        sheet=Words("趋势", "trend"),
        charts=[ChartSpec("line", Words("每月投诉", "complaints a month"), "month", ["complaints", "reopened"],
                          y_title=Words("件", "complaints"))])
    notes = [Words("首次回复小时数：登记到第一次答复的平均小时；解决天数：登记到最后一次解决的平均天数",
                   "response hours: average hours from logging to the first answer; resolution days: average "
                   "days from logging to the last resolution"),
             Words("重开占比 = 重开过的投诉 / 已解决的投诉（客户对处理不满意）",
                   "reopened share = complaints reopened / complaints resolved (the customer was not satisfied)"),
             Words("逾期：到报表截止日仍未解决且已过解决期限", "overdue: still open past the resolution deadline "
                   "on the report's last day")]
    return ReportBook(title=Words(f"投诉处理月报 {month}", f"complaints {month}"),
                      sheets=[summary, category, owners, trend], notes=notes)
