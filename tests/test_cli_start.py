"""What starting a command costs, and what its output looks like to a script.

No timings here (bench/start/run.py measures them): these hold the shape that makes
the start fast. A command imports only what it needs (no migration machinery on a
database at head, no pinyin tables for a lookup, no spreadsheet or dataframe
library outside import, export and reports), and output to a pipe is whole.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from store.db import current_revision, head_revision, write_session
from tests.conftest import make_sqlite_engine
from tests.factories import add_car, add_store

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("alembic", "openpyxl", "polars", "fastexcel", "python_calamine", "pypinyin")
LONG_MODEL = "东风日产轩逸经典款1.6XE CVT舒适版国六智联尊享运动型特别纪念版"
LONG_PLATE = "粤A12345警察应急临时号牌测"  # 16 characters: the column holds no more (on Postgres as on SQLite)


@pytest.fixture
def small_db(sqlite_template, tmp_path) -> str:
    engine = make_sqlite_engine(sqlite_template, tmp_path)
    with write_session(engine) as s:
        store = add_store(s)
        add_car(s, store, plate=LONG_PLATE, owner="欧阳建国", model=LONG_MODEL, vin="LGBH52E05NY123456",
                visits=[("RO20260901000012345678", date(2026, 9, 1), 800)])
    engine.dispose()
    return engine.url.render_as_string(hide_password=False)


def _python(code: str, *args: str, **kwargs) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), DEALERDESK_TODAY="2026-11-22")
    env.pop("DEALERDESK_DB", None)
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, **kwargs)


def test_the_app_and_a_lookup_import_no_heavy_library(small_db):
    """In a fresh interpreter: import the app, then run ``dealerdesk lookup`` on a
    database at head; none of the heavy libraries was imported."""
    code = (
        "import sys\n"
        "import tui.app\n"
        "from tui.cli import main\n"
        "try:\n"
        "    main(['--db', sys.argv[1], 'lookup', 'A123', '--format', 'json'])\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    done = _python(code, small_db, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["model"] == LONG_MODEL  # it did look up
    assert "HEAVY []" in done.stderr, done.stderr


def test_the_lookup_command_reads_without_the_orm_or_pydantic(small_db):
    """``dealerdesk lookup`` reads on a plain connection: neither the ORM, the models
    nor pydantic (through sqlmodel or the command-line parser) is imported."""
    code = (
        "import sys\n"
        "from tui.cli import main\n"
        "try:\n"
        "    main(['--db', sys.argv[1], 'lookup', 'A123', '--format', 'json'])\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "print('LOADED', sorted(m for m in sys.modules if m in ('pydantic', 'sqlmodel', 'sqlalchemy.orm')"
        " or m.startswith('store.models')), file=sys.stderr)\n"
    )
    done = _python(code, small_db, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["model"] == LONG_MODEL
    assert "LOADED []" in done.stderr, done.stderr


def test_the_lookup_command_loads_only_its_own_module(small_db):
    code = (
        "import sys\n"
        "from tui.cli import main\n"
        "try:\n"
        "    main(['--db', sys.argv[1], 'lookup', 'A123', '--format', 'json'])\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "print('CMDS', sorted(m for m in sys.modules if m.startswith('tui.cli.') and m.endswith('_cmds')),"
        " file=sys.stderr)\n"
    )
    done = _python(code, small_db, check=False)
    assert done.returncode == 0, done.stderr
    assert "CMDS ['tui.cli.lookup_cmds']" in done.stderr, done.stderr


def test_every_command_is_listed_and_loads():
    from tui.cli import COMMAND_MODULES, all_commands

    group = all_commands()
    assert set(group.commands) == set(COMMAND_MODULES)
    for name in ("report", "member", "points", "db", "club"):
        assert group.commands[name].commands, name  # groups come with their subcommands
    assert "calls" in group.commands["report"].commands  # added by another module


def test_help_lists_every_command():
    from typer.testing import CliRunner

    from tui.cli import COMMAND_MODULES, app

    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for name in COMMAND_MODULES:
        assert f" {name} " in result.output, name


def test_a_mistyped_command_is_told_the_near_name():
    from typer.testing import CliRunner

    from tui.cli import app

    result = CliRunner().invoke(app, ["lokup", "A1"])
    assert result.exit_code != 0
    assert "lookup" in result.output


def test_piped_lookup_table_is_whole(small_db):
    """stdout to a pipe (not a terminal): the table is as wide as its content, so
    the long model name and plate come out whole, not cut to 80 columns."""
    done = _python("import sys; from tui.cli import main; main(sys.argv[1:])", "--db", small_db, "lookup", "A123",
                   check=True)
    assert LONG_MODEL in done.stdout
    assert LONG_PLATE in done.stdout
    assert "…" not in done.stdout
    assert max(len(line) for line in done.stdout.splitlines()) > 80


def test_head_revision_without_alembic_agrees_with_alembic(sqlite_template, tmp_path):
    from alembic.script import ScriptDirectory

    from store.db import alembic_config

    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()
    engine = make_sqlite_engine(sqlite_template, tmp_path)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_a_new_file_has_no_revision_and_upgrades_on_open(tmp_path):
    from store.db import make_engine, open_engine

    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    assert current_revision(make_engine(url)) is None
    engine = open_engine(url)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_the_sign_in_screen_paints_before_sqlalchemy_loads(small_db):
    """``dealerdesk`` up to the app's run (its language, store, whether a manager
    must be made) loads neither SQLAlchemy, the models nor pydantic: the first paint
    waits for none of them; the engine opens after it."""
    code = (
        "import sys\n"
        "import tui.app\n"
        "def run(self):\n"
        "    f = self.facts\n"
        "    print('LANG', f.language, 'STORE', f.store_name, 'FIRST', f.needs_first_manager, 'TITLE', self.sub_title)\n"
        "tui.app.DealerDeskApp.run = run\n"
        "from tui.cli import main\n"
        "main(['--db', sys.argv[1]])\n"
        "print('LOADED', sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'sqlmodel', 'pydantic'}"
        " | {m for m in sys.modules if m.startswith('store.models') or m == 'typer._adapters'}))\n"
    )
    done = _python(code, small_db, check=False)
    assert done.returncode == 0, done.stderr
    assert "LANG zh STORE 测试店 FIRST True TITLE 测试店" in done.stdout
    assert "LOADED []" in done.stdout, done.stdout


@pytest.mark.parametrize("args, expected", [
    ([], {}),
    (["--db", "sqlite:///x.sqlite"], {"--db": "sqlite:///x.sqlite"}),
    (["--db=sqlite:///x.sqlite", "--demo", "--as", "SA01"], {"--db": "sqlite:///x.sqlite", "--demo": True,
                                                           "--as": "SA01"}),
    (["--today", "2026-11-22", "--store", "GZ01"], {"--today": "2026-11-22", "--store": "GZ01"}),
    (["lookup", "A1"], None),
    (["--db", "sqlite:///x.sqlite", "lookup", "A1"], None),
    (["--help"], None),
    (["--db"], None),
    (["--verbose"], None),
])
def test_a_bare_command_line_opens_the_app_without_the_parser(args, expected):
    from tui.cli.common import app_only_options, hoist_global_options

    assert app_only_options(hoist_global_options(args)) == expected
