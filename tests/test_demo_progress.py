"""The demo store reports its progress, and the batch it is written in changes nothing."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from store.demo import generate
from tests.conftest import make_sqlite_engine

TODAY = date(2026, 11, 22)


def _contents(engine) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        return {
            "vehicles": conn.execute(text("SELECT id, customer_id, plate, vin, model FROM vehicle ORDER BY id")).all(),
            "visits": conn.execute(text("SELECT vehicle_id, ro_number, total_fen FROM visit ORDER BY id")).all(),
            "terms": conn.execute(text("SELECT term, vehicle_id FROM searchterm ORDER BY term, vehicle_id")).all(),
            "members": conn.execute(text("SELECT customer_id, number, tier_code FROM membership ORDER BY id")).all(),
        }


def test_progress_counts_written_vehicles_and_ends_at_the_total(sqlite_template, tmp_path):
    engine = make_sqlite_engine(sqlite_template, tmp_path)
    calls: list[tuple[int, int]] = []
    generate(engine, vehicles=50, seed=5, today=TODAY, batch=20, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(20, 50), (40, 50), (50, 50)]
    engine.dispose()


def test_the_batch_size_changes_nothing_in_the_store(sqlite_template, tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "many").mkdir()
    one = make_sqlite_engine(sqlite_template, tmp_path / "one")
    many = make_sqlite_engine(sqlite_template, tmp_path / "many")
    generate(one, vehicles=60, seed=9, today=TODAY)
    generate(many, vehicles=60, seed=9, today=TODAY, batch=7)
    assert _contents(one) == _contents(many)
    one.dispose()
    many.dispose()
