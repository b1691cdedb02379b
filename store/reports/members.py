"""The club's monthly KPIs 成效管理, the figures a store manager reports each month.

For a month (``2026-11``), to its last day or to today if that comes first:

| sheet | what | how it is counted |
| --- | --- | --- |
| summary 概要 | the month's figures in one column | see the rows below |
| new_by_class 新会员分类 | new members 新入会 by customer class 客户分类 | memberships started in the month; the class is the customer's best class (loyal first) over their cars in the park, as of the day they joined (:mod:`store.classes`); no car in the park: unknown |
| staff 推荐 | pitches 会员推荐 and conversion per SA and CA | customers pitched in the month per staff member; joined = of those, pitched with the outcome joined 已入会 and signed up (a membership started within ``pitch_signup_days`` of the pitch, :func:`store.pitches.signed_up`); not_signed = pitched joined, no membership started 已入会未办卡; conversion = joined / pitched; bookings = calls logged as booked 已预约 in the month |
| spend 客单 | spend per vehicle, members against non-members | repair orders in the month (not cancelled); a member's when the owner's membership was in force on the day in (a car that joined mid-month counts on both sides) |
| trend 趋势 | the last 12 months | new members, members in force at each month's end, renewals, pitches |
| satisfaction 满意度 | the after-service callbacks' scores | :mod:`store.reports.satisfaction`'s summary; the KPI rows satisfaction (the overall average) and the callbacks' response rate |

Summary rows:

- members in force 在册会员: customers with a membership in force on the last day
  (active: not lapsed, not left, an annual fee not past expiry); cumulative members
  累计入会: customers who ever joined, up to that day.
- renewal rate 续会率: annual fees whose expiry fell in the month (the one set by the
  join or by each renewal) = due; renewed = a renewal took that membership past the
  expiry, before or after it (the grace period runs ``renewal_grace_months`` after,
  so a recent month's rate can still rise). A member who left before the expiry was
  not due. Stored-value memberships have no fee to renew and are not counted.
- insurance renewal rate 续保率: from the policies on file (:mod:`store.reports.insurance`,
  where ``dealerdesk report insurance`` cuts it by SA, insurer and month): of the
  policies expiring in the month (交强险 and 商业险 each count), those with a
  successor policy, with us or anywhere; renewed with us 本店续保 are those whose
  successor the store sold. "n/a" when the store has no policy on file.
- referrals 推荐购车: referrals recorded in the month, and referrals matched to a sale
  in the month (the friend bought: matched by an import or entered by hand, rewarded
  or not; :mod:`store.referrals`).
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from sqlmodel import Session

from store import clock
from store.classes import CLASS_ORDER, CLASSES, UNKNOWN, UNKNOWN_LABELS, classified
from store.dates import add_months
from store.frames import in_list, query_frame
from store.reports import ChartSpec, Month, ReportBook, ReportTable, Words, percent, yuan
from store.reports.club_frames import (
    in_force,
    members_in_force,
    membership_events,
    memberships,
    renewals,
    day_of,
    scoped_store_ids,
    start_of,
    store_rules,
    with_expiry_asof,
)
from store.reports.labels import value_words
from store.settings import get_setting

TREND_MONTHS = 12
ROLE_ORDER = {"sa": 0, "ca": 1, "member": 2, "manager": 3}
# A KPI's unit 单位: people 人, vehicles 辆, yuan 元, percent.
PEOPLE, VEHICLES, YUAN = Words("人", "people"), Words("辆", "vehicles"), Words("元", "¥")
POLICIES = Words("份", "policies")


def scope_words(store_ids: list[int] | None) -> Words:
    """Which stores a report covers: every store, or the ids asked for."""
    if store_ids is None:
        return Words("全部门店", "all stores")
    ids = ", ".join(str(s) for s in store_ids)
    return Words(f"门店 {ids}", f"store {ids}")


def period_end(month: Month) -> date:
    """The month's last day, or today while the month is still running."""
    return min(month.last, max(clock.today(), month.first))


# --- new members by class -----------------------------------------------------------


