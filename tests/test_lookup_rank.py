"""Lookup ranking: a car whose whole plate, VIN or phone was typed comes first, then
plates ending with what was typed, then the rest; on both backends."""

from __future__ import annotations

from store.access import SYSTEM
from store.db import read_session, write_session
from store.lookup import lookup
from tests.factories import add_car, add_store


def _shop(engine):
    with write_session(engine) as s:
        store = add_store(s)
        add_car(s, store, plate="粤A123456", owner="甲", phone="13800000001", vin="LGBV51PHA00000001")
        add_car(s, store, plate="粤B812345", owner="乙", phone="13800000002", vin="LGBV51PHA00000002")
        add_car(s, store, plate="粤A12345", owner="丙", phone="13800000003", vin="LGBV51PHA00000003")
        add_car(s, store, plate="粤C12345", owner="丁", phone="13812345000", vin="LGBV51PHA00012345")


def plates(engine, query):
    with read_session(engine) as s:
        return [m.plate for m in lookup(s, query, actor=SYSTEM)]


def test_a_whole_plate_however_typed_comes_first(engine):
    _shop(engine)
    for typed in ("a12345", "A12345", "粤A·12345", "粤a 12345", "ａ１２３４５"):
        found = plates(engine, typed)
        assert found[0] == "粤A12345", typed
        assert "粤A123456" in found  # the partial match is still listed, after it


def test_plates_ending_with_the_query_before_plates_containing_it(engine):
    _shop(engine)
    found = plates(engine, "12345")
    assert set(found[:3]) == {"粤A12345", "粤B812345", "粤C12345"}
    assert found[3:] == ["粤A123456"]


def test_a_whole_vin_and_a_whole_phone_come_first(engine):
    _shop(engine)
    assert plates(engine, "LGBV51PHA00012345")[0] == "粤C12345"
    assert plates(engine, "lgbv51pha00000003") == ["粤A12345"]
    assert plates(engine, "13800000003")[0] == "粤A12345"


def test_a_whole_plate_beats_a_longer_plate_with_the_same_ending(engine):
    """粤AD12345 (a new-energy plate) and 粤D12345 both end with "D12345": typed
    "d12345", the car whose plate it is comes first, whichever was added first."""
    with write_session(engine) as s:
        store = add_store(s)
        add_car(s, store, plate="粤AD12345", owner="甲", phone="13800000001")
        add_car(s, store, plate="粤D12345", owner="乙", phone="13800000002")
    assert plates(engine, "d12345") == ["粤D12345", "粤AD12345"]
    assert plates(engine, "AD12345") == ["粤AD12345"]
