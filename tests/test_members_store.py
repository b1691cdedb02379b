"""Membership rules at their borders, on SQLite and Postgres."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from store import benefits, members, points
from store.access import SYSTEM, Actor
from store.customer_ref import AmbiguousCustomer, CustomerNotFound, resolve_customer
from store.db import read_session, write_session
from store.members import MembershipError
from store.models import AuditLog, Membership, MembershipEvent, StoredValueEntry
from tests.club_helpers import add_visit, make_club, on, tx
from tests.factories import add_car


def _join(engine, club, scheme="annual", **kw):
    return tx(engine, lambda s: members.join(s, customer_id=club.customer_id, scheme=scheme, **kw, actor=SYSTEM))


def _renew(engine, club, **kw):
    return tx(engine, lambda s: members.renew(s, customer_id=club.customer_id, **kw, actor=SYSTEM))


def _card(engine, club):
    with read_session(engine) as s:
        return members.member_card(s, customer_id=club.customer_id, actor=SYSTEM)


# --- annual fee ---------------------------------------------------------------------------


def test_join_annual_sets_expiry_fee_and_refuses_a_second_join(engine):
    club = make_club(engine)
    card = _join(engine, club, key="j1")
    assert (card.scheme, card.state, card.expires_on, card.fee_fen) == ("annual", "active", date(2027, 11, 22), 30000)
    assert card.tier.code == "regular"  # no spend yet: the lowest tier
    assert card.renew_by == date(2028, 2, 22)
    assert _join(engine, club, key="j1").membership_id == card.membership_id  # same key: joined once
    with pytest.raises(MembershipError, match="already a member"):
        _join(engine, club, key="j2")
    with read_session(engine) as s:
        assert len(s.exec(select(Membership)).all()) == 1
        assert s.exec(select(AuditLog.action).where(AuditLog.entity == "membership")).all() == ["membership.join"]


def test_join_refuses_bad_scheme_tier_and_top_up_on_annual(engine):
    club = make_club(engine)
    with pytest.raises(MembershipError, match="scheme 'gold'"):
        _join(engine, club, scheme="gold")
    with pytest.raises(MembershipError, match="no tier 'platinum'"):
        _join(engine, club, tier_code="platinum")
    with pytest.raises(MembershipError, match="holds no stored value"):
        _join(engine, club, topup_fen=100_00)
    assert _card(engine, club) is None


def _joined_on(engine, club, day: str, scheme="annual", **kw):
    on(day)
    card = _join(engine, club, scheme=scheme, **kw)
    on("2026-11-22")
    return card


def test_renewal_on_the_last_grace_day_is_dated_from_the_old_expiry(engine):
    club = make_club(engine)
    _joined_on(engine, club, "2025-08-22")  # expires 2026-08-22, renew by 2026-11-22 (today)
    assert _card(engine, club).state == "grace"
    res = _renew(engine, club)
    assert (res.old_expires_on, res.new_expires_on) == (date(2026, 8, 22), date(2027, 8, 22))  # not 2027-11-22
    assert _card(engine, club).state == "active"


def test_a_renewal_retried_without_a_key_in_the_grace_period_renews_one_term(engine):
    club = make_club(engine)
    _joined_on(engine, club, "2025-09-30")  # expired 2026-09-30, in its grace period today
    first = _renew(engine, club)
    again = _renew(engine, club)  # the same command run twice (a retry, no --key)
    assert first.new_expires_on == again.new_expires_on == date(2027, 9, 30)
    assert again.replayed
    with read_session(engine) as s:
        renewals = s.exec(select(MembershipEvent).where(MembershipEvent.kind == "renew")).all()
        assert len(renewals) == 1
    assert _card(engine, club).expires_on == date(2027, 9, 30)


def test_renewal_the_day_after_the_grace_period_is_refused(engine):
    club = make_club(engine)
    _joined_on(engine, club, "2025-08-21")  # renew by 2026-11-21: yesterday
    assert _card(engine, club).state == "lapsed"
    with pytest.raises(MembershipError, match="renewal was open until 2026-11-21; join again"):
        _renew(engine, club)
    assert _card(engine, club).expires_on == date(2026, 8, 21)
    card = _join(engine, club)  # joining again is dated from today
    assert card.started_on == date(2026, 11, 22) and card.expires_on == date(2027, 11, 22)


def test_early_renewal_keeps_the_old_expiry_and_a_key_renews_once(engine):
    club = make_club(engine)
    _joined_on(engine, club, "2025-12-31")  # expires 2026-12-31
    res = _renew(engine, club, key="r1", fee_fen=25000)
    assert res.new_expires_on == date(2027, 12, 31)
    again = _renew(engine, club, key="r1", fee_fen=25000)
    assert again.replayed and again.new_expires_on == date(2027, 12, 31)
    with pytest.raises(MembershipError, match="already renewed: in force until 2027-12-31"):
        _renew(engine, club, key="r2")
    with read_session(engine) as s:
        fees = s.exec(select(MembershipEvent.kind, MembershipEvent.fee_fen).order_by(MembershipEvent.id)).all()
    assert fees == [("join", 30000), ("renew", 25000)]


def test_month_end_expiry_renews_to_the_month_end(engine):
    club = make_club(engine)
    _joined_on(engine, club, "2025-11-30")  # expires 2026-11-30
    assert _renew(engine, club).new_expires_on == date(2027, 11, 30)


def test_stored_value_membership_cannot_renew(engine):
    club = make_club(engine)
    _join(engine, club, scheme="stored", topup_fen=500_00)
    with pytest.raises(MembershipError, match="top up instead"):
        _renew(engine, club)


# --- stored value ----------------------------------------------------------------------------


def _sv(engine, club, fn, yuan, key=None):
    return tx(engine, lambda s: getattr(members, fn)(s, customer_id=club.customer_id, amount_fen=yuan * 100, key=key, actor=SYSTEM))


def test_stored_value_top_up_spend_and_never_below_zero(engine):
    club = make_club(engine)
    _join(engine, club, scheme="stored", topup_fen=300_00)
    assert _sv(engine, club, "topup", 200, key="t1").balance_fen == 500_00
    assert _sv(engine, club, "topup", 200, key="t1").replayed
    with pytest.raises(MembershipError, match=r"balance ¥500.00, needs ¥500.01"):
        tx(engine, lambda s: members.spend(s, customer_id=club.customer_id, amount_fen=500_01, actor=SYSTEM))
    assert _sv(engine, club, "spend", 500).balance_fen == 0
    card = _card(engine, club)
    assert card.zero_balance_since == date(2026, 11, 22) and card.stored_lapses_on == date(2027, 5, 22)
    with read_session(engine) as s:
        amounts = s.exec(select(StoredValueEntry.amount_fen).order_by(StoredValueEntry.id)).all()
    assert amounts == [300_00, 200_00, -500_00] and sum(amounts) == card.stored_value_fen


def test_stored_value_lapses_after_six_months_at_zero_not_a_day_before(engine):
    club = make_club(engine)
    _joined_on(engine, club, "2026-05-23", scheme="stored")  # no top-up: zero since 2026-05-23
    on("2026-11-22")
    assert _card(engine, club).state == "active"
    assert tx(engine, lambda s: members.sweep_lapses(s, store_id=club.store_id, actor=SYSTEM)) == []
    on("2026-11-23")
    assert _card(engine, club).state == "lapsed"
    lapsed = tx(engine, lambda s: members.sweep_lapses(s, store_id=club.store_id, actor=SYSTEM))
    assert [(x.ended_on, x.scheme) for x in lapsed] == [(date(2026, 11, 23), "stored")]
    assert tx(engine, lambda s: members.sweep_lapses(s, store_id=club.store_id, actor=SYSTEM)) == []  # once
    with pytest.raises(MembershipError, match="lapsed"):
        _sv(engine, club, "topup", 100)


def test_a_top_up_keeps_stored_value_from_lapsing(engine):
    club = make_club(engine)
    _joined_on(engine, club, "2026-05-23", scheme="stored")
    _sv(engine, club, "topup", 100)
    on("2027-06-01")
    assert _card(engine, club).state == "active"


def test_annual_sweep_lapses_after_grace_and_reminders_list_low_balance_and_renewals(engine):
    club = make_club(engine)
    _joined_on(engine, club, "2025-12-10", scheme="both", topup_fen=150_00)  # expires 2026-12-10
    with read_session(engine) as s:
        kinds = [(r.kind, r.detail) for r in members.reminders(s, store_id=club.store_id, actor=SYSTEM)]
    assert kinds == [("low_balance", "stored value ¥150.00 (under ¥200.00)"), ("renewal", "expires 2026-12-10")]
    on("2027-03-10")
    assert tx(engine, lambda s: members.sweep_lapses(s, store_id=club.store_id, actor=SYSTEM)) == []  # last grace day
    on("2027-03-11")
    (line,) = tx(engine, lambda s: members.sweep_lapses(s, store_id=club.store_id, actor=SYSTEM))
    assert line.ended_on == date(2026, 12, 11) and "not renewed by 2027-03-10" in line.reason


def test_leaving_pays_the_deposit_back(engine):
    club = make_club(engine)
    _join(engine, club, scheme="both", topup_fen=800_00)
    _sv(engine, club, "spend", 300)
    res = tx(engine, lambda s: members.leave(s, customer_id=club.customer_id, reason="moving away", actor=SYSTEM))
    assert res.refund_fen == 500_00
    card = _card(engine, club)
    assert (card.state, card.stored_value_fen, card.ended_on) == ("left", 0, date(2026, 11, 22))
    with pytest.raises(MembershipError, match="already left"):
        tx(engine, lambda s: members.leave(s, customer_id=club.customer_id, actor=SYSTEM))
    with pytest.raises(MembershipError, match="left on 2026-11-22"):
        _renew(engine, club)


# --- tiers --------------------------------------------------------------------------------


def test_tier_by_cumulative_spend_at_join_and_downgrade_one_step_at_renewal(engine):
    club = make_club(engine)
    on("2025-12-01")
    add_visit(engine, club, "RO1", date(2025, 6, 1), total=12000)
    add_visit(engine, club, "RO2", date(2025, 9, 1), total=9000)  # 21,000 in 12 months: diamond
    assert _join(engine, club).tier.code == "diamond"
    on("2026-11-30")  # no spend in the last 12 months: the spend earns no tier
    res = _renew(engine, club)
    assert res.tier_change == "diamond -> gold"  # one step at most
    on("2027-11-30")
    assert _renew(engine, club).tier_change == "gold -> regular"
    on("2028-11-30")
    assert _renew(engine, club).tier_change is None  # never below the lowest


def test_member_bill_adds_discounts_free_services_and_points_used(engine, tmp_path):
    club = make_club(engine)
    on("2026-01-05")
    _join(engine, club)  # regular 9.8折
    add_visit(engine, club, "RO1", date(2026, 3, 1), total=1000)  # saves 20 (credited or not)
    add_visit(engine, club, "RO0", date(2026, 1, 4), total=5000)  # before joining: no discount
    add_visit(engine, club, "RO9", date(2025, 12, 1), total=5000)  # another year
    on("2026-06-01")
    with write_session(engine) as s:
        s.add(MembershipEvent(membership_id=_card(engine, club).membership_id, customer_id=club.customer_id,
                              kind="upgrade", happened_on=date(2026, 6, 1), tier_code="gold",
                              idempotency_key="test:upgrade"))
        s.get(Membership, _card(engine, club).membership_id).tier_code = "gold"
    add_visit(engine, club, "RO2", date(2026, 7, 1), total=2001)  # gold 9.5折: 100.05 -> 100.05 yuan
    tx(engine, lambda s: benefits.use_benefit(s, customer_id=club.customer_id, benefit="ALIGN", actor=SYSTEM))  # gold
    staff = Actor(club.staff_id, "王伟", "member", club.store_id)
    tx(engine, lambda s: points.adjust(s, customer_id=club.customer_id, points=200, reason="t", actor=staff))
    tx(engine, lambda s: points.redeem(s, customer_id=club.customer_id, item_code="WASH", actor=SYSTEM))
    returned = tx(engine, lambda s: points.redeem(s, customer_id=club.customer_id, item_code="MUG", actor=SYSTEM))
    tx(engine, lambda s: points.reverse_entry(s, entry_id=returned.entry_id, reason="returned", actor=staff))
    with read_session(engine) as s:
        bill = members.member_bill(s, customer_id=club.customer_id, year=2026, actor=SYSTEM)
    assert [(x.kind, x.saved_fen) for x in bill.lines] == [
        ("discount", 20_00), ("free_service", 200_00), ("points", 30_00), ("discount", 100_05)]
    assert (bill.discount_fen, bill.free_services_fen, bill.points_used, bill.points_value_fen) == (
        120_05, 200_00, 30, 30_00)
    assert bill.total_saved_fen == 350_05 and bill.fees_paid_fen == 300_00
    path = members.write_member_bill_xlsx(bill, tmp_path / "bill.xlsx")
    ws = load_workbook(path).active
    values = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    assert ws.title == "会员服务帐单"
    assert ["合计节省 Total saved", 350.05] == [v for v in values[-2] if v is not None]
    assert any(row[2] == "四轮定位" and row[3] == 200 for row in values)


# --- which customer -------------------------------------------------------------------------


def test_resolve_customer_by_id_phone_plate_and_ambiguity(engine):
    club = make_club(engine)
    with write_session(engine) as s:
        from store.models import Store

        store = s.get(Store, club.store_id)
        add_car(s, store, plate="粤A12399", owner="李娜", phone="13900001234")
    with read_session(engine) as s:
        assert resolve_customer(s, f"id:{club.customer_id}", actor=SYSTEM).name == "张伟"
        assert resolve_customer(s, "13812345678", actor=SYSTEM).name == "张伟"
        assert resolve_customer(s, "粤a·12345", actor=SYSTEM).name == "张伟"  # exact plate among A123xx
        assert resolve_customer(s, "2399", actor=SYSTEM).name == "李娜"
        with pytest.raises(AmbiguousCustomer, match="'A123' matches 2 customers: .*张伟.*李娜"):
            resolve_customer(s, "A123", actor=SYSTEM)
        with pytest.raises(CustomerNotFound):
            resolve_customer(s, "id:999", actor=SYSTEM)
        with pytest.raises(CustomerNotFound):
            resolve_customer(s, "Q9Q9", actor=SYSTEM)


# --- the tier at the moment of the sale ---------------------------------------------------------


def test_each_ro_is_priced_and_credited_at_the_tier_in_force_when_it_was_settled(engine):
    """普卡 -> 金卡 -> 钻石卡: the RO that lifts a tier is priced and credited at the
    tier it found; the change applies from the next RO, the same day or later. The
    member bill, the club's accounts and the points agree, however late the ROs are
    credited (here: all at once, after the last one)."""
    from store.reports import Month
    from store.reports.costs import costs_report

    club = make_club(engine)
    on("2026-03-01")
    _join(engine, club)  # 普卡 9.8折 x1.0
    add_visit(engine, club, "RO-T-0001", date(2026, 3, 5), total=3000)   # 3,000: still 普卡
    add_visit(engine, club, "RO-T-0003", date(2026, 3, 10), total=6000)  # 9,000 in the window: 金卡 after it
    add_visit(engine, club, "RO-T-0004", date(2026, 3, 10), total=12000)  # 21,000: 钻石卡 after it
    add_visit(engine, club, "RO-T-0005", date(2026, 3, 20), total=1000)
    on("2026-03-31")
    earned = tx(engine, lambda s: points.sync_visits(s, store_id=club.store_id, actor=SYSTEM))
    assert [(r.ro_number, r.points) for r in earned] == [
        ("RO-T-0001", 30), ("RO-T-0003", 60), ("RO-T-0004", 144), ("RO-T-0005", 15)]  # x1.0, x1.0, x1.2, x1.5
    with read_session(engine) as s:
        bill = members.member_bill(s, customer_id=club.customer_id, year=2026, actor=SYSTEM)
        lines = {r["line"]: r for r in costs_report(s, month=Month(2026, 3), store_ids=[club.store_id])
                 .sheet("lines").rows}
        card = members.member_card(s, customer_id=club.customer_id, actor=SYSTEM)
    assert [(x.description, x.saved_fen) for x in bill.lines] == [
        ("RO-T-0001 普卡 9.8折", 60_00), ("RO-T-0003 普卡 9.8折", 120_00), ("RO-T-0004 金卡 9.5折", 600_00),
        ("RO-T-0005 钻石卡 9折", 100_00)]
    assert lines["discounts"]["cost"] == Decimal("880.00") == Decimal(bill.discount_fen) / 100
    assert card.tier.code == "diamond"


def test_an_ro_credited_out_of_order_keeps_the_tier_order_of_the_ros(engine):
    club = make_club(engine)
    on("2026-03-01")
    _join(engine, club)
    first = add_visit(engine, club, "RO1", date(2026, 3, 5), total=9000)  # lifts to 金卡
    later = add_visit(engine, club, "RO2", date(2026, 3, 6), total=1000)
    on("2026-03-07")
    assert tx(engine, lambda s: points.earn_for_visit(s, visit_id=later, actor=SYSTEM)).points == 10  # found 普卡
    assert tx(engine, lambda s: points.earn_for_visit(s, visit_id=first, actor=SYSTEM)).points == 90
    with read_session(engine) as s:
        bill = members.member_bill(s, customer_id=club.customer_id, year=2026, actor=SYSTEM)
        assert members.member_card(s, customer_id=club.customer_id, actor=SYSTEM).tier.code == "gold"
    # RO2 came after the RO that lifted the tier: the bill prices it at 金卡 from now on.
    assert [x.description for x in bill.lines] == ["RO1 普卡 9.8折", "RO2 金卡 9.5折"]
