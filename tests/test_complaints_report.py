"""``report complaints``: the month's complaints and their handling, by category,
owner and month, summed the same way on every sheet; on both backends."""

from __future__ import annotations

from datetime import date, datetime

from store import clock
from store.db import read_session
from store.reports import Month
from store.reports.complaints import complaints_report
from tests.test_complaints import log, shop, step  # noqa: F401  (the fixture)


def test_counts_times_and_reopened_share_add_up_on_every_sheet(shop):  # noqa: F811
    engine, actors, ids = shop
    a = log(engine, actors["SA01"], ids["customer"])  # repair quality, owned by SA01
    b = log(engine, actors["SA01"], ids["other"], category="price", severity="severe", text="比报价贵")  # manager's
    log(engine, actors["SA02"], ids["other"], category="waiting", text="等太久")  # SA02's, left open
    step(engine, actors["SA01"], a.id, "handle", "先道歉")
    step(engine, actors["SA01"], a.id, "resolve", "返修")
    step(engine, actors["MS01"], a.id, "reopen", "不满意")
    step(engine, actors["SA01"], a.id, "resolve", "再返修")
    step(engine, actors["M01"], b.id, "resolve", "退差价")
    clock.set_today(date(2026, 11, 30))  # the open one is past its 7 days
    with read_session(engine) as s:
        book = complaints_report(s, month=Month(2026, 11), store_ids=[ids["store"]])
    summary = book.sheet("summary").rows[0]
    assert {k: summary[k] for k in ("complaints", "severe", "open", "resolved", "overdue", "reopened")} == {
        "complaints": 3, "severe": 1, "open": 1, "resolved": 2, "overdue": 1, "reopened": 1}
    assert summary["reopened_share"] == 50.0
    assert summary["response_hours"] is not None and summary["resolution_days"] is not None
    for key in ("category", "owner"):
        rows = book.sheet(key).rows
        for column in ("complaints", "severe", "open", "resolved", "overdue", "reopened"):
            assert sum(r[column] for r in rows) == summary[column], (key, column)
    by_owner = {r["staff"]: r["complaints"] for r in book.sheet("owner").rows}
    assert by_owner == {"王伟": 1, "周建国": 1, "李娜": 1}
    trend = book.sheet("trend").rows
    assert trend[-1]["month"] == "2026-11" and trend[-1]["complaints"] == 3 and trend[0]["complaints"] == 0


def test_satisfaction_averages_per_question_and_sa_and_the_response_rate(shop):  # noqa: F811
    from store.calls import log_call
    from store.db import in_transaction
    from store.reports.satisfaction import satisfaction_report
    from tests.test_complaints import _callback_task

    from sqlalchemy import update

    from store.db import write_session
    from store.models import Visit

    engine, actors, ids = shop
    with write_session(engine) as s:
        s.execute(update(Visit).where(Visit.ro_number == "RO1").values(sa_name="王伟"))
    task = _callback_task(engine, ids)
    in_transaction(engine, lambda s: log_call(s, actors["SA01"], customer_id=ids["customer"], outcome="reached",
                                              task_ids=[task], scores="45345"))
    with read_session(engine) as s:
        book = satisfaction_report(s, month=Month(2026, 11), store_ids=[ids["store"]])
    summary = book.sheet("summary").rows[0]
    assert (summary["callbacks"], summary["answered"], summary["response_rate"]) == (1, 1, 100.0)
    assert (summary["repair_quality"], summary["on_time"], summary["overall"], summary["low"]) == (4.0, 3.0, 5.0, 0)
    (sa,) = book.sheet("sa").rows
    assert sa["sa"] == "王伟" and sa["responses"] == 1  # the SA who served the RO
    assert book.sheet("trend").rows[-1]["responses"] == 1
