"""Every workbook a dealer's machine writes: .xlsb (Excel's binary workbook) and .ods
(LibreOffice, WPS) are read; an .xlsx in a layout the standard allows but few
writers use (backslashes in its part names, the workbook at the zip's root) is
read; a password-protected workbook is refused as one, in the format its bytes
are; a workbook whose name says another format is read as what it is; and every
refusal names the real format, in one line. Every file is built here (see
tests/import_files.py for how)."""

from __future__ import annotations

import re
import struct
import zipfile
from datetime import date

import pytest
from sqlalchemy import func, select

from importers.pipeline import import_file, read_all
from importers.sniff import NotATable, sniff
from store.access import SYSTEM
from store.db import read_session, write_session
from store.models import Vehicle, Visit
from tests.factories import add_store
from tests.import_files import (VEHICLE_HEADER, VIN_A, VIN_B, VISIT_HEADER, car, compound_file, relayout_xlsx, visit,
                                write_encrypted_xlsx,
                                write_ods, write_protected_xls, write_xls_with_truncated_formula, write_xlsb,
                                write_xlsx)

TODAY = date(2026, 11, 1)
VISITS = [VISIT_HEADER,
          visit("RO1", "粤A12345", vin=VIN_A, day="2026-01-05", km=12000, total="1,200.50"),
          visit("RO2", "粤B54321", vin=VIN_B, name="李娜", phone="13900001234", day="2026-03-05", kind="一般维修",
                km="15000", total=880.5)]


def read(path):
    return read_all(path, today=TODAY)


def refused(path) -> NotATable:
    with pytest.raises(NotATable) as caught:
        read(path)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message and "PanicException" not in message.split(":")[0]
    return caught.value


def expected_visits(df) -> None:
    assert df["ro_number"].to_list() == ["RO1", "RO2"]
    assert df["plate"].to_list() == ["粤A12345", "粤B54321"]
    assert df["vin"].to_list() == [VIN_A, VIN_B]
    assert df["mileage"].to_list() == [12000, 15000]  # a number cell and a text cell alike
    assert df["total_fen"].to_list() == [120050, 88050]
    assert df["date_in"].to_list() == [date(2026, 1, 5), date(2026, 3, 5)]
    assert df["_row"].to_list() == [4, 5]  # under the title line, the blank line and the header


# --- read ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt,write", [("ods", write_ods), ("xlsb", write_xlsb)])
def test_ods_and_xlsb_are_read(tmp_path, fmt, write):
    result, df = read(write(tmp_path / f"工单.{fmt}", VISITS))
    assert (result.format, result.kind, result.sheet, result.rows, result.rejected) == (fmt, "visits", "工单", 2, [])
    expected_visits(df)


def test_an_ods_date_cell_is_a_date(tmp_path):
    rows = [VEHICLE_HEADER, car("粤A12345", VIN_A, bought=date(2024, 3, 8)), car("粤B54321", VIN_B, bought="2023/5/6")]
    result, df = read(write_ods(tmp_path / "车辆档案.ods", rows, title=None))
    assert (result.format, result.kind) == ("ods", "vehicles")
    assert df["purchase_date"].to_list() == [date(2024, 3, 8), date(2023, 5, 6)]


@pytest.mark.parametrize("layout", [{"backslashes": True}, {"at_root": True}, {"backslashes": True, "at_root": True}])
def test_an_xlsx_in_an_unusual_but_valid_layout_is_read(tmp_path, layout):
    path = relayout_xlsx(write_xlsx(tmp_path / "plain.xlsx", VISITS), tmp_path / "odd.xlsx", **layout)
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
    if layout.get("backslashes"):
        assert "xl/workbook.xml" not in names and any("\\" in n for n in names)
    if layout.get("at_root"):
        assert "workbook.xml" in [n.replace("\\", "/") for n in names]
    result, df = read(path)
    assert (result.format, result.sheet) == ("xlsx", "工单")
    expected_visits(df)


