"""A PIN lockout that holds: parallel guesses each count, the lock follows the
machine's clock (never ``--today`` / ``DEALERDESK_TODAY``), and the limits come
from the database only. On SQLite and Postgres."""

from __future__ import annotations

import re
import threading
from datetime import date, timedelta

import pytest
from sqlmodel import select

from store import clock
from store.access import SYSTEM
from store.db import make_engine, read_session, write_session
from store.models import Staff
from store.settings import get_setting, get_settings, set_setting, stored_setting
from store.staff import SignInRefused, add_staff, sign_in
from tests.factories import add_store

RIGHT, WRONG = "1234", "0000"


@pytest.fixture
def desk(engine):
    with write_session(engine) as s:
        store = add_store(s)
        add_staff(s, SYSTEM, store_id=store.id, code="M01", name="周建国", role="manager", pin=RIGHT)
        store_id = store.id
    return engine, store_id


def attempt(engine, pin: str, code: str = "M01") -> str:
    """One try as the counter makes it: the failed try is committed. 'ok' or the refusal."""
    with write_session(engine) as s:
        try:
            sign_in(s, code=code, pin=pin)
        except SignInRefused as exc:
            return str(exc)
    return "ok"


def locked_until(engine):
    with read_session(engine) as s:
        return s.exec(select(Staff.locked_until).where(Staff.code == "M01")).one()


def lock(engine, tries: int = 5) -> list[str]:
    return [attempt(engine, WRONG) for _ in range(tries)]


def test_parallel_guesses_each_count_and_the_right_pin_waits_out_the_lock(desk, db_url):
    """24 sign-ins at once, each on its own connection: 23 wrong PINs, and the right
    one sent while they are still arriving (after the first five are answered)."""
    engine, _ = desk
    wrong, results, lock_ = 23, [], threading.Lock()
    five_answered, go = threading.Event(), threading.Barrier(wrong + 1)

    def guess(pin: str) -> None:
        own = make_engine(db_url)  # its own pool, so its own connection
        try:
            go.wait(timeout=60)
            if pin == RIGHT:
                assert five_answered.wait(timeout=120)
            outcome = attempt(own, pin)
        except Exception as exc:  # pragma: no cover - reported by the assertions below
            outcome = f"error: {exc!r}"
        finally:
            own.dispose()
        with lock_:
            results.append((pin, outcome))
            if sum(p == WRONG for p, _ in results) >= 5:
                five_answered.set()

    threads = [threading.Thread(target=guess, args=(WRONG,)) for _ in range(wrong)]
    threads.append(threading.Thread(target=guess, args=(RIGHT,)))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
        assert not t.is_alive()

    refusals = [o for p, o in results if p == WRONG]
    assert not [o for o in refusals if o.startswith("error")], refusals
    counted = sorted(int(m.group(1)) for o in refusals if (m := re.search(r"\((\d+)/5\)", o)))
    assert counted == [1, 2, 3, 4]  # each guess saw the ones before it
    assert sum("too many wrong PINs: locked" in o for o in refusals) == 1
    assert sum("locked: try again" in o for o in refusals) == wrong - 5
    (right,) = [o for p, o in results if p == RIGHT]
    assert "locked: try again" in right  # the right PIN, after the lock, is refused
    until = locked_until(engine)
    assert until is not None and until > clock.real_now()


def test_the_business_day_neither_clears_nor_extends_a_lock(desk, monkeypatch):
    engine, _ = desk
    clock.set_today(date(2099, 12, 31))  # locking "on" a far day sets no far lock
    assert lock(engine)[-1].startswith("密码错误次数过多")
    until = locked_until(engine)
    assert timedelta(minutes=14) < until - clock.real_now() <= timedelta(minutes=15)
    clock.set_today(date(2099, 1, 1))  # nor does a day past the lock open it
    assert "locked: try again in 15 min" in attempt(engine, RIGHT)
    clock.set_today(None)
    monkeypatch.setenv("DEALERDESK_TODAY", "2100-01-01")
    assert "locked" in attempt(engine, RIGHT)
    monkeypatch.setenv("DEALERDESK_TODAY", "2001-01-01")
    assert "locked" in attempt(engine, WRONG)
    assert locked_until(engine) == until  # tries while locked neither move it nor count
    later = clock.real_now() + timedelta(minutes=16)
    monkeypatch.setattr(clock, "real_now", lambda: later)
    assert attempt(engine, RIGHT) == "ok"


def test_pin_limits_come_from_the_database_not_the_environment_or_config(desk, monkeypatch, tmp_path):
    engine, store_id = desk
    config = tmp_path / "config.toml"
    config.write_text("[rules]\npin_max_failures = 100000\npin_lock_minutes = 0\n", encoding="utf-8")
    monkeypatch.setenv("DEALERDESK_CONFIG", str(config))
    monkeypatch.setenv("DEALERDESK_PIN_MAX_FAILURES", "100000")
    monkeypatch.setenv("DEALERDESK_PIN_LOCK_MINUTES", "0")
    with read_session(engine) as s:
        assert get_setting(s, "pin_max_failures", store_id=store_id) == 5
        assert stored_setting(s, "pin_lock_minutes", store_id=store_id) == 15
        rules = get_settings(s, store_id=store_id)
        assert (rules["pin_max_failures"], rules["pin_lock_minutes"]) == (5, 15)
    outcomes = lock(engine)
    assert outcomes[-1].startswith("密码错误次数过多") and "(4/5)" in outcomes[-2]
    assert "locked" in attempt(engine, RIGHT)

    with write_session(engine) as s:  # the settings table is where a store changes them
        set_setting(s, "pin_max_failures", 3, store_id=store_id)
        staff = s.exec(select(Staff).where(Staff.code == "M01")).one()
        staff.locked_until = None
    outcomes = lock(engine, 3)
    assert "(2/3)" in outcomes[1] and outcomes[2].startswith("密码错误次数过多")


def test_the_command_lines_today_neither_sets_nor_clears_a_lock(desk, db_url):
    from typer.testing import CliRunner

    from tui.cli import app
    from tui.cli.common import hoist_global_options

    engine, _ = desk

    def run(today: str, pin: str):
        return CliRunner().invoke(app, hoist_global_options(["--db", db_url, "--as", "M01", "--today", today,
                                                             "staff", "list"]), env={"DEALERDESK_PIN": pin})

    for _ in range(5):
        assert run("2099-12-31", WRONG).exit_code == 1
    until = locked_until(engine)
    assert until is not None and until - clock.real_now() <= timedelta(minutes=15)
    result = run("2099-01-01", RIGHT)
    assert result.exit_code == 1 and "locked" in result.stderr
    assert locked_until(engine) == until
