"""Who may do what, tried through the command line as every role on both backends:
every write (and every customer list) is checked in store/, so a role without the
right gets one line, exit 1, and nothing changes; a role with it is never refused
for want of it (the command may still refuse on the facts, e.g. "not a member")."""

from __future__ import annotations

import re
from datetime import date

import pytest
from typer.testing import CliRunner

from store import members, points
from store.access import SYSTEM, Actor
from store.db import write_session
from store.staff import add_staff, hash_pin
from store.models import Staff, Store
from tests.club_helpers import add_visit, make_club, tx
from tests.factories import add_car
from tui.cli import app
from tui.cli.common import hoist_global_options

runner = CliRunner()

PINS = {"M01": "8888", "SA01": "1111", "CA01": "6666", "MS01": "7777", "GA01": "9999"}
ROLE_OF = {"M01": "manager", "SA01": "sa", "CA01": "ca", "MS01": "member", "GA01": "analyst"}
STAFF = {"sa", "ca", "member", "manager"}
SERVE = {"sa", "member", "manager"}
CLUB = {"member", "manager"}
MANAGER = {"manager"}
READERS = {"member", "manager", "analyst"}
REFUSED = re.compile(r"may not|only the store's manager|aggregates only|system's work|only a manager|"
                     r"reports are for|an SA sees only")

# (the command's words, who may run it): the spec, written out, not read from the code.
COMMANDS = [
    (["member", "join", "粤B22222", "--scheme", "annual"], STAFF),
    (["member", "renew", "粤A12345"], SERVE),
    (["member", "topup", "粤A12345", "100"], SERVE),
    (["member", "spend", "粤A12345", "10"], SERVE),
    (["member", "benefit", "粤A12345", "WASH"], SERVE),
    (["member", "benefit-set", "regular", "CUP", "保温杯", "--kind", "gift", "--quota", "1", "--price", "40"], MANAGER),
    (["member", "lapse"], CLUB),
    (["member", "tier-set", "vip", "VIP卡", "--rank", "9"], MANAGER),
    (["member", "show", "粤A12345"], STAFF),
    (["member", "bill", "粤A12345", "--year", "2026"], STAFF),
    (["member", "reminders"], STAFF),
    (["points", "earn", "RO1"], SERVE),
    (["points", "redeem", "粤A12345", "WASH"], SERVE),
    (["points", "adjust", "粤A12345", "--points", "5", "--reason", "补录"], CLUB),
    (["points", "reverse", "1", "--reason", "录错"], CLUB),
    (["points", "reverse-ro", "RO1", "--reason", "客户退单"], CLUB),
    (["points", "expire"], CLUB),
    (["points", "check"], CLUB),
    (["points", "catalog-set", "CUP", "杯子", "--category", "gift", "--points", "5"], MANAGER),
    (["points", "refer", "粤A12345", "--friend", "王小明"], STAFF),
    (["points", "referral-sold", "1"], {"ca", "member", "manager"}),
    (["points", "referrals", "--open"], STAFF),
    (["points", "history", "粤A12345"], STAFF),
    (["club", "cost", "add", "100", "--category", "gift"], CLUB),
    (["club", "income", "add", "100", "--category", "sponsor"], CLUB),
    (["club", "list"], CLUB),
    (["event", "add", "安全驾驶讲堂", "--kind", "class", "--date", "2026-12-01 14:00", "--capacity", "10",
      "--points", "20", "--tiers", "regular"], CLUB),
    (["event", "list"], STAFF),
    (["event", "show", "1"], STAFF),
    (["event", "invite", "1", "--dry-run"], CLUB),
    (["event", "invite", "1"], CLUB),
    (["event", "answer", "1", "粤A12345", "no_answer"], SERVE),
    (["event", "signup", "1", "粤A12345"], STAFF),
    (["event", "checkin", "1", "粤A12345"], STAFF),
    (["event", "cancel", "1", "粤A12345"], STAFF),
    (["event", "cost", "1", "100"], CLUB),
    (["interest", "list"], STAFF | {"analyst"}),
    (["interest", "show", "粤A12345"], STAFF),
    (["interest", "set", "粤A12345", "sports,food"], STAFF),
    (["interest", "edit", "golf", "高尔夫"], MANAGER),
    (["pitch", "粤B22222", "considering"], STAFF),
    (["insurance", "add", "粤B22222", "--policy", "PDZA1", "--insurer", "人保", "--type", "commercial",
      "--start", "2026-01-01", "--end", "2026-12-31", "--premium", "3000"], SERVE),
    (["insurance", "list", "粤B22222"], STAFF),
    (["insurance", "inspection", "粤B22222", "--due", "2027-03-31"], SERVE),
    (["complaint", "add", "粤A12345", "--category", "price", "--text", "结算比报价高"], STAFF),
    (["complaint", "list"], STAFF),
    (["pitches", "--from", "2026-11-01", "--to", "2026-11-30"], STAFF),
    (["calls", "log", "粤B22222", "--outcome", "no_answer"], SERVE),
    (["care"], STAFF),
    (["arrivals"], STAFF),
    (["lookup", "A1"], STAFF),
    (["adopt", "--by-plate-digit", "0-9:SA01"], MANAGER),
    (["adopt", "move", "粤B22222", "--to", "SA01"], MANAGER),
    (["staff", "add", "SA09", "赵敏", "--role", "sa", "--pin", "6060"], MANAGER),
    (["staff", "list"], MANAGER),
    (["audit", "--from", "2026-11-01", "--to", "2026-11-30"], MANAGER),
    (["export", "customers", "--out", "{tmp}/all.csv"], MANAGER),
    (["report", "churn"], READERS),
    (["report", "members", "--month", "2026-10"], READERS),
    (["report", "insurance", "--month", "2026-10"], READERS),
    (["member", "leave", "粤A12345"], CLUB),
    (["demo"], set()),
    (["db", "upgrade"], set()),
    (["serve", "--port", "1"], set()),  # the system's, on the store's server
]


