"""Mac and Windows line endings alike: a CSV whose lines end in a lone CR (Excel for
Mac's "CSV (Macintosh)"), in CRLF (Excel on Windows) or in LF (a Unix tool) reads
as the same rows, in UTF-8 and in GBK, for a vehicles export and a visits export;
and goes into the database as the same cars and visits. Every file is built here."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from importers.pipeline import import_file, read_all
from importers.readers import DelimitedText
from importers.sniff import sniff
from store.access import SYSTEM
from store.db import read_session
from store.models import Vehicle, Visit
from tests.import_files import VIN_A, VIN_B, VEHICLE_HEADER, VISIT_HEADER, car, delimited_bytes, visit, write_bytes

TODAY = date(2026, 11, 1)
ENDINGS = {"cr": "\r", "crlf": "\r\n", "lf": "\n"}

VEHICLES = [VEHICLE_HEADER,
            car("粤A12345", VIN_A, name="张伟", phone="13812345678", bought="2024-03-08", region="天河, 石牌"),
            car("粤B54321", VIN_B, model="天籁", name="李娜", phone="13900001234", bought="2023/5/6", region="番禺"),
            car("粤C00001", "", model="奇骏", name="王芳", phone="13700005678", bought="", region="")]
VISITS = [VISIT_HEADER,
          visit("RO1", "粤A12345", vin=VIN_A, day="2026-01-05", km="10,000", total="1,200.50"),
          visit("RO2", "粤B54321", vin=VIN_B, model="天籁", name="李娜", phone="13900001234", day="2026-03-05", kind="一般维修"),
          visit("RO3", "粤A12345", day="2026-06-01", km="20000", kind="保险维修")]
EXPORTS = {"vehicles": VEHICLES, "visits": VISITS}


def export(tmp_path, kind: str, encoding: str, ending: str, name: str | None = None):
    data = delimited_bytes(EXPORTS[kind], encoding=encoding, newline=ENDINGS[ending])
    return write_bytes(tmp_path / (name or f"{kind}-{encoding}-{ending}.csv"), data)


@pytest.mark.parametrize("ending", ENDINGS)
@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
@pytest.mark.parametrize("kind", EXPORTS)
def test_each_line_ending_reads_the_same_rows(tmp_path, kind, encoding, ending):
    path = export(tmp_path, kind, encoding, ending)
    if ending == "cr":
        assert b"\n" not in path.read_bytes()  # what Excel for Mac writes: no LF at all
    result, df = read_all(path, today=TODAY)
    _, expected = read_all(export(tmp_path, kind, "utf-8", "lf", name="baseline.csv"), today=TODAY)
    assert (result.kind, result.format, result.encoding) == (kind, "csv", encoding)
    assert result.rejected == [] and result.rows == len(EXPORTS[kind]) - 1
    assert df.equals(expected)  # every cell and every row number
    assert df["plate"].to_list()[:2] == ["粤A12345", "粤B54321"]
    if kind == "vehicles":
        assert df["region"].to_list() == ["天河, 石牌", "番禺", None]
        assert df["_row"].to_list() == [3, 4, 5]  # under the title line and the header


def test_a_mac_file_whose_cells_hold_line_breaks(tmp_path):
    """Excel for Mac ends its lines in CR and keeps a cell's own line break (Alt-Enter)
    as LF inside the quotes: the rows are the CR-ended ones, the break a space."""
    lines = [",".join(VEHICLE_HEADER),
             ",".join(car("粤A12345", VIN_A)[:-1]) + ',"天河区\n石牌"',
             ",".join(car("粤B54321", VIN_B, name="李娜", phone="13900001234")[:-1]) + ",番禺"]
    for encoding in ("utf-8", "gbk"):
        path = write_bytes(tmp_path / f"mac-{encoding}.csv", ("\r".join(lines) + "\r").encode(encoding))
        result, df = read_all(path, today=TODAY)
        assert result.rejected == [] and result.rows == 2
        assert df["region"].to_list() == ["天河区 石牌", "番禺"]
        assert df["_row"].to_list() == [2, 3]


def test_mixed_line_endings_in_one_file(tmp_path):
    """A header saved on Windows, rows appended on a Mac: each line end is one."""
    lines = [delimited_bytes([row], encoding="gbk", title=None, newline="") for row in VEHICLES]
    data = lines[0] + b"\r\n" + lines[1] + b"\r" + lines[2] + b"\n" + lines[3] + b"\r"
    path = write_bytes(tmp_path / "mixed.csv", data)
    result, df = read_all(path, today=TODAY)
    assert result.rejected == [] and result.rows == 3
    assert df["plate"].to_list() == ["粤A12345", "粤B54321", "粤C00001"]
    assert df["region"].to_list() == ["天河, 石牌", "番禺", None]
    assert df["_row"].to_list() == [2, 3, 4]


@pytest.mark.parametrize("ending", ENDINGS)
def test_a_line_end_cut_between_two_reads_is_one_line_end(tmp_path, ending):
    """The file is read in chunks: a CRLF whose CR ends one chunk and whose LF starts
    the next is one line end, not a blank line that would shift every row number."""
    rows = [VEHICLE_HEADER] + [car(f"粤A{10000 + i}", "", phone=f"1381234{i:04d}") for i in range(40)]
    path = write_bytes(tmp_path / "long.csv", delimited_bytes(rows, encoding="gbk", newline=ENDINGS[ending]))
    sniffed = sniff(path)
    whole = list(DelimitedText(path, sniffed).batches(0, len(VEHICLE_HEADER), 1000))
    for size in (3, 7, 64):  # chunk sizes that cut lines, characters and line ends anywhere
        cut = list(DelimitedText(path, sniffed, chunk_bytes=size).batches(0, len(VEHICLE_HEADER), 1000))
        assert len(cut) == 1 and cut[0].equals(whole[0])
    assert whole[0].height == 42 and whole[0]["_row"].to_list()[-1] == 42  # a title line, the header, 40 cars
    assert whole[0]["c0"].to_list()[-1] == "粤A10039"


def held(engine):
    with read_session(engine) as s:
        cars = [(v.plate, v.vin, v.model, v.purchase_date) for v in s.execute(select(Vehicle).order_by(Vehicle.id)).scalars()]
        ros = sorted((v.ro_number, v.total_fen, v.mileage) for v in s.execute(select(Visit)).scalars())
    return cars, ros


def test_a_mac_export_goes_in_as_the_windows_one_does(engine, store_id, tmp_path):
    """CR-only GBK exports of vehicles and of visits go in; the same exports saved
    with CRLF or LF afterwards change nothing, and neither does running one again."""
    for kind in ("vehicles", "visits"):
        result = import_file(engine, export(tmp_path, kind, "gbk", "cr"), actor=SYSTEM, store_id=store_id)
        assert result.refused is None and result.rejected == []
        assert (result.kind, result.format, result.encoding, result.inserted) == (kind, "csv", "gbk", 3)
    cars, ros = held(engine)
    assert cars == [("粤A12345", VIN_A, "轩逸", date(2024, 3, 8)), ("粤B54321", VIN_B, "天籁", date(2023, 5, 6)),
                    ("粤C00001", None, "奇骏", None)]
    assert ros == [("RO1", 120050, 10000), ("RO2", 90000, 12000), ("RO3", 90000, 20000)]
    for kind in ("vehicles", "visits"):
        for encoding, ending in (("gbk", "cr"), ("gbk", "crlf"), ("utf-8", "lf"), ("utf-8", "cr")):
            again = import_file(engine, export(tmp_path, kind, encoding, ending), actor=SYSTEM, store_id=store_id)
            assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3), (kind, encoding, ending)
    assert held(engine) == (cars, ros)
