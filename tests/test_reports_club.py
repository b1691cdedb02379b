"""The club's monthly KPIs and what the club costs, on both backends, against the
month worked out by hand in tests/report_helpers.py (today 2026-11-22)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import select

from store.access import SYSTEM
from store import members
from store.club_ledger import ClubLedgerError, add_entry, entries
from store.db import read_session, write_session
from store.models import InsurancePolicy, Vehicle
from store.reports import Month
from store.reports.costs import costs_report
from store.reports.members import members_report
from tests.report_helpers import make_month

OCT = Month(2026, 10)


@pytest.fixture
def shop(engine):
    return engine, make_month(engine)


def kpis(book) -> dict:
    return {r["key"]: r["value"] for r in book.sheet("summary").rows}


def test_monthly_kpis_worked_out_by_hand(shop):
    engine, shop = shop
    with read_session(engine) as s:
        book = members_report(s, month=OCT, store_ids=[shop.store_id])
    k = kpis(book)
    assert (k["new_members"], k["members_in_force"], k["cumulative_members"]) == (4, 6, 8)
    assert (k["renewals_due"], k["renewed"], k["renewal_rate"]) == (2, 1, 50.0)
    assert (k["insurance_due"], k["insurance_renewed"], k["insurance_renewal_rate"]) == (4, 2, 50.0)
    assert (k["insurance_renewed_here"], k["insurance_here_rate"]) == (1, 25.0)
    assert (k["referrals"], k["referral_sales"]) == (1, 2)
    assert k["member_spend_per_vehicle"] == Decimal("4166.67")
    assert k["non_member_spend_per_vehicle"] == Decimal("750.00")
    assert (k["pitched"], k["pitch_joined"], k["conversion"]) == (5, 3, 60.0)

    by_class = {r["class"]: r["members"] for r in book.sheet("new_by_class").rows}
    assert by_class == {"loyal": 1, "general": 1, "at_risk": 1, "churned": 0, "unknown": 1}
    assert book.sheet("new_by_class").total == {"members": 4, "share": 100.0}

    staff = [(r["role"], r["staff"], r["pitches"], r["pitched"], r["joined"], r["conversion"], r["bookings"])
             for r in book.sheet("staff").rows]
    assert staff == [("sa", "李娜", 2, 2, 1, 50.0, 2), ("sa", "王伟", 3, 2, 1, 50.0, 1),
                     ("ca", "黄磊", 1, 1, 1, 100.0, 0)]
    assert book.sheet("staff").total == {"pitches": 6, "pitched": 5, "joined": 3, "not_signed": 0, "conversion": 60.0,
                                         "bookings": 3}

    spend = {r["group"]: (r["vehicles"], r["visits"], r["spend"], r["spend_per_visit"])
             for r in book.sheet("spend").rows}
    assert spend == {"member": (3, 5, Decimal("12500.00"), Decimal("2500.00")),
                     "non_member": (2, 3, Decimal("1500.00"), Decimal("500.00"))}

    trend = {r["month"]: r for r in book.sheet("trend").rows}
    assert list(trend)[0] == "2025-11" and list(trend)[-1] == "2026-10"
    assert (trend["2026-09"]["members_in_force"], trend["2026-09"]["renewals_due"],
            trend["2026-09"]["renewal_rate"]) == (2, 1, 100.0)
    assert (trend["2026-10"]["new_members"], trend["2026-10"]["members_in_force"],
            trend["2026-10"]["renewed"]) == (4, 6, 1)
    assert trend["2026-03"]["members_in_force"] == 3  # c7 left on 03-01; c5, c6 and c8 remain


def test_insurance_rate_is_na_without_insurance_data_and_stores_stay_apart(shop):
    engine, shop = shop
    with read_session(engine) as s:
        other = members_report(s, month=OCT, store_ids=[shop.other_store_id])
    k = kpis(other)
    assert k["insurance_renewal_rate"] == "n/a" and "insurance_due" not in k
    assert (k["new_members"], k["members_in_force"]) == (0, 0)
    assert {r["group"]: r["vehicles"] for r in other.sheet("spend").rows} == {"member": 0, "non_member": 1}
    with write_session(engine) as s:
        for p in s.exec(select(InsurancePolicy)).all():
            s.delete(p)
    with read_session(engine) as s:
        assert kpis(members_report(s, month=OCT, store_ids=[shop.store_id]))["insurance_renewal_rate"] == "n/a"


def test_costs_by_department_with_the_balance_carried(shop):
    engine, shop = shop
    with read_session(engine) as s:
        book = costs_report(s, month=OCT, store_ids=[shop.store_id])
        nov = costs_report(s, month=Month(2026, 11), store_ids=[shop.store_id])
    y = Decimal
    assert book.sheet("balance").rows == [{"month": "2026-10", "opening": y("1200.00"), "income": y("2500.00"),
                                           "costs": y("1008.00"), "closing": y("2692.00")}]
    lines = {r["line"]: r["income"] if r["department"] == "income" else r["cost"] for r in book.sheet("lines").rows}
    assert lines == {"fees": y("1500.00"), "other_income": y("1000.00"), "discounts": y("268.00"),
                     "free_services": y("50.00"), "points_money": y("0.00"), "points_services": y("30.00"),
                     "points_accessories": y("400.00"), "points_other": y("0.00"), "points_gifts": y("60.00"),
                     "gifts": y("200.00"), "rewards": y("0.00"), "activity": y("0.00"), "other": y("0.00")}
    depts = {r["department"]: (r["costs"], r["share"]) for r in book.sheet("departments").rows}
    assert depts == {"aftersales": (y("318.00"), 31.55), "accessories": (y("430.00"), 42.66),
                     "club": (y("260.00"), 25.79)}
    # November opens where October closed; the reversed gift comes back in November.
    assert nov.sheet("balance").rows[0] == {"month": "2026-11", "opening": y("2692.00"), "income": y("0.00"),
                                            "costs": y("-40.00"), "closing": y("2732.00")}
    trend = {r["month"]: r for r in nov.sheet("trend").rows}
    assert len(trend) == 12 and trend["2026-10"]["closing"] == trend["2026-11"]["opening"]
    assert trend["2025-12"]["opening"] == y("1200.00") and trend["2026-11"]["club"] == y("-60.00")


def test_discounts_agree_with_the_member_bills(shop):
    """The club's discount line is the sum of what the member bills say members saved."""
    engine, shop = shop
    with read_session(engine) as s:
        book = costs_report(s, month=OCT, store_ids=[shop.store_id])
        saved = 0
        for cid in shop.customers.values():
            bill = members.member_bill(s, customer_id=cid, year=2026, actor=SYSTEM)
            saved += sum(line.saved_fen for line in bill.lines
                         if line.kind == "discount" and date(2026, 10, 1) <= line.day <= date(2026, 10, 31))
    discounts = next(r["cost"] for r in book.sheet("lines").rows if r["line"] == "discounts")
    assert saved == 26_800 and discounts == Decimal("268.00")


