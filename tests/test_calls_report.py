"""Did it work: the call report's counts and the before/after comparison, worked out
by hand; and the commands (adopt, calls, calls log, arrivals, report calls) as a
script would use them. SQLite and Postgres."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from store.calls import log_call
from store.db import read_session, write_session
from store.models import Adoption, Appointment, CallLog, Visit
from store.reports.calls import calls_report
from tests.calls_helpers import TODAY, add_to_shop, adopt, make_shop
from tui.cli import app
from tests.cli_helpers import cli_args

D = TODAY
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, cli_args(args))


def visit(s, shop, plate, day, total, oil, sa="王伟", ro=None, kind="repair"):
    s.add(Visit(store_id=shop.store_id, vehicle_id=shop.cars[plate], ro_number=ro or f"R{plate[-5:]}{day:%m%d}{total}",
                date_in=day, repair_type=kind, total_fen=total * 100, oil_fen=oil * 100, sa_name=sa))


@pytest.fixture
def shop(engine):
    shop = make_shop(engine)
    with write_session(engine) as s:
        # A maintenance each (by nobody on the staff): due 11-01 (overdue), 12-01 (due soon), later, later.
        for plate, maintained in (("粤A00001", date(2026, 5, 1)), ("粤A00002", date(2026, 6, 1)),
                                  ("粤A00003", date(2026, 9, 1)), ("粤A00005", date(2026, 7, 1))):
            add_to_shop(s, shop, plate=plate, owner="车主" + plate[-1], visits=[])
            visit(s, shop, plate, maintained, 400, 100, sa="赵师傅", kind="maintenance")
        # 王伟's repair orders: before his adoption (from 2026-10-01) and after.
        visit(s, shop, "粤A00001", date(2026, 8, 8), 5000, 0)  # one day before the "before" period
        visit(s, shop, "粤A00001", date(2026, 8, 9), 1000, 100)  # its first day
        visit(s, shop, "粤A00002", date(2026, 9, 30), 500, 0)  # its last day
        visit(s, shop, "粤A00002", date(2026, 10, 1), 2000, 800)  # the first day after
        visit(s, shop, "粤A00003", D, 1000, 200)
        visit(s, shop, "粤A00003", D, 700, 0, sa="李娜", ro="RLI")  # someone else's order
    adopt(engine, shop, "0-4:王伟", as_of=date(2026, 10, 1))
    adopt(engine, shop, "0-4:王伟,5-9:李娜", as_of=date(2026, 11, 1))
    return shop


def call(engine, actor, shop, plate, outcome, **kw):
    with write_session(engine) as s:
        return log_call(s, actor, customer_id=shop.customers[plate], vehicle_id=shop.cars[plate], outcome=outcome,
                        **kw)


def test_calls_reached_booked_showed_and_before_after_per_sa(engine, shop):
    call(engine, shop.wang, shop, "粤A00001", "booked", appointment_at=datetime(2026, 11, 25, 9, 0))
    call(engine, shop.wang, shop, "粤A00002", "booked", appointment_at=datetime(2026, 11, 26, 9, 0))
    call(engine, shop.wang, shop, "粤A00003", "no_answer")
    call(engine, shop.li, shop, "粤A00005", "refused", reason="价格")
    with write_session(engine) as s:
        visit(s, shop, "粤A00001", date(2026, 11, 28), 800, 300, ro="SHOW1")  # 3 days after: showed
        visit(s, shop, "粤A00002", date(2026, 11, 30), 800, 300, ro="SHOW2")  # 4 days after: did not
    with read_session(engine) as s:
        report = calls_report(s, date_from=date(2026, 10, 1), date_to=D, by=["sa"])
    rows = {r["sa"]: r for r in report.rows}
    wang, li = rows["王伟"], rows["李娜"]
    assert (wang["adopted"], wang["calls"], wang["reached"], wang["booked"], wang["showed"]) == (3, 3, 2, 2, 1)
    assert (wang["reach_rate"], wang["book_rate"], wang["show_rate"]) == (66.67, 100.0, 50.0)
    assert (wang["adopted_since"], wang["compare_days"]) == (date(2026, 10, 1), 53)
    assert (wang["output_before"], wang["output_after"]) == (1500, 3000)
    assert (wang["oil_share_before"], wang["oil_share_after"]) == (6.67, 33.33)
    assert (li["adopted"], li["calls"], li["reached"], li["booked"]) == (1, 1, 1, 0)
    # 李娜 from 11-01: 22 days after, 22 before; her one order is today.
    assert (li["adopted_since"], li["compare_days"], li["output_before"], li["output_after"]) == (
        date(2026, 11, 1), 22, 0, 700)
    assert report.total["calls"] == 4 and report.total["output_after"] == 3700
    with read_session(engine) as s:
        total = calls_report(s, date_from=date(2026, 10, 1), date_to=D)
    assert len(total.rows) == 1 and total.rows[0]["calls"] == 4 and "sa" not in total.columns
    with read_session(engine) as s:
        later = calls_report(s, date_from=D + timedelta(days=1), date_to=D + timedelta(days=30), by=["sa"])
    assert {r["sa"]: r["calls"] for r in later.rows} == {"王伟": 0, "李娜": 0}


def test_the_commands_end_to_end(engine, db_url, shop):
    base = ["--db", db_url, "--today", "2026-11-22"]
    r = run("adopt", "--by-plate-digit", "0-4:李娜,5-9:王伟", "--dry-run", "--format", "json", *base)
    assert r.exit_code == 0, r.output
    plan = json.loads(r.output)
    assert plan["applied"] is False and len(plan["moved"]) == 4 and plan["per_staff"] == {"李娜": 3, "王伟": 1}
    r = run("adopt", "move", "粤A00001", "--to", "SA02", *base)
    assert r.exit_code == 0 and "王伟 → 李娜" in r.output
    with read_session(engine) as s:
        assert len(s.exec(select(Adoption).where(Adoption.vehicle_id == shop.cars["粤A00001"])).all()) == 2
    r = run("adopt", "move", "粤A00001", "--to", "nobody", *base)
    assert r.exit_code == 1 and "no active staff" in r.output
    r = run("adopt", "--by-plate-digit", "0-4:王伟,4:李娜", *base)
    assert r.exit_code == 1 and "digit 4 is given twice" in r.output
    r = run("adopt", "list", "--format", "json", *base)
    assert {x["staff"]: x["cars"] for x in json.loads(r.output)} == {"王伟": 2, "李娜": 2, "(unassigned)": 0}

    r = run("calls", "--sa", "王伟", "--format", "json", *base)
    assert r.exit_code == 0, r.output
    day = json.loads(r.output)
    assert (day["staff"], day["done"], day["total"]) == ("王伟", 0, 1)
    assert day["rows"][0]["plates"] == ["粤A00002"] and day["rows"][0]["reason_codes"] == ["due_soon"]
    r = run("calls", "log", "粤A00002", "--outcome", "booked", "--at", "11-24 10:30", *base)
    assert r.exit_code == 0 and "2026-11-24 10:30" in r.output, r.output
    with read_session(engine) as s:
        c = s.exec(select(CallLog)).one()
        assert c.staff_id == shop.wang.staff_id  # the adopting SA, when the system logs it
        assert s.exec(select(Appointment)).one().at == datetime(2026, 11, 24, 10, 30)
    r = run("calls", "--sa", "SA01", "--format", "json", *base)
    assert (json.loads(r.output)["done"], json.loads(r.output)["total"]) == (1, 1)
    r = run("arrivals", "--date", "2026-11-24", "--format", "json", *base)
    assert [(a["plate"], a["at"]) for a in json.loads(r.output)] == [("粤A00002", "2026-11-24T10:30")]
    r = run("calls", "log", "粤A00003", "--outcome", "refused", *base)
    assert r.exit_code == 1 and "say why" in r.output
    r = run("report", "calls", "--from", "2026-11-01", "--to", "2026-11-30", "--by", "sa", "--format", "csv", *base)
    assert r.exit_code == 0, r.output
    rows = {x["sa"]: x for x in csv.DictReader(io.StringIO(r.output))}
    assert rows["王伟"]["calls"] == "1" and rows["王伟"]["booked"] == "1"
    r = run("report", "calls", "--from", "2026-11-30", "--to", "2026-11-01", *base)
    assert r.exit_code == 1 and "before" in r.output
