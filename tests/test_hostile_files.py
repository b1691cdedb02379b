"""Whatever the bytes, a file ends in rows imported or in one line naming it, its
real format and what is wrong. One fixture per kind of file that broke a reader,
each built here; a bounded fuzz over sniff and the readers; and the memory bombs,
each read in a child process held to a memory bound."""

from __future__ import annotations

import codecs
import csv
import io
import json
import struct
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from importers.pipeline import read_all
from importers.sniff import NotATable
from tests.import_files import VISIT_HEADER, visit, write_ods, write_xls, write_xlsb, write_xlsx

TODAY = date(2026, 11, 1)
ROOT = Path(__file__).resolve().parent.parent


def refused(path: Path) -> NotATable:
    with pytest.raises(NotATable) as caught:
        read_all(path, today=TODAY)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    return caught.value


def rows(path: Path):
    result, df = read_all(path, today=TODAY)
    return result, df


def csv_bytes(rows_, encoding="utf-8", newline="\n") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator=newline).writerows(rows_)
    return buf.getvalue().encode(encoding)


VISITS = [VISIT_HEADER, visit("RO1", "粤A12345"), visit("RO2", "粤B54321", name="李四")]


# --- one fixture per kind ------------------------------------------------------------


def test_utf16_with_a_broken_surrogate_pair_is_a_damaged_file(tmp_path):
    data = bytearray(codecs.BOM_UTF16_LE + "\t".join(VISIT_HEADER).encode("utf-16-le") + "\n".encode("utf-16-le"))
    data += "\t".join(visit("RO1", "粤A12345")).encode("utf-16-le")
    data += b"\x3d\xd8" + "x\n".encode("utf-16-le")  # a high surrogate followed by no low one
    path = tmp_path / "unicode.txt"
    path.write_bytes(bytes(data))
    exc = refused(path)
    assert exc.code == "damaged" and "UTF-16" in str(exc)


def test_cr_only_line_endings_are_read_as_lines(tmp_path):
    path = tmp_path / "mac.csv"
    path.write_bytes(csv_bytes(VISITS, newline="\r"))
    result, df = rows(path)
    assert df.height == 2 and result.format == "csv"


