"""Adoption 客户领养: who qualifies (at the window's border), ranking, assignment by
plate digit (letter plates under both rules), reassignment keeping history, moves by
hand, the audit trail. Runs on SQLite and Postgres."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from store.access import SYSTEM, AccessDenied
from store.adoption import (
    AdoptionError,
    adopt_by_plate,
    candidates,
    format_digit_map,
    history,
    move,
    parse_digit_map,
    plate_digit,
    staff_loads,
)
from store.db import read_session, write_session
from store.models import Adoption, AuditLog, Customer, Vehicle
from store.settings import get_setting, set_setting
from tests.calls_helpers import TODAY, adopt, add_to_shop, make_shop

MAP = "0-4:王伟,5-9:李娜"


def test_parse_digit_map_ranges_codes_and_mistakes():
    m = parse_digit_map("0-1:王伟，2-3：李娜, 9:SA05")
    assert m == {"0": "王伟", "1": "王伟", "2": "李娜", "3": "李娜", "9": "SA05"}
    assert format_digit_map(m) == "0-1:王伟,2-3:李娜,9:SA05"
    for bad in ("", "0-1", "a:王伟", "3-1:王伟", "0-1:王伟,1:李娜", "0-12:王伟"):
        with pytest.raises(AdoptionError):
            parse_digit_map(bad)


def test_plate_digit_letter_plates_follow_the_store_rule():
    assert plate_digit("粤A12345") == "5"
    assert plate_digit("粤 a·1234０") == "0"  # as typed
    assert plate_digit("粤A12345D", "last_digit") == "5"  # large new-energy plate ends in a letter
    assert plate_digit("粤B1234学", "last_digit") == "4"
    assert plate_digit("粤A12345D", "by_hand") is None
    assert plate_digit("粤AD12345", "by_hand") == "5"  # ends in a digit: the rule does not apply


def test_candidates_window_border_one_row_per_vehicle_ranked_by_oil_then_output(engine):
    window_start = date(2025, 11, 22)  # 12 calendar months before TODAY
    shop = make_shop(engine, [
        dict(plate="粤A00001", owner="甲", visits=[(window_start, "maintenance", 500, 100)]),  # on the border: in
        dict(plate="粤A00002", owner="乙", visits=[(date(2025, 11, 21), "maintenance", 500, 100)]),  # a day early
        dict(plate="粤A00003", owner="丙", visits=[(date(2026, 10, 1), "repair", 3000, 0)]),  # no maintenance
        dict(plate="粤A00004", owner="丁", visits=[(date(2026, 3, 1), "first_maintenance", 300, 200),
                                                  (date(2026, 9, 1), "maintenance", 600, 200),
                                                  (date(2026, 10, 1), "repair", 1000, 0)]),
        dict(plate="粤A00005", owner="戊", visits=[(TODAY, "maintenance", 900, 100)]),  # today counts
        dict(plate="粤A00006", owner="己", visits=[(date(2026, 5, 1), "maintenance", 400, 100)]),
    ])
    with write_session(engine) as s:
        s.add(Visit_cancelled(shop, "粤A00006"))
    with read_session(engine) as s:
        rows = candidates(s, store_id=shop.store_id, as_of=TODAY)
    plates = [c.plate for c in rows]
    assert plates == ["粤A00004", "粤A00005", "粤A00001", "粤A00006"]  # oil 400, then the 100s by output
    top = rows[0]
    assert (top.oil_fen, top.output_fen, top.last_maintenance, top.rank) == (40000, 190000, date(2026, 9, 1), 1)


def Visit_cancelled(shop, plate):
    from store.models import Visit

    return Visit(store_id=shop.store_id, vehicle_id=shop.cars[plate], ro_number="ROX", date_in=date(2026, 6, 1),
                 repair_type="maintenance", total_fen=99900, oil_fen=99900, status="cancelled")


def test_sold_cars_and_do_not_contact_owners_are_not_adopted(engine):
    shop = make_shop(engine, [
        dict(plate="粤A00001", owner="甲", visits=[(date(2026, 9, 1), "maintenance", 500, 100)]),
        dict(plate="粤A00002", owner="乙", visits=[(date(2026, 9, 1), "maintenance", 500, 100)]),
        dict(plate="粤A00003", owner="丙", visits=[(date(2026, 9, 1), "maintenance", 500, 100)]),
    ])
    with write_session(engine) as s:
        s.get(Vehicle, shop.cars["粤A00001"]).sold_on = date(2026, 10, 1)
        s.get(Customer, shop.customers["粤A00002"]).do_not_contact = True
    plan = adopt(engine, shop)
    assert [x.plate for x in plan.new] == ["粤A00003"]


def test_assign_by_plate_digit_saves_the_mapping_and_audits_each_assignment(engine):
    shop = make_shop(engine, [
        dict(plate=f"粤A1234{d}", owner=f"车主{d}", visits=[(date(2026, 9, 1), "maintenance", 500, 10 * d)])
        for d in range(10)
    ])
    with write_session(engine) as s:
        dry = adopt_by_plate(s, shop.manager, store_id=shop.store_id, as_of=TODAY, mapping_text=MAP, dry_run=True)
    assert dry.per_staff() == {"王伟": 5, "李娜": 5} and not dry.applied
    with read_session(engine) as s:
        assert s.exec(select(Adoption)).all() == []  # a dry run changes nothing
        assert get_setting(s, "adoption_plate_digit_map", store_id=shop.store_id) == {}
    plan = adopt(engine, shop, MAP, who=shop.manager)
    assert len(plan.new) == 10 and plan.applied
    with read_session(engine) as s:
        rows = s.exec(select(Adoption)).all()
        by_car = {a.vehicle_id: a for a in rows}
        assert by_car[shop.cars["粤A12344"]].staff_id == shop.wang.staff_id
        assert by_car[shop.cars["粤A12345"]].staff_id == shop.li.staff_id
        assert all(a.started_on == TODAY and a.ended_on is None and a.method == "plate" for a in rows)
        assert by_car[shop.cars["粤A12349"]].assigned_by_staff_id == shop.manager.staff_id
        saved = get_setting(s, "adoption_plate_digit_map", store_id=shop.store_id)
        assert saved == {**{str(d): "SA01" for d in range(5)}, **{str(d): "SA02" for d in range(5, 10)}}
        audits = s.exec(select(AuditLog).where(AuditLog.action == "adoption.assign")).all()
        assert len(audits) == 10 and all(a.staff_id == shop.manager.staff_id for a in audits)
        loads = {x.name: x.vehicles for x in staff_loads(s, store_id=shop.store_id, as_of=TODAY, actor=SYSTEM)}
        assert loads == {"王伟": 5, "李娜": 5, None: 0}
    # The saved mapping is used when none is given; nothing changes on a second run.
    with write_session(engine) as s:
        again = adopt_by_plate(s, shop.manager, store_id=shop.store_id, as_of=TODAY)
    assert len(again.unchanged) == 10 and not again.new and not again.moved


def test_letter_plates_under_by_hand_are_left_unassigned_and_listed(engine):
    shop = make_shop(engine, [
        dict(plate="粤A12345D", owner="甲", visits=[(date(2026, 9, 1), "maintenance", 500, 100)]),
        dict(plate="粤B1234学", owner="乙", visits=[(date(2026, 9, 1), "maintenance", 500, 100)]),
        dict(plate="粤A11112", owner="丙", visits=[(date(2026, 9, 1), "maintenance", 500, 100)]),
    ])
    plan = adopt(engine, shop)  # default rule: last_digit
    assert {x.plate: x.to_staff for x in plan.new} == {"粤A12345D": "李娜", "粤B1234学": "王伟", "粤A11112": "王伟"}

    with write_session(engine) as s:
        set_setting(s, "adoption_letter_plate_rule", "by_hand", store_id=shop.store_id)
        add_to_shop(s, shop, plate="粤A22222F", owner="丁", visits=[(date(2026, 9, 2), "maintenance", 500, 100)])
    plan = adopt(engine, shop)
    assert [(x.plate, x.why) for x in plan.unassigned] == [("粤A22222F", "letter_plate")]
    assert len(plan.unchanged) == 3  # the letter plates adopted before keep their SA
    with write_session(engine) as s:
        moved = move(s, shop.manager, store_id=shop.store_id, vehicle="粤A22222F", to="SA02", as_of=TODAY)
    assert (moved.from_staff, moved.to_staff) == (None, "李娜")


def test_unmapped_digits_stay_unassigned(engine):
    shop = make_shop(engine, [dict(plate="粤A12347", visits=[(date(2026, 9, 1), "maintenance", 500, 100)])])
    plan = adopt(engine, shop, "0-4:王伟")
    assert [(x.plate, x.why) for x in plan.unassigned] == [("粤A12347", "unmapped_digit")]


def test_reassigning_ends_the_old_row_and_keeps_history_but_not_hand_moves(engine):
    shop = make_shop(engine, [
        dict(plate="粤A11111", owner="甲", visits=[(date(2026, 9, 1), "maintenance", 500, 100)]),
        dict(plate="粤A22222", owner="乙", visits=[(date(2026, 9, 1), "maintenance", 500, 100)]),
    ])
    adopt(engine, shop, "0-9:王伟", as_of=date(2026, 10, 1))
    with write_session(engine) as s:
        move(s, shop.manager, store_id=shop.store_id, vehicle="粤A22222", to="李娜", as_of=date(2026, 10, 15))
    # The new mapping gives everything to 李娜: 粤A11111 moves; 粤A22222 was moved by hand and stays.
    plan = adopt(engine, shop, "0-9:李娜")
    assert [(x.plate, x.from_staff, x.to_staff) for x in plan.moved] == [("粤A11111", "王伟", "李娜")]
    assert [x.plate for x in plan.kept_by_hand] == ["粤A22222"]
    plan = adopt(engine, shop, "0-9:王伟")
    assert [x.plate for x in plan.moved] == ["粤A11111"] and [x.plate for x in plan.kept_by_hand] == ["粤A22222"]
    with read_session(engine) as s:
        h = history(s, shop.cars["粤A11111"])
        assert [(x.staff, x.started_on, x.ended_on) for x in h] == [
            ("王伟", date(2026, 10, 1), TODAY), ("李娜", TODAY, TODAY), ("王伟", TODAY, None)]
        h2 = history(s, shop.cars["粤A22222"])
        assert [(x.staff, x.ended_on, x.method) for x in h2] == [
            ("王伟", date(2026, 10, 15), "plate"), ("李娜", None, "hand")]
        open_rows = s.exec(select(Adoption).where(Adoption.ended_on.is_(None))).all()
        assert len(open_rows) == 2  # one open adoption per car, always
        actions = [a.action for a in s.exec(select(AuditLog).order_by(AuditLog.id)).all()
                   if a.action.startswith("adoption.")]
        assert actions == ["adoption.assign", "adoption.assign", "adoption.move", "adoption.move", "adoption.move"]


def test_moves_are_for_managers_and_refuse_nonsense(engine):
    shop = make_shop(engine, [dict(plate="粤A11111", visits=[(date(2026, 9, 1), "maintenance", 500, 100)])])
    adopt(engine, shop, "0-9:王伟")
    with write_session(engine) as s:
        with pytest.raises(AccessDenied):
            move(s, shop.wang, store_id=shop.store_id, vehicle="粤A11111", to="李娜", as_of=TODAY)
        with pytest.raises(AccessDenied):
            adopt_by_plate(s, shop.li, store_id=shop.store_id, as_of=TODAY, mapping_text=MAP)
        with pytest.raises(AdoptionError, match="already"):
            move(s, shop.manager, store_id=shop.store_id, vehicle="粤a·11111", to="SA01", as_of=TODAY)
        with pytest.raises(AdoptionError, match="no active staff"):
            move(s, shop.manager, store_id=shop.store_id, vehicle="粤A11111", to="赵六", as_of=TODAY)
        with pytest.raises(AdoptionError, match="no vehicle"):
            move(s, shop.manager, store_id=shop.store_id, vehicle="粤Z99999", to="李娜", as_of=TODAY)


def test_two_open_adoptions_of_one_car_are_impossible(engine):
    """The database itself refuses a second open row (two managers at once)."""
    from sqlalchemy.exc import IntegrityError

    shop = make_shop(engine, [dict(plate="粤A11111", visits=[(date(2026, 9, 1), "maintenance", 500, 100)])])
    adopt(engine, shop, "0-9:王伟")
    with pytest.raises(IntegrityError):
        with write_session(engine) as s:
            s.add(Adoption(store_id=shop.store_id, vehicle_id=shop.cars["粤A11111"], staff_id=shop.li.staff_id,
                           started_on=TODAY))
            s.flush()
