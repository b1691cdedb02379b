"""Points ledger rules at their borders, on SQLite and Postgres."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from store import members, points
from store.access import SYSTEM, Actor
from store.db import read_session, write_session
from store.models import AuditLog, CatalogItem, PointsAccount, PointsEntry, Visit
from store.points import ExpiringLot, PointsError, expiring_soon
from store.settings import set_setting
from tests.club_helpers import add_visit, ledger, make_club, on, tx


def _member(engine, club, scheme="annual", **kw):
    return tx(engine, lambda s: members.join(s, customer_id=club.customer_id, scheme=scheme, **kw, actor=SYSTEM))


def _earn(engine, visit_id):
    return tx(engine, lambda s: points.earn_for_visit(s, visit_id=visit_id, actor=SYSTEM))


def _redeem(engine, club, code="WASH", qty=1, key=None):
    return tx(engine, lambda s: points.redeem(s, customer_id=club.customer_id, item_code=code, quantity=qty, key=key, actor=SYSTEM))


def _staff(club):
    return Actor(staff_id=club.staff_id, name="王伟", role="member", store_id=club.store_id)


def _adjust(engine, club, pts, reason="test", key=None):
    return tx(engine, lambda s: points.adjust(s, customer_id=club.customer_id, points=pts, reason=reason,
                                              actor=_staff(club), key=key))


def _setting(engine, club, key, value):
    with write_session(engine) as s:
        set_setting(s, key, value, store_id=club.store_id)


def _check(engine):
    with read_session(engine) as s:
        return points.check_ledger(s, actor=SYSTEM)


# --- earning -------------------------------------------------------------------------


def test_an_ro_earns_once_however_often_it_is_credited(engine):
    club = make_club(engine)
    _member(engine, club)
    vid = add_visit(engine, club, "RO1", date(2026, 11, 22), total=1234)
    first = _earn(engine, vid)
    assert (first.status, first.points, first.balance) == ("earned", 12, 12)
    again = _earn(engine, vid)
    assert (again.status, again.balance) == ("already", 12)
    with write_session(engine) as s:
        assert points.sync_visits(s, store_id=club.store_id, actor=SYSTEM) == []  # an import re-run adds nothing
    balance, rows = ledger(engine, club.customer_id)
    assert balance == 12 and rows == [("earn", 12, 12)]


def test_rates_per_category_and_tier_multiplier_round_down(engine):
    club = make_club(engine)
    _member(engine, club, tier_code="gold")  # x1.2
    _setting(engine, club, "points_rate_by_category", {"oil": 2, "labour": 1.5})
    # labour 1000 x1.5 = 15, oil 500 x2 = 10, parts 299 x1 = 2.99, other 1 x1 = 0.01: 28 x1.2 = 33.6 -> 33
    vid = add_visit(engine, club, "RO1", date(2026, 11, 22), total=1800, labour=1000, oil=500, parts=299)
    assert _earn(engine, vid).points == 33


def test_categories_above_the_total_earn_on_what_was_paid(engine):
    club = make_club(engine)
    _member(engine, club)
    _setting(engine, club, "points_rate_by_category", {"oil": 10})
    # before a discount oil 1000 + parts 1000; the bill was 1000: half of each
    vid = add_visit(engine, club, "RO1", date(2026, 11, 22), total=1000, oil=1000, parts=1000)
    assert _earn(engine, vid).points == 55  # 500 x10/100 + 500 x1/100


def test_non_members_visits_before_joining_and_warranty_earn_nothing(engine):
    club = make_club(engine)
    before = add_visit(engine, club, "RO0", date(2026, 11, 21), total=5000)
    assert _earn(engine, before).status == "skipped"
    with read_session(engine) as s:  # no account opened for a non-member
        assert s.exec(select(PointsAccount)).all() == []
    _member(engine, club)
    assert "not a member on 2026-11-21" in _earn(engine, before).reason
    warranty = add_visit(engine, club, "RO2", date(2026, 11, 22), total=5000, repair_type="warranty")
    assert _earn(engine, warranty).status == "skipped"
    assert ledger(engine, club.customer_id) == (0, [])


def test_cancelled_ro_takes_its_points_back_once(engine):
    club = make_club(engine)
    _member(engine, club)
    vid = add_visit(engine, club, "RO1", date(2026, 11, 22), total=5000)
    _earn(engine, vid)
    with write_session(engine) as s:
        s.get(Visit, vid).status = "cancelled"
    res = _earn(engine, vid)  # a re-import brings the cancellation
    assert (res.status, res.points, res.balance) == ("reversed", -50, 0)
    again = tx(engine, lambda s: points.reverse_visit(s, visit_id=vid, actor=SYSTEM))  # reversing a reversed RO
    assert again.status == "already_reversed"
    with write_session(engine) as s:
        s.get(Visit, vid).status = "settled"  # a DMS that flips it back does not earn it twice
    assert _earn(engine, vid).status == "already_reversed"
    assert ledger(engine, club.customer_id) == (0, [("earn", 50, 0), ("reverse", -50, 0)])
    assert _check(engine).ok


def test_reversal_of_spent_points_takes_other_points_then_owes_the_rest(engine):
    club = make_club(engine)
    _member(engine, club)
    v1 = add_visit(engine, club, "RO1", date(2026, 11, 22), total=5000)  # 50
    _earn(engine, v1)
    _redeem(engine, club, "WASH")  # 30 spent, 20 left
    _adjust(engine, club, 10)  # another lot of 10: 30 in all
    with write_session(engine) as s:
        s.get(Visit, v1).status = "cancelled"
    res = _earn(engine, v1)
    assert (res.points, res.balance, res.owed) == (-30, 0, 20)
    with read_session(engine) as s:
        assert s.exec(select(PointsAccount)).one().owed == 20
    v2 = add_visit(engine, club, "RO2", date(2026, 11, 22), total=3000)  # 30: 20 repay the debt
    assert _earn(engine, v2).balance == 10
    balance, rows = ledger(engine, club.customer_id)
    assert balance == 10
    assert rows[-2:] == [("earn", 30, 10), ("recover", -20, 0)]
    with read_session(engine) as s:
        assert s.exec(select(PointsAccount)).one().owed == 0
    assert _check(engine).ok


def test_reversing_an_expired_earn_does_not_take_its_points_twice(engine):
    club = make_club(engine)
    _setting(engine, club, "points_expiry_months", 12)
    on("2025-01-10")
    _member(engine, club, scheme="stored", topup_fen=100_00)
    v1 = add_visit(engine, club, "RO1", date(2025, 1, 10), total=4000)
    _earn(engine, v1)  # 40, last day 2026-01-10
    on("2026-03-01")
    _adjust(engine, club, 25)
    with write_session(engine) as s:
        s.get(Visit, v1).status = "cancelled"
    res = _earn(engine, v1)
    assert (res.points, res.balance, res.owed) == (0, 25, 0)  # the 40 already expired: nothing more to take
    balance, rows = ledger(engine, club.customer_id)
    assert [r[0] for r in rows] == ["earn", "adjust", "expire", "reverse"]
    assert balance == 25 and _check(engine).ok


def test_a_visit_that_qualifies_upgrades_the_tier(engine):
    club = make_club(engine)
    _member(engine, club)
    vid = add_visit(engine, club, "RO1", date(2026, 11, 22), total=8000)
    assert _earn(engine, vid).points == 80  # earned at the old tier's multiplier
    with read_session(engine) as s:
        assert members.member_card(s, customer_id=club.customer_id, actor=SYSTEM).tier.code == "gold"


# --- redeeming ---------------------------------------------------------------------------


def test_exact_balance_redeems_and_one_point_short_is_refused(engine):
    club = make_club(engine)
    _member(engine, club)
    _adjust(engine, club, 59)
    with pytest.raises(PointsError, match="not enough points: balance 59, needs 60"):
        _redeem(engine, club, "MUG")
    assert ledger(engine, club.customer_id)[0] == 59
    with read_session(engine) as s:
        assert s.exec(select(CatalogItem.stock).where(CatalogItem.code == "MUG")).one() == 3
    _adjust(engine, club, 1)
    res = _redeem(engine, club, "MUG")
    assert (res.points, res.balance, res.item_name) == (60, 0, "保温杯")
    with read_session(engine) as s:
        assert s.exec(select(CatalogItem.stock).where(CatalogItem.code == "MUG")).one() == 2
    assert _check(engine).ok


def test_same_key_redeems_once_and_reports_the_first_result(engine):
    club = make_club(engine)
    _member(engine, club)
    _adjust(engine, club, 100)
    first = _redeem(engine, club, "WASH", key="till1-0001")
    second = _redeem(engine, club, "WASH", key="till1-0001")
    assert second.replayed and not first.replayed
    assert (second.entry_id, second.points, second.balance) == (first.entry_id, 30, 70)
    assert ledger(engine, club.customer_id)[0] == 70
    with pytest.raises(PointsError, match=r"key 'till1-0001' already used for WASH x1 \(30 points\)"):
        _redeem(engine, club, "MUG", key="till1-0001")


def test_a_key_replayed_with_another_quantity_is_refused_not_reported_as_the_first(engine):
    club = make_club(engine)
    _member(engine, club)
    _adjust(engine, club, 100)
    _redeem(engine, club, "WASH", qty=1, key="till1-0002")
    with pytest.raises(PointsError, match=r"already used for WASH x1") as refused:
        _redeem(engine, club, "WASH", qty=3, key="till1-0002")
    assert refused.value.code == "key_used"
    assert _redeem(engine, club, "WASH", qty=1, key="till1-0002").replayed
    assert ledger(engine, club.customer_id)[0] == 70


def test_stock_is_kept_and_quantity_multiplies_the_price(engine):
    club = make_club(engine)
    _member(engine, club)
    _adjust(engine, club, 1000)
    with pytest.raises(PointsError, match="out of stock: 保温杯 has 3 left, asked for 4"):
        _redeem(engine, club, "MUG", qty=4)
    assert _redeem(engine, club, "MUG", qty=3).points == 180
    with pytest.raises(PointsError, match="has 0 left"):
        _redeem(engine, club, "MUG")
    with pytest.raises(PointsError, match="no catalog item"):
        _redeem(engine, club, "NOPE")
    with pytest.raises(PointsError, match="quantity"):
        _redeem(engine, club, "WASH", qty=0)
    assert ledger(engine, club.customer_id)[0] == 820


def test_redeem_for_money_only_where_the_store_allows(engine):
    club = make_club(engine)
    _member(engine, club)
    _adjust(engine, club, 100)
    money = lambda s: points.redeem_for_money(s, customer_id=club.customer_id, points=40, key="m1", actor=SYSTEM)  # noqa: E731
    with pytest.raises(PointsError, match="does not redeem points for money"):
        tx(engine, money)
    _setting(engine, club, "points_redeem_for_money", True)
    _setting(engine, club, "points_fen_per_point", 50)
    res = tx(engine, money)
    assert (res.points, res.money_fen, res.balance) == (40, 2000, 60)
    assert tx(engine, money).replayed


def test_oldest_points_are_spent_first(engine):
    club = make_club(engine)
    _member(engine, club)
    _adjust(engine, club, 20, key="a")
    _adjust(engine, club, 20, key="b")
    _adjust(engine, club, 20, key="c")
    _redeem(engine, club, "WASH")  # 30: all of a, half of b
    assert ledger(engine, club.customer_id)[1][:3] == [("adjust", 20, 0), ("adjust", 20, 10), ("adjust", 20, 20)]


def test_reversing_a_redemption_gives_points_and_stock_back_once(engine):
    club = make_club(engine)
    _member(engine, club)
    _adjust(engine, club, 100)
    res = _redeem(engine, club, "MUG", qty=1)
    undo = lambda s: points.reverse_entry(s, entry_id=res.entry_id, reason="gift returned", actor=_staff(club))  # noqa: E731
    assert tx(engine, undo).balance == 100
    assert tx(engine, undo).replayed
    with read_session(engine) as s:
        assert s.exec(select(CatalogItem.stock).where(CatalogItem.code == "MUG")).one() == 3
    assert ledger(engine, club.customer_id)[0] == 100 and _check(engine).ok


# --- adjusting, referrals, audit -------------------------------------------------------------


def test_adjustment_needs_reason_and_staff_and_never_goes_below_zero(engine):
    club = make_club(engine)
    _member(engine, club)
    with pytest.raises(PointsError, match="needs a reason"):
        _adjust(engine, club, 10, reason="  ")
    with pytest.raises(PointsError, match="staff member"):
        tx(engine, lambda s: points.adjust(s, customer_id=club.customer_id, points=10, reason="x",
                                           actor=Actor(None, "system", "system", None)))
    _adjust(engine, club, 10, reason="生日礼")
    with pytest.raises(PointsError, match="balance 10, adjustment -11"):
        _adjust(engine, club, -11)
    assert _adjust(engine, club, -10).balance == 0
    lines = tx(engine, lambda s: points.history(s, customer_id=club.customer_id, actor=SYSTEM))
    assert [(x.kind, x.points, x.balance_after, x.staff) for x in lines] == [
        ("adjust", -10, 0, "王伟"), ("adjust", 10, 10, "王伟")]
    assert lines[1].reason == "生日礼"


def test_referral_rewards_once(engine):
    club = make_club(engine)
    _member(engine, club)
    ref = tx(engine, lambda s: points.record_referral(s, referrer_customer_id=club.customer_id, friend_name="李雷", actor=SYSTEM))
    reward = lambda s: points.reward_referral(s, referral_id=ref.id, sold_on=date(2026, 11, 22), actor=SYSTEM)  # noqa: E731
    assert tx(engine, reward).points == 200
    assert tx(engine, reward).replayed
    assert ledger(engine, club.customer_id)[0] == 200


def test_every_points_change_is_audited_with_its_staff(engine):
    club = make_club(engine)
    _member(engine, club)
    _adjust(engine, club, 100)
    tx(engine, lambda s: points.redeem(s, customer_id=club.customer_id, item_code="WASH", actor=_staff(club)))
    with read_session(engine) as s:
        rows = s.exec(select(AuditLog.action, AuditLog.staff_id, AuditLog.customer_id).where(
            AuditLog.action.like("points.%")).order_by(AuditLog.id)).all()
    assert rows == [("points.adjust", club.staff_id, club.customer_id), ("points.redeem", club.staff_id, club.customer_id)]


# --- expiry --------------------------------------------------------------------------------


def _lots(engine, club):
    on("2025-11-21")
    _adjust(engine, club, 10, key="old")  # last day 2026-11-21
    on("2025-11-22")
    _adjust(engine, club, 20, key="today")  # last day 2026-11-22
    on("2025-12-23")
    _adjust(engine, club, 40, key="later")  # last day 2026-12-23


def test_expiry_on_the_day_keeps_points_and_the_day_after_expires_them(engine):
    club = make_club(engine)
    _setting(engine, club, "points_expiry_months", 12)
    on("2025-11-01")
    _member(engine, club, scheme="stored", topup_fen=1000_00)
    _lots(engine, club)
    on("2026-11-22")
    with write_session(engine) as s:
        assert points.accounts_with_overdue_points(s, actor=SYSTEM) == [club.customer_id]
        assert expiring_soon(s, customer_id=club.customer_id) == [ExpiringLot(date(2026, 11, 22), 20)]
    assert tx(engine, lambda s: points.expire_account(s, customer_id=club.customer_id, actor=SYSTEM)) == 10
    assert tx(engine, lambda s: points.expire_account(s, customer_id=club.customer_id, actor=SYSTEM)) == 0  # once
    assert ledger(engine, club.customer_id)[0] == 60
    on("2026-11-23")
    # A redemption never spends an overdue lot: it expires them first.
    res = _redeem(engine, club, "WASH")
    assert res.balance == 10  # 60 - 20 expired - 30
    balance, rows = ledger(engine, club.customer_id)
    assert [r[0] for r in rows] == ["adjust", "adjust", "adjust", "expire", "expire", "redeem"]
    assert rows[2] == ("adjust", 40, 10)
    assert _check(engine).ok


def test_no_expiry_by_default(engine):
    club = make_club(engine)
    _member(engine, club)
    on("2020-01-01")
    _adjust(engine, club, 10)
    on("2026-11-22")
    with write_session(engine) as s:
        assert points.accounts_with_overdue_points(s, actor=SYSTEM) == []
        assert expiring_soon(s, customer_id=club.customer_id) == []


def test_expiring_soon_lists_lots_in_window_and_is_empty_without_expiry(engine):
    club = make_club(engine)
    with write_session(engine) as s:
        acct = PointsAccount(customer_id=club.customer_id, balance=24)
        s.add(acct)
        s.flush()
        for i, (expires_on, pts) in enumerate([(date(2026, 11, 22), 5), (date(2026, 12, 22), 7),
                                               (date(2026, 12, 23), 9), (date(2026, 11, 21), 3)]):
            s.add(PointsEntry(account_id=acct.id, kind="earn", points=pts, remaining=pts, expires_on=expires_on,
                              idempotency_key=f"seed:{i}"))
    with write_session(engine) as s:
        assert expiring_soon(s, customer_id=club.customer_id) == []  # store keeps no expiry
    _setting(engine, club, "points_expiry_months", 12)
    with write_session(engine) as s:
        assert expiring_soon(s, customer_id=club.customer_id) == [
            ExpiringLot(date(2026, 11, 22), 5), ExpiringLot(date(2026, 12, 22), 7)]


# --- the check --------------------------------------------------------------------------


def test_check_finds_a_cached_balance_that_disagrees_with_the_ledger(engine):
    club = make_club(engine)
    _member(engine, club)
    _adjust(engine, club, 50)
    assert _check(engine).ok and _check(engine).accounts == 1
    with write_session(engine) as s:
        s.exec(select(PointsAccount)).one().balance = 70
    result = _check(engine)
    assert [(d.customer_id, d.cached, d.ledger_sum, d.lots_remaining) for d in result.differences] == [
        (club.customer_id, 70, 50, 50)]


def test_catalog_filters_by_code_name_and_pinyin(engine):
    club = make_club(engine)
    with read_session(engine) as s:
        codes = lambda q: [x.code for x in points.catalog(s, store_id=club.store_id, query=q)]  # noqa: E731
        assert codes("") == ["WASH", "MUG", "ALIGN"]
        assert codes("xc") == ["WASH"]  # 洗车 by pinyin initials
        assert codes("定位") == ["ALIGN"]
        assert codes("mu") == ["MUG"]