def join_classes(session: Session, joins: pl.DataFrame) -> dict[int, str]:
    """membership id -> the customer's class on the day they joined."""
    if joins.is_empty():
        return {}
    customers = joins["customer_id"].unique().to_list()
    clause, params = in_list("customer_id", customers)
    cars = query_frame(session, "SELECT id, customer_id FROM vehicle WHERE 1 = 1" + clause, params,
                       {"vehicle_id": pl.Int64, "customer_id": pl.Int64}, many_rows=False)
    rank = {c: i for i, c in enumerate(CLASS_ORDER)}
    out: dict[int, str] = {}
    for (day,), group in joins.group_by("started_on"):
        ids = cars.filter(pl.col("customer_id").is_in(group["customer_id"].implode()))["vehicle_id"].to_list()
        df = classified(session, as_of=day, vehicle_ids=ids) if ids else pl.DataFrame()
        best: dict[int, str] = {}
        if not df.is_empty():
            df = df.filter(pl.col("in_park") & (pl.col("class") != UNKNOWN))
            for cid, cls in df.select("customer_id", "class").iter_rows():
                if cid not in best or rank.get(cls, 99) < rank.get(best[cid], 99):
                    best[cid] = cls
        for mid, cid in group.select("membership_id", "customer_id").iter_rows():
            out[mid] = best.get(cid, UNKNOWN)
    return out


def new_by_class(session: Session, mem: pl.DataFrame, month: Month, until: date) -> ReportTable:
    joins = mem.filter((pl.col("started_on") >= month.first) & (pl.col("started_on") <= until))
    classes = join_classes(session, joins)
    counts: dict[str, int] = {}
    for cls in classes.values():
        counts[cls] = counts.get(cls, 0) + 1
    n = sum(counts.values())
    order = [c for c in CLASS_ORDER if c != "relatively_loyal" or counts.get(c)] + (
        [UNKNOWN] if counts.get(UNKNOWN) else [])
    rows = [{"class": c, "label": Words(*CLASSES.get(c, UNKNOWN_LABELS)), "members": counts.get(c, 0),
             "share": percent(counts.get(c, 0), n)} for c in order]
    return ReportTable(
        title=Words(f"新会员分类，{month}", f"new members by class, {month}"),
        columns=["class", "label", "members", "share"], rows=rows,
        total={"members": n, "share": percent(n, n)}, percent_columns=("share",), key="new_by_class",
        sheet=Words("新会员分类", "new by class"),
        charts=[ChartSpec("pie", Words("新会员客户分类", "new members by class"), "label", ["members"])],
        notes=[Words("分类：入会当天其名下在册车辆中最好的客户分类",
                     "class: the customer's best class over their cars in the park on the day they joined")],
    )


# --- pitches and bookings per staff ------------------------------------------------------


def _pitches(session: Session, store_ids: list[int] | None, lo: date, hi: date) -> pl.DataFrame:
    """Pitches made in [lo, hi), each with ``signed_up``: a membership of the customer
    started within the store's ``pitch_signup_days`` of the pitch (store.pitches.signed_up).
    A "joined" pitch without one is an intention, not a conversion."""
    clause, params = in_list("p.store_id", store_ids)
    pg = session.get_bind().dialect.name == "postgresql"
    pitch_day = "CAST(p.pitched_at AS DATE)" if pg else "date(p.pitched_at)"
    first_start = ("(SELECT MIN(m.started_on) FROM membership m WHERE m.customer_id = p.customer_id"
                   f" AND m.started_on >= {pitch_day})")
    df = query_frame(
        session,
        "SELECT " + day_of(session, "p.pitched_at") + ", p.staff_id, COALESCE(s.name, p.staff_name), s.role, p.channel,"
        " p.customer_id, p.outcome, p.store_id, " + first_start +
        " FROM pitch p LEFT JOIN staff s ON s.id = p.staff_id"
        " WHERE p.pitched_at >= :lo AND p.pitched_at < :hi" + clause,
        {"lo": start_of(lo), "hi": start_of(hi)} | params,
        {"day": pl.Date, "staff_id": pl.Int64, "staff": pl.String, "role": pl.String, "channel": pl.String,
         "customer_id": pl.Int64, "outcome": pl.String, "store_id": pl.Int64, "first_start": pl.Date},
    )
    stores = df["store_id"].unique().to_list()
    days = pl.DataFrame({"store_id": stores, "_days": [int(get_setting(session, "pitch_signup_days", store_id=sid))
                                                       for sid in stores]},
                        schema={"store_id": pl.Int64, "_days": pl.Int64})
    return df.join(days, on="store_id", how="left").with_columns(
        signed_up=(pl.col("first_start").is_not_null()
                   & (pl.col("first_start") <= pl.col("day") + pl.duration(days=pl.col("_days")))).cast(pl.Int64),
    ).drop("_days", "first_start")


