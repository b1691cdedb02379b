"""Insurance at its borders, on SQLite and Postgres: the renewal reminder's lead days
and expiry day, a policy expiring on a month's first and last day, a successor
starting on the last day of the grace and the day after, a late import (the
policies of a month already past), a renewal arriving in a later import, a policy
for a car the store does not know yet; and insurance exports in every shape and
every kind of broken file, as for the other imports."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from importers.pipeline import import_file
from store.access import SYSTEM
from store.care import care_tasks_for
from store.db import read_session, write_session
from store.insurance import SUCCESSOR_GRACE_DAYS
from store.models import CareTask, InsurancePolicy
from store.reports import Month
from store.reports.insurance import insurance_report
from tests.factories import add_car, add_store
from tests.import_files import delimited_bytes, html_bytes, write_bytes, write_xls, write_xlsx

HEADER = ["保单号", "车牌号", "保险公司", "险种", "起保日期", "终保日期", "保费", "是否本店出单"]
NOV = Month(2026, 11)


@pytest.fixture
def store_id(engine):
    with write_session(engine) as s:
        store = add_store(s)
        for i in range(1, 6):
            add_car(s, store, plate=f"粤A3000{i}", owner=f"车主{i}", phone=f"1381234000{i}")
        return store.id


def load(engine, store_id, tmp_path, rows, name="保单.xlsx"):
    result = import_file(engine, write_xlsx(tmp_path / name, [HEADER, *rows]), actor=SYSTEM, store_id=store_id)
    assert result.refused is None, result.refused
    return result


def summary(engine, store_id, month=NOV) -> dict:
    with read_session(engine) as s:
        return insurance_report(s, month=month, store_ids=[store_id]).sheet("summary").rows[0]


def insurance_tasks(engine, store_id, day) -> list[CareTask]:
    with write_session(engine) as s:
        care_tasks_for(s, date=day, store_id=store_id, actor=SYSTEM)
    with read_session(engine) as s:
        return list(s.exec(select(CareTask).where(CareTask.kind == "insurance")).all())


def test_the_reminder_comes_on_its_lead_day_and_not_a_day_before(engine, store_id, tmp_path):
    expiry = date(2026, 12, 31)
    load(engine, store_id, tmp_path, [["P1", "粤A30001", "人保", "商业险", "2026-01-01", expiry.isoformat(), "3000",
                                       "是"]])
    assert insurance_tasks(engine, store_id, expiry - timedelta(days=31)) == []
    (task,) = insurance_tasks(engine, store_id, expiry - timedelta(days=30))
    assert task.due_on == expiry - timedelta(days=30)


@pytest.mark.parametrize("expiry, made", [(date(2026, 11, 22), True), (date(2026, 11, 21), False)])
def test_a_late_import_still_reminds_on_the_expiry_day_not_after_it(engine, store_id, tmp_path, expiry, made):
    """Imported today (11-22): an expiry today is still ahead enough to call; yesterday's is past."""
    load(engine, store_id, tmp_path, [["P1", "粤A30001", "人保", "商业险", "", expiry.isoformat(), "3000", "是"]])
    tasks = insurance_tasks(engine, store_id, date(2026, 11, 22))
    assert [t.due_on for t in tasks] == ([date(2026, 11, 22)] if made else [])


def test_the_month_takes_policies_ending_on_its_first_and_last_day(engine, store_id, tmp_path):
    load(engine, store_id, tmp_path, [
        ["P1", "粤A30001", "人保", "商业险", "", "2026-10-31", "1000", "否"],  # October
        ["P2", "粤A30002", "人保", "商业险", "", "2026-11-01", "1000", "否"],  # first day
        ["P3", "粤A30003", "人保", "商业险", "", "2026-11-30", "1000", "否"],  # last day
        ["P4", "粤A30004", "人保", "商业险", "", "2026-12-01", "1000", "否"],  # December
    ])
    assert summary(engine, store_id)["policies_due"] == 2
    assert summary(engine, store_id, Month(2026, 10))["policies_due"] == 1


@pytest.mark.parametrize("late_days, renewed", [(SUCCESSOR_GRACE_DAYS, True), (SUCCESSOR_GRACE_DAYS + 1, False)])
def test_a_successor_within_the_grace_is_a_renewal_one_after_it_new_business(engine, store_id, tmp_path,
                                                                              late_days, renewed):
    end = date(2026, 11, 10)
    load(engine, store_id, tmp_path, [
        ["P1", "粤A30001", "人保", "商业险", "2025-11-11", end.isoformat(), "3000", "是"],
        ["P2", "粤A30001", "人保", "商业险", (end + timedelta(days=late_days)).isoformat(),
         (end + timedelta(days=late_days + 364)).isoformat(), "3100", "是"],
        ["P3", "粤A30001", "人保", "交强险", "2026-11-11", "2027-11-10", "950", "是"],  # another type: not P1's
    ])
    row = summary(engine, store_id)
    assert (row["policies_due"], row["renewed_here"]) == (1, 1 if renewed else 0)


