"""Who sees what: each role's view of the same customer, sign-in and lockout, the
audit trail, ID numbers encrypted at rest. On SQLite and Postgres."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from sqlmodel import select

from store import clock
from store.access import SYSTEM, AccessDenied, actor_for, contact_view
from store.audit_query import audit_trail
from store.db import read_session, write_session
from store.models import Adoption, AuditLog, Customer, Membership, Staff
from store.pii import encrypt_id_number
from store.staff import SignInRefused, add_staff, disable_staff, needs_first_manager, sign_in
from tests.factories import add_car, add_store


@pytest.fixture(autouse=True)
def key_file(tmp_path, monkeypatch):
    monkeypatch.setenv("DEALERDESK_KEY_FILE", str(tmp_path / "pii.key"))


@pytest.fixture
def shop(engine):
    """One customer (phone 13812345678, ID 110105199001010123) adopted to SA01,
    and staff of every role; a second store with its own manager."""
    with write_session(engine) as s:
        store = add_store(s)
        other = add_store(s, code="T02", name="别的店")
        add_staff(s, SYSTEM, store_id=store.id, code="M01", name="周建国", role="manager", pin="8888")
        for code, name, role in [("SA01", "王伟", "sa"), ("SA02", "李娜", "sa"), ("CA01", "黄磊", "ca"),
                                 ("MS01", "林小红", "member"), ("GA01", "郑志明", "analyst")]:
            add_staff(s, SYSTEM, store_id=store.id, code=code, name=name, role=role, pin="1234")
        add_staff(s, SYSTEM, store_id=other.id, code="M02", name="别店长", role="manager", pin="8888")
        car = add_car(s, store, plate="粤A12345", owner="张伟", phone="13812345678")
        customer = s.get(Customer, car.customer_id)
        customer.id_number_enc = encrypt_id_number("110105199001010123")
        sa01 = s.exec(select(Staff).where(Staff.code == "SA01")).one()
        s.add(Adoption(store_id=store.id, vehicle_id=car.id, staff_id=sa01.id, started_on=date(2026, 1, 1)))
        s.add(Membership(store_id=store.id, customer_id=customer.id, started_on=date(2026, 1, 1)))
        customer_id, store_id = customer.id, store.id
    return engine, customer_id, store_id


def view_as(engine, customer_id, code, **kwargs):
    with write_session(engine) as s:
        actor = actor_for(s, code)
        return contact_view(s, actor, s.get(Customer, customer_id), **kwargs)


def unmask_rows(engine, customer_id):
    with read_session(engine) as s:
        return s.exec(select(AuditLog).where(AuditLog.action == "contact.unmask",
                                             AuditLog.customer_id == customer_id)).all()


@pytest.mark.parametrize("code,masked", [
    ("SA01", False),  # adopted to them
    ("SA02", True),   # someone else's customer
    ("CA01", True),
    ("MS01", False),  # a member: the member specialist runs renewals
    ("M01", False),   # the store's manager
])
def test_each_role_sees_the_same_customer_its_own_way(shop, code, masked):
    engine, customer_id, _ = shop
    view = view_as(engine, customer_id, code)
    if masked:
        assert (view.phone, view.id_number) == ("138****5678", "110105********0123")
        assert unmask_rows(engine, customer_id) == []
    else:
        assert (view.phone, view.id_number) == ("13812345678", "110105199001010123")
        (row,) = unmask_rows(engine, customer_id)
        assert json.loads(row.detail)["reason"]


def test_group_analyst_gets_no_customer_details(shop):
    engine, customer_id, _ = shop
    with pytest.raises(AccessDenied, match="aggregates"):
        view_as(engine, customer_id, "GA01")


def test_another_stores_manager_cannot_open_this_customer(shop):
    engine, customer_id, _ = shop
    with pytest.raises(AccessDenied, match="another store"):
        view_as(engine, customer_id, "M02")


def test_reveal_at_the_counter_needs_a_reason_and_is_logged(shop):
    engine, customer_id, _ = shop
    with pytest.raises(AccessDenied, match="why"):
        view_as(engine, customer_id, "SA02", reveal=True)
    view = view_as(engine, customer_id, "SA02", reveal=True, reason="在前台接待")
    assert view.phone == "13812345678" and not view.masked
    (row,) = unmask_rows(engine, customer_id)
    assert json.loads(row.detail)["reason"] == "在前台接待"
    with read_session(engine) as s:
        assert s.get(Staff, row.staff_id).code == "SA02"


def test_id_numbers_are_encrypted_at_rest(shop):
    engine, customer_id, _ = shop
    with read_session(engine) as s:
        stored = s.get(Customer, customer_id).id_number_enc
    assert "110105" not in stored and "0123" not in stored


def test_sign_in_locks_after_repeated_failures_then_opens_again(shop, monkeypatch):
    engine, _, store_id = shop
    for attempt in range(1, 5):
        with pytest.raises(SignInRefused, match=f"{attempt}/5"):
            with write_session(engine) as s:
                try:
                    sign_in(s, code="SA01", pin="0000")
                finally:
                    s.commit()
    with write_session(engine) as s:
        with pytest.raises(SignInRefused, match="locked"):
            sign_in(s, code="SA01", pin="0000")
    with write_session(engine) as s:
        with pytest.raises(SignInRefused, match="locked"):
            sign_in(s, code="SA01", pin="1234")  # even the right PIN waits
    later = clock.real_now() + timedelta(minutes=16)  # the lock (15 minutes) is gone: by the machine's clock
    monkeypatch.setattr(clock, "real_now", lambda: later)
    with write_session(engine) as s:
        assert sign_in(s, code="sa01", pin="1234").name == "王伟"


def test_only_managers_manage_staff_and_every_change_is_audited(shop):
    engine, _, store_id = shop
    with write_session(engine) as s:
        sa = actor_for(s, "SA01")
        with pytest.raises(AccessDenied):
            add_staff(s, sa, store_id=store_id, code="SA09", name="新人", role="sa", pin="1234")
    with write_session(engine) as s:
        manager = actor_for(s, "M01")
        disable_staff(s, manager, store_id=store_id, code="SA02")
    with write_session(engine) as s:
        with pytest.raises(SignInRefused):
            sign_in(s, code="SA02", pin="1234")
    with read_session(engine) as s:
        today = clock.real_now().date()  # audit rows carry the machine's date, not the business day
        rows = audit_trail(s, actor_for(s, "M01"), store_id=store_id, date_from=today, date_to=today,
                           staff_code="M01")
    assert [r.action for r in rows] == ["staff.disable"]


def test_first_staff_of_a_new_database_must_be_a_manager(engine):
    with write_session(engine) as s:
        store = add_store(s)
        assert needs_first_manager(s)
        with pytest.raises(ValueError, match="manager"):
            add_staff(s, SYSTEM, store_id=store.id, code="SA01", name="王伟", role="sa", pin="1234")
        add_staff(s, SYSTEM, store_id=store.id, code="M01", name="周建国", role="manager", pin="8888")
        assert not needs_first_manager(s)


def test_customer_exports_are_a_managers_privilege_and_logged(shop, tmp_path):
    from openpyxl import load_workbook
    from typer.testing import CliRunner

    from tui.cli import app
    from tui.cli.common import hoist_global_options

    engine, customer_id, _ = shop
    url = engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    out = tmp_path / "list.xlsx"
    refused = runner.invoke(app, hoist_global_options(["--db", url, "--store", "T01", "--as", "SA01", "export",
                                                       "customers", "--out", str(out)]), env={"DEALERDESK_PIN": "1234"})
    assert refused.exit_code == 1 and "manager" in refused.output and not out.exists()
    done = runner.invoke(app, hoist_global_options(["--db", url, "--store", "T01", "--as", "M01", "export",
                                                    "customers", "--out", str(out)]), env={"DEALERDESK_PIN": "8888"})
    assert done.exit_code == 0, done.output
    ws = load_workbook(out).active
    header = [c.value for c in ws[1]]  # the columns' names in the reader's language: 车牌, 电话...
    row = dict(zip(header, [c.value for c in ws[2]]))
    assert row["车牌"] == "粤A12345" and row["电话"] == "13812345678"  # the manager sees the store
    with read_session(engine) as s:
        (log,) = s.exec(select(AuditLog).where(AuditLog.action == "export.customers")).all()
        assert json.loads(log.detail)["rows"] == 1