def _bookings(session: Session, store_ids: list[int] | None, lo: date, hi: date) -> pl.DataFrame:
    clause, params = in_list("c.store_id", store_ids)
    return query_frame(
        session,
        "SELECT c.staff_id, s.name, s.role, COUNT(*) FROM calllog c LEFT JOIN staff s ON s.id = c.staff_id"
        " WHERE c.outcome = 'booked' AND c.at >= :lo AND c.at < :hi" + clause + " GROUP BY c.staff_id, s.name, s.role",
        {"lo": start_of(lo), "hi": start_of(hi)} | params,
        {"staff_id": pl.Int64, "staff": pl.String, "role": pl.String, "bookings": pl.Int64}, many_rows=False,
    )


def _conversion(p: pl.DataFrame) -> tuple[int, int, int]:
    """(pitches, customers pitched, of them joined): joined counts a customer pitched
    with the outcome joined whose membership really started (within pitch_signup_days)."""
    if p.is_empty():
        return 0, 0, 0
    joined = p.filter((pl.col("outcome") == "joined") & (pl.col("signed_up") == 1))
    return p.height, p["customer_id"].n_unique(), joined["customer_id"].n_unique()


def _not_signed(p: pl.DataFrame) -> int:
    """Customers pitched "joined" with no membership started within pitch_signup_days
    (and not signed up by another of their pitches): 已入会（未办卡） joined, not signed up."""
    if p.is_empty():
        return 0
    said_yes = set(p.filter(pl.col("outcome") == "joined")["customer_id"].to_list())
    signed = set(p.filter((pl.col("outcome") == "joined") & (pl.col("signed_up") == 1))["customer_id"].to_list())
    return len(said_yes - signed)


def staff_table(session: Session, store_ids: list[int] | None, lo: date, until: date,
                pitches: pl.DataFrame | None = None, *, period: str | None = None) -> ReportTable:
    """Pitches, conversion and bookings per staff member from ``lo`` to ``until``."""
    if pitches is None:
        pitches = _pitches(session, store_ids, lo, until + timedelta(days=1))
    period = period or f"{lo.isoformat()} – {until.isoformat()}"
    p = pitches.filter((pl.col("day") >= lo) & (pl.col("day") <= until))
    # A pitch by someone no longer on the staff list keeps the name it was recorded with.
    p = p.with_columns(_who=pl.coalesce(pl.col("staff_id").cast(pl.String), pl.lit("name:") + pl.col("staff")))
    booked = _bookings(session, store_ids, lo, until + timedelta(days=1))
    booked = booked.with_columns(_who=pl.col("staff_id").cast(pl.String))
    people: dict[str, dict] = {}
    for who, group in p.group_by("_who", maintain_order=True):
        first = group.row(0, named=True)
        pitches_n, pitched, joined = _conversion(group)
        people[who[0]] = {"role": first["role"] or ("ca" if first["channel"] == "delivery" else None),
                          "staff": first["staff"] or "-", "pitches": pitches_n, "pitched": pitched,
                          "joined": joined, "not_signed": _not_signed(group), "bookings": 0}
    for row in booked.iter_rows(named=True):
        key = row["_who"] or "system"
        entry = people.setdefault(key, {"role": row["role"], "staff": row["staff"] or "-", "pitches": 0,
                                        "pitched": 0, "joined": 0, "not_signed": 0, "bookings": 0})
        entry["bookings"] += row["bookings"]
    rows = sorted(people.values(), key=lambda r: (ROLE_ORDER.get(r["role"], 9), r["staff"]))
    for r in rows:
        r["conversion"] = percent(r["joined"], r["pitched"])
        r["role_label"] = value_words(r["role"]) if r["role"] else "-"
    total_p, total_c, total_j = _conversion(p)
    total = {"pitches": total_p, "pitched": total_c, "joined": total_j, "not_signed": _not_signed(p),
             "conversion": percent(total_j, total_c), "bookings": sum(r["bookings"] for r in rows)}
    columns = ["role", "role_label", "staff", "pitches", "pitched", "joined", "not_signed", "conversion", "bookings"]
    return ReportTable(
        title=Words(f"服务顾问/销售顾问的会员推荐与邀约，{period}", f"pitches and bookings per SA/CA, {period}"),
        columns=columns, rows=[{c: r.get(c) for c in columns} for r in rows], total=total,
        percent_columns=("conversion",), key="staff", sheet=Words("推荐", "pitches"),
        charts=[ChartSpec("bar", Words("推荐与预约", "pitches and bookings per SA/CA"), "staff",
                          ["pitched", "joined", "bookings"])],
        notes=[Words("推荐客户：期内被推荐的客户；入会：其中推荐结果为已入会且在 pitch_signup_days 天内开卡；"
                     "已入会未办卡：推荐结果为已入会但未开卡（不计成交）；成交率 = 入会 / 推荐客户；邀约预约：结果记为已预约的电话",
                     "pitched: customers pitched in the period; joined: of them, pitched with the outcome joined and "
                     "signed up (a membership started within pitch_signup_days of the pitch); not_signed: pitched "
                     "joined with no membership started (not a conversion); conversion = joined / pitched; "
                     "bookings: calls logged as booked")],
    )


