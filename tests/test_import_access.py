"""Imports are staff work, audited: the store manager and member specialists import
(and the system); an SA, a sales consultant or a group analyst is refused before the
file is opened, with nothing written. Every file that goes in writes an audit row:
who, the file's name and sha256, its kind and counts."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select
from textual.widgets import Input, Static
from typer.testing import CliRunner

import importers.pipeline as pipeline
from importers.pipeline import import_file
from store.access import SYSTEM, AccessDenied, actor_for
from store.db import read_session, write_session
from store.models import AuditLog, ImportJournal, metadata
from store.staff import add_staff
from tests.factories import add_store
from tests.import_files import VISIT_HEADER, visit, write_xlsx
from tui.cli import app
from tui.cli.common import hoist_global_options

runner = CliRunner()
PINS = {"M01": "8888", "MS01": "1111", "SA01": "1111", "CA01": "1111", "GA01": "1111", "M02": "8888"}


@pytest.fixture
def shop(engine):
    with write_session(engine) as s:
        store = add_store(s)
        other = add_store(s, code="T02", name="别的店")
        add_staff(s, SYSTEM, store_id=store.id, code="M01", name="周建国", role="manager", pin="8888")
        for code, name, role in [("MS01", "林小红", "member"), ("SA01", "王伟", "sa"), ("CA01", "黄磊", "ca"),
                                 ("GA01", "郑志明", "analyst")]:
            add_staff(s, SYSTEM, store_id=store.id, code=code, name=name, role=role, pin="1111")
        add_staff(s, SYSTEM, store_id=other.id, code="M02", name="别店长", role="manager", pin="8888")
        store_id = store.id
    return engine, store_id


@pytest.fixture
def export(tmp_path):
    return write_xlsx(tmp_path / "工单.xlsx", [VISIT_HEADER, visit("RO1", "粤A12345"), visit("RO2", "粤B12345"),
                                               visit("RO3", "粤A1234")])


def counts(engine) -> dict[str, int]:
    with read_session(engine) as s:
        return {t.name: s.execute(select(func.count()).select_from(t)).scalar_one() for t in metadata.sorted_tables}


def imports_audited(engine) -> list[AuditLog]:
    with read_session(engine) as s:
        return s.execute(select(AuditLog).where(AuditLog.action == "import.file").order_by(AuditLog.id)).scalars().all()


def actor(engine, code):
    with read_session(engine) as s:
        return actor_for(s, code)


@pytest.mark.parametrize("code", ["SA01", "CA01", "GA01", "M02"])
def test_who_may_not_import_is_refused_before_the_file_is_read(shop, export, code, monkeypatch):
    engine, store_id = shop
    before = counts(engine)

    def opened(*_a, **_k):  # pragma: no cover - the point is that it is never called
        raise AssertionError("the file was opened")

    monkeypatch.setattr(pipeline, "sniff", opened)
    monkeypatch.setattr(pipeline, "_sha256", opened)
    with pytest.raises(AccessDenied):
        import_file(engine, export, actor=actor(engine, code), store_id=store_id)
    assert counts(engine) == before


def test_a_manager_or_member_specialist_import_writes_an_audit_row_with_the_hash(shop, export):
    engine, store_id = shop
    digest = hashlib.sha256(export.read_bytes()).hexdigest()
    first = import_file(engine, export, actor=actor(engine, "M01"), store_id=store_id)
    again = import_file(engine, export, actor=actor(engine, "MS01"), store_id=store_id)
    assert (first.inserted, first.rejected_rows, again.unchanged) == (2, 1, 2)
    rows = imports_audited(engine)
    assert len(rows) == 2
    with read_session(engine) as s:
        journals = s.execute(select(ImportJournal.id).order_by(ImportJournal.id)).scalars().all()
    for row, code, journal in zip(rows, ("M01", "MS01"), journals):
        assert row.staff_id == actor(engine, code).staff_id and row.store_id == store_id
        assert (row.entity, row.entity_id) == ("importjournal", journal)
    import json

    detail = json.loads(rows[0].detail)
    assert detail == {"file": "工单.xlsx", "sha256": digest, "kind": "visits", "format": "xlsx", "rows": 3,
                      "inserted": 2, "updated": 0, "unchanged": 0, "rejected": 1, "vehicles_created": 2,
                      "customers_created": 1, "points_earned": 0, "referrals_matched": 0,
                      "plates_moved": 0}
    assert json.loads(rows[1].detail)["unchanged"] == 2


def test_a_refused_or_cancelled_import_writes_no_audit_row(shop, tmp_path):
    engine, store_id = shop
    junk = tmp_path / "junk.xls"
    junk.write_bytes(b"%PDF-1.4 junk")
    assert import_file(engine, junk, actor=actor(engine, "M01"), store_id=store_id).refused
    assert imports_audited(engine) == []


def test_the_command_line_passes_who_acts(shop, export, db_url):
    engine, _ = shop
    before = counts(engine)
    for code in ("SA01", "GA01"):
        result = runner.invoke(app, hoist_global_options(["--db", db_url, "--as", code, "import", str(export)]),
                               env={"DEALERDESK_PIN": PINS[code]})
        assert result.exit_code == 1 and "imports are for the store manager" in result.stderr, result.output
        assert result.stdout == ""
    after = counts(engine)
    assert {k: v for k, v in after.items() if k != "staff"} == {k: v for k, v in before.items() if k != "staff"}
    done = runner.invoke(app, hoist_global_options(["--db", db_url, "--as", "M01", "import", str(export)]),
                         env={"DEALERDESK_PIN": "8888"})
    assert done.exit_code == 0, done.output
    (row,) = imports_audited(engine)
    assert row.staff_id == actor(engine, "M01").staff_id


async def test_the_import_screen_acts_as_who_signed_in(sqlite_engine, export):
    from tests.test_tui_import import _wait_for
    from tui.app import DealerDeskApp
    from tui.screens.importer import ImportScreen

    with write_session(sqlite_engine) as s:
        store = add_store(s)
        add_staff(s, SYSTEM, store_id=store.id, code="M01", name="周建国", role="manager", pin="8888")
        add_staff(s, SYSTEM, store_id=store.id, code="SA01", name="王伟", role="sa", pin="1111")
    before = counts(sqlite_engine)
    for code, refused in (("SA01", True), ("M01", False)):
        app = DealerDeskApp(sqlite_engine, language="zh", staff_code=code)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.press("f6")
            await _wait_for(pilot, lambda: isinstance(app.screen, ImportScreen))
            screen = app.screen
            screen.query_one("#import-path", Input).value = str(export)
            await pilot.press("enter")
            status = screen.query_one("#import-status", Static)
            if refused:
                await _wait_for(pilot, lambda: "不能导入" in str(status.render()))
                assert counts(sqlite_engine) == before
            else:
                await _wait_for(pilot, lambda: "新增 2" in str(status.render()))
    (row,) = imports_audited(sqlite_engine)
    assert row.staff_id == actor(sqlite_engine, "M01").staff_id
