"""The churn report 流失分析 and the class mix 客户分类结构, cut by any dimensions.

Churn rate = churned / vehicles in the park; at-risk rate (准流失率) = at risk /
vehicles; maximum possible churn rate (最大可能流失率) = (churned + at risk) / vehicles;
percentages rounded half up to 2 decimals. Classes and the park are those of
:mod:`store.classes` as of the date asked about.

| dimension | values |
| --- | --- |
| warranty 保修 | ``in`` / ``out``: in while the date is on or before the vehicle's warranty end date; without one, before purchase date + the model's warranty months (``warranty_months_by_model``) or the store's (``warranty_months``); null when neither date is known |
| region 区域 | the vehicle's region, else its owner's |
| vehicle_age 车龄 | whole years since purchase, plus one: 1 = first year, 2 = second year... |
| model 车型 | |
| sa 服务顾问 | the SA the vehicle is adopted to on that date (客户领养), else the SA of its last visit |
| store 门店 | store code |
| class 客户分类 | class code |

How it stays fast at a million vehicles and ten million visits: the database hands
over one row per vehicle, and the classes and cuts are polars expressions over those
rows. Churn needs of a car only its last return, so on SQLite each car's last visit
is one seek into the (vehicle_id, date_in) index
(:func:`store.classes.last_return_facts`); the class cut and the class mix, which
also need visit days and spend, reduce the visits by a GROUP BY
(:func:`store.classes.vehicle_facts`). Postgres counts in place
(:mod:`store.reports.pushdown`). See ``bench/reports``.
"""

from __future__ import annotations

from datetime import date

import polars as pl
from sqlmodel import Session

from store.classes import CLASS_ORDER, classified, classified_active
from store.frames import in_list, query_frame
from store.reports import ReportTable, Words, percent
from store.settings import get_settings

DIMENSIONS = ("warranty", "region", "vehicle_age", "model", "sa", "store", "class")
COUNT_COLUMNS = ["vehicles", "churned", "at_risk", "churn_rate", "at_risk_rate", "max_churn_rate"]
HEALTHY_MIX_DEFAULT = {"loyal": 50, "general": 30, "at_risk": 15, "churned": 5}


def _warranty(session: Session, df: pl.DataFrame, as_of: date) -> pl.DataFrame:
    stores, by_model = [], []
    for sid in df["store_id"].unique().to_list():
        s = get_settings(session, store_id=sid)
        stores.append({"store_id": sid, "_w_months": int(s["warranty_months"])})
        for model, months in (s.get("warranty_months_by_model") or {}).items():
            by_model.append({"store_id": sid, "model": model, "_w_model": int(months)})
    stores_df = pl.DataFrame(stores, schema={"store_id": pl.Int64, "_w_months": pl.Int64})
    model_df = pl.DataFrame(by_model, schema={"store_id": pl.Int64, "model": pl.String, "_w_model": pl.Int64})
    d = pl.lit(as_of, dtype=pl.Date)
    months = pl.coalesce("_w_model", "_w_months")
    computed_end = pl.col("purchase_date").dt.offset_by(pl.format("{}mo", months))
    df = df.join(stores_df, on="store_id", how="left")
    if "model" in df.columns:
        df = df.join(model_df, on=["store_id", "model"], how="left")
    elif len(model_df):
        raise ValueError("a store sets warranty months by model: the park needs its models")
    else:
        df = df.with_columns(_w_model=pl.lit(None, dtype=pl.Int64))
    status = (
        pl.when(pl.col("warranty_end").is_not_null())
        .then(pl.when(d <= pl.col("warranty_end")).then(pl.lit("in")).otherwise(pl.lit("out")))
        .when(pl.col("purchase_date").is_not_null())
        .then(pl.when(d < computed_end).then(pl.lit("in")).otherwise(pl.lit("out")))
    )
    return df.with_columns(warranty=status).drop("_w_months", "_w_model")