# --- spend per vehicle -----------------------------------------------------------------------


def spend_table(session: Session, store_ids: list[int] | None, mem: pl.DataFrame, events: pl.DataFrame,
                month: Month, until: date) -> ReportTable:
    clause, params = in_list("vi.store_id", store_ids)
    visits = query_frame(
        session,
        "SELECT vi.id, vi.vehicle_id, v.customer_id, vi.date_in, vi.total_fen FROM visit vi"
        " JOIN vehicle v ON v.id = vi.vehicle_id"
        " WHERE vi.status <> 'cancelled' AND vi.date_in >= :lo AND vi.date_in <= :hi" + clause,
        {"lo": month.first, "hi": until} | params,
        {"visit_id": pl.Int64, "vehicle_id": pl.Int64, "customer_id": pl.Int64, "date_in": pl.Date,
         "total_fen": pl.Int64},
    )
    pairs = with_expiry_asof(visits.join(mem, on="customer_id", how="inner"), events, "date_in")
    member_visits = pairs.filter(in_force(pl.col("date_in")))["visit_id"].unique()
    visits = visits.with_columns(group=pl.when(pl.col("visit_id").is_in(member_visits.implode()))
                                 .then(pl.lit("member")).otherwise(pl.lit("non_member")))
    rows = []
    for group in ("member", "non_member"):
        g = visits.filter(pl.col("group") == group)
        cars, n, fen = g["vehicle_id"].n_unique(), g.height, int(g["total_fen"].sum() or 0)
        rows.append({"group": group, "label": value_words(group), "vehicles": cars, "visits": n, "spend": yuan(fen),
                     "spend_per_vehicle": yuan(_per(fen, cars)), "spend_per_visit": yuan(_per(fen, n)),
                     "_fen": fen})
    cars, n, fen = visits["vehicle_id"].n_unique(), visits.height, int(visits["total_fen"].sum() or 0)
    for r in rows:
        r.pop("_fen")
    return ReportTable(
        title=Words(f"会员与非会员单车产值，{month}", f"spend per vehicle, members and non-members, {month}"),
        columns=["group", "label", "vehicles", "visits", "spend", "spend_per_vehicle", "spend_per_visit"], rows=rows,
        total={"vehicles": cars, "visits": n, "spend": yuan(fen), "spend_per_vehicle": yuan(_per(fen, cars)),
               "spend_per_visit": yuan(_per(fen, n))},
        money_columns=("spend", "spend_per_vehicle", "spend_per_visit"), key="spend", sheet=Words("客单", "spend"),
        charts=[ChartSpec("column", Words("单车产值(元)", "spend per vehicle (¥)"), "label", ["spend_per_vehicle"],
                          y_title=YUAN)],
        notes=[Words("当月工单（未作废）；来店当天车主会籍有效的算会员工单（月中入会的车两边都计，合计只计一次）",
                     "repair orders in the month; a member's when the owner's membership was in force that day "
                     "(a car that joined mid-month counts on both sides, so the total counts it once)")],
    )


def _per(fen: int, n: int) -> int | None:
    if not n:
        return None
    return (fen * 2 + n) // (2 * n)  # rounded half up to the fen


# --- insurance, referrals ------------------------------------------------------------------


def referrals(session: Session, store_ids: list[int] | None, month: Month, until: date) -> tuple[int, int]:
    clause, params = in_list("store_id", store_ids)
    df = query_frame(
        session,
        "SELECT referred_on, sold_on FROM referral WHERE ((referred_on >= :lo AND referred_on <= :hi)"
        " OR (sold_on >= :lo AND sold_on <= :hi))" + clause,
        {"lo": month.first, "hi": until} | params, {"referred_on": pl.Date, "sold_on": pl.Date}, many_rows=False,
    )
    made = df.filter((pl.col("referred_on") >= month.first) & (pl.col("referred_on") <= until)).height
    sold = df.filter(pl.col("sold_on").is_not_null() & (pl.col("sold_on") >= month.first)
                     & (pl.col("sold_on") <= until)).height
    return made, sold


