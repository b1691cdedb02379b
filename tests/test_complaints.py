"""Complaints 投诉: logged with an owner and deadlines, handled step by step, listed by
due time for who may see them; bad input is one line and changes nothing. Both backends."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from store import clock
from store.access import SYSTEM, AccessDenied, Actor
from store.complaints import complaint_step, complaint_steps, list_complaints, log_complaint
from store.db import in_transaction, read_session, write_session
from store.models import Adoption, AuditLog, Complaint, ComplaintStep
from store.profile import customer_profile
from store.staff import add_staff
from store.validation import FieldError
from tests.factories import add_car, add_store
from tui.cli import app
from tui.cli.common import hoist_global_options

NOW = datetime(2026, 11, 22, 10, 0)


@pytest.fixture
def shop(engine, monkeypatch, tmp_path):
    monkeypatch.setenv("DEALERDESK_KEY_FILE", str(tmp_path / "pii.key"))
    clock.set_today(NOW.date())
    with write_session(engine) as s:
        store = add_store(s)
        staff = {code: add_staff(s, SYSTEM, store_id=store.id, code=code, name=name, role=role, pin=pin)
                 for code, name, role, pin in [("M01", "周建国", "manager", "8888"), ("SA01", "王伟", "sa", "1111"),
                                               ("SA02", "李娜", "sa", "2222"), ("MS01", "陈静", "member", "3333")]}
        car = add_car(s, store, plate="粤A12345", owner="张伟", phone="13812345678",
                      visits=[("RO1", date(2026, 11, 20), 800)])
        other = add_car(s, store, plate="粤B22222", owner="李四", phone="13922223333")
        s.add(Adoption(store_id=store.id, vehicle_id=car.id, staff_id=staff["SA01"].id, started_on=date(2026, 1, 1)))
        actors = {code: Actor(x.id, x.name, x.role, store.id) for code, x in staff.items()}
        ids = {"store": store.id, "customer": car.customer_id, "car": car.id, "other": other.customer_id}
    return engine, actors, ids


def log(engine, actor, customer_id, **kw):
    kw.setdefault("category", "repair_quality")
    kw.setdefault("text", "空调修后还是不凉")
    return in_transaction(engine, lambda s: log_complaint(s, actor=actor, customer_id=customer_id, **kw))


def step(engine, actor, complaint_id, name, note=""):
    return in_transaction(engine, lambda s: complaint_step(s, actor=actor, complaint_id=complaint_id, step=name,
                                                          note=note))


def rows(engine, model) -> int:
    with read_session(engine) as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_complaint_gets_its_owner_and_deadlines(shop):
    engine, actors, ids = shop
    line = log(engine, actors["SA02"], ids["customer"], ro_number="RO1", channel="电话")
    # The car is adopted to SA01: the complaint is theirs, whoever took the call.
    assert (line.owner, line.status, line.channel, line.plate, line.ro_number) == ("王伟", "new", "phone", "粤A12345",
                                                                                  "RO1")
    assert (line.respond_by - line.opened_at).total_seconds() == 24 * 3600
    assert line.resolve_by == date(2026, 11, 29)
    severe = log(engine, actors["SA01"], ids["other"], category="attitude", severity="严重", text="前台态度差")
    assert severe.owner == "周建国"  # a severe one goes to the manager
    unowned = log(engine, actors["SA02"], ids["other"], category="waiting", text="等了三个小时")
    assert (unowned.owner, unowned.plate) == ("李娜", "粤B22222")  # no adopted car: the SA who received it; the only car


def test_handled_step_by_step_every_step_a_row_and_audited(shop):
    engine, actors, ids = shop
    c = log(engine, actors["SA01"], ids["customer"])
    assert step(engine, actors["SA01"], c.id, "handle", "已约周六返修").status == "handling"
    assert step(engine, actors["SA01"], c.id, "resolve", "更换冷凝器，试车正常").status == "resolved"
    reopened = step(engine, actors["MS01"], c.id, "reopen", "客户说还是不凉")
    assert (reopened.status, reopened.resolved_at) == ("handling", None)
    step(engine, actors["SA01"], c.id, "resolve", "补加冷媒")
    closed = step(engine, actors["M01"], c.id, "close", "客户满意")
    assert closed.status == "closed"
    with read_session(engine) as s:
        _, steps = complaint_steps(s, actor=actors["M01"], complaint_id=c.id)
        assert [x.step for x in steps] == ["opened", "handling", "resolved", "reopened", "resolved", "closed"]
        assert [x.staff for x in steps][:3] == ["王伟", "王伟", "王伟"]
        actions = list(s.execute(select(AuditLog.action).where(AuditLog.entity == "complaint")
                                 .order_by(AuditLog.id)).scalars())
    assert actions == ["complaint.log", "complaint.handle", "complaint.resolve", "complaint.reopen",
                       "complaint.resolve", "complaint.close"]


@pytest.mark.parametrize("work, message", [
    (lambda e, a, i, c: log(e, a["SA01"], i["customer"], text="   "), "text"),
    (lambda e, a, i, c: log(e, a["SA01"], i["customer"], category="noise"), "category"),
    (lambda e, a, i, c: log(e, a["SA01"], i["customer"], severity="urgent"), "severity"),
    (lambda e, a, i, c: log(e, a["SA01"], i["customer"], ro_number="RO404"), "RO"),
    (lambda e, a, i, c: step(e, a["M01"], c.id, "close"), "resolve it first"),
    (lambda e, a, i, c: step(e, a["SA01"], c.id, "resolve"), "say what was done"),
    (lambda e, a, i, c: step(e, a["SA01"], c.id, "reopen", "不满意"), "only a resolved complaint"),
])
def test_bad_input_is_one_line_and_changes_nothing(shop, work, message):
    engine, actors, ids = shop
    c = log(engine, actors["SA01"], ids["customer"])
    before = (rows(engine, Complaint), rows(engine, ComplaintStep), rows(engine, AuditLog))
    with pytest.raises(FieldError, match=message):
        work(engine, actors, ids, c)
    assert (rows(engine, Complaint), rows(engine, ComplaintStep), rows(engine, AuditLog)) == before
    with read_session(engine) as s:
        assert s.get(Complaint, c.id).status == "new"


def test_who_sees_and_handles_which(shop):
    engine, actors, ids = shop
    mine = log(engine, actors["SA01"], ids["customer"])
    theirs = log(engine, actors["SA02"], ids["other"], category="price", text="比报价贵")
    with read_session(engine) as s:
        assert [c.id for c in list_complaints(s, actor=actors["SA01"], store_id=ids["store"])] == [mine.id]
        assert {c.id for c in list_complaints(s, actor=actors["M01"], store_id=ids["store"])} == {mine.id, theirs.id}
        assert {c.id for c in list_complaints(s, actor=actors["MS01"], store_id=ids["store"])} == {mine.id, theirs.id}
    with pytest.raises(AccessDenied, match="owner"):
        step(engine, actors["SA01"], theirs.id, "handle", "我来看看")
    analyst = Actor(None, "郑志明", "analyst", ids["store"])
    with pytest.raises(AccessDenied):
        with read_session(engine) as s:
            list_complaints(s, actor=analyst, store_id=ids["store"])


def test_overdue_and_the_profile_puts_the_complaint_first(shop):
    engine, actors, ids = shop
    c = log(engine, actors["SA01"], ids["customer"])
    with read_session(engine) as s:
        assert list_complaints(s, actor=actors["M01"], store_id=ids["store"], overdue_only=True) == []
        profile = customer_profile(s, ids["car"], as_of=NOW.date())
    assert profile.action.code == "complaint"
    assert "pitch" not in [a.code for a in profile.actions]  # no membership pitch while it is open
    clock.set_today(date(2026, 11, 30))  # past the 7 days
    with read_session(engine) as s:
        late = list_complaints(s, actor=actors["M01"], store_id=ids["store"], overdue_only=True)
    assert [x.id for x in late] == [c.id] and late[0].overdue
    step(engine, actors["SA01"], c.id, "resolve", "已返修")
    with read_session(engine) as s:
        assert list_complaints(s, actor=actors["M01"], store_id=ids["store"], overdue_only=True) == []
        assert customer_profile(s, ids["car"], as_of=date(2026, 11, 30)).action.code != "complaint"


def test_the_command_line_logs_and_closes_one(shop, db_url):
    engine, actors, ids = shop
    runner = CliRunner()

    def run(code, pin, *args):
        return runner.invoke(app, hoist_global_options(["--db", db_url, "--today", "2026-11-22", "--as", code,
                                                        *args]), env={"DEALERDESK_PIN": pin})

    added = run("SA01", "1111", "complaint", "add", "a12345", "--category", "维修质量", "--text", "=1+1 [b]x[/b]",
                "--ro", "RO1")
    assert added.exit_code == 0, added.output
    assert "owner 王伟" in added.stdout
    cid = int(added.stdout.split()[1])
    listed = run("M01", "8888", "complaint", "list")
    assert "=1+1 [b]x[/b]" in listed.stdout  # stored text printed as typed, never as markup
    assert "粤A12345" in listed.stdout  # the car its plate named
    refused = run("M01", "8888", "complaint", "close", str(cid))
    assert refused.exit_code == 1 and "resolve it first" in refused.stderr
    assert run("SA01", "1111", "complaint", "resolve", str(cid), "--note", "返修完成").exit_code == 0
    assert run("M01", "8888", "complaint", "close", str(cid)).exit_code == 0
    shown = run("M01", "8888", "complaint", "show", str(cid), "--format", "json")
    import json

    data = json.loads(shown.stdout)
    assert data["status"] == "closed" and [x["step"] for x in data["steps"]] == ["opened", "resolved", "closed"]
    bad = run("SA01", "1111", "complaint", "add", "粤A12345", "--category", "noise", "--text", "x")
    assert bad.exit_code == 1 and "category" in bad.stderr


def test_resolving_puts_a_confirmation_on_the_owners_list_past_the_cap(shop):
    """Resolved, the complaint is on its owner's call list the same day even when the
    customer was called twice this month; reached and not satisfied reopens it, a
    later confirmation that is satisfied closes it."""
    from store.calls import CallError, call_list, log_call
    from store.models import CallLog

    engine, actors, ids = shop
    c = log(engine, actors["SA02"], ids["customer"])
    with write_session(engine) as s:  # two contacts this month: the cap (2) is reached
        for day in (3, 10):
            s.add(CallLog(store_id=ids["store"], customer_id=ids["customer"], staff_id=actors["SA01"].staff_id,
                          at=datetime(2026, 11, day, 10, 0), channel="phone", outcome="reached"))
    step(engine, actors["SA01"], c.id, "resolve", "更换冷凝器")

    def my_row():
        with read_session(engine) as s:
            lst = call_list(s, staff_id=actors["SA01"].staff_id, actor=actors["SA01"])
        rows = [r for r in lst.rows if r.customer_id == ids["customer"]]
        held = [r for r in lst.held_back if r.customer_id == ids["customer"]]
        return rows, held

    rows, held = my_row()
    assert held == [] and len(rows) == 1 and rows[0].complaint_ids == [c.id]
    row = rows[0]
    with pytest.raises(CallError, match="satisfied"):
        in_transaction(engine, lambda s: log_call(s, actors["SA01"], customer_id=ids["customer"], outcome="reached",
                                                  task_ids=row.task_ids))
    in_transaction(engine, lambda s: log_call(s, actors["SA01"], customer_id=ids["customer"], outcome="reached",
                                              task_ids=row.task_ids, satisfied=False, note="还是不凉"))
    with read_session(engine) as s:
        assert s.get(Complaint, c.id).status == "handling"  # reopened
    step(engine, actors["SA01"], c.id, "resolve", "补加冷媒")
    clock.set_today(date(2026, 11, 23))
    rows, _ = my_row()
    in_transaction(engine, lambda s: log_call(s, actors["SA01"], customer_id=ids["customer"], outcome="reached",
                                              task_ids=rows[0].task_ids, satisfied=True))
    with read_session(engine) as s:
        assert s.get(Complaint, c.id).status == "closed"
        _, steps = complaint_steps(s, actor=actors["M01"], complaint_id=c.id)
    assert [x.step for x in steps] == ["opened", "resolved", "reopened", "resolved", "closed"]


def _callback_task(engine, ids, day=date(2026, 11, 22)):
    from store.models import CareTask, Visit

    with write_session(engine) as s:
        visit = s.execute(select(Visit).where(Visit.ro_number == "RO1")).scalars().one()
        task = CareTask(store_id=ids["store"], customer_id=ids["customer"], vehicle_id=ids["car"],
                        key=f"repair_callback:visit:{visit.id}", kind="repair_callback",
                        reason="修后3日回访 | after-service callback", due_on=day, status="open")
        s.add(task)
        s.flush()
        return task.id


def test_an_after_service_callback_records_scores_and_a_low_one_opens_a_complaint(shop):
    from store.calls import CallError, call_list, log_call
    from store.models import SatisfactionScore

    engine, actors, ids = shop
    task_id = _callback_task(engine, ids)
    with read_session(engine) as s:
        (row,) = [r for r in call_list(s, staff_id=actors["SA01"].staff_id, actor=actors["SA01"]).rows
                  if r.customer_id == ids["customer"]]
    assert row.asks_scores and task_id in row.task_ids

    def call(**kw):
        return in_transaction(engine, lambda s: log_call(s, actors["SA01"], customer_id=ids["customer"],
                                                         task_ids=row.task_ids, **kw))

    before = (rows(engine, SatisfactionScore), rows(engine, Complaint))
    for bad, message in (("6", "out of range"), ("45", "2 scores for 5 questions"), ("好", "one digit")):
        with pytest.raises(FieldError, match=message):
            call(outcome="reached", scores=bad)
    with pytest.raises(CallError, match="reached after-service callback"):
        call(outcome="no_answer", scores="5")
    assert (rows(engine, SatisfactionScore), rows(engine, Complaint)) == before  # refused: nothing written
    result = call(outcome="reached", scores="45155", note="说交车晚了两小时")
    with read_session(engine) as s:
        got = dict(s.execute(select(SatisfactionScore.question, SatisfactionScore.score)).all())
        complaint = s.get(Complaint, result.complaint_opened)
        profile = customer_profile(s, ids["car"], as_of=NOW.date())
    assert got == {"repair_quality": 4, "attitude": 5, "on_time": 1, "price_clarity": 5, "overall": 5}
    assert (complaint.category, complaint.channel, complaint.owner_id) == ("waiting", "callback",
                                                                          actors["M01"].staff_id)
    assert "按时交车 1 分" in complaint.summary and "晚了两小时" in complaint.summary
    assert profile.scores[0].scores["on_time"] == 1 and profile.action.code == "complaint"


def test_all_top_marks_in_three_keys_from_the_call_list(shop):
    """F7, 2 (reached), 5, Enter: every question 5, no complaint."""
    import asyncio

    from store.models import SatisfactionScore
    from tests.test_tui_bursts import burst
    from tui.app import DealerDeskApp

    engine, actors, ids = shop
    _callback_task(engine, ids)

    async def run():
        app = DealerDeskApp(engine, staff_code="SA01")
        async with app.run_test(size=(120, 30)) as pilot:
            for _ in range(100):
                if type(app.screen).__name__ == "LookupScreen" and app.screen.is_mounted:
                    break
                await pilot.pause(0.05)
            burst(app, "f7")
            for _ in range(200):
                if type(app.screen).__name__ == "CallsScreen" and app.screen.lst is not None and app.screen.lst.rows:
                    break
                await pilot.pause(0.05)
            burst(app, "2", "5", "enter")
            for _ in range(200):
                if rows(engine, SatisfactionScore) == 5:
                    break
                await pilot.pause(0.05)

    if engine.dialect.name != "sqlite":
        pytest.skip("the screen test runs on the embedded database")
    asyncio.run(run())
    with read_session(engine) as s:
        assert set(s.execute(select(SatisfactionScore.score)).scalars()) == {5}
    assert rows(engine, Complaint) == 0


def test_compensation_goes_through_the_ledgers_rules_and_is_paid_once(shop):
    from store.models import ClubEntry, PointsEntry
    from store.points import balance

    engine, actors, ids = shop
    c = log(engine, actors["SA01"], ids["customer"])
    before = (rows(engine, PointsEntry), rows(engine, ClubEntry), rows(engine, ComplaintStep))
    with pytest.raises(AccessDenied, match="points.adjust"):  # an SA does not credit points
        step_paid(engine, actors["SA01"], c.id, points=100)
    assert (rows(engine, PointsEntry), rows(engine, ClubEntry), rows(engine, ComplaintStep)) == before
    line = step_paid(engine, actors["M01"], c.id, points=100, money_fen=5000)
    assert line.status == "resolved"
    with read_session(engine) as s:
        assert balance(s, customer_id=ids["customer"]) == 100
        (cost,) = s.execute(select(ClubEntry)).scalars().all()
        assert (cost.kind, cost.department, cost.amount_fen) == ("cost", "aftersales", 5000)
        _, steps = complaint_steps(s, actor=actors["M01"], complaint_id=c.id)
    assert "补偿：积分 +100，¥50.00" in steps[-1].note


def step_paid(engine, actor, complaint_id, **paid):
    return in_transaction(engine, lambda s: complaint_step(s, actor=actor, complaint_id=complaint_id, step="resolve",
                                                          note="返修并补偿", **paid))
