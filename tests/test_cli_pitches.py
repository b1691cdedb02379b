"""``dealerdesk pitches`` and ``dealerdesk pitch`` as a script would use them."""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlmodel import select
from typer.testing import CliRunner

from store.db import read_session, write_session
from store.models import Pitch, Staff
from store.staff import hash_pin
from tests.factories import add_car, add_store
from tui.cli import app
from tests.cli_helpers import cli_args

runner = CliRunner()


def run(*args: str, env: dict | None = None):
    return runner.invoke(app, cli_args(args), env=env)


def _shop(engine):
    with write_session(engine) as s:
        store = add_store(s)
        wang = Staff(store_id=store.id, code="SA01", name="王伟", role="sa", pin_hash=hash_pin("1111"))
        s.add(wang)
        s.flush()
        a = add_car(s, store, plate="粤A12345", owner="张伟")
        b = add_car(s, store, plate="粤B22222", owner="刘洋")
        s.add(Pitch(store_id=store.id, customer_id=a.customer_id, vehicle_id=a.id, staff_id=wang.id,
                    staff_name="王伟", outcome="considering", reason="和家人商量",
                    follow_up_on=date(2026, 11, 8), pitched_at=datetime(2026, 11, 1, 10, 30)))
        s.add(Pitch(store_id=store.id, customer_id=b.customer_id, vehicle_id=b.id, staff_id=wang.id,
                    staff_name="王伟", outcome="declined", pitched_at=datetime(2026, 10, 31, 18, 0)))
    return wang


def test_pitches_between_two_days_as_json(engine, db_url):
    _shop(engine)
    result = run("pitches", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "json", "--db", db_url)
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)
    assert (row["plate"], row["customer"], row["outcome"], row["staff"]) == ("粤A12345", "张伟", "considering", "王伟")
    assert (row["channel"], row["follow_up_on"], row["pitched_at"]) == ("counter", "2026-11-08", "2026-11-01T10:30:00")


def test_pitches_as_text_count_the_outcomes(engine, db_url):
    _shop(engine)
    result = run("pitches", "--from", "2026-10-01", "--to", "2026-11-30", "--db", db_url)
    assert result.exit_code == 0, result.output
    assert "2 pitches: joined 0, considering 1, declined 1, not_now 0" in result.output


def test_pitches_refuse_a_backwards_range_and_a_bad_date(engine, db_url):
    _shop(engine)
    backwards = run("pitches", "--from", "2026-11-30", "--to", "2026-11-01", "--db", db_url)
    assert backwards.exit_code == 1 and "before" in backwards.output
    bad = run("pitches", "--from", "last tuesday", "--to", "2026-11-01", "--db", db_url)
    assert bad.exit_code == 1 and "not a day" in bad.output and "--from" in bad.output


def test_pitch_records_one_as_the_signed_in_advisor(engine, db_url):
    wang = _shop(engine)
    result = run("pitch", "粤B22222", "not_now", "--anyway", "--reason", "赶时间", "--channel", "phone", "--as", "SA01",
                 "--format", "json", "--db", db_url, env={"DEALERDESK_PIN": "1111"})
    assert result.exit_code == 0, result.output
    assert "declined on 2026-10-31" in result.stderr and "recorded anyway" in result.stderr
    line = json.loads(result.stdout)
    assert (line["outcome"], line["follow_up_on"], line["channel"]) == ("not_now", "2026-12-22", "phone")
    with read_session(engine) as s:
        row = s.exec(select(Pitch).where(Pitch.id == line["id"])).one()
    assert (row.staff_id, row.staff_name, row.reason) == (wang.id, "王伟", "赶时间")


def test_pitch_refuses_an_unknown_outcome(engine, db_url):
    _shop(engine)
    result = run("pitch", "粤B22222", "maybe", "--db", db_url)
    assert result.exit_code == 1 and "outcome must be one of" in result.output
    with read_session(engine) as s:
        assert len(s.exec(select(Pitch)).all()) == 2


