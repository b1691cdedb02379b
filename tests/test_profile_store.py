"""The profile's data and its "one thing to do now" rule."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlmodel import select

from store.db import read_session, write_session
from store.models import Complaint, Membership, Pitch, PointsAccount, Staff
from store.pitches import PitchLine, PitchRules
from store.profile import ActionRules, ComplaintLine, Facts, customer_profile, months_between, next_actions
from tests.factories import add_car, add_store

TODAY = date(2026, 11, 22)
RULES = ActionRules(pitch=PitchRules(recent_days=30, declined_quiet_days=90,
                                     follow_up_days={"considering": 7, "not_now": 30, "declined": 90}))


def _pitch(outcome: str, on: date, follow_up_on: date | None = None) -> PitchLine:
    return PitchLine(id=1, customer_id=1, vehicle_id=1, store_id=1, staff_id=1, staff_name="王伟", channel="counter",
                     outcome=outcome, reason=None, note=None, follow_up_on=follow_up_on,
                     pitched_at=datetime.combine(on, datetime.min.time()))


def codes(facts: Facts) -> list[str]:
    return [a.code for a in next_actions(facts, as_of=TODAY, rules=RULES)]


def test_not_a_member_never_pitched_is_pitched():
    assert codes(Facts()) == ["pitch"]


def test_considering_gets_a_follow_up_with_the_date_it_began():
    actions = next_actions(Facts(last_pitch=_pitch("considering", date(2026, 10, 3))), as_of=TODAY, rules=RULES)
    assert actions[0].code == "follow_up"
    assert actions[0].params["since"] == date(2026, 10, 3)


def test_declined_is_left_alone_for_the_quiet_period_then_pitched_again():
    assert codes(Facts(last_pitch=_pitch("declined", TODAY - timedelta(days=89)))) == ["none"]
    assert codes(Facts(last_pitch=_pitch("declined", TODAY - timedelta(days=90)))) == ["pitch_again"]


def test_recently_pitched_not_now_is_not_nudged_until_its_follow_up_date():
    assert codes(Facts(last_pitch=_pitch("not_now", TODAY - timedelta(days=10), TODAY + timedelta(days=20)))) == ["none"]
    assert codes(Facts(last_pitch=_pitch("not_now", TODAY - timedelta(days=40), TODAY - timedelta(days=10)))) == [
        "ask_again"]


def test_a_quiet_setting_of_zero_lets_the_declined_be_pitched_after_the_recent_window():
    rules = ActionRules(pitch=PitchRules(recent_days=30, declined_quiet_days=0, follow_up_days={}))
    facts = Facts(last_pitch=_pitch("declined", TODAY - timedelta(days=31)))
    assert [a.code for a in next_actions(facts, as_of=TODAY, rules=rules)] == ["pitch_again"]


def test_at_risk_says_how_long_since_the_last_visit():
    facts = Facts(is_member=True, membership_status="active", class_code="at_risk", last_return=date(2026, 7, 10))
    actions = next_actions(facts, as_of=TODAY, rules=RULES)
    assert actions[0].code == "at_risk"
    assert actions[0].params["months"] == 4


def test_birthday_within_the_week_including_the_new_year():
    facts = Facts(is_member=True, membership_status="active", birthday=date(1980, 11, 25))
    assert codes(facts) == ["birthday"]
    assert codes(Facts(is_member=True, membership_status="active", birthday=date(1980, 11, 29))) == ["none"]
    late = next_actions(Facts(is_member=True, membership_status="active", birthday=date(1980, 1, 2)),
                        as_of=date(2026, 12, 30), rules=RULES)
    assert late[0].code == "birthday" and late[0].params["on"] == date(2027, 1, 2)


def test_an_open_complaint_comes_first_and_no_pitch_while_it_is_open():
    facts = Facts(open_complaints=[ComplaintLine(date(2026, 10, 20), "漆面划伤", "new")], birthday=date(1990, 11, 23))
    assert codes(facts) == ["complaint", "birthday"]
    assert codes(Facts(birthday=date(1990, 11, 23))) == ["pitch", "birthday"]


def test_membership_ending_soon_or_lapsed_within_grace_is_renewed():
    soon = Facts(is_member=True, membership_status="active", membership_expires_on=TODAY + timedelta(days=20))
    assert codes(soon) == ["renew"]
    lapsed = Facts(membership_status="lapsed", membership_expires_on=TODAY - timedelta(days=40))
    assert codes(lapsed) == ["renew"]
    long_gone = Facts(membership_status="lapsed", membership_expires_on=TODAY - timedelta(days=200))
    assert codes(long_gone) == ["pitch"]


def test_joined_without_a_membership_asks_to_finish_the_sign_up():
    assert codes(Facts(last_pitch=_pitch("joined", TODAY))) == ["finish_join"]


def test_months_between_counts_whole_calendar_months():
    assert months_between(date(2026, 7, 22), TODAY) == 4
    assert months_between(date(2026, 7, 23), TODAY) == 3
    assert months_between(TODAY, date(2026, 1, 1)) == 0


@pytest.fixture
def counter_store(engine):
    with write_session(engine) as s:
        store = add_store(s)
        sa = Staff(store_id=store.id, code="SA01", name="王伟", role="sa")
        s.add(sa)
        s.flush()
        car = add_car(s, store, plate="粤A12345", owner="张伟", phone="13812345678",
                      visits=[("RO1", date(2026, 9, 1), 800), ("RO2", date(2026, 3, 1), 600)])
        second = add_car(s, store, plate="粤B55555", owner="张伟", phone="13812345678")
        second.customer_id = car.customer_id
        s.add(second)
        s.add(Membership(store_id=store.id, customer_id=car.customer_id, scheme="annual", tier_code="gold",
                         started_on=date(2025, 12, 1), expires_on=date(2026, 12, 1), stored_value_fen=0))
        s.add(PointsAccount(customer_id=car.customer_id, balance=320))
        s.add(Complaint(store_id=store.id, customer_id=car.customer_id, opened_on=date(2026, 11, 1),
                        summary="洗车不干净"))
        s.add(Complaint(store_id=store.id, customer_id=car.customer_id, opened_on=date(2026, 1, 1),
                        summary="已解决", status="closed", closed_on=date(2026, 1, 5)))
        plain = add_car(s, store, plate="粤C88888", owner="李娜", phone="13900001234")
        s.add(Pitch(store_id=store.id, customer_id=plain.customer_id, vehicle_id=plain.id, staff_id=sa.id,
                    staff_name="王伟", outcome="considering", follow_up_on=date(2026, 10, 10),
                    pitched_at=datetime(2026, 10, 3, 10, 30)))
        ids = {"member": car.id, "plain": plain.id}
    return engine, ids


def test_profile_of_a_member_with_a_complaint(counter_store):
    engine, ids = counter_store
    with read_session(engine) as s:
        p = customer_profile(s, ids["member"], as_of=TODAY)
    assert p.owner.name == "张伟"
    assert p.owner.phone == "138****5678"
    assert p.vehicle.plate == "粤A12345"
    assert p.vehicle.other_plates == ["粤B55555"]
    assert [v.ro_number for v in p.visits] == ["RO1", "RO2"]
    assert p.membership.tier_code == "gold" and p.is_member
    assert p.points.balance == 320
    assert [c.summary for c in p.complaints] == ["洗车不干净"]
    assert [a.code for a in p.actions][:2] == ["complaint", "renew"]


def test_profile_of_a_considering_customer_says_follow_up(counter_store):
    engine, ids = counter_store
    with read_session(engine) as s:
        p = customer_profile(s, ids["plain"], as_of=TODAY)
    assert not p.is_member and p.membership is None
    assert p.action.code == "follow_up"
    assert p.action.params["since"] == date(2026, 10, 3)
    assert [x.outcome for x in p.pitches] == ["considering"]
    assert p.visits == [] and p.last_return == date(2023, 5, 6)


def test_profile_of_a_missing_vehicle_is_none(counter_store):
    engine, _ = counter_store
    with read_session(engine) as s:
        assert customer_profile(s, 999_999, as_of=TODAY) is None
        assert s.exec(select(Pitch)).all()  # the fixture's pitch is there
