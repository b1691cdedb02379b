"""A group with two stores in one database: staff work in their own store, their
lookup finds their store's cars, and a group-wide search (where the group allows
it) lists other stores' cars after theirs, marked and masked. On both backends."""

from __future__ import annotations

import pytest

from store.access import SYSTEM, AccessDenied, actor_for
from store.db import read_session, write_session
from store.lookup import lookup
from store.settings import set_setting
from store.staff import add_staff
from store.stores import add_store as add_group_store
from store.stores import list_stores
from tests.factories import add_car, add_store


@pytest.fixture
def group(engine):
    with write_session(engine) as s:
        gz = add_store(s, code="GZ01", name="广州店")
        sz = add_store(s, code="SZ01", name="深圳店")
        add_staff(s, SYSTEM, store_id=gz.id, code="M01", name="周建国", role="manager", pin="8888")
        add_staff(s, SYSTEM, store_id=gz.id, code="SA01", name="王伟", role="sa", pin="1111")
        add_staff(s, SYSTEM, store_id=sz.id, code="M02", name="深店长", role="manager", pin="8888")
        add_car(s, gz, plate="粤A10001", owner="陈一", phone="13800000001")
        add_car(s, sz, plate="粤B10001", owner="陈二", phone="13800000002")
    return engine


def plates_for(engine, code, query, **kwargs):
    with read_session(engine) as s:
        return [(m.plate, m.owner, m.other_store) for m in lookup(s, query, actor=actor_for(s, code), **kwargs)]


def test_staff_find_their_own_stores_cars_only(group):
    assert plates_for(group, "SA01", "10001") == [("粤A10001", "陈一", False)]
    assert plates_for(group, "M02", "10001") == [("粤B10001", "陈二", False)]
    with read_session(group) as s:
        assert {m.plate for m in lookup(s, "10001", actor=SYSTEM)} == {"粤A10001", "粤B10001"}


def test_a_group_wide_search_marks_and_masks_other_stores_cars(group):
    found = plates_for(group, "SA01", "10001", group_wide=True)
    assert found == [("粤A10001", "陈一", False), ("粤B10001", "陈*", True)]


def test_another_stores_cars_never_crowd_out_ones_own(group):
    with write_session(group) as s:
        from sqlmodel import select

        from store.models import Store

        sz = s.exec(select(Store).where(Store.code == "SZ01")).one()
        for i in range(60):  # a full page of the other store's matches, sorting first
            add_car(s, sz, plate=f"粤B0{i:02d}77", owner="他人", phone=f"139000000{i:02d}")
        gz = s.exec(select(Store).where(Store.code == "GZ01")).one()
        add_car(s, gz, plate="粤Z99977", owner="自己", phone="13700000000")
    assert plates_for(group, "SA01", "77") == [("粤Z99977", "自己", False)]


def test_only_the_system_adds_a_store(group):
    with write_session(group) as s:
        with pytest.raises(AccessDenied):
            add_group_store(s, actor=actor_for(s, "M01"), code="FS01", name="佛山店")
        add_group_store(s, actor=SYSTEM, code="fs01", name="佛山店")
        with pytest.raises(ValueError, match="taken"):
            add_group_store(s, actor=SYSTEM, code="FS01", name="又一个")
    with read_session(group) as s:
        assert [x.code for x in list_stores(s, actor=SYSTEM)] == ["FS01", "GZ01", "SZ01"]