def test_club_entries_are_refused_when_wrong_and_recorded_once(shop):
    engine, shop = shop
    m = shop.manager
    with write_session(engine) as s:
        with pytest.raises(ClubLedgerError, match="category"):
            add_entry(s, store_id=shop.store_id, kind="cost", category="lunch", amount_fen=100, actor=m)
        with pytest.raises(ClubLedgerError, match="not zero"):
            add_entry(s, store_id=shop.store_id, kind="cost", category="gift", amount_fen=0, actor=m)
        with pytest.raises(ClubLedgerError, match="future"):
            add_entry(s, store_id=shop.store_id, kind="cost", category="gift", amount_fen=100, actor=m,
                      day=date(2026, 12, 1))
        with pytest.raises(PermissionError):
            from store.access import Actor

            add_entry(s, store_id=shop.store_id, kind="cost", category="gift", amount_fen=100,
                      actor=Actor(shop.staff["SA01"], "王伟", "sa", shop.store_id))
        again = add_entry(s, store_id=shop.store_id, kind="cost", category="gift", amount_fen=20_000, actor=m, key="e1")
    assert again.replayed
    with read_session(engine) as s:
        assert [(e.kind, e.category, e.amount_fen) for e in entries(s, store_id=shop.store_id, month=OCT, actor=SYSTEM)] == [
            ("cost", "gift", 20_000), ("income", "sponsor", 100_000)]


def test_an_empty_store_reports_zeros(engine):
    with write_session(engine) as s:
        from store.models import Store

        s.add(Store(code="E01", name="空店"))
    with read_session(engine) as s:
        m = members_report(s, month=OCT)
        c = costs_report(s, month=OCT)
    k = kpis(m)
    assert (k["new_members"], k["renewal_rate"], k["insurance_renewal_rate"]) == (0, None, "n/a")
    assert c.sheet("balance").rows[0]["closing"] == Decimal("0.00")
    assert len(c.sheet("trend").rows) == 12


