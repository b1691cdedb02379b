"""What each role sees of a customer, through every command that prints customers and
through the counter's screens: no customer row for the group analyst; the whole phone
only where the role allows (an SA's adopted customer, the member specialist's
members, the manager's store) or after a logged reveal; lists always masked."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select
from textual.widgets import Static
from typer.testing import CliRunner

from store import members
from store.access import SYSTEM
from store.db import write_session
from store.models import Adoption, Customer, Pitch, Staff
from store.staff import add_staff
from tests.factories import add_car, add_store
from tui.app import DealerDeskApp
from tui.cli import app
from tui.cli.common import hoist_global_options

runner = CliRunner()
PHONE, MASKED, NAME = "13812345678", "138****5678", "张伟"
PINS = {"M01": "8888", "SA01": "1111", "SA02": "2222", "CA01": "6666", "MS01": "7777", "GA01": "9999"}


@pytest.fixture
def shop(engine, tmp_path, monkeypatch):
    """张伟: a member, adopted to SA01, pitched, a visit; staff of every role."""
    monkeypatch.setenv("DEALERDESK_KEY_FILE", str(tmp_path / "pii.key"))
    with write_session(engine) as s:
        store = add_store(s)
        add_staff(s, SYSTEM, store_id=store.id, code="M01", name="周建国", role="manager", pin="8888")
        for code, role in [("SA01", "sa"), ("SA02", "sa"), ("CA01", "ca"), ("MS01", "member"), ("GA01", "analyst")]:
            add_staff(s, SYSTEM, store_id=store.id, code=code, name=f"员工{code}", role=role, pin=PINS[code])
        car = add_car(s, store, plate="粤A12345", owner=NAME, phone=PHONE, visits=[("RO1", date(2026, 11, 1), 800)])
        sa01 = s.exec(select(Staff).where(Staff.code == "SA01")).one()
        s.add(Adoption(store_id=store.id, vehicle_id=car.id, staff_id=sa01.id, started_on=date(2026, 1, 1)))
        s.add(Pitch(store_id=store.id, customer_id=car.customer_id, vehicle_id=car.id, staff_id=sa01.id,
                    staff_name="员工SA01", outcome="considering", pitched_at=date(2026, 11, 10)))
        customer_id = car.customer_id
    with write_session(engine) as s:
        members.join(s, customer_id=customer_id, scheme="annual", actor=SYSTEM)
    return engine


# Every command that prints customers, and who sees the whole phone in what it prints.
COMMANDS = [
    (["lookup", "A123"], set()),
    (["customer", "粤A12345"], {"SA01", "MS01", "M01"}),
    (["member", "show", "粤A12345"], set()),
    (["member", "bill", "粤A12345", "--year", "2026"], set()),
    (["member", "reminders", "--within", "400"], set()),
    (["points", "history", "粤A12345"], set()),
    (["care", "--date", "2026-11-22"], set()),
    (["pitches", "--from", "2026-11-01", "--to", "2026-11-30"], set()),
    (["arrivals", "--date", "2026-11-22"], set()),
    (["adopt", "list"], set()),
    (["calls"], set()),
]


@pytest.mark.parametrize("code", list(PINS))
def test_each_role_sees_customers_its_own_way_in_every_command(shop, db_url, code):
    for words, full_for in COMMANDS:
        result = runner.invoke(app, hoist_global_options(["--db", db_url, "--as", code, *words]),
                               env={"DEALERDESK_PIN": PINS[code]})
        out = result.stdout
        if code == "GA01":
            assert result.exit_code == 1 and NAME not in out and "粤A12345" not in out, (words, out)
            assert "aggregates only" in result.stderr, (words, result.stderr)
            continue
        assert (PHONE in out) == (code in full_for), (words, code, out)


def test_a_reveal_with_its_reason_unmasks_and_is_logged(shop, db_url):
    from store.db import read_session
    from store.models import AuditLog

    args = ["--db", db_url, "--as", "SA02", "customer", "粤A12345"]
    masked = runner.invoke(app, hoist_global_options(args), env={"DEALERDESK_PIN": "2222"})
    assert MASKED in masked.stdout and PHONE not in masked.stdout
    refused = runner.invoke(app, hoist_global_options([*args, "--reveal"]), env={"DEALERDESK_PIN": "2222"})
    assert refused.exit_code == 1 and "--reason" in refused.stderr
    shown = runner.invoke(app, hoist_global_options([*args, "--reveal", "--reason", "客户在柜台"]),
                          env={"DEALERDESK_PIN": "2222"})
    assert shown.exit_code == 0 and PHONE in shown.stdout
    with read_session(shop) as s:
        rows = s.exec(select(AuditLog).where(AuditLog.action == "contact.unmask")).all()
    assert [(r.staff_id is not None, "客户在柜台" in (r.detail or "")) for r in rows] == [(True, True)]


@pytest.mark.parametrize("code,full", [("SA01", True), ("SA02", False), ("CA01", False), ("MS01", True),
                                       ("M01", True)])
async def test_the_counter_shows_the_same_as_the_command_line(shop, code, full):
    if shop.url.get_backend_name() != "sqlite":
        pytest.skip("the screens are tried on the embedded database")
    app_ = DealerDeskApp(shop, staff_code=code)
    async with app_.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        await pilot.press(*"a12345", "enter")
        for _ in range(100):
            if type(app_.screen).__name__ == "ProfileScreen" and app_.screen.profile is not None:
                break
            await pilot.pause(0.05)
        owner = str(app_.screen.query_one("#owner", Static).render())
        assert (PHONE in owner) == full and (MASKED in owner) == (not full)


async def test_the_analyst_gets_no_customer_on_the_counter(shop):
    if shop.url.get_backend_name() != "sqlite":
        pytest.skip("the screens are tried on the embedded database")
    app_ = DealerDeskApp(shop, staff_code="GA01")
    async with app_.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        await pilot.press(*"a12345")
        await pilot.pause(0.5)
        assert app_.screen.matches == []
        assert type(app_.screen).__name__ == "LookupScreen"
