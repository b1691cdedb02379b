"""Customer classes on the border of every rule. Today is 2026-11-22, so 3 months
ago is 2026-08-22, 6 months ago 2026-05-22 and 12 months ago 2025-11-22."""

from __future__ import annotations

from datetime import date

import pytest

from store.access import SYSTEM
from store.classes import vehicle_class
from store.db import read_session, write_session
from store.lookup import lookup
from store.models import Visit
from store.settings import set_setting
from tests.factories import add_car, add_store

TODAY = date(2026, 11, 22)


def one(engine, *, visits=(), purchase=date(2023, 5, 6), as_of=TODAY, settings=None, extra_visits=()):
    with write_session(engine) as s:
        store = add_store(s)
        for key, value in (settings or {}).items():
            set_setting(s, key, value, store_id=store.id)
        car = add_car(s, store, plate="粤A12345", purchase_date=purchase,
                      visits=[(f"RO{i}", d, y) for i, (d, y) in enumerate(visits)])
        for v in extra_visits:
            s.add(Visit(store_id=store.id, vehicle_id=car.id, **v))
        vid = car.id
    with read_session(engine) as s:
        return vehicle_class(s, vid, as_of=as_of)


@pytest.mark.parametrize(
    "last, expected",
    [
        (date(2026, 11, 22), "general"),  # a visit today
        (date(2026, 8, 22), "general"),  # exactly 3 months ago: returned within 3 months
        (date(2026, 8, 21), "at_risk"),  # a day more than 3 months
        (date(2026, 5, 22), "at_risk"),  # exactly 6 months: at most 6, still at risk
        (date(2026, 5, 21), "churned"),  # more than 6 months
    ],
)
def test_last_visit_borders(engine, last, expected):
    assert one(engine, visits=[(last, 500)]).code == expected


def test_a_visit_today_reads_today(engine):
    result = one(engine, visits=[(TODAY, 500)])
    assert result.reason_en == "last visit today; 1 visit, ¥500 in 12 months"
    assert result.reason_zh == "最近来店 今天；12个月内来店 1 次，消费 ¥500"
    assert result.months_since_last_visit == 0


def test_reason_in_words(engine):
    visits = [(date(2026, 7, 20), 1000), (date(2026, 3, 1), 880), (date(2026, 1, 5), 500), (date(2025, 6, 1), 9000)]
    result = one(engine, visits=visits)
    assert result.code == "at_risk"
    assert result.reason_en == "last visit 4 months ago; 3 visits, ¥2,380 in 12 months"
    assert (result.label_zh, result.label_en) == ("将流失客户", "at risk")
    assert result.months_since_last_visit == 4 and result.visits_12m == 3 and result.spend_12m_fen == 238_000
    assert result.last_visit == date(2026, 7, 20)


def test_bought_yesterday_and_never_back_is_general(engine):
    result = one(engine, purchase=date(2026, 11, 21))
    assert result.code == "general"
    assert result.reason_en == "no visit since purchase 1 day ago; 0 visits, ¥0 in 12 months"


@pytest.mark.parametrize(
    "purchase, expected",
    [(date(2026, 8, 22), "general"), (date(2026, 8, 21), "at_risk"), (date(2026, 5, 22), "at_risk"),
     (date(2026, 5, 21), "churned"), (date(2019, 1, 1), "churned")],
)
def test_never_returned_counts_from_purchase(engine, purchase, expected):
    result = one(engine, purchase=purchase)
    assert result.code == expected
    assert result.last_visit is None and result.visits_12m == 0


def test_a_job_before_the_sale_does_not_age_a_new_car(engine):
    # Pre-delivery work dated before the sale; the car was sold last month.
    result = one(engine, purchase=date(2026, 10, 1), visits=[(date(2026, 3, 1), 200)])
    assert result.code == "general"
    assert result.reason_en.startswith("no visit since purchase 1 month ago")


