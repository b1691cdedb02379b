"""Nothing we write can be run, and nothing we show is read as markup or reaches the
terminal as a control code: every workbook and CSV the app writes, from a store
whose names came in hostile (as an older import let them), opened and checked
cell by cell; the text rule at the edge; arguments that are not UTF-8."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from typer.testing import CliRunner

from store.validation import FieldError, clean_text, is_control, strip_controls
from tests.cli_helpers import cli_args
from tests.report_helpers import make_month
from tui.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ["=HYPERLINK(\"http://x\",\"点我\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1",
           "王\x1b[31m五\x07", "[bold red]大[/", "赵\u202e六\u200b"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def run(*args: str):
    result = runner.invoke(app, cli_args(args))
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def hostile_db(sqlite_engine):
    make_month(sqlite_engine)
    with sqlite_engine.begin() as conn:  # as an import before the text rule could have left them
        ids = conn.execute(text("select id from customer order by id")).scalars().all()
        for i, cid in enumerate(ids):
            conn.execute(text("update customer set name = :n, region = :r where id = :i"),
                         {"n": HOSTILE[i % len(HOSTILE)], "r": HOSTILE[(i + 3) % len(HOSTILE)], "i": cid})
        vids = conn.execute(text("select id from vehicle order by id")).scalars().all()
        for i, vid in enumerate(vids):
            conn.execute(text("update vehicle set model = :m where id = :i"), {"m": HOSTILE[(i + 1) % len(HOSTILE)], "i": vid})
        conn.execute(text("update staff set name = :n"), {"n": "=1+1"})
    return sqlite_engine.url.render_as_string(hide_password=False)


def assert_workbook_safe(path: Path) -> int:
    wb = load_workbook(path)
    cells = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (path.name, ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    # (a line break is no control in a cell: Excel wraps there)
                    assert not any(is_control(c) and c != "\n" for c in cell.value), (path.name, cell.coordinate)
                    cells += 1
    return cells


def assert_csv_safe(content: str) -> int:
    cells = 0
    for row in csv.reader(io.StringIO(content.lstrip("\ufeff"))):
        for value in row:
            assert not any(is_control(c) for c in value), value
            if value.startswith(FORMULA_START):
                float(value.replace(",", "").rstrip("%"))  # only a number may start so
            cells += 1
    return cells


def test_every_export_and_report_writes_text_as_text(hostile_db, tmp_path):
    outs = []
    for name in ("customers.xlsx", "customers.csv"):
        out = tmp_path / name
        result = run("--db", hostile_db, "--store", "S01", "export", "customers", "--out", str(out))
        assert result.exit_code == 0, result.output
        outs.append(out)
    churn = tmp_path / "churn.xlsx"
    assert run("--db", hostile_db, "report", "churn", "--as-of", "2026-10-31", "--store", "S01",
               "--by", "sa,model,region", "--format", "xlsx", "--out", str(churn)).exit_code == 0
    outs.append(churn)
    for path in outs:
        if path.suffix == ".xlsx":
            assert assert_workbook_safe(path) > 0
        else:
            assert assert_csv_safe(path.read_text(encoding="utf-8-sig")) > 0
    listing = load_workbook(tmp_path / "customers.xlsx").active
    names = {c.value for row in listing.iter_rows() for c in row}
    assert "=HYPERLINK(\"http://x\",\"点我\")" in names  # kept as typed, as text
    assert "王[31m五" in names  # less its controls
    exported = (tmp_path / "customers.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK(" in exported and "'@SUM(A1)" in exported

    result = run("--db", hostile_db, "report", "churn", "--as-of", "2026-10-31", "--store", "S01",
                 "--by", "sa,model,region", "--format", "csv")
    assert result.exit_code == 0 and "\x1b" not in result.output and "\x07" not in result.output
    assert assert_csv_safe(result.output) > 0

    table = run("--db", hostile_db, "report", "churn", "--as-of", "2026-10-31", "--store", "S01", "--by", "region")
    assert table.exit_code == 0 and "\x1b" not in table.output


def test_the_rejects_workbook_and_the_member_bill_write_text_as_text(tmp_path):
    from importers.pipeline import read_all
    from importers.rejects import write_rejects
    from store.members import BillLine, MemberBill, write_member_bill_xlsx
    from tests.import_files import VISIT_HEADER, visit

    src = tmp_path / "bad.csv"
    with src.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([VISIT_HEADER, visit("RO1", "=cmd|'/C calc'!A0", name="=1+2"),
                                  visit("RO2", "粤A12345", day="@now\x1b")])
    result, _ = read_all(src, today=date(2026, 11, 1))
    assert result.rejected
    rejects = tmp_path / "rejects.xlsx"
    write_rejects([result], rejects)
    assert assert_workbook_safe(rejects) > 0

    bill = MemberBill(customer_id=1, customer_name="=HYPERLINK(\"x\")\x1b", year=2026, number="-1+1", tier_name="@金卡",
                      lines=[BillLine(date(2026, 5, 1), "points", "+洗车 x1\x07", 3000, 30)])
    out = write_member_bill_xlsx(bill, tmp_path / "bill.xlsx")
    assert assert_workbook_safe(out) > 0


def test_the_report_workbook_writer_takes_any_text(tmp_path):
    from store.reports import ReportTable
    from store.reports.workbook import write_workbook

    table = ReportTable(key="x", title="=t\x1b", columns=["name", "n"],
                        rows=[{"name": h, "n": i} for i, h in enumerate(HOSTILE)], notes=["@note\x07"])
    assert assert_workbook_safe(write_workbook(table, tmp_path / "r.xlsx")) > len(HOSTILE)


# --- the text rule at the edge ----------------------------------------------------------


@pytest.mark.parametrize("bad", ["a\x1bb", "a\rb", "a\u202eb", "a\u200bb", "a\x85b", "a\ud800b", "a\u2028b"])
def test_typed_fields_refuse_control_characters_and_invalid_text_by_name(bad):
    with pytest.raises(FieldError, match="^catalog name: "):
        clean_text(bad, field="catalog name", max_len=100)


def test_emoji_sequences_and_full_width_text_are_kept():
    assert clean_text(" 👨\u200d👩\u200d👧 ＡＢＣ　好 ", field="name", max_len=50) == "👨\u200d👩\u200d👧 ＡＢＣ　好"
    assert strip_controls("a\tb\nc\x1bd\u202e") == "a b cd"


def test_the_polars_pattern_and_the_python_rule_agree():
    import polars as pl

    from store.validation import CONTROL_PATTERN

    chars = [chr(i) for i in range(0x10000) if not 0xD800 <= i <= 0xDFFF]
    hits = pl.Series(chars).str.contains(CONTROL_PATTERN).to_list()
    assert [c for c, hit in zip(chars, hits) if hit != is_control(c)] == []


def test_catalog_tier_and_benefit_text_is_refused_by_name_on_both_backends(engine):
    from sqlmodel import Session

    from store import members, points
    from store.access import SYSTEM
    from store.db import write_session
    from store.models import CatalogItem
    from tests.club_helpers import make_club

    club = make_club(engine)
    for name, why in (("洗" * 101, "catalog name: is 101 characters long, at most 100"),
                      ("洗车\x1b[31m", "catalog name: contains a control character"),
                      ("洗\u202e车", "catalog name: contains a control character")):
        with pytest.raises(points.PointsError, match=why.replace("[", r"\[")):
            with write_session(engine) as s:
                points.set_catalog_item(s, store_id=club.store_id, code="X1", name=name, category="gift",
                                        price_points=10, actor=SYSTEM)
    with pytest.raises(members.MembershipError, match="tier name: is 101 characters long, at most 32"):
        with write_session(engine) as s:
            members.set_tier(s, store_id=club.store_id, code="vip", name="金" * 101, rank=9, min_single_spend_fen=None,
                             min_cumulative_spend_fen=None, discount_pct=90, points_multiplier_pct=100, actor=SYSTEM)
    # Behind the per-field checks, every flush holds text to its column on SQLite as on Postgres.
    with pytest.raises(FieldError, match=r"^catalogitem.name: is 10000 characters long, at most 100"):
        with write_session(engine) as s:
            s.add(CatalogItem(store_id=club.store_id, code="X2", name="长" * 10_000, category="gift", price_points=1))
            s.flush()
    with write_session(engine) as s:
        assert s.exec(text("select count(*) from catalogitem where code in ('X1', 'X2')")).scalar() == 0


def test_cli_refuses_control_characters_in_catalog_names(tmp_path, monkeypatch):
    from store.db import open_engine
    from tests.club_helpers import make_club

    url = f"sqlite:///{tmp_path / 'c.sqlite'}"
    make_club(open_engine(url))
    result = run("--db", url, "points", "catalog-set", "X1", "洗车\x1b[2J", "--category", "gift", "--points", "10")
    assert result.exit_code == 1 and "control character" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_an_argument_that_is_not_utf8_is_refused_in_one_line(tmp_path):
    done = subprocess.run([sys.executable, "-c", "from tui.cli import main; main()", "lookup", b"\xff\xfe12"],
                          capture_output=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
                                                              "HOME": str(tmp_path), "LC_ALL": "C.UTF-8"})
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 1 and "not valid UTF-8" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_row_stored_before_the_rule_can_still_change_its_other_fields(engine):
    from store.db import write_session
    from store.models import Customer
    from tests.club_helpers import make_club

    club = make_club(engine)
    with engine.begin() as conn:
        conn.execute(text("update customer set name = :n where id = :i"), {"n": "王\x1b五", "i": club.customer_id})
    with write_session(engine) as s:
        customer = s.get(Customer, club.customer_id)
        customer.do_not_contact = True
        s.add(customer)
    with pytest.raises(FieldError, match="^customer.name: contains a control character"):
        with write_session(engine) as s:
            customer = s.get(Customer, club.customer_id)
            customer.name = "赵\x1b六"
            s.add(customer)
            s.flush()
