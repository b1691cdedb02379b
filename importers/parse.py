"""Text cells to typed, validated rows, a batch at a time, vectorized in polars.

Dates: 2012-05-06, 2012/5/6, 2012.5.6, 2012年5月6日, 20120506, with or without a
time; an Excel serial number in a date column (41035 is 2012-05-06). Amounts:
text with thousands separators, ¥ and 元, accounting brackets for negatives; kept
as integer fen. Plates are normalized by :func:`store.plates.parse_plate` (one
rule for the whole project); VINs are 17 letters and digits without I, O, Q.

A bad cell rejects its row with a reason; every bad cell of the row is reported,
so one fix of the file mends them all.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import polars as pl

from importers.headers import TOTAL_WORDS, Header, normalize_header
from store.plates import InvalidPlate, parse_plate
from store.privacy import mask_id_number
from store.validation import CONTROL_PATTERN, SPACE_PATTERN

# field -> the longest text its column holds (the tables' max_length)
MAX_LEN = {"ro_number": 40, "model": 64, "customer": 100, "phone": 32, "region": 50, "sa": 50,
           "repair_type": 40, "colour": 32, "address": 255, "gender": 8}
DATE_FIELDS = ("date_in", "settled_on", "purchase_date", "warranty_end", "birthday", "insurance_expiry",
               "inspection_due")
PAST_DATES = {"date_in", "settled_on", "purchase_date", "birthday"}  # cannot be after today
AMOUNT_FIELDS = ("labour", "parts", "oil", "accessories", "total")
# Shown masked in a reject (its value and its reason), on screen, in JSON and in the
# rejects workbook: an ID number that fails its check is still someone's ID number.
MASKED_FIELDS = ("id_number",)
TEXT_FIELDS = ("ro_number", "model", "customer", "region", "sa", "colour", "address", "gender")
MAX_FEN = 10**12  # ten billion yuan: anything above is a mangled cell, not a bill

# Repair types: first match wins, so 首保 comes before 保养 and 保险维修 before 维修.
REPAIR_TYPES: list[tuple[str, tuple[str, ...]]] = [
    ("first_maintenance", ("首保", "首次保养", "首次维护", "first_maintenance")),
    ("warranty", ("索赔", "保修", "三包", "质保", "warranty")),
    ("insurance", ("保险", "事故", "理赔", "insurance")),
    ("bodywork", ("钣喷", "钣金", "板喷", "喷漆", "bodywork")),
    ("accessories", ("精品", "加装", "装潢", "装饰", "accessories")),
    ("rescue", ("救援", "拖车", "rescue")),
    ("maintenance", ("保养", "定保", "维护", "maintenance")),
    ("repair", ("维修", "机修", "修理", "小修", "大修", "返修", "故障", "repair")),
]

# An RO's status cell that means it was cancelled: 作废 void, 取消/已取消 cancelled,
# 撤销 revoked (as a word inside the cell too: 已作废, 工单撤销), or the English.
CANCELLED_WORDS = ("作废", "取消", "撤销")
CANCELLED_ENGLISH = ("cancelled", "canceled", "void", "voided")

_DATE_SEP = (r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
             r"(?:[ T]+\d{1,2}[:：]\d{2}(?:[:：]\d{2}(?:\.\d+)?)?)?$")
_EXCEL_EPOCH = date(1899, 12, 30)
_VIN = r"^[A-HJ-NPR-Z0-9]{17}$"
_SCIENTIFIC = r"^[0-9]+(\.[0-9]+)?[eE][+]?[0-9]+$"


@dataclass(frozen=True)
class Reject:
    row: int
    field: str
    column: str | None
    value: str | None
    reason: str
    code: str

    def as_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "column": self.column, "value": self.value,
                "reason": self.reason, "code": self.code}


def repair_type_code(text: str | None, extra: Mapping[str, Sequence[str]] | None = None) -> str:
    """The code for a DMS's repair type text (a store's own words first)."""
    if not text:
        return "other"
    key = normalize_header(text)
    for code, words in (extra or {}).items():
        if key in {normalize_header(w) for w in ([words] if isinstance(words, str) else words)}:
            return code
    for code, words in REPAIR_TYPES:
        if any(w in key for w in words):
            return code
    return "other"


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number_problem(text: str) -> str | None:
    """Why this is no resident ID number 身份证号 (18 characters with a GB 11643
    check digit, or the old 15 digits), or None. A check digit that fails is how
    an ID saved as a number (its last digits lost to a float) shows."""
    if len(text) == 15 and text.isdigit():
        return None
    if len(text) != 18 or not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        return "is not an ID number (18 characters, or 15 digits)"
    check = "10X98765432"[sum(int(c) * w for c, w in zip(text, _ID_WEIGHTS)) % 11]
    if text[17] != check:
        return "fails its check digit (was it saved as a number?)"
    return None


@lru_cache(maxsize=1 << 18)
def _plate(text: str) -> tuple[str | None, str | None]:
    """(normalized plate, or why not); cached, since a car's plate is on every batch."""
    try:
        return parse_plate(text), None
    except InvalidPlate as exc:
        return None, str(exc)


