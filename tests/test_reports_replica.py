"""Reports off the primary: with ``DEALERDESK_REPORTS_DB`` naming a read replica,
reports and exports read it, every write goes to the primary, and a report says
how old the replica's data is. The replica here is a second database holding the
same data (a copy of the SQLite file; on Postgres a database made from the first
as its template), then made to differ: one more visit in the replica only."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select
from typer.testing import CliRunner

from store import clock
from store.access import SYSTEM, Actor
from store.counter import Counter
from store.db import make_engine, read_session, upgrade, write_session
from store.lookup import reindex_vehicles
from store.models import AuditLog, Pitch, Staff, Visit
from store.replica import DataAge, data_age, replica_age, reports_engine
from store.report_desk import ReportDesk
from store.reports import Month, localized
from store.staff import add_staff
from tests.cli_helpers import cli_args
from tests.conftest import _truncate_all
from tests.factories import add_car, add_store
from tui.cli import app

REPLICA_PG_NAME = "dealerdesk_test_a_replica"
runner = CliRunner()


@pytest.fixture(autouse=True)
def key_file(tmp_path, monkeypatch):
    monkeypatch.setenv("DEALERDESK_KEY_FILE", str(tmp_path / "pii.key"))


def fill(engine) -> dict:
    """A store, its manager and SA, and a car last seen in May: churned by November."""
    with write_session(engine) as s:
        store = add_store(s, code="S01", name="测试4S店")
        manager = add_staff(s, SYSTEM, store_id=store.id, code="M01", name="周建国", role="manager", pin="8888")
        add_staff(s, SYSTEM, store_id=store.id, code="SA01", name="王伟", role="sa", pin="1111")
        car = add_car(s, store, plate="粤A12345", owner="张伟", visits=[("RO1", date(2026, 5, 1), 800)])
        return {"store": store.id, "manager": manager.id, "car": car.id, "customer": car.customer_id}


def second_database(engine, tmp_path, request) -> str:
    """A second database holding the same data; its URL. SQLite: a copy of the file.
    Postgres: the replica database (made once per run, emptied here) filled by the
    same fixture as the primary, so their rows and ids agree."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        path = tmp_path / "replica.sqlite"
        shutil.copy(engine.url.database, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_replica_url")
    copy = make_engine(url)
    _truncate_all(copy)
    fill(copy)
    copy.dispose()
    return url


@pytest.fixture(scope="session")
def pg_replica_url(pg_engine_session) -> str:
    """The Postgres replica database, dealerdesk_test_a_replica, made afresh at the schema's head."""
    primary = pg_engine_session
    admin = make_engine(primary.url.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {REPLICA_PG_NAME} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {REPLICA_PG_NAME}"))
    admin.dispose()
    url = primary.url.set(database=REPLICA_PG_NAME).render_as_string(hide_password=False)
    copy = make_engine(url)
    upgrade(copy)
    copy.dispose()
    return url


@pytest.fixture
def replica(engine, tmp_path, monkeypatch, request):
    """(primary engine, replica engine, ids): the replica has one more visit, the
    car's return in November (so it is no longer churned there), and its last
    write three hours ago."""
    ids = fill(engine)
    url = second_database(engine, tmp_path, request)
    monkeypatch.setenv("DEALERDESK_REPORTS_DB", url)
    replica_engine = reports_engine(engine)
    assert replica_engine is not engine
    with write_session(replica_engine) as s:
        s.add(Visit(store_id=ids["store"], vehicle_id=ids["car"], ro_number="RO2", date_in=date(2026, 11, 10),
                    total_fen=50000, repair_type="maintenance"))
        s.flush()
        reindex_vehicles(s, [ids["car"]])
        s.execute(text("UPDATE auditlog SET at = :at"), {"at": clock.real_now() - timedelta(hours=3, minutes=5)})
    yield engine, replica_engine, ids
    replica_engine.dispose()


def manager(ids) -> Actor:
    return Actor(staff_id=ids["manager"], name="周建国", role="manager", store_id=ids["store"])


def churned(book) -> int:
    return book.sheets[0].rows[0]["churned"]


def test_without_the_setting_reports_read_the_primary(engine, monkeypatch):
    monkeypatch.delenv("DEALERDESK_REPORTS_DB", raising=False)
    ids = fill(engine)
    assert reports_engine(engine) is engine
    assert replica_age(engine) is None
    book = ReportDesk(engine, manager(ids), ids["store"]).book("churn", Month.of(date(2026, 11, 1)))
    assert churned(book) == 1 and book.data_as_of is None
    assert not any("数据截至" in str(getattr(n, "zh", n)) for n in book.notes)


def test_a_report_reads_the_replica_and_says_how_old_it_is(replica):
    primary, _, ids = replica
    book = ReportDesk(primary, manager(ids), ids["store"]).book("churn", Month.of(date(2026, 11, 1)))
    assert churned(book) == 0  # the replica's extra visit: the car came back in November
    zh, en = localized(book, "zh"), localized(book, "en")
    assert zh.data_as_of.startswith("数据截至 ") and "约 3 小时前" in zh.data_as_of
    assert en.data_as_of.startswith("data as of ") and "about 3 hours old" in en.data_as_of
    assert zh.data_as_of in zh.notes and en.data_as_of in en.notes
    with read_session(primary) as s:  # the primary still holds one visit
        assert len(s.exec(select(Visit).where(Visit.vehicle_id == ids["car"])).all()) == 1


def test_writes_land_in_the_primary_not_the_replica(replica):
    primary, replica_engine, ids = replica
    counter = Counter(primary)
    counter.act_as("SA01")
    counter.record_pitch(customer_id=ids["customer"], outcome="considering")
    with read_session(primary) as s:
        assert [p.outcome for p in s.exec(select(Pitch))] == ["considering"]
    with read_session(replica_engine) as s:
        assert s.exec(select(Pitch)).all() == []


def test_the_age_rule_is_the_latest_audit_row(replica):
    _, replica_engine, _ = replica
    with read_session(replica_engine) as s:
        age = data_age(s)
    assert age.rule == "latest_write"  # a copy, not a Postgres standby
    assert timedelta(hours=3) <= age.age < timedelta(hours=4)


def test_the_age_in_words():
    at = datetime(2026, 12, 4, 14, 30)
    assert DataAge(at, timedelta(seconds=20), "replay").words.zh == "数据截至 2026-12-04 14:30（只读副本，不到 1 分钟前）"
    assert DataAge(at, timedelta(minutes=5), "replay").words.en == "data as of 2026-12-04 14:30 (read replica, about 5 minutes old)"
    assert "约 2 天前" in DataAge(at, timedelta(days=2, hours=1), "latest_write").words.zh
    assert "no writes" in DataAge(None, None, "latest_write").words.en


def run(db_url, *args):
    return runner.invoke(app, cli_args(["--db", db_url, *args]))


def test_the_report_command_reads_the_replica(replica):
    primary, _, _ = replica
    url = primary.url.render_as_string(hide_password=False)
    result = run(url, "report", "churn", "--format", "json", "--as-of", "2026-11-22")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows[0]["churned"] == 0
    assert "数据截至" in result.stderr and "3 小时前" in result.stderr


def test_an_export_reads_the_replica_and_its_audit_row_goes_to_the_primary(replica, tmp_path):
    primary, replica_engine, ids = replica
    url = primary.url.render_as_string(hide_password=False)
    out = tmp_path / "customers.csv"
    result = run(url, "export", "customers", "--out", str(out), "--class", "general")
    assert result.exit_code == 0, result.output
    with open(out, encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["plate"] for r in rows] == ["粤A12345"]  # general only in the replica
    assert "数据截至" in result.stderr

    def exports(eng):
        with read_session(eng) as s:
            return s.exec(select(AuditLog).where(AuditLog.action == "export.customers")).all()

    assert len(exports(primary)) == 1 and exports(replica_engine) == []


def test_a_replica_without_dealerdesk_data_is_one_line(engine, tmp_path, monkeypatch):
    fill(engine)
    url = engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("DEALERDESK_REPORTS_DB", str(tmp_path / "missing.sqlite"))
    result = run(url, "report", "churn")
    assert result.exit_code == 1 and "does not exist" in result.stderr
    assert not (tmp_path / "missing.sqlite").exists()  # no empty file made where a typo pointed
    empty = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    with empty.connect() as conn:
        conn.exec_driver_sql("CREATE TABLE unrelated (id integer)")
    empty.dispose()
    monkeypatch.setenv("DEALERDESK_REPORTS_DB", str(tmp_path / "empty.sqlite"))
    result = run(url, "report", "churn")
    assert result.exit_code == 1
    assert "holds no dealerdesk data" in result.stderr


async def test_the_reports_screen_reads_the_replica_and_shows_its_age(replica, monkeypatch):
    """F9 as the manager: the churn figures are the replica's, the period line says how old."""
    import asyncio

    from textual.widgets import Static

    from tui.app import DealerDeskApp

    primary, _, ids = replica
    if primary.dialect.name != "sqlite":
        pytest.skip("the screen is the same on both backends; its store half runs on both above")
    app = DealerDeskApp(primary, staff_code="M01", store_code="S01")

    async def wait_for(pilot, condition, timeout=30.0):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            if loop.time() > deadline:
                raise AssertionError("condition not met in time")
            await pilot.pause(0.02)

    def period() -> str:
        return str(app.screen.query_one("#report-period", Static).render())

    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("f9")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ReportsScreen" and app.screen.book is not None)
        await pilot.press("3")  # churn
        await wait_for(pilot, lambda: app.screen.report == "churn" and app.screen.book is not None
                       and "流失" in str(app.screen.book.title))
        assert churned(app.screen.book) == 0
        await wait_for(pilot, lambda: "数据截至" in period())
        assert "约 3 小时前" in period()