def test_the_demo_store_has_a_club_history_to_report(engine):
    from store.demo import generate

    generate(engine, vehicles=300, seed=7, today=date(2026, 11, 22))
    with read_session(engine) as s:
        kpi = kpis(members_report(s, month=OCT))
        lines = {r["line"]: r for r in costs_report(s, month=OCT).sheet("lines").rows}
    assert kpi["members_in_force"] > 0 and kpi["renewals_due"] > 0 and kpi["renewed"] > 0
    assert lines["fees"]["income"] > 0 and lines["gifts"]["cost"] > 0 and lines["discounts"]["cost"] > 0


def test_the_churn_workbook_counts_every_cut_in_one_pass_with_the_same_figures(shop):
    from store.reports.books import CHURN_CUTS, churn_book
    from store.reports.churn import churn_report

    engine, shop = shop
    day = date(2026, 10, 31)
    with read_session(engine) as s:
        book = churn_book(s, as_of=day, by=["store"])
        assert [sheet.key for sheet in book.sheets] == ["by_store", "by_warranty", "by_model", "by_vehicle_age",
                                                        "by_region", "by_sa"]
        for sheet in book.sheets:
            dims = [c for c in sheet.columns if c in CHURN_CUTS + ("store",)]
            alone = churn_report(s, as_of=day, by=dims)
            assert (sheet.rows, sheet.total) == (alone.rows, alone.total)
    models = {r["model"]: r["vehicles"] for r in book.sheet("by_model").rows}
    # 轩逸: c2, c5, c10, the new car and the second store's; the sold car is out of the park.
    assert models == {"天籁": 1, "奇骏": 2, "轩逸": 5}


def test_insurance_renewals_from_the_policies_on_file(shop):
    """The October policies of tests/report_helpers.py, by SA, insurer and month."""
    from store.reports.insurance import insurance_report

    engine, shop = shop
    with read_session(engine) as s:
        book = insurance_report(s, month=OCT, store_ids=[shop.store_id])
        other = insurance_report(s, month=OCT, store_ids=[shop.other_store_id])
    (summary,) = book.sheet("summary").rows
    assert (summary["policies_due"], summary["renewed_here"], summary["renewed_other"], summary["not_renewed"]) == (
        4, 1, 1, 2)
    assert (summary["insurance_rate"], summary["insurance_here_rate"]) == (50.0, 25.0)
    assert (summary["premium_here"], summary["policies_sold"], summary["premium_sold"]) == (
        Decimal("3300.00"), 2, Decimal("7300.00"))
    insurers = {str(r["insurer"]): (r["policies_due"], r["renewed_here"], r["renewed_other"])
                for r in book.sheet("insurer").rows}
    assert insurers == {"人保财险": (2, 1, 0), "平安产险": (1, 0, 1), "太平洋产险": (1, 0, 0)}
    assert book.sheet("insurer").total["policies_due"] == 4
    (sa,) = book.sheet("sa").rows  # nobody adopted these cars
    assert sa["sa"].zh == "未领养" and sa["policies_due"] == 4
    trend = {r["month"]: r for r in book.sheet("trend").rows}
    assert list(trend)[0] == "2025-11" and trend["2026-10"]["policies_due"] == 4
    assert trend["2026-09"]["policies_due"] == 0 and trend["2026-09"]["insurance_rate"] is None
    assert other.sheet("summary").rows[0]["policies_due"] == 0
    # A renewal arriving later (an import of the next policy) lifts the month's rate.
    with write_session(engine) as s:
        car = s.exec(select(InsurancePolicy).where(InsurancePolicy.policy_number == "PC2-2025")).one().vehicle_id
        s.add(InsurancePolicy(store_id=shop.store_id, vehicle_id=car, policy_number="PC2-2026", insurer="太平洋产险",
                              kind="commercial", start_on=date(2026, 11, 5), end_on=date(2027, 11, 4),
                              premium_fen=250_000, sold_by_store=True))
    with read_session(engine) as s:
        (summary,) = insurance_report(s, month=OCT, store_ids=[shop.store_id]).sheet("summary").rows
    assert (summary["renewed_here"], summary["insurance_rate"], summary["premium_here"]) == (
        2, 75.0, Decimal("5800.00"))