# --- the trend ----------------------------------------------------------------------------------


def trend_table(mem: pl.DataFrame, events: pl.DataFrame, due: pl.DataFrame, pitches: pl.DataFrame,
                month: Month) -> ReportTable:
    rows = []
    for back in range(TREND_MONTHS - 1, -1, -1):
        m = month.back(back)
        end = period_end(m)
        started = mem.filter((pl.col("started_on") >= m.first) & (pl.col("started_on") <= end)).height
        d = due.filter((pl.col("due_on") >= m.first) & (pl.col("due_on") <= m.last))
        p = pitches.filter((pl.col("day") >= m.first) & (pl.col("day") <= end))
        _, pitched, joined = _conversion(p)
        renewed = d.filter(pl.col("renewed")).height
        rows.append({"month": str(m), "new_members": started, "members_in_force": members_in_force(mem, events, end),
                     "renewals_due": d.height, "renewed": renewed, "renewal_rate": percent(renewed, d.height),
                     "pitched": pitched, "joined": joined, "conversion": percent(joined, pitched)})
    return ReportTable(
        title=Words(f"会员趋势：截至 {month} 的 {TREND_MONTHS} 个月", f"the last {TREND_MONTHS} months, to {month}"),
        columns=["month", "new_members", "members_in_force", "renewals_due", "renewed", "renewal_rate", "pitched",
                 "joined", "conversion"],
        rows=rows, percent_columns=("renewal_rate", "conversion"), key="trend", sheet=Words("趋势", "trend"),
        charts=[ChartSpec("line", Words("在册会员", "members in force"), "month", ["members_in_force"],
                          y_title=PEOPLE),
                ChartSpec("column", Words("新入会与续会", "new members and renewals"), "month",
                          ["new_members", "renewed"], y_title=PEOPLE)],
    )


# --- the report -----------------------------------------------------------------------------------


def _metric(key: str, zh: str, en: str, value, unit: Words | str = "", note: Words | str = "") -> dict:
    """A KPI row: its code, its name, the figure, its unit and a note."""
    return {"key": key, "metric": Words(zh, en), "value": value, "unit": unit, "note": note}


