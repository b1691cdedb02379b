"""The store on both backends: migrations, settings, lookup in every form."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import inspect, text
from sqlmodel import select

from store.access import SYSTEM
from store.db import current_revision, downgrade, head_revision, read_session, upgrade, write_session
from store.demo import generate
from store.lookup import lookup
from store.models import PointsAccount, PointsEntry, Store, Vehicle, Visit
from store.settings import get_setting, set_setting
from tests.factories import add_car, add_store


def test_migrations_run_up_from_empty_and_back(engine):
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {"store", "staff", "customer", "vehicle", "visit", "membership", "pointsentry", "pitch",
            "adoption", "caretask", "calllog", "complaint", "setting", "auditlog"} <= tables
    downgrade(engine, "base")
    assert "vehicle" not in set(inspect(engine).get_table_names())
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_searchterm_migration_keeps_every_term_up_and_down(counter_store):
    """0002 makes searchterm a table keyed by (term, vehicle_id) (WITHOUT ROWID on
    SQLite); down and up again, the counter still finds every car by every form."""
    def terms() -> set[tuple[str, int]]:
        with counter_store.connect() as conn:
            return set(conn.execute(text("SELECT term, vehicle_id FROM searchterm")).all())

    def finds() -> dict[str, list[str]]:
        with read_session(counter_store) as s:
            return {q: sorted(m.plate for m in lookup(s, q, actor=SYSTEM)) for q in ("A123", "2345", "5678", "123456", "zw", "张伟",
                                                                       "LGBH52E05", "13812345678", "D678")}

    before, found = terms(), finds()
    assert len(before) > 20 and found["A123"] == ["粤A12345"] and found["5678"] == ["粤A12345", "粤AD67890"]
    assert found["LGBH52E05"] == ["粤A12345", "粤AD67890"] and found["13812345678"] == ["粤A12345"]
    downgrade(counter_store, "0001")
    assert "id" in {c["name"] for c in inspect(counter_store).get_columns("searchterm")}
    assert terms() == before  # (the lookup itself needs the schema it was written for: found again at the head)
    upgrade(counter_store)
    assert current_revision(counter_store) == head_revision()
    assert inspect(counter_store).get_pk_constraint("searchterm")["constrained_columns"] == ["term", "vehicle_id"]
    assert {ix["name"] for ix in inspect(counter_store).get_indexes("searchterm")} == {"ix_searchterm_vehicle_id"}
    assert terms() == before and finds() == found
    if counter_store.dialect.name == "sqlite":
        with counter_store.connect() as conn:
            sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'searchterm'").scalar()
        assert "WITHOUT ROWID" in sql


def test_sqlite_runs_in_wal_with_a_busy_timeout(sqlite_engine):
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_vin_is_unique(engine):
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        with write_session(engine) as s:
            store = add_store(s)
            add_car(s, store, plate="粤A12345", vin="LGBH52E05JY123456")
            add_car(s, store, plate="粤B12345", vin="LGBH52E05JY123456")


@pytest.fixture
def counter_store(engine):
    with write_session(engine) as s:
        store = add_store(s)
        add_car(s, store, plate="粤A12345", owner="张伟", phone="13812345678", vin="LGBH52E05JY123456",
                visits=[("RO1", date(2026, 9, 1), 800), ("RO2", date(2026, 3, 1), 600)])
        add_car(s, store, plate="粤AD67890", owner="李娜", phone="13900005678", vin="LGBH52E05JY654321")
        add_car(s, store, plate="京B23456", owner="王芳", phone="13600001111")
    return engine


@pytest.mark.parametrize("query,plates", [
    ("A123", ["粤A12345"]),
    ("12345", ["粤A12345"]),
    ("2345", ["粤A12345", "京B23456"]),
    ("a12345", ["粤A12345"]),
    ("粤A·12345", ["粤A12345"]),
    ("Ａ１２３", ["粤A12345"]),
    ("D678", ["粤AD67890"]),
    ("5678", ["粤A12345", "粤AD67890"]),  # plate part of one, phone's last 4 of both
    ("123456", ["粤A12345"]),  # VIN's last 6
    ("zw", ["粤A12345"]),
    ("ZW", ["粤A12345"]),
    ("zhangwei", ["粤A12345"]),
    ("张伟", ["粤A12345"]),
    ("ln", ["粤AD67890"]),
    ("B234", ["京B23456"]),
    ("999", []),
])
def test_lookup_finds_a_car_from_any_part(counter_store, query, plates):
    with read_session(counter_store) as s:
        found = sorted(m.plate for m in lookup(s, query, actor=SYSTEM))
    assert found == sorted(plates)


def test_lookup_lists_plate_matches_before_phone_matches_each_car_once(counter_store):
    # "5678" is the plate part of no car here but the phone's last 4 of two; "2345"
    # is a plate part of two cars, one of which (粤A12345) also matches by nothing else.
    with write_session(counter_store) as s:
        store = s.exec(select(Store)).first()
        add_car(s, store, plate="粤C56789", owner="赵六", phone="13700002222")  # plate part 5678
    with read_session(counter_store, snapshot=False) as s:  # the counter's own kind of session
        plates = [m.plate for m in lookup(s, "5678", actor=SYSTEM)]
        assert plates == ["粤C56789", "粤A12345", "粤AD67890"] or plates == ["粤C56789", "粤AD67890", "粤A12345"]
        assert len(lookup(s, "5678", limit=2, actor=SYSTEM)) == 2
        # The same page through the two statements the exports use, in the same order.
        from store.lookup import describe_vehicles, matching_vehicle_ids

        for query in ("5678", "2345", "zw", "A1", "粤"):
            assert [m.vehicle_id for m in lookup(s, query, actor=SYSTEM)] == \
                [m.vehicle_id for m in describe_vehicles(s, matching_vehicle_ids(s, query))]


def test_lookup_row_carries_what_the_counter_needs(counter_store):
    with read_session(counter_store) as s:
        (m,) = lookup(s, "A12345", actor=SYSTEM)
    d = m.as_dict()
    assert d["owner"] == "张伟"
    assert d["phone"] == "138****5678"
    assert d["visits"] == 2
    assert d["last_visit"] == "2026-09-01"
    assert d["tier"] is None and d["points"] == 0


def test_lookup_uses_the_index_not_a_scan(counter_store):
    from store.lookup import matching_vehicle_ids

    with counter_store.connect() as conn:
        if counter_store.dialect.name == "sqlite":
            plan = conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT vehicle_id FROM searchterm WHERE term >= 'PA123' AND term < 'PA124' "
                "ORDER BY term LIMIT 50"
            ).all()
            detail = " ".join(str(r[-1]) for r in plan)
            # The table is keyed by (term, vehicle_id): the range reads its primary key.
            assert "SEARCH searchterm USING PRIMARY KEY (term>? AND term<?)" in detail, detail
            assert "SCAN" not in detail and "TEMP B-TREE" not in detail, detail
        else:
            conn.execute(text("SET enable_seqscan = off"))  # tiny table: ask whether the index can serve
            plan = " ".join(r[0] for r in conn.execute(text(
                "EXPLAIN SELECT vehicle_id FROM searchterm WHERE term >= 'PA123' AND term < 'PA124' "
                "ORDER BY term LIMIT 50")))
            assert "searchterm_pkey" in plan, plan
    with read_session(counter_store) as s:
        assert matching_vehicle_ids(s, "A123")


def test_settings_come_from_the_database_then_defaults(engine, monkeypatch):
    with write_session(engine) as s:
        store = add_store(s)
        assert get_setting(s, "class_churn_months", store_id=store.id) == 6
        set_setting(s, "class_churn_months", 7, store_id=store.id)
    with read_session(engine) as s:
        assert get_setting(s, "class_churn_months", store_id=store.id) == 7
        monkeypatch.setenv("DEALERDESK_CLASS_CHURN_MONTHS", "9")
        assert get_setting(s, "class_churn_months", store_id=store.id) == 9


def test_demo_store_is_believable(engine):
    summary = generate(engine, vehicles=300, seed=3, today=date(2026, 11, 22))
    assert summary.vehicles == 300
    with read_session(engine) as s:
        vehicles = s.exec(select(Vehicle)).all()
        visits = s.exec(select(Visit)).all()
        assert len(vehicles) == 300
        assert 300 < len(visits) < 300 * 15
        assert all(v.date_in <= date(2026, 11, 22) for v in visits)
        assert len({v.model for v in vehicles}) >= 5
        assert len({v.sa_name for v in visits}) >= 4
        # Every cached points balance is its ledger's sum.
        for account in s.exec(select(PointsAccount)).all():
            total = sum(e.points for e in s.exec(select(PointsEntry).where(PointsEntry.account_id == account.id)))
            assert total == account.balance >= 0
        some = vehicles[0]
        assert lookup(s, some.plate[-4:], actor=SYSTEM)
    with pytest.raises(ValueError, match="already"):
        generate(engine, vehicles=10)
    # Ids keep flowing after explicit-id bulk inserts (Postgres sequences moved on).
    with write_session(engine) as s:
        add_car(s, s.exec(select(Store)).first(), plate="粤Z99999", vin=None)
