"""``dealerdesk insurance add`` / ``insurance list`` and ``import --kind insurance``
as a person types them, on both backends; hostile text in a file stays text."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from store.db import write_session
from tests.cli_helpers import cli_args
from tests.factories import add_car, add_store
from tests.import_files import delimited_bytes, write_bytes
from tui.cli import app

runner = CliRunner()


def run(db_url, *args):
    return runner.invoke(app, cli_args(["--db", db_url, *args]))


def test_add_list_and_import_policies(engine, db_url, tmp_path):
    with write_session(engine) as s:
        add_car(s, add_store(s), plate="粤A12345")
    added = run(db_url, "insurance", "add", "粤A12345", "--policy", "PDZA1", "--insurer", "人保财险", "--type", "商业险",
                "--start", "2025-12-20", "--end", "2026-12-19", "--premium", "3200.50")
    assert added.exit_code == 0, added.output
    assert "PDZA1" in added.stdout and "inserted" in added.stdout
    evil = "\x1b[31m平安\x1b]0;owned\x07"
    path = write_bytes(tmp_path / "保单.csv", delimited_bytes([
        ["保单号", "车牌号", "保险公司", "险种", "起保日期", "终保日期", "保费", "是否本店出单"],
        ["PDAA1", "粤A12345", evil, "交强险", "2025-12-20", "2026-12-19", "950", "否"],
        ["PDAA2", "粤Z99999", "人保", "交强险", "2025-12-20", "2026-12-19", "950", "否"],
    ]))
    imported = run(db_url, "import", str(path), "--kind", "insurance")
    assert imported.exit_code == 0, imported.output
    assert "insurance policies export" in imported.stdout and "1 inserted" in imported.stdout
    assert "row 4" in imported.stdout and "粤Z99999" in imported.stdout
    listed = run(db_url, "insurance", "list", "粤a12345")
    assert listed.exit_code == 0 and "\x1b" not in listed.stdout and "\x07" not in listed.stdout
    assert "PDZA1" in listed.stdout and "3,200.50" in listed.stdout and "平安" in listed.stdout
    as_json = json.loads(run(db_url, "insurance", "list", "粤A12345", "--format", "json").stdout)
    assert {x["policy_number"] for x in as_json} == {"PDZA1", "PDAA1"}
    bad = run(db_url, "insurance", "add", "粤A12345", "--policy", "X", "--insurer", "人保", "--type", "意外险",
              "--end", "2026-12-19")
    assert bad.exit_code == 1 and "交强险" in bad.stderr
    unknown = run(db_url, "insurance", "list", "粤Z99999")
    assert unknown.exit_code == 1 and "粤Z99999" in unknown.stderr
