"""A redemption as lean as its SQL (store/points_lean.py), on both backends: the usual
redemption is 6 statements with BEGIN and COMMIT on SQLite and 4 round trips on
Postgres (its statements prepared once per connection), nothing but those statements
inside the transaction, the ledger as the full rules would leave it; whatever it does
not settle goes through the full rules with the same outcome."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from store import clock, members, points
from store.access import SYSTEM, Actor
from store.db import read_session
from store.models import AuditLog, CatalogItem, PointsEntry
from store.points import PointsError
from tests.club_helpers import ledger, make_club, tx
from tests.statements import counted


def _club(engine, balance=500):
    club = make_club(engine)
    tx(engine, lambda s: members.join(s, customer_id=club.customer_id, scheme="annual", actor=SYSTEM))
    specialist = Actor(club.staff_id, "林小红", "member", club.store_id)
    tx(engine, lambda s: points.adjust(s, customer_id=club.customer_id, points=balance, reason="开卡礼", key="seed",
                                       actor=specialist))
    return club, Actor(club.staff_id, "王伟", "sa", club.store_id)


def _redeem(engine, club, actor, code="WASH", key=None, qty=1):
    return tx(engine, lambda s: points.redeem(s, customer_id=club.customer_id, item_code=code, quantity=qty, key=key,
                                              actor=actor))


def test_a_redemption_is_its_statements_and_nothing_else(engine):
    club, advisor = _club(engine)
    engine.dispose()  # one connection from here on: the one the warm-up prepares
    _redeem(engine, club, advisor, key="warm")  # Postgres prepares the statements on the connection's first use
    with counted(engine) as sent:
        result = _redeem(engine, club, advisor, key="k1")
    assert (result.points, result.balance, result.item_code, result.replayed) == (30, 440, "WASH", False)
    if engine.dialect.name == "sqlite":
        firsts = [" ".join(sql.split()[:3]) for sql in sent]
        assert firsts == ["BEGIN IMMEDIATE", "WITH item AS", "INSERT INTO pointsentry", "UPDATE pointsentry SET",
                          "INSERT INTO auditlog", "COMMIT"]
    else:
        assert sent == ["Query", "Sync", "Sync", "Query"]  # BEGIN, the debit, the write, COMMIT
    assert ledger(engine, club.customer_id) == (440, [("adjust", 500, 440), ("redeem", -30, 0), ("redeem", -30, 0)])
    with read_session(engine) as s:
        assert points.check_ledger(s, actor=SYSTEM).ok
        audit = s.exec(select(AuditLog).where(AuditLog.action == "points.redeem").order_by(AuditLog.id.desc())).first()
        entry = s.exec(select(PointsEntry).where(PointsEntry.idempotency_key == "redeem:k1")).one()
    assert (audit.staff_id, audit.customer_id, audit.store_id, audit.entity_id) == (
        club.staff_id, club.customer_id, club.store_id, entry.id)
    assert json.loads(audit.detail) == {"item": "WASH", "quantity": 1, "points": 30}
    assert (entry.staff_id, entry.reason, entry.quantity) == (club.staff_id, "精致洗车", 1)


def test_lots_are_spent_oldest_first_and_stock_is_taken(engine):
    club, advisor = _club(engine, balance=50)
    specialist = Actor(club.staff_id, "林小红", "member", club.store_id)
    tx(engine, lambda s: points.adjust(s, customer_id=club.customer_id, points=100, reason="活动", key="second",
                                       actor=specialist))
    result = _redeem(engine, club, advisor, code="MUG", qty=1)  # 60 points: all of the first lot, 10 of the second
    assert result.balance == 90
    assert ledger(engine, club.customer_id)[1] == [("adjust", 50, 0), ("adjust", 100, 90), ("redeem", -60, 0)]
    with read_session(engine) as s:
        assert s.exec(select(CatalogItem.stock).where(CatalogItem.code == "MUG")).one() == 2
        assert points.check_ledger(s, actor=SYSTEM).ok


def test_what_the_statements_do_not_settle_the_full_rules_do(engine):
    club, advisor = _club(engine, balance=100)
    first = _redeem(engine, club, advisor, key="k1")
    again = _redeem(engine, club, advisor, key="k1")  # a till retrying: the same redemption back
    assert again.replayed and again.entry_id == first.entry_id and again.balance == 70
    with pytest.raises(PointsError, match="not enough points: balance 70, needs 120"):
        _redeem(engine, club, advisor, code="ALIGN")
    with pytest.raises(PointsError, match="no catalog item 'NOPE'"):
        _redeem(engine, club, advisor, code="NOPE")
    with pytest.raises(PointsError, match="out of stock"):
        _redeem(engine, club, advisor, code="MUG", qty=4)
    other_store = Actor(club.staff_id, "王伟", "sa", club.store_id + 1)
    with pytest.raises(Exception, match="another store"):
        _redeem(engine, club, other_store)
    with pytest.raises(Exception, match="may not"):
        _redeem(engine, club, Actor(None, "黄磊", "ca", club.store_id))
    assert ledger(engine, club.customer_id)[0] == 70  # every refusal left the balance as it was
    with read_session(engine) as s:
        assert points.check_ledger(s, actor=SYSTEM).ok


def test_the_counters_redemption_commits_right_after_its_statements(engine):
    """points.redeem_now, as the command line and the points screen redeem: its own
    transaction, COMMIT the statement after the last; the same outcomes as redeem."""
    club, advisor = _club(engine, balance=100)

    def now(code="WASH", key=None):
        return points.redeem_now(engine, customer_id=club.customer_id, item_code=code, key=key, actor=advisor)

    engine.dispose()  # one connection from here on: the one the warm-up prepares
    now(key="warm")
    with counted(engine) as sent:
        first = now(key="k1")
    if engine.dialect.name == "sqlite":
        assert [" ".join(sql.split()[:3]) for sql in sent] == [
            "BEGIN IMMEDIATE", "WITH item AS", "INSERT INTO pointsentry", "UPDATE pointsentry SET",
            "INSERT INTO auditlog", "COMMIT"]
    else:
        assert sent == ["Query", "Sync", "Sync", "Query"]
    assert (first.balance, now(key="k1").entry_id, now(key="k1").replayed) == (40, first.entry_id, True)
    with pytest.raises(PointsError, match="not enough points: balance 40, needs 120"):
        now("ALIGN")
    assert ledger(engine, club.customer_id)[0] == 40


def test_a_stored_value_payment_is_its_statements_too(engine):
    from store.members import MembershipError

    club = make_club(engine)
    tx(engine, lambda s: members.join(s, customer_id=club.customer_id, scheme="stored", topup_fen=100_00, actor=SYSTEM))
    advisor = Actor(club.staff_id, "王伟", "sa", club.store_id)

    def pay(fen, key=None):
        return tx(engine, lambda s: members.spend(s, customer_id=club.customer_id, amount_fen=fen, key=key,
                                                  actor=advisor))

    engine.dispose()  # one connection from here on: the one the warm-up prepares
    pay(1_00, key="warm")
    with counted(engine) as sent:
        paid = pay(20_00, key="p1")
    if engine.dialect.name == "sqlite":
        assert [" ".join(sql.split()[:3]) for sql in sent] == [
            "BEGIN IMMEDIATE", "UPDATE membership SET", "INSERT INTO storedvalueentry", "INSERT INTO auditlog",
            "COMMIT"]
    else:
        assert sent == ["Query", "Sync", "Sync", "Query"]
    assert (paid.amount_fen, paid.balance_fen, paid.replayed) == (-20_00, 79_00, False)
    again = pay(20_00, key="p1")
    assert again.replayed and again.entry_id == paid.entry_id and again.balance_fen == 79_00
    with pytest.raises(MembershipError, match="not enough stored value"):
        pay(80_00)
    assert pay(79_00).balance_fen == 0
    with read_session(engine) as s:
        card = members.member_card(s, customer_id=club.customer_id, actor=SYSTEM)
        audit = s.exec(select(AuditLog).where(AuditLog.action == "stored_value.spend").order_by(AuditLog.id.desc())
                       ).first()
        assert members.check_stored_value(s)[1] == []
    assert (card.stored_value_fen, card.zero_balance_since) == (0, clock.today())
    assert json.loads(audit.detail) == {"amount_fen": -79_00, "balance_fen": 0}
    assert (audit.staff_id, audit.customer_id, audit.store_id) == (club.staff_id, club.customer_id, club.store_id)


def _firsts(sent):
    return [" ".join(sql.split()[:3]) for sql in sent]


def test_an_adjustment_up_or_down_is_its_statements(engine):
    """A manual adjustment: 6 statements on SQLite with BEGIN and COMMIT, 4 round trips
    on Postgres, either way; the ledger and the audit as the full rules leave them."""
    club, _advisor = _club(engine, balance=100)
    specialist = Actor(club.staff_id, "林小红", "member", club.store_id)

    def adjust(n, key):
        return tx(engine, lambda s: points.adjust(s, customer_id=club.customer_id, points=n, reason="补录", key=key,
                                                  actor=specialist))

    engine.dispose()
    adjust(1, "warm-up")
    adjust(-1, "warm-down")
    with counted(engine) as up:
        added = adjust(50, "a1")
    with counted(engine) as down:
        taken = adjust(-120, "a2")
    if engine.dialect.name == "sqlite":
        assert _firsts(up) == ["BEGIN IMMEDIATE", "INSERT INTO pointsaccount", "INSERT INTO pointsentry",
                               "UPDATE pointsaccount SET", "INSERT INTO auditlog", "COMMIT"]
        assert _firsts(down) == ["BEGIN IMMEDIATE", "UPDATE pointsaccount SET", "INSERT INTO pointsentry",
                                 "UPDATE pointsentry SET", "INSERT INTO auditlog", "COMMIT"]
    else:
        assert up == down == ["Query", "Sync", "Sync", "Query"]
    assert (added.balance, taken.balance) == (150, 30)
    assert adjust(50, "a1").replayed and adjust(50, "a1").entry_id == added.entry_id
    with pytest.raises(PointsError, match="not enough points: balance 30, adjustment -31"):
        adjust(-31, "a3")
    assert ledger(engine, club.customer_id) == (30, [("adjust", 100, 0), ("adjust", 1, 0), ("adjust", -1, 0),
                                                     ("adjust", 50, 30), ("adjust", -120, 0)])
    with read_session(engine) as s:
        assert points.check_ledger(s, actor=SYSTEM).ok
        audit = s.exec(select(AuditLog).where(AuditLog.action == "points.adjust", AuditLog.entity_id == taken.entry_id)
                       ).one()
    assert (audit.staff_id, audit.customer_id, audit.store_id) == (club.staff_id, club.customer_id, club.store_id)
    assert json.loads(audit.detail) == {"points": -120, "reason": "补录"}


def test_a_reversal_is_its_statements(engine):
    """A redemption given back (a new lot and the stock) and a credit taken back (from
    itself, then the other lots, the rest owed and repaid by the next credit)."""
    club, advisor = _club(engine, balance=100)
    manager = Actor(club.staff_id, "陈经理", "manager", club.store_id)
    specialist = Actor(club.staff_id, "林小红", "member", club.store_id)

    def reverse(entry_id):
        return tx(engine, lambda s: points.reverse_entry(s, entry_id=entry_id, reason="录错", actor=manager))

    engine.dispose()
    warm = _redeem(engine, club, advisor, key="w")
    reverse(warm.entry_id)  # Postgres prepares each kind's statements on the connection's first use
    reverse(tx(engine, lambda s: points.adjust(s, customer_id=club.customer_id, points=1, reason="w", key="w",
                                               actor=specialist)).entry_id)
    spent = _redeem(engine, club, advisor, key="r1")
    with counted(engine) as back:
        given = reverse(spent.entry_id)
    bonus = tx(engine, lambda s: points.adjust(s, customer_id=club.customer_id, points=80, reason="活动", key="b",
                                               actor=specialist))
    _redeem(engine, club, advisor, code="ALIGN", key="r2")  # 120 of 180: the seed's 100 lot and 20 of the bonus
    with counted(engine) as took:
        taken = reverse(bonus.entry_id)
    if engine.dialect.name == "sqlite":
        # The entry, its owner; the credit back and its stock (this item keeps one).
        assert _firsts(back) == ["BEGIN IMMEDIATE", "SELECT pointsentry.id, pointsentry.account_id,",
                                 "SELECT pointsaccount.id, pointsaccount.customer_id,", "INSERT INTO pointsaccount",
                                 "INSERT INTO pointsentry", "UPDATE pointsaccount SET", "UPDATE catalogitem SET",
                                 "INSERT INTO auditlog", "COMMIT"]
        # The entry; one read of the credit, the account and what expired or repaid a debt; the writes.
        assert _firsts(took) == ["BEGIN IMMEDIATE", "SELECT pointsentry.id, pointsentry.account_id,",
                                 "SELECT a.id, a.balance,",
                                 "UPDATE pointsentry SET", "INSERT INTO pointsentry", "UPDATE pointsaccount SET",
                                 "INSERT INTO auditlog", "COMMIT"]
    else:
        # BEGIN, the entry, its owner, the account locked, the write, COMMIT; and
        # BEGIN, the entry, the account locked, one read, the write, COMMIT.
        assert back == took == ["Query", "Sync", "Sync", "Sync", "Sync", "Query"]
    assert (given.points, given.balance) == (30, 100)
    # 80 back: 60 still in the bonus lot, 0 from the others (the balance is 60), 20 owed.
    assert (taken.points, taken.balance, taken.owed) == (-60, 0, 20)
    repaid = tx(engine, lambda s: points.adjust(s, customer_id=club.customer_id, points=50, reason="补偿", key="c",
                                                actor=specialist))
    assert repaid.balance == 30
    assert reverse(bonus.entry_id).replayed
    with read_session(engine) as s:
        assert points.check_ledger(s, actor=SYSTEM).ok
        item = s.exec(select(CatalogItem).where(CatalogItem.code == "WASH")).first()
    kinds = [k for k, _p, _r in ledger(engine, club.customer_id)[1]]
    assert kinds.count("recover") == 1 and kinds.count("reverse") == 4
    assert item.stock is None or item.stock >= 0


def test_an_ros_points_are_credited_by_the_credits_statements(engine):
    """Crediting an RO reads what its rules need (the RO, its owner, the membership in
    force and its tier, the store's rates), then writes with the credit's statements."""
    from datetime import timedelta

    from tests.club_helpers import add_visit

    club, _advisor = _club(engine, balance=10)
    first = add_visit(engine, club, "RO-L-1", clock.today(), total=500)
    visit = add_visit(engine, club, "RO-L-2", clock.today(), total=800)
    engine.dispose()
    tx(engine, lambda s: points.earn_for_visit(s, visit_id=first, actor=SYSTEM))
    with counted(engine) as sent:
        earned = tx(engine, lambda s: points.earn_for_visit(s, visit_id=visit, actor=SYSTEM))
    if engine.dialect.name == "sqlite":
        assert _firsts(sent) == [
            "BEGIN IMMEDIATE", "SELECT visit.id, visit.store_id,", "SELECT vehicle.id, vehicle.store_id,",
            "SELECT pointsentry.id, pointsentry.account_id,", "SELECT membership.id, membership.store_id,",
            "SELECT store_id, key,",  # the store's rules, once for the whole RO
            "SELECT membershipevent.tier_code FROM", "SELECT tier.id, tier.store_id,",  # the tier in force
            "SELECT coalesce(max(visit.total_fen), 0)", "SELECT tier.id, tier.store_id,",  # an upgrade earned?
            "INSERT INTO pointsaccount", "INSERT INTO pointsentry", "UPDATE pointsaccount SET",
            "INSERT INTO auditlog",  # the credit: from the account's lock on, its statements only
            "COMMIT"]
    else:
        assert len(sent) == 13  # the same reads; the credit is one write statement after the lock
    assert (earned.status, earned.points, earned.balance) == ("earned", 8, 10 + 5 + 8)
    again = tx(engine, lambda s: points.earn_for_visit(s, visit_id=visit, actor=SYSTEM))
    assert (again.status, again.points) == ("already", 8)
    with read_session(engine) as s:
        assert points.check_ledger(s, actor=SYSTEM).ok
        audit = s.exec(select(AuditLog).where(AuditLog.action == "points.earn").order_by(AuditLog.id.desc())).first()
    assert json.loads(audit.detail)["ro"] == "RO-L-2" and audit.store_id == club.store_id
