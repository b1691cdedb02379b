"""When each car's next maintenance 保养 is due, and how late it is.

| rule | setting (default) |
| --- | --- |
| first maintenance 首保: months after purchase, or km, whichever comes first | ``first_maintenance_months`` (3), ``first_maintenance_km`` (5000) |
| periodic maintenance 定期保养: months after the last one, or km after its reading | ``maintenance_interval_months`` (6), ``maintenance_interval_km`` (5000) |

- A maintenance is a visit of type ``first_maintenance`` or ``maintenance`` (not
  cancelled, on or before the date asked about). Until a car has had one, its
  first maintenance is what is due.
- The car's own mileage rate (km a day) comes from its readings: the mileage of
  each visit, and 0 km on the purchase date. Rate = (last reading - first reading)
  / days between them, once they span at least :data:`MIN_RATE_SPAN_DAYS`; until
  then only the months rule applies.
- The km rule's date is when the car reaches the target at that rate, counted from
  its last reading. The due date is the earlier of the two rules; days overdue is
  how many days the date asked about is past it (0 when not yet due).
- A car with neither a purchase date nor a maintenance on record has no due date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl
from sqlmodel import Session

from store.frames import in_list, query_frame
from store.settings import get_settings

MAINTENANCE_TYPES = ("first_maintenance", "maintenance")


def days_overdue(due_on: date, as_of: date) -> int:
    """Whole days past ``due_on`` on ``as_of`` (0 when not yet due): the one count the
    profile, the call list and the care calendar show (:func:`due_frame` computes the
    same for a whole park in one expression)."""
    return max(0, (as_of - due_on).days)
MIN_RATE_SPAN_DAYS = 30


@dataclass
class Due:
    vehicle_id: int
    due_on: date | None
    kind: str | None  # first | periodic
    basis: str | None  # months | km: which rule made the date
    reason_zh: str
    reason_en: str
    days_overdue: int
    km_rate_per_day: float | None
    last_maintenance_on: date | None
    last_maintenance_km: int | None
    estimated_km: int | None  # today's mileage at that rate
    due_by_months: date | None
    due_by_km: date | None

    @property
    def reason(self) -> str:
        return self.reason_zh

    def as_dict(self) -> dict:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.__dict__.items()}


_VISIT_SCHEMA = {"vehicle_id": pl.Int64, "date_in": pl.Date, "mileage": pl.Int64, "is_maint": pl.Int64}
_VEH_SCHEMA = {"vehicle_id": pl.Int64, "store_id": pl.Int64, "purchase_date": pl.Date}


def _load(session: Session, *, as_of: date, store_ids: list[int] | None, vehicle_ids: list[int] | None):
    ws, ps = in_list("v.store_id", store_ids, "s")
    wv, pv = in_list("v.id", vehicle_ids, "v")
    vehicles = query_frame(session, "SELECT v.id, v.store_id, v.purchase_date FROM vehicle v WHERE 1 = 1" + ws + wv,
                           ps | pv, _VEH_SCHEMA)
    types = ", ".join(f"'{t}'" for t in MAINTENANCE_TYPES)
    visits = query_frame(
        session,
        f"SELECT t.vehicle_id, t.date_in, t.mileage, CASE WHEN t.repair_type IN ({types}) THEN 1 ELSE 0 END"
        " FROM visit t JOIN vehicle v ON v.id = t.vehicle_id"
        " WHERE t.status <> 'cancelled' AND t.date_in <= :d" + ws + wv,
        {"d": as_of} | ps | pv, _VISIT_SCHEMA,
    )
    return vehicles, visits


def _store_rules(session: Session, store_ids) -> pl.DataFrame:
    rows = []
    for sid in store_ids:
        s = get_settings(session, store_id=int(sid))
        rows.append({"store_id": int(sid), "_first_months": int(s["first_maintenance_months"]),
                     "_first_km": int(s["first_maintenance_km"]), "_int_months": int(s["maintenance_interval_months"]),
                     "_int_km": int(s["maintenance_interval_km"])})
    return pl.DataFrame(rows, schema={"store_id": pl.Int64, "_first_months": pl.Int64, "_first_km": pl.Int64,
                                      "_int_months": pl.Int64, "_int_km": pl.Int64})


def due_frame(vehicles: pl.DataFrame, visits: pl.DataFrame, rules: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """One row per vehicle with its due date; the rules in one place for every caller."""
    d = pl.lit(as_of, dtype=pl.Date)
    maint = (
        visits.filter(pl.col("is_maint") == 1)
        .sort(["vehicle_id", "date_in", "mileage"], nulls_last=False)
        .group_by("vehicle_id")
        .agg(last_maintenance_on=pl.col("date_in").last(), last_maintenance_km=pl.col("mileage").last())
    )
    purchase_readings = vehicles.filter(pl.col("purchase_date").is_not_null() & (pl.col("purchase_date") <= d)).select(
        "vehicle_id", pl.col("purchase_date").alias("date_in"), pl.lit(0, dtype=pl.Int64).alias("mileage")
    )
    readings = pl.concat([
        purchase_readings,
        visits.filter(pl.col("mileage").is_not_null() & (pl.col("mileage") > 0)).select("vehicle_id", "date_in", "mileage"),
    ])
    rate = (
        readings.sort(["vehicle_id", "date_in", "mileage"])
        .group_by("vehicle_id")
        .agg(
            _d0=pl.col("date_in").first(), _k0=pl.col("mileage").first(),
            last_reading_on=pl.col("date_in").last(), last_reading_km=pl.col("mileage").last(),
        )
        .with_columns(_span=(pl.col("last_reading_on") - pl.col("_d0")).dt.total_days())
        .with_columns(
            km_rate_per_day=pl.when((pl.col("_span") >= MIN_RATE_SPAN_DAYS) & (pl.col("last_reading_km") > pl.col("_k0")))
            .then((pl.col("last_reading_km") - pl.col("_k0")) / pl.col("_span"))
        )
        .select("vehicle_id", "km_rate_per_day", "last_reading_on", "last_reading_km")
    )
    df = (
        vehicles.join(rules, on="store_id", how="left")
        .join(maint, on="vehicle_id", how="left")
        .join(rate, on="vehicle_id", how="left")
    )
    first = pl.col("last_maintenance_on").is_null()
    months_base = pl.when(first).then(pl.col("purchase_date")).otherwise(pl.col("last_maintenance_on"))
    months = pl.when(first).then(pl.col("_first_months")).otherwise(pl.col("_int_months"))
    target_km = pl.when(first).then(pl.col("_first_km")).otherwise(pl.col("last_maintenance_km") + pl.col("_int_km"))
    df = df.with_columns(
        kind=pl.when(first & pl.col("purchase_date").is_null()).then(None)
        .when(first).then(pl.lit("first")).otherwise(pl.lit("periodic")),
        target_km=target_km,
        due_by_months=months_base.dt.offset_by(pl.format("{}mo", months)),
    )
    km_days = ((pl.col("target_km") - pl.col("last_reading_km")) / pl.col("km_rate_per_day")).ceil().cast(pl.Int64)
    due_by_km = pl.col("last_reading_on") + pl.duration(days=km_days)
    # A km date never falls before the maintenance it counts from.
    floor = pl.coalesce(pl.col("last_maintenance_on"), pl.col("purchase_date"))
    df = df.with_columns(
        due_by_km=pl.when(pl.col("km_rate_per_day").is_not_null() & pl.col("target_km").is_not_null())
        .then(pl.max_horizontal(due_by_km, floor))
    )
    df = df.with_columns(
        due_on=pl.min_horizontal("due_by_months", "due_by_km"),
    ).with_columns(
        basis=pl.when(pl.col("due_on").is_null()).then(None)
        .when(pl.col("due_by_km").is_not_null() & (pl.col("due_by_km") < pl.col("due_by_months").fill_null(date.max)))
        .then(pl.lit("km")).otherwise(pl.lit("months")),
        days_overdue=pl.max_horizontal((d - pl.col("due_on")).dt.total_days(), pl.lit(0)).fill_null(0),
        estimated_km=pl.when(pl.col("km_rate_per_day").is_not_null())
        .then(pl.col("last_reading_km") + pl.col("km_rate_per_day") * (d - pl.col("last_reading_on")).dt.total_days())
        .otherwise(pl.col("last_reading_km")).round(0).cast(pl.Int64),
        months_rule=months,
    )
    return df


def maintenance_due_all(session: Session, *, as_of: date, store_ids: list[int] | None = None,
                        vehicle_ids: list[int] | None = None) -> pl.DataFrame:
    """Due dates of every vehicle (of these stores or these vehicles), as a polars
    frame: vehicle_id, store_id, kind, due_on, basis, days_overdue, km_rate_per_day,
    last_maintenance_on, last_maintenance_km, estimated_km, due_by_months, due_by_km,
    target_km, months_rule."""
    vehicles, visits = _load(session, as_of=as_of, store_ids=store_ids, vehicle_ids=vehicle_ids)
    rules = _store_rules(session, vehicles["store_id"].unique().to_list())
    return due_frame(vehicles, visits, rules, as_of).select(
        "vehicle_id", "store_id", "kind", "due_on", "basis", "days_overdue", "km_rate_per_day",
        "last_maintenance_on", "last_maintenance_km", "estimated_km", "due_by_months", "due_by_km", "target_km",
        "months_rule", "purchase_date",
    )


def _describe(row: dict) -> tuple[str, str]:
    due, kind, basis = row["due_on"], row["kind"], row["basis"]
    if due is None:
        return "没有购车日期和保养记录，无法推算", "no purchase date or maintenance on record"
    rate = row["km_rate_per_day"]
    late_en = f", {row['days_overdue']} days overdue" if row["days_overdue"] else ""
    late_zh = f"，已逾期 {row['days_overdue']} 天" if row["days_overdue"] else ""
    if kind == "first":
        what_en, what_zh = "first maintenance", "首保"
        if basis == "km":
            why_en = f"{row['target_km']:,} km at about {rate:.0f} km a day"
            why_zh = f"按日均约 {rate:.0f} 公里，将达 {row['target_km']:,} 公里"
        else:
            why_en = f"{row['months_rule']} months after purchase on {row['purchase_date']}"
            why_zh = f"购车（{row['purchase_date']}）后 {row['months_rule']} 个月"
    else:
        what_en, what_zh = "maintenance", "保养"
        last = row["last_maintenance_on"]
        if basis == "km":
            step = row["target_km"] - (row["last_maintenance_km"] or 0)
            why_en = (f"{step:,} km since the last at {row['last_maintenance_km']:,} km on {last}, "
                      f"at about {rate:.0f} km a day")
            why_zh = f"上次保养（{last}，{row['last_maintenance_km']:,} 公里）后 {step:,} 公里，日均约 {rate:.0f} 公里"
        else:
            why_en = f"{row['months_rule']} months since the last on {last}"
            why_zh = f"上次保养（{last}）后 {row['months_rule']} 个月"
    return f"{what_zh}应于 {due} 到期：{why_zh}{late_zh}", f"{what_en} due {due}: {why_en}{late_en}"


def _due(row: dict) -> Due:
    zh, en = _describe(row)
    rate = row["km_rate_per_day"]
    return Due(
        vehicle_id=row["vehicle_id"], due_on=row["due_on"], kind=row["kind"], basis=row["basis"],
        reason_zh=zh, reason_en=en, days_overdue=int(row["days_overdue"] or 0),
        km_rate_per_day=round(rate, 1) if rate is not None else None,
        last_maintenance_on=row["last_maintenance_on"], last_maintenance_km=row["last_maintenance_km"],
        estimated_km=row["estimated_km"], due_by_months=row["due_by_months"], due_by_km=row["due_by_km"],
    )


def maintenance_due_many(session: Session, vehicle_ids: list[int], *, as_of: date) -> dict[int, Due]:
    if not vehicle_ids:
        return {}
    df = maintenance_due_all(session, as_of=as_of, vehicle_ids=list(vehicle_ids))
    return {row["vehicle_id"]: _due(row) for row in df.iter_rows(named=True)}


def maintenance_due(session: Session, vehicle_id: int, *, as_of: date) -> Due | None:
    """When this car's next maintenance is due as of ``as_of``, why, and how late it is."""
    return maintenance_due_many(session, [vehicle_id], as_of=as_of).get(vehicle_id)
