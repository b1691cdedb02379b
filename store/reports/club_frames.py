"""The member club's ledgers as polars frames, for the monthly reports: memberships
with the rule that says whether one is in force on a day, the expiries that fell due,
and the tier discount on each member's visit. The same rules as
:mod:`store.members` (``_in_force``, ``tier_for_ro``, ``member_bill``), done for every
member at once instead of one customer at a time."""

from __future__ import annotations

from datetime import date, datetime, time

import polars as pl
from sqlmodel import Session

from store.frames import in_list, query_frame
from store.settings import get_settings

MEMBERSHIP_SCHEMA = {
    "membership_id": pl.Int64, "store_id": pl.Int64, "customer_id": pl.Int64, "scheme": pl.String,
    "tier_code": pl.String, "status": pl.String, "started_on": pl.Date, "expires_on": pl.Date, "ended_on": pl.Date,
    "stored_value_fen": pl.Int64, "zero_balance_since": pl.Date,
}


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min)


def day_of(session: Session, column: str) -> str:
    """SQL for a timestamp column's day: Postgres casts; SQLite's ISO text is cut to
    its date when read (:func:`store.frames.query_frame`)."""
    return f"CAST({column} AS DATE)" if session.get_bind().dialect.name == "postgresql" else column


def store_rules(session: Session, store_ids: list[int]) -> dict[int, dict]:
    return {sid: get_settings(session, store_id=sid) for sid in store_ids}


def scoped_store_ids(session: Session, store_ids: list[int] | None) -> list[int]:
    if store_ids is not None:
        return list(store_ids)
    return query_frame(session, "SELECT id FROM store", None, {"id": pl.Int64})["id"].to_list()


def memberships(session: Session, *, store_ids: list[int] | None, rules: dict[int, dict]) -> pl.DataFrame:
    """Every membership of these stores, with its store's stored-value lapse months."""
    clause, params = in_list("store_id", store_ids)
    df = query_frame(
        session,
        "SELECT id, store_id, customer_id, scheme, tier_code, status, started_on, expires_on, ended_on,"
        " stored_value_fen, zero_balance_since FROM membership WHERE 1 = 1" + clause,
        params, MEMBERSHIP_SCHEMA, many_rows=False,
    )
    lapse = pl.DataFrame({"store_id": list(rules),
                          "lapse_months": [int(r["stored_value_lapse_months"]) for r in rules.values()]},
                         schema={"store_id": pl.Int64, "lapse_months": pl.Int64})
    return df.join(lapse, on="store_id", how="left")


def in_force(day: pl.Expr) -> pl.Expr:
    """Whether a membership row is in force on ``day`` (store.members._in_force): from
    its start, before it ended, not past an annual fee's expiry (``expires_asof`` when
    the frame has it, see :func:`with_expiry_asof`), and not past the day stored value
    lapses (zero for ``stored_value_lapse_months``; read from the balance as it is now,
    the only record of it)."""
    lapse_day = pl.col("zero_balance_since").dt.offset_by(pl.format("{}mo", pl.col("lapse_months")))
    stored_lapsed = (pl.col("scheme").is_in(["stored", "both"]) & (pl.col("stored_value_fen") == 0)
                     & pl.col("zero_balance_since").is_not_null() & (day >= lapse_day))
    past_expiry = (pl.col("scheme").is_in(["annual", "both"]) & pl.col("expires_asof").is_not_null()
                   & (day > pl.col("expires_asof")))
    return ((day >= pl.col("started_on")) & (pl.col("ended_on").is_null() | (day < pl.col("ended_on")))
            & ~past_expiry.fill_null(False) & ~stored_lapsed.fill_null(False))


def with_expiry_asof(pairs: pl.DataFrame, events: pl.DataFrame, day: str) -> pl.DataFrame:
    """Add ``expires_asof``: the expiry in force on each row's ``day``, the one the last
    join or renewal up to that day set (a renewal moves the membership's own expiry, so
    on a day in the grace period before it the old expiry still held); without events,
    the membership's own."""
    sets = (events.filter(pl.col("kind").is_in(["join", "renew"]) & pl.col("expires_on").is_not_null())
            .sort("happened_on", "event_id").group_by("membership_id", "happened_on")
            .agg(pl.col("expires_on").last().alias("_set_expiry")).sort("happened_on"))
    out = pairs.sort(day).join_asof(sets, left_on=day, right_on="happened_on", by="membership_id",
                                    strategy="backward", check_sortedness=False)  # both sorted just above
    return out.with_columns(expires_asof=pl.coalesce("_set_expiry", "expires_on")).drop("_set_expiry", "happened_on")


def members_in_force(mem: pl.DataFrame, events: pl.DataFrame, day: date) -> int:
    """Customers with a membership in force on ``day``."""
    if mem.is_empty():
        return 0
    at = with_expiry_asof(mem.with_columns(_day=pl.lit(day, dtype=pl.Date)), events, "_day")
    return at.filter(in_force(pl.col("_day")))["customer_id"].n_unique()


def membership_events(session: Session, *, store_ids: list[int] | None, kinds: tuple[str, ...]) -> pl.DataFrame:
    clause, params = in_list("m.store_id", store_ids)
    names = ", ".join(f"'{k}'" for k in kinds)
    return query_frame(
        session,
        "SELECT e.id, e.membership_id, m.store_id, e.kind, e.happened_on, e.expires_on, e.fee_fen, e.tier_code,"
        " e.visit_id"
        " FROM membershipevent e JOIN membership m ON m.id = e.membership_id"
        f" WHERE e.kind IN ({names})" + clause,
        params,
        {"event_id": pl.Int64, "membership_id": pl.Int64, "store_id": pl.Int64, "kind": pl.String,
         "happened_on": pl.Date, "expires_on": pl.Date, "fee_fen": pl.Int64, "tier_code": pl.String,
         "visit_id": pl.Int64},
        many_rows=False,
    )


