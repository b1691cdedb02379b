"""The annual inspection 年检: its due date imported from vehicle exports (年检到期日
and its spellings, or the store's own), else computed from the purchase date by the
store's inspection rules; the profile says which. Both backends."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from importers.pipeline import import_file
from store.access import SYSTEM
from store.db import read_session, write_session
from store.models import Store, Vehicle
from store.profile import customer_profile
from store.settings import set_setting
from tests.factories import add_car
from tests.import_files import write_xlsx


def car(engine, plate) -> Vehicle:
    with read_session(engine) as s:
        return s.execute(select(Vehicle).where(Vehicle.plate == plate)).scalar_one()


def profile(engine, plate):
    with read_session(engine) as s:
        return customer_profile(s, car(engine, plate).id, as_of=date(2026, 11, 22)).vehicle


@pytest.mark.parametrize("label", ["年检到期日", "年审日期", "年检日期", "检验有效期至"])
def test_a_vehicles_export_brings_the_inspection_date(engine, store_id, tmp_path, label):
    path = write_xlsx(tmp_path / "cars.xlsx", [["车牌号", "车型", "购车日期", label],
                                               ["粤A12345", "轩逸", "2018-03-01", "2027-03-31"]])
    result = import_file(engine, path, actor=SYSTEM, store_id=store_id)
    assert result.refused is None and result.unknown_columns == [] and result.rejected == []
    assert car(engine, "粤A12345").inspection_due == date(2027, 3, 31)
    shown = profile(engine, "粤A12345")
    assert (shown.inspection_due, shown.inspection_source) == (date(2027, 3, 31), "imported")


def test_a_store_spelling_and_a_bad_date(engine, store_id, tmp_path):
    with write_session(engine) as s:
        set_setting(s, "header_spellings", {"inspection_due": ["下次年检"]}, store_id=store_id)
    path = write_xlsx(tmp_path / "cars.xlsx", [["车牌号", "车型", "下次年检"], ["粤A12345", "轩逸", "2027-04-30"],
                                               ["粤B22222", "轩逸", "明年"]])
    result = import_file(engine, path, actor=SYSTEM, store_id=store_id)
    assert car(engine, "粤A12345").inspection_due == date(2027, 4, 30)
    assert [(r.field, r.code) for r in result.rejected] == [("inspection_due", "date_invalid")]


def test_without_a_recorded_date_it_is_computed_from_the_purchase(engine, store_id):
    with write_session(engine) as s:
        store = s.get(Store, store_id)
        add_car(s, store, plate="粤A12345", purchase_date=date(2020, 12, 10))  # 6 years on 2026-12-10
        add_car(s, store, plate="粤B22222", owner="李四", phone="13922223333", purchase_date=date(2024, 1, 5))
        add_car(s, store, plate="粤C33333", owner="王五", phone="13933334444", purchase_date=None)
    shown = profile(engine, "粤A12345")
    assert (shown.inspection_due, shown.inspection_source) == (date(2026, 12, 10), "computed")
    assert profile(engine, "粤B22222").inspection_due == date(2030, 1, 5)
    with write_session(engine) as s:
        set_setting(s, "inspection_first_year", 2, store_id=store_id)
    assert profile(engine, "粤B22222").inspection_due == date(2028, 1, 5)  # 2 years, then every 2
    assert profile(engine, "粤C33333").inspection_source is None


def test_entered_by_hand_and_back_to_computed(engine, store_id, db_url):
    from typer.testing import CliRunner

    from tests.cli_helpers import cli_args
    from tui.cli import app

    with write_session(engine) as s:
        add_car(s, s.get(Store, store_id), plate="粤A12345", purchase_date=date(2020, 12, 10))
    runner = CliRunner()
    done = runner.invoke(app, cli_args(["--db", db_url, "insurance", "inspection", "粤A12345", "--due", "2027-02-28"]))
    assert done.exit_code == 0, done.output
    shown = profile(engine, "粤A12345")
    assert (shown.inspection_due, shown.inspection_source) == (date(2027, 2, 28), "imported")
    back = runner.invoke(app, cli_args(["--db", db_url, "insurance", "inspection", "粤A12345", "--computed"]))
    assert back.exit_code == 0
    assert profile(engine, "粤A12345").inspection_source == "computed"
    neither = runner.invoke(app, cli_args(["--db", db_url, "insurance", "inspection", "粤A12345"]))
    assert neither.exit_code == 1 and "--due" in neither.stderr
