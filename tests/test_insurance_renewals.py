"""An insurance renewal reminder's answers on the call list, on SQLite and Postgres:
renewed with us and renewed elsewhere leave a policy told on the phone (the car's
expiry moves on, the reminder stops, the renewal rate counts it), the real policy
arriving later replaces it; not yet is a callback, refused carries its reason."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from importers.pipeline import import_file
from store.access import SYSTEM
from store.calls import CallError, call_list, log_call
from store.care import care_tasks_for
from store.db import read_session, write_session
from store.models import CallLog, CareTask, InsurancePolicy, Vehicle
from tests.calls_helpers import TODAY, adopt, make_shop
from tests.import_files import write_xlsx

D = TODAY  # 2026-11-22
EXPIRY = date(2026, 12, 10)  # within the 30 days' lead: its reminder is due
HEADER = ["保单号", "车牌号", "保险公司", "险种", "起保日期", "终保日期", "保费", "是否本店出单"]
VISIT = [(date(2026, 10, 1), "maintenance", 600, 200)]  # nothing due: insurance is the only reason
CARS = [dict(plate=p, owner=o, visits=VISIT) for p, o in (("粤A20001", "甲"), ("粤A20002", "乙"), ("粤A20003", "丙"))]


@pytest.fixture
def shop(engine, tmp_path):
    shop = make_shop(engine, CARS)
    adopt(engine, shop, "0-9:王伟", as_of=date(2026, 10, 1))
    rows = [HEADER]
    for i, plate in enumerate(shop.cars, start=1):
        rows.append([f"PDAA2025{i}", plate, "人保财险", "交强险", "2025-12-11", EXPIRY.isoformat(), "950", "是"])
        rows.append([f"PDZA2025{i}", plate, "人保财险", "商业险", "2025-12-11", EXPIRY.isoformat(), "3200", "是"])
    result = import_file(engine, write_xlsx(tmp_path / "保单.xlsx", rows), actor=SYSTEM, store_id=shop.store_id)
    assert result.refused is None and not result.rejected
    with write_session(engine) as s:
        care_tasks_for(s, date=D, store_id=shop.store_id, actor=SYSTEM)
    return shop


def the_list(engine, shop, day: date = D):
    with read_session(engine) as s:
        return call_list(s, staff_id=shop.wang.staff_id, day=day, actor=SYSTEM)


def row_of(lst, name):
    return next(r for r in lst.rows if r.name == name)


def log(engine, shop, plate, outcome, **kw):
    row = row_of(the_list(engine, shop), {"粤A20001": "甲", "粤A20002": "乙", "粤A20003": "丙"}[plate])
    with write_session(engine) as s:
        return log_call(s, shop.wang, customer_id=shop.customers[plate], outcome=outcome, task_ids=row.task_ids,
                        **kw)


def policies(engine, plate=None) -> list[InsurancePolicy]:
    with read_session(engine) as s:
        stmt = select(InsurancePolicy).join(Vehicle, Vehicle.id == InsurancePolicy.vehicle_id)
        if plate:
            stmt = stmt.where(Vehicle.plate == plate)
        return list(s.exec(stmt.order_by(InsurancePolicy.policy_number)).all())


def expiry(engine, plate) -> date | None:
    with read_session(engine) as s:
        return s.exec(select(Vehicle.insurance_expiry).where(Vehicle.plate == plate)).one()


def test_the_reminder_marks_its_car_on_the_row(engine, shop):
    lst = the_list(engine, shop)
    assert sorted(r.name for r in lst.rows) == ["丙", "乙", "甲"]
    a = row_of(lst, "甲")
    assert a.renewal_vehicle_ids == [shop.cars["粤A20001"]]
    assert "insurance" in a.top.en and a.as_dict()["renewal_vehicle_ids"] == [shop.cars["粤A20001"]]


def test_renewed_with_us_is_a_policy_told_on_the_phone_and_the_reminder_stops(engine, shop):
    result = log(engine, shop, "粤A20001", "renewed_here")
    assert result.renewal_policies == [f"call:{shop.cars['粤A20001']}:commercial:2026-12-10",
                                       f"call:{shop.cars['粤A20001']}:compulsory:2026-12-10"]
    told = [p for p in policies(engine, "粤A20001") if p.source == "call"]
    assert {(p.kind, p.start_on, p.end_on, p.sold_by_store, p.premium_fen) for p in told} == {
        ("commercial", date(2026, 12, 11), date(2027, 12, 10), True, 0),
        ("compulsory", date(2026, 12, 11), date(2027, 12, 10), True, 0)}
    assert expiry(engine, "粤A20001") == date(2027, 12, 10)
    with read_session(engine) as s:
        call = s.exec(select(CallLog)).one()
        task = s.exec(select(CareTask).where(CareTask.vehicle_id == shop.cars["粤A20001"])).one()
    assert (call.outcome, task.status) == ("renewed_here", "done")
    row = row_of(the_list(engine, shop), "甲")
    assert row.done and row.outcome == "renewed_here"


def test_renewed_elsewhere_needs_the_insurer_and_keeps_it(engine, shop):
    with pytest.raises(CallError, match="insurer"):
        log(engine, shop, "粤A20002", "renewed_other")
    with pytest.raises(CallError, match="insurer goes with a renewal"):
        log(engine, shop, "粤A20002", "reached", insurer="平安产险")
    log(engine, shop, "粤A20002", "renewed_other", insurer="平安产险")
    told = [p for p in policies(engine, "粤A20002") if p.source == "call"]
    assert {(p.insurer, p.sold_by_store) for p in told} == {("平安产险", False)}
    with read_session(engine) as s:
        call = s.exec(select(CallLog)).one()
    assert (call.outcome, call.reason) == ("renewed_other", "平安产险")


def test_not_yet_is_a_callback_and_refused_keeps_its_reason(engine, shop):
    log(engine, shop, "粤A20001", "reached", reason="暂未续保", callback_on=D + timedelta(days=5))
    log(engine, shop, "粤A20002", "refused", reason="保险公司已联系")
    assert [p for p in policies(engine) if p.source == "call"] == []
    assert expiry(engine, "粤A20001") == EXPIRY
    back = the_list(engine, shop, D + timedelta(days=5))
    assert "甲" in [r.name for r in back.rows] and "乙" not in [r.name for r in back.rows]


def test_the_real_policy_arriving_later_replaces_the_told_one(engine, shop, tmp_path):
    log(engine, shop, "粤A20001", "renewed_here")
    log(engine, shop, "粤A20002", "renewed_other", insurer="平安产险")
    later = write_xlsx(tmp_path / "续保.xlsx", [
        HEADER,
        ["PDZA2026001", "粤A20001", "人保财险", "商业险", "2026-12-11", "2027-12-10", "3,300", "是"],
        ["PDZA2026002", "粤A20002", "平安产险", "商业险", "2026-12-15", "2027-12-14", "3,100", "否"],
    ])
    result = import_file(engine, later, actor=SYSTEM, store_id=shop.store_id)
    assert result.refused is None and not result.rejected
    a = {(p.policy_number if p.source != "call" else f"call:{p.kind}") for p in policies(engine, "粤A20001")}
    assert a == {"PDAA20251", "PDZA20251", "PDZA2026001", "call:compulsory"}  # the 交强险 not yet on file
    b = {(p.policy_number if p.source != "call" else f"call:{p.kind}") for p in policies(engine, "粤A20002")}
    assert b == {"PDAA20252", "PDZA20252", "PDZA2026002", "call:compulsory"}
    assert expiry(engine, "粤A20002") == date(2027, 12, 14)


def test_a_renewal_needs_a_car_with_an_expiry(engine, shop):
    with write_session(engine) as s:
        car = s.get(Vehicle, shop.cars["粤A20003"])
        s.exec(select(InsurancePolicy)).all()
        for p in s.exec(select(InsurancePolicy).where(InsurancePolicy.vehicle_id == car.id)).all():
            s.delete(p)
        car.insurance_expiry = None
        s.add(car)
    with pytest.raises(CallError, match="say which car|no insurance expiry"):
        with write_session(engine) as s:
            log_call(s, shop.wang, customer_id=shop.customers["粤A20003"], outcome="renewed_here")
    with pytest.raises(CallError, match="no insurance expiry"):
        with write_session(engine) as s:
            log_call(s, shop.wang, customer_id=shop.customers["粤A20003"], vehicle_id=shop.cars["粤A20003"],
                     outcome="renewed_here")


def test_the_command_line_logs_the_same_answers(engine, shop, db_url):
    from typer.testing import CliRunner

    from tests.cli_helpers import cli_args
    from tui.cli import app

    def run(*args):
        return CliRunner().invoke(app, cli_args([*args, "--db", db_url, "--today", "2026-11-22"]))

    r = run("calls", "log", "粤A20001", "--outcome", "renewed_here", "--sa", "王伟")
    assert r.exit_code == 0 and "renewal recorded" in r.output, r.output
    r = run("calls", "log", "粤A20002", "--outcome", "renewed_other", "--sa", "王伟")
    assert r.exit_code == 1 and "insurer" in r.output
    r = run("calls", "log", "粤A20002", "--outcome", "renewed_other", "--insurer", "平安产险", "--sa", "王伟")
    assert r.exit_code == 0, r.output
    assert {(p.vehicle_id, p.insurer, p.sold_by_store) for p in policies(engine) if p.source == "call"} == {
        (shop.cars["粤A20001"], None, True), (shop.cars["粤A20002"], "平安产险", False)}
    r = run("report", "insurance", "--month", "2026-12", "--format", "json")
    assert r.exit_code == 0, r.output
    import json

    (summary,) = json.loads(r.output)["sheets"]["summary"]["rows"]
    assert (summary["policies_due"], summary["renewed_here"], summary["renewed_other"]) == (6, 2, 2)
