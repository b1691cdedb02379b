"""Recording pitches, their follow-ups and the pitch list, on both backends."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlmodel import select

from store.access import SYSTEM, Actor
from store.db import read_session, write_session
from store.models import Membership, Pitch, Staff
from store.pitches import (
    PitchError,
    PitchRules,
    default_pitcher,
    follow_ups,
    pitch_history,
    pitch_warning,
    pitches_between,
    record_pitch,
)
from store.settings import set_setting
from tests.factories import add_car, add_store

TODAY = date(2026, 11, 22)


@pytest.fixture
def shop(engine):
    with write_session(engine) as s:
        store = add_store(s)
        wang = Staff(store_id=store.id, code="SA01", name="王伟", role="sa")
        li = Staff(store_id=store.id, code="SA02", name="李娜", role="sa")
        s.add_all([Staff(store_id=store.id, code="M01", name="周建国", role="manager"), wang, li])
        s.flush()
        a = add_car(s, store, plate="粤A12345", owner="张伟", phone="13812345678")
        b = add_car(s, store, plate="粤B22222", owner="刘洋", phone="13700002222")
        c = add_car(s, store, plate="粤C33333", owner="陈静", phone="13600003333")
        ids = dict(store=store.id, wang=wang.id, li=li.id, a=a.id, a_cust=a.customer_id, b=b.id,
                   b_cust=b.customer_id, c=c.id, c_cust=c.customer_id)
    wang_actor = Actor(staff_id=ids["wang"], name="王伟", role="sa", store_id=ids["store"])
    li_actor = Actor(staff_id=ids["li"], name="李娜", role="sa", store_id=ids["store"])
    return engine, ids, wang_actor, li_actor


def test_a_considering_pitch_is_stored_with_who_when_where_and_a_default_follow_up(shop):
    engine, ids, wang, _ = shop
    with write_session(engine) as s:
        line = record_pitch(s, actor=wang, customer_id=ids["a_cust"], vehicle_id=ids["a"], outcome="considering",
                            reason="和家人商量", note="下周来保养时再聊")
    assert line.follow_up_on == TODAY + timedelta(days=7)
    with read_session(engine) as s:
        row = s.exec(select(Pitch)).one()
    assert (row.staff_id, row.staff_name, row.channel, row.store_id) == (ids["wang"], "王伟", "counter", ids["store"])
    assert row.pitched_at.date() == TODAY
    assert (row.outcome, row.reason, row.note) == ("considering", "和家人商量", "下周来保养时再聊")


def test_follow_up_days_come_from_the_store_setting(shop):
    engine, ids, wang, _ = shop
    with write_session(engine) as s:
        set_setting(s, "pitch_follow_up_days", {"considering": 3, "not_now": 14, "declined": 60}, store_id=ids["store"])
    with write_session(engine) as s:
        not_now = record_pitch(s, actor=wang, customer_id=ids["b_cust"], outcome="not_now")
        joined = record_pitch(s, actor=wang, customer_id=ids["c_cust"], outcome="joined", follow_up_on=TODAY)
    assert not_now.follow_up_on == TODAY + timedelta(days=14)
    assert joined.follow_up_on is None


@pytest.mark.parametrize("kwargs,message", [
    ({"outcome": "maybe"}, "unknown outcome"),
    ({"outcome": "declined", "channel": "wechat"}, "unknown channel"),
    ({"outcome": "considering", "follow_up_on": TODAY - timedelta(days=1)}, "in the past"),
])
def test_refused_pitches_leave_no_row(shop, kwargs, message):
    engine, ids, wang, _ = shop
    with pytest.raises(PitchError, match=message):
        with write_session(engine) as s:
            record_pitch(s, actor=wang, customer_id=ids["a_cust"], **kwargs)
    with read_session(engine) as s:
        assert s.exec(select(Pitch)).all() == []


def test_an_active_member_is_not_pitched(shop):
    engine, ids, wang, _ = shop
    with write_session(engine) as s:
        s.add(Membership(store_id=ids["store"], customer_id=ids["a_cust"], number="VIP001", started_on=TODAY))
    with pytest.raises(PitchError, match="already a member"):
        with write_session(engine) as s:
            record_pitch(s, actor=wang, customer_id=ids["a_cust"], outcome="considering")


def test_a_vehicle_of_another_customer_is_refused(shop):
    engine, ids, wang, _ = shop
    with pytest.raises(PitchError, match="does not belong"):
        with write_session(engine) as s:
            record_pitch(s, actor=wang, customer_id=ids["a_cust"], vehicle_id=ids["b"], outcome="declined")


def test_warning_for_recent_and_for_declined_within_the_quiet_period(shop):
    engine, ids, wang, _ = shop
    rules = PitchRules(recent_days=30, declined_quiet_days=90, follow_up_days={})
    with write_session(engine) as s:
        record_pitch(s, actor=wang, customer_id=ids["a_cust"], outcome="declined")
    with read_session(engine) as s:
        last = pitch_history(s, ids["a_cust"])[0]
    assert pitch_warning(last, as_of=TODAY, rules=rules).kind == "declined_quiet"
    later = TODAY + timedelta(days=60)
    warning = pitch_warning(last, as_of=later, rules=rules)
    assert warning.kind == "declined_quiet" and warning.quiet_until == TODAY + timedelta(days=90)
    assert pitch_warning(last, as_of=TODAY + timedelta(days=90), rules=rules) is None


def test_follow_ups_are_the_pitchers_own_latest_pitches_due(shop):
    engine, ids, wang, li = shop
    with write_session(engine) as s:
        # 张伟: considering with 王伟, follow-up came due three days ago.
        s.add(Pitch(store_id=ids["store"], customer_id=ids["a_cust"], vehicle_id=ids["a"], staff_id=ids["wang"],
                    staff_name="王伟", outcome="considering", follow_up_on=TODAY - timedelta(days=3),
                    pitched_at=datetime(2026, 11, 12, 10)))
        # 刘洋: not now with 王伟, then 李娜 pitched again and he declined: the old follow-up is superseded.
        s.add(Pitch(store_id=ids["store"], customer_id=ids["b_cust"], vehicle_id=ids["b"], staff_id=ids["wang"],
                    staff_name="王伟", outcome="not_now", follow_up_on=TODAY, pitched_at=datetime(2026, 10, 23, 9)))
        s.add(Pitch(store_id=ids["store"], customer_id=ids["b_cust"], vehicle_id=ids["b"], staff_id=ids["li"],
                    staff_name="李娜", outcome="declined", follow_up_on=None, pitched_at=datetime(2026, 11, 1, 9)))
        # 陈静: considering with 王伟 but joined the club since (at another counter).
        s.add(Pitch(store_id=ids["store"], customer_id=ids["c_cust"], vehicle_id=ids["c"], staff_id=ids["wang"],
                    staff_name="王伟", outcome="considering", follow_up_on=TODAY - timedelta(days=1),
                    pitched_at=datetime(2026, 11, 14, 9)))
        s.add(Membership(store_id=ids["store"], customer_id=ids["c_cust"], started_on=TODAY))
    with read_session(engine) as s:
        mine = follow_ups(s, as_of=TODAY, staff_id=ids["wang"], actor=SYSTEM)
        lis = follow_ups(s, as_of=TODAY, staff_id=ids["li"], actor=SYSTEM)
        everyone = follow_ups(s, as_of=TODAY, actor=SYSTEM)
    assert [(f.plate, f.customer_name, f.overdue_days, f.phone) for f in mine] == [
        ("粤A12345", "张伟", 3, "138****5678")]
    assert lis == []
    assert [f.plate for f in everyone] == ["粤A12345"]


def test_follow_ups_most_recently_due_first(shop):
    engine, ids, *_ = shop
    with write_session(engine) as s:
        for cust, car, days in [("a_cust", "a", 30), ("b_cust", "b", 3), ("c_cust", "c", 400)]:
            s.add(Pitch(store_id=ids["store"], customer_id=ids[cust], vehicle_id=ids[car], staff_id=ids["wang"],
                        outcome="considering", follow_up_on=TODAY - timedelta(days=days),
                        pitched_at=datetime.combine(TODAY - timedelta(days=days + 7), datetime.min.time())))
    with read_session(engine) as s:
        assert [f.overdue_days for f in follow_ups(s, as_of=TODAY, staff_id=ids["wang"], actor=SYSTEM)] == [3, 30, 400]
        assert len(follow_ups(s, as_of=TODAY, staff_id=ids["wang"], limit=2, actor=SYSTEM)) == 2


def test_pitches_between_two_days_inclusive(shop):
    engine, ids, wang, li = shop
    with write_session(engine) as s:
        for day, cust, staff in [(date(2026, 11, 1), "a_cust", "wang"), (date(2026, 11, 20), "b_cust", "li"),
                                 (date(2026, 11, 21), "c_cust", "wang")]:
            s.add(Pitch(store_id=ids["store"], customer_id=ids[cust], staff_id=ids[staff], outcome="declined",
                        pitched_at=datetime.combine(day, datetime.max.time().replace(microsecond=0))))
    with read_session(engine) as s:
        lines = pitches_between(s, date_from=date(2026, 11, 1), date_to=date(2026, 11, 20), actor=SYSTEM)
        assert [x.customer_name for x in lines] == ["张伟", "刘洋"]
        assert [x.customer_name for x in pitches_between(s, date_from=date(2026, 11, 1), date_to=date(2026, 11, 30),
                                                         staff_id=ids["wang"], actor=SYSTEM)] == ["张伟", "陈静"]
        with pytest.raises(PitchError):
            pitches_between(s, date_from=date(2026, 11, 2), date_to=date(2026, 11, 1), actor=SYSTEM)


def test_the_default_pitcher_is_the_first_service_advisor(shop):
    engine, ids, *_ = shop
    with read_session(engine) as s:
        actor = default_pitcher(s, store_id=ids["store"])
    assert (actor.staff_id, actor.name, actor.role) == (ids["wang"], "王伟", "sa")
