"""``dealerdesk import`` as a script (and a manager) would use it."""

from __future__ import annotations

import json

from openpyxl import load_workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from store.db import read_session, write_session
from store.models import Store, Vehicle, Visit
from tests.factories import add_store
from tests.import_files import VISIT_HEADER, delimited_bytes, html_bytes, visit, write_bytes, write_xlsx
from tui.cli import app
from tests.cli_helpers import cli_args
from tui.cli.common import hoist_global_options

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, cli_args(args))


def counts(engine) -> tuple[int, int]:
    with read_session(engine) as s:
        return (s.execute(select(func.count()).select_from(Vehicle)).scalar_one(),
                s.execute(select(func.count()).select_from(Visit)).scalar_one())


def test_json_summary_one_object_per_file(engine, db_url, tmp_path):
    with write_session(engine) as s:
        add_store(s)
    ro = write_xlsx(tmp_path / "工单.xlsx", [VISIT_HEADER, visit("RO1", "粤A12345"),
                                              visit("RO2", "粤A12345", day="2026-02-30")])
    cars = write_bytes(tmp_path / "车辆.xls", html_bytes([["车牌号", "车架号", "车主", "手机"],
                                                          ["粤B77777", "LGBH52E01CY000002", "李娜", "13900001234"]]))
    result = run("import", str(ro), str(cars), "--format", "json", "--db", db_url)
    assert result.exit_code == 0, result.output
    first, second = json.loads(result.stdout)
    assert {k: first[k] for k in ("file", "kind", "format", "rows", "inserted", "updated", "unchanged")} == {
        "file": str(ro), "kind": "visits", "format": "xlsx", "rows": 2, "inserted": 1, "updated": 0, "unchanged": 0}
    assert [{k: r[k] for k in ("row", "field", "reason")} for r in first["rejected"]] == [
        {"row": 5, "field": "date_in", "reason": "'2026-02-30' is not a date"}]
    assert (second["kind"], second["format"], second["inserted"], second["rejected"]) == ("vehicles", "html", 1, [])
    assert counts(engine) == (2, 1)
    again = json.loads(run("import", str(ro), "--format", "json", "--db", db_url).stdout)
    assert (again[0]["inserted"], again[0]["unchanged"]) == (0, 1)


def test_a_refused_file_is_one_line_exit_1_and_nothing_from_it(engine, db_url, tmp_path):
    with write_session(engine) as s:
        add_store(s)
    bad = write_bytes(tmp_path / "export.xls", b"%PDF-1.7 not a table")
    good = write_bytes(tmp_path / "ok.csv", delimited_bytes([VISIT_HEADER, visit("RO1", "粤A12345")]))
    result = run("import", str(bad), str(good), "--db", db_url)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [f"dealerdesk: {bad}: is a PDF document, not a table"]
    assert "1 inserted" in result.stdout  # the good file still went in
    assert counts(engine) == (1, 1)


def test_rejects_workbook_lists_every_bad_row(engine, db_url, tmp_path):
    with write_session(engine) as s:
        add_store(s)
    path = write_bytes(tmp_path / "ro.csv", delimited_bytes(
        [VISIT_HEADER, visit("RO1", ""), visit("RO2", "粤A12345", parts="abc"), visit("RO3", "粤A12345")],
        encoding="gbk"))
    out = tmp_path / "rejects.xlsx"
    result = run("import", str(path), "--rejects", str(out), "--db", db_url)
    assert result.exit_code == 0, result.output
    assert "row 3: 车牌号 (plate): the plate is missing" in result.stdout
    assert "row 4: 材料费 (parts): 'abc' is not an amount" in result.stdout
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert rows[1:] == [(str(path), 3, "车牌号", "plate", None, "the plate is missing"),
                        (str(path), 4, "材料费", "parts", "abc", "'abc' is not an amount")]