def _vehicle_age(df: pl.DataFrame, as_of: date) -> pl.DataFrame:
    d = pl.lit(as_of, dtype=pl.Date)
    years = pl.lit(as_of.year) - pl.col("purchase_date").dt.year()
    # One fewer when this year's anniversary (29 Feb -> 28 Feb) is still ahead.
    ahead = pl.col("purchase_date").dt.offset_by(pl.format("{}y", years)) > d
    whole = (years - ahead.cast(pl.Int32)).cast(pl.Int32)
    return df.with_columns(vehicle_age=pl.when(pl.col("purchase_date").is_not_null()).then(whole + 1))


def last_visit_sa(session: Session, *, as_of: date, store_ids: list[int] | None) -> pl.DataFrame:
    """The SA named on each vehicle's last visit on or before ``as_of``."""
    scope, params = "", {}
    if store_ids is not None:
        clause, params = in_list("store_id", store_ids, "s")
        scope = " AND vehicle_id IN (SELECT id FROM vehicle WHERE 1 = 1" + clause + ")"
    if session.get_bind().dialect.name == "postgresql":
        sql = ("SELECT DISTINCT ON (vehicle_id) vehicle_id, sa_name FROM visit"
               " WHERE status <> 'cancelled' AND date_in <= :d" + scope + " ORDER BY vehicle_id, date_in DESC, id DESC")
    else:
        # SQLite fills a bare column from the row holding the MAX() (documented behaviour).
        sql = ("SELECT vehicle_id, sa_name, MAX(date_in || printf('%012d', id)) FROM visit"
               " WHERE status <> 'cancelled' AND date_in <= :d" + scope + " GROUP BY vehicle_id")
    schema = {"vehicle_id": pl.Int64, "_last_sa": pl.String}
    if session.get_bind().dialect.name != "postgresql":
        schema["_k"] = pl.String
    return query_frame(session, sql, {"d": as_of} | params, schema).select("vehicle_id", "_last_sa")


def adopted_sa(session: Session, *, as_of: date, store_ids: list[int] | None) -> pl.DataFrame:
    clause, params = in_list("a.store_id", store_ids, "s")
    sql = ("SELECT a.vehicle_id, s.name, a.started_on FROM adoption a JOIN staff s ON s.id = a.staff_id"
           " WHERE a.started_on <= :d AND (a.ended_on IS NULL OR a.ended_on > :d)" + clause)
    df = query_frame(session, sql, {"d": as_of} | params,
                     {"vehicle_id": pl.Int64, "_adopted_sa": pl.String, "_started": pl.Date})
    return df.sort("_started").group_by("vehicle_id").agg(pl.col("_adopted_sa").last())


def _months_by_model(session: Session, store_ids: list[int] | None) -> bool:
    """Whether any of these stores (None: every store) sets warranty months by model."""
    if store_ids is None:
        store_ids = query_frame(session, "SELECT id FROM store", None, {"id": pl.Int64})["id"].to_list()
    return any(get_settings(session, store_id=sid).get("warranty_months_by_model") for sid in store_ids)


