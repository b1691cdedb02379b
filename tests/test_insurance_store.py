"""Insurance policies 保单 as history, on SQLite and Postgres: what an insurance
export leaves in the database (every policy of a car, the car's expiry following
its latest one), that the same export twice changes nothing and a corrected row
updates, what bad rows and a policy for an unknown car get, and the hand entry."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from importers.pipeline import import_file
from store.access import SYSTEM, AccessDenied, Actor
from store.db import in_transaction, read_session, write_session
from store.insurance import UnknownVehicle, list_policies, record_policy
from store.models import InsurancePolicy, Vehicle
from store.settings import set_setting
from store.validation import FieldError
from tests.factories import add_car, add_store
from tests.import_files import delimited_bytes, write_bytes, write_xlsx

HEADER = ["保单号", "车牌号", "车架号", "保险公司", "险种", "起保日期", "终保日期", "保费", "是否本店出单"]
VIN = "LGBH52E01CY000001"


def policy(number, plate="粤A12345", vin="", insurer="人保财险", kind="商业险", start="2025-12-20",
           end="2026-12-19", premium="3,200.50", sold="是"):
    return [number, plate, vin, insurer, kind, start, end, premium, sold]


@pytest.fixture
def shop(engine):
    with write_session(engine) as s:
        store = add_store(s)
        add_car(s, store, plate="粤A12345", vin=VIN)
        add_car(s, store, plate="粤B22222", owner="李四", phone="13922223333")
        return store.id


def policies(engine) -> dict[str, InsurancePolicy]:
    with read_session(engine) as s:
        return {p.policy_number: p for p in s.execute(select(InsurancePolicy)).scalars()}


def expiry(engine, plate) -> date | None:
    with read_session(engine) as s:
        return s.execute(select(Vehicle.insurance_expiry).where(Vehicle.plate == plate)).scalar_one()


def test_an_insurance_export_keeps_every_policy_and_the_car_follows_its_latest(engine, shop, tmp_path):
    path = write_xlsx(tmp_path / "保单.xlsx", [
        HEADER,
        policy("PDAA2025001", kind="交强险", start="2025-12-20", end="2026-12-19", premium="950", sold="否"),
        policy("PDZA2025001", start="2025-12-20", end="2026-12-19"),
        policy("PDZA2024001", start="2024-12-20", end="2025-12-19", premium="3000", insurer="平安产险"),
        policy("PDZA2026009", plate="", vin=VIN.lower(), start="2026-12-20", end="2027-12-19", premium="2800"),
    ], title=["2026年保单明细"])
    result = import_file(engine, path, actor=SYSTEM, store_id=shop)
    assert result.refused is None and result.kind == "insurance"
    assert (result.inserted, result.updated, result.unchanged, result.rejected) == (4, 0, 0, [])
    got = policies(engine)
    assert got["PDAA2025001"].kind == "compulsory" and got["PDAA2025001"].premium_fen == 95_000
    assert got["PDAA2025001"].sold_by_store is False
    assert got["PDZA2025001"].kind == "commercial" and got["PDZA2025001"].premium_fen == 320_050
    assert got["PDZA2025001"].sold_by_store is True and got["PDZA2025001"].insurer == "人保财险"
    assert got["PDZA2024001"].end_on == date(2025, 12, 19)
    assert len({p.vehicle_id for p in got.values()}) == 1  # found by plate and by VIN alike
    assert expiry(engine, "粤A12345") == date(2027, 12, 19)
    with read_session(engine) as s:
        lines = list_policies(s, store_id=shop, plate="粤a12345", actor=SYSTEM)
    assert [x.policy_number for x in lines][0] == "PDZA2026009" and len(lines) == 4


def test_the_same_export_twice_changes_nothing_and_a_corrected_row_updates(engine, shop, tmp_path):
    rows = [HEADER, policy("P1", end="2026-12-19"), policy("P2", plate="粤B22222", end="2027-01-05")]
    first = import_file(engine, write_bytes(tmp_path / "a.csv", delimited_bytes(rows)), actor=SYSTEM, store_id=shop)
    assert first.inserted == 2
    again = import_file(engine, write_bytes(tmp_path / "b.csv", delimited_bytes(rows)), actor=SYSTEM, store_id=shop)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    assert len(policies(engine)) == 2
    rows[2] = policy("P2", plate="粤B22222", end="2027-02-05", premium="4100")
    fixed = import_file(engine, write_bytes(tmp_path / "c.csv", delimited_bytes(rows, encoding="gbk")),
                        actor=SYSTEM, store_id=shop)
    assert (fixed.inserted, fixed.updated, fixed.unchanged) == (0, 1, 1)
    assert policies(engine)["P2"].premium_fen == 410_000
    assert expiry(engine, "粤B22222") == date(2027, 2, 5)


def test_a_renewal_in_a_later_import_moves_the_expiry(engine, shop, tmp_path):
    import_file(engine, write_xlsx(tmp_path / "a.xlsx", [HEADER, policy("P1", end="2026-12-19")]),
                actor=SYSTEM, store_id=shop)
    assert expiry(engine, "粤A12345") == date(2026, 12, 19)
    import_file(engine, write_xlsx(tmp_path / "b.xlsx", [HEADER, policy("P9", start="2026-12-20", end="2027-12-19")]),
                actor=SYSTEM, store_id=shop)
    assert expiry(engine, "粤A12345") == date(2027, 12, 19)
    assert set(policies(engine)) == {"P1", "P9"}


def test_bad_rows_and_unknown_cars_are_rejected_with_row_field_and_reason(engine, shop, tmp_path):
    path = write_xlsx(tmp_path / "bad.xlsx", [
        HEADER,
        policy("OK1"),
        policy("", end="2026-13-40"),  # row 5: no number, a date that is none
        policy("X2", kind="意外险"),  # row 6
        policy("X3", plate="粤Z99999"),  # row 7: no such car
        policy("X4", plate="", vin=""),  # row 8
        policy("X5", start="2026-12-01", end="2026-11-01", premium="abc", sold="也许"),  # row 9
    ])
    result = import_file(engine, path, actor=SYSTEM, store_id=shop)
    assert result.inserted == 1 and set(policies(engine)) == {"OK1"}
    got = {(r.row, r.field, r.code) for r in result.rejected}
    assert {(5, "policy_number", "policy_missing"), (5, "end_on", "date_invalid"),
            (6, "policy_kind", "kind_invalid"), (7, "plate", "vehicle_unknown"), (8, "plate", "plate_missing"),
            (9, "end_on", "date_order"), (9, "premium", "amount_invalid"),
            (9, "sold_by_store", "flag_invalid")} == got
    unknown = next(r for r in result.rejected if r.code == "vehicle_unknown")
    assert "粤Z99999" in unknown.reason and "import the vehicles first" in unknown.reason
    assert unknown.column == "车牌号"


def test_store_spellings_and_a_file_without_policy_numbers(engine, shop, tmp_path):
    with write_session(engine) as s:
        set_setting(s, "header_spellings", {"policy_number": ["投保单据编号"]}, store_id=shop)
    header = ["投保单据编号", "车牌", "保险公司", "险种", "起保日期", "到期日期", "保费"]
    path = write_xlsx(tmp_path / "own.xlsx", [header, ["Q1", "粤B22222", "太平洋", "交强", "2026-01-01", "2026-12-31",
                                                      "950"]])
    result = import_file(engine, path, actor=SYSTEM, store_id=shop)
    assert result.kind == "insurance" and result.inserted == 1
    assert policies(engine)["Q1"].kind == "compulsory" and policies(engine)["Q1"].sold_by_store is False
    plain = write_xlsx(tmp_path / "cars.xlsx", [["车牌号", "车型"], ["粤B22222", "轩逸"]])
    refused = import_file(engine, plain, actor=SYSTEM, store_id=shop, kind="insurance")
    assert refused.refused_code == "not_insurance" and "保单号" in refused.refused


def test_a_policy_entered_by_hand_and_corrected(engine, shop):
    sa = Actor(None, "王伟", "sa", shop)

    def add(**kw):
        args = dict(store_id=shop, plate="粤B22222", policy_number="H1", insurer="人保", kind="商业险",
                    start_on=date(2026, 1, 1), end_on=date(2026, 12, 31), premium_fen=300_000, sold_by_store=True,
                    actor=sa)
        return in_transaction(engine, lambda s: record_policy(s, **{**args, **kw}))

    assert add()[0] == "inserted"
    assert add()[0] == "unchanged"
    what, line = add(end_on=date(2027, 1, 31), premium_fen=310_000)
    assert what == "updated" and line.source == "hand"
    assert expiry(engine, "粤B22222") == date(2027, 1, 31)
    with pytest.raises(FieldError):
        add(kind="意外险")
    with pytest.raises(UnknownVehicle):
        add(plate="粤Z99999")
    with pytest.raises(AccessDenied):
        add(actor=Actor(None, "分析", "analyst", shop))
    with read_session(engine) as s:
        assert s.execute(select(func.count()).select_from(InsurancePolicy)).scalar_one() == 1


def test_a_vehicles_export_with_a_stale_expiry_does_not_undo_the_latest_policy(engine, shop, tmp_path):
    import_file(engine, write_xlsx(tmp_path / "p.xlsx", [HEADER, policy("P1", end="2027-03-01")]),
                actor=SYSTEM, store_id=shop)
    cars = write_xlsx(tmp_path / "cars.xlsx", [["车牌号", "车型", "保险到期日"], ["粤A12345", "轩逸", "2026-03-01"],
                                               ["粤B22222", "轩逸", "2026-05-01"]])
    result = import_file(engine, cars, actor=SYSTEM, store_id=shop)
    assert result.refused is None
    assert expiry(engine, "粤A12345") == date(2027, 3, 1)
    assert expiry(engine, "粤B22222") == date(2026, 5, 1)  # no policy: the export's date
