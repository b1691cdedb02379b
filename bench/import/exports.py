"""A DMS visits export (维修结算单明细) of any size, as xlsx and as CSV, made once and cached.

The files look like what a dealer's DMS writes: a merged title line and an export
line above the header, dates as real date cells (xlsx) or text (CSV), amounts as
numbers (xlsx) or text with thousands separators (CSV), phones as text, a 合计
row at the bottom. About 8 visits per vehicle over three years.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

HEADERS = ["结算单号", "车牌号码", "VIN码", "车型名称", "客户名称", "联系电话", "进厂日期", "结算日期", "维修类型",
           "行驶里程", "工时费", "配件费", "油品金额", "精品金额", "结算金额", "服务顾问"]
TYPES = [("首保", 4), ("定期保养", 55), ("一般维修", 20), ("保险维修", 6), ("钣喷", 6), ("索赔", 4), ("精品加装", 4),
         ("救援", 1)]
MODELS = ["轩逸", "天籁", "奇骏", "逍客", "楼兰", "蓝鸟", "骐达", "艾睿雅"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英",
         "志强", "建华", "晓明", "海燕", "文", "斌", "宇", "浩"]
SAS = ["王伟", "李娜", "张敏", "刘洋", "陈静"]
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # plates skip I and O
VIN_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"  # VINs skip I, O and Q


def rows(n: int, *, seed: int = 3, vehicles: int | None = None) -> Iterator[tuple]:
    """``n`` visit rows: (ro, plate, vin, model, name, phone, date_in, settled_on,
    type, km, labour, parts, oil, accessories, total) with amounts in yuan (float),
    over ``vehicles`` cars (default n / 8)."""
    rng = random.Random(seed)
    vehicles = vehicles or max(1, n // 8)
    start = date(2023, 11, 1)
    weights = [w for _, w in TYPES]
    names = [t for t, _ in TYPES]
    for i in range(n):
        v = rng.randrange(vehicles)
        vr = random.Random(v)  # the vehicle's own attributes, the same on every visit
        plate = "粤" + vr.choice("AAAABCDEFGHJ") + vr.choice(LETTERS + "0123456789") + f"{vr.randrange(10000):04d}"
        vin = f"LGB{vr.choice(VIN_LETTERS)}{vr.randrange(10**4):04d}{v:09d}"[:17] if vr.random() < 0.9 else ""
        day = start + timedelta(days=rng.randrange(1080))
        kind = rng.choices(names, weights)[0]
        labour = rng.randrange(0, 1200)
        parts = rng.randrange(0, 3000) if kind != "定期保养" else rng.randrange(100, 600)
        oil = rng.randrange(150, 600) if "保养" in kind or kind == "首保" else 0
        acc = rng.randrange(0, 2000) if kind == "精品加装" else 0
        yield (
            f"RO{day:%Y%m%d}{i:07d}",
            plate,
            vin,
            vr.choice(MODELS),
            vr.choice(SURNAMES) + vr.choice(GIVEN),
            f"1{vr.choice('3589')}{vr.randrange(10**9):09d}",
            day,
            day + timedelta(days=rng.choice((0, 0, 0, 1, 2))),
            kind,
            10000 + v % 90000 + (day - start).days * 40,
            float(labour), float(parts), float(oil), float(acc), float(labour + parts + oil + acc),
            SAS[v % len(SAS)],
        )


def write_xlsx(path: Path, n: int) -> Path:
    """With openpyxl's streaming writer, the way most DMS exports are produced."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.worksheet.cell_range import CellRange

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("结算单明细")
    ws.merged_cells.add(CellRange("A1:P1"))  # a merged title, as DMS exports carry
    ws.append(["广州天河东风日产4S店 维修结算单明细"])
    ws.append(["导出时间：2026-11-20 09:12", None, None, "操作员：周建国"])
    ws.append(HEADERS)
    date_cells = {6, 7}
    for row in rows(n):
        out = []
        for j, value in enumerate(row):
            if j in date_cells:
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = "yyyy-mm-dd"
                out.append(cell)
            else:
                out.append(value if value != "" else None)
        ws.append(out)
    ws.append(["合计"] + [None] * 9 + [None] * 4 + [None, None])
    tmp = path.with_suffix(".tmp.xlsx")
    wb.save(tmp)
    tmp.rename(path)
    return path


def write_csv(path: Path, n: int, *, encoding: str = "utf-8-sig", vehicles: int | None = None,
              skip: int = 0) -> Path:
    """``n`` rows as CSV; ``skip``: leave out the first rows (see :func:`cached_week`)."""
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["广州天河东风日产4S店 维修结算单明细"])
        w.writerow(HEADERS)
        for i, r in enumerate(rows(n, vehicles=vehicles)):
            if i < skip:
                continue
            w.writerow([*r[:6], r[6].isoformat(), f"{r[7]:%Y/%m/%d}", r[8], r[9],
                        *(f"{x:,.2f}" for x in r[10:15]), r[15]])
        w.writerow(["合计"] + [""] * 15)
    tmp.rename(path)
    return path


def cached(cache: Path, kind: str, n: int, *, vehicles: int | None = None) -> Path:
    """The export of ``n`` rows as ``kind`` (xlsx | csv | gbk.csv), made on first use."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / (f"visits-{n}.{kind}" if vehicles is None else f"visits-{n}-{vehicles}cars.{kind}")
    if path.exists():
        return path
    if kind == "xlsx":
        if vehicles is not None:
            raise ValueError("xlsx exports have n / 8 cars")
        return write_xlsx(path, n)
    if kind == "gbk.csv":
        return write_csv(path, n, encoding="gbk", vehicles=vehicles)
    return write_csv(path, n, vehicles=vehicles)


def cached_week(cache: Path, n: int, *, known: float = 0.9) -> Path:
    """The next week's export after :func:`cached` ``(cache, "csv", n)``: ``n`` rows of
    which ``known`` are that file's last rows, unchanged (the same ROs, cars and
    amounts; rows() is the same sequence however many rows are drawn), and the rest
    are new ROs after them, over the same cars."""
    cache.mkdir(parents=True, exist_ok=True)
    new = n - int(n * known)
    path = cache / f"visits-{n}-week-{new}new.csv"
    if not path.exists():
        write_csv(path, n + new, vehicles=max(1, n // 8), skip=new)
    return path
