"""The SA's daily call list and working a call, at the borders of every rule:
due within 15 days, ordering, merging, the contact cap, no-answer retries, quiet
periods, bookings and arrivals, sold cars and do-not-contact. SQLite and Postgres."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlmodel import select

from store import clock
from store.access import SYSTEM, AccessDenied
from store.calls import (
    CallError,
    CapReached,
    appointments_for_customer,
    arrivals,
    call_list,
    log_call,
    parse_day,
    parse_when,
)
from store.db import read_session, write_session
from store.profile import customer_profile
from store.models import Adoption, Appointment, AuditLog, CallLog, CareTask, Customer, Pitch, Vehicle, Visit
from store.settings import set_setting
from tests.calls_helpers import TODAY, add_to_shop, adopt, maintained_on_for_due, make_shop

D = TODAY  # 2026-11-22


def M(due: date) -> tuple:
    """A maintenance visit that makes the next one due on ``due``."""
    return (maintained_on_for_due(due), "maintenance", 600, 200)


CARS = [
    dict(plate="粤A10001", owner="甲", visits=[M(D + timedelta(days=15))]),  # due on the 15th day: in
    dict(plate="粤A10002", owner="乙", visits=[M(D + timedelta(days=16))]),  # due on the 16th: at risk only
    dict(plate="粤A10003", owner="丙", visits=[M(D - timedelta(days=10))]),  # 10 days overdue
    dict(plate="粤A10004", owner="丁", visits=[M(D - timedelta(days=30))]),  # 30 days overdue
    dict(plate="粤A10005", owner="戊", visits=[M(D)]),  # due today
    dict(plate="粤A10006", owner="己", visits=[(date(2026, 10, 1), "maintenance", 600, 200)]),  # nothing due
]


@pytest.fixture
def shop(engine):
    shop = make_shop(engine, CARS)
    adopt(engine, shop, "0-9:王伟", as_of=date(2026, 10, 1))
    return shop


def names(lst) -> list[str]:
    return [r.name for r in lst.rows]


def the_list(engine, shop, day: date = D, who=None):
    with read_session(engine) as s:
        return call_list(s, staff_id=(who or shop.wang).staff_id, day=day, actor=SYSTEM)


def log(engine, actor, shop, plate, outcome, **kw):
    with write_session(engine) as s:
        return log_call(s, actor, customer_id=shop.customers[plate], vehicle_id=shop.cars[plate], outcome=outcome,
                        **kw)


def on_day(day: date):
    clock.set_today(day)


def test_who_is_on_the_list_and_in_what_order(engine, shop):
    lst = the_list(engine, shop)
    assert names(lst) == ["丁", "丙", "戊", "甲", "乙"]  # overdue by days, due soon by date, then at risk
    rows = {r.name: r for r in lst.rows}
    assert [r.code for r in rows["丁"].reasons] == ["overdue"]  # 6 months away: churned, not at risk
    assert "30 天" in rows["丁"].reasons[0].zh and "30 days overdue" in rows["丁"].reasons[0].en
    assert [r.code for r in rows["戊"].reasons] == ["due_soon", "at_risk"]
    assert "今天到期" in rows["戊"].reasons[0].zh
    assert [r.code for r in rows["甲"].reasons] == ["due_soon", "at_risk"] and "15 天后" in rows["甲"].reasons[0].zh
    assert [r.code for r in rows["乙"].reasons] == ["at_risk"]
    assert (lst.done, lst.total) == (0, 5)
    assert rows["甲"].phone == "138****5678"  # masked on the list


def test_due_within_is_a_store_setting(engine, shop):
    with write_session(engine) as s:
        set_setting(s, "call_due_within_days", 16, store_id=shop.store_id)
    rows = {r.name: r for r in the_list(engine, shop).rows}
    assert rows["乙"].reasons[0].code == "due_soon"


def test_a_customer_with_two_cars_is_one_row_with_every_reason(engine, shop):
    with write_session(engine) as s:
        add_to_shop(s, shop, plate="粤A20001", customer_id=shop.customers["粤A10001"],
                    visits=[M(D - timedelta(days=40))])
    adopt(engine, shop, "0-9:王伟")
    lst = the_list(engine, shop)
    rows = [r for r in lst.rows if r.name == "甲"]
    assert len(rows) == 1
    assert [(r.code, r.plate) for r in rows[0].reasons] == [
        ("overdue", "粤A20001"), ("due_soon", "粤A10001"), ("at_risk", "粤A10001")]
    assert rows[0].plates == ["粤A20001", "粤A10001"] and rows[0].vehicle_id == shop.cars["粤A20001"]
    assert names(lst)[0] == "甲"  # 40 days overdue now leads


def test_follow_ups_and_callbacks_come_first_until_stale(engine, shop):
    with write_session(engine) as s:
        for plate, due in (("粤A10006", D - timedelta(days=60)), ("粤A10002", D - timedelta(days=61))):
            s.add(Pitch(store_id=shop.store_id, customer_id=shop.customers[plate], vehicle_id=shop.cars[plate],
                        staff_id=shop.wang.staff_id, staff_name="王伟", outcome="considering", follow_up_on=due,
                        pitched_at=datetime.combine(due - timedelta(days=7), time(10))))
    lst = the_list(engine, shop)
    assert names(lst)[0] == "己" and lst.rows[0].reasons[0].code == "follow_up"
    assert [r.code for r in {r.name: r for r in lst.rows}["乙"].reasons] == ["at_risk"]  # 61 days: stale
    # A call on or after the follow-up date answers it.
    log(engine, shop.wang, shop, "粤A10006", "reached", callback_on=D + timedelta(days=5))
    assert "己" not in names(the_list(engine, shop, D + timedelta(days=4)))
    on_day(D + timedelta(days=5))
    lst = the_list(engine, shop, D + timedelta(days=5))
    row = lst.rows[0]
    assert row.name == "己" and [r.code for r in row.reasons] == ["callback"]


def test_care_tasks_of_my_customers_merge_into_their_row_and_close_with_the_call(engine, shop):
    with write_session(engine) as s:
        s.add(CareTask(store_id=shop.store_id, customer_id=shop.customers["粤A10003"],
                       vehicle_id=shop.cars["粤A10003"], key="birthday:x", kind="birthday",
                       reason="生日关怀：11-22 生日 | birthday: 11-22", due_on=D, owner_staff_id=None))
        # Owned by 王伟, the customer adopted by nobody: his too.
        gid = add_to_shop(s, shop, plate="粤B55555", owner="庚", visits=[(date(2026, 11, 10), "repair", 100, 0)])
        s.add(CareTask(store_id=shop.store_id, customer_id=shop.customers["粤B55555"], vehicle_id=gid,
                       key="repair_callback:x", kind="repair_callback", reason="修后3日回访 | after-service callback",
                       due_on=D - timedelta(days=2), owner_staff_id=shop.wang.staff_id))
        # Owned by 李娜: not on 王伟's list.
        s.add(CareTask(store_id=shop.store_id, customer_id=shop.customers["粤B55555"], vehicle_id=gid,
                       key="other:x", kind="insurance", reason="续保提醒 | insurance", due_on=D,
                       owner_staff_id=shop.li.staff_id))
    lst = the_list(engine, shop)
    rows = {r.name: r for r in lst.rows}
    assert [r.code for r in rows["丙"].reasons] == ["overdue", "care"]
    assert names(lst)[-1] == "庚" and [r.code for r in rows["庚"].reasons] == ["care"]
    assert len(rows["庚"].task_ids) == 1
    with write_session(engine) as s:
        result = log_call(s, shop.wang, customer_id=rows["丙"].customer_id, outcome="reached",
                          task_ids=rows["丙"].task_ids)
    assert len(result.closed_tasks) == 1
    with read_session(engine) as s:
        assert s.exec(select(CareTask).where(CareTask.key == "birthday:x")).one().status == "done"


def test_the_contact_cap_counts_every_call_by_everyone_at_its_border(engine, shop):
    cid = shop.customers["粤A10003"]
    with write_session(engine) as s:
        # Two contacts by another SA (a care call and a no-answer): 29 days ago counts, 30 days ago does not.
        s.add(CallLog(store_id=shop.store_id, customer_id=cid, staff_id=shop.li.staff_id, outcome="no_answer",
                      at=datetime.combine(D - timedelta(days=30), time(10))))
        s.add(CallLog(store_id=shop.store_id, customer_id=cid, staff_id=shop.li.staff_id, outcome="reached",
                      at=datetime.combine(D - timedelta(days=29), time(10))))
        s.add(CallLog(store_id=shop.store_id, customer_id=cid, staff_id=shop.li.staff_id, outcome="no_answer",
                      at=datetime.combine(D - timedelta(days=40), time(10))))
        set_setting(s, "call_quiet_days", {}, store_id=shop.store_id)  # only the cap speaks here
    lst = the_list(engine, shop)
    assert "丙" in names(lst)  # one contact in the period
    with write_session(engine) as s:
        s.add(CallLog(store_id=shop.store_id, customer_id=cid, staff_id=None, outcome="wrong_number",
                      at=datetime.combine(D - timedelta(days=1), time(10))))
    lst = the_list(engine, shop)
    assert "丙" not in names(lst) and [r.name for r in lst.held_back] == ["丙"]
    with pytest.raises(CapReached, match="2 times"):
        log(engine, shop.wang, shop, "粤A10003", "reached")
    # A day later the call of 29 days ago is 30 days old: the cap allows one more.
    on_day(D + timedelta(days=1))
    assert "丙" in names(the_list(engine, shop, D + timedelta(days=1)))
    log(engine, shop.wang, shop, "粤A10003", "reached")


def test_no_answer_retries_tomorrow_up_to_three_times_then_rests(engine, shop):
    with write_session(engine) as s:
        set_setting(s, "contact_cap_per_period", 5, store_id=shop.store_id)
    r1 = log(engine, shop.wang, shop, "粤A10003", "no_answer")
    assert (r1.attempt, r1.callback_on) == (1, D + timedelta(days=1))
    lst = the_list(engine, shop)
    row = {r.name: r for r in lst.rows}["丙"]
    assert row.done and row.outcome == "no_answer" and lst.done == 1  # done for today
    assert names(lst)[-1] == "丙"  # worked rows go below the rest
    on_day(D + timedelta(days=1))
    row = {r.name: r for r in the_list(engine, shop, D + timedelta(days=1)).rows}["丙"]
    assert (row.attempt, row.done) == (2, False)
    assert log(engine, shop.wang, shop, "粤A10003", "no_answer").attempt == 2
    on_day(D + timedelta(days=2))
    assert {r.name: r for r in the_list(engine, shop, D + timedelta(days=2)).rows}["丙"].attempt == 3
    r3 = log(engine, shop.wang, shop, "粤A10003", "no_answer")
    assert (r3.attempt, r3.callback_on) == (3, None)  # the last try
    for later in (3, 31):
        assert "丙" not in names(the_list(engine, shop, D + timedelta(days=later)))
    row = {r.name: r for r in the_list(engine, shop, D + timedelta(days=32)).rows}["丙"]  # 30 quiet days later
    assert row.attempt == 1


def test_the_tries_of_one_unanswered_call_are_one_contact_for_the_cap(engine, shop):
    """Three days, three tries, under the default cap of 2 contacts in 30 days: the
    retries of one unanswered attempt count with its first try as one contact."""
    log(engine, shop.wang, shop, "粤A10003", "no_answer")
    on_day(D + timedelta(days=1))
    assert [(r.name, r.attempt) for r in the_list(engine, shop, D + timedelta(days=1)).rows
            if r.name == "丙"] == [("丙", 2)]
    log(engine, shop.wang, shop, "粤A10003", "no_answer")
    on_day(D + timedelta(days=2))
    lst = the_list(engine, shop, D + timedelta(days=2))
    assert [(r.name, r.attempt) for r in lst.rows if r.name == "丙"] == [("丙", 3)] and lst.held_back == []
    third = log(engine, shop.wang, shop, "粤A10003", "no_answer")
    assert (third.attempt, third.callback_on) == (3, None)  # the tries are used up: quiet now
    on_day(D + timedelta(days=3))
    assert "丙" not in names(the_list(engine, shop, D + timedelta(days=3)))
    # The attempt is one contact: one more call still fits under the cap of 2.
    log(engine, shop.wang, shop, "粤A10003", "reached")
    with pytest.raises(CapReached):
        log(engine, shop.wang, shop, "粤A10003", "reached")


def test_retry_count_is_a_setting(engine, shop):
    with write_session(engine) as s:
        set_setting(s, "call_no_answer_max_tries", 1, store_id=shop.store_id)
    r = log(engine, shop.wang, shop, "粤A10003", "no_answer")
    assert r.callback_on is None
    assert "丙" not in names(the_list(engine, shop, D + timedelta(days=1)))


def test_a_booking_is_an_appointment_in_arrivals_and_the_profile_and_keeps_the_list_quiet(engine, shop):
    at = datetime(2026, 11, 25, 9, 30)
    r = log(engine, shop.wang, shop, "粤A10001", "booked", appointment_at=at, note="换机油")
    assert r.appointment_at == at
    with read_session(engine) as s:
        appt = s.exec(select(Appointment)).one()
        assert (appt.at, appt.status, appt.staff_id, appt.call_id, appt.vehicle_id) == (
            at, "booked", shop.wang.staff_id, r.call_id, shop.cars["粤A10001"])
        day = arrivals(s, store_id=shop.store_id, day=date(2026, 11, 25), actor=SYSTEM)
        assert [(a.plate, a.customer, a.staff, a.arrived, a.note) for a in day] == [
            ("粤A10001", "甲", "王伟", False, "换机油")]
        assert arrivals(s, store_id=shop.store_id, day=date(2026, 11, 24), actor=SYSTEM) == []
        mine = appointments_for_customer(s, shop.customers["粤A10001"])
        assert [(a.at, a.status) for a in mine] == [(at, "booked")]
    with read_session(engine) as s:  # the profile shows it with what is due
        tasks = customer_profile(s, shop.cars["粤A10001"], as_of=D).tasks
    assert [(x.kind, x.due_on, x.text) for x in tasks if x.kind == "appointment"] == [
        ("appointment", date(2026, 11, 25), "预约到店 09:30（王伟）")]
    row = {r.name: r for r in the_list(engine, shop).rows}["甲"]
    assert row.done and row.outcome == "booked" and row.appointment_at == at
    for later in (1, 3):  # pending appointment: nobody calls
        assert "甲" not in names(the_list(engine, shop, D + timedelta(days=later)))
    assert "甲" in names(the_list(engine, shop, D + timedelta(days=4)))  # missed it: back on the list
    with write_session(engine) as s:
        s.add(Visit(store_id=shop.store_id, vehicle_id=shop.cars["粤A10001"], ro_number="ROBOOK",
                    date_in=date(2026, 11, 25), repair_type="maintenance", total_fen=80000, oil_fen=30000))
    assert "甲" not in names(the_list(engine, shop, D + timedelta(days=4)))  # maintained: nothing due
    with read_session(engine) as s:
        assert arrivals(s, store_id=shop.store_id, day=date(2026, 11, 25), actor=SYSTEM)[0].arrived


def test_rebooking_replaces_the_pending_appointment_and_past_times_are_refused(engine, shop):
    with write_session(engine) as s:
        set_setting(s, "contact_cap_per_period", 5, store_id=shop.store_id)
    log(engine, shop.wang, shop, "粤A10001", "booked", appointment_at=datetime(2026, 11, 25, 9, 30))
    log(engine, shop.wang, shop, "粤A10001", "booked", appointment_at=datetime(2026, 11, 26, 14, 0))
    with read_session(engine) as s:
        rows = s.exec(select(Appointment).order_by(Appointment.id)).all()
        assert [(a.at.day, a.status) for a in rows] == [(25, "cancelled"), (26, "booked")]
    with pytest.raises(CallError, match="past"):
        log(engine, shop.wang, shop, "粤A10003", "booked", appointment_at=datetime(2026, 11, 21, 9, 0))
    with pytest.raises(CallError, match="date and time"):
        log(engine, shop.wang, shop, "粤A10003", "booked")


def test_refused_needs_a_reason_and_rests_ninety_days(engine, shop):
    with pytest.raises(CallError, match="say why"):
        log(engine, shop.wang, shop, "粤A10003", "refused")
    log(engine, shop.wang, shop, "粤A10003", "refused", reason="价格")
    assert "丙" not in names(the_list(engine, shop, D + timedelta(days=89)))
    assert "丙" in names(the_list(engine, shop, D + timedelta(days=90)))


def test_sold_marks_the_car_ends_its_adoption_and_leaves_the_owners_other_car(engine, shop):
    with write_session(engine) as s:
        add_to_shop(s, shop, plate="粤A20004", customer_id=shop.customers["粤A10004"],
                    visits=[M(D - timedelta(days=3))])
    adopt(engine, shop, "0-9:王伟")
    log(engine, shop.wang, shop, "粤A10004", "booked", appointment_at=datetime(2026, 11, 30, 9, 0))
    on_day(D + timedelta(days=1))
    with write_session(engine) as s:
        set_setting(s, "contact_cap_per_period", 5, store_id=shop.store_id)
    r = log(engine, shop.wang, shop, "粤A10004", "sold")
    assert r.adoption_ended
    with read_session(engine) as s:
        car = s.get(Vehicle, shop.cars["粤A10004"])
        assert car.sold_on == D + timedelta(days=1)
        ad = s.exec(select(Adoption).where(Adoption.vehicle_id == car.id).order_by(Adoption.id)).all()
        assert ad[-1].ended_on == D + timedelta(days=1)
        assert s.exec(select(Appointment)).one().status == "cancelled"
        assert {a.action for a in s.exec(select(AuditLog)).all()} >= {"vehicle.sold", "adoption.end"}
    row = {r.name: r for r in the_list(engine, shop, D + timedelta(days=31)).rows}["丁"]
    assert row.plates == ["粤A20004"]  # the car they still have


def test_do_not_contact_holds_everywhere(engine, shop):
    with pytest.raises(CallError, match="say why"):
        log(engine, shop.wang, shop, "粤A10003", "do_not_contact")
    log(engine, shop.wang, shop, "粤A10003", "do_not_contact", reason="客户要求勿扰")
    with read_session(engine) as s:
        c = s.get(Customer, shop.customers["粤A10003"])
        assert c.do_not_contact and c.do_not_contact_reason == "客户要求勿扰"
    for later in (0, 1, 200):
        lst = the_list(engine, shop, D + timedelta(days=later))
        assert "丙" not in names(lst) + [r.name for r in lst.held_back]
    with pytest.raises(CallError, match="not to be contacted"):
        log(engine, shop.li, shop, "粤A10003", "reached")
    # A pitch follow-up or a care task does not bring them back either.
    with write_session(engine) as s:
        s.add(Pitch(store_id=shop.store_id, customer_id=shop.customers["粤A10003"], staff_id=shop.wang.staff_id,
                    outcome="considering", follow_up_on=D, pitched_at=datetime(2026, 11, 15, 10)))
        s.add(CareTask(store_id=shop.store_id, customer_id=shop.customers["粤A10003"], key="b:dnc", kind="birthday",
                       reason="生日", due_on=D, owner_staff_id=shop.wang.staff_id))
    assert "丙" not in names(the_list(engine, shop, D + timedelta(days=1)))


def test_a_call_by_someone_else_today_marks_the_row_done(engine, shop):
    log(engine, shop.li, shop, "粤A10003", "reached")
    row = {r.name: r for r in the_list(engine, shop).rows}["丙"]
    assert (row.done, row.outcome, row.outcome_by) == (True, "reached", "李娜")


def test_an_sa_sees_only_their_own_list(engine, shop):
    from store.call_desk import CallDesk

    with pytest.raises(AccessDenied):
        CallDesk(engine, shop.li, shop.store_id).day_list(shop.wang.staff_id, D, refresh_care=False)
    assert CallDesk(engine, shop.manager, shop.store_id).day_list(shop.wang.staff_id, D, refresh_care=False).total == 5
    with pytest.raises(AccessDenied):
        log(engine, shop.li, shop, "粤A10003", "reached", staff_id=shop.wang.staff_id)


def test_parse_when_and_day():
    assert parse_when("2026-11-25 09:30", today=D) == datetime(2026, 11, 25, 9, 30)
    assert parse_when("11-25 9:30", today=D) == datetime(2026, 11, 25, 9, 30)
    assert parse_when("11-25", today=D) == datetime(2026, 11, 25, 9, 0)
    assert parse_when("+3 14：00", today=D) == datetime(2026, 11, 25, 14, 0)
    assert parse_when("明天 10:00", today=D) == datetime(2026, 11, 23, 10, 0)
    assert parse_when("01-05", today=D) == datetime(2027, 1, 5, 9, 0)
    assert parse_day("tomorrow", today=D) == date(2026, 11, 23)
    # A month-day that has passed means next year's only when that is near: "11-25" on
    # 12-04 is refused (next year's would be 51 weeks away), "01-05" is next January.
    assert parse_day("01-05", today=date(2026, 12, 4)) == date(2027, 1, 5)
    with pytest.raises(CallError, match="has passed"):
        parse_when("11-25 09:30", today=date(2026, 12, 4))
    assert parse_when("2027-11-25 09:30", today=date(2026, 12, 4)) == datetime(2027, 11, 25, 9, 30)
    for bad in ("", "11-32", "25:99", "next week", "11-25 9:30 extra"):
        with pytest.raises(CallError):
            parse_when(bad, today=D)


# --- the day's list is exact: as the day began, every logged call counted -------------------


def _pitch(engine, shop, plate, *, due: date, outcome: str = "not_now"):
    with write_session(engine) as s:
        s.add(Pitch(store_id=shop.store_id, customer_id=shop.customers[plate], vehicle_id=shop.cars[plate],
                    staff_id=shop.wang.staff_id, staff_name="王伟", outcome=outcome, follow_up_on=due,
                    pitched_at=datetime.combine(due - timedelta(days=30), time(10))))


def _care_task(engine, shop, plate, *, kind: str, due: date, reason: str = "回访 | callback"):
    with write_session(engine) as s:
        s.add(CareTask(store_id=shop.store_id, customer_id=shop.customers[plate], vehicle_id=shop.cars[plate],
                       key=f"{kind}:{plate}:{due}", kind=kind, reason=reason, due_on=due,
                       owner_staff_id=shop.wang.staff_id))


def test_a_call_on_a_follow_up_row_answers_it_everywhere_and_the_row_stays_counted(engine, shop):
    from store.pitches import follow_ups

    _pitch(engine, shop, "粤A10006", due=D - timedelta(days=3))  # 己: nothing else due, only the follow-up
    before = the_list(engine, shop)
    assert "己" in names(before)
    total = len(before.rows)
    log(engine, shop.wang, shop, "粤A10006", "no_answer")
    after = the_list(engine, shop)
    assert len(after.rows) == total and [r.done for r in after.rows if r.name == "己"] == [True]
    assert after.done == 1
    with read_session(engine) as s:  # F2, my follow-ups: answered by the call, gone
        due = follow_ups(s, as_of=D, actor=SYSTEM, staff_id=shop.wang.staff_id,
                         answered_before=datetime.combine(D + timedelta(days=1), time.min))
    assert [f.customer_name for f in due] == []


def test_a_care_only_customer_called_today_stays_on_the_list_as_done(engine, shop):
    _care_task(engine, shop, "粤A10006", kind="birthday", due=D)  # 己: a birthday call only
    total = len(the_list(engine, shop).rows)
    for plate in ("粤A10006", "粤A10004", "粤A10003"):  # reached, booked, refused: three calls
        extra = {"appointment_at": datetime(2026, 11, 24, 9, 0)} if plate == "粤A10004" else {}
        outcome = {"粤A10006": "reached", "粤A10004": "booked", "粤A10003": "refused"}[plate]
        if outcome == "refused":
            extra["reason"] = "价格"
        log(engine, shop.wang, shop, plate, outcome, **extra)
    lst = the_list(engine, shop)
    assert (lst.done, len(lst.rows)) == (3, total)  # the total never shrinks as calls are logged


def test_overdue_days_are_counted_the_same_on_the_list_as_in_the_profile(engine, shop):
    from store.care import task_words
    from store.maintenance import days_overdue

    with read_session(engine) as s:
        profile = customer_profile(s, shop.cars["粤A10004"], as_of=D + timedelta(days=7))
    task = CareTask(store_id=shop.store_id, customer_id=1, key="overdue30:v:4:2026-10-23", kind="overdue",
                    reason="保养逾期：保养应于 2026-10-23 到期，已逾期 30 天 | x", due_on=date(2026, 11, 22))
    zh, en = task_words(task, D + timedelta(days=7))
    assert days_overdue(date(2026, 10, 23), D + timedelta(days=7)) == 37
    assert "已逾期 37 天" in zh and "37 days overdue" in en
    assert [m.text for m in profile.maintenance if "逾期" in (m.text or "")] and \
        all("已逾期 37 天" in m.text for m in profile.maintenance if "逾期" in (m.text or ""))


def test_an_after_service_callback_leaves_the_list_after_its_last_useful_day(engine, shop):
    _care_task(engine, shop, "粤A10006", kind="repair_callback", due=D)
    assert "己" in names(the_list(engine, shop, D + timedelta(days=2)))
    assert "己" not in names(the_list(engine, shop, D + timedelta(days=3)))
