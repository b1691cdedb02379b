"""The churn report three ways, each returning rows of (dims..., vehicles, churned,
at_risk) for the same rules (:mod:`store.classes`, :mod:`store.reports.churn`),
with the store's default settings.

- ``dealerdesk``: the product code, ``store.reports.churn.churn_report``: on
  Postgres the whole count in one parallel query (``store.reports.pushdown``), on
  SQLite each vehicle's last visit by one index seek (``last_return_facts``),
  rules in polars.
- ``dealerdesk_polars``: the product's general polars path forced: visits reduced
  per vehicle by one GROUP BY (``vehicle_facts``; through COPY on Postgres), rules
  in polars.
- ``pandas``: the straightforward way: read the visit and vehicle tables with
  ``pandas.read_sql``, then group and classify in pandas.
- ``pandas_agg``: pandas, but fed by the same per-vehicle SQL aggregation as
  dealerdesk (to show what the pushdown alone is worth).
- ``sql``: one plain SQL query doing everything in the database.
"""

from __future__ import annotations

from datetime import date

from store.dates import add_months

WARRANTY_MONTHS = 36


def cutoffs(as_of: date) -> dict:
    return {"d": as_of, "a": add_months(as_of, -3), "c": add_months(as_of, -6), "w": add_months(as_of, -12),
            "wm": add_months(as_of, -WARRANTY_MONTHS)}


def run_dealerdesk(url: str, as_of: date, by: list[str], *, pushdown: bool = True) -> list[tuple]:
    from store.db import make_engine, read_session
    from store.reports import churn
    from store.reports.churn import churn_report

    churn.PUSHDOWN = pushdown
    churn.FAST_SQLITE = pushdown
    engine = make_engine(url)
    with read_session(engine) as session:
        report = churn_report(session, as_of=as_of, by=by)
    return [tuple(r[c] for c in by + ["vehicles", "churned", "at_risk"]) for r in report.rows]


def _pandas_classify(pd, np, df, as_of: date, by: list[str]) -> list[tuple]:
    c = {k: pd.Timestamp(v) for k, v in cutoffs(as_of).items()}
    for col in ("purchase_date", "warranty_end", "sold_on", "first_visit", "last_visit"):
        df[col] = pd.to_datetime(df[col])
    purchase_ok = df["purchase_date"].where(df["purchase_date"] <= c["d"])
    df["since"] = np.fmax(df["last_visit"], purchase_ok)
    start = np.fmin(df["purchase_date"], df["first_visit"])
    park = df[start.notna() & (start <= c["d"]) & (df["sold_on"].isna() | (df["sold_on"] > c["d"]))].copy()
    park["churned"] = (park["since"] < c["c"]).astype("int64")
    park["at_risk"] = ((park["since"] >= c["c"]) & (park["since"] < c["a"])).astype("int64")
    if "warranty" in by:
        end = park["purchase_date"] + pd.DateOffset(months=WARRANTY_MONTHS)
        status = np.where(park["warranty_end"].notna(), np.where(c["d"] <= park["warranty_end"], "in", "out"),
                          np.where(park["purchase_date"].notna(), np.where(c["d"] < end, "in", "out"), None))
        park["warranty"] = status
    if not by:
        return [(len(park), int(park["churned"].sum()), int(park["at_risk"].sum()))]
    g = park.groupby(by, dropna=False).agg(vehicles=("churned", "size"), churned=("churned", "sum"),
                                            at_risk=("at_risk", "sum")).reset_index()
    return [tuple(None if (isinstance(x, float) and np.isnan(x)) else x for x in row)
            for row in g[by + ["vehicles", "churned", "at_risk"]].itertuples(index=False, name=None)]


def run_pandas(url: str, as_of: date, by: list[str]) -> list[tuple]:
    import numpy as np
    import pandas as pd
    from sqlalchemy import create_engine

    engine = create_engine(url)
    c = {k: pd.Timestamp(v) for k, v in cutoffs(as_of).items()}
    visits = pd.read_sql("SELECT vehicle_id, date_in, total_fen, status FROM visit", engine)
    vehicles = pd.read_sql("SELECT id, purchase_date, warranty_end, sold_on FROM vehicle", engine)
    visits["date_in"] = pd.to_datetime(visits["date_in"])
    seen = visits[(visits["status"] != "cancelled") & (visits["date_in"] <= c["d"])]
    per = seen.groupby("vehicle_id").agg(first_visit=("date_in", "min"), last_visit=("date_in", "max"))
    df = vehicles.merge(per, left_on="id", right_index=True, how="left")
    return _pandas_classify(pd, np, df, as_of, by)


