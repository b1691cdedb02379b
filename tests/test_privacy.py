"""No oracle, no plaintext: a phone is found by its last 4 digits or, for those who
see every phone, by the whole number, never by a prefix; an ID number in a reject
is masked; every file holding customers is readable by its owner only (0600)."""

from __future__ import annotations

import json
import os
import stat
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import select
from typer.testing import CliRunner

from store.access import SYSTEM, AccessDenied, actor_for
from store.customer_ref import CustomerNotFound, resolve_customer
from store.db import make_engine, read_session, write_session
from store.lookup import lookup, query_ranges
from store.models import Adoption, Membership, Staff
from store.staff import add_staff
from tests.factories import add_car, add_store
from tests.import_files import write_xlsx
from tui.cli import app
from tui.cli.common import hoist_global_options

runner = CliRunner()
PHONE = "13812345678"
ID_BAD_CHECK = "440101199001011234"  # fails its check digit (…1233 passes)


@pytest.fixture(autouse=True)
def key_file(tmp_path, monkeypatch):
    monkeypatch.setenv("DEALERDESK_KEY_FILE", str(tmp_path / "keys" / "pii.key"))


@pytest.fixture
def umask_022():
    """The usual umask: files would come out 0644 unless made private."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def shop(engine):
    """张伟 (13812345678), adopted to SA01 and a member; staff of every role."""
    with write_session(engine) as s:
        store = add_store(s)
        add_staff(s, SYSTEM, store_id=store.id, code="M01", name="周建国", role="manager", pin="8888")
        for code, name, role in [("SA01", "王伟", "sa"), ("CA01", "黄磊", "ca"), ("MS01", "林小红", "member"),
                                 ("GA01", "郑志明", "analyst")]:
            add_staff(s, SYSTEM, store_id=store.id, code=code, name=name, role=role, pin="1111")
        car = add_car(s, store, plate="粤A12345", owner="张伟", phone=PHONE)
        sa01 = s.exec(select(Staff).where(Staff.code == "SA01")).one()
        s.add(Adoption(store_id=store.id, vehicle_id=car.id, staff_id=sa01.id, started_on=date(2026, 1, 1)))
        s.add(Membership(store_id=store.id, customer_id=car.customer_id, started_on=date(2026, 1, 1)))
        customer_id = car.customer_id
    return engine, customer_id


def plates(engine, query, code=None):
    with read_session(engine) as s:
        actor = actor_for(s, code) if code else SYSTEM
        return [m.plate for m in lookup(s, query, actor=actor)]


# --- lookup by phone ------------------------------------------------------------------


def test_a_phone_prefix_finds_nothing_for_anyone(shop):
    engine, _ = shop
    for code in (None, "M01", "SA01"):
        for prefix in ("1381234", "13812345", "138123456", "1381234567"):
            assert plates(engine, prefix, code) == [], (code, prefix)
    assert [r for r in query_ranges("1381234", whole_phone=True) if r[0].startswith("T")] == [("T1381234", False)]


def test_a_whole_phone_finds_the_car_only_for_those_who_see_every_phone(shop):
    engine, customer_id = shop
    assert plates(engine, PHONE) == plates(engine, PHONE, "M01") == ["粤A12345"]
    # Even the SA it is adopted to, or the member specialist: the last 4 digits, not a confirmation.
    for code in ("SA01", "CA01", "MS01"):
        assert plates(engine, PHONE, code) == [], code
        assert plates(engine, PHONE[-4:], code) == ["粤A12345"], code
    with read_session(engine) as s:
        assert resolve_customer(s, PHONE, actor=actor_for(s, "M01")).id == customer_id
        assert resolve_customer(s, "+86 138-1234-5678", actor=SYSTEM).id == customer_id
        for code in ("SA01", "CA01", "MS01"):
            with pytest.raises(CustomerNotFound, match="no customer matches"):
                resolve_customer(s, PHONE, actor=actor_for(s, code))
            assert resolve_customer(s, "粤A12345", actor=actor_for(s, code)).id == customer_id
        with pytest.raises(AccessDenied):
            resolve_customer(s, "粤A12345", actor=actor_for(s, "GA01"))


def test_member_show_by_whole_phone_follows_the_same_rule(shop, db_url):
    def show(code, pin, query):
        return runner.invoke(app, hoist_global_options(["--db", db_url, "--as", code, "member", "show", query]),
                             env={"DEALERDESK_PIN": pin})

    refused = show("SA01", "1111", PHONE)
    assert refused.exit_code == 1 and "no customer matches" in refused.stderr and refused.stdout == ""
    assert show("SA01", "1111", "粤A12345").exit_code == 0
    shown = show("M01", "8888", PHONE)
    assert shown.exit_code == 0, shown.output


# --- ID numbers in rejects ------------------------------------------------------------------


def test_an_id_number_in_a_reject_is_masked_everywhere(sqlite_engine, tmp_path, umask_022):
    with write_session(sqlite_engine) as s:
        add_store(s)
    db_url = sqlite_engine.url.render_as_string(hide_password=False)
    path = write_xlsx(tmp_path / "车辆.xlsx", [["车牌号", "车主", "手机", "身份证号"],
                                               ["粤A12345", "张伟", PHONE, ID_BAD_CHECK],
                                               ["粤A12346", "李娜", "13900001234", "4401011990123"]])
    rejects = tmp_path / "out" / "rejects.xlsx"
    for fmt in ("text", "json"):
        result = runner.invoke(app, hoist_global_options(["--db", db_url, "--system", "import", str(path),
                                                          "--format", fmt, "--rejects", str(rejects)]))
        assert result.exit_code == 0, result.output
        assert ID_BAD_CHECK not in result.output and "4401011990123" not in result.output
        assert "440101********1234" in result.output and "fails its check digit" in result.output
    found = json.loads(result.stdout)[0]["rejected"]
    assert [(r["field"], r["value"]) for r in found] == [("id_number", "440101********1234"),
                                                        ("id_number", "440101***0123")]
    cells = [str(c) for row in load_workbook(rejects).active.iter_rows(values_only=True) for c in row]
    assert not any(ID_BAD_CHECK in c or "4401011990123" in c for c in cells)
    assert any("440101********1234" in c for c in cells)
    assert stat.S_IMODE(rejects.stat().st_mode) == 0o600


# --- files: owner only ------------------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_database_and_the_key_file_are_owner_only(tmp_path, umask_022):
    from store.db import open_engine
    from store.pii import encrypt_id_number, key_path

    db = tmp_path / "data" / "dealerdesk.sqlite"
    engine = open_engine(f"sqlite:///{db}")
    with write_session(engine) as s:
        add_car(s, add_store(s), plate="粤A12345", owner="张伟", phone=PHONE)
    assert mode(db) == 0o600
    for extra in (db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        if extra.exists():
            assert mode(extra) == 0o600, extra
    engine.dispose()
    assert make_engine(f"sqlite:///{db}") and mode(db) == 0o600  # opened again: left as it is
    encrypt_id_number("110105199001010123")
    assert mode(key_path()) == 0o600


def test_every_export_report_and_bill_is_owner_only(sqlite_engine, tmp_path, umask_022, monkeypatch):
    with write_session(sqlite_engine) as s:
        store = add_store(s)
        add_staff(s, SYSTEM, store_id=store.id, code="M01", name="周建国", role="manager", pin="8888")
        car = add_car(s, store, plate="粤A12345", owner="张伟", phone=PHONE)
        customer_id = car.customer_id
    db_url = sqlite_engine.url.render_as_string(hide_password=False)
    out = tmp_path / "out"
    stale = out / "old.csv"  # an existing file, world-readable: tightened before it is overwritten
    out.mkdir()
    stale.write_text("old")
    stale.chmod(0o644)
    runs = [
        ["--as", "M01", "export", "customers", "--out", str(out / "customers.csv")],
        ["--as", "M01", "export", "customers", "--out", str(out / "customers.xlsx")],
        ["--as", "M01", "export", "customers", "--out", str(stale)],
        ["--as", "M01", "report", "churn", "--format", "csv", "--out", str(out / "churn.csv")],
        ["--as", "M01", "report", "churn", "--format", "table", "--out", str(out / "churn.txt")],
        ["--as", "M01", "report", "churn", "--format", "xlsx", "--out", str(out / "churn.xlsx")],
        ["--as", "M01", "member", "bill", f"id:{customer_id}", "--year", "2026", "--out", str(out / "bill.xlsx")],
    ]
    for args in runs:
        result = runner.invoke(app, hoist_global_options(["--db", db_url, *args]), env={"DEALERDESK_PIN": "8888"})
        assert result.exit_code == 0, (args, result.output)
    written = sorted(p.name for p in out.iterdir())
    assert written == ["bill.xlsx", "churn.csv", "churn.txt", "churn.xlsx", "customers.csv", "customers.xlsx",
                       "old.csv"]
    assert {p.name: mode(p) for p in out.iterdir()} == {name: 0o600 for name in written}
    assert "张伟" in stale.read_text(encoding="utf-8-sig")
    assert load_workbook(out / "customers.xlsx").active["C2"].value == "张伟"

    from store.report_desk import ReportDesk  # the Reports screen's `x` writes through the same writer

    monkeypatch.setenv("DEALERDESK_HOME", str(tmp_path / "home"))
    desk_file = ReportDesk.export(load_book(sqlite_engine), tmp_path / "home" / "exports" / "churn.xlsx")
    assert mode(Path(desk_file)) == 0o600


def load_book(engine):
    from store.reports import ReportBook, ReportTable

    return ReportBook(title="t", sheets=[ReportTable(key="k", title="t", columns=["a"], rows=[{"a": 1}])], notes=[])
