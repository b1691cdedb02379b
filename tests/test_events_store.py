"""Club events 会员活动 and interests 兴趣爱好 in the store, on both backends: the
target's invitation list, sign-up with capacity and waitlist, cancellation moving the
waitlist up, the door check-in awarding points once, costs in the club's accounts,
the invitations on the SA's call list; every refusal one line that changes nothing."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from store import clock, events, interests, members
from store.access import SYSTEM, AccessDenied, Actor
from store.calls import call_list
from store.db import read_session, write_session
from store.models import (
    Adoption,
    CareTask,
    ClubEntry,
    ClubEvent,
    Customer,
    EventInvitation,
    EventSignup,
    PointsEntry,
    Staff,
    Store,
)
from store.validation import FieldError
from tests.club_helpers import make_club, tx
from tests.factories import add_car

NEXT_WEEK = datetime(2026, 11, 29, 14, 0)


@pytest.fixture
def club(engine):
    """A store with three tiers, SA01 (王伟), a member specialist, and customers:
    张伟 (粤A12345, a gold member, likes cars), 李四 (粤B22222, a regular member, likes food),
    王五 (粤C33333, no member), 赵六 (粤D44444, do not contact, a gold member)."""
    c = make_club(engine)
    with write_session(engine) as s:
        store = s.get(Store, c.store_id)
        cars = {"李四": add_car(s, store, plate="粤B22222", owner="李四", phone="13922223333"),
                "王五": add_car(s, store, plate="粤C33333", owner="王五", phone="13733334444", model="天籁"),
                "赵六": add_car(s, store, plate="粤D44444", owner="赵六", phone="13644445555")}
        ids = {name: car.customer_id for name, car in cars.items()}
        s.get(Customer, ids["赵六"]).do_not_contact = True
        for vid in [c.vehicle_id, *(car.id for car in cars.values())]:
            s.add(Adoption(store_id=c.store_id, vehicle_id=vid, staff_id=c.staff_id, started_on=date(2026, 1, 1)))
    ids["张伟"] = c.customer_id
    for name, tier in (("张伟", "gold"), ("李四", "regular"), ("赵六", "gold")):
        tx(engine, lambda s, n=name, t=tier: members.join(s, customer_id=ids[n], scheme="annual", tier_code=t,
                                                          actor=SYSTEM))
    tx(engine, lambda s: interests.set_customer_interests(s, customer_id=ids["张伟"], codes=["cars"], actor=SYSTEM))
    tx(engine, lambda s: interests.set_customer_interests(s, customer_id=ids["李四"], codes=["美食"], actor=SYSTEM))
    c.ids = ids
    c.specialist = Actor(None, "林小红", "member", c.store_id)
    with read_session(engine) as s:
        ms = s.execute(select(Staff).where(Staff.code == "MS01")).scalars().one()
        c.specialist = Actor(ms.id, ms.name, "member", c.store_id)
        c.sa = Actor(c.staff_id, "王伟", "sa", c.store_id)
    return c


def add(engine, club, **kw):
    args = dict(store_id=club.store_id, name="安全驾驶讲堂", kind="class", starts_at=NEXT_WEEK, capacity=2,
                points=50, actor=club.specialist)
    args.update(kw)
    return tx(engine, lambda s: events.add_event(s, **args))


def count(engine, model) -> int:
    with read_session(engine) as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def test_interests_start_with_the_care_course_list_and_refuse_unknown_ones(engine, club):
    with read_session(engine) as s:
        codes = [c.code for c in interests.catalog(s, store_id=club.store_id)]
        mine = interests.of_customer(s, customer_id=club.ids["李四"], actor=club.sa)
    assert codes == ["sports", "arts", "travel", "learning", "fashion", "cars", "food"]
    assert [(c.code, c.zh) for c in mine] == [("food", "美食")]
    with pytest.raises(FieldError, match="unknown interest 'golf'"):
        tx(engine, lambda s: interests.set_customer_interests(s, customer_id=club.ids["李四"], codes=["travel", "golf"],
                                                              actor=club.sa))
    with read_session(engine) as s:
        assert [c.code for c in interests.of_customer(s, customer_id=club.ids["李四"], actor=club.sa)] == ["food"]
    manager = Actor(None, "店长", "manager", club.store_id)
    tx(engine, lambda s: interests.set_interest(s, store_id=club.store_id, code="golf", zh="高尔夫", en="golf",
                                                actor=manager))
    with pytest.raises(AccessDenied):
        tx(engine, lambda s: interests.set_interest(s, store_id=club.store_id, code="tea", zh="茶", actor=club.sa))
    tx(engine, lambda s: interests.set_customer_interests(s, customer_id=club.ids["李四"], codes=["golf"], mode="add",
                                                          actor=club.sa))
    with read_session(engine) as s:
        assert [c.code for c in interests.of_customer(s, customer_id=club.ids["李四"], actor=club.sa)] == [
            "food", "golf"]
        assert len(interests.catalog(s, store_id=club.store_id)) == 8


@pytest.mark.parametrize("change, message", [
    (dict(starts_at=datetime(2026, 11, 1, 9, 0)), "date: 2026-11-01 09:00 is in the past"),
    (dict(target={"tiers": ["platinum"]}), "tier: unknown tier 'platinum'"),
    (dict(target={"interests": ["golf"]}), "interest: unknown interest 'golf'"),
    (dict(target={"classes": ["vip"]}), "class: unknown customer class 'vip'"),
    (dict(kind="concert"), "kind: 'concert'"),
    (dict(capacity=0), "capacity: 1-"),
])
def test_a_bad_event_is_one_line_and_nothing_is_written(engine, club, change, message):
    with pytest.raises(FieldError) as err:
        add(engine, club, **change)
    assert message in str(err.value) and "\n" not in str(err.value)
    assert count(engine, ClubEvent) == 0


def test_only_club_staff_plan_events(engine, club):
    with pytest.raises(AccessDenied):
        add(engine, club, actor=club.sa)
    assert count(engine, ClubEvent) == 0


def test_the_target_invites_members_first_without_do_not_contact_and_onto_the_call_list(engine, club):
    event = add(engine, club, target={"tiers": ["gold", "regular"]})
    with read_session(engine) as s:
        preview = events.invitation_list(s, event_id=event.id, actor=club.specialist)
    assert [i.name for i in preview.invitees] == ["张伟", "李四"] and preview.do_not_contact == 1
    everyone = add(engine, club, name="年终VIP之夜", kind="party")
    with read_session(engine) as s:
        listed = events.invitation_list(s, event_id=everyone.id, actor=club.specialist)
    assert [i.member for i in listed.invitees] == [True, True, False]  # members first
    by_interest = add(engine, club, name="新车品鉴", target={"interests": ["cars"], "models": ["轩逸"]})
    with read_session(engine) as s:
        assert [i.name for i in events.invitation_list(s, event_id=by_interest.id,
                                                       actor=club.specialist).invitees] == ["张伟"]

    done = tx(engine, lambda s: events.invite(s, event_id=event.id, actor=club.specialist))
    assert len(done.invitees) == 2
    again = tx(engine, lambda s: events.invite(s, event_id=event.id, actor=club.specialist))
    assert again.invitees == [] and again.already == 2  # invited once
    with read_session(engine) as s:
        day = call_list(s, staff_id=club.staff_id, actor=club.sa)
        assert s.execute(select(func.count()).select_from(CareTask).where(CareTask.kind == "event_invite")
                         ).scalar_one() == 2
    rows = {r.name: r for r in day.rows}
    assert {"张伟", "李四"} <= set(rows)
    assert any(r.code == "event" and "安全驾驶讲堂" in r.zh for r in rows["张伟"].reasons)

    # The SA calls: 张伟 signs up, 李四 does not answer.
    tx(engine, lambda s: events.answer_invitation(s, event_id=event.id, customer_id=club.ids["张伟"],
                                                  answer="signed_up", actor=club.sa))
    tx(engine, lambda s: events.answer_invitation(s, event_id=event.id, customer_id=club.ids["李四"],
                                                  answer="no_answer", actor=club.sa))
    with read_session(engine) as s:
        answers = dict(s.execute(select(EventInvitation.customer_id, EventInvitation.status)).all())
        assert answers == {club.ids["张伟"]: "signed_up", club.ids["李四"]: "no_answer"}
        assert events.get_event(s, event_id=event.id, actor=club.sa).signed_up == 1
    with pytest.raises(FieldError, match="answer: 'maybe'"):
        tx(engine, lambda s: events.answer_invitation(s, event_id=event.id, customer_id=club.ids["李四"],
                                                      answer="maybe", actor=club.sa))


def test_capacity_waitlist_and_a_cancellation_moving_it_up(engine, club):
    event = add(engine, club, capacity=2)
    results = [tx(engine, lambda s, n=n: events.sign_up(s, event_id=event.id, customer_id=club.ids[n], actor=club.sa))
               for n in ("张伟", "李四", "王五")]
    assert [r.status for r in results] == ["signed_up", "signed_up", "waitlist"] and results[2].position == 1
    twice = tx(engine, lambda s: events.sign_up(s, event_id=event.id, customer_id=club.ids["张伟"], actor=club.sa))
    assert twice.replayed and count(engine, EventSignup) == 3
    gone = tx(engine, lambda s: events.cancel(s, event_id=event.id, customer_id=club.ids["李四"], actor=club.sa))
    assert gone.moved_up == club.ids["王五"] and gone.moved_up_name == "王五"
    with read_session(engine) as s:
        line = events.get_event(s, event_id=event.id, actor=club.sa)
        assert (line.signed_up, line.waitlist) == (2, 0)
    with pytest.raises(FieldError, match="not signed up"):
        tx(engine, lambda s: events.cancel(s, event_id=event.id, customer_id=club.ids["赵六"], actor=club.sa))


def test_check_in_awards_points_once_refuses_the_unsigned_and_lets_a_walk_in_in(engine, club):
    event = add(engine, club, points=50)
    tx(engine, lambda s: events.sign_up(s, event_id=event.id, customer_id=club.ids["张伟"], actor=club.sa))
    with pytest.raises(FieldError, match="the door opens that day"):
        tx(engine, lambda s: events.check_in(s, event_id=event.id, customer_id=club.ids["张伟"], actor=club.sa))
    clock.set_today(NEXT_WEEK.date())
    first = tx(engine, lambda s: events.check_in(s, event_id=event.id, customer_id=club.ids["张伟"], actor=club.sa))
    again = tx(engine, lambda s: events.check_in(s, event_id=event.id, customer_id=club.ids["张伟"], actor=club.sa))
    assert (first.points, again.replayed, again.points) == (50, True, 0)
    with read_session(engine) as s:
        rows = s.execute(select(PointsEntry.kind, PointsEntry.points).where(PointsEntry.kind == "activity")).all()
    assert rows == [("activity", 50)]
    with pytest.raises(FieldError, match="李四 is not signed up for 安全驾驶讲堂: check in as a walk-in"):
        tx(engine, lambda s: events.check_in(s, event_id=event.id, customer_id=club.ids["李四"], actor=club.sa))
    assert count(engine, EventSignup) == 1
    walk = tx(engine, lambda s: events.check_in(s, event_id=event.id, customer_id=club.ids["李四"], actor=club.sa,
                                                walk_in=True))
    assert walk.walk_in and walk.points == 50
    # 王五 is no member: in, without points (points_members_only).
    guest = tx(engine, lambda s: events.check_in(s, event_id=event.id, customer_id=club.ids["王五"], actor=club.sa,
                                                 walk_in=True))
    assert guest.points == 0 and "not a member" in guest.points_note
    with read_session(engine) as s:
        found = events.door_matches(s, event_id=event.id, text="b222", actor=club.sa)
        by_phone = events.door_matches(s, event_id=event.id, text="5678", actor=club.sa)
    assert [p.name for p in found] == ["李四"] and [p.name for p in by_phone] == ["张伟"]
    with pytest.raises(FieldError, match="began"):
        tx(engine, lambda s: events.sign_up(s, event_id=event.id, customer_id=club.ids["赵六"], actor=club.sa))


def test_costs_go_into_the_club_accounts_under_the_event(engine, club):
    event = add(engine, club)
    tx(engine, lambda s: events.add_cost(s, event_id=event.id, amount_fen=80_000, actor=club.specialist, note="场地"))
    tx(engine, lambda s: events.add_cost(s, event_id=event.id, amount_fen=20_000, category="gift",
                                         actor=club.specialist))
    with read_session(engine) as s:
        entries = s.execute(select(ClubEntry.department, ClubEntry.category, ClubEntry.amount_fen, ClubEntry.event_id)
                            .order_by(ClubEntry.id)).all()
        assert events.get_event(s, event_id=event.id, actor=club.sa).cost_fen == 100_000
    assert entries == [("club", "activity", 80_000, event.id), ("club", "gift", 20_000, event.id)]
    with pytest.raises(AccessDenied):
        tx(engine, lambda s: events.add_cost(s, event_id=event.id, amount_fen=100, actor=club.sa))


def test_the_call_lists_answers_reach_the_invitation(engine, club):
    from store.calls import log_call

    event = add(engine, club, capacity=1, target={"tiers": ["gold", "regular"]})
    tx(engine, lambda s: events.invite(s, event_id=event.id, actor=club.specialist))
    with read_session(engine) as s:
        rows = {r.name: r for r in call_list(s, staff_id=club.staff_id, actor=club.sa).rows}
    tx(engine, lambda s: log_call(s, club.sa, customer_id=club.ids["李四"], outcome="no_answer",
                                  task_ids=rows["李四"].task_ids))
    first = tx(engine, lambda s: events.answer_from_call(s, customer_id=club.ids["张伟"], answer="signed_up",
                                                         task_ids=rows["张伟"].task_ids, actor=club.sa))
    assert first.status == "signed_up"
    with read_session(engine) as s:
        answers = dict(s.execute(select(EventInvitation.customer_id, EventInvitation.status)).all())
    assert answers == {club.ids["张伟"]: "signed_up", club.ids["李四"]: "no_answer"}
    with pytest.raises(FieldError, match="no event invitation"):
        tx(engine, lambda s: events.answer_from_call(s, customer_id=club.ids["王五"], answer="signed_up", task_ids=[],
                                                     actor=club.sa))


def test_two_counters_signing_up_for_the_last_seat_at_once_give_it_to_one(engine, club):
    from concurrent.futures import ThreadPoolExecutor

    event = add(engine, club, capacity=1)
    barrier = __import__("threading").Barrier(2)

    def sign(name: str):
        barrier.wait()
        return tx(engine, lambda s: events.sign_up(s, event_id=event.id, customer_id=club.ids[name], actor=club.sa))

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(sign, ["张伟", "李四"]))
    assert sorted(r.status for r in results) == ["signed_up", "waitlist"]
    with read_session(engine) as s:
        assert events.get_event(s, event_id=event.id, actor=club.sa).signed_up == 1
