"""`dealerdesk points ...` and `dealerdesk member ...` as a script uses them."""

from __future__ import annotations

import json
from datetime import date

from openpyxl import load_workbook
from sqlmodel import select
from typer.testing import CliRunner

from store import clock
from store.db import read_session, write_session
from store.models import Membership, PointsAccount, PointsEntry, Store
from tests.club_helpers import add_visit, make_club
from tests.conftest import TODAY
from tests.factories import add_car
from tui.cli import app
from tests.cli_helpers import cli_args

runner = CliRunner()


def run(*args: str, pin: str | None = None):
    clock.set_today(TODAY)  # each command is a fresh process: an earlier --today must not linger
    env = {"DEALERDESK_PIN": pin} if pin else {}
    return runner.invoke(app, cli_args(args), env=env)


def _balance(engine, customer_id):
    with read_session(engine) as s:
        acct = s.exec(select(PointsAccount).where(PointsAccount.customer_id == customer_id)).first()
        return acct.balance if acct else 0


def _member_with_points(engine, db_url, pts=100):
    club = make_club(engine)
    assert run("member", "join", "粤A12345", "--scheme", "annual", "--db", db_url).exit_code == 0
    res = run("points", "adjust", "粤A12345", "--points", str(pts), "--reason", "开卡礼", "--as", "MS01",
              "--db", db_url, pin="7777")
    assert res.exit_code == 0, res.output
    return club


def test_redeem_twice_with_the_same_key_redeems_once(engine, db_url):
    club = _member_with_points(engine, db_url)
    first = run("points", "redeem", "粤A12345", "WASH", "--key", "K1", "--db", db_url)
    assert first.exit_code == 0, first.output
    assert "精致洗车 x1 for 30 points, balance 70" in first.output
    second = run("points", "redeem", "粤A12345", "WASH", "--key", "K1", "--db", db_url, "--format", "json")
    assert second.exit_code == 0, second.output
    data = json.loads(second.output)
    assert data["replayed"] is True and data["balance"] == 70 and data["points"] == 30
    assert _balance(engine, club.customer_id) == 70


def test_refused_redemption_is_one_line_exit_1_and_changes_nothing(engine, db_url):
    club = _member_with_points(engine, db_url, pts=29)
    res = run("points", "redeem", "粤A12345", "WASH", "--db", db_url)
    assert res.exit_code == 1
    assert res.output.strip() == "dealerdesk: not enough points: balance 29, needs 30"
    assert _balance(engine, club.customer_id) == 29
    res = run("points", "redeem", "粤A12345", "MUG", "--qty", "5", "--db", db_url)
    assert res.exit_code == 1 and "out of stock" in res.output
    res = run("points", "redeem", "粤A12345", "--money", "10", "--db", db_url)
    assert res.exit_code == 1 and "does not redeem points for money" in res.output
    assert _balance(engine, club.customer_id) == 29


def test_adjust_needs_a_signed_in_staff_member(engine, db_url):
    club = _member_with_points(engine, db_url)
    res = run("points", "adjust", "粤A12345", "--points", "-20", "--reason", "录错", "--db", db_url)
    assert res.exit_code == 1 and "staff member" in res.output
    res = run("points", "adjust", "粤A12345", "--points", "-20", "--reason", "录错", "--as", "SA01", "--db", db_url,
              pin="1111")
    assert res.exit_code == 1 and "may not" in res.output  # a service advisor does not adjust points
    res = run("points", "adjust", "粤A12345", "--points", "-20", "--reason", "录错", "--as", "MS01", "--db", db_url,
              pin="7777")
    assert res.exit_code == 0 and "-20 points, balance 80" in res.output
    hist = json.loads(run("points", "history", "粤A12345", "--format", "json", "--db", db_url).output)
    assert [(h["kind"], h["points"], h["balance_after"], h["staff"], h["reason"]) for h in hist] == [
        ("adjust", -20, 80, "林小红", "录错"), ("adjust", 100, 100, "林小红", "开卡礼")]
    assert _balance(engine, club.customer_id) == 80


def test_earn_by_ro_once_and_all_after_an_import(engine, db_url):
    club = make_club(engine)
    run("member", "join", "粤A12345", "--scheme", "annual", "--db", db_url)
    add_visit(engine, club, "RO100", date(2026, 11, 22), total=2345)
    add_visit(engine, club, "RO101", date(2026, 11, 22), total=1000)
    res = run("points", "earn", "RO100", "--db", db_url)
    assert res.exit_code == 0 and "RO100: +23 points, balance 23" in res.output
    res = run("points", "earn", "RO100", "--db", db_url)
    assert "already credited" in res.output
    res = run("points", "earn", "--all", "--db", db_url)
    assert "1 ROs credited (10 points)" in res.output
    assert run("points", "earn", "RO999", "--db", db_url).exit_code == 1
    assert _balance(engine, club.customer_id) == 33


