"""The care calendar: every trigger on its day, one contact per customer, the cap,
do-not-contact, and tasks that stay done. Today is 2026-11-22."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from store.access import SYSTEM
from store.care import TaskError, care_tasks_for, close_task, open_tasks_for_customer
from store.db import read_session, write_session
from store.models import Adoption, CallLog, CareTask, Complaint, Customer, Staff, Store, Vehicle, Visit
from store.settings import set_setting
from tui.cli import app
from tests.cli_helpers import cli_args

D = date(2026, 11, 22)
runner = CliRunner()


class Shop:
    """A store to which tests add owners and cars by hand."""

    def __init__(self, session, catch_up: int = 0):
        self.s = session
        self.store = Store(code="C01", name="关怀店")
        session.add(self.store)
        session.flush()
        set_setting(session, "care_catch_up_days", catch_up, store_id=self.store.id)
        self.n = 0

    def owner(self, name, *, birthday=None, do_not_contact=False):
        c = Customer(store_id=self.store.id, name=name, phone="13800001111", birthday=birthday,
                     do_not_contact=do_not_contact)
        self.s.add(c)
        self.s.flush()
        return c

    def car(self, owner, *, purchase=date(2019, 1, 1), visits=(), **kw):
        self.n += 1
        v = Vehicle(store_id=self.store.id, customer_id=owner.id, plate=f"粤B{self.n:05d}", model="轩逸",
                    purchase_date=purchase, **kw)
        self.s.add(v)
        self.s.flush()
        for i, visit in enumerate(visits):
            day, kind = visit[0], visit[1]
            sa = visit[2] if len(visit) > 2 else None
            self.s.add(Visit(store_id=self.store.id, vehicle_id=v.id, ro_number=f"RO{v.id}-{i}", date_in=day,
                             settled_on=day, repair_type=kind, sa_name=sa))
        self.s.flush()
        return v


def day_list(engine, day=D):
    with write_session(engine) as s:
        store_id = s.exec(select(Store.id)).first()
        return care_tasks_for(s, date=day, store_id=store_id, actor=SYSTEM)


def kinds_by_customer(result):
    return {c.customer_name: sorted(t.kind for t in c.tasks) for c in result.contacts}


def test_every_trigger_on_its_day(engine):
    with write_session(engine) as s:
        shop = Shop(s)
        shop.car(shop.owner("新车"), purchase=date(2026, 11, 15))  # +7 days
        shop.car(shop.owner("首保"), purchase=date(2026, 9, 7))  # first maintenance due 12-07, call 15 days before
        shop.car(shop.owner("修后"), purchase=date(2020, 1, 1), visits=[(date(2026, 11, 19), "repair")])
        problem = shop.owner("投诉")
        v = shop.car(problem, purchase=date(2020, 1, 1), visits=[(date(2026, 11, 15), "repair")])
        s.add(Complaint(store_id=shop.store.id, customer_id=problem.id, vehicle_id=v.id, opened_on=date(2026, 11, 18),
                        summary="异响没修好"))
        # maintenance due 2026-11-07 (6 months after 05-07): 15 days overdue today
        shop.car(shop.owner("逾期15"), visits=[(date(2026, 5, 7), "maintenance")])
        # due 2026-10-23: 30 days overdue today
        shop.car(shop.owner("逾期30"), visits=[(date(2026, 4, 23), "maintenance")])
        # last visit 2026-08-07: 3 calendar months + 15 days is today
        shop.car(shop.owner("三个半月"), visits=[(date(2026, 8, 7), "repair")])
        shop.car(shop.owner("六个月"), visits=[(date(2026, 5, 22), "maintenance")])
        shop.car(shop.owner("生日", birthday=date(1980, 11, 22)), purchase=date(2019, 1, 1))
        shop.car(shop.owner("续保"), insurance_expiry=date(2026, 12, 22))
        shop.car(shop.owner("年检登记"), inspection_due=date(2026, 12, 22))
        shop.car(shop.owner("年检6年"), purchase=date(2020, 12, 22))
        shop.car(shop.owner("年检8年"), purchase=date(2018, 12, 22))
        shop.car(shop.owner("年检7年"), purchase=date(2019, 12, 22))  # no inspection in year 7
        shop.car(shop.owner("年检12年"), purchase=date(2014, 12, 22))  # yearly after 10
        shop.car(shop.owner("保修到期"), warranty_end=date(2026, 12, 22))
        # 36 months from 2023-12-23: the last day in warranty is 2026-12-22
        shop.car(shop.owner("保修推算"), purchase=date(2023, 12, 23), visits=[(date(2026, 10, 1), "maintenance")])
        shop.car(shop.owner("无事"), visits=[(date(2026, 10, 1), "maintenance")])
    result = day_list(engine)
    assert kinds_by_customer(result) == {
        "新车": ["new_car"], "首保": ["first_maintenance"], "修后": ["repair_callback"],
        "投诉": ["problem_callback"], "逾期15": ["overdue"], "逾期30": ["overdue"], "三个半月": ["not_returned"],
        "六个月": ["not_returned"], "生日": ["birthday"], "续保": ["insurance"], "年检登记": ["inspection"],
        "年检6年": ["inspection"], "年检8年": ["inspection"], "年检12年": ["inspection"], "保修到期": ["warranty"],
        "保修推算": ["warranty"],
    }
    reasons = {c.customer_name: c.reasons_en[0] for c in result.contacts}
    assert reasons["逾期30"] == "maintenance overdue: maintenance due 2026-10-23, 30 days overdue"
    assert reasons["三个半月"] == "not returned: away 3.5 months (last visit 2026-08-07)"
    assert reasons["年检6年"] == "annual inspection: annual inspection due 2026-12-22"
    assert {c.customer_name: c.reasons_zh[0] for c in result.contacts}["新车"] == "新车7日关怀：2026-11-15 购车"
    assert all(not c.held_back for c in result.contacts)


def test_one_contact_per_customer_with_one_owner(engine):
    with write_session(engine) as s:
        shop = Shop(s)
        wang = Staff(store_id=shop.store.id, code="SA1", name="王伟")
        li = Staff(store_id=shop.store.id, code="SA2", name="李娜")
        s.add_all([wang, li])
        s.flush()
        o = shop.owner("两台车", birthday=date(1990, 11, 22))
        shop.car(o, visits=[(date(2026, 11, 19), "repair", "李娜")])
        v2 = shop.car(o, insurance_expiry=date(2026, 12, 22), visits=[(date(2026, 9, 1), "maintenance", "王伟")])
        solo = shop.owner("单车")
        shop.car(solo, visits=[(date(2026, 11, 19), "repair", "李娜")])
        s.add(Adoption(store_id=shop.store.id, vehicle_id=v2.id, staff_id=wang.id, started_on=date(2026, 1, 1)))
        wang_id, li_id = wang.id, li.id
    result = day_list(engine)
    (two,) = [c for c in result.contacts if c.customer_name == "两台车"]
    assert [t.kind for t in two.tasks] == ["repair_callback", "insurance", "birthday"]
    assert (two.owner_name, two.owner_staff_id) == ("王伟", wang_id)  # adopted beats the latest visit's SA
    (one,) = [c for c in result.contacts if c.customer_name == "单车"]
    assert (one.owner_name, one.owner_staff_id) == ("李娜", li_id)
    assert len(result.contacts) == 2


@pytest.mark.parametrize("first_call, held", [(datetime(2026, 10, 24, 9), True), (datetime(2026, 10, 23, 18), False)])
def test_contact_cap_counts_every_kind_of_call_in_the_period(engine, first_call, held):
    with write_session(engine) as s:
        shop = Shop(s)
        o = shop.owner("常联系")
        shop.car(o, visits=[(date(2026, 11, 19), "repair")])
        # Two contacts in 30 days (today and the 29 days before) reach the default cap of 2.
        s.add(CallLog(store_id=shop.store.id, customer_id=o.id, at=first_call, outcome="no_answer"))
        s.add(CallLog(store_id=shop.store.id, customer_id=o.id, at=datetime(2026, 11, 20, 10), channel="sms",
                      outcome="reached"))
    result = day_list(engine)
    assert [c.customer_name for c in result.held_back] == (["常联系"] if held else [])
    assert [c.customer_name for c in result.contacts] == ([] if held else ["常联系"])


def test_do_not_contact_and_sold_cars_get_no_tasks(engine):
    with write_session(engine) as s:
        shop = Shop(s)
        shop.car(shop.owner("勿扰", birthday=date(1980, 11, 22)), visits=[(date(2026, 11, 19), "repair")])
        s.exec(select(Customer).where(Customer.name == "勿扰")).one().do_not_contact = True
        shop.car(shop.owner("卖车"), visits=[(date(2026, 11, 19), "repair")], sold_on=date(2026, 11, 20))
    result = day_list(engine)
    assert result.contacts == [] and result.held_back == []
    with read_session(engine) as s:
        assert s.exec(select(CareTask)).all() == []


def test_done_and_dismissed_stay_done(engine):
    with write_session(engine) as s:
        shop = Shop(s, catch_up=7)
        a = shop.owner("甲", birthday=date(1980, 11, 22))
        shop.car(a, visits=[(date(2026, 11, 19), "repair")])
        shop.car(shop.owner("乙"), visits=[(date(2026, 11, 18), "repair")])
    first = day_list(engine)
    assert first.created == 3
    by_name = {c.customer_name: c for c in first.contacts}
    with write_session(engine) as s:
        closed = close_task(s, by_name["甲"].task_ids[0], "done", actor=SYSTEM)
        assert sorted(closed) == sorted(by_name["甲"].task_ids)  # one contact closes both reasons
        close_task(s, by_name["乙"].task_ids[0], "dismissed", actor=SYSTEM)
        with pytest.raises(TaskError, match="already done"):
            close_task(s, by_name["甲"].task_ids[0], "dismissed", actor=SYSTEM)
    again = day_list(engine)
    assert again.contacts == [] and again.created == 0
    later = day_list(engine, D + timedelta(days=2))  # the repair callbacks are still in that window
    assert later.contacts == [] and later.created == 0
    with read_session(engine) as s:
        logs = s.exec(select(CallLog)).all()
        assert [(log.outcome, log.task_id) for log in logs] == [("reached", by_name["甲"].task_ids[0])]
        statuses = sorted(t.status for t in s.exec(select(CareTask)).all())
        assert statuses == ["dismissed", "done", "done"]


def test_a_car_that_comes_back_voids_its_reminder(engine):
    with write_session(engine) as s:
        shop = Shop(s)
        v = shop.car(shop.owner("回来了"), visits=[(date(2026, 5, 7), "maintenance")])
        store_id, vid = shop.store.id, v.id
    assert kinds_by_customer(day_list(engine)) == {"回来了": ["overdue"]}
    with write_session(engine) as s:
        s.add(Visit(store_id=store_id, vehicle_id=vid, ro_number="BACK", date_in=D, repair_type="maintenance"))
    result = day_list(engine)
    assert result.voided == 1
    assert kinds_by_customer(result) == {}  # its after-service call is 3 days away
    with read_session(engine) as s:
        overdue = s.exec(select(CareTask).where(CareTask.kind == "overdue")).one()
        assert overdue.status == "void"


def test_catch_up_window(engine):
    with write_session(engine) as s:
        shop = Shop(s, catch_up=7)
        shop.car(shop.owner("三天前"), purchase=date(2026, 11, 12))  # new-car call was due 11-19
        shop.car(shop.owner("七天前"), purchase=date(2026, 11, 8))  # due 11-15: 7 days ago, still in
        shop.car(shop.owner("八天前"), purchase=date(2026, 11, 7))  # due 11-14: missed for good
    assert kinds_by_customer(day_list(engine)) == {"三天前": ["new_car"], "七天前": ["new_car"]}


def test_birthday_on_29_february(engine):
    with write_session(engine) as s:
        shop = Shop(s)
        shop.car(shop.owner("闰日", birthday=date(1988, 2, 29)))
    assert kinds_by_customer(day_list(engine, date(2027, 2, 28))) == {"闰日": ["birthday"]}


def test_open_tasks_for_customer(engine):
    with write_session(engine) as s:
        shop = Shop(s)
        o = shop.owner("资料页", birthday=date(1980, 11, 22))
        shop.car(o, visits=[(date(2026, 11, 19), "repair")])
        cid = o.id
    day_list(engine)
    with read_session(engine) as s:
        tasks = open_tasks_for_customer(s, cid)
    assert [t.kind for t in tasks] == ["repair_callback", "birthday"]
    assert tasks[1].reason == "生日关怀：11-22 生日" and tasks[1].due_on == D
    assert tasks[0].plate == "粤B00001"


def run(*args):
    return runner.invoke(app, cli_args(args))


def test_cli_lists_then_closes(engine, db_url):
    with write_session(engine) as s:
        shop = Shop(s)
        shop.car(shop.owner("命令行", birthday=date(1980, 11, 22)), visits=[(date(2026, 11, 19), "repair")])
        shop.car(shop.owner("不用打"), insurance_expiry=date(2026, 12, 22))
    listed = run("care", "--date", "2026-11-22", "--format", "json", "--db", db_url)
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.output)
    contacts = {c["customer"]: c for c in data["contacts"]}
    assert contacts["命令行"]["kinds"] == ["repair_callback", "birthday"]
    assert contacts["命令行"]["phone"] == "138****1111"
    text = run("care", "--date", "2026-11-22", "--db", db_url)
    assert "命令行" in text.output and "修后3日回访" in text.output
    first = contacts["命令行"]["task_ids"][0]
    done = run("care", "done", str(first), "--db", db_url)
    assert done.exit_code == 0, done.output
    assert run("care", "dismiss", str(contacts["不用打"]["task_ids"][0]), "--db", db_url).exit_code == 0
    again = json.loads(run("care", "--date", "2026-11-22", "--format", "json", "--db", db_url).output)
    assert again["contacts"] == []
    bad = run("care", "done", "99999", "--db", db_url)
    assert bad.exit_code == 1 and "no care task 99999" in bad.output
    twice = run("care", "done", str(first), "--db", db_url)
    assert twice.exit_code == 1 and "already done" in twice.output


def test_a_reminder_whose_date_passed_before_the_data_arrived_still_reaches_the_list(engine):
    """A car imported on 12-04 whose insurance ends 12-20: its reminder date (11-20) had
    passed the 7-day catch-up window, yet the renewal call is on the list from 12-04
    while the expiry is ahead; once, not again after it is done. Likewise the
    annual inspection; an expiry already past makes nothing."""
    with write_session(engine) as s:
        shop = Shop(s, catch_up=7)
        shop.car(shop.owner("晚到续保"), insurance_expiry=date(2026, 12, 20), purchase=date(2023, 1, 1))
        shop.car(shop.owner("晚到年检"), inspection_due=date(2026, 12, 18), purchase=date(2023, 1, 1))
        shop.car(shop.owner("推算年检"), purchase=date(2020, 12, 12))  # 6 years: 2026-12-12
        shop.car(shop.owner("已过期"), insurance_expiry=date(2026, 12, 3), purchase=date(2023, 1, 1))
    first = day_list(engine, date(2026, 12, 4))
    assert kinds_by_customer(first) == {"晚到续保": ["insurance"], "晚到年检": ["inspection"],
                                        "推算年检": ["inspection"]}
    late = {c.customer_name: c for c in first.contacts}["晚到续保"]
    assert late.reasons_en[0] == "insurance renewal: insurance expires 2026-12-20"
    assert kinds_by_customer(day_list(engine, date(2026, 12, 7)))["晚到续保"] == ["insurance"]
    with write_session(engine) as s:
        task = s.exec(select(CareTask).where(CareTask.kind == "insurance")).one()
        close_task(s, task.id, "done", SYSTEM)
    assert "晚到续保" not in kinds_by_customer(day_list(engine, date(2026, 12, 10)))
