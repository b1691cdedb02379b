"""An audit trail that stays readable and complete: long details cut before they are
encoded (never inside the JSON), rows dated by the machine's clock (never the
business day), and ``audit`` reading every row, an odd one as its text."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from store import clock
from store.access import SYSTEM, actor_for
from store.audit import DETAIL_MAX_CHARS, encode_detail, record
from store.audit_query import audit_trail
from store.db import read_session, write_session
from store.models import AuditLog
from store.staff import add_staff
from tests.factories import add_car, add_store
from tui.cli import app
from tui.cli.common import hoist_global_options

runner = CliRunner()


@pytest.fixture
def shop(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("DEALERDESK_KEY_FILE", str(tmp_path / "pii.key"))
    with write_session(engine) as s:
        store = add_store(s)
        add_staff(s, SYSTEM, store_id=store.id, code="M01", name="周建国", role="manager", pin="8888")
        add_car(s, store, plate="粤A12345", owner="张伟", phone="13812345678")
        store_id = store.id
    return engine, store_id


def trail(engine, store_id, day=None):
    """The day's rows by M01 (the first manager's own staff.add is the system's)."""
    day = day or clock.real_now().date()
    with read_session(engine) as s:
        return audit_trail(s, actor_for(s, "M01"), store_id=store_id, date_from=day, date_to=day, staff_code="M01")


def cli(db_url, *args, pin="8888", env=None):
    return runner.invoke(app, hoist_global_options(["--db", db_url, "--as", "M01", *args]),
                         env={"DEALERDESK_PIN": pin, **(env or {})})


def test_a_long_detail_is_cut_before_it_is_encoded_and_reads_back(shop):
    engine, store_id = shop
    name = "长" * 4000 + "[尾]"  # a 4,000-character catalog name
    with write_session(engine) as s:
        record(s, actor_for(s, "M01"), "catalog.set", "catalogitem", 1, store_id=store_id,
               detail={"code": "WASH", "name": name, "price_points": 30, "before": {"name": name}})
        record(s, actor_for(s, "M01"), "catalog.set", "catalogitem", 2, store_id=store_id,
               detail={"code": "MUG", "name": "杯子"})
    with read_session(engine) as s:
        stored = s.exec(select(AuditLog.detail).where(AuditLog.action == "catalog.set").order_by(AuditLog.id)).all()
    assert len(stored[0]) <= DETAIL_MAX_CHARS
    detail = json.loads(stored[0])  # whole JSON, cut inside its values only
    assert detail["code"] == "WASH" and detail["price_points"] == 30 and detail["_cut"] is True
    assert detail["name"].endswith("…") and name.startswith(detail["name"][:-1])
    assert detail["before"]["name"].endswith("…")
    assert json.loads(stored[1]) == {"code": "MUG", "name": "杯子"}  # what fits is stored whole
    assert [r.detail["code"] for r in trail(engine, store_id) if r.action == "catalog.set"] == ["WASH", "MUG"]


def test_encode_detail_keeps_whatever_fits_and_always_parses():
    small = {"reason": "在前台接待", "n": 3, "day": date(2026, 11, 22)}
    assert json.loads(encode_detail(small)) == {"reason": "在前台接待", "n": 3, "day": "2026-11-22"}
    assert encode_detail(None) is None and encode_detail({}) is None
    for detail in ({"a": "\x01" * 5000}, {"a": "甲" * 3000, "b": ["乙" * 3000, 1]}, {f"k{i}": "v" for i in range(900)}):
        text = encode_detail(detail)
        assert len(text) <= DETAIL_MAX_CHARS and json.loads(text)["_cut"] is True


def test_audit_reads_every_row_an_odd_detail_as_its_text(shop, db_url):
    engine, store_id = shop
    broken = '{"code": "WASH", "name": "长长长'  # cut inside its JSON by an older version
    with write_session(engine) as s:
        m01 = actor_for(s, "M01")
        for detail in (broken, "[bold red]not json[/", "[1, 2]"):
            s.add(AuditLog(at=clock.real_now(), store_id=store_id, staff_id=m01.staff_id, action="catalog.set",
                           entity="catalogitem", detail=detail))
        record(s, m01, "staff.add", "staff", 9, store_id=store_id, detail={"code": "[/]SA09", "role": "sa"})
    details = [r.detail for r in trail(engine, store_id)]
    assert details == [broken, "[bold red]not json[/", "[1, 2]", {"code": "[/]SA09", "role": "sa"}]
    day = clock.real_now().date().isoformat()
    for fmt in ("table", "csv", "json"):
        result = cli(db_url, "audit", "--from", day, "--to", day, "--staff", "M01", "--format", fmt,
                     env={"COLUMNS": "250"})
        assert result.exit_code == 0, (fmt, result.output)
        assert "长长长" in result.stdout and "not json" in result.stdout and "SA09" in result.stdout, fmt
    rows = json.loads(cli(db_url, "audit", "--from", day, "--to", day, "--staff", "M01", "--format", "json").stdout)
    assert rows[0]["detail"] == broken and rows[3]["detail"] == {"code": "[/]SA09", "role": "sa"}


def test_audit_rows_carry_the_machines_time_not_the_business_day(shop, db_url, tmp_path):
    engine, store_id = shop
    before = clock.real_now()
    out = cli(db_url, "--today", "2001-01-01", "export", "customers", "--out", str(tmp_path / "c.csv"))
    assert out.exit_code == 0, out.output
    clock.set_today(None)
    out = cli(db_url, "export", "customers", "--out", str(tmp_path / "d.csv"), env={"DEALERDESK_TODAY": "2099-06-01"})
    assert out.exit_code == 0, out.output
    with read_session(engine) as s:
        times = s.exec(select(AuditLog.at).where(AuditLog.action == "export.customers")).all()
    assert len(times) == 2
    for at in times:
        assert before - timedelta(seconds=1) <= at <= clock.real_now() + timedelta(seconds=1)
    assert [r.action for r in trail(engine, store_id)] == ["export.customers", "export.customers"]
    assert trail(engine, store_id, date(2001, 1, 1)) == [] and trail(engine, store_id, date(2099, 6, 1)) == []