def test_check_passes_then_reports_a_difference_with_exit_1(engine, db_url):
    club = _member_with_points(engine, db_url)
    res = run("points", "check", "--db", db_url)
    assert res.exit_code == 0 and "1 accounts checked, 0 differences; 1 stored-value balances checked" in res.output
    with write_session(engine) as s:
        s.exec(select(PointsAccount)).one().balance = 90
    res = run("points", "check", "--db", db_url)
    assert res.exit_code == 1
    assert f"customer {club.customer_id}: cached balance 90, ledger sum 100, unspent lots 100" in res.output
    with write_session(engine) as s:
        s.exec(select(PointsAccount)).one().balance = 100
        s.exec(select(Membership)).one().stored_value_fen = 5
    res = run("points", "check", "--db", db_url)
    assert res.exit_code == 1
    assert "stored value ¥0.05, entries add up to ¥0.00" in res.output


def test_expire_command(engine, db_url):
    club = make_club(engine)
    run("member", "join", "粤A12345", "--scheme", "annual", "--db", db_url, "--today", "2025-01-01")
    run("points", "catalog-set", "GIFT", "纪念品", "--category", "gift", "--points", "5", "--stock", "1", "--db", db_url)
    with write_session(engine) as s:
        from store.settings import set_setting

        set_setting(s, "points_expiry_months", 12, store_id=club.store_id)
    run("points", "adjust", "粤A12345", "--points", "40", "--reason", "x", "--as", "MS01", "--db", db_url,
        "--today", "2025-06-01", pin="7777")
    res = run("points", "expire", "--db", db_url, "--today", "2026-06-01")
    assert res.exit_code == 0 and "0 points expired on 0 accounts" in res.output  # the last day
    res = run("points", "expire", "--db", db_url, "--today", "2026-06-02")
    assert "40 points expired on 1 accounts" in res.output
    assert run("points", "expire", "--db", db_url, "--today", "2026-06-02").output.startswith("0 points")
    assert _balance(engine, club.customer_id) == 0


def test_member_commands_join_topup_renew_show_leave(engine, db_url):
    club = make_club(engine)
    res = run("member", "join", "13812345678", "--scheme", "both", "--topup", "150", "--db", db_url,
              "--today", "2025-09-01", "--format", "json")
    assert res.exit_code == 0, res.output
    card = json.loads(res.output)
    assert card["expires_on"] == "2026-09-01" and card["stored_value_fen"] == 15000
    res = run("member", "topup", "粤A12345", "99.50", "--key", "T1", "--db", db_url)
    assert res.exit_code == 0 and "stored value ¥249.50" in res.output
    assert "already done" in run("member", "topup", "粤A12345", "99.50", "--key", "T1", "--db", db_url).output
    res = run("member", "spend", "粤A12345", "300", "--db", db_url)
    assert res.exit_code == 1 and "balance ¥249.50, needs ¥300.00" in res.output
    res = run("member", "topup", "粤A12345", "12.345", "--db", db_url)
    assert res.exit_code == 1 and "at most 2 decimals" in res.output
    res = run("member", "renew", "粤A12345", "--db", db_url)  # today 2026-11-22: within grace
    assert res.exit_code == 0 and "renewed: 2026-09-01 -> 2027-09-01" in res.output
    show = run("member", "show", f"id:{club.customer_id}", "--db", db_url)
    assert "expires 2027-09-01" in show.output and "stored value ¥249.50" in show.output
    res = run("member", "leave", "粤A12345", "--reason", "搬家", "--db", db_url)
    assert res.exit_code == 0 and "¥249.50 stored value paid back" in res.output
    assert "left 已退会" in run("member", "show", "粤A12345", "--db", db_url).output


def test_member_bill_export(engine, db_url, tmp_path):
    club = make_club(engine)
    run("member", "join", "粤A12345", "--scheme", "annual", "--tier", "gold", "--db", db_url, "--today", "2026-01-02")
    add_visit(engine, club, "RO1", date(2026, 3, 3), total=2000)
    out = tmp_path / "bill.xlsx"
    res = run("member", "bill", "粤A12345", "--year", "2026", "--out", str(out), "--db", db_url)
    assert res.exit_code == 0, res.output
    assert "discounts ¥100.00" in res.output and "fees paid ¥300.00" in res.output
    ws = load_workbook(out).active
    assert any(row[2] and "RO1" in row[2] and row[3] == 100 for row in ws.iter_rows(values_only=True))
    bad = run("member", "bill", "粤A12345", "--year", "2026", "--out", str(tmp_path / "bill.csv"), "--db", db_url)
    assert bad.exit_code == 1


def test_ambiguous_customer_lists_the_candidates(engine, db_url):
    make_club(engine)
    with write_session(engine) as s:
        add_car(s, s.exec(select(Store)).one(), plate="粤A12399", owner="李娜", phone="13900001234")
    res = run("member", "show", "A123", "--db", db_url)
    assert res.exit_code == 1
    assert "matches 2 customers" in res.output and "张伟" in res.output and "李娜" in res.output
    with read_session(engine) as s:
        assert s.exec(select(PointsEntry)).all() == []
