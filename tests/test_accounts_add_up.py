"""The club's accounts add up, on both backends: every cost and income is on a line of
the detail it is totalled from, whatever department it was entered under; every sheet
of the costs report (and every sheet of the KPIs with a total) sums to its total; and
money in JSON is an exact decimal string, never a float."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from typer.testing import CliRunner

from store import clock
from store.club_ledger import add_entry
from store.db import read_session
from store.reports import Month
from store.reports.costs import DEPARTMENTS, costs_report
from store.reports.members import members_report
from tests.cli_helpers import cli_args
from tests.club_helpers import tx
from tests.conftest import TODAY
from tests.report_helpers import make_month
from tui.cli import app

OCT = Month(2026, 10)
ZERO = Decimal("0.00")


def _shop_with_costs_everywhere(engine):
    shop = make_month(engine)
    manager = shop.manager
    clock.set_today(date(2026, 10, 28))
    for dept, category, fen in (("aftersales", "gift", 300_00), ("accessories", "reward", 123_45),
                                ("aftersales", "other", 19_99), ("club", "activity", 88_00)):
        tx(engine, lambda s, d=dept, c=category, f=fen: add_entry(
            s, store_id=shop.store_id, kind="cost", category=c, amount_fen=f, department=d, actor=manager,
            key=f"{d}-{c}"))
    clock.set_today(TODAY)
    return shop


def _sum(rows, column) -> Decimal:
    return sum((r[column] for r in rows if r[column] is not None), ZERO)


def test_every_sheet_of_the_costs_report_sums_to_its_totals(engine):
    shop = _shop_with_costs_everywhere(engine)
    with read_session(engine) as s:
        book = costs_report(s, month=OCT, store_ids=[shop.store_id])
    balance, lines, departments, trend = (book.sheet(k) for k in ("balance", "lines", "departments", "trend"))
    (b,) = balance.rows
    assert b["closing"] == b["opening"] + b["income"] - b["costs"]
    # The detail: each department's lines sum to that department's costs, all of them to the total.
    assert _sum(lines.rows, "income") == lines.total["income"] == b["income"]
    assert _sum(lines.rows, "cost") == lines.total["cost"] == b["costs"]
    by_dept = {d["department"]: d["costs"] for d in departments.rows}
    for dept in DEPARTMENTS:
        assert _sum([r for r in lines.rows if r["department"] == dept], "cost") == by_dept[dept], dept
    assert sum(by_dept.values(), ZERO) == departments.total["costs"] == b["costs"]
    assert round(sum(d["share"] for d in departments.rows), 1) == 100.0
    # The costs entered under after-sales and accessories are lines of their own there.
    shown = {(r["department"], r["line"]): r["cost"] for r in lines.rows}
    assert shown[("aftersales", "gifts")] == Decimal("300.00") and shown[("aftersales", "other")] == Decimal("19.99")
    assert shown[("accessories", "rewards")] == Decimal("123.45") and shown[("club", "activity")] == Decimal("88.00")
    # The trend: each month's closing from its opening, the next month opening on it,
    # the departments adding up to the month's costs.
    for before, row in zip(trend.rows, trend.rows[1:]):
        assert row["opening"] == before["closing"]
    for row in trend.rows:
        assert row["closing"] == row["opening"] + row["income"] - row["costs"]
        assert sum((row[d] for d in DEPARTMENTS), ZERO) == row["costs"]
    assert trend.rows[-1]["closing"] == b["closing"]


def test_every_kpi_sheet_with_a_total_sums_to_it(engine):
    shop = make_month(engine)
    with read_session(engine) as s:
        book = members_report(s, month=OCT, store_ids=[shop.store_id])
    by_class = book.sheet("new_by_class")
    assert sum(r["members"] for r in by_class.rows) == by_class.total["members"]
    staff = book.sheet("staff")
    for column in ("pitches", "bookings"):
        assert sum(r[column] for r in staff.rows) == staff.total[column]
    spend = book.sheet("spend")
    assert _sum(spend.rows, "spend") == spend.total["spend"]
    assert sum(r["visits"] for r in spend.rows) == spend.total["visits"]


def test_money_in_json_is_an_exact_decimal_string(engine, db_url):
    _shop_with_costs_everywhere(engine)
    clock.set_today(TODAY)
    result = CliRunner().invoke(app, cli_args(["report", "costs", "--month", "2026-10", "--store", "S01",
                                               "--format", "json", "--db", db_url]))
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    lines = doc["sheets"]["lines"]
    costs = [r["cost"] for r in lines["rows"] if r["cost"] is not None]
    assert all(isinstance(c, str) and Decimal(c) == Decimal(c).quantize(Decimal("0.01")) for c in costs)
    assert sum(Decimal(c) for c in costs) == Decimal(lines["total"]["cost"])
    floats = [(k, v) for sheet in doc["sheets"].values() for row in sheet["rows"] for k, v in row.items()
              if isinstance(v, float) and k != "share"]
    assert floats == []  # only shares (percent) are numbers with a point