def test_an_unusual_layout_is_still_held_to_the_bounds(tmp_path):
    """The sheet's size claim is found through _rels/.rels however the parts are
    named, so a claim past the bounds is refused before a reader allocates it."""
    plain = write_xlsx(tmp_path / "plain.xlsx", VISITS)
    claiming = tmp_path / "claiming.xlsx"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(claiming, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            data = src.read(name)
            if name.startswith("xl/worksheets/"):
                data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:Z9000000"', data)
                assert b"Z9000000" in data
            dst.writestr(name, data)
    exc = refused(relayout_xlsx(claiming, tmp_path / "odd.xlsx", backslashes=True, at_root=True))
    assert exc.code == "too_big" and "9,000,000 rows" in str(exc)


@pytest.mark.parametrize("real,write,named", [
    ("xlsx", write_xlsx, "export.xls"),  # DMSs that save an xlsx under the old name
    ("xlsb", write_xlsb, "export.xlsx"),
    ("ods", write_ods, "export.xls"),
    ("xlsb", write_xlsb, "export"),
])
def test_a_workbook_is_read_as_what_its_bytes_are_whatever_its_name(tmp_path, real, write, named):
    path = tmp_path / named
    write(tmp_path / f"made.{real}", VISITS).rename(path)
    assert sniff(path).format == real
    result, df = read(path)
    assert result.format == real
    expected_visits(df)


# --- refused, in one line, by the real format ------------------------------------------------


@pytest.mark.parametrize("name", ["报表.xlsx", "报表.xls", "报表.xlsb"])
def test_a_password_protected_xlsx_is_refused_as_protected(tmp_path, name):
    """Excel saves a password-protected .xlsx (or .xlsb) as a compound file whose
    EncryptedPackage stream holds the encrypted package: not an .xls, not damaged."""
    exc = refused(write_encrypted_xlsx(tmp_path / name))
    assert exc.code == "protected"
    assert str(exc).startswith("is a password-protected workbook (an encrypted Office package")
    assert "damaged" not in str(exc) and "xls workbook" not in str(exc)


def test_a_password_protected_xls_and_ods_are_refused_as_protected(tmp_path):
    exc = refused(write_protected_xls(tmp_path / "pw.xls", VISITS))
    assert exc.code == "protected" and str(exc).startswith("is a password-protected xls workbook")
    exc = refused(write_ods(tmp_path / "pw.ods", VISITS, encrypted=True))
    assert exc.code == "protected" and str(exc).startswith("is a password-protected ods workbook")


def test_other_office_files_are_named(tmp_path):
    exc = refused(compound_file(tmp_path / "letter.xls", {"WordDocument": b"\xec\xa5", "1Table": b""}))
    assert str(exc) == "is a Word document (.doc), not a table"
    odt = tmp_path / "letter.ods"
    with zipfile.ZipFile(odt, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        zf.writestr("content.xml", "<office:document-content/>")
    assert str(refused(odt)) == "is an OpenDocument text file, not a spreadsheet"


def _corrupt_member(path, member: str):
    """Overwrite the start of one member's deflate data with bytes that are not deflate."""
    data = bytearray(path.read_bytes())
    at = 0
    while (at := data.find(b"PK\x03\x04", at)) >= 0:
        name_len, extra_len = struct.unpack_from("<HH", data, at + 26)
        if bytes(data[at + 30: at + 30 + name_len]) == member.encode():
            start = at + 30 + name_len + extra_len
            data[start: start + 8] = b"\xff" * 8
        at += 4
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("real,write,member,named", [
    ("xlsb", write_xlsb, "xl/worksheets/sheet1.bin", "damaged.xlsb"),
    ("xlsb", write_xlsb, "xl/worksheets/sheet1.bin", "damaged.xlsx"),  # an xlsb is not "xlsx", whatever its name
    ("ods", write_ods, "content.xml", "damaged.ods"),
    ("ods", write_ods, "content.xml", "damaged.xls"),
])
def test_a_refusal_names_the_format_the_bytes_are(tmp_path, real, write, member, named):
    path = _corrupt_member(write(tmp_path / named, VISITS), member)
    exc = refused(path)
    assert exc.code == "damaged"
    assert f"damaged {real} " in str(exc)
    assert "xlsx" not in str(exc) and "streaming" not in str(exc)


def test_an_xls_whose_reader_panics_is_one_line_naming_the_file(engine, tmp_path):
    """calamine 0.36 panics on a formula's PtgExp token cut short (a Rust panic,
    pyo3_runtime.PanicException): the file is refused in one line that names it,
    and nothing is written."""
    with write_session(engine) as s:
        store_id = add_store(s).id
    path = write_xls_with_truncated_formula(tmp_path / "工单.xls", VISITS)
    result = import_file(engine, path, actor=SYSTEM, store_id=store_id)
    assert result.refused is not None and "\n" not in result.refused
    assert result.refused.startswith(f"{path}: is a damaged xls workbook (its reader failed: PanicException: ")
    assert result.refused_code == "damaged"
    with read_session(engine) as s:
        assert s.execute(select(func.count()).select_from(Visit)).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(Vehicle)).scalar_one() == 0


# --- into the database ---------------------------------------------------------------------


def test_an_ods_and_an_xlsb_go_in_once(engine, tmp_path):
    """A visits export saved by WPS as .ods, then the same export as .xlsb: the second
    adds nothing, and neither does either file again."""
    with write_session(engine) as s:
        store_id = add_store(s).id
    first = import_file(engine, write_ods(tmp_path / "工单.ods", VISITS), actor=SYSTEM, store_id=store_id)
    assert (first.refused, first.format, first.inserted, first.vehicles_created) == (None, "ods", 2, 2)
    for path in (write_xlsb(tmp_path / "工单.xlsb", VISITS), tmp_path / "工单.ods"):
        again = import_file(engine, path, actor=SYSTEM, store_id=store_id)
        assert (again.refused, again.inserted, again.updated, again.unchanged) == (None, 0, 0, 2)
    with read_session(engine) as s:
        got = sorted((v.ro_number, v.mileage, v.total_fen) for v in s.execute(select(Visit)).scalars())
        plates = sorted(v.plate for v in s.execute(select(Vehicle)).scalars())
    assert got == [("RO1", 12000, 120050), ("RO2", 15000, 88050)]
    assert plates == ["粤A12345", "粤B54321"]
