"""Cancelled repair orders 作废工单, on both backends: an import whose status column
says an RO was cancelled takes its points back once, through the reversal rules; a
later export without the column does not bring it back; `points reverse-ro` does it
by hand; both are audited."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from importers.headers import find_header, spelling_table
from importers.parse import typed
from importers.pipeline import import_file
from store import clock, members
from store.access import SYSTEM
from store.db import read_session
from store.models import AuditLog, Visit
from tests.cli_helpers import cli_args
from tests.club_helpers import ledger, make_club, on, tx
from tests.conftest import TODAY
from tests.import_files import VISIT_HEADER, delimited_bytes, visit, write_bytes
from tui.cli import app

runner = CliRunner()
HEADER = [*VISIT_HEADER, "工单状态"]


def _file(tmp_path, name, rows, header=HEADER):
    return write_bytes(tmp_path / name, delimited_bytes([header, *rows], title=None))


def _ro(ro, status, total="2000", day="2026-11-10"):
    return [*visit(ro, "粤A12345", name="张伟", phone="13812345678", day=day, settled=day, total=total, labour="0",
                   parts="0", oil="0"), status]


def _actions(engine) -> list[str]:
    with read_session(engine) as s:
        return s.exec(select(AuditLog.action).where(AuditLog.action.in_(
            ("points.earn", "points.reverse", "visit.cancel"))).order_by(AuditLog.id)).all()


@pytest.mark.parametrize("cell", ["作废", "取消", "已取消", "撤销", "cancelled", "Cancelled", "已作废"])
def test_every_spelling_of_cancelled_reads_as_cancelled(cell):
    import polars as pl

    rows = [HEADER, _ro("RO1", cell), _ro("RO2", "已结算"), _ro("RO3", "")]
    header = find_header(rows, spelling_table())
    raw = pl.DataFrame({f"c{i}": pl.Series([r[i] or None for r in rows[1:]], dtype=pl.String)
                        for i in range(len(HEADER))} | {"_row": [2, 3, 4]})
    out, rejects, _ = typed(raw, header, kind="visits", today=TODAY)
    assert rejects == [] and out["status"].to_list() == ["cancelled", "settled", "settled"]


def test_an_import_that_cancels_an_ro_takes_its_points_back_once(engine, tmp_path):
    club = make_club(engine)
    on("2026-11-01")
    tx(engine, lambda s: members.join(s, customer_id=club.customer_id, scheme="annual", actor=SYSTEM))
    on("2026-11-22")
    first = import_file(engine, _file(tmp_path, "w1.csv", [_ro("RO1", "已结算"), _ro("RO2", "已结算", total="500")]),
                        actor=SYSTEM, store_id=club.store_id)
    assert first.points_earned == 2 and ledger(engine, club.customer_id)[0] == 25
    cancelled = import_file(engine, _file(tmp_path, "w2.csv", [_ro("RO1", "作废"), _ro("RO2", "已结算", total="500")]),
                            actor=SYSTEM, store_id=club.store_id)
    assert (cancelled.updated, cancelled.points_earned) == (1, 1)
    balance, rows = ledger(engine, club.customer_id)
    assert balance == 5 and rows[-1] == ("reverse", -20, 0)
    again = import_file(engine, _file(tmp_path, "w2b.csv", [_ro("RO1", "作废")]), actor=SYSTEM, store_id=club.store_id)
    assert again.points_earned == 0 and ledger(engine, club.customer_id)[0] == 5
    # An export without the status column (or an older one) does not bring the RO back.
    plain = _file(tmp_path, "w3.csv", [_ro("RO1", "")[:-1]], header=VISIT_HEADER)
    assert import_file(engine, plain, actor=SYSTEM, store_id=club.store_id).points_earned == 0
    with read_session(engine) as s:
        assert s.exec(select(Visit.status).where(Visit.ro_number == "RO1")).one() == "cancelled"
    assert ledger(engine, club.customer_id)[0] == 5
    assert _actions(engine) == ["points.earn", "points.earn", "points.reverse"]


def run(*args, pin=None):
    clock.set_today(TODAY)
    return runner.invoke(app, cli_args(args), env={"DEALERDESK_PIN": pin} if pin else {})


def test_points_reverse_ro_cancels_by_hand_once_and_is_audited(engine, db_url, tmp_path):
    club = make_club(engine)
    assert run("member", "join", "粤A12345", "--scheme", "annual", "--db", db_url).exit_code == 0
    import_file(engine, _file(tmp_path, "w1.csv", [_ro("RO1", "", day="2026-11-22")]), actor=SYSTEM,
                store_id=club.store_id)
    assert ledger(engine, club.customer_id)[0] == 20
    refused = run("--as", "SA01", "points", "reverse-ro", "RO1", "--reason", "客户退单", "--db", db_url, pin="1111")
    assert refused.exit_code == 1 and "may not" in refused.stderr and ledger(engine, club.customer_id)[0] == 20
    done = run("--as", "MS01", "points", "reverse-ro", "RO1", "--reason", "客户退单", "--db", db_url, pin="7777")
    assert done.exit_code == 0, done.output
    assert done.output.strip() == "RO1: cancelled, 20 points taken back, balance 0"
    again = run("--as", "MS01", "points", "reverse-ro", "RO1", "--reason", "客户退单", "--format", "json",
                "--db", db_url, pin="7777")
    assert json.loads(again.output)["status"] == "already_reversed" and ledger(engine, club.customer_id)[0] == 0
    assert _actions(engine) == ["points.earn", "visit.cancel", "points.reverse"]
    with read_session(engine) as s:
        detail = json.loads(s.exec(select(AuditLog.detail).where(AuditLog.action == "visit.cancel")).one())
        assert detail["reason"] == "客户退单" and detail["ro"] == "RO1"
    missing = run("points", "reverse-ro", "RO9", "--reason", "x", "--db", db_url)
    assert missing.exit_code == 1 and "no RO 'RO9'" in missing.stderr