def test_a_stray_nul_byte_is_dirt_not_a_reason_to_refuse(tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes(csv_bytes([VISIT_HEADER, visit("RO1", "粤A12345", name="张\x00伟"), visit("RO2", "粤B54321")]))
    _, df = rows(path)
    assert df["customer"].to_list() == ["张伟", "张伟"]


def test_control_characters_in_cells_are_removed_on_the_way_in(tmp_path):
    path = tmp_path / "ctl.csv"
    path.write_bytes(csv_bytes([VISIT_HEADER, visit("RO1", "粤A12345", name="王\x1b[31m五\u202e\u200b\x07", sa="赵\t六")]))
    _, df = rows(path)
    assert df["customer"].to_list() == ["王[31m五"]
    assert df["sa"].to_list() == ["赵 六"]


def test_a_zip_whose_file_name_is_not_text_is_damaged(tmp_path):
    path = write_xlsx(tmp_path / "ok.xlsx", VISITS)
    data = bytearray(path.read_bytes())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        with zipfile.ZipFile(path) as src:
            for info in src.infolist():
                zf.writestr(info.filename, src.read(info.filename))
        zf.writestr("xl/名字.xml", "<x/>")  # a UTF-8 name: the flag says so
    data = buf.getvalue().replace("名字".encode(), b"\xff\xfe\xfd\xfc\xfb\xfa")
    bad = tmp_path / "name.xlsx"
    bad.write_bytes(data)
    exc = refused(bad)
    assert exc.code == "damaged" and "xlsx" in str(exc)


def _stored_then_patched(tmp_path, patch) -> Path:
    path = write_xlsx(tmp_path / "ok.xlsx", VISITS)
    data = bytearray(path.read_bytes())
    patch(data)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(bytes(data))
    return bad


def _local_headers(data: bytes):
    at = 0
    while (at := data.find(b"PK\x03\x04", at)) >= 0:
        yield at
        at += 4


def test_bad_deflate_data_is_damaged(tmp_path):
    def patch(data):
        for at in _local_headers(bytes(data)):
            name_len, extra_len = struct.unpack_from("<HH", data, at + 26)
            name = bytes(data[at + 30: at + 30 + name_len])
            if name.startswith((b"xl/workbook.xml", b"xl/worksheets/sheet1")):
                start = at + 30 + name_len + extra_len
                data[start: start + 8] = b"\xff" * 8  # not a deflate stream
    exc = refused(_stored_then_patched(tmp_path, patch))
    assert exc.code == "damaged"


def test_an_unknown_compression_method_is_damaged(tmp_path):
    def patch(data):
        raw = bytes(data)
        for at in _local_headers(raw):
            struct.pack_into("<H", data, at + 8, 99)  # method 99 (AES): not something we read
        at = 0
        while (at := raw.find(b"PK\x01\x02", at)) >= 0:
            struct.pack_into("<H", data, at + 10, 99)
            at += 4
    exc = refused(_stored_then_patched(tmp_path, patch))
    assert exc.code == "damaged"


def test_a_mutated_xls_that_makes_its_reader_fail_is_one_line(tmp_path):
    path = write_xls(tmp_path / "ok.xls", VISITS)
    data = bytearray(path.read_bytes())
    at = data.find(struct.pack("<HH", 0x0200, 14))  # DIMENSIONS
    struct.pack_into("<IIHH", data, at + 4, 0, 0x7FFFFFFF, 0, 0xFFFF)
    bad = tmp_path / "bad.xls"
    bad.write_bytes(bytes(data))
    exc = refused(bad)
    assert exc.code in ("damaged", "too_big") and "xls" in str(exc)


def test_reader_panics_are_caught_by_name():
    """pyo3_runtime.PanicException derives from BaseException: the readers know it by name."""
    from importers.pipeline import reading

    class PanicException(BaseException):
        pass

    with pytest.raises(NotATable, match="is a damaged xls file"):
        with reading("xls"):
            raise PanicException("called `Option::unwrap()` on a `None` value")
    with pytest.raises(KeyboardInterrupt):
        with reading("xls"):
            raise KeyboardInterrupt


# --- the fuzz ---------------------------------------------------------------------------


def _seeds(tmp: Path) -> dict[str, bytes]:
    return {
        "xlsx": write_xlsx(tmp / "s.xlsx", VISITS).read_bytes(),
        "xls": write_xls(tmp / "s.xls", VISITS).read_bytes(),
        "xlsb": write_xlsb(tmp / "s.xlsb", VISITS).read_bytes(),
        "ods": write_ods(tmp / "s.ods", VISITS).read_bytes(),
        "csv": csv_bytes(VISITS),
        "mac": csv_bytes(VISITS, "gbk", newline="\r"),
        "gbk": csv_bytes(VISITS, "gbk"),
        "utf16": codecs.BOM_UTF16_LE + "\n".join("\t".join(r) for r in VISITS).encode("utf-16-le"),
        "html": ("<table>" + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in VISITS)
                 + "</table>").encode(),
    }


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    return _seeds(tmp_path_factory.mktemp("seeds"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(kind=st.sampled_from(["xlsx", "xls", "xlsb", "ods", "csv", "gbk", "mac", "utf16", "html"]),
       edits=st.lists(st.tuples(st.floats(0, 1), st.binary(min_size=1, max_size=8)), min_size=1, max_size=6),
       cut=st.one_of(st.none(), st.floats(0, 1)))
def test_any_bytes_end_in_rows_or_one_refusal(seeds, tmp_path, kind, edits, cut):
    data = bytearray(seeds[kind])
    for where, chunk in edits:
        at = int(where * (len(data) - 1))
        data[at: at + len(chunk)] = chunk
    if cut is not None:
        data = data[: max(1, int(cut * len(data)))]
    path = tmp_path / f"fuzz.{kind}"
    path.write_bytes(bytes(data))
    try:
        read_all(path, today=TODAY)
    except NotATable as exc:
        assert "\n" not in str(exc)


# --- memory bombs ----------------------------------------------------------------------

BOMB_MEMORY = 1536 << 20  # the whole import (Python, polars, the readers) under 1.5 GiB


def _minimal_xlsx(path: Path, sheet: str, shared: list[str] | None = None) -> Path:
    ct = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
          '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
          '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
          "</Types>")
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    wb = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
          'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
          '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
    wbrels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
              '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
              '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
              "</Relationships>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", ct)
        zf.writestr("_rels/.rels", rels)
        zf.writestr("xl/workbook.xml", wb)
        zf.writestr("xl/_rels/workbook.xml.rels", wbrels)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
        if shared is not None:
            zf.writestr("xl/sharedStrings.xml",
                        '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                        f'count="{len(shared)}" uniqueCount="{len(shared)}">'
                        + "".join(f"<si><t>{s}</t></si>" for s in shared) + "</sst>")
    return path