def _clean(expr: pl.Expr) -> pl.Expr:
    """Trimmed (incl. full-width and non-breaking spaces), empty as null."""
    return expr.str.strip_chars().replace("", None)


def _date(c: pl.Expr) -> pl.Expr:
    sep = c.str.extract_groups(_DATE_SEP)
    parts = pl.concat_str(
        [sep.struct.field("1"), sep.struct.field("2").str.zfill(2), sep.struct.field("3").str.zfill(2)],
        separator="-",
    )
    compact = pl.when(c.str.contains(r"^\d{8}$")).then(
        pl.concat_str([c.str.slice(0, 4), c.str.slice(4, 2), c.str.slice(6, 2)], separator="-")
    )
    as_text = pl.coalesce(parts, compact).str.to_date("%Y-%m-%d", strict=False)
    serial_text = c.str.contains(r"^\d{1,6}(\.\d+)?$") & ~c.str.contains(r"^\d{8}$")
    days = c.cast(pl.Float64, strict=False).floor().cast(pl.Int64, strict=False)
    serial = pl.when(serial_text & days.is_between(1, 2_958_465)).then(pl.lit(_EXCEL_EPOCH) + pl.duration(days=days))
    parsed = pl.coalesce(as_text, serial)
    return pl.when(parsed.dt.year().is_between(1900, 2100)).then(parsed)


def _amount_text(c: pl.Expr) -> pl.Expr:
    s = c.str.replace_all(r"[,，\s¥￥元]", "")
    return pl.when(s.str.contains(r"^\(.*\)$")).then(pl.lit("-") + s.str.strip_chars("()")).otherwise(s)


