"""The demo store looks like a real store (store/demo.py DEMO_TARGETS): churn in and
out of warranty, visits per returning car per year, and a "joined" pitch counted as a
conversion only when a membership really started."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text

from store.db import read_session
from store.demo import DEMO_TARGETS, generate
from store.reports.churn import churn_report

TODAY = date(2026, 11, 22)


@pytest.fixture(scope="module")
def demo_engine(tmp_path_factory):
    from store.db import make_engine, upgrade

    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    generate(engine, vehicles=3000, seed=11, today=TODAY)
    yield engine
    engine.dispose()


def test_churn_in_and_out_of_warranty_is_a_real_stores(demo_engine):
    with read_session(demo_engine) as s:
        rows = {r["warranty"]: r for r in churn_report(s, as_of=TODAY, by=["warranty"]).rows}
    assert abs(rows["in"]["churn_rate"] / 100 - DEMO_TARGETS["churn_in_warranty"]) <= 0.06, rows["in"]
    assert abs(rows["out"]["churn_rate"] / 100 - DEMO_TARGETS["churn_out_of_warranty"]) <= 0.10, rows["out"]


def test_a_returning_car_comes_about_three_and_a_half_times_a_year(demo_engine):
    with demo_engine.connect() as conn:
        visits, cars = conn.execute(text(
            "SELECT count(*), count(DISTINCT vehicle_id) FROM visit WHERE date_in > :lo AND date_in <= :hi"),
            {"lo": (TODAY - timedelta(days=365)).isoformat(), "hi": TODAY.isoformat()}).one()
    assert abs(visits / cars - DEMO_TARGETS["visits_per_car_year"]) <= 0.5, visits / cars


def test_conversion_counts_memberships_that_started(demo_engine):
    from store.reports.members import _conversion, _pitches

    with read_session(demo_engine) as s:
        p = _pitches(s, None, TODAY - timedelta(days=365), TODAY + timedelta(days=1))
    _, pitched, joined = _conversion(p)
    said_joined = p.filter(p["outcome"] == "joined")["customer_id"].n_unique()
    assert 0 < joined <= said_joined and joined <= pitched
