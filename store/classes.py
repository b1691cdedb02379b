"""Customer classes 客户分类, per vehicle as of a date, from its visit history.

| code | Chinese | rule (defaults; every number is a store setting ``class_*``) |
| --- | --- | --- |
| loyal | 忠诚客户 | returned within 3 months, and in the last 12 months spent ≥ 4000 yuan or came ≥ 4 times |
| relatively_loyal | 相对忠诚客户 | only where the store turns it on: returned within 3 months, not loyal, ≥ 2000 yuan or ≥ 3 visits |
| general | 一般客户 | returned within 3 months, not loyal (new cars land here in their first months) |
| at_risk | 将流失客户 | last return more than 3 months ago, at most 6 |
| churned | 流失客户 | no return for more than 6 months |

Precisely, for a date D (``as_of``):

- Months are calendar months (:mod:`store.dates`): "returned within 3 months" means
  the last return is on or after D minus 3 calendar months (so a visit exactly 3
  months ago still counts as returned within 3 months, and one exactly 6 months ago
  is at risk, not churned).
- The last return is the later of the last visit on or before D (cancelled repair
  orders do not count) and the purchase date: a car that never came back counts from
  its purchase date, and a visit dated before the sale (a pre-delivery job) does not
  make a new car look absent.
- "In the last 12 months" is D minus 12 calendar months up to D, both days included.
  Spend is every repair order's total (repair, accessories, insurance jobs alike);
  visits are the days the car came in (two repair orders on one day are one visit).
- Insurance renewal customers count with the loyal ones (忠诚客户(含续保客户)): with
  the store setting ``class_loyal_includes_insured`` (default on, the training's
  rule), a car insured through the store on D (a policy the store sold, 本店出单,
  its cover running on D; a renewal with us told on the phone counts too) meets the
  loyalty test as spend or visits would. It must still have returned within the
  active months: insurance is a reason to count a returning customer as loyal,
  not a visit to the workshop, so at risk and churned stay as they are.
- A vehicle is in the park on D from its purchase date (or, without one, its first
  visit) until the day it is sold (``sold_on``). A vehicle with neither a purchase
  date nor a visit on record has no class (``unknown``) and is left out of reports.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING

from sqlalchemy import Date, bindparam, text

from store.dates import add_months, whole_months_between
from store.db import as_connection
from store.settings import get_settings

if TYPE_CHECKING:
    from sqlmodel import Session
    import polars as pl

# polars (and store.frames, which reads into it) is imported inside the frame
# functions below: the counter's lookup classifies its fifty rows with
# classify_facts and lookup_classes, which need no frame, and a bare lookup should
# not pay polars' import.

CLASSES: dict[str, tuple[str, str]] = {
    "loyal": ("忠诚客户", "loyal"),
    "relatively_loyal": ("相对忠诚客户", "relatively loyal"),
    "general": ("一般客户", "general"),
    "at_risk": ("将流失客户", "at risk"),
    "churned": ("流失客户", "churned"),
}
UNKNOWN = "unknown"
ACTIVE = "active"  # loyal, relatively loyal or general, when the caller did not ask which
UNKNOWN_LABELS = ("未知", "unknown")
CLASS_ORDER = list(CLASSES)


@dataclass(frozen=True)
class ClassRules:
    active_months: int = 3
    churn_months: int = 6
    window_months: int = 12
    loyal_spend_fen: int = 400_000
    loyal_visits: int = 4
    relatively_loyal: bool = False
    relatively_loyal_spend_fen: int = 200_000
    relatively_loyal_visits: int = 3
    loyal_includes_insured: bool = True

    @classmethod
    def from_settings(cls, s: dict) -> ClassRules:
        return cls(
            active_months=int(s["class_active_months"]),
            churn_months=int(s["class_churn_months"]),
            window_months=int(s["class_window_months"]),
            loyal_spend_fen=round(float(s["class_loyal_spend_yuan"]) * 100),
            loyal_visits=int(s["class_loyal_visits"]),
            relatively_loyal=bool(s["class_relatively_loyal_enabled"]),
            relatively_loyal_spend_fen=round(float(s["class_relatively_loyal_spend_yuan"]) * 100),
            relatively_loyal_visits=int(s["class_relatively_loyal_visits"]),
            loyal_includes_insured=bool(s["class_loyal_includes_insured"]),
        )

    def active_since(self, as_of: date) -> date:
        return add_months(as_of, -self.active_months)

    def churn_since(self, as_of: date) -> date:
        return add_months(as_of, -self.churn_months)

    def window_start(self, as_of: date) -> date:
        return add_months(as_of, -self.window_months)


def rules_for(session: Session, store_id: int | None) -> ClassRules:
    return ClassRules.from_settings(get_settings(session, store_id=store_id))


@dataclass
class ClassResult:
    """A vehicle's class as of a day, with what it counts from. The labels and the
    reason in words are worked out when asked for: the counter classifies fifty
    cars a keypress and shows the words of one."""

    vehicle_id: int
    code: str
    visits_12m: int
    spend_12m_fen: int
    last_visit: date | None = None  # the last visit on or before as_of
    since: date | None = None  # what the class counts from: last visit or purchase date
    window_months: int = 12
    as_of: date | None = None
    insured_here: bool = False  # insured through the store on as_of (counted loyal where the store says so)

    @property
    def label_zh(self) -> str:
        return CLASSES.get(self.code, UNKNOWN_LABELS)[0]

    @property
    def label_en(self) -> str:
        return CLASSES.get(self.code, UNKNOWN_LABELS)[1]

    @property
    def label(self) -> str:
        return self.label_zh

    @cached_property
    def months_since_last_visit(self) -> int | None:
        return None if self.since is None else whole_months_between(self.since, self.as_of)

    @cached_property
    def _reasons(self) -> tuple[str, str]:
        if self.since is None:
            return "没有购车日期和来店记录", "no purchase date and no visit on record"
        months, days = self.months_since_last_visit, (self.as_of - self.since).days
        visits, spend, window = self.visits_12m, self.spend_12m_fen, self.window_months
        tail_en = f"{visits} visit{'s' if visits != 1 else ''}, {_yuan(spend)} in {window} months"
        tail_zh = f"{window}个月内来店 {visits} 次，消费 {_yuan(spend)}"
        if self.last_visit is None or self.since > self.last_visit:
            # Never back since the purchase (or the last visit predates the sale).
            head_en, head_zh = f"no visit since purchase {_ago_en(months, days)}", f"购车后未回厂（购车 {_ago_zh(months, days)}）"
        else:
            head_en, head_zh = f"last visit {_ago_en(months, days)}", f"最近来店 {_ago_zh(months, days)}"
        if self.insured_here:
            tail_zh, tail_en = f"{tail_zh}；本店承保", f"{tail_en}; insured with us"
        return f"{head_zh}；{tail_zh}", f"{head_en}; {tail_en}"

    @property
    def reason_zh(self) -> str:
        return self._reasons[0]

    @property
    def reason_en(self) -> str:
        return self._reasons[1]

    def as_dict(self) -> dict:
        return {
            "code": self.code, "label_zh": self.label_zh, "label_en": self.label_en,
            "reason_zh": self.reason_zh, "reason_en": self.reason_en,
            "months_since_last_visit": self.months_since_last_visit, "visits_12m": self.visits_12m,
            "spend_12m_fen": self.spend_12m_fen,
            "last_visit": self.last_visit.isoformat() if self.last_visit else None,
            "insured_here": self.insured_here,
        }


# --- facts per vehicle, pushed down to SQL --------------------------------------

def fact_schema() -> dict[str, pl.DataType]:
    """The columns of :func:`vehicle_facts` and their polars types."""
    import polars as pl

    return {
        "vehicle_id": pl.Int64, "store_id": pl.Int64, "customer_id": pl.Int64, "purchase_date": pl.Date,
        "sold_on": pl.Date, "first_visit": pl.Date, "last_visit": pl.Date, "visits_w": pl.Int64, "spend_w": pl.Int64,
        "insured_here": pl.Int64,
    }


# Whether the car (v) is insured through the store on :d: a policy the store sold whose cover runs on the day.
INSURED_HERE_EXISTS = ("EXISTS (SELECT 1 FROM insurancepolicy p WHERE p.vehicle_id = v.id AND p.sold_by_store"
                       " AND p.end_on >= :d AND (p.start_on IS NULL OR p.start_on <= :d))")
INSURED_HERE_SQL = f"CASE WHEN {INSURED_HERE_EXISTS} THEN 1 ELSE 0 END"


def vehicle_facts(session: Session, *, as_of: date, window_start: date, store_ids: list[int] | None = None,
                  vehicle_ids: list[int] | None = None, extra: dict[str, tuple[str, pl.DataType]] | None = None,
                  loyalty: bool = True) -> pl.DataFrame:
    """One row per vehicle (of these stores, or these vehicles): id, store, owner,
    purchase and sale dates, and from its visits on or before ``as_of`` the first and
    last visit, the visit days and the spend from ``window_start`` on, whether it is
    insured through the store on ``as_of`` (``insured_here``, 0 without ``loyalty``);
    plus ``extra``
    columns given as {name: (SQL expression over v = vehicle, c = customer, dtype)}.

    The visits are reduced by one GROUP BY in the database and joined to the vehicles
    there, so one row per vehicle travels, once. Without ``loyalty`` the visit days and
    spend are left out (0): counting distinct days is the costly part, and churn needs
    only the dates."""
    from store.frames import in_list, query_frame

    extra = extra or {}
    where_s, p1 = in_list("v.store_id", store_ids, "s")
    where_v, p2 = in_list("v.id", vehicle_ids, "v")
    inner_v, _ = in_list("vehicle_id", vehicle_ids, "v")
    inner_s = ""
    if store_ids is not None:
        clause, _ = in_list("store_id", store_ids, "s")
        inner_s = " AND vehicle_id IN (SELECT id FROM vehicle WHERE 1 = 1" + clause + ")"
    cols = "".join(", " + expr for expr, _ in extra.values())
    sql = (
        "SELECT v.id, v.store_id, v.customer_id, v.purchase_date, v.sold_on,"
        " f.first_visit, f.last_visit, f.visits_w, f.spend_w, "
        + (INSURED_HERE_SQL if loyalty else "0") + " AS insured_here" + cols
        + " FROM vehicle v"
        + (" LEFT JOIN customer c ON c.id = v.customer_id" if any("c." in e for e, _ in extra.values()) else "")
        + " LEFT JOIN (SELECT vehicle_id, MIN(date_in) AS first_visit, MAX(date_in) AS last_visit,"
        + (" COUNT(DISTINCT CASE WHEN date_in >= :w THEN date_in END) AS visits_w,"
           " SUM(CASE WHEN date_in >= :w THEN total_fen ELSE 0 END) AS spend_w" if loyalty
           else " 0 AS visits_w, 0 AS spend_w")
        + " FROM visit WHERE status <> 'cancelled' AND date_in <= :d" + inner_v + inner_s
        + " GROUP BY vehicle_id) f ON f.vehicle_id = v.id"
        + " WHERE 1 = 1" + where_s + where_v
    )
    params = ({"w": window_start} if loyalty else {}) | {"d": as_of} | p1 | p2
    schema = fact_schema() | {name: dtype for name, (_, dtype) in extra.items()}
    return query_frame(session, sql, params, schema)


_LAST_VISIT_SQL = ("(SELECT max(date_in) FROM visit WHERE vehicle_id = v.id AND date_in <= :d"
                   " AND status <> 'cancelled')")
_LAST_SA_SQL = ("(SELECT sa_name FROM visit WHERE vehicle_id = v.id AND date_in <= :d AND status <> 'cancelled'"
                " ORDER BY date_in DESC, id DESC LIMIT 1)")


def last_return_facts(session: Session, *, as_of: date, store_ids: list[int] | None = None,
                      extra: dict[str, tuple[str, pl.DataType]] | None = None,
                      last_sa: bool = False) -> pl.DataFrame:
    """What the churn classes need and no more (SQLite): one row per vehicle not sold
    by ``as_of`` with its store, purchase date and last visit on or before ``as_of``
    (``extra`` as for :func:`vehicle_facts`; with ``last_sa`` the SA named on that
    last visit, latest repair order of the day, as ``last_sa``).

    Each last visit is one seek into ix_visit_vehicle_date (vehicle_id, date_in):
    SQLite answers a correlated max() from the index's end, reading no other visit,
    where :func:`vehicle_facts` groups all ten million of them. ``first_visit`` is not
    looked up: it reads the last visit, which tells the park the same (a visit on or
    before ``as_of``); visit days and spend read 0, as without ``loyalty``."""
    import polars as pl

    from store.frames import in_list, query_frame

    extra = extra or {}
    where_s, params = in_list("v.store_id", store_ids, "s")
    cols = "".join(", " + expr for expr, _ in extra.values())
    sql = (
        f"SELECT v.id, v.store_id, v.purchase_date, {_LAST_VISIT_SQL} AS last_visit"
        + (f", {_LAST_SA_SQL}" if last_sa else "") + cols
        + " FROM vehicle v"
        + (" LEFT JOIN customer c ON c.id = v.customer_id" if any("c." in e for e, _ in extra.values()) else "")
        + " WHERE (v.sold_on IS NULL OR v.sold_on > :d)" + where_s
    )
    schema = {"vehicle_id": pl.Int64, "store_id": pl.Int64, "purchase_date": pl.Date, "last_visit": pl.Date}
    if last_sa:
        schema["last_sa"] = pl.String
    schema |= {name: dtype for name, (_, dtype) in extra.items()}
    df = query_frame(session, sql, {"d": as_of} | params, schema)
    return df.with_columns(
        sold_on=pl.lit(None, dtype=pl.Date), first_visit=pl.col("last_visit"),
        visits_w=pl.lit(0, dtype=pl.Int64), spend_w=pl.lit(0, dtype=pl.Int64),
        insured_here=pl.lit(0, dtype=pl.Int64),
    )


def classified_active(session: Session, *, as_of: date, store_ids: list[int] | None = None,
                      extra: dict[str, tuple[str, pl.DataType]] | None = None,
                      last_sa: bool = False) -> pl.DataFrame:
    """:func:`classified` without ``loyalty`` (loyal and general read ``active``),
    from :func:`last_return_facts`: the vehicles not sold by ``as_of``, classified by
    the same :func:`classify_frame`."""
    import polars as pl

    from store.frames import query_frame

    if store_ids is not None:
        sids = list(store_ids)
    else:
        sids = query_frame(session, "SELECT id FROM store", None, {"store_id": pl.Int64})["store_id"].to_list()
    facts = last_return_facts(session, as_of=as_of, store_ids=store_ids, extra=extra, last_sa=last_sa)
    return classify_frame(facts, rules_by_store(session, sids), as_of, loyalty=False)


def classify_frame(facts: pl.DataFrame, rules: dict[int, ClassRules], as_of: date, *,
                   loyalty: bool = True) -> pl.DataFrame:
    """Add ``since`` (last return), ``in_park`` and ``class`` to a frame with
    vehicle_id, store_id, purchase_date, sold_on, first_visit, last_visit, visits_w,
    spend_w. ``rules`` maps store id to that store's rules. Without ``loyalty`` the
    classes returned within the active months are not told apart: they read ``active``."""
    import polars as pl

    store_rules = pl.DataFrame(
        {
            "store_id": list(rules),
            "_active": [r.active_since(as_of) for r in rules.values()],
            "_churn": [r.churn_since(as_of) for r in rules.values()],
            "_loyal_spend": [r.loyal_spend_fen for r in rules.values()],
            "_loyal_visits": [r.loyal_visits for r in rules.values()],
            "_rl": [r.relatively_loyal for r in rules.values()],
            "_rl_spend": [r.relatively_loyal_spend_fen for r in rules.values()],
            "_rl_visits": [r.relatively_loyal_visits for r in rules.values()],
            "_insured": [r.loyal_includes_insured for r in rules.values()],
            "window_months": [r.window_months for r in rules.values()],
        },
        schema={"store_id": pl.Int64, "_active": pl.Date, "_churn": pl.Date, "_loyal_spend": pl.Int64,
                "_loyal_visits": pl.Int64, "_rl": pl.Boolean, "_rl_spend": pl.Int64, "_rl_visits": pl.Int64,
                "_insured": pl.Boolean, "window_months": pl.Int64},
    )
    if "insured_here" not in facts.columns:
        facts = facts.with_columns(insured_here=pl.lit(0, dtype=pl.Int64))
    d = pl.lit(as_of, dtype=pl.Date)
    purchase = pl.when(pl.col("purchase_date") <= d).then(pl.col("purchase_date"))
    df = facts.join(store_rules, on="store_id", how="left").with_columns(
        pl.col("visits_w").fill_null(0), pl.col("spend_w").fill_null(0), pl.col("insured_here").fill_null(0),
        since=pl.max_horizontal(pl.col("last_visit"), purchase),
        _start=pl.min_horizontal(pl.col("purchase_date"), pl.col("first_visit")),
    )
    active = pl.col("since") >= pl.col("_active")
    loyal = ((pl.col("spend_w") >= pl.col("_loyal_spend")) | (pl.col("visits_w") >= pl.col("_loyal_visits"))
             | (pl.col("_insured") & (pl.col("insured_here") > 0)))
    rel = pl.col("_rl") & ((pl.col("spend_w") >= pl.col("_rl_spend")) | (pl.col("visits_w") >= pl.col("_rl_visits")))
    df = df.with_columns(
        in_park=pl.col("_start").is_not_null() & (pl.col("_start") <= d)
        & (pl.col("sold_on").is_null() | (pl.col("sold_on") > d)),
        **{
            "class": pl.when(pl.col("since").is_null()).then(pl.lit(UNKNOWN))
            .when(active & pl.lit(not loyalty)).then(pl.lit(ACTIVE))
            .when(active & loyal).then(pl.lit("loyal"))
            .when(active & rel).then(pl.lit("relatively_loyal"))
            .when(active).then(pl.lit("general"))
            .when(pl.col("since") >= pl.col("_churn")).then(pl.lit("at_risk"))
            .otherwise(pl.lit("churned"))
        },
    )
    return df.drop([c for c in df.columns if c.startswith("_")])


def rules_by_store(session: Session, store_ids) -> dict[int, ClassRules]:
    return {int(sid): rules_for(session, int(sid)) for sid in store_ids}


def classified(session: Session, *, as_of: date, store_ids: list[int] | None = None,
               vehicle_ids: list[int] | None = None,
               extra: dict[str, tuple[str, pl.DataType]] | None = None, loyalty: bool = True) -> pl.DataFrame:
    """Every vehicle (of these stores, or these vehicles) with its class as of ``as_of``
    (see :func:`classify_frame` for ``loyalty``)."""
    import polars as pl

    from store.frames import in_list, query_frame, tune_for_analytics

    if store_ids is not None:
        sids = list(store_ids)
    elif vehicle_ids is not None:
        clause, params = in_list("id", vehicle_ids, "v")
        sids = query_frame(session, "SELECT DISTINCT store_id FROM vehicle WHERE 1 = 1" + clause, params,
                           {"store_id": pl.Int64})["store_id"].to_list()
    else:
        sids = query_frame(session, "SELECT id FROM store", None, {"store_id": pl.Int64})["store_id"].to_list()
    if vehicle_ids is None:
        tune_for_analytics(session)
    rules = rules_by_store(session, sids)
    # One query per distinct window (stores almost always share one).
    windows: dict[date, list[int]] = defaultdict(list)
    for sid, r in rules.items():
        windows[r.window_start(as_of)].append(sid)
    parts = []
    for start, group in windows.items():
        scope = group if store_ids is not None or len(windows) > 1 else None
        parts.append(vehicle_facts(session, as_of=as_of, window_start=start, store_ids=scope, vehicle_ids=vehicle_ids,
                                   extra=extra, loyalty=loyalty))
    if not parts:
        schema = fact_schema() | {name: dtype for name, (_, dtype) in (extra or {}).items()}
        parts = [pl.DataFrame(schema=schema)]
    facts = pl.concat(parts) if len(parts) > 1 else parts[0]
    return classify_frame(facts, rules, as_of, loyalty=loyalty)


# --- one vehicle, in words -------------------------------------------------------


def _yuan(fen: int) -> str:
    return f"¥{fen // 100:,}" if fen % 100 == 0 else f"¥{fen / 100:,.2f}"


def _ago_en(months: int, days: int) -> str:
    if days == 0:
        return "today"
    if months == 0:
        return f"{days} day{'s' if days != 1 else ''} ago"
    return f"{months} month{'s' if months != 1 else ''} ago"


def _ago_zh(months: int, days: int) -> str:
    if days == 0:
        return "今天"
    if months == 0:
        return f"{days} 天前"
    return f"{months} 个月前"


def describe(row: dict, as_of: date, window_months: int) -> ClassResult:
    code = row["class"] if row["since"] is not None else UNKNOWN
    return ClassResult(
        vehicle_id=row["vehicle_id"], code=code, visits_12m=int(row["visits_w"] or 0),
        spend_12m_fen=int(row["spend_w"] or 0), last_visit=row["last_visit"] if row["since"] is not None else None,
        since=row["since"], window_months=window_months, as_of=as_of, insured_here=bool(row.get("insured_here")),
    )


def vehicle_classes(session: Session, vehicle_ids: list[int], *, as_of: date) -> dict[int, ClassResult]:
    """Class and reason of each of these vehicles as of ``as_of``."""
    if not vehicle_ids:
        return {}
    df = classified(session, as_of=as_of, vehicle_ids=list(vehicle_ids))
    return {row["vehicle_id"]: describe(row, as_of, row["window_months"]) for row in df.iter_rows(named=True)}


def vehicle_class(session: Session, vehicle_id: int, *, as_of: date) -> ClassResult | None:
    """The class of one vehicle as of ``as_of``, with its reason in words; None if
    there is no such vehicle."""
    return vehicle_classes(session, [vehicle_id], as_of=as_of).get(vehicle_id)


def class_code(*, since: date | None, visits_w: int, spend_w: int, rules: ClassRules, as_of: date,
               active_since: date | None = None, churn_since: date | None = None, insured_here: bool = False) -> str:
    """The rule of :func:`classify_frame` for one vehicle, without a frame (the
    border dates may come precomputed when many cars share them)."""
    if since is None:
        return UNKNOWN
    if since >= (active_since or rules.active_since(as_of)):
        if (spend_w >= rules.loyal_spend_fen or visits_w >= rules.loyal_visits
                or (insured_here and rules.loyal_includes_insured)):
            return "loyal"
        if rules.relatively_loyal and (
            spend_w >= rules.relatively_loyal_spend_fen or visits_w >= rules.relatively_loyal_visits
        ):
            return "relatively_loyal"
        return "general"
    if since >= (churn_since or rules.churn_since(as_of)):
        return "at_risk"
    return "churned"


# The facts of a page of lookup rows in one indexed statement: the counter classifies
# fifty cars per keypress, where a frame pipeline costs more than the query itself.
_LOOKUP_FACTS_SQL = text(
    """
    SELECT v.id AS vehicle_id, v.store_id, v.purchase_date, f.last_visit, f.visits_w, f.spend_w,
      """ + INSURED_HERE_SQL + """ AS insured_here
    FROM vehicle v LEFT JOIN (
      SELECT vehicle_id, max(date_in) AS last_visit,
        count(DISTINCT CASE WHEN date_in >= :w THEN date_in END) AS visits_w,
        sum(CASE WHEN date_in >= :w THEN total_fen ELSE 0 END) AS spend_w
      FROM visit WHERE vehicle_id IN :ids AND status <> 'cancelled' AND date_in <= :d
      GROUP BY vehicle_id
    ) f ON f.vehicle_id = v.id
    WHERE v.id IN :ids
    """
).bindparams(bindparam("ids", expanding=True)).columns(purchase_date=Date, last_visit=Date)

# Rules per store for the lookup, kept a few seconds: reading every class setting on
# each keypress cost as much as the query. A setting changed here is seen at once
# (set_setting bumps the generation); one changed at another counter within seconds.
_RULES_TTL_S = 5.0
_rules_cache: dict[tuple[str, int], tuple[float, int, ClassRules]] = {}


def _cached_rules(session: Session, store_id: int) -> ClassRules:
    import time

    from store.settings import generation

    key = (str(as_connection(session).engine.url), store_id)
    hit = _rules_cache.get(key)
    now = time.monotonic()
    if hit and now - hit[0] < _RULES_TTL_S and hit[1] == generation():
        return hit[2]
    rules = rules_for(session, store_id)
    _rules_cache[key] = (now, generation(), rules)
    return rules


_first_store_cache: dict[str, tuple[float, int | None]] = {}


def _first_store_id(session: Session) -> int | None:
    """The first store's id, kept as long as the rules are (stores are rarely added)."""
    import time

    key, now = str(as_connection(session).engine.url), time.monotonic()
    hit = _first_store_cache.get(key)
    if hit and hit[1] is not None and now - hit[0] < _RULES_TTL_S:
        return hit[1]
    first = as_connection(session).execute(text("SELECT min(id) FROM store")).scalar()
    _first_store_cache[key] = (now, first)
    return first


