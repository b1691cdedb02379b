"""Satisfaction 满意度 in a month, from the after-service callbacks' scores: the
average per question, per SA (who served the RO) and over the last 12 months, and
how many of the month's callbacks were answered.

| column | meaning |
| --- | --- |
| callbacks | after-service callbacks (修后3日回访, 问题7日回访) due in the month |
| answered | of them, calls that recorded scores |
| response_rate | answered / callbacks, in percent |
| responses | scored calls in the month (any callback due date) |
| one column per question | its average score, 2 decimals |
| low | scored calls with any score at or below ``satisfaction_low_score`` |
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlmodel import Session

from store import clock
from store.models import CareTask, SatisfactionScore
from store.reports import ChartSpec, Month, ReportBook, ReportTable, Words, percent
from store.satisfaction import CALLBACK_KINDS
from store.settings import get_setting

TREND_MONTHS = 12


def _scores(session: Session, store_ids: list[int] | None, first: date, last: date) -> list[tuple]:
    stmt = select(SatisfactionScore.call_id, SatisfactionScore.at, SatisfactionScore.sa_name,
                  SatisfactionScore.question, SatisfactionScore.score).where(
        SatisfactionScore.at >= datetime.combine(first, time.min),
        SatisfactionScore.at < datetime.combine(last + timedelta(days=1), time.min))
    if store_ids is not None:
        stmt = stmt.where(SatisfactionScore.store_id.in_(store_ids))
    return session.execute(stmt).all()


def _callbacks(session: Session, store_ids: list[int] | None, first: date, last: date) -> tuple[int, int]:
    """(callbacks due in the days, those whose call recorded scores)."""
    stmt = select(CareTask.id, CareTask.customer_id, CareTask.due_on).where(
        CareTask.kind.in_(CALLBACK_KINDS), CareTask.due_on >= first, CareTask.due_on <= last)
    if store_ids is not None:
        stmt = stmt.where(CareTask.store_id.in_(store_ids))
    tasks = session.execute(stmt).all()
    if not tasks:
        return 0, 0
    from store.models import CallLog

    answered = set(session.execute(
        select(CallLog.task_id).join(SatisfactionScore, SatisfactionScore.call_id == CallLog.id)
        .where(CallLog.task_id.in_([t.id for t in tasks]))).scalars())
    # A call covering several of the customer's tasks names one of them: the others count with it.
    scored_customers = {t.customer_id for t in tasks if t.id in answered}
    return len(tasks), sum(1 for t in tasks if t.id in answered or t.customer_id in scored_customers)


def _figures(rows: list[tuple], questions: list[str], low: int) -> dict:
    by_call: dict[int, dict[str, int]] = defaultdict(dict)
    for call_id, _at, _sa, question, score in rows:
        by_call[call_id][question] = score
    out = {"responses": len(by_call), "low": sum(1 for s in by_call.values() if any(v <= low for v in s.values()))}
    for q in questions:
        values = [s[q] for s in by_call.values() if q in s]
        out[q] = round(sum(values) / len(values), 2) if values else None
    return out


def _rules(session: Session, store_ids: list[int] | None) -> tuple[list[str], int]:
    store = store_ids[0] if store_ids and len(store_ids) == 1 else None
    return (list(get_setting(session, "satisfaction_questions", store_id=store)),
            int(get_setting(session, "satisfaction_low_score", store_id=store)))


def satisfaction_summary(session: Session, *, month: Month, store_ids: list[int] | None,
                         rows: list[tuple] | None = None) -> ReportTable:
    """The month's figures in one row (the members report's satisfaction sheet too)."""
    until = min(month.last, clock.today())
    questions, low = _rules(session, store_ids)
    rows = _scores(session, store_ids, month.first, until) if rows is None else rows
    due, answered = _callbacks(session, store_ids, month.first, until)
    return ReportTable(
        title=Words(f"满意度，{month}（至 {until}）", f"satisfaction, {month} (to {until})"),
        columns=["callbacks", "answered", "response_rate", "responses", *questions, "low"],
        rows=[{"callbacks": due, "answered": answered, "response_rate": percent(answered, due),
               **_figures(rows, questions, low)}],
        percent_columns=("response_rate",), key="summary", sheet=Words("概要", "summary"))


def satisfaction_report(session: Session, *, month: Month, store_ids: list[int] | None) -> ReportBook:
    until = min(month.last, clock.today())
    store = store_ids[0] if store_ids and len(store_ids) == 1 else None
    questions, low = _rules(session, store_ids)
    rows = _scores(session, store_ids, month.first, until)
    summary = satisfaction_summary(session, month=month, store_ids=store_ids, rows=rows)
    by_sa: dict[str, list[tuple]] = defaultdict(list)
    for r in rows:
        by_sa[r[2] or "-"].append(r)
    staff = ReportTable(
        title=Words(f"各服务顾问满意度，{month}", f"satisfaction per SA, {month}"),
        columns=["sa", "responses", *questions, "low"],
        rows=[{"sa": name, **_figures(items, questions, low)} for name, items in sorted(by_sa.items())],
        key="sa", sheet=Words("服务顾问", "SA"),
        charts=[ChartSpec("column", Words("各服务顾问总体满意", "overall per SA"), "sa",
                          ["overall" if "overall" in questions else questions[-1]], y_title=Words("分", "score"))])
    trend_rows = []
    all_rows = _scores(session, store_ids, month.back(TREND_MONTHS - 1).first, until)
    for back in range(TREND_MONTHS - 1, -1, -1):
        m = month.back(back)
        end = min(m.last, until)
        in_month = [r for r in all_rows if m.first <= r[1].date() <= end]
        d, a = _callbacks(session, store_ids, m.first, end)
        trend_rows.append({"month": str(m), "callbacks": d, "answered": a, "response_rate": percent(a, d),
                           **_figures(in_month, questions, low)})
    trend = ReportTable(
        title=Words(f"满意度趋势：截至 {month} 的 {TREND_MONTHS} 个月", f"the last {TREND_MONTHS} months, to {month}"),
        columns=["month", "callbacks", "answered", "response_rate", "responses", *questions, "low"],
        rows=trend_rows, percent_columns=("response_rate",), key="trend", sheet=Words("趋势", "trend"),
        charts=[ChartSpec("line", Words("每月平均分", "average score a month"), "month", questions,
                          y_title=Words("分", "score"))])
    notes = [Words("回访：当月到期的修后3日回访和问题7日回访；回访率 = 有评分的回访 / 回访",
                   "callbacks: after-service and problem callbacks due in the month; response rate = "
                   "callbacks with scores / callbacks"),
             Words(f"各项为平均分（1 至 {int(get_setting(session, 'satisfaction_scale', store_id=store))} 分）；"
                   f"低分：任一项不高于 {low} 分的回访",
                   f"each question: its average score (1 to "
                   f"{int(get_setting(session, 'satisfaction_scale', store_id=store))}); low: calls with any "
                   f"score at or below {low}")]
    return ReportBook(title=Words(f"满意度月报 {month}", f"satisfaction {month}"), sheets=[summary, staff, trend],
                      notes=notes)
