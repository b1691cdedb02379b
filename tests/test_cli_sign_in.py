"""Sign-in on the command line is checked once, in the root command, before any
command runs: a wrong PIN, a locked code or an unnamed actor on a shared database
ends every command with one line and exit 1, having read and written nothing but
the failed try. The list of commands comes from the CLI itself, so a new command
cannot escape it."""

from __future__ import annotations

import pytest
import typer.main
from sqlalchemy import func, select
from typer.testing import CliRunner

from store.access import SYSTEM
from store.db import read_session, write_session
from store.models import Staff, metadata
from store.staff import add_staff
from tests.factories import add_car, add_store
from tui.cli import app
from tui.cli.common import hoist_global_options

runner = CliRunner()


def command_paths() -> list[tuple[str, ...]]:
    """Every command the CLI registers, as the words that invoke it."""
    root = typer.main.get_command(app)
    paths: list[tuple[str, ...]] = []

    def walk(group, prefix: tuple[str, ...]) -> None:
        ctx = group.context_class(group)
        for name in group.list_commands(ctx):
            cmd = group.get_command(ctx, name)
            path = prefix + (name,)
            if hasattr(cmd, "list_commands"):  # a group (Typer carries its own click)
                if cmd.invoke_without_command:
                    paths.append(path)
                walk(cmd, path)
            else:
                paths.append(path)

    walk(root, ())
    return paths


COMMANDS = command_paths()


def test_the_command_list_is_the_whole_cli():
    names = {" ".join(p) for p in COMMANDS}
    assert {"lookup", "member show", "points adjust", "import", "export customers", "report churn", "care",
            "calls log", "staff add", "audit", "db upgrade", "demo"} <= names
    assert len(COMMANDS) >= 50


@pytest.fixture
def shop(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("DEALERDESK_KEY_FILE", str(tmp_path / "pii.key"))
    with write_session(engine) as s:
        store = add_store(s)
        add_staff(s, SYSTEM, store_id=store.id, code="M01", name="周建国", role="manager", pin="8888")
        add_staff(s, SYSTEM, store_id=store.id, code="SA01", name="王伟", role="sa", pin="1111")
        add_staff(s, SYSTEM, store_id=store.id, code="GA01", name="郑志明", role="analyst", pin="9999")
        add_car(s, store, plate="粤A12345", owner="张伟", phone="13812345678")
    return engine


def table_counts(engine) -> dict[str, int]:
    with read_session(engine) as s:
        return {t.name: s.execute(select(func.count()).select_from(t)).scalar_one() for t in metadata.sorted_tables}


def failed_tries(engine, code):
    with read_session(engine) as s:
        return s.execute(select(Staff.failed_attempts, Staff.locked_until).where(Staff.code == code)).one()


@pytest.mark.parametrize("code", ["SA01", "GA01"])
def test_every_command_with_a_wrong_pin_ends_at_sign_in(shop, db_url, code):
    before = table_counts(shop)
    for path in COMMANDS:
        result = runner.invoke(app, hoist_global_options(["--db", db_url, "--as", code, *path]),
                               env={"DEALERDESK_PIN": "0000"})
        assert result.exit_code == 1, (path, result.output)
        assert result.stdout == "", (path, result.stdout)
        assert ("wrong staff code or PIN" in result.stderr or "locked" in result.stderr), (path, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, (path, result.stderr)
    assert table_counts(shop) == before  # nothing written but the failed tries on the staff row
    assert failed_tries(shop, code).locked_until is not None  # the tries counted: the code is locked


def test_the_right_pin_is_refused_while_the_code_is_locked(shop, db_url):
    for _ in range(5):
        runner.invoke(app, hoist_global_options(["--db", db_url, "--as", "SA01", "lookup", "A1"]),
                      env={"DEALERDESK_PIN": "0000"})
    result = runner.invoke(app, hoist_global_options(["--db", db_url, "--as", "SA01", "lookup", "A1"]),
                           env={"DEALERDESK_PIN": "1111"})
    assert result.exit_code == 1 and result.stdout == ""
    assert "locked" in result.stderr


def test_the_right_pin_runs_the_command(shop, db_url):
    result = runner.invoke(app, hoist_global_options(["--db", db_url, "--as", "SA01", "lookup", "A1", "--format",
                                                      "json"]), env={"DEALERDESK_PIN": "1111"})
    assert result.exit_code == 0, result.output
    assert "粤A12345" in result.stdout


@pytest.mark.postgres
def test_a_shared_database_refuses_an_unnamed_actor(shop, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("the rule is the shared database's")
    for path in [("lookup", "A1"), ("export", "customers"), ("points", "expire"), ("member", "lapse")]:
        result = runner.invoke(app, hoist_global_options(["--db", db_url, *path]))
        assert result.exit_code == 1, (path, result.output)
        assert "--system" in result.stderr and result.stdout == ""
    done = runner.invoke(app, hoist_global_options(["--db", db_url, "--system", "points", "expire"]))
    assert done.exit_code == 0, done.output


def test_sqlite_keeps_the_file_owner_as_the_system(shop, db_url):
    if not db_url.startswith("sqlite"):
        pytest.skip("the rule is SQLite's")
    result = runner.invoke(app, hoist_global_options(["--db", db_url, "lookup", "A1", "--format", "json"]))
    assert result.exit_code == 0, result.output
