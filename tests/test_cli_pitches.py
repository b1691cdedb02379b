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
    result = run("pitch", "粤B22222", "not_now", "--reason", "赶时间", "--channel", "phone", "--as", "SA01",
                 "--format", "json", "--db", db_url, env={"DEALERDESK_PIN": "1111"})
    assert result.exit_code == 0, result.output
    line = json.loads(result.output)
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