def park(session: Session, *, as_of: date, dims: list[str] | tuple[str, ...] = (),
         store_ids: list[int] | None = None, loyalty: bool = True) -> pl.DataFrame:
    """Every vehicle in the park on ``as_of`` with its class and the asked-for dimensions
    (without ``loyalty``, loyal and general read ``active``: enough for churn)."""
    # Churn alone needs each car's last return, not its loyalty facts: on SQLite one
    # index seek per car (and one more for its last SA) instead of a GROUP BY of
    # every visit. The class cut, the class mix and Postgres keep vehicle_facts.
    fast = FAST_SQLITE and not loyalty and session.get_bind().dialect.name == "sqlite"
    extra: dict[str, tuple[str, pl.DataType]] = {}
    if "warranty" in dims:
        extra["warranty_end"] = ("v.warranty_end", pl.Date)
    # The warranty reads the model only where a store sets months by model (on the
    # fast path: reading a million model names was a fifth of the report's time).
    if "model" in dims or ("warranty" in dims and (not fast or _months_by_model(session, store_ids))):
        extra["model"] = ("v.model", pl.String)
    if "region" in dims:
        extra["region"] = ("COALESCE(v.region, c.region)", pl.String)
    if fast:
        df = classified_active(session, as_of=as_of, store_ids=store_ids, extra=extra, last_sa="sa" in dims)
    else:
        df = classified(session, as_of=as_of, store_ids=store_ids, extra=extra, loyalty=loyalty)
    df = df.filter(pl.col("in_park"))
    if "warranty" in dims:
        df = _warranty(session, df, as_of)
    if "vehicle_age" in dims:
        df = _vehicle_age(df, as_of)
    if "store" in dims:
        stores = query_frame(session, "SELECT id, code FROM store", None, {"store_id": pl.Int64, "store": pl.String})
        df = df.join(stores, on="store_id", how="left")
    if "sa" in dims:
        if fast:
            df = df.rename({"last_sa": "_last_sa"})
        else:
            df = df.join(last_visit_sa(session, as_of=as_of, store_ids=store_ids), on="vehicle_id", how="left")
        df = (
            df.join(adopted_sa(session, as_of=as_of, store_ids=store_ids), on="vehicle_id", how="left")
            .with_columns(sa=pl.coalesce("_adopted_sa", "_last_sa"))
        )
    return df


# Postgres computes the counts in place (store.reports.pushdown); the bench turns it
# off to measure the polars path on the same data.
PUSHDOWN = True
# SQLite reads only each car's last return for churn (store.classes.last_return_facts);
# the bench and the tests turn it off to compare with the full per-vehicle facts.
FAST_SQLITE = True


def class_counts(session: Session, *, as_of: date, dims: list[str], store_ids: list[int] | None = None,
                 loyalty: bool = True) -> pl.DataFrame:
    """Vehicles in the park per (dims..., class): the one table both reports read."""
    others = [d for d in dims if d != "class"]  # the class column is there anyway
    if PUSHDOWN and session.get_bind().dialect.name == "postgresql":
        from store.reports.pushdown import class_counts_sql

        return class_counts_sql(session, as_of=as_of, dims=others, store_ids=store_ids, loyalty=loyalty)
    df = park(session, as_of=as_of, dims=others, store_ids=store_ids, loyalty=loyalty)
    return df.group_by(others + ["class"]).agg(pl.len().cast(pl.Int64).alias("vehicles"))


def _grouped(df: pl.DataFrame, dims: list[str], aggs: list[pl.Expr]) -> pl.DataFrame:
    if not dims:
        return df.select(aggs)
    # Classes sort in their own order (loyal first), everything else by value; blanks last.
    order = {c: i for i, c in enumerate(CLASS_ORDER)}
    keys = [pl.col(d).replace_strict(order, default=len(order), return_dtype=pl.Int32) if d == "class" else pl.col(d)
            for d in dims]
    return df.group_by(dims).agg(aggs).sort(keys, nulls_last=True)


def churn_table(counts: pl.DataFrame, dims: list[str]) -> pl.DataFrame:
    """Vehicles, churned and at risk per group, from :func:`class_counts`."""
    n, cls = pl.col("vehicles"), pl.col("class")
    return _grouped(counts, dims, [
        n.sum().cast(pl.Int64).alias("vehicles"),
        n.filter(cls == "churned").sum().cast(pl.Int64).alias("churned"),
        n.filter(cls == "at_risk").sum().cast(pl.Int64).alias("at_risk"),
    ])


def _with_rates(row: dict) -> dict:
    n, c, r = row["vehicles"], row["churned"], row["at_risk"]
    return row | {"churn_rate": percent(c, n), "at_risk_rate": percent(r, n), "max_churn_rate": percent(c + r, n)}


