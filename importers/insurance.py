"""An insurance export's text cells to typed policy rows and rejects, a batch at a
time (see :mod:`importers.parse` for the cell rules it shares: dates, amounts,
plates, VINs). A row needs a policy number, a plate or VIN, a type (交强险 /
商业险) and an end date; every bad cell of a row is reported."""

from __future__ import annotations

import re

import polars as pl

from importers.headers import Header
from importers.parse import (_VIN, MAX_FEN, Reject, _amounts, _clean, _dates, _label, _nfkc, _plate, _skippable,
                             _vins)
from store.insurance import policy_kind
from store.validation import strip_controls

YES = {"是", "y", "yes", "1", "true", "本店", "本店出单", "√"}
NO = {"否", "n", "no", "0", "false", "外店", "非本店", "他店"}
MAX_LEN = {"policy_number": 40, "insurer": 60}

POLICY_SCHEMA: dict[str, pl.DataType] = {
    "_row": pl.Int64, "policy_number": pl.String, "plate": pl.String, "vin": pl.String, "insurer": pl.String,
    "kind": pl.String, "start_on": pl.Date, "end_on": pl.Date, "premium_fen": pl.Int64, "sold_by_store": pl.Boolean,
}
_SOURCE = ("policy_number", "plate", "vin", "insurer", "policy_kind", "start_on", "end_on", "premium", "sold_by_store")


def typed_policies(raw: pl.DataFrame, header: Header) -> tuple[pl.DataFrame, list[Reject], int]:
    """(valid policy rows in :data:`POLICY_SCHEMA`, rejects, rows skipped as blank/totals/notes)."""
    skip_rows = _skippable(raw, header)
    if len(skip_rows):
        raw = raw.filter(~pl.col("_row").is_in(skip_rows.implode()))
    columns = header.columns

    def field(name: str) -> pl.Expr:
        idx = columns.get(name)
        if not idx:
            return pl.lit(None, pl.String)
        return pl.coalesce([_clean(pl.col(f"c{i}")) for i in idx])

    text = raw.select(pl.col("_row"), *(field(n).alias(n) for n in _SOURCE))
    rows = text.to_dicts()
    for r in rows:  # text kept as the file had it passes the one rule (store.validation)
        for name in ("policy_number", "insurer"):
            if r[name] is not None:
                r[name] = strip_controls(r[name]).strip() or None
    vins = _nfkc(_vins(text["vin"])).to_list()
    starts, ends = _dates(text["start_on"]).to_list(), _dates(text["end_on"]).to_list()
    premiums = _amounts(text["premium"]).to_list()
    good, rejects = [], []

    def bad(r: dict, name: str, value, reason: str, code: str) -> None:
        rejects.append(Reject(row=r["_row"], field=name, column=_label(header, name), value=value, reason=reason,
                              code=code))

    for r, vin, start, end, fen in zip(rows, vins, starts, ends, premiums):
        before = len(rejects)
        plate = None
        if r["plate"] is not None:
            plate, why = _plate(r["plate"])
            if why:
                bad(r, "plate", r["plate"], why, "plate_invalid")
        if vin is not None and not re.match(_VIN, vin):
            bad(r, "vin", r["vin"], f"{r['vin']!r} is not a VIN (17 letters and digits, no I, O or Q)", "vin_invalid")
        if r["plate"] is None and r["vin"] is None:
            bad(r, "plate", None, "the plate and the VIN are missing", "plate_missing")
        if r["policy_number"] is None:
            bad(r, "policy_number", None, "the policy number is missing", "policy_missing")
        for name, limit in MAX_LEN.items():
            if r[name] is not None and len(r[name]) > limit:
                bad(r, name, r[name], f"{r[name]!r} is longer than {limit} characters", "too_long")
        kind = policy_kind(r["policy_kind"])
        if kind is None:
            bad(r, "policy_kind", r["policy_kind"],
                "the type is missing" if r["policy_kind"] is None
                else f"{r['policy_kind']!r} is neither 交强险 (compulsory) nor 商业险 (commercial)", "kind_invalid")
        if r["start_on"] is not None and start is None:
            bad(r, "start_on", r["start_on"], f"{r['start_on']!r} is not a date", "date_invalid")
        if r["end_on"] is None:
            bad(r, "end_on", None, "the end date is missing", "date_missing")
        elif end is None:
            bad(r, "end_on", r["end_on"], f"{r['end_on']!r} is not a date", "date_invalid")
        elif start is not None and end < start:
            bad(r, "end_on", r["end_on"], f"{r['end_on']!r} is before the start {start}", "date_order")
        if r["premium"] is not None and (fen is None or fen < 0 or fen > MAX_FEN):
            bad(r, "premium", r["premium"], f"{r['premium']!r} is not an amount", "amount_invalid")
        sold = False
        if r["sold_by_store"] is not None:
            word = r["sold_by_store"].strip().lower()
            if word in YES:
                sold = True
            elif word not in NO:
                bad(r, "sold_by_store", r["sold_by_store"], f"{r['sold_by_store']!r} is neither 是 nor 否",
                    "flag_invalid")
        if len(rejects) == before:
            good.append({"_row": r["_row"], "policy_number": r["policy_number"], "plate": plate, "vin": vin,
                         "insurer": r["insurer"], "kind": kind, "start_on": start, "end_on": end,
                         "premium_fen": int(fen or 0), "sold_by_store": sold})
    return pl.DataFrame(good, schema=POLICY_SCHEMA), rejects, len(skip_rows)