def members_report(session: Session, *, month: Month, store_ids: list[int] | None = None) -> ReportBook:
    """The month's club KPIs, a sheet per cut (see the module's table)."""
    sids = scoped_store_ids(session, store_ids)
    rules = store_rules(session, sids)
    until = period_end(month)
    mem = memberships(session, store_ids=store_ids, rules=rules)
    events = membership_events(session, store_ids=store_ids, kinds=("join", "renew"))
    due = renewals(mem, events)
    first_trend = month.back(TREND_MONTHS - 1)
    pitches = _pitches(session, store_ids, first_trend.first, month.next().first)

    by_class = new_by_class(session, mem, month, until)
    staff = staff_table(session, store_ids, month.first, until, pitches, period=str(month))
    spend = spend_table(session, store_ids, mem, events, month, until)
    trend = trend_table(mem, events, due, pitches, month)

    d = due.filter((pl.col("due_on") >= month.first) & (pl.col("due_on") <= month.last))
    renewed = d.filter(pl.col("renewed")).height
    grace = max((int(r["renewal_grace_months"]) for r in rules.values()), default=3)
    grace_open = add_months(month.last, grace) >= clock.today()
    from store.reports.insurance import renewal_counts

    insurance = renewal_counts(session, month=month, store_ids=store_ids)
    made, sold = referrals(session, store_ids, month, until)
    joined_ever = mem.filter(pl.col("started_on") <= until)["customer_id"].n_unique()
    spend_rows = {r["group"]: r for r in spend.rows}
    t = staff.total
    grace_until = add_months(month.last, grace).isoformat()
    summary = [
        _metric("new_members", "新入会", "new members", by_class.total["members"], PEOPLE),
        _metric("members_in_force", "在册会员", "members in force", members_in_force(mem, events, until), PEOPLE,
                Words(f"截至 {until.isoformat()}", f"on {until.isoformat()}")),
        _metric("cumulative_members", "累计入会", "cumulative members", joined_ever, PEOPLE,
                Words("曾入会的客户", "customers who ever joined")),
        _metric("renewals_due", "应续会", "due to renew", d.height, PEOPLE,
                Words("本月到期的年费", "annual fees expiring in the month")),
        _metric("renewed", "已续会", "renewed", renewed, PEOPLE,
                Words(f"宽限期至 {grace_until}", f"grace period open until {grace_until}") if grace_open else ""),
        _metric("renewal_rate", "续会率", "renewal rate", percent(renewed, d.height), "%"),
    ]
    if insurance is None:
        summary += [_metric("insurance_renewal_rate", "续保率", "insurance renewal rate", "n/a", "%",
                            Words("未导入保单", "no insurance policies on file"))]
    else:
        due_i, renewed_i, here_i = insurance
        summary += [
            _metric("insurance_due", "应续保", "insurance due", due_i, POLICIES,
                    Words("本月到期的保单", "policies expiring in the month")),
            _metric("insurance_renewed", "已续保", "insurance renewed", renewed_i, POLICIES,
                    Words("已有续保保单（本店或他店）", "with a successor policy (with us or elsewhere)")),
            _metric("insurance_renewal_rate", "续保率", "insurance renewal rate", percent(renewed_i, due_i), "%"),
            _metric("insurance_renewed_here", "本店续保", "renewed with us", here_i, POLICIES,
                    Words("续保保单由本店出单", "the successor was sold by the store")),
            _metric("insurance_here_rate", "本店续保率", "insurance renewed with us", percent(here_i, due_i), "%"),
        ]
    summary += [
        _metric("referrals", "推荐", "referrals", made, PEOPLE, Words("本月登记的推荐", "referrals recorded in the month")),
        _metric("referral_sales", "推荐成交", "referred sales", sold, VEHICLES,
                Words("被推荐人已购车（已匹配）", "referrals matched to a sale in the month")),
        _metric("member_spend_per_vehicle", "会员单车产值", "member spend per vehicle",
                spend_rows["member"]["spend_per_vehicle"], YUAN),
        _metric("non_member_spend_per_vehicle", "非会员单车产值", "non-member spend per vehicle",
                spend_rows["non_member"]["spend_per_vehicle"], YUAN),
        _metric("pitched", "推荐客户", "customers pitched", t["pitched"], PEOPLE),
        _metric("pitch_joined", "推荐入会", "pitched and joined", t["joined"], PEOPLE,
                Words("入会登记已生效", "a membership started")),
        _metric("pitch_not_signed", "已入会未办卡", "joined, not signed up", t["not_signed"], PEOPLE,
                Words("说已入会但未开卡", "pitched joined, no membership started")),
        _metric("conversion", "推荐成交率", "pitch conversion", t["conversion"], "%"),
    ]
    from store.reports.satisfaction import satisfaction_summary

    # The summary only: the satisfaction report's trend would cost 12 months of queries here.
    satisfaction_sheet = satisfaction_summary(session, month=month, store_ids=store_ids)
    feel = satisfaction_sheet.rows[0]
    overall = feel.get("overall")
    summary += [
        _metric("satisfaction", "满意度", "satisfaction", overall, Words("分", "score"),
                Words(f"修后回访总体满意平均分，{feel['responses']} 次回访评分", f"overall score of the after-service "
                      f"callbacks, {feel['responses']} scored")),
        _metric("callback_response_rate", "回访率", "callback response rate", feel["response_rate"], "%"),
    ]
    satisfaction_sheet.key, satisfaction_sheet.sheet = "satisfaction", Words("满意度", "satisfaction")
    summary_table = ReportTable(
        title=Words(f"会员成效，{month}（截至 {until.isoformat()}）", f"club KPIs, {month} (to {until.isoformat()})"),
        columns=["key", "metric", "value", "unit", "note"], rows=summary, key="summary",
        sheet=Words("概要", "summary"),
    )
    scope = scope_words(store_ids)
    return ReportBook(
        title=Words(f"会员成效月报 {month}", f"club KPIs {month}"),
        sheets=[summary_table, by_class, staff, spend, trend, satisfaction_sheet],
        notes=[Words(f"月份 {month}，数据截至 {until.isoformat()}；{scope.zh}",
                     f"month {month}, figures to {until.isoformat()}; {scope.en}"),
               Words("续会率：当月到期的年费中已续会的比例（到期前或到期后续会均计）",
                     "renewal rate: annual fees expiring in the month that were renewed (before or after expiry)"),
               Words("续保率：当月到期的保单中已有续保保单的比例（依据已录入的保单）；无保单时为 n/a",
                     "insurance renewal rate: policies expiring in the month that have a successor policy (from the "
                     "policies on file); n/a when none are on file")],
    )
