"""What the counter reads before its first paint (store/startup.py): the language,
the store and whether a first manager is needed, from an SQLite file at the current
schema, without SQLAlchemy; anything else is left to the engine."""

from __future__ import annotations

import json

from sqlalchemy import text

from store.access import SYSTEM
from store.db import write_session
from store.staff import add_staff
from store.startup import read_start_facts
from tests.conftest import make_sqlite_engine
from tests.factories import add_store


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_a_new_store_file_asks_for_its_first_manager(sqlite_template, tmp_path):
    engine = make_sqlite_engine(sqlite_template, tmp_path)
    facts = read_start_facts(_url(engine))
    assert facts is not None
    assert (facts.language, facts.store_name, facts.has_store, facts.needs_first_manager) == ("zh", "", False, True)


def test_a_store_with_staff_and_its_language(sqlite_template, tmp_path, monkeypatch):
    monkeypatch.delenv("DEALERDESK_LANGUAGE", raising=False)
    engine = make_sqlite_engine(sqlite_template, tmp_path)
    with write_session(engine) as s:
        store = add_store(s)
        add_staff(s, SYSTEM, store_id=store.id, code="M01", name="周建国", role="manager", pin="8888")
        s.execute(text("INSERT INTO setting (store_id, key, value, updated_at) VALUES (NULL, 'language', :v, :t)"),
                  {"v": json.dumps("en"), "t": "2026-12-01 09:00:00"})
        store_id, name = store.id, store.name
    facts = read_start_facts(_url(engine))
    assert facts.language == "en"
    assert (facts.store_id, facts.store_name, facts.needs_first_manager) == (store_id, name, False)
    monkeypatch.setenv("DEALERDESK_LANGUAGE", "zh")  # the environment beats the table, as for every setting
    assert read_start_facts(_url(engine)).language == "zh"


def test_two_stores_leave_the_store_to_the_sign_in(sqlite_template, tmp_path):
    engine = make_sqlite_engine(sqlite_template, tmp_path)
    with write_session(engine) as s:
        add_store(s, code="S01", name="一店")
        add_store(s, code="S02", name="二店")
    facts = read_start_facts(_url(engine))
    assert (facts.store_id, facts.store_name, facts.has_store) == (None, "", True)


def test_a_file_behind_the_migrations_opens_the_engine_first(sqlite_template, tmp_path):
    engine = make_sqlite_engine(sqlite_template, tmp_path)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    assert read_start_facts(_url(engine)) is None


def test_no_facts_for_what_is_not_a_current_sqlite_file(tmp_path):
    assert read_start_facts("postgresql+psycopg://postgres@127.0.0.1:5432/x") is None
    assert read_start_facts(f"sqlite:///{tmp_path / 'missing.sqlite'}") is None
    assert not (tmp_path / "missing.sqlite").exists()  # looking created nothing
    (tmp_path / "notes.txt").write_text("not a database")
    assert read_start_facts(f"sqlite:///{tmp_path / 'notes.txt'}") is None
    assert read_start_facts("sqlite:///:memory:") is None