def run_pandas_agg(url: str, as_of: date, by: list[str]) -> list[tuple]:
    import numpy as np
    import pandas as pd
    from sqlalchemy import create_engine

    engine = create_engine(url)
    params = cutoffs(as_of)
    per = pd.read_sql(
        "SELECT vehicle_id, MIN(date_in) AS first_visit, MAX(date_in) AS last_visit FROM visit"
        " WHERE status <> 'cancelled' AND date_in <= %(d)s GROUP BY vehicle_id"
        if engine.dialect.name == "postgresql" else
        "SELECT vehicle_id, MIN(date_in) AS first_visit, MAX(date_in) AS last_visit FROM visit"
        " WHERE status <> 'cancelled' AND date_in <= :d GROUP BY vehicle_id",
        engine, params={"d": params["d"].isoformat()} if engine.dialect.name != "postgresql" else {"d": params["d"]})
    vehicles = pd.read_sql("SELECT id, purchase_date, warranty_end, sold_on FROM vehicle", engine)
    df = vehicles.merge(per, left_on="id", right_on="vehicle_id", how="left")
    return _pandas_classify(pd, np, df, as_of, by)


SQL_CHURN = """
WITH f AS (
    SELECT vehicle_id, MIN(date_in) AS first_visit, MAX(date_in) AS last_visit
    FROM visit WHERE status <> 'cancelled' AND date_in <= :d GROUP BY vehicle_id
), p AS (
    SELECT v.warranty_end, v.purchase_date,
        CASE WHEN v.purchase_date IS NULL OR v.purchase_date > :d THEN f.last_visit
             WHEN f.last_visit IS NULL OR v.purchase_date > f.last_visit THEN v.purchase_date
             ELSE f.last_visit END AS since
    FROM vehicle v LEFT JOIN f ON f.vehicle_id = v.id
    WHERE (CASE WHEN v.purchase_date IS NULL THEN f.first_visit
                WHEN f.first_visit IS NULL OR v.purchase_date < f.first_visit THEN v.purchase_date
                ELSE f.first_visit END) <= :d
      AND (v.sold_on IS NULL OR v.sold_on > :d)
)
SELECT {dims} COUNT(*) AS vehicles,
    SUM(CASE WHEN since < :c THEN 1 ELSE 0 END) AS churned,
    SUM(CASE WHEN since >= :c AND since < :a THEN 1 ELSE 0 END) AS at_risk
FROM p {group}
"""
WARRANTY_SQL = ("CASE WHEN warranty_end IS NOT NULL THEN (CASE WHEN :d <= warranty_end THEN 'in' ELSE 'out' END)"
                " WHEN purchase_date IS NOT NULL THEN (CASE WHEN purchase_date > :wm THEN 'in' ELSE 'out' END) END")


def run_sql(url: str, as_of: date, by: list[str]) -> list[tuple]:
    from sqlalchemy import create_engine, text

    if by not in ([], ["warranty"]):
        raise SystemExit("the plain SQL version cuts by warranty only")
    engine = create_engine(url)
    dims = f"{WARRANTY_SQL} AS warranty," if by else ""
    group = "GROUP BY 1 ORDER BY 1" if by else ""
    params = cutoffs(as_of)
    if engine.dialect.name == "sqlite":
        params = {k: v.isoformat() for k, v in params.items()}
    with engine.connect() as conn:
        rows = conn.execute(text(SQL_CHURN.format(dims=dims, group=group)), params).all()
    return [tuple(int(x) if isinstance(x, (int, float)) or hasattr(x, "as_integer_ratio") else x for x in r)
            for r in rows]


def run_dealerdesk_polars(url: str, as_of: date, by: list[str]) -> list[tuple]:
    return run_dealerdesk(url, as_of, by, pushdown=False)


IMPLEMENTATIONS = {"dealerdesk": run_dealerdesk, "dealerdesk_polars": run_dealerdesk_polars, "pandas": run_pandas, "pandas_agg": run_pandas_agg, "sql": run_sql}