@pytest.mark.parametrize(
    "visits, expected",
    [
        # 4 visit days, the oldest exactly 12 months ago (inside the window): loyal
        ([(date(2025, 11, 22), 100), (date(2026, 3, 1), 100), (date(2026, 6, 1), 100), (date(2026, 10, 1), 100)],
         "loyal"),
        # the oldest a day before the window: 3 visits, general
        ([(date(2025, 11, 21), 100), (date(2026, 3, 1), 100), (date(2026, 6, 1), 100), (date(2026, 10, 1), 100)],
         "general"),
        ([(date(2026, 10, 1), 4000)], "loyal"),  # exactly 4000 yuan
        ([(date(2026, 10, 1), 3999)], "general"),
        # big spender who has not come back for 4 months is at risk, not loyal
        ([(date(2026, 7, 1), 9000)], "at_risk"),
    ],
)
def test_loyal_borders(engine, visits, expected):
    assert one(engine, visits=visits).code == expected


def test_two_repair_orders_one_day_are_one_visit_and_cancelled_ones_do_not_count(engine):
    visits = [(date(2026, 3, 1), 100), (date(2026, 3, 1), 100), (date(2026, 6, 1), 100), (date(2026, 10, 1), 100)]
    extra = [dict(ro_number="X1", date_in=date(2026, 11, 1), total_fen=10_000, status="cancelled")]
    result = one(engine, visits=visits, extra_visits=extra)
    assert result.code == "general"
    assert result.visits_12m == 3 and result.spend_12m_fen == 40_000
    assert result.last_visit == date(2026, 10, 1)


def test_visits_after_as_of_are_not_seen(engine):
    result = one(engine, visits=[(date(2026, 1, 10), 100), (date(2026, 11, 1), 5000)], as_of=date(2026, 6, 1))
    assert result.code == "at_risk"
    assert result.last_visit == date(2026, 1, 10) and result.spend_12m_fen == 10_000


def test_relatively_loyal_only_when_the_store_turns_it_on(engine):
    visits = [(date(2026, 2, 1), 100), (date(2026, 6, 1), 100), (date(2026, 10, 1), 100)]
    on = {"class_relatively_loyal_enabled": True}
    assert one(engine, visits=visits, settings=on).code == "relatively_loyal"


def test_relatively_loyal_off_by_default(engine):
    visits = [(date(2026, 2, 1), 100), (date(2026, 6, 1), 100), (date(2026, 10, 1), 100)]
    assert one(engine, visits=visits).code == "general"


def test_relatively_loyal_by_spend(engine):
    on = {"class_relatively_loyal_enabled": True}
    assert one(engine, visits=[(date(2026, 10, 1), 2000)], settings=on).code == "relatively_loyal"


def test_thresholds_are_store_settings(engine):
    settings = {"class_active_months": 4, "class_churn_months": 5, "class_loyal_visits": 2}
    assert one(engine, visits=[(date(2026, 7, 23), 100), (date(2026, 1, 1), 100)], settings=settings).code == "loyal"


def test_churn_months_setting(engine):
    settings = {"class_churn_months": 5}
    assert one(engine, visits=[(date(2026, 6, 21), 100)], settings=settings).code == "churned"


def test_month_end_clamps(engine):
    # 31 May minus 3 calendar months is 28 February (2026 is not a leap year).
    as_of = date(2026, 5, 31)
    assert one(engine, visits=[(date(2026, 2, 28), 100)], as_of=as_of).code == "general"


def test_month_end_clamps_day_before(engine):
    as_of = date(2026, 5, 31)
    assert one(engine, visits=[(date(2026, 2, 27), 100)], as_of=as_of).code == "at_risk"


def test_no_purchase_date_no_visits_is_unknown(engine):
    result = one(engine, purchase=None)
    assert result.code == "unknown"


def test_lookup_shows_class_and_reason(engine):
    with write_session(engine) as s:
        store = add_store(s)
        add_car(s, store, plate="粤A12345", visits=[("RO1", date(2026, 7, 20), 2380)])
    with read_session(engine) as s:
        (m,) = lookup(s, "A123", actor=SYSTEM)
    assert m.class_ == "at_risk"
    assert m.as_dict()["class_reason"] == "last visit 4 months ago; 1 visit, ¥2,380 in 12 months"


def test_the_lookup_fast_path_classifies_exactly_like_the_report(engine):
    """The counter's per-row classification must never drift from the frame rule."""
    from datetime import date

    from store.classes import lookup_classes, vehicle_classes
    from store.db import read_session
    from store.demo import generate
    from store.models import Vehicle
    from sqlmodel import select

    generate(engine, vehicles=400, seed=11, today=date(2026, 11, 22))
    with read_session(engine) as s:
        ids = s.exec(select(Vehicle.id)).all()
        for as_of in (date(2026, 11, 22), date(2025, 6, 30)):
            fast = lookup_classes(s, ids, as_of=as_of)
            framed = vehicle_classes(s, ids, as_of=as_of)
            assert {k: (v.code, v.reason_en) for k, v in fast.items()} == {
                k: (v.code, v.reason_en) for k, v in framed.items()}
            assert len({v.code for v in fast.values()}) >= 3


