"""The class counts behind the churn and class-mix reports, computed entirely in
Postgres: one parallel query that returns a few grouped rows instead of a row per
vehicle.

Why a second spelling of the rules: at a million vehicles and ten million visits,
streaming a row per vehicle out of Postgres (``COPY``, which runs without parallel
workers) took longer than the whole report computed in place (see
docs/benchmarks.md, Reports). The rules are the same ones, taken from the same
:class:`store.classes.ClassRules` and settings (cut-off dates are computed once in
Python and passed in); every report test runs on SQLite (the polars path) and on
Postgres (this path) against the same hand-counted figures, and ``bench/reports``
checks both paths agree on the benchmark data.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import polars as pl
from sqlmodel import Session

from store.classes import INSURED_HERE_EXISTS, ClassRules, rules_by_store
from store.frames import in_list, query_frame, tune_for_analytics
from store.settings import get_settings

DIM_TYPES = {"warranty": pl.String, "region": pl.String, "vehicle_age": pl.Int64, "model": pl.String,
             "sa": pl.String, "store": pl.String}


def _date(d: date) -> str:
    return f"DATE '{d.isoformat()}'"


def _rules_values(rules: dict[int, ClassRules], as_of: date, warranty_months: dict[int, int]) -> str:
    rows = [
        f"({sid}, {_date(r.active_since(as_of))}, {_date(r.churn_since(as_of))}, {int(r.loyal_spend_fen)},"
        f" {int(r.loyal_visits)}, {'TRUE' if r.relatively_loyal else 'FALSE'}, {int(r.relatively_loyal_spend_fen)},"
        f" {int(r.relatively_loyal_visits)}, {int(warranty_months.get(sid, 36))},"
        f" {'TRUE' if r.loyal_includes_insured else 'FALSE'})"
        for sid, r in rules.items()
    ]
    return ("r(store_id, active_since, churn_since, loyal_spend, loyal_visits, rl, rl_spend, rl_visits, w_months,"
            " ins)"
            " AS (VALUES " + ", ".join(rows) + ")")


def class_counts_sql(session: Session, *, as_of: date, dims: list[str], store_ids: list[int] | None,
                     loyalty: bool) -> pl.DataFrame:
    """Rows of (dims..., class, vehicles) for the vehicles in the park on ``as_of``
    (``dims`` without ``class``: the class column is always there)."""
    if store_ids is not None:
        sids = list(store_ids)
    else:
        sids = query_frame(session, "SELECT id FROM store", None, {"id": pl.Int64})["id"].to_list()
    tune_for_analytics(session)
    rules = rules_by_store(session, sids)
    windows: dict[date, list[int]] = defaultdict(list)
    for sid, r in rules.items():
        windows[r.window_start(as_of)].append(sid)
    schema = {d: DIM_TYPES[d] for d in dims} | {"class": pl.String, "vehicles": pl.Int64}
    parts = []
    for start, group in windows.items():
        scope = group if store_ids is not None or len(windows) > 1 else None
        parts.append(_one_window(session, as_of=as_of, window_start=start, dims=dims, store_ids=scope,
                                 rules={s: rules[s] for s in group}, loyalty=loyalty, schema=schema))
    if not parts:
        return pl.DataFrame(schema=schema)
    df = pl.concat(parts)
    if len(parts) > 1:
        df = df.group_by(dims + ["class"]).agg(pl.col("vehicles").sum())
    return df


def _one_window(session: Session, *, as_of: date, window_start: date, dims: list[str], store_ids: list[int] | None,
                rules: dict[int, ClassRules], loyalty: bool, schema: dict) -> pl.DataFrame:
    params: dict = {"d": as_of, "w": window_start}
    ctes = []
    joins = ""
    dim_sql: dict[str, str] = {}
    warranty_months: dict[int, int] = {}
    if "warranty" in dims:
        model_rows = []
        for sid in rules:
            s = get_settings(session, store_id=sid)
            warranty_months[sid] = int(s["warranty_months"])
            for i, (model, months) in enumerate((s.get("warranty_months_by_model") or {}).items()):
                params[f"m{sid}_{i}"] = model
                model_rows.append(f"({sid}, CAST(:m{sid}_{i} AS TEXT), {int(months)})")
        months = "r.w_months"
        if model_rows:
            ctes.append("mm(store_id, model, months) AS (VALUES " + ", ".join(model_rows) + ")")
            joins += " LEFT JOIN mm ON mm.store_id = v.store_id AND mm.model = v.model"
            months = "COALESCE(mm.months, r.w_months)"
        dim_sql["warranty"] = (
            "CASE WHEN v.warranty_end IS NOT NULL THEN (CASE WHEN :d <= v.warranty_end THEN 'in' ELSE 'out' END)"
            " WHEN v.purchase_date IS NOT NULL THEN (CASE WHEN :d < CAST(v.purchase_date"
            f" + make_interval(months => {months}) AS DATE) THEN 'in' ELSE 'out' END) END")
    # Stores almost always share one rule set: then the rules are constants, not a join.
    shared = len({(r, warranty_months.get(sid)) for sid, r in rules.items()}) == 1
    if not shared:
        ctes.insert(0, _rules_values(rules, as_of, warranty_months))
    if "region" in dims:
        joins += " LEFT JOIN customer c ON c.id = v.customer_id"
        dim_sql["region"] = "COALESCE(v.region, c.region)"
    if "vehicle_age" in dims:
        years = "(EXTRACT(YEAR FROM CAST(:d AS DATE)) - EXTRACT(YEAR FROM v.purchase_date))::int"
        # Whole years: one fewer while this year's anniversary (29 Feb -> 28 Feb) is ahead.
        dim_sql["vehicle_age"] = (
            f"CASE WHEN v.purchase_date IS NOT NULL THEN {years} - CASE WHEN CAST(v.purchase_date"
            f" + make_interval(years => {years}) AS DATE) > :d THEN 1 ELSE 0 END + 1 END")
    if "model" in dims:
        dim_sql["model"] = "v.model"
    if "store" in dims:
        joins += " LEFT JOIN store st ON st.id = v.store_id"
        dim_sql["store"] = "st.code"
    if "sa" in dims:
        scope_clause, _ = in_list("store_id", store_ids)
        scope = (" AND vehicle_id IN (SELECT id FROM vehicle WHERE 1 = 1" + scope_clause + ")") if store_ids else ""
        joins += (
            " LEFT JOIN (SELECT DISTINCT ON (vehicle_id) vehicle_id, sa_name FROM visit"
            " WHERE status <> 'cancelled' AND date_in <= :d" + scope + " ORDER BY vehicle_id, date_in DESC, id DESC) ls"
            " ON ls.vehicle_id = v.id"
            " LEFT JOIN (SELECT DISTINCT ON (a.vehicle_id) a.vehicle_id, s.name FROM adoption a"
            " JOIN staff s ON s.id = a.staff_id WHERE a.started_on <= :d AND (a.ended_on IS NULL OR a.ended_on > :d)"
            " ORDER BY a.vehicle_id, a.started_on DESC) ad ON ad.vehicle_id = v.id")
        dim_sql["sa"] = "COALESCE(ad.name, ls.sa_name)"
    inner_scope = ""
    if store_ids is not None:
        clause, _ = in_list("store_id", store_ids)
        inner_scope = " AND vehicle_id IN (SELECT id FROM vehicle WHERE 1 = 1" + clause + ")"
    loyal_cols = (", COUNT(DISTINCT CASE WHEN date_in >= :w THEN date_in END) AS visits_w,"
                  " SUM(CASE WHEN date_in >= :w THEN total_fen ELSE 0 END) AS spend_w") if loyalty else ""
    ctes.append(
        "f AS (SELECT vehicle_id, MAX(date_in) AS last_visit" + loyal_cols
        + " FROM visit WHERE status <> 'cancelled' AND date_in <= :d" + inner_scope + " GROUP BY vehicle_id)")
    purchase = "CASE WHEN v.purchase_date <= :d THEN v.purchase_date END"
    since = f"GREATEST(f.last_visit, {purchase})"  # GREATEST skips nulls in Postgres
    # In the park from the purchase date, or the first visit: on the day asked about,
    # bought by then or seen by then (any visit on or before it).
    in_park = "(v.purchase_date <= :d OR f.last_visit IS NOT NULL)"
    if loyalty:
        visits, spend = "COALESCE(f.visits_w, 0)", "COALESCE(f.spend_w, 0)"
        klass = (
            f"CASE WHEN {since} >= r.active_since THEN (CASE"
            f" WHEN {spend} >= r.loyal_spend OR {visits} >= r.loyal_visits OR (r.ins AND {INSURED_HERE_EXISTS})"
            " THEN 'loyal'"
            f" WHEN r.rl AND ({spend} >= r.rl_spend OR {visits} >= r.rl_visits) THEN 'relatively_loyal'"
            " ELSE 'general' END)"
            f" WHEN {since} >= r.churn_since THEN 'at_risk' ELSE 'churned' END")
    else:
        klass = (f"CASE WHEN {since} >= r.active_since THEN 'active'"
                 f" WHEN {since} >= r.churn_since THEN 'at_risk' ELSE 'churned' END")
    select_dims = [f"{dim_sql[d]} AS {_name(d)}" for d in dims] + [f"{klass} AS klass"]
    if shared:
        select_dims = [_constants(x, next(iter(rules.items())), as_of, warranty_months) for x in select_dims]
    outer_scope, _ = in_list("v.store_id", store_ids)
    sql = (
        "WITH " + ", ".join(ctes)
        + " SELECT " + ", ".join(_name(d) for d in dims) + (", " if dims else "") + "klass, COUNT(*) FROM ("
        + "SELECT " + ", ".join(select_dims)
        + " FROM vehicle v" + ("" if shared else " JOIN r ON r.store_id = v.store_id")
        + " LEFT JOIN f ON f.vehicle_id = v.id" + joins
        + f" WHERE {in_park} AND (v.sold_on IS NULL OR v.sold_on > :d)" + outer_scope
        + ") p GROUP BY " + ", ".join(_name(d) for d in dims) + (", " if dims else "") + "klass"
    )
    return query_frame(session, sql, params, schema, many_rows=False)


def _constants(expr: str, store_rules: tuple[int, ClassRules], as_of: date, warranty_months: dict[int, int]) -> str:
    """``expr`` with the r.* columns of one shared rule set written in as constants."""
    sid, r = store_rules
    values = {
        "r.active_since": _date(r.active_since(as_of)), "r.churn_since": _date(r.churn_since(as_of)),
        "r.loyal_spend": str(int(r.loyal_spend_fen)), "r.loyal_visits": str(int(r.loyal_visits)),
        "r.rl_spend": str(int(r.relatively_loyal_spend_fen)), "r.rl_visits": str(int(r.relatively_loyal_visits)),
        "r.rl": "TRUE" if r.relatively_loyal else "FALSE", "r.w_months": str(int(warranty_months.get(sid, 36))),
        "r.ins": "TRUE" if r.loyal_includes_insured else "FALSE",
    }
    for name in sorted(values, key=len, reverse=True):  # r.rl_spend before r.rl
        expr = expr.replace(name, values[name])
    return expr


def _name(dim: str) -> str:
    return f"dim_{dim}"