def test_a_late_import_of_a_past_month_and_a_renewal_in_a_later_one(engine, store_id, tmp_path):
    """September's policies imported in November: the report of September has them;
    their renewals arrive in a second file and lift September's rate."""
    sept = Month(2026, 9)
    load(engine, store_id, tmp_path, [
        ["S1", "粤A30001", "人保", "商业险", "2025-09-06", "2026-09-05", "3000", "是"],
        ["S2", "粤A30002", "平安", "商业险", "2025-09-21", "2026-09-20", "2800", "否"],
    ], "九月.xlsx")
    row = summary(engine, store_id, sept)
    assert (row["policies_due"], row["insurance_rate"]) == (2, 0.0)
    load(engine, store_id, tmp_path, [
        ["S1-2026", "粤A30001", "人保", "商业险", "2026-09-06", "2027-09-05", "3,150.50", "是"],
        ["S2-2026", "粤A30002", "太平洋", "商业险", "2026-10-01", "2027-09-30", "2900", "否"],
    ], "续保.xlsx")
    row = summary(engine, store_id, sept)
    assert (row["renewed_here"], row["renewed_other"], row["insurance_rate"], str(row["premium_here"])) == (
        1, 1, 100.0, "3150.50")


def test_a_policy_for_an_unknown_car_waits_for_the_car(engine, store_id, tmp_path):
    rows = [["U1", "粤B99999", "人保", "商业险", "", "2026-11-15", "3000", "是"]]
    result = load(engine, store_id, tmp_path, rows)
    assert [(r.code, r.field) for r in result.rejected] == [("vehicle_unknown", "plate")]
    assert summary(engine, store_id)["policies_due"] == 0
    with write_session(engine) as s:
        from store.models import Store

        add_car(s, s.get(Store, store_id), plate="粤B99999", owner="新车主", phone="13900000000")
    again = load(engine, store_id, tmp_path, rows, "again.xlsx")
    assert again.inserted == 1 and not again.rejected
    assert summary(engine, store_id)["policies_due"] == 1


ROWS = [HEADER, ["F1", "粤A30001", "人保财险", "商业险", "2025-12-01", "2026-11-30", "3,200.00", "是"],
        [], ["F2", "粤A·30002", "平安产险", "交强险", "2025-12-01", "2026-11-30", "950", "否"],
        ["合计", "", "", "", "", "", "4,150.00", ""]]


@pytest.mark.parametrize("shape", ["xlsx", "xls", "gbk_csv", "bom_csv", "html_xls", "tsv_xls"])
def test_every_shape_of_an_insurance_export_reads_the_same(engine, store_id, tmp_path, shape):
    path = {
        "xlsx": lambda: write_xlsx(tmp_path / "a.xlsx", ROWS, title=["2026年保单明细"]),
        "xls": lambda: write_xls(tmp_path / "a.xls", ROWS, title=["2026年保单明细"]),
        "gbk_csv": lambda: write_bytes(tmp_path / "a.csv", delimited_bytes(ROWS, encoding="gbk")),
        "bom_csv": lambda: write_bytes(tmp_path / "a.csv", delimited_bytes(ROWS, encoding="utf-8-sig")),
        "html_xls": lambda: write_bytes(tmp_path / "a.xls", html_bytes(ROWS, title=["保单明细"])),
        "tsv_xls": lambda: write_bytes(tmp_path / "a.xls", delimited_bytes(ROWS, delimiter="\t", encoding="gb18030")),
    }[shape]()
    result = import_file(engine, path, actor=SYSTEM, store_id=store_id)
    assert result.refused is None and result.kind == "insurance", result.refused
    assert (result.inserted, result.rejected) == (2, [])
    with read_session(engine) as s:
        got = {p.policy_number: (p.kind, p.premium_fen, p.sold_by_store)
               for p in s.exec(select(InsurancePolicy)).all()}
    assert got == {"F1": ("commercial", 320_000, True), "F2": ("compulsory", 95_000, False)}


@pytest.mark.parametrize("data, why", [
    (b"", "is empty"), (bytes(range(256)) * 40, "neither a workbook nor text"), (b"PK\x03\x04" + b"\x00" * 200, "zip"),
    ("只是一行字".encode(), "single line"),
])
def test_broken_insurance_files_are_refused_with_a_reason(engine, store_id, tmp_path, data, why):
    result = import_file(engine, write_bytes(tmp_path / "bad.xlsx", data), actor=SYSTEM, store_id=store_id,
                         kind="insurance")
    assert result.refused and why in result.refused and result.inserted == 0
    with read_session(engine) as s:
        assert s.exec(select(InsurancePolicy)).all() == []


def test_a_header_alone_is_an_empty_export_and_a_missing_column_rejects_each_row(engine, store_id, tmp_path):
    empty = import_file(engine, write_bytes(tmp_path / "h.csv", "保单号,车牌号,险种,终保日期\n".encode()),
                        actor=SYSTEM, store_id=store_id, kind="insurance")
    assert (empty.refused, empty.inserted, empty.rejected) == (None, 0, [])
    no_end = import_file(engine, write_bytes(tmp_path / "n.csv", "保单号,车牌号,险种\nP1,粤A30001,商业险\n".encode()),
                         actor=SYSTEM, store_id=store_id, kind="insurance")
    assert [(r.row, r.field, r.code) for r in no_end.rejected] == [(2, "end_on", "date_missing")]
    with read_session(engine) as s:
        assert s.exec(select(InsurancePolicy)).all() == []