def default_window_start(session: Session, as_of: date) -> date:
    """The loyalty window's first day for the first store (every store, almost always)."""
    first = _first_store_id(session)
    return _cached_rules(session, first).window_start(as_of) if first is not None else add_months(as_of, -12)


def classify_facts(session: Session, rows, *, as_of: date, window_start: date) -> tuple[dict[int, ClassResult], list[int]]:
    """Classes from rows carrying id (or vehicle_id), store_id, purchase_date,
    last_visit, visits_w and spend_w counted from ``window_start``; the ids of rows
    whose store counts from another day come back to be done on their own."""
    out: dict[int, ClassResult] = {}
    others: list[int] = []
    borders: dict[int, tuple] = {}  # per store: its rules and border dates, worked out once
    for row in rows:
        vid = row["vehicle_id"] if "vehicle_id" in row else row["id"]
        sid = row["store_id"]
        if sid not in borders:
            rr = _cached_rules(session, sid)
            borders[sid] = (rr, rr.window_start(as_of), rr.active_since(as_of), rr.churn_since(as_of))
        r, start, active, churn = borders[sid]
        if start != window_start:
            others.append(vid)
            continue
        purchase = row["purchase_date"] if row["purchase_date"] and row["purchase_date"] <= as_of else None
        last = row["last_visit"]
        since = max(last, purchase) if last and purchase else (last or purchase)
        insured = bool(row["insured_here"]) if "insured_here" in row else False
        facts = {"vehicle_id": vid, "since": since, "last_visit": last, "insured_here": insured,
                 "visits_w": int(row["visits_w"] or 0), "spend_w": int(row["spend_w"] or 0)}
        facts["class"] = class_code(since=since, visits_w=facts["visits_w"], spend_w=facts["spend_w"],
                                    rules=r, as_of=as_of, active_since=active, churn_since=churn,
                                    insured_here=insured)
        out[vid] = describe(facts, as_of, r.window_months)
    return out, others


def lookup_classes(session: Session, vehicle_ids: list[int], *, as_of: date | None = None) -> dict[int, ClassResult]:
    """The lookup hook: class and reason of each vehicle as of today (or ``as_of``);
    the same rule as :func:`vehicle_classes`, computed row by row."""
    from store import clock

    if not vehicle_ids:
        return {}
    as_of = as_of or clock.today()
    conn = as_connection(session)
    out: dict[int, ClassResult] = {}
    pending = list(vehicle_ids)
    start = default_window_start(session, as_of)
    while pending:
        rows = list(conn.execute(_LOOKUP_FACTS_SQL, {"ids": pending, "d": as_of, "w": start}).mappings())
        done, rest = classify_facts(session, rows, as_of=as_of, window_start=start)
        out.update(done)
        if not rest:
            break
        # Stores almost always share one window; the rest go round with the next one's.
        following = _window_of(session, rows, rest[0], as_of)
        if following == start:  # pragma: no cover - a store's window is its own
            break
        pending, start = rest, following
    return out


def _window_of(session: Session, rows, vehicle_id: int, as_of: date) -> date:
    store_id = next(r["store_id"] for r in rows if r["vehicle_id"] == vehicle_id)
    return _cached_rules(session, store_id).window_start(as_of)