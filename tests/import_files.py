"""DMS export files of every shape, built by the tests themselves.

Each writer takes the rows a DMS would show (header first, title lines above it
if wanted) and saves them as the format under test: a real .xlsx (openpyxl), a
legacy BIFF .xls (xlwt), an HTML table or tab-separated text saved as .xls, CSV
in UTF-8 (with or without BOM), GBK or GB18030.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

VISIT_HEADER = ["工单号", "车牌号", "VIN", "车型", "客户名称", "联系电话", "进厂日期", "结算日期", "维修类型", "行驶里程",
                "工时费", "材料费", "油品金额", "精品金额", "结算金额", "服务顾问"]
VEHICLE_HEADER = ["车牌号码", "VIN码", "车型", "车主姓名", "联系电话", "购车日期", "区域"]
TITLE = ["广州天河东风日产4S店 维修工单明细"]


def visit(ro, plate, vin="", model="轩逸", name="张伟", phone="13812345678", day="2026-09-01", settled="",
          kind="定期保养", km="12000", labour="200", parts="300", oil="400", acc="0", total="900", sa="王伟"):
    return [ro, plate, vin, model, name, phone, day, settled, kind, km, labour, parts, oil, acc, total, sa]


def car(plate, vin, model="轩逸", name="张伟", phone="13812345678", bought="2024-03-08", region="天河"):
    """A row of a vehicles/customers export (车辆档案), under :data:`VEHICLE_HEADER`."""
    return [plate, vin, model, name, phone, bought, region]


def write_xlsx(path: Path, rows: list[list], *, title: list | None = TITLE, merge_title: bool = True,
               sheet: str = "工单") -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    if title:
        ws.append(title)
        if merge_title:
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(2, len(rows[0]) if rows else 2))
        ws.append([])
    for row in rows:
        ws.append([None if v == "" else v for v in row])
    wb.save(path)
    return path


def write_xls(path: Path, rows: list[list], *, title: list | None = TITLE) -> Path:
    """A legacy BIFF8 workbook, as older DMSs still write."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet1")
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    r = 0
    if title:
        sheet.write_merge(0, 0, 0, 5, title[0])
        r = 2
    for row in rows:
        for c, v in enumerate(row):
            if v == "" or v is None:
                continue
            if isinstance(v, (date, datetime)):
                sheet.write(r, c, v, date_style)
            else:
                sheet.write(r, c, v)
        r += 1
    book.save(str(path))
    return path


def html_bytes(rows: list[list], *, title: list | None = TITLE, encoding: str = "utf-8") -> bytes:
    """An "Excel" export that is really a web page, as many DMSs produce."""
    width = len(rows[0]) if rows else 1
    out = io.StringIO()
    charset = {"utf-8": "utf-8", "gbk": "gbk"}.get(encoding, encoding)
    out.write(f'<html xmlns:x="urn:schemas-microsoft-com:office:excel"><head><meta charset="{charset}">'
              "<style>td{mso-number-format:'\\@';}</style></head><body>\n<table border=1>\n")
    if title:
        out.write(f'<tr><td colspan="{width}" align="center"><b>{title[0]}</b></td></tr>\n')
    for i, row in enumerate(rows):
        tag = "th" if i == 0 else "td"
        out.write("<tr>" + "".join(f"<{tag}>{'' if v is None else v}</{tag}>" for v in row) + "</tr>\n")
    out.write("</table></body></html>\n")
    return out.getvalue().encode(encoding)


def delimited_bytes(rows: list[list], *, delimiter: str = ",", encoding: str = "utf-8",
                    title: list | None = TITLE, newline: str = "\r\n") -> bytes:
    """CSV/TSV as Excel writes it; ``newline`` "\\r" is Excel for Mac's "CSV
    (Macintosh)", "\\n" a Unix tool's."""
    out = io.StringIO()
    w = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    if title:
        w.writerow(title)
    for row in rows:
        w.writerow(["" if v is None else v for v in row])
    return out.getvalue().encode(encoding)


def write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
