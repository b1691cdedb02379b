"""Hostile text through every command that takes text: SQL metacharacters, very long
strings, control characters, emoji and full-width text. Nothing breaks, nothing
leaks, nothing half-written; refusals name the field."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, inspect, select
from typer.testing import CliRunner

from store.db import read_session
from store.demo import generate
from store.models import AuditLog, CallLog, Customer, Pitch, PointsEntry, Staff, Vehicle
from tui.cli import app
from tests.cli_helpers import cli_args

NASTY = {
    "sql": "'; DROP TABLE vehicle; --",
    "sql2": "\" OR 1=1 --",
    "long": "长" * 5000,
    "control": "bad\x00\x1b[31mred\x07",
    "emoji": "好👍🚗",
    "fullwidth": "ＡＢＣ　１２３",
    "newline": "line1\nline2",
    "percent": "100%_%",
}

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    from datetime import date

    from store.db import open_engine

    path = tmp_path_factory.mktemp("bad") / "demo.sqlite"
    url = f"sqlite:///{path}"
    generate(open_engine(url), vehicles=60, seed=2, today=date(2026, 11, 22))
    return url


@pytest.fixture(autouse=True)
def key_file(tmp_path, monkeypatch):
    monkeypatch.setenv("DEALERDESK_KEY_FILE", str(tmp_path / "pii.key"))
    monkeypatch.setenv("DEALERDESK_PIN", "8888")


def run(url, *args):
    result = runner.invoke(app, cli_args(["--db", url, *args]))
    # Typer's own refusals exit 2; ours exit 1 with one line; nothing escapes as a traceback.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def counts(url):
    from store.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        assert {"vehicle", "customer", "visit"} <= set(inspect(conn).get_table_names())
        return {m.__tablename__: conn.execute(select(func.count()).select_from(m)).scalar()
                for m in (Vehicle, Customer, Staff, Pitch, PointsEntry, CallLog)}


def a_plate(url):
    from store.db import make_engine

    with make_engine(url).connect() as conn:
        return conn.execute(select(Vehicle.plate).order_by(Vehicle.id)).scalars().first()


@pytest.mark.parametrize("kind", sorted(NASTY))
def test_lookup_takes_anything_and_finds_nothing_odd(demo_url, kind):
    result = run(demo_url, "lookup", NASTY[kind], "--format", "json")
    assert result.exit_code == 0
    assert isinstance(json.loads(result.output), list)
    assert counts(demo_url)["vehicle"] == 60


@pytest.mark.parametrize("kind", sorted(NASTY))
def test_pitch_notes_are_kept_verbatim_or_refused_by_name(demo_url, kind):
    before = counts(demo_url)
    plate = a_plate(demo_url)
    result = run(demo_url, "--as", "M01", "pitch", plate, "considering", "--reason", "价格", "--note", NASTY[kind])
    after = counts(demo_url)
    if kind in ("control", "long"):
        assert result.exit_code != 0
        assert "note" in result.output.lower()
        assert after == before
    elif result.exit_code == 0:
        from store.db import make_engine

        with make_engine(demo_url).connect() as conn:
            note = conn.execute(select(Pitch.note).order_by(Pitch.id.desc())).scalars().first()
        assert note == NASTY[kind].strip() or note == NASTY[kind]
        assert after["pitch"] == before["pitch"] + 1
    else:  # refused for another reason (e.g. pitched recently): said, and nothing written
        assert after == before


@pytest.mark.parametrize("kind", sorted(NASTY))
def test_staff_names_and_codes(demo_url, kind):
    before = counts(demo_url)
    result = run(demo_url, "--as", "M01", "staff", "add", "X" + kind[:5].upper(), NASTY[kind], "--pin", "1234")
    after = counts(demo_url)
    if kind in ("control", "long", "newline"):
        assert result.exit_code == 1 and "name" in result.output
        assert after == before
    else:
        assert result.exit_code == 0, result.output
        assert after["staff"] == before["staff"] + 1
    bad_code = run(demo_url, "--as", "M01", "staff", "add", NASTY[kind], "王伟", "--pin", "1234")
    assert bad_code.exit_code == 1 and "code" in bad_code.output


@pytest.mark.parametrize("kind", sorted(NASTY))
def test_points_adjust_reason_and_customer(demo_url, kind):
    before = counts(demo_url)
    result = run(demo_url, "--as", "M01", "points", "adjust", NASTY[kind], "--points", "5", "--reason", "测试")
    assert result.exit_code != 0  # no such customer: said plainly
    assert counts(demo_url) == before
    plate = a_plate(demo_url)
    result = run(demo_url, "--as", "M01", "points", "adjust", plate, "--points", "5", "--reason", NASTY[kind],
                 "--key", f"bad-{kind}")
    if kind in ("control", "long"):
        assert result.exit_code == 1
        assert counts(demo_url)["pointsentry"] == before["pointsentry"]


@pytest.mark.parametrize("kind", sorted(NASTY))
def test_other_commands_refuse_cleanly(demo_url, kind):
    before = counts(demo_url)
    text = NASTY[kind]
    for args in (
        ["--as", "M01", "adopt", "move", text, "--to", "王伟"],
        ["--as", "M01", "adopt", "move", a_plate(demo_url), "--to", text],
        ["--as", "M01", "calls", "log", text, "--outcome", "no_answer"],
        ["--as", "M01", "calls", "log", a_plate(demo_url), "--outcome", text],
        ["--as", "M01", "member", "join", text, "--scheme", "annual"],
        ["--as", "M01", "audit", "--from", "2026-01-01", "--to", "2026-12-31", "--staff", text],
        ["report", "churn", "--as-of", text],
        ["report", "churn", "--as-of", "2026-11-22", "--by", text],
        ["care", "--date", text],
        ["import", f"/nonexistent/{text[:100]}.xls"],
        ["pitches", "--from", text, "--to", "2026-12-31"],
    ):
        result = run(demo_url, *args)
        assert result.exit_code in (0, 1, 2), (args, result.output)
    assert counts(demo_url) == before