def _fen(c: pl.Expr) -> pl.Expr:
    s = _amount_text(c)
    ok = s.str.contains(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
    return pl.when(ok).then((s.cast(pl.Float64, strict=False) * 100).round(0))


def _km(c: pl.Expr) -> pl.Expr:
    s = c.str.replace_all(r"(?i)[,，\s]|km|公里|千米", "")
    ok = s.str.contains(r"^\d+(\.\d*)?$")
    return pl.when(ok).then(s.cast(pl.Float64, strict=False).round(0))


def _phone(c: pl.Expr) -> pl.Expr:
    s = c.str.replace_all(r"[\s\-()（）]", "")
    first = s.str.extract(r"(\+?\d{5,20})", 1)
    first = first.str.replace(r"^(\+86|0086|86)(1\d{10})$", "$2")
    return first


def _vin(c: pl.Expr) -> pl.Expr:
    # NFKC folding is done on the unique values in Python (polars has no NFKC).
    return c.str.to_uppercase().str.replace_all(r"[\s\-·._/]", "")


def _nfkc(series: pl.Series) -> pl.Series:
    uniques = series.drop_nulls().unique()
    changed = {v: unicodedata.normalize("NFKC", v) for v in uniques.to_list() if not v.isascii()}
    if not changed:
        return series
    return series.replace(changed)


def _cascade(s: pl.Series, *steps: Callable[[pl.Expr], pl.Expr]) -> pl.Series:
    """Each step on the cells the steps before it left null, cheapest first.

    Clean exports parse in the first step (one native cast); the regexes run only
    on the odd cells, so a million rows cost what their oddities cost."""
    frame = s.to_frame("v")
    out = frame.select(steps[0](pl.col("v")).alias("v"))["v"]
    for step in steps[1:]:
        need = out.is_null() & s.is_not_null()
        if not need.any():
            break
        idx = need.arg_true()
        fixed = frame[idx].select(step(pl.col("v")).cast(out.dtype).alias("v"))["v"]
        out = out.scatter(idx, fixed)
    return out


def _iso_date(v: pl.Expr, sep: str = "-") -> pl.Expr:
    """yyyy-mm-dd, alone or before a time (how workbooks' date cells read as text)."""
    head = pl.when(v.str.len_bytes() == 10).then(v).when(v.str.slice(10, 1).is_in([" ", "T"])).then(v.str.slice(0, 10))
    return head.str.to_date(f"%Y{sep}%m{sep}%d", strict=False)


def _dates(s: pl.Series) -> pl.Series:
    return _cascade(s, _iso_date, lambda v: _iso_date(v, "/"), _date)


def _amounts(s: pl.Series) -> pl.Series:
    def plain(v: pl.Expr) -> pl.Expr:
        return (v.cast(pl.Float64, strict=False) * 100).round(0)

    return _cascade(s, plain, lambda v: plain(v.str.replace_all(",", "", literal=True)), _fen)


def _phones(s: pl.Series) -> pl.Series:
    return _cascade(s, lambda v: pl.when(v.str.contains(r"^1\d{10}$")).then(v), _phone)


def _vins(s: pl.Series) -> pl.Series:
    return _cascade(s, lambda v: pl.when(v.str.contains(_VIN)).then(v), _vin)


def _kms(s: pl.Series) -> pl.Series:
    return _cascade(s, lambda v: v.cast(pl.Float64, strict=False).round(0), _km)


def _without_controls(text: pl.DataFrame) -> pl.DataFrame:
    """Text kept as the file had it passes the one rule (store.validation): a tab or
    line break becomes a space, other control characters go. One cheap scan per
    column; the replacing runs on the few cells that have any."""
    for name in (*TEXT_FIELDS, "repair_type"):
        col = text[name]
        hit = col.str.contains(CONTROL_PATTERN).fill_null(False)
        if not hit.any():
            continue
        idx = hit.arg_true()
        fixed = text[idx].select(_clean(pl.col(name).str.replace_all(SPACE_PATTERN, " ")
                                        .str.replace_all(CONTROL_PATTERN, "")).alias(name))[name]
        text = text.with_columns(col.scatter(idx, fixed))
    return text


def _skippable(raw: pl.DataFrame, header: Header) -> pl.Series:
    """Blank rows, totals (合计) rows and one-cell notes ("制表人：..." under the
    table). Only rows without a plate and VIN can be one (or whose plate reads
    合计), so the check runs on those few."""
    keys = [f"c{i}" for k in ("plate", "vin") for i in header.columns.get(k, [])]
    words = list(TOTAL_WORDS)
    if keys:
        blank_key = pl.all_horizontal(*(_clean(pl.col(c)).is_null() for c in keys))
        total_key = pl.any_horizontal(*(pl.col(c).str.contains(r"计|[Tt][Oo][Tt][Aa][Ll]|[Ss][Uu][Mm]")
                                        for c in keys)).fill_null(False)
        suspects = raw.filter(blank_key | total_key)
    else:
        suspects = raw
    cols = [c for c in raw.columns if c != "_row"]
    if suspects.is_empty() or not cols:
        return pl.Series("_row", [], pl.Int64)
    plate_vin = [f"c{i}" for k in ("plate", "vin") for i in header.columns.get(k, [])]
    filled = pl.sum_horizontal(*(_clean(pl.col(c)).is_not_null().cast(pl.Int32) for c in cols))
    totals = pl.any_horizontal(
        *(pl.col(c).str.replace_all(r"[\s:：]", "").str.to_lowercase().is_in(words) for c in cols)
    ).fill_null(False)
    key_filled = (pl.any_horizontal(*(_clean(pl.col(c)).is_not_null() for c in plate_vin)) if plate_vin
                  else pl.lit(False))
    skip = totals | (filled == 0) | ((filled == 1) & ~key_filled)
    return suspects.filter(skip)["_row"]


# A visit row's fingerprint is taken from its cells as read (cleaned text, before any
# typing), so a re-import finds its known rows before the costly part of reading them.
# The same cells give the same typed row as long as the reading of a cell is the same:
# bump this when it changes (every known row is then compared field by field once,
# and takes the new fingerprint). The store's repair-type spellings are in the seed.
FINGERPRINT_VERSION = 1


def fingerprints(text: pl.DataFrame, repair_types: Mapping[str, Sequence[str]] | None = None) -> pl.Series:
    """Each row's fingerprint (``row_hash``, a signed 64-bit integer, the column type of
    ``visit.row_hash``) from the cleaned text of its fields. polars' hash is stable
    within its version; after an upgrade that changes it rows look changed once."""
    basis = json.dumps([FINGERPRINT_VERSION, repair_types or {}], sort_keys=True, ensure_ascii=False)
    seed = int.from_bytes(hashlib.blake2b(basis.encode(), digest_size=8).digest(), "little")
    return text.select(pl.struct(list(_SOURCE_FIELDS)).hash(seed).reinterpret(signed=True).alias("row_hash"))[
        "row_hash"]


def typed(raw: pl.DataFrame, header: Header, *, kind: str, today: date,
          repair_types: Mapping[str, Sequence[str]] | None = None,
          known: Callable[[pl.DataFrame], pl.Series | None] | None = None,
          ) -> tuple[pl.DataFrame, list[Reject], int]:
    """(valid typed rows, rejects, rows skipped as blank/totals/notes) for one batch.

    ``raw`` has the text columns ``c0..cN`` and ``_row``; ``header`` says which
    column is which field. The typed frame always has every column of
    :data:`TYPED_SCHEMA` (null where the file has no such column), and for visits
    each row's fingerprint (``row_hash``, :func:`fingerprints`). ``known`` is given
    the batch's ``_row``, ``ro_number``, ``row_hash`` and ``day`` before the rest is
    typed and returns the rows the store already holds unchanged
    (store.ingest.KnownRows): those go no further."""
    columns = header.columns
    skip_rows = _skippable(raw, header)
    if len(skip_rows):
        raw = raw.filter(~pl.col("_row").is_in(skip_rows.implode()))
    skipped = len(skip_rows)

    def field(name: str) -> pl.Expr:
        idx = columns.get(name)
        if not idx:
            return pl.lit(None, pl.String)
        return pl.coalesce([_clean(pl.col(f"c{i}")) for i in idx])

    present = set(columns)  # checks apply to the fields this file has
    text = _without_controls(raw.select(pl.col("_row"), *(field(n).alias(n) for n in _SOURCE_FIELDS)))
    if kind == "visits":
        text = text.with_columns(fingerprints(text, repair_types))
        drop = None
        if known is not None:
            # Each row's day as its typed date_in will be (the visit's day, else its
            # settlement's): the import syncs points from the earliest row's, left out or not.
            days = pl.DataFrame({"a": _dates(text["date_in"]), "b": _dates(text["settled_on"])},
                                schema={"a": pl.Date, "b": pl.Date}).select(
                pl.coalesce(*(pl.when(pl.col(c).dt.year().is_between(1900, 2100)).then(pl.col(c)) for c in "ab"))
                .alias("day"))["day"]
            drop = known(text.select("_row", "ro_number", "row_hash").with_columns(days))
        if drop is not None and len(drop):
            text = text.filter(~pl.col("_row").is_in(drop.implode()))
    vin = _nfkc(_vins(text["vin"]))
    parsed = {
        "vin": vin,
        "phone": _phones(text["phone"]),
        "mileage": _kms(text["mileage"]),
        **{d: _dates(text[d]) for d in DATE_FIELDS},
        **{f"{a}_fen": _amounts(text[a]) for a in AMOUNT_FIELDS},
    }
    out = text.select(
        "_row",
        *(pl.col(n) for n in TEXT_FIELDS),
        pl.col("status"),
        *((pl.col("row_hash"),) if kind == "visits" else ()),
        pl.col("plate").alias("plate_raw"),
        pl.col("vin").alias("vin_text"),
        pl.col("phone").alias("phone_text"),
        pl.col("repair_type").alias("repair_type_raw"),
        pl.col("mileage").alias("mileage_text"),
        pl.col("id_number").str.to_uppercase().str.replace_all(r"\s", "").alias("id_number"),
        *(pl.col(d).alias(f"{d}_text") for d in DATE_FIELDS),
        *(pl.col(a).alias(f"{a}_text") for a in AMOUNT_FIELDS),
    ).with_columns(
        pl.Series("vin", parsed["vin"]),
        pl.Series("phone", parsed["phone"]),
        pl.Series("mileage", parsed["mileage"]),
        *(pl.Series(d, parsed[d], pl.Date) for d in DATE_FIELDS),
        *(pl.Series(f"{a}_fen", parsed[f"{a}_fen"], pl.Float64) for a in AMOUNT_FIELDS),
    ).with_columns(
        # Placeholders for "no VIN" (无, 0000..., -) are no VIN.
        pl.when(pl.col("vin").str.contains(r"[A-Z1-9]") & ~pl.col("vin").is_in(["NULL", "NONE", "NA", "N/A"]))
        .then(pl.col("vin")).alias("vin"),
        *(pl.when(pl.col(d).dt.year().is_between(1900, 2100)).then(pl.col(d)).alias(d) for d in DATE_FIELDS),
    )

    # Plates: each distinct spelling through the one normalizer.
    plates = out["plate_raw"].drop_nulls().unique().to_list()
    norm: dict[str, str | None] = {}
    why: dict[str, str] = {}
    for p in plates:
        norm[p], problem = _plate(p)
        if problem:
            why[p] = problem
    out = out.with_columns(
        pl.col("plate_raw").replace_strict(norm, default=None, return_dtype=pl.String).alias("plate"),
        pl.col("plate_raw").replace_strict(why, default=None, return_dtype=pl.String).alias("plate_why"),
    )
    ids = out["id_number"].drop_nulls().unique().to_list()
    bad_ids = {i: p for i in ids if (p := id_number_problem(i))}
    out = out.with_columns(
        pl.col("id_number").replace_strict(bad_ids, default=None, return_dtype=pl.String).alias("id_why"))
    types = out["repair_type_raw"].drop_nulls().unique().to_list()
    out = out.with_columns(
        pl.col("repair_type_raw")
        .replace_strict({t: repair_type_code(t, repair_types) for t in types}, default="other", return_dtype=pl.String)
        .alias("repair_type")
    )

    # --- checks: (field, code, condition, value column, reason template) ---
    checks: list[tuple[str, str, pl.Expr, str, str]] = [
        ("plate", "plate_missing", pl.col("plate_raw").is_null(), "plate_raw", "the plate is missing"),
        ("plate", "plate_invalid", pl.col("plate_why").is_not_null(), "plate_raw", "{why}"),
        ("vin", "vin_invalid", pl.col("vin").is_not_null() & ~pl.col("vin").str.contains(_VIN), "vin_text",
         "{value!r} is not a VIN (17 letters and digits, no I, O or Q)"),
        ("phone", "phone_scientific", pl.col("phone_text").str.contains(_SCIENTIFIC).fill_null(False), "phone_text",
         "{value!r} lost its digits: the phone was saved as a number in scientific notation"),
        ("id_number", "id_invalid", pl.col("id_why").is_not_null(), "id_number", "{value!r} {id_why}"),
        ("mileage", "mileage_invalid", pl.col("mileage_text").is_not_null()
         & (pl.col("mileage").is_null() | (pl.col("mileage") > 3_000_000)), "mileage_text",
         "{value!r} is not a mileage in km"),
    ]
    for d in DATE_FIELDS:
        checks.append((d, "date_invalid", pl.col(f"{d}_text").is_not_null() & pl.col(d).is_null(), f"{d}_text",
                       "{value!r} is not a date"))
        if d in PAST_DATES:
            checks.append((d, "date_future", pl.col(d) > pl.lit(today), f"{d}_text",
                           "{value!r} is after today (" + today.isoformat() + ")"))
    for a in AMOUNT_FIELDS:
        checks.append((a, "amount_invalid", pl.col(f"{a}_text").is_not_null() & pl.col(f"{a}_fen").is_null(),
                       f"{a}_text", "{value!r} is not an amount"))
        checks.append((a, "amount_range", pl.col(f"{a}_fen").abs() > MAX_FEN, f"{a}_text",
                       "{value!r} is out of range for an amount"))
    for t, limit in MAX_LEN.items():
        if t in TEXT_FIELDS:
            checks.append((t, "too_long", pl.col(t).str.len_chars() > limit, t,
                           "{value!r} is longer than " + str(limit) + " characters"))
    if kind == "visits":
        checks += [
            ("ro_number", "ro_missing", pl.col("ro_number").is_null(), "ro_number", "the RO number is missing"),
            ("date_in", "date_missing", pl.col("date_in_text").is_null() & pl.col("settled_on_text").is_null(),
             "date_in_text", "the date in is missing"),
        ]
    checks = [c for c in checks if c[0] in present or c[1] in ("plate_missing", "ro_missing", "date_missing")]

    flags = out.select(
        "_row",
        *(pl.when(cond.fill_null(False)).then(pl.col(value_col)).otherwise(None).alias(f"_x{i}")
          for i, (_, _, cond, value_col, _) in enumerate(checks)),
        *(cond.fill_null(False).alias(f"_b{i}") for i, (_, _, cond, _, _) in enumerate(checks)),
        pl.col("plate_why"),
        pl.col("id_why"),
    )
    bad_any = pl.any_horizontal(*(pl.col(f"_b{i}") for i in range(len(checks)))) if checks else pl.lit(False)
    bad = flags.filter(bad_any)
    rejects: list[Reject] = []
    for rec in bad.iter_rows(named=True):
        for i, (name, code, _, _, template) in enumerate(checks):
            if rec[f"_b{i}"]:
                value = rec[f"_x{i}"]
                if name in MASKED_FIELDS:  # a reject is printed and saved: never a whole ID number
                    value = mask_id_number(value)
                label = _label(header, name)
                rejects.append(Reject(row=rec["_row"], field=name, column=label, value=value,
                                      reason=template.format(value=value, why=rec["plate_why"], id_why=rec["id_why"]),
                                      code=code))
    if not bad.is_empty():
        out = out.join(bad.select("_row"), on="_row", how="anti")

    total = pl.coalesce(pl.col("total_fen"), pl.sum_horizontal(*(pl.col(f"{a}_fen") for a in AMOUNT_FIELDS[:-1])))
    typed_rows = out.with_columns(
        pl.coalesce(pl.col("date_in"), pl.col("settled_on")).alias("date_in"),
        *(pl.col(f"{a}_fen").fill_null(0).cast(pl.Int64) for a in AMOUNT_FIELDS[:-1]),
        total.fill_null(0).cast(pl.Int64).alias("total_fen"),
        pl.col("mileage").cast(pl.Int64),
        pl.col("gender").replace({"M": "男", "F": "女", "male": "男", "female": "女", "m": "男", "f": "女"}),
        pl.when(pl.col("status").str.contains("|".join(CANCELLED_WORDS)).fill_null(False)
                | pl.col("status").str.to_lowercase().is_in(CANCELLED_ENGLISH).fill_null(False))
        .then(pl.lit("cancelled")).otherwise(pl.lit("settled")).alias("status"),
    ).select(*TYPED_SCHEMA, *(("row_hash",) if kind == "visits" else ()))
    return typed_rows.cast(TYPED_SCHEMA), rejects, skipped


def _label(header: Header, name: str) -> str | None:
    idx = header.columns.get(name)
    if not idx:
        return None
    label = header.labels[idx[0]] if idx[0] < len(header.labels) else None
    return str(label).strip() if label is not None else None


_SOURCE_FIELDS = ("ro_number", "status", "plate", "vin", "model", "customer", "phone", "region", "sa", "colour",
                  "address",
                  "gender", "id_number", "repair_type", "mileage", *DATE_FIELDS, *AMOUNT_FIELDS)

TYPED_SCHEMA: dict[str, pl.DataType] = {
    "_row": pl.Int64,
    "ro_number": pl.String,
    "plate": pl.String,
    "plate_raw": pl.String,
    "vin": pl.String,
    "model": pl.String,
    "colour": pl.String,
    "customer": pl.String,
    "phone": pl.String,
    "gender": pl.String,
    "address": pl.String,
    "region": pl.String,
    "id_number": pl.String,
    "date_in": pl.Date,
    "settled_on": pl.Date,
    "purchase_date": pl.Date,
    "warranty_end": pl.Date,
    "insurance_expiry": pl.Date,
    "inspection_due": pl.Date,
    "birthday": pl.Date,
    "repair_type": pl.String,
    "repair_type_raw": pl.String,
    "mileage": pl.Int64,
    "labour_fen": pl.Int64,
    "parts_fen": pl.Int64,
    "oil_fen": pl.Int64,
    "accessories_fen": pl.Int64,
    "total_fen": pl.Int64,
    "sa": pl.String,
    "status": pl.String,  # settled | cancelled (CANCELLED_WORDS)
}
