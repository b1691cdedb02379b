"""Referrals 推荐购车 end to end, on both backends: only a member in force earns; a
vehicles import that brings the friend's new car (by the friend's phone) matches the
referral and rewards it once; `points referrals` lists them by state; the club's KPI
counts matched referrals."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from importers.pipeline import import_file
from store import clock, members, points
from store.access import SYSTEM, Actor
from store.db import read_session, write_session
from store.models import AuditLog, Referral, Store
from store.referrals import match_referrals, normalize_phone, referrals
from store.reports import Month
from store.reports.members import members_report
from tests.cli_helpers import cli_args
from tests.club_helpers import ledger, make_club, on, tx
from tests.conftest import TODAY
from tests.factories import add_car
from tests.import_files import delimited_bytes, write_bytes
from tui.cli import app

runner = CliRunner()
VEHICLE_HEADER = ["车牌号", "VIN", "车型", "车主姓名", "联系电话", "购车日期"]


def _cars_file(tmp_path, rows, name="车辆档案.csv"):
    return write_bytes(tmp_path / name, delimited_bytes([VEHICLE_HEADER, *rows], title=None))


def _refer(engine, club, friend="王小明", phone="139 1111 2222"):
    return tx(engine, lambda s: points.record_referral(s, referrer_customer_id=club.customer_id, friend_name=friend,
                                                       friend_phone=phone, actor=SYSTEM)).id


def _referral(engine, rid) -> Referral:
    with read_session(engine) as s:
        return s.get(Referral, rid)


def test_phones_are_kept_as_the_importer_keeps_them():
    assert normalize_phone("139 1111-2222") == "13911112222"
    assert normalize_phone("+86 139 1111 2222") == "13911112222"
    assert normalize_phone("(020) 8888 1234") == "02088881234"
    assert normalize_phone("没有") is None


def test_a_referrer_who_is_not_a_member_earns_nothing_but_the_sale_is_recorded(engine):
    club = make_club(engine)
    rid = _refer(engine, club)
    result = tx(engine, lambda s: points.reward_referral(s, referral_id=rid, actor=SYSTEM))
    assert (result.status, result.points) == ("matched", 0)
    assert "not a member on 2026-11-22" in result.reason
    assert ledger(engine, club.customer_id) == (None, [])  # no account, no points
    ref = _referral(engine, rid)
    assert (ref.sold_on, ref.rewarded) == (TODAY, False)
    with read_session(engine) as s:
        assert [x.state for x in referrals(s, store_id=club.store_id, actor=SYSTEM)] == ["matched"]
        assert s.exec(select(AuditLog.action).where(AuditLog.entity == "referral")).all() == [
            "referral.add", "referral.matched"]


def test_a_vehicles_import_matches_the_friends_new_car_and_rewards_once(engine, tmp_path):
    club = make_club(engine)
    on("2026-10-01")
    tx(engine, lambda s: members.join(s, customer_id=club.customer_id, scheme="annual", actor=SYSTEM))
    on("2026-11-01")
    rid = _refer(engine, club)
    other = _refer(engine, club, friend="李雷", phone="13700000000")
    on("2026-11-22")
    cars = _cars_file(tmp_path, [
        ["粤A88888", "LGBH52E05PY000001", "天籁", "王小明", "13911112222", "2026-11-20"],
        ["粤A77777", "LGBH52E05PY000002", "轩逸", "李雷", "13700000000", "2026-10-15"],  # bought before the referral
    ])
    result = import_file(engine, cars, actor=SYSTEM, store_id=club.store_id)
    assert (result.inserted, result.referrals_matched) == (2, 1)
    ref = _referral(engine, rid)
    assert (ref.sold_on, ref.rewarded) == (date(2026, 11, 20), True) and ref.vehicle_id is not None
    assert _referral(engine, other).sold_on is None  # still open
    assert ledger(engine, club.customer_id)[0] == 200
    again = import_file(engine, cars, actor=SYSTEM, store_id=club.store_id)
    assert again.referrals_matched == 0 and ledger(engine, club.customer_id)[0] == 200  # rewarded once
    assert tx(engine, lambda s: points.reward_referral(s, referral_id=rid, actor=SYSTEM)).replayed
    assert ledger(engine, club.customer_id)[0] == 200
    with read_session(engine) as s:
        lines = referrals(s, store_id=club.store_id, actor=SYSTEM)
        by_state = {x.state: (x.friend_name, x.plate, x.points) for x in lines}
        assert by_state == {"open": ("李雷", None, 0), "rewarded": ("王小明", "粤A88888", 200)}
        assert [x.friend_phone for x in lines] == ["137****0000", "139****2222"]
        k = {r["key"]: r["value"] for r in members_report(s, month=Month(2026, 11), store_ids=[club.store_id])
             .sheet("summary").rows}
    assert (k["referrals"], k["referral_sales"]) == (2, 1)


def test_a_car_entered_by_hand_matches_too_and_matching_twice_changes_nothing(engine):
    club = make_club(engine)
    on("2026-11-01")
    tx(engine, lambda s: members.join(s, customer_id=club.customer_id, scheme="annual", actor=SYSTEM))
    rid = _refer(engine, club)
    on("2026-11-22")
    with write_session(engine) as s:
        add_car(s, s.get(Store, club.store_id), plate="粤A66666", owner="王小明", phone="13911112222",
                purchase_date=None)  # no purchase date: the day it was recorded
    specialist = Actor(club.staff_id, "林小红", "member", club.store_id)
    assert [r.status for r in tx(engine, lambda s: match_referrals(s, store_id=club.store_id, actor=specialist))] == [
        "rewarded"]
    assert tx(engine, lambda s: match_referrals(s, store_id=club.store_id, actor=specialist)) == []
    assert ledger(engine, club.customer_id)[0] == 200 and _referral(engine, rid).sold_on == TODAY


def run(*args, pin=None):
    clock.set_today(TODAY)
    return runner.invoke(app, cli_args(args), env={"DEALERDESK_PIN": pin} if pin else {})


def test_points_referrals_lists_each_state_and_prints_names_as_typed(engine, db_url):
    club = make_club(engine)
    assert run("member", "join", "粤A12345", "--scheme", "annual", "--db", db_url).exit_code == 0
    for friend in ("[bold]红[/bold]", "=1+1", "李雷"):
        assert run("points", "refer", "粤A12345", "--friend", friend, "--phone", "13911112222", "--db",
                   db_url).exit_code == 0
    sold = run("points", "referral-sold", "3", "--db", db_url)
    assert sold.exit_code == 0 and "+200 points" in sold.output
    again = run("points", "referral-sold", "3", "--db", db_url)
    assert "already rewarded" in again.output
    listed = run("points", "referrals", "--db", db_url)
    assert "[bold]红[/bold]" in listed.output and "=1+1" in listed.output
    assert "3 referrals: open 2, matched 0, rewarded 1" in listed.output
    rewarded = json.loads(run("points", "referrals", "--rewarded", "--format", "json", "--db", db_url).output)
    assert [(x["friend_name"], x["points"], x["state"]) for x in rewarded] == [("李雷", 200, "rewarded")]
    open_ = json.loads(run("points", "referrals", "--open", "--format", "json", "--db", db_url).output)
    assert sorted(x["friend_name"] for x in open_) == ["=1+1", "[bold]红[/bold]"]
    assert run("points", "referrals", "--matched", "--db", db_url).output.strip() == "no matched referrals"
    both = run("points", "referrals", "--open", "--matched", "--db", db_url)
    assert both.exit_code == 1 and "choose one" in both.stderr


def test_the_issue_case_a_non_member_referral_sold_by_hand_earns_nothing(engine, db_url):
    make_club(engine)
    assert run("points", "refer", "粤A12345", "--friend", "王小明", "--db", db_url).exit_code == 0
    sold = run("points", "referral-sold", "1", "--db", db_url)
    assert sold.exit_code == 0, sold.output
    assert "no points: the referrer was not a member on 2026-11-22" in sold.output
    assert json.loads(run("points", "referrals", "--matched", "--format", "json", "--db", db_url).output)[0][
        "points"] == 0