def renewals(mem: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """Every expiry an annual fee reached or will reach, one row each: membership,
    ``due_on`` (the expiry), ``renewed`` (a renewal took it past that day).

    The expiries are those the join and each renewal set, and the membership's own
    (a membership recorded without events has only that one). A membership that ended
    (left, or its stored value lapsed) on or before an expiry was not due then."""
    fee_schemes = mem.filter(pl.col("scheme").is_in(["annual", "both"]))
    from_events = events.filter(pl.col("kind").is_in(["join", "renew"]) & pl.col("expires_on").is_not_null()).select(
        "membership_id", pl.col("expires_on").alias("due_on"))
    own = fee_schemes.filter(pl.col("expires_on").is_not_null()).select(
        "membership_id", pl.col("expires_on").alias("due_on"))
    due = pl.concat([from_events, own]).unique().join(
        fee_schemes.select("membership_id", "customer_id", "ended_on"), on="membership_id", how="inner")
    due = due.filter(pl.col("ended_on").is_null() | (pl.col("ended_on") > pl.col("due_on")))
    latest = events.filter(pl.col("kind") == "renew").group_by("membership_id").agg(
        pl.col("expires_on").max().alias("_renewed_to"))
    return due.join(latest, on="membership_id", how="left").with_columns(
        renewed=pl.col("_renewed_to").is_not_null() & (pl.col("_renewed_to") > pl.col("due_on")),
    ).drop("_renewed_to", "ended_on")


def moment(day: pl.Expr, visit_id: pl.Expr) -> pl.Expr:
    """(day, visit id) as one sortable integer: the order of store.members.tier_for_ro."""
    return day.cast(pl.Int64) * (1 << 40) + visit_id.cast(pl.Int64)


def member_discounts(session: Session, *, mem: pl.DataFrame, store_ids: list[int] | None, until: date) -> pl.DataFrame:
    """The tier discount 会员折扣 on each member's visit up to ``until`` (by date in), as
    the member bill counts it: the customer's latest membership in force on the day
    (settlement day, else date in), the tier in force when the RO was settled
    (store.members.tier_for_ro, else the membership's tier), amount x
    (100 - discount_pct)%, rounded half up to the fen. Columns: visit_id, store_id (the membership's), date_in, discount_fen."""
    empty = pl.DataFrame(schema={"visit_id": pl.Int64, "store_id": pl.Int64, "date_in": pl.Date,
                                 "discount_fen": pl.Int64})
    if mem.is_empty():
        return empty
    clause, params = in_list("store_id", store_ids)
    visits = query_frame(
        session,
        "SELECT vi.id, v.customer_id, vi.date_in, COALESCE(vi.settled_on, vi.date_in), vi.total_fen"
        " FROM visit vi JOIN vehicle v ON v.id = vi.vehicle_id"
        " WHERE vi.status <> 'cancelled' AND vi.total_fen > 0 AND vi.date_in >= :lo AND vi.date_in <= :hi"
        " AND v.customer_id IN (SELECT customer_id FROM membership WHERE 1 = 1" + clause + ")",
        {"lo": mem["started_on"].min(), "hi": until} | params,
        {"visit_id": pl.Int64, "customer_id": pl.Int64, "date_in": pl.Date, "day": pl.Date, "total_fen": pl.Int64},
    )
    if visits.is_empty():
        return empty
    changes = membership_events(session, store_ids=store_ids, kinds=("join", "renew", "upgrade", "downgrade",
                                                                    "lapse", "leave"))
    # The latest membership in force that day, as the member bill picks it.
    pairs = with_expiry_asof(visits.join(mem, on="customer_id", how="inner"), changes, "day")
    pairs = (pairs.filter(in_force(pl.col("day")))
             .group_by("visit_id").agg(pl.all().sort_by("membership_id").last()))
    if pairs.is_empty():
        return empty
    # store.members.tier_for_ro: ROs in order of (settlement day, visit id); a change caused
    # by an RO stands at (that RO's day, its id) and counts for the ROs after it; any
    # other change at (its day, 0), before every RO of the day.
    changes = (changes.filter(pl.col("tier_code").is_not_null())
               .with_columns(_at=moment(pl.col("happened_on"), pl.col("visit_id").fill_null(0)))
               .sort("_at", "event_id").group_by("membership_id", "_at")
               .agg(pl.col("tier_code").last().alias("_event_tier"))
               .sort("_at"))
    pairs = pairs.with_columns(_at=moment(pl.col("day"), pl.col("visit_id"))).sort("_at").join_asof(
        changes, on="_at", by="membership_id", strategy="backward", allow_exact_matches=False,
        check_sortedness=False)  # both sorted just above
    clause, params = in_list("store_id", store_ids)
    tiers = query_frame(session, "SELECT store_id, code, discount_pct FROM tier WHERE 1 = 1" + clause, params,
                        {"store_id": pl.Int64, "_code": pl.String, "discount_pct": pl.Int64}, many_rows=False)
    pairs = pairs.with_columns(_code=pl.coalesce("_event_tier", "tier_code")).join(
        tiers, on=["store_id", "_code"], how="inner")
    off = pl.col("total_fen") * (100 - pl.col("discount_pct"))
    return pairs.filter(pl.col("discount_pct") < 100).select(
        "visit_id", "store_id", "date_in", ((off + 50) // 100).cast(pl.Int64).alias("discount_fen"))