def churn_report(session: Session, *, as_of: date, by: list[str] | tuple[str, ...] = (),
                 store_ids: list[int] | None = None, counts: pl.DataFrame | None = None) -> ReportTable:
    """Vehicles, churned, at risk and their rates, one row per combination of ``by``
    (one total row without it). ``counts``: a :func:`class_counts` frame cut by more
    dimensions than ``by`` (several reports from one query, as the workbook does)."""
    dims = list(by)
    if counts is None:
        counts = class_counts(session, as_of=as_of, dims=dims, store_ids=store_ids, loyalty="class" in dims)
    counts = churn_table(counts, dims)
    rows = [_with_rates(r) for r in counts.iter_rows(named=True)]
    if dims:
        rows = [r for r in rows if r["vehicles"]]
    elif not rows or rows[0]["vehicles"] is None:
        rows = [_with_rates({"vehicles": 0, "churned": 0, "at_risk": 0})]
    total = None
    if dims:
        total = _with_rates({"vehicles": sum(r["vehicles"] for r in rows), "churned": sum(r["churned"] for r in rows),
                             "at_risk": sum(r["at_risk"] for r in rows)})
    return ReportTable(
        title=Words(f"流失分析，截至 {as_of.isoformat()}", f"churn, as of {as_of.isoformat()}"),
        columns=dims + COUNT_COLUMNS, rows=rows, total=total,
        percent_columns=("churn_rate", "at_risk_rate", "max_churn_rate"),
    )


def healthy_mix(session: Session, store_ids: list[int] | None) -> dict[str, float]:
    sid = store_ids[0] if store_ids and len(store_ids) == 1 else None
    return get_settings(session, store_id=sid).get("class_healthy_mix") or HEALTHY_MIX_DEFAULT


def class_mix_report(session: Session, *, as_of: date, by: list[str] | tuple[str, ...] = (),
                     store_ids: list[int] | None = None) -> ReportTable:
    """Per group, how many vehicles are in each class, their share, the healthy
    store's share (``class_healthy_mix``: loyal 50 / general 30 / at risk 15 /
    churned 5) and the gap in percentage points."""
    dims = list(by)
    if "class" in dims:
        raise ValueError("the class mix is counted by class already: cut it by other dimensions")
    counts = class_counts(session, as_of=as_of, dims=dims, store_ids=store_ids)
    present = set(counts["class"].unique().to_list())
    classes = [c for c in CLASS_ORDER if c != "relatively_loyal" or c in present]
    n, cls = pl.col("vehicles"), pl.col("class")
    grouped = _grouped(counts, dims, [n.sum().cast(pl.Int64).alias("_n")]
                       + [n.filter(cls == c).sum().cast(pl.Int64).alias(c) for c in classes])
    healthy = healthy_mix(session, store_ids)
    rows = []
    groups = [g for g in grouped.iter_rows(named=True) if g["_n"]]
    groups = groups or [dict.fromkeys(dims) | {"_n": 0} | dict.fromkeys(classes, 0)]
    for g in groups:
        for c in classes:
            share = percent(g[c], g["_n"])
            ideal = healthy.get(c)
            gap = round(share - float(ideal), 2) if share is not None and ideal is not None else None
            rows.append({d: g[d] for d in dims} | {"class": c, "vehicles": g[c], "share": share,
                                                   "healthy_share": float(ideal) if ideal is not None else None,
                                                   "gap": gap})
    return ReportTable(
        title=Words(f"客户分类结构，截至 {as_of.isoformat()}", f"class mix, as of {as_of.isoformat()}"),
        columns=dims + ["class", "vehicles", "share", "healthy_share", "gap"], rows=rows,
        percent_columns=("share", "healthy_share"), point_columns=("gap",),  # 百分点, not a percent
    )
