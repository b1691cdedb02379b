"""``report events`` 会员活动效果: the figures of one event on both backends, and
every format of the command line (table, CSV, JSON, a workbook with its charts)."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from openpyxl import load_workbook
from typer.testing import CliRunner

from store.db import read_session
from store.reports import Month
from store.reports.events import events_report
from tests.cli_helpers import cli_args
from tests.events_helpers import october_event
from tests.report_helpers import make_month
from tui.cli import app

OCT = Month(2026, 10)
runner = CliRunner()


def test_sign_ups_attendance_cost_points_and_the_90_days_around_the_event(engine):
    shop = make_month(engine)
    october_event(engine, shop)
    with read_session(engine) as s:
        book = events_report(s, date_from=OCT.first, date_to=OCT.last, store_ids=[shop.store_id])
    (row,) = book.sheets[0].rows
    assert (row["event"], row["signups"], row["attended"], row["attendance_rate"]) == ("安全驾驶讲堂", 2, 1, 50.0)
    assert (row["event_cost"], row["cost_per_attendee"], row["points_given"]) == (Decimal("300.00"),
                                                                                  Decimal("300.00"), 30)
    # 甲 (c1) came five times for ¥13,100 in the 90 days before 10-15, not since (to 11-22).
    assert (row["visits_before"], row["spend_before"], row["visits_after"], row["spend_after"]) == (
        5, Decimal("13100.00"), 0, Decimal("0.00"))
    assert row["days_after"] == 39
    with read_session(engine) as s:
        other = events_report(s, date_from=OCT.first, date_to=OCT.last, store_ids=[shop.other_store_id])
    assert other.sheets[0].rows == []


def test_every_format_of_the_command(sqlite_engine, tmp_path):
    shop = make_month(sqlite_engine)
    october_event(sqlite_engine, shop)
    db = sqlite_engine.url.render_as_string(hide_password=False)
    base = ("report", "events", "--from", "2026-10-01", "--to", "2026-10-31", "--store", "S01", "--db", db)
    table = runner.invoke(app, cli_args(base))
    assert table.exit_code == 0 and "会员活动效果" in table.output and "安全驾驶讲堂" in table.output
    rows = list(csv.DictReader(io.StringIO(runner.invoke(app, cli_args((*base, "--format", "csv", "--sheet", "events"))).output)))
    assert rows[0]["attendance_rate"] == "50.00" and rows[0]["cost_per_attendee"] == "300.00"
    doc = json.loads(runner.invoke(app, cli_args((*base, "--format", "json"))).output)
    assert doc["sheets"]["events"]["rows"][0]["points_given"] == 30
    out = tmp_path / "events.xlsx"
    done = runner.invoke(app, cli_args((*base, "--format", "xlsx", "--out", str(out))),
                         env={"DEALERDESK_LANGUAGE": "en"})
    assert done.exit_code == 0, done.output
    wb = load_workbook(out)
    assert wb.sheetnames == ["events", "notes"] and len(wb["events"]._charts) == 2
    bad = runner.invoke(app, cli_args(("report", "events", "--from", "2026-11-01", "--to", "2026-10-01", "--db", db)))
    assert bad.exit_code == 1 and "--from is after --to" in bad.output
