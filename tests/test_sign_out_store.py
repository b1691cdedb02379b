"""The store side of sign-out on idle 自动登出: the setting and the audit row, on both backends."""

from __future__ import annotations

import json

from sqlmodel import select

from store.access import SYSTEM
from store.counter import Counter
from store.db import read_session, write_session
from store.models import AuditLog, Staff
from store.settings import DEFAULTS, set_setting
from store.staff import add_staff
from tests.factories import add_store


def test_idle_minutes_default_and_a_stores_own(engine, monkeypatch):
    monkeypatch.delenv("DEALERDESK_IDLE_SIGN_OUT_MINUTES", raising=False)
    with write_session(engine) as s:
        store = add_store(s)
        add_staff(s, SYSTEM, store_id=store.id, code="M01", name="周建国", role="manager", pin="8888")
        add_staff(s, SYSTEM, store_id=store.id, code="SA01", name="王伟", role="sa", pin="1111")
    counter = Counter(engine)
    counter.act_as("SA01")
    assert DEFAULTS["idle_sign_out_minutes"] == 10
    assert counter.idle_sign_out_minutes() == 10
    with write_session(engine) as s:
        set_setting(s, "idle_sign_out_minutes", 0, store_id=store.id)
    assert counter.idle_sign_out_minutes() == 0
    monkeypatch.setenv("DEALERDESK_IDLE_SIGN_OUT_MINUTES", "3")
    assert counter.idle_sign_out_minutes() == 3


def test_a_sign_out_is_audited_in_the_name_of_who_signed_out(engine):
    with write_session(engine) as s:
        store = add_store(s)
        add_staff(s, SYSTEM, store_id=store.id, code="M01", name="周建国", role="manager", pin="8888")
        add_staff(s, SYSTEM, store_id=store.id, code="SA01", name="王伟", role="sa", pin="1111")
    counter = Counter(engine)
    actor = counter.sign_in("SA01", "1111")
    counter.sign_out(actor, reason="idle", idle_minutes=10)
    with read_session(engine) as s:
        (row,) = s.exec(select(AuditLog).where(AuditLog.action == "staff.sign_out")).all()
        assert s.get(Staff, row.staff_id).code == "SA01"
        assert (row.store_id, row.entity, row.entity_id) == (store.id, "staff", actor.staff_id)
        assert json.loads(row.detail) == {"reason": "idle", "idle_minutes": 10}
