"""Shared fixtures. Store tests take ``engine`` and run once on SQLite and once on
Postgres (when ``DEALERDESK_TEST_PG`` names a database; in CI it must)."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from store import clock
from store.db import make_engine, upgrade
from store.models import metadata

PG_URL = os.environ.get("DEALERDESK_TEST_PG")
IN_CI = os.environ.get("CI", "").lower() == "true"
PG_SKIP_REASON = "Postgres tests skipped: set DEALERDESK_TEST_PG=postgresql+psycopg://... to run them"
TODAY = date(2026, 11, 22)

@pytest.fixture(autouse=True)
def fixed_today():
    """Every test runs on one known day unless it sets another."""
    clock.set_today(TODAY)
    yield TODAY
    clock.set_today(None)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_engine_session():
    if not PG_URL:
        return None
    engine = make_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    yield engine
    engine.dispose()


def _truncate_all(engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


def make_sqlite_engine(sqlite_template: Path, tmp_path: Path):
    path = tmp_path / "test.sqlite"
    shutil.copy(sqlite_template, path)
    return make_engine(f"sqlite:///{path}")


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request, sqlite_template, tmp_path):
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        eng = make_sqlite_engine(sqlite_template, tmp_path)
        yield eng
        eng.dispose()
        return
    if not PG_URL:
        if IN_CI:
            pytest.fail("CI=true but DEALERDESK_TEST_PG is not set: the Postgres half must run in CI")
        pytest.skip(PG_SKIP_REASON)
    pg = request.getfixturevalue("pg_engine_session")
    _truncate_all(pg)
    yield pg


@pytest.fixture
def sqlite_engine(sqlite_template, tmp_path):
    eng = make_sqlite_engine(sqlite_template, tmp_path)
    yield eng
    eng.dispose()


@pytest.fixture
def store_id(engine) -> int:
    """One store in the engine's database (the id an import goes into)."""
    from store.db import write_session
    from tests.factories import add_store

    with write_session(engine) as s:
        return add_store(s).id


@pytest.fixture
def db_url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


_SKIPPED_PG: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped and isinstance(report.longrepr, tuple) and "Postgres" in str(report.longrepr[2]):
        _SKIPPED_PG.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    # In CI a skipped Postgres half is a failure, not a footnote.
    if IN_CI and _SKIPPED_PG:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _SKIPPED_PG:
        verdict = "FAILED in CI:" if IN_CI else "note:"
        terminalreporter.write_line(f"{verdict} {len(_SKIPPED_PG)} Postgres tests skipped ({PG_SKIP_REASON})")