def _sheet(dimension: str, rows_xml: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<dimension ref="{dimension}"/><sheetData>{rows_xml}</sheetData></worksheet>')


def _inline_row(r: int, values: list[str]) -> str:
    return f'<row r="{r}">' + "".join(f'<c r="{chr(65 + i)}{r}" t="inlineStr"><is><t>{v}</t></is></c>'
                                      for i, v in enumerate(values)) + "</row>"


HEAD = ["车牌号", "VIN", "客户名称"]

CHILD = r"""
import json, resource, sys
limit = int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from store.access import SYSTEM
from store.db import open_engine, read_session
from importers.pipeline import import_file
engine = open_engine(sys.argv[2])
result = import_file(engine, sys.argv[1], actor=SYSTEM, store_id=None)
from sqlalchemy import text
with engine.connect() as c:
    written = c.execute(text("select count(*) from vehicle")).scalar()
print(json.dumps({"refused": result.refused, "code": result.refused_code, "rows": result.rows, "written": written,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))
"""


def _import_bounded(path: Path, tmp_path: Path) -> dict:
    url = f"sqlite:///{tmp_path / 'bomb.sqlite'}"
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), url, str(BOMB_MEMORY)], capture_output=True,
                          text=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
                                                    "HOME": str(tmp_path), "DEALERDESK_KEY_FILE": str(tmp_path / "k")},
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert "MemoryError" not in done.stderr
    return out


def test_bounded_first_a_small_file_goes_in_under_the_bound(tmp_path):
    path = _minimal_xlsx(tmp_path / "ok.xlsx", _sheet("A1:C2", _inline_row(1, HEAD) + _inline_row(2, ["粤A12345", "", "张三"])))
    out = _import_bounded(path, tmp_path)
    assert out["refused"] is None and out["written"] == 1


def test_a_sheet_claiming_every_cell_is_refused_in_one_line(tmp_path):
    path = _minimal_xlsx(tmp_path / "dim.xlsx",
                         _sheet("A1:XFD1048576", _inline_row(1, HEAD) + _inline_row(2, ["粤A12345", "", "张三"])))
    assert path.stat().st_size < 4096
    out = _import_bounded(path, tmp_path)
    assert out["code"] == "too_big" and "1,048,576 rows × 16,384 columns" in out["refused"]
    assert out["written"] == 0


def test_one_huge_shared_string_is_refused_in_one_line(tmp_path):
    rows_xml = _inline_row(1, HEAD) + '<row r="2"><c r="A2" t="inlineStr"><is><t>粤A12345</t></is></c><c r="C2" t="s"><v>0</v></c></row>'
    path = _minimal_xlsx(tmp_path / "sst.xlsx", _sheet("A1:C2", rows_xml), shared=["A" * 400_000_000])
    assert path.stat().st_size < 1_000_000
    out = _import_bounded(path, tmp_path)
    assert out["code"] == "too_big" and out["written"] == 0 and "\n" not in out["refused"]


def test_a_long_shared_string_that_packs_like_text_is_refused_by_its_length(tmp_path):
    import random

    rnd = random.Random(1)
    text = "".join(rnd.choice("张王李赵刘陈杨黄周吴") for _ in range(70_000))  # twice a cell's 32,767 characters, packs poorly
    rows_xml = _inline_row(1, HEAD) + '<row r="2"><c r="A2" t="inlineStr"><is><t>粤A12345</t></is></c><c r="C2" t="s"><v>0</v></c></row>'
    path = _minimal_xlsx(tmp_path / "long.xlsx", _sheet("A1:C2", rows_xml), shared=[text])
    exc = refused(path)
    assert exc.code == "too_big" and "32,767" in str(exc)


def test_a_mutated_xls_claiming_billions_of_rows_is_refused_not_fatal(tmp_path):
    path = write_xls(tmp_path / "ok.xls", VISITS)
    data = bytearray(path.read_bytes())
    at = data.find(struct.pack("<HH", 0x0200, 14))
    struct.pack_into("<IIHH", data, at + 4, 0, 0x7FFFFFFF, 0, 0xFFFF)
    bad = tmp_path / "bomb.xls"
    bad.write_bytes(bytes(data))
    assert bad.stat().st_size < 30_000
    out = _import_bounded(bad, tmp_path)
    assert out["refused"] and "xls" in out["refused"] and out["written"] == 0
