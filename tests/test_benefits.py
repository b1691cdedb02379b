"""Tier benefits 会员权益 with quotas, on both backends: structured per tier, each use
recorded once per key, refused past the quota in one line, counted per membership
year, shown as what is left, and valued in the member bill."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import func, select
from typer.testing import CliRunner

from store import benefits, clock, members
from store.access import SYSTEM, Actor
from store.benefits import BenefitError, membership_year
from store.db import read_session
from store.models import AuditLog, BenefitUse
from tests.cli_helpers import cli_args
from tests.club_helpers import make_club, on, tx
from tests.conftest import TODAY
from tui.cli import app

runner = CliRunner()


def _use(engine, club, benefit="WASH", key=None):
    return tx(engine, lambda s: benefits.use_benefit(s, customer_id=club.customer_id, benefit=benefit, key=key,
                                                     actor=SYSTEM))


def _uses(engine) -> int:
    with read_session(engine) as s:
        return s.exec(select(func.count()).select_from(BenefitUse)).one()


def _member(engine, club, day="2026-03-15", tier="regular"):
    on(day)
    tx(engine, lambda s: members.join(s, customer_id=club.customer_id, scheme="annual", tier_code=tier, actor=SYSTEM))


def test_membership_years_run_from_the_start_date():
    assert membership_year(date(2026, 3, 15), date(2026, 3, 15)) == (date(2026, 3, 15), date(2027, 3, 14))
    assert membership_year(date(2026, 3, 15), date(2027, 3, 14)) == (date(2026, 3, 15), date(2027, 3, 14))
    assert membership_year(date(2026, 3, 15), date(2027, 3, 15)) == (date(2027, 3, 15), date(2028, 3, 14))
    assert membership_year(date(2024, 2, 29), date(2025, 3, 1)) == (date(2025, 2, 28), date(2026, 2, 27))


def test_a_quota_refuses_the_use_past_it_in_one_line_and_a_repeated_key_records_once(engine):
    club = make_club(engine)
    _member(engine, club)
    on("2026-11-22")
    for i in range(4):
        result = _use(engine, club, key=f"w{i}")
        assert (result.status, result.value_fen, result.line.remaining) == ("recorded", 30_00, 3 - i)
    again = _use(engine, club, key="w3")
    assert again.status == "already" and again.use_id == result.use_id and _uses(engine) == 4
    with pytest.raises(BenefitError) as refused:
        _use(engine, club, key="w4")
    assert str(refused.value) == "洗车 (WASH): 4 of 4 used this membership year (2026-03-15 – 2027-03-14); none left"
    assert _uses(engine) == 4
    with pytest.raises(BenefitError, match="already used for another benefit"):
        _use(engine, club, "BIRTHDAY", key="w0")
    with pytest.raises(BenefitError, match=r"tier regular has no benefit 'ALIGN' \(its benefits: WASH 洗车, "
                                           r"BIRTHDAY 生日礼品\)"):
        _use(engine, club, "ALIGN")
    assert _use(engine, club, "生日礼品").line.left_words() == "生日礼品 0/1"  # by name too
    on("2027-03-15")  # a new membership year: the quota starts again (the membership renewed)
    tx(engine, lambda s: members.renew(s, customer_id=club.customer_id, actor=SYSTEM))
    assert _use(engine, club, key="w5").line.left_words() == "洗车 3/4"
    with read_session(engine) as s:
        assert s.exec(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "membership.benefit")).one() == 6


def test_unlimited_benefits_what_is_left_and_the_bill(engine):
    club = make_club(engine)
    _member(engine, club, "2026-01-10", tier="diamond")
    on("2026-11-22")
    for _ in range(3):
        assert _use(engine, club, "TOW").line.left_words() == "道路救援 不限"
    _use(engine, club, "ALIGN")
    with read_session(engine) as s:
        left = benefits.member_benefits(s, customer_id=club.customer_id, actor=SYSTEM)
        card = members.member_card(s, customer_id=club.customer_id, actor=SYSTEM)
        bill = members.member_bill(s, customer_id=club.customer_id, year=2026, actor=SYSTEM)
    assert [x.left_words() for x in left] == ["洗车 12/12", "四轮定位 1/2", "道路救援 不限"]
    assert [x.left_words() for x in card.benefits] == ["洗车 12/12", "四轮定位 1/2", "道路救援 不限"]
    assert [(x.kind, x.description, x.saved_fen) for x in bill.lines] == [
        ("free_service", "道路救援", 300_00)] * 3 + [("free_service", "四轮定位", 200_00)]
    assert bill.free_services_fen == 1100_00


def test_no_benefits_without_a_membership_in_force(engine):
    club = make_club(engine)
    with pytest.raises(BenefitError, match="no membership in force"):
        _use(engine, club)
    with read_session(engine) as s:
        assert benefits.member_benefits(s, customer_id=club.customer_id, actor=SYSTEM) == []


def test_the_manager_sets_benefits_and_refuses_nonsense(engine):
    club = make_club(engine)
    manager = Actor(None, "周建国", "manager", club.store_id)
    line = tx(engine, lambda s: benefits.set_benefit(s, store_id=club.store_id, tier_code="gold", code="cup",
                                                     name="保温杯", kind="gift", quota=1, price_fen=40_00,
                                                     actor=manager))
    assert (line.code, line.quota, line.price_fen) == ("CUP", 1, 40_00)
    for kw, why in [(dict(tier_code="vip"), "no tier 'vip'"), (dict(kind="money"), "kind 'money'"),
                    (dict(quota=0), "a quota is 1-1000"), (dict(price_fen=-1), "list price"),
                    (dict(code="[red]X"), "letters, digits")]:
        args = dict(store_id=club.store_id, tier_code="gold", code="X", name="x", kind="gift", quota=1, price_fen=0)
        with pytest.raises(BenefitError, match=why):
            tx(engine, lambda s, a=args | kw: benefits.set_benefit(s, **a, actor=manager))
    with pytest.raises(Exception, match="may not"):
        tx(engine, lambda s: benefits.set_benefit(s, store_id=club.store_id, tier_code="gold", code="X", name="x",
                                                  kind="gift", quota=1, price_fen=0,
                                                  actor=Actor(None, "王伟", "sa", club.store_id)))


def run(*args, pin=None):
    clock.set_today(TODAY)
    return runner.invoke(app, cli_args(args), env={"DEALERDESK_PIN": pin} if pin else {})


def test_member_benefit_says_already_recorded_and_refuses_past_the_quota(engine, db_url):
    make_club(engine)
    assert run("member", "join", "粤A12345", "--scheme", "annual", "--db", db_url).exit_code == 0
    first = run("member", "benefit", "粤A12345", "BIRTHDAY", "--key", "b1", "--db", db_url)
    assert first.exit_code == 0 and first.output.strip() == "recorded: 生日礼品 BIRTHDAY (¥50.00); 本年剩余 生日礼品 0/1"
    again = run("member", "benefit", "粤A12345", "BIRTHDAY", "--key", "b1", "--db", db_url)
    assert again.exit_code == 0 and again.output.startswith("already recorded with key b1: 生日礼品")
    past = run("member", "benefit", "粤A12345", "BIRTHDAY", "--key", "b2", "--db", db_url)
    assert past.exit_code == 1 and past.stdout == ""
    assert past.stderr.strip() == ("dealerdesk: 生日礼品 (BIRTHDAY): 1 of 1 used this membership year "
                                   "(2026-11-22 – 2027-11-21); none left")
    shown = run("member", "show", "粤A12345", "--db", db_url)
    assert "本年剩余 (2026-11-22 – 2027-11-21): 洗车 4/4 WASH, 生日礼品 0/1 BIRTHDAY" in shown.output
    card = json.loads(run("member", "show", "粤A12345", "--format", "json", "--db", db_url).output)
    assert [(b["code"], b["used"], b["remaining"]) for b in card["benefits"]] == [("WASH", 0, 4), ("BIRTHDAY", 1, 0)]
    tiers = run("member", "tiers", "--db", db_url)
    assert "洗车 WASH 4次/年 ¥30.00" in tiers.output and "道路救援 TOW 不限 ¥300.00" in tiers.output


def test_a_free_service_as_a_complaints_compensation_is_a_benefit_use(engine):
    """Resolving a complaint with a free wash uses the member's benefit (its quota
    counts it); past the quota the resolution is refused and nothing is written."""
    from store.complaints import complaint_step, log_complaint
    from store.models import Complaint
    from store.validation import FieldError

    club = make_club(engine)
    _member(engine, club)
    on("2026-11-22")
    for i in range(3):
        _use(engine, club, key=f"w{i}")
    first = tx(engine, lambda s: log_complaint(s, actor=SYSTEM, customer_id=club.customer_id, category="waiting",
                                               text="等了三个小时"))
    line = tx(engine, lambda s: complaint_step(s, actor=SYSTEM, complaint_id=first.id, step="resolve",
                                               note="道歉并送洗车", benefit="WASH"))
    assert line.status == "resolved" and _uses(engine) == 4
    second = tx(engine, lambda s: log_complaint(s, actor=SYSTEM, customer_id=club.customer_id, category="waiting",
                                                text="又等了很久"))
    with pytest.raises(FieldError, match="none left"):
        tx(engine, lambda s: complaint_step(s, actor=SYSTEM, complaint_id=second.id, step="resolve",
                                            note="送洗车", benefit="WASH"))
    with read_session(engine) as s:
        assert s.get(Complaint, second.id).status == "new" and _uses(engine) == 4