def test_lookup_classes_stores_with_different_windows(engine):
    """Two stores, one counting loyalty over 6 months: each car by its own store's rule."""
    from datetime import date

    from store.classes import lookup_classes, vehicle_classes
    from store.db import read_session, write_session
    from store.settings import set_setting
    from tests.factories import add_car, add_store

    with write_session(engine) as s:
        a, b = add_store(s, code="A"), add_store(s, code="B")
        set_setting(s, "class_window_months", 6, store_id=b.id)
        # Four visits 7-10 months ago and one 2 months ago: loyal over 12 months, not over 6.
        days = [date(2026, 1, 5), date(2026, 2, 5), date(2026, 3, 5), date(2026, 4, 5), date(2026, 9, 20)]
        ids = [add_car(s, st, plate=p, phone=None, visits=[(f"{st.code}{i}", d, 100) for i, d in enumerate(days)]).id
               for st, p in ((a, "粤A11111"), (b, "粤B22222"))]
    with read_session(engine) as s:
        fast = lookup_classes(s, ids, as_of=date(2026, 11, 22))
        framed = vehicle_classes(s, ids, as_of=date(2026, 11, 22))
    assert [fast[i].code for i in ids] == [framed[i].code for i in ids] == ["loyal", "general"]


@pytest.mark.parametrize(
    "policy, setting, expected",
    [
        (dict(sold_by_store=True, start_on=date(2026, 3, 1), end_on=date(2027, 2, 28)), True, "loyal"),
        (dict(sold_by_store=True, start_on=date(2026, 3, 1), end_on=date(2027, 2, 28)), False, "general"),
        (dict(sold_by_store=False, start_on=date(2026, 3, 1), end_on=date(2027, 2, 28)), True, "general"),
        (dict(sold_by_store=True, start_on=date(2025, 3, 1), end_on=date(2026, 2, 28)), True, "general"),  # ran out
        (dict(sold_by_store=True, start_on=None, end_on=TODAY), True, "loyal"),  # its last day
    ],
)
def test_a_car_insured_through_the_store_counts_as_loyal_where_the_store_says_so(engine, policy, setting, expected):
    """忠诚客户(含续保客户): one visit of ¥500 (general) and a policy; the loyal class by
    the vehicle, the counter's lookup and the class-mix report (Postgres: in SQL)."""
    from store.models import InsurancePolicy, Vehicle
    from store.reports.churn import class_mix_report

    with write_session(engine) as s:
        store = add_store(s)
        set_setting(s, "class_loyal_includes_insured", setting, store_id=store.id)
        car = add_car(s, store, plate="粤A12345", visits=[("RO1", date(2026, 10, 1), 500)])
        s.add(InsurancePolicy(store_id=store.id, vehicle_id=car.id, policy_number="P1", kind="commercial",
                              premium_fen=300_000, **policy))
        vid, sid = car.id, store.id
    with read_session(engine) as s:
        result = vehicle_class(s, vid, as_of=TODAY)
        assert result.code == expected
        insured = policy["sold_by_store"] and policy["end_on"] >= TODAY
        assert result.insured_here == insured and ("本店承保" in result.reason_zh) == insured
        from store.classes import lookup_classes

        assert lookup_classes(s, [vid], as_of=TODAY)[vid].code == expected
        mix = {r["class"]: r["vehicles"] for r in class_mix_report(s, as_of=TODAY, store_ids=[sid]).rows}
        assert mix[expected] == 1
    # An at-risk car stays at risk, insured or not: insurance is not a return.
    from sqlmodel import select

    with write_session(engine) as s:
        s.add(Visit(store_id=sid, vehicle_id=vid, ro_number="RO0", date_in=date(2026, 6, 1), total_fen=100))
        for v in s.exec(select(Visit).where(Visit.ro_number == "RO1")).all():
            s.delete(v)
    with read_session(engine) as s:
        assert vehicle_class(s, vid, as_of=TODAY).code == "at_risk"