def test_the_first_good_file_into_an_empty_database_creates_the_store(tmp_path):
    from store.db import open_engine

    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    bad = write_bytes(tmp_path / "bad.csv", b"")
    refused = run("import", str(bad), "--store", "GZ02", "--db", url)
    assert refused.exit_code == 1 and "created store" not in refused.stdout
    with read_session(open_engine(url)) as s:
        assert s.execute(select(Store)).first() is None  # a refused file writes nothing, not even a store
    path = write_xlsx(tmp_path / "ro.xlsx", [VISIT_HEADER, visit("RO1", "粤A12345")])
    result = run("import", str(bad), str(path), str(path), "--store", "GZ02", "--db", url)
    assert result.exit_code == 1
    assert result.stdout.count("created store GZ02") == 1
    with read_session(open_engine(url)) as s:
        assert [st.code for st in s.execute(select(Store)).scalars()] == ["GZ02"]
        assert s.execute(select(func.count()).select_from(Visit)).scalar_one() == 1


def test_kind_must_match_the_headers(engine, db_url, tmp_path):
    with write_session(engine) as s:
        add_store(s)
    path = write_xlsx(tmp_path / "cars.xlsx", [["车牌号", "车主"], ["粤A12345", "张伟"]])
    result = run("import", str(path), "--kind", "visits", "--db", db_url)
    assert result.exit_code == 1
    assert "no RO number column" in result.stderr
    assert counts(engine) == (0, 0)


def _group_folder(tmp_path):
    """exports/GZ01 and exports/SZ02 (two stores), exports/XX09 (no such store), a
    file outside any store's folder."""
    root = tmp_path / "exports"
    for code, ros in (("GZ01", ["G1", "G2"]), ("SZ02", ["S1"]), ("XX09", ["X1"])):
        (root / code).mkdir(parents=True)
        write_xlsx(root / code / "工单.xlsx", [VISIT_HEADER, *(visit(ro, "粤A12345") for ro in ros)])
    write_xlsx(root / "loose.xlsx", [VISIT_HEADER, visit("L1", "粤A12345")])
    return root


def test_a_groups_folder_goes_into_each_store_with_a_summary_per_store(engine, db_url, tmp_path):
    from store.access import SYSTEM
    from store.stores import add_store as add_group_store

    with write_session(engine) as s:
        gz = add_group_store(s, actor=SYSTEM, code="GZ01", name="广州一店").id
        sz = add_group_store(s, actor=SYSTEM, code="SZ02", name="深圳二店").id
    root = _group_folder(tmp_path)
    result = run("import", str(root), "--store-per-folder", "--format", "json", "--db", db_url)
    assert result.exit_code == 1  # two files refused, the rest in
    out = json.loads(result.stdout)
    stores = {s["store"]: s for s in out["stores"]}
    assert (stores["GZ01"]["inserted"], stores["SZ02"]["inserted"], stores["XX09"]["refused"]) == (2, 1, 1)
    refused = {f["file"].split("/")[-2]: f["refused"] for f in out["files"] if "refused" in f}
    assert "no store with code 'XX09'" in refused["XX09"] and "dealerdesk store add XX09" in refused["XX09"]
    assert "not in a store's folder" in refused["exports"]
    with read_session(engine) as s:
        by_store = dict(s.execute(select(Visit.store_id, func.count()).group_by(Visit.store_id)).all())
    assert by_store == {gz: 2, sz: 1}
    again = run("import", str(root), "--store-per-folder", "--db", db_url)
    assert "by store" in again.stdout and "GZ01" in again.stdout
    assert counts(engine)[1] == 3  # nothing twice


def test_a_store_manager_loads_only_their_own_stores_folder(engine, db_url, tmp_path, monkeypatch):
    from store.access import SYSTEM
    from store.staff import add_staff
    from store.stores import add_store as add_group_store

    with write_session(engine) as s:
        gz = add_group_store(s, actor=SYSTEM, code="GZ01", name="广州一店").id
        add_group_store(s, actor=SYSTEM, code="SZ02", name="深圳二店")
        add_staff(s, SYSTEM, store_id=gz, code="M01", name="周建国", role="manager", pin="8888")
    root = _group_folder(tmp_path)
    monkeypatch.setenv("DEALERDESK_PIN", "8888")
    result = runner.invoke(app, hoist_global_options(["--db", db_url, "--as", "M01", "import", str(root),
                                                      "--store-per-folder", "--format", "json"]))
    out = json.loads(result.stdout)
    stores = {s["store"]: s for s in out["stores"]}
    assert stores["GZ01"]["inserted"] == 2 and stores["SZ02"]["refused"] == 1 and stores["SZ02"]["inserted"] == 0
    assert counts(engine)[1] == 2
