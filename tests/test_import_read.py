"""Reading DMS exports as they really come, without a database: the format from
the bytes, the header under the title, typed cells, and every bad row's reason."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from importers.headers import find_header, normalize_header, spelling_table
from importers.parse import repair_type_code
from importers.pipeline import read_all
from importers.sniff import NotATable, sniff
from tests.import_files import (
    VISIT_HEADER,
    delimited_bytes,
    html_bytes,
    visit,
    write_bytes,
    write_xls,
    write_xlsx,
)

TODAY = date(2026, 11, 22)
ROWS = [VISIT_HEADER, visit("RO1", "粤A12345", vin="LGBH52E01CY000001"), visit("RO2", "粤B00001", phone="02012345678")]


def read(path, **kw):
    return read_all(path, today=TODAY, **kw)


# --- the format comes from the bytes ------------------------------------------------


@pytest.mark.parametrize(
    "name, build, fmt, encoding",
    [
        ("real.xlsx", lambda p: write_xlsx(p, ROWS), "xlsx", None),
        ("legacy.xls", lambda p: write_xls(p, ROWS), "xls", None),
        ("web.xls", lambda p: write_bytes(p, html_bytes(ROWS)), "html", "utf-8"),
        ("web-gbk.xls", lambda p: write_bytes(p, html_bytes(ROWS, encoding="gbk")), "html", "gbk"),
        ("tabs.xls", lambda p: write_bytes(p, delimited_bytes(ROWS, delimiter="\t", encoding="gbk")), "tsv", "gbk"),
        ("unicode.txt", lambda p: write_bytes(p, delimited_bytes(ROWS, delimiter="\t", encoding="utf-16")), "tsv",
         "utf-16"),
        ("plain.csv", lambda p: write_bytes(p, delimited_bytes(ROWS)), "csv", "utf-8"),
        ("bom.csv", lambda p: write_bytes(p, delimited_bytes(ROWS, encoding="utf-8-sig")), "csv", "utf-8-sig"),
        ("gbk.csv", lambda p: write_bytes(p, delimited_bytes(ROWS, encoding="gbk")), "csv", "gbk"),
        # 䶮 is outside GBK: only GB18030 holds it.
        ("gb18030.csv", lambda p: write_bytes(p, delimited_bytes(
            [VISIT_HEADER, visit("RO1", "粤A12345", vin="LGBH52E01CY000001"), visit("RO2", "粤B00001", phone="02012345678", name="刘䶮")],
            encoding="gb18030")), "csv", "gb18030"),
        ("lies.xlsx", lambda p: write_bytes(p, delimited_bytes(ROWS, encoding="gbk")), "csv", "gbk"),
    ],
)
def test_every_shape_reads_to_the_same_rows(tmp_path, name, build, fmt, encoding):
    path = build(tmp_path / name)
    assert sniff(path).format == fmt
    result, rows = read(path)
    assert (result.format, result.encoding, result.kind) == (fmt, encoding, "visits")
    assert result.rejected == []
    assert rows["ro_number"].to_list() == ["RO1", "RO2"]
    assert rows["plate"].to_list() == ["粤A12345", "粤B00001"]
    assert rows["vin"].to_list() == ["LGBH52E01CY000001", None]
    assert rows["phone"].to_list() == ["13812345678", "02012345678"]  # the leading zero stays
    assert rows["date_in"].to_list() == [date(2026, 9, 1)] * 2
    assert rows["total_fen"].to_list() == [90000, 90000]
    assert rows["repair_type"].to_list() == ["maintenance"] * 2


@pytest.mark.parametrize(
    "data, why",
    [
        (b"", "is empty"),
        (b"   \r\n\r\n", "is empty"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", "is a PDF document"),
        (bytes(range(256)) * 40, "neither a workbook nor text"),
        (b"PK\x03\x04" + b"\x00" * 200, "damaged zip"),
        ("只是一行字".encode(), "single line"),
        ("第一行\n第二行\n第三行\n".encode(), "without columns"),
        ("a,b,c\n1,2,3\n".encode(), "no header row found"),
        (b"<html><body><p>hello</p></body></html>", "without a table"),
    ],
)
def test_what_is_no_table_is_refused_with_the_reason(tmp_path, data, why):
    path = write_bytes(tmp_path / "export.xls", data)
    with pytest.raises(NotATable, match=why):
        read(path)


def test_a_zip_that_is_no_workbook_is_refused(tmp_path):
    import zipfile

    path = tmp_path / "export.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(NotATable, match="zip archive, not a workbook"):
        sniff(path)


def test_a_workbook_without_a_header_row_is_refused(tmp_path):
    path = write_xlsx(tmp_path / "x.xlsx", [["a", "b"], ["1", "2"]])
    with pytest.raises(NotATable, match="no header row found"):
        read(path)


# --- the header row and its spellings --------------------------------------------------


def test_the_sheet_with_the_table_is_found(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "说明"
    wb.active.append(["本表由 DMS 导出，请勿修改"])
    data = wb.create_sheet("工单")
    for row in [VISIT_HEADER, visit("RO1", "粤A12345")]:
        data.append(row)
    wb.save(tmp_path / "two.xlsx")
    result, typed = read(tmp_path / "two.xlsx")
    assert (result.sheet, typed["ro_number"].to_list()) == ("工单", ["RO1"])


def test_header_is_found_under_title_lines_and_merged_cells(tmp_path):
    rows = [["导出时间：2026-11-20", None, "操作员：周建国"], [], VISIT_HEADER, visit("RO1", "粤A12345")]
    result, typed = read(write_xlsx(tmp_path / "t.xlsx", rows))  # plus a merged title above
    assert typed["_row"].to_list() == [6]  # the row number a person sees in Excel
    assert typed["ro_number"].to_list() == ["RO1"]


def test_every_domain_spelling_maps_and_units_and_spaces_do_not_matter():
    table = spelling_table()
    for spelling, field in [("车牌号码", "plate"), ("牌照号码", "plate"), ("底盘号", "vin"), ("VIN码", "vin"),
                            ("车系", "model"), ("车主姓名", "customer"), ("移动电话", "phone"),
                            ("开票日期", "purchase_date"), ("所属区域", "region"), ("保修截止日期", "warranty_end"),
                            ("出生日期", "birthday"), ("委托书号", "ro_number"), ("到店日期", "date_in"),
                            ("出厂日期", "settled_on"), ("业务类型", "repair_type"), ("进厂里程", "mileage"),
                            ("工时费(元)", "labour"), ("配件费", "parts"), ("养护用品金额", "oil"),
                            ("精品金额", "accessories"), ("合计金额", "total"), ("接待员", "sa"),
                            (" 车 牌 号 ", "plate"), ("行驶里程（km）", "mileage"), ("ＶＩＮ", "vin")]:
        assert table[normalize_header(spelling)] == field, spelling


def test_a_store_adds_its_own_spellings():
    rows = [["号牌", "客户", "实收金额", "单据编号", "接车日期"], ["粤A12345", "张伟", "100", "R1", "2026-01-02"]]
    assert find_header(rows, spelling_table()) is None
    header = find_header(rows, spelling_table({"plate": ["号牌"], "total": ["实收金额"], "ro_number": ["单据编号"],
                                               "date_in": "接车日期"}))
    assert header.columns == {"plate": [0], "customer": [1], "total": [2], "ro_number": [3], "date_in": [4]}


def test_group_headings_above_amount_columns(tmp_path):
    rows = [["工单号", "车牌号", "进厂日期", "金额", None, None],
            [None, None, None, "工时费", "材料费", "结算金额"],
            ["RO1", "粤A12345", "2026-09-01", "100", "200", "300"]]
    _, typed = read(write_xlsx(tmp_path / "g.xlsx", rows, title=None))
    assert typed.select("labour_fen", "parts_fen", "total_fen").row(0) == (10000, 20000, 30000)


def test_vehicles_export_is_told_from_visits_by_its_headers(tmp_path):
    rows = [["车牌号", "车架号", "车主", "手机", "购车日期", "生日", "区域"],
            ["粤A12345", "LGBH52E01CY000001", "张伟", "13812345678", "2023-05-06", "1985/3/4", "番禺区"]]
    result, typed = read(write_xlsx(tmp_path / "v.xlsx", rows))
    assert result.kind == "vehicles"
    assert typed.select("purchase_date", "birthday", "region").row(0) == (date(2023, 5, 6), date(1985, 3, 4), "番禺区")
    with pytest.raises(NotATable, match="no RO number column"):
        read(tmp_path / "v.xlsx", kind="visits")


# --- typed cells -----------------------------------------------------------------------


def test_dates_in_every_layout_serials_and_datetimes(tmp_path):
    days = ["2012-05-06", "2012/5/6", "20120506", "2012.05.06", "2012年5月6日", "2012-05-06 13:45:00", 41035,
            41035.25, datetime(2012, 5, 6, 9, 30), date(2012, 5, 6)]
    rows = [VISIT_HEADER] + [visit(f"RO{i}", "粤A12345", day=d) for i, d in enumerate(days)]
    result, typed = read(write_xlsx(tmp_path / "d.xlsx", rows))
    assert result.rejected == []
    assert typed["date_in"].to_list() == [date(2012, 5, 6)] * len(days)
    xls_result, xls_typed = read(write_xls(tmp_path / "d.xls", rows))
    assert xls_typed["date_in"].to_list() == [date(2012, 5, 6)] * len(days)


def test_amounts_with_separators_symbols_and_brackets(tmp_path):
    totals = ["1,234.50", "¥1,234.5", "1234.5元", "１２３４.５", 1234.5, "(1,234.50)", "", " 1 234.50 "]
    rows = [VISIT_HEADER] + [visit(f"RO{i}", "粤A12345", total=t, labour="", parts="", oil="", acc="")
                             for i, t in enumerate(totals)]
    path = write_bytes(tmp_path / "a.csv", delimited_bytes(rows))
    result, typed = read(path)
    assert [r.value for r in result.rejected] == ["１２３４.５"]  # full-width digits are not a number we guess at
    assert typed["total_fen"].to_list() == [123450, 123450, 123450, 123450, -123450, 0, 123450]


def test_phone_id_vin_and_plate_stay_text(tmp_path):
    rows = [["车牌号", "车架号", "车主", "手机", "身份证号"],
            ["粤A·12345", "lgbh52e01cy000001", "张伟", 13812345678, "440101199001011233"],
            ["粤 a12345", "", "张伟", "013812345678", "44010119900101109x"],
            ["粤Ａ１２３４５", "", "张伟", "+86 138-1234-5678", ""],
            ["粤AD12345", "", "李娜", "138 1234 5678", ""]]
    result, typed = read(write_xlsx(tmp_path / "p.xlsx", rows))
    assert result.rejected == []
    assert typed["plate"].to_list() == ["粤A12345", "粤A12345", "粤A12345", "粤AD12345"]
    assert typed["plate_raw"].to_list()[0] == "粤A·12345"
    assert typed["vin"].to_list()[0] == "LGBH52E01CY000001"
    assert typed["phone"].to_list() == ["13812345678", "013812345678", "13812345678", "13812345678"]
    assert typed["id_number"].to_list()[:2] == ["440101199001011233", "44010119900101109X"]


def test_an_id_number_saved_as_a_number_is_caught_by_its_check_digit(tmp_path):
    rows = [["车牌号", "车主", "身份证号"], ["粤A12345", "张伟", 440101199001011233], ["粤A12346", "李娜", "4401011990"]]
    result, typed = read(write_xlsx(tmp_path / "ids.xlsx", rows))
    assert typed.height == 0
    (lost, short) = result.rejected
    assert (lost.field, lost.code) == ("id_number", "id_invalid")
    assert lost.reason.endswith("fails its check digit (was it saved as a number?)")
    assert short.reason == "'**********' is not an ID number (18 characters, or 15 digits)"  # shown masked


def test_repair_types_map_to_codes():
    assert [repair_type_code(t) for t in ["首保", "首次保养", "定期保养", "常规保养", "一般维修", "机修", "索赔", "保修",
                                          "保险维修", "事故车", "钣喷", "钣金喷漆", "精品加装", "救援", "洗车", None]] == [
        "first_maintenance", "first_maintenance", "maintenance", "maintenance", "repair", "repair", "warranty",
        "warranty", "insurance", "insurance", "bodywork", "bodywork", "accessories", "rescue", "other", "other"]
    assert repair_type_code("快修", {"repair": ["快修"]}) == "repair"


def test_blank_and_totals_rows_are_skipped_not_rejected(tmp_path):
    rows = [VISIT_HEADER, visit("RO1", "粤A12345"), [""] * 16, visit("RO2", "粤A12346"),
            ["合计", "", "", "", "", "", "", "", "", "", "400", "600", "800", "0", "1800", ""],
            ["制表人：周建国"]]
    result, typed = read(write_xlsx(tmp_path / "t.xlsx", rows))
    assert typed["ro_number"].to_list() == ["RO1", "RO2"]
    assert result.rejected == []
    assert (result.rows, result.skipped) == (2, 3)


# --- bad rows and their reasons ------------------------------------------------------------


def test_each_bad_row_says_row_field_and_why(tmp_path):
    rows = [VISIT_HEADER,
            visit("RO1", "粤A12345"),
            visit("RO2", "粤A12345", day="2026-02-30"),
            visit("RO3", "", day="2026-03-01"),
            visit("RO4", "粤A1234"),
            visit("RO5", "粤A12345", labour="二百"),
            visit("RO6", "粤A12345", day="2027-01-01"),
            visit("RO7", "粤A12345", vin="LGBH52E01CY00000"),
            visit("", "粤A12345"),
            visit("RO9", "粤A12345", day="", settled=""),
            visit("RO10", "粤A12345", phone="1.38123E+10"),
            visit("RO11", "粤A12345", km="一万"),
            visit("RO12", "XX12345", total="abc")]
    result, typed = read(write_bytes(tmp_path / "bad.csv", delimited_bytes(rows, encoding="gbk")))
    assert typed["ro_number"].to_list() == ["RO1"]
    got = [(r.row, r.field, r.column, r.reason) for r in result.rejected]
    assert got == [
        (4, "date_in", "进厂日期", "'2026-02-30' is not a date"),
        (5, "plate", "车牌号", "the plate is missing"),
        (6, "plate", "车牌号", "'粤A1234': 6 characters, a plate has 7 (or 8 for new energy and 应急)"),
        (7, "labour", "工时费", "'二百' is not an amount"),
        (8, "date_in", "进厂日期", "'2027-01-01' is after today (2026-11-22)"),
        (9, "vin", "VIN", "'LGBH52E01CY00000' is not a VIN (17 letters and digits, no I, O or Q)"),
        (10, "ro_number", "工单号", "the RO number is missing"),
        (11, "date_in", "进厂日期", "the date in is missing"),
        (12, "phone", "联系电话", "'1.38123E+10' lost its digits: the phone was saved as a number in scientific notation"),
        (13, "mileage", "行驶里程", "'一万' is not a mileage in km"),
        (14, "plate", "车牌号", "'XX12345': does not start with a province character (nor is it an army, armed police, embassy or civil aviation plate)"),
        (14, "total", "结算金额", "'abc' is not an amount"),
    ]
    assert result.rows == 12 and result.rejected_rows == 11


def test_the_importers_never_pull_in_the_screen_library():
    import subprocess
    import sys

    code = ("import sys, importers.pipeline, importers.rejects, store.ingest; "
            "assert 'textual' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


# --- xlsx streamed row by row -------------------------------------------------------


def test_an_xlsx_sheet_is_streamed_with_the_same_cell_text_the_whole_sheet_reader_gives(tmp_path):
    import fastexcel
    import openpyxl
    import polars as pl

    from importers.readers import StreamedSheet, open_sources

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["导出时间 2026-11-22"])
    ws.append([])  # a blank row under the title: row numbers must still match the sheet
    cells = ["粤A12345", 1, 2.5, 13812345678, "440106199001011234", datetime(2012, 5, 6),
             datetime(2012, 5, 6, 13, 45, 10), 41035, "1,234.50", True, 0.125, 1e20, -3.0, None, 1234567.891]
    for _ in range(3):
        ws.append(cells)
    ws.append(["粤B1", "2012/5/6", 7, None])  # the same columns of another kind: cell by cell
    path = tmp_path / "cells.xlsx"
    wb.save(path)

    (sheet,) = open_sources(path, sniff(path))
    assert isinstance(sheet, StreamedSheet) and sheet.total_rows == 6
    whole = pl.DataFrame(fastexcel.read_excel(path).load_sheet(0, header_row=None, skip_rows=0, dtypes="string"))
    expected = [list(r) + [None] * (len(cells) - len(r)) for r in whole.rows()]
    assert sheet.probe() == expected
    streamed = pl.concat(list(sheet.batches(2, len(cells), 2)))  # batches of 2 below the two top rows
    assert streamed["_row"].to_list() == [3, 4, 5, 6]
    assert [list(r) for r in streamed.drop("_row").rows()] == expected[2:]
    assert sheet.fraction() == 1.0