def test_pitch_warns_within_the_quiet_periods_like_the_counter_and_records_only_with_anyway(engine, db_url):
    _shop(engine)  # 粤A12345 considering on 11-01 (21 days ago); 粤B22222 declined on 10-31
    env = {"DEALERDESK_PIN": "1111"}
    recent = run("pitch", "粤A12345", "considering", "--as", "SA01", "--db", db_url, env=env)
    assert recent.exit_code == 1 and recent.stdout == ""
    assert recent.stderr.strip() == ("dealerdesk: 粤A12345: pitched on 2026-11-01 by 王伟 (considering), within 30 days "
                                     "(pitch_recent_days); not recorded (--anyway records it)")
    quiet = run("pitch", "粤B22222", "not_now", "--as", "SA01", "--db", db_url, env=env)
    assert quiet.exit_code == 1 and "declined on 2026-10-31: not to be pitched again before 2027-01-29" in quiet.stderr
    with read_session(engine) as s:
        assert len(s.exec(select(Pitch)).all()) == 2  # nothing recorded
    anyway = run("pitch", "粤B22222", "not_now", "--anyway", "--as", "SA01", "--db", db_url, env=env)
    assert anyway.exit_code == 0, anyway.output
    assert "recorded anyway" in anyway.stderr and "not_now" in anyway.stdout
    again = run("pitch", "粤B22222", "considering", "--as", "SA01", "--db", db_url, env=env)
    assert again.exit_code == 1 and "pitched on 2026-11-22 by 王伟 (not_now)" in again.stderr
    with read_session(engine) as s:
        assert len(s.exec(select(Pitch)).all()) == 3


def test_a_joined_pitch_without_a_membership_is_no_conversion(engine, db_url):
    """The issue's case: a CA records "joined" and nobody signs the customer up: the
    report counts it as joined, not signed up, never as a conversion, as `member show`
    and the profile say; a membership started within pitch_signup_days converts it."""
    from store.access import SYSTEM
    from store.reports import Month
    from store.reports.members import members_report

    with write_session(engine) as s:
        store = add_store(s)
        s.add(Staff(store_id=store.id, code="CA01", name="黄磊", role="ca", pin_hash=hash_pin("6666")))
        add_car(s, store, plate="粤A12345", owner="张伟", phone="13812345678")
        add_car(s, store, plate="粤B22222", owner="刘洋", phone="13922223333")
    env = {"DEALERDESK_PIN": "6666"}
    for plate in ("粤A12345", "粤B22222"):
        assert run("pitch", plate, "joined", "--channel", "delivery", "--as", "CA01", "--db", db_url,
                   env=env).exit_code == 0
    assert run("member", "show", "粤A12345", "--db", db_url).output.strip() == "not a member"
    twice = run("pitch", "粤A12345", "joined", "--as", "CA01", "--db", db_url, env=env)  # finish the sign-up instead
    assert twice.exit_code == 1 and "pitched on 2026-11-22 by 黄磊 (joined), within 30 days" in twice.stderr

    def staff_total():
        with read_session(engine) as s:
            book = members_report(s, month=Month(2026, 11))
        return {k: book.sheet("staff").total[k] for k in ("pitched", "joined", "not_signed", "conversion")}

    assert staff_total() == {"pitched": 2, "joined": 0, "not_signed": 2, "conversion": 0.0}
    assert run("member", "join", "粤B22222", "--scheme", "annual", "--db", db_url).exit_code == 0
    assert staff_total() == {"pitched": 2, "joined": 1, "not_signed": 1, "conversion": 50.0}
    from store.pitches import pitch_history

    with read_session(engine) as s:
        signed = {p.plate: p.signed_up for cid in (1, 2) for p in pitch_history(s, cid)}
    assert signed == {"粤A12345": False, "粤B22222": True}


def test_a_membership_started_after_the_signup_window_is_no_conversion(engine):
    from store.pitches import signed_up

    day = date(2026, 11, 1)
    assert signed_up(day, [date(2026, 11, 1)], within_days=30)
    assert signed_up(day, [date(2026, 12, 1)], within_days=30)
    assert not signed_up(day, [date(2026, 12, 2)], within_days=30)
    assert not signed_up(day, [date(2026, 10, 31)], within_days=30)  # an older membership is not this pitch's
