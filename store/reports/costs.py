"""What the club costs 会员服务费用核算: its income and its costs by department, month
by month, with the balance carried from one month to the next.

| department | line | Chinese | read from |
| --- | --- | --- | --- |
| income 收入 | fees | 会费收入 | join and renewal fees (``MembershipEvent``; a membership recorded without its join event counts its fee on its start day) |
| income 收入 | other_income | 其他收入 | ``ClubEntry`` income (``dealerdesk club income add``) |
| aftersales 售后部 | discounts | 会员折扣 (工时/配件) | the tier discount on members' repair orders, as the member bill counts it |
| aftersales 售后部 | free_services | 免费服务 | tier benefits used (``BenefitUse``), at their value |
| aftersales 售后部 | points_money | 积分抵现 | points redeemed against a bill, at the money they paid |
| accessories 精品部 | points_services | 积分兑换服务 | points redeemed for catalog services (wash, alignment, labour hours) |
| accessories 精品部 | points_accessories | 积分兑换精品 | points redeemed for catalog accessories |
| accessories 精品部 | points_other | 积分兑换(未分类) | points redeemed with neither a catalog item nor money on record (older imports) |
| club 会员俱乐部 | points_gifts | 积分兑换礼品 | points redeemed for catalog gifts |
| club 会员俱乐部 | gifts, rewards, activity, other | 活动礼品, 奖励, 活动费用, 其他支出 | ``ClubEntry`` costs (``dealerdesk club cost add``), under the department they name |

Points are valued at the store's ``points_fen_per_point`` (as set now). A redemption
counts in the month it was made; its reversal takes it back in the month of the
reversal, so a month once reported keeps its figures. Referral and earned points
cost nothing until they are redeemed. Stored value (top-ups) is the members' money,
not the club's income. The balance starts at 0 in the first month with any entry;
each month's closing is its opening plus income less costs.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from sqlmodel import Session

from store.frames import in_list, query_frame
from store.reports import ChartSpec, Month, ReportBook, ReportTable, Words, percent, yuan
from store.reports.club_frames import (
    day_of,
    member_discounts,
    memberships,
    scoped_store_ids,
    start_of,
    store_rules,
)
from store.reports.members import TREND_MONTHS, YUAN, period_end, scope_words

DEPARTMENTS = ("aftersales", "accessories", "club")
# (department, line, Chinese, English), in the order the accounts list them.
LINES: list[tuple[str, str, str, str]] = [
    ("income", "fees", "会费收入", "membership fees"),
    ("income", "other_income", "其他收入", "other income"),
    ("aftersales", "discounts", "会员折扣(工时/配件)", "member discounts"),
    ("aftersales", "free_services", "免费服务", "free services"),
    ("aftersales", "points_money", "积分抵现", "points against bills"),
    ("accessories", "points_services", "积分兑换服务", "points for services"),
    ("accessories", "points_accessories", "积分兑换精品", "points for accessories"),
    ("accessories", "points_other", "积分兑换(未分类)", "points, other"),
    ("club", "points_gifts", "积分兑换礼品", "points for gifts"),
    ("club", "gifts", "活动礼品", "activity gifts"),
    ("club", "rewards", "奖励", "rewards"),
    ("club", "activity", "活动费用", "activity costs"),
    ("club", "other", "其他支出", "other costs"),
]
DEPARTMENT_WORDS = {"income": ("收入", "income"), "aftersales": ("售后部", "after-sales"),
                    "accessories": ("精品部", "accessories"), "club": ("会员俱乐部", "club")}
COST_CATEGORIES = {"gift": "gifts", "reward": "rewards", "activity": "activity", "other": "other"}
CATALOG_LINES = {"service": ("accessories", "points_services"), "accessory": ("accessories", "points_accessories"),
                 "gift": ("club", "points_gifts")}
ENTRY_SCHEMA = {"day": pl.Date, "department": pl.String, "line": pl.String, "income_fen": pl.Int64,
                "cost_fen": pl.Int64}


def _expr(value: str | pl.Expr) -> pl.Expr:
    return pl.lit(value) if isinstance(value, str) else value


def _entries(df: pl.DataFrame, department: str | pl.Expr, line: str | pl.Expr, *, income=None, cost=None) -> pl.DataFrame:
    """Ledger rows (day, department, line, income_fen, cost_fen) from a frame with ``day``."""
    return df.select(
        pl.col("day"), _expr(department).cast(pl.String).alias("department"),
        _expr(line).cast(pl.String).alias("line"),
        (income if income is not None else pl.lit(0)).cast(pl.Int64).alias("income_fen"),
        (cost if cost is not None else pl.lit(0)).cast(pl.Int64).alias("cost_fen"),
    )


def _fees(session: Session, store_ids: list[int] | None, until: date) -> pl.DataFrame:
    clause, params = in_list("m.store_id", store_ids)
    events = query_frame(
        session,
        "SELECT e.happened_on, e.fee_fen FROM membershipevent e JOIN membership m ON m.id = e.membership_id"
        " WHERE e.kind IN ('join', 'renew') AND e.fee_fen <> 0 AND e.happened_on <= :hi" + clause,
        {"hi": until} | params, {"day": pl.Date, "fee_fen": pl.Int64},
    )
    bare = query_frame(
        session,
        "SELECT m.started_on, m.fee_fen FROM membership m WHERE m.fee_fen <> 0 AND m.started_on <= :hi"
        " AND NOT EXISTS (SELECT 1 FROM membershipevent e WHERE e.membership_id = m.id AND e.kind = 'join')"
        + clause,
        {"hi": until} | params, {"day": pl.Date, "fee_fen": pl.Int64},
    )
    return _entries(pl.concat([events, bare]), "income", "fees", income=pl.col("fee_fen"))


def _club_entries(session: Session, store_ids: list[int] | None, until: date) -> pl.DataFrame:
    clause, params = in_list("store_id", store_ids)
    df = query_frame(
        session,
        "SELECT day, kind, department, category, amount_fen FROM clubentry WHERE day <= :hi" + clause,
        {"hi": until} | params,
        {"day": pl.Date, "kind": pl.String, "department": pl.String, "category": pl.String, "amount_fen": pl.Int64},
        many_rows=False,
    )
    income = _entries(df.filter(pl.col("kind") == "income"), "income", "other_income", income=pl.col("amount_fen"))
    costs = df.filter(pl.col("kind") == "cost").with_columns(
        line=pl.col("category").replace_strict(COST_CATEGORIES, default="other", return_dtype=pl.String))
    return pl.concat([income, _entries(costs, pl.col("department"), pl.col("line"), cost=pl.col("amount_fen"))])


def _benefits(session: Session, store_ids: list[int] | None, until: date) -> pl.DataFrame:
    clause, params = in_list("m.store_id", store_ids)
    df = query_frame(
        session,
        "SELECT b.used_on, b.value_fen FROM benefituse b JOIN membership m ON m.id = b.membership_id"
        " WHERE b.used_on <= :hi" + clause,
        {"hi": until} | params, {"day": pl.Date, "value_fen": pl.Int64},
    )
    return _entries(df, "aftersales", "free_services", cost=pl.col("value_fen"))


def _points(session: Session, store_ids: list[int] | None, until: date, rules: dict[int, dict]) -> pl.DataFrame:
    """Redemptions at their value (positive), reversals of them taken back (negative)."""
    rows = _points_rows(session, store_ids, until)
    per_point = pl.DataFrame({"store_id": list(rules), "_fpp": [int(r["points_fen_per_point"]) for r in rules.values()]},
                             schema={"store_id": pl.Int64, "_fpp": pl.Int64})
    redeems = rows.filter(pl.col("kind") == "redeem").join(per_point, on="store_id", how="left").with_columns(
        value=pl.coalesce("money_fen", -pl.col("points") * pl.col("_fpp")),
        department=pl.when(pl.col("money_fen").is_not_null()).then(pl.lit("aftersales"))
        .otherwise(pl.col("category").fill_null("").replace_strict({k: v[0] for k, v in CATALOG_LINES.items()},
                                                     default="accessories", return_dtype=pl.String)),
        line=pl.when(pl.col("money_fen").is_not_null()).then(pl.lit("points_money"))
        .otherwise(pl.col("category").fill_null("").replace_strict({k: v[1] for k, v in CATALOG_LINES.items()},
                                                     default="points_other", return_dtype=pl.String)),
    )
    undone = rows.filter(pl.col("kind") == "reverse").select("day", pl.col("reverses_id").alias("id")).join(
        redeems.select("id", "value", "department", "line"), on="id", how="inner")
    return pl.concat([
        _entries(redeems, pl.col("department"), pl.col("line"), cost=pl.col("value")),
        _entries(undone, pl.col("department"), pl.col("line"), cost=-pl.col("value")),
    ])


def _points_rows(session: Session, store_ids: list[int] | None, until: date) -> pl.DataFrame:
    clause, params = in_list("c.store_id", store_ids)
    return query_frame(
        session,
        "SELECT p.id, " + day_of(session, "p.created_at") + ", p.kind, p.points, p.money_fen, p.reverses_id,"
        " ci.category, c.store_id FROM pointsentry p JOIN pointsaccount a ON a.id = p.account_id"
        " JOIN customer c ON c.id = a.customer_id LEFT JOIN catalogitem ci ON ci.id = p.catalog_item_id"
        " WHERE p.kind IN ('redeem', 'reverse') AND p.created_at < :hi" + clause,
        {"hi": start_of(until + timedelta(days=1))} | params,
        {"id": pl.Int64, "day": pl.Date, "kind": pl.String, "points": pl.Int64, "money_fen": pl.Int64,
         "reverses_id": pl.Int64, "category": pl.String, "store_id": pl.Int64},
    )


def ledger(session: Session, *, store_ids: list[int] | None, until: date) -> pl.DataFrame:
    """Every income and cost up to ``until``, one row each: day, department, line,
    income_fen, cost_fen."""
    sids = scoped_store_ids(session, store_ids)
    rules = store_rules(session, sids)
    mem = memberships(session, store_ids=store_ids, rules=rules)
    discounts = member_discounts(session, mem=mem, store_ids=store_ids, until=until).rename({"date_in": "day"})
    parts = [
        _fees(session, store_ids, until),
        _club_entries(session, store_ids, until),
        _entries(discounts, "aftersales", "discounts", cost=pl.col("discount_fen")),
        _benefits(session, store_ids, until),
        _points(session, store_ids, until, rules),
    ]
    return pl.concat([p.select(list(ENTRY_SCHEMA)).cast(ENTRY_SCHEMA) for p in parts])


def monthly(entries: pl.DataFrame, month: Month) -> tuple[list[Month], dict[str, dict[tuple[str, str], int]]]:
    """Months from the first with an entry to ``month``, and per month {(department,
    line): fen} (income positive under "income", costs positive elsewhere)."""
    by_month: dict[str, dict[tuple[str, str], int]] = {}
    if not entries.is_empty():
        grouped = entries.with_columns(month=pl.col("day").dt.strftime("%Y-%m")).group_by(
            "month", "department", "line").agg(pl.col("income_fen").sum(), pl.col("cost_fen").sum())
        for m, dept, line, inc, cost in grouped.iter_rows():
            by_month.setdefault(m, {})[(dept, line)] = int(inc) if dept == "income" else int(cost)
    first = min((Month.parse(m) for m in by_month), default=month)
    first = min(first, month.back(TREND_MONTHS - 1))
    months = []
    m = first
    while m <= month:
        months.append(m)
        m = m.next()
    return months, by_month


def _totals(amounts: dict[tuple[str, str], int]) -> tuple[int, int]:
    income = sum(v for (d, _), v in amounts.items() if d == "income")
    return income, sum(v for (d, _), v in amounts.items() if d != "income")


def detail_lines(amounts: dict[tuple[str, str], int]) -> list[tuple[str, str, str, str]]:
    """The lines of the detail sheet: every line of :data:`LINES`, and after each
    department's own lines any other line that department has amounts on (a club
    cost entered under after-sales or accessories: ``club cost add --department``),
    so every amount a total counts is on a line of the detail."""
    names = {line: (zh, en) for _, line, zh, en in LINES}
    out: list[tuple[str, str, str, str]] = []
    for dept in ("income", *DEPARTMENTS):
        own = [x for x in LINES if x[0] == dept]
        out += own
        known = {x[1] for x in own}
        extra = sorted(line for (d, line), fen in amounts.items() if d == dept and line not in known and fen)
        out += [(dept, line, *names.get(line, (line, line))) for line in extra]
    return out


def costs_report(session: Session, *, month: Month, store_ids: list[int] | None = None) -> ReportBook:
    """The club's accounts for ``month``: the balance, every line, the departments, and
    the last 12 months with their balances."""
    until = period_end(month)
    entries = ledger(session, store_ids=store_ids, until=until)
    months, by_month = monthly(entries, month)
    balances: list[dict] = []
    opening = 0
    for m in months:
        amounts = by_month.get(str(m), {})
        income, costs = _totals(amounts)
        row = {"month": str(m), "opening": yuan(opening), "income": yuan(income), "costs": yuan(costs),
               "closing": yuan(opening + income - costs)}
        for dept in DEPARTMENTS:
            row[dept] = yuan(sum(v for (d, _), v in amounts.items() if d == dept))
        balances.append(row)
        opening += income - costs
    this = by_month.get(str(month), {})
    current = balances[-1]

    balance = ReportTable(
        title=Words(f"会员服务费用核算，{month}（截至 {until.isoformat()}）",
                    f"the club's accounts, {month} (to {until.isoformat()})"),
        columns=["month", "opening", "income", "costs", "closing"],
        rows=[{k: current[k] for k in ("month", "opening", "income", "costs", "closing")}],
        money_columns=("opening", "income", "costs", "closing"), key="balance", sheet=Words("余额", "balance"),
        notes=[Words("期末余额 = 期初余额 + 收入 - 支出；期初余额即上月的期末余额",
                     "closing = opening + income - costs; the opening is the closing of the month before")],
    )
    lines = []
    for dept, line, zh, en in detail_lines(this):
        fen = this.get((dept, line), 0)
        lines.append({"department": dept, "department_label": Words(*DEPARTMENT_WORDS[dept]), "line": line,
                      "name": Words(zh, en), "income": yuan(fen) if dept == "income" else None,
                      "cost": yuan(fen) if dept != "income" else None})
    income, costs = _totals(this)
    detail = ReportTable(
        title=Words(f"收支明细，{month}", f"income and costs, {month}"),
        columns=["department", "department_label", "line", "name", "income", "cost"], rows=lines,
        total={"income": yuan(income), "cost": yuan(costs)}, money_columns=("income", "cost"), key="lines",
        sheet=Words("收支明细", "lines"),
        charts=[ChartSpec("bar", Words("支出明细(元)", "costs by line (¥)"), "name", ["cost"], y_title=YUAN,
                          skip=sum(1 for d, *_ in LINES if d == "income"))],
    )
    dept_rows = []
    for dept in DEPARTMENTS:
        fen = sum(v for (d, _), v in this.items() if d == dept)
        dept_rows.append({"department": dept, "department_label": Words(*DEPARTMENT_WORDS[dept]), "costs": yuan(fen),
                          "share": percent(fen, costs)})
    departments = ReportTable(
        title=Words(f"部门费用，{month}", f"costs by department, {month}"),
        columns=["department", "department_label", "costs", "share"],
        rows=dept_rows, total={"costs": yuan(costs), "share": percent(costs, costs)}, money_columns=("costs",),
        percent_columns=("share",), key="departments", sheet=Words("部门", "departments"),
        charts=[ChartSpec("pie", Words("各部门费用", "costs by department"), "department_label", ["costs"])],
    )
    trend = ReportTable(
        title=Words(f"收支趋势：截至 {month} 的 {TREND_MONTHS} 个月", f"the last {TREND_MONTHS} months, to {month}"),
        columns=["month", "opening", "income", "costs", "closing", *DEPARTMENTS],
        rows=balances[-TREND_MONTHS:],
        money_columns=("opening", "income", "costs", "closing", *DEPARTMENTS), key="trend",
        sheet=Words("趋势", "trend"),
        charts=[ChartSpec("line", Words("收入、支出与余额(元)", "income, costs and balance (¥)"), "month",
                          ["income", "costs", "closing"], y_title=YUAN),
                ChartSpec("column", Words("各部门费用(元)", "costs by department (¥)"), "month", list(DEPARTMENTS),
                          y_title=YUAN, stacked=True)],
    )
    scope = scope_words(store_ids)
    return ReportBook(
        title=Words(f"会员服务费用核算，{month}", f"what the club costs, {month}"),
        sheets=[balance, detail, departments, trend],
        notes=[Words(f"月份 {month}，数据截至 {until.isoformat()}；{scope.zh}；金额单位为元",
                     f"month {month}, figures to {until.isoformat()}; {scope.en}; amounts in yuan"),
               Words("积分按门店设置 points_fen_per_point 折算；冲销的兑换在冲销当月扣回",
                     "points valued at the store's points_fen_per_point; a reversed redemption is taken back in the "
                     "month of its reversal"),
               Words("余额自有收支的第一个月从 0 起算，逐月结转",
                     "the balance starts at 0 in the first month with any entry and carries over month to month")],
    )