@pytest.fixture
def shop(engine, tmp_path, monkeypatch):
    """A member (粤A12345) with points and an RO, a non-member (粤B22222), a referral,
    and one staff member of every role."""
    monkeypatch.setenv("DEALERDESK_KEY_FILE", str(tmp_path / "pii.key"))
    club = make_club(engine)
    with write_session(engine) as s:
        for code, role in ROLE_OF.items():
            if code not in ("SA01", "MS01"):
                s.add(Staff(store_id=club.store_id, code=code, name=f"员工{code}", role=role,
                            pin_hash=hash_pin(PINS[code])))
        add_car(s, s.get(Store, club.store_id), plate="粤B22222", owner="李四", phone="13922223333")
    tx(engine, lambda s: members.join(s, customer_id=club.customer_id, scheme="annual", actor=SYSTEM))
    specialist = Actor(club.staff_id, "王伟", "member", club.store_id)
    tx(engine, lambda s: points.adjust(s, customer_id=club.customer_id, points=100, reason="开卡礼", actor=specialist))
    tx(engine, lambda s: points.record_referral(s, referrer_customer_id=club.customer_id, friend_name="朋友",
                                                actor=SYSTEM))
    add_visit(engine, club, "RO1", date(2026, 11, 1), total=500)
    return engine


@pytest.mark.parametrize("code", list(ROLE_OF))
def test_each_role_is_refused_exactly_what_it_may_not_do(shop, db_url, tmp_path, code):
    role = ROLE_OF[code]
    wrong = []
    for words, allowed in COMMANDS:
        args = [w.replace("{tmp}", str(tmp_path)) for w in words]
        result = runner.invoke(app, hoist_global_options(["--db", db_url, "--as", code, *args]),
                               env={"DEALERDESK_PIN": PINS[code]})
        refused = result.exit_code == 1 and bool(REFUSED.search(result.stderr))
        if refused == (role in allowed):
            wrong.append((" ".join(words), "refused" if refused else f"ran (exit {result.exit_code})",
                          result.stderr.strip()[:120]))
        if refused:
            assert result.stdout == "", (words, result.stdout)  # a refusal prints no rows
    assert wrong == [], f"{code} ({role}): " + "; ".join(" | ".join(w) for w in wrong)
