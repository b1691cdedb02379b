"""The command line as a script would use it."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from store.db import write_session
from tests.factories import add_car, add_store
from tui.cli import app
from tests.cli_helpers import cli_args

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, cli_args(args))


def test_lookup_json_lists_matching_vehicles(engine, db_url):
    with write_session(engine) as s:
        store = add_store(s)
        add_car(s, store, plate="粤A12345", owner="张伟", phone="13812345678",
                visits=[("RO1", date(2026, 9, 1), 800)])
    result = run("lookup", "A123", "--format", "json", "--db", db_url)
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)
    assert row["plate"] == "粤A12345"
    assert row["owner"] == "张伟"
    assert row["phone"] == "138****5678"
    assert row["visits"] == 1 and row["last_visit"] == "2026-09-01"
    assert row["class"] == "general" and row["tier"] is None and row["points"] == 0
    assert row["class_reason"] == "last visit 2 months ago; 1 visit, ¥800 in 12 months"
    assert {"vin", "model"} <= set(row)


def test_lookup_no_match_is_an_empty_list(engine, db_url):
    result = run("lookup", "Q9Q9", "--format", "json", "--db", db_url)
    assert result.exit_code == 0
    assert json.loads(result.output) == []


def test_demo_command_then_lookup(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    result = run("demo", "--db", url, "--vehicles", "50", "--seed", "1", "--today", "2026-11-22")
    assert result.exit_code == 0, result.output
    assert "50 vehicles" in result.output
    again = run("demo", "--db", url, "--vehicles", "50")
    assert again.exit_code == 1
    assert "already" in again.output


def test_bad_today_is_one_clear_line(tmp_path):
    result = run("lookup", "A1", "--today", "2026-13-45", "--db", f"sqlite:///{tmp_path / 'x.sqlite'}")
    assert result.exit_code == 1
    assert "--today" in result.output


def test_postgres_behind_its_schema_is_refused_until_db_upgrade(tmp_path):
    # An SQLite file upgrades itself; asking for no auto-upgrade shows the message Postgres users get.
    from store.db import DatabaseError, make_engine, open_engine

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    make_engine(url).dispose()
    try:
        open_engine(url, auto_upgrade=False)
    except DatabaseError as exc:
        assert "dealerdesk db upgrade" in str(exc)
    else:
        raise AssertionError("an empty database must be refused without an upgrade")
    assert run("db", "upgrade", "--db", url).exit_code == 0
    open_engine(url, auto_upgrade=False)


def test_demo_flag_makes_the_demo_store_on_first_use(tmp_path, monkeypatch):
    monkeypatch.setenv("DEALERDESK_HOME", str(tmp_path))
    monkeypatch.delenv("DEALERDESK_DB", raising=False)
    result = run("--demo", "lookup", "A1", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output[result.output.index("["):])
    assert rows and all("A1" in r["plate"] for r in rows)
    assert (tmp_path / "demo.sqlite").exists()


def test_days_and_months_relative_to_today_on_every_command():
    from store.dates import parse_day_word
    from store.reports import Month

    today = date(2026, 12, 4)
    assert parse_day_word("today", today=today) == today
    assert parse_day_word("-30", today=today) == date(2026, 11, 4)
    assert parse_day_word("+1", today=today) == date(2026, 12, 5)
    assert parse_day_word("2026-11-22", today=today) == date(2026, 11, 22)
    assert Month.parse("last", today=today) == Month(2026, 11) and Month.parse("-2", today=today) == Month(2026, 10)
    assert Month.parse("this", today=today) == Month(2026, 12)
    bad = run("care", "--date", "11/22", "--db", "sqlite:///:memory:")
    assert bad.exit_code == 1 and "--date" in bad.output and "-7" in bad.output


def test_upgrading_a_postgres_database_that_does_not_exist_is_one_line_with_the_fix():
    from tests.conftest import IN_CI, PG_URL

    if not PG_URL:
        if IN_CI:
            pytest.fail("CI=true but DEALERDESK_TEST_PG is not set")
        pytest.skip("Postgres tests skipped: set DEALERDESK_TEST_PG=postgresql+psycopg://... to run them")
    url = PG_URL.rsplit("/", 1)[0] + "/dealerdesk_no_such_database"
    result = run("--db", url, "db", "upgrade")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert "does not exist" in result.stderr and "createdb" in result.stderr


def test_lookup_table_prints_a_name_as_typed_never_as_markup(engine, db_url):
    with write_session(engine) as s:
        store = add_store(s)
        add_car(s, store, plate="粤A88888", owner="[bold red]大[/", phone="13800008888")
    result = run("lookup", "A8888", "--db", db_url)
    assert result.exit_code == 0, result.output
    assert "[bold red]大[/" in result.stdout
