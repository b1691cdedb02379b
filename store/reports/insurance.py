"""Insurance renewals 续保, from the policies on file (:mod:`store.insurance`), not
from an estimate: of the policies expiring in a month, how many have a successor
policy (with us 本店续保, anywhere 续保), by month, SA and insurer; and the premium
the store sold 本店出单保费.

| column | meaning |
| --- | --- |
| policies_due | policies (交强险 and 商业险 each count) whose cover ends in the month, of cars not sold by then |
| renewed_here | of them, with a successor policy sold by the store (本店出单) |
| renewed_other | with a successor, none of them sold by the store (renewed elsewhere 他店续保) |
| not_renewed | no successor on file (yet) |
| insurance_rate | (renewed_here + renewed_other) / policies_due, percent |
| insurance_here_rate | renewed_here / policies_due, percent |
| premium_here | the premium of the store's successor policies, yuan |
| policies_sold, premium_sold | (summary and trend) the store's own policies whose cover starts in the month and their premium: what the store sold, new business and renewals alike |

A successor is :func:`store.insurance.is_successor`: the same car and type, ending
later, starting no later than ``SUCCESSOR_GRACE_DAYS`` (90) after the expiry. A
renewal the customer told the SA on the phone (a policy with source ``call``)
counts until the real policy replaces it; it has no premium. The SA of a policy is
the SA who had adopted its car on the expiry day (none: 未领养). Renewals arrive
after the fact (a later import, a call), so a recent month's rate can still rise.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session

from store.dates import add_months
from store.reports import ChartSpec, Month, ReportBook, ReportTable, Words, percent, yuan

TREND_MONTHS = 12
FIGURES = ["policies_due", "renewed_here", "renewed_other", "not_renewed", "insurance_rate", "insurance_here_rate",
           "premium_here"]
RATES = ("insurance_rate", "insurance_here_rate")
NOT_ADOPTED = Words("未领养", "not adopted")
UNKNOWN_INSURER = Words("未知", "unknown")
POLICIES = Words("份", "policies")


@dataclass
class Expiring:
    """A policy whose cover ends in the period, and what became of it."""

    id: int
    vehicle_id: int
    kind: str
    insurer: str | None
    end_on: date
    renewed: bool = False
    renewed_here: bool = False
    premium_here_fen: int = 0
    sa: str | None = None


def _started(start_on: date | None, end_on: date) -> date:
    return start_on or add_months(end_on, -12) + timedelta(days=1)


def _policies(session: Session, store_ids: list[int] | None, since: date) -> list[dict]:
    from sqlalchemy import text

    from store.frames import in_list

    clause, _ = in_list("p.store_id", store_ids)
    rows = session.execute(text(
        "SELECT p.id, p.vehicle_id, p.kind, p.insurer, p.start_on, p.end_on, p.premium_fen,"
        " CASE WHEN p.sold_by_store THEN 1 ELSE 0 END AS here, p.source, v.sold_on"
        " FROM insurancepolicy p JOIN vehicle v ON v.id = p.vehicle_id WHERE p.end_on >= :since" + clause
    ), {"since": since}).mappings().all()
    return [dict(r) for r in rows]


def _as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def expiring_policies(session: Session, *, first: date, last: date,
                      store_ids: list[int] | None = None) -> list[Expiring]:
    """The policies whose cover ends from ``first`` to ``last`` (cars not sold by
    then), each with whether it has a successor, one sold by the store, its premium,
    and the SA who had adopted the car on the expiry day."""
    from store.insurance import SUCCESSOR_GRACE_DAYS

    rows = _policies(session, store_ids, first)
    for r in rows:
        for k in ("start_on", "end_on", "sold_on"):
            r[k] = _as_date(r[k])
    by_car: dict[tuple[int, str], list[dict]] = defaultdict(list)
    for r in rows:
        by_car[(r["vehicle_id"], r["kind"])].append(r)
    out: list[Expiring] = []
    for r in rows:
        if not (first <= r["end_on"] <= last) or (r["sold_on"] is not None and r["sold_on"] <= r["end_on"]):
            continue
        e = Expiring(r["id"], r["vehicle_id"], r["kind"], r["insurer"], r["end_on"])
        limit = r["end_on"] + timedelta(days=SUCCESSOR_GRACE_DAYS)
        for q in by_car[(r["vehicle_id"], r["kind"])]:
            if q["id"] == r["id"] or q["end_on"] <= r["end_on"] or _started(q["start_on"], q["end_on"]) > limit:
                continue
            e.renewed = True
            if q["here"]:
                e.renewed_here = True
                e.premium_here_fen = max(e.premium_here_fen, int(q["premium_fen"] or 0))
        out.append(e)
    _adopting_sa(session, out)
    return out


def _adopting_sa(session: Session, policies: list[Expiring]) -> None:
    from sqlalchemy import select

    from store.models import Adoption, Staff

    cars = sorted({p.vehicle_id for p in policies})
    spans: dict[int, list[tuple[date, date | None, str]]] = defaultdict(list)
    for start in range(0, len(cars), 900):
        for vid, started, ended, name in session.execute(
                select(Adoption.vehicle_id, Adoption.started_on, Adoption.ended_on, Staff.name)
                .join(Staff, Staff.id == Adoption.staff_id).where(Adoption.vehicle_id.in_(cars[start:start + 900]))):
            spans[vid].append((started, ended, name))
    for p in policies:
        p.sa = next((name for started, ended, name in spans.get(p.vehicle_id, [])
                     if started <= p.end_on and (ended is None or ended > p.end_on)), None)


def figures(policies: list[Expiring]) -> dict:
    """The columns of :data:`FIGURES` for these expiring policies."""
    due = len(policies)
    here = sum(1 for p in policies if p.renewed_here)
    other = sum(1 for p in policies if p.renewed and not p.renewed_here)
    return {"policies_due": due, "renewed_here": here, "renewed_other": other, "not_renewed": due - here - other,
            "insurance_rate": percent(here + other, due), "insurance_here_rate": percent(here, due),
            "premium_here": yuan(sum(p.premium_here_fen for p in policies))}


def renewal_counts(session: Session, *, month: Month, store_ids: list[int] | None = None
                   ) -> tuple[int, int, int] | None:
    """(due, renewed anywhere, renewed with us) for the month's expiring policies; None
    when the stores have no policy on file at all (the members report's KPI)."""
    from sqlalchemy import text

    from store.frames import in_list

    clause, _ = in_list("store_id", store_ids)
    if session.execute(text("SELECT id FROM insurancepolicy WHERE 1 = 1" + clause + " LIMIT 1")).first() is None:
        return None
    f = figures(expiring_policies(session, first=month.first, last=month.last, store_ids=store_ids))
    return f["policies_due"], f["renewed_here"] + f["renewed_other"], f["renewed_here"]


def _sold(session: Session, store_ids: list[int] | None, first: date, last: date) -> list[tuple[date, int]]:
    """(cover start, premium) of the store's own policies (not those told on the phone)
    starting from ``first`` to ``last``."""
    from sqlalchemy import text

    from store.frames import in_list

    clause, _ = in_list("store_id", store_ids)
    rows = session.execute(text(
        "SELECT start_on, end_on, premium_fen FROM insurancepolicy WHERE sold_by_store AND source <> 'call'"
        " AND end_on >= :lo AND (start_on IS NULL OR (start_on >= :lo AND start_on <= :hi))" + clause
    ), {"lo": first, "hi": last}).all()
    out = []
    for start_on, end_on, premium in rows:
        started = _started(_as_date(start_on), _as_date(end_on))
        if first <= started <= last:
            out.append((started, int(premium or 0)))
    return out


def _grouped(policies: list[Expiring], key) -> list[tuple[object, list[Expiring]]]:
    groups: dict[object, list[Expiring]] = defaultdict(list)
    for p in policies:
        groups[key(p)].append(p)
    return sorted(groups.items(), key=lambda kv: (kv[0] is None, str(kv[0] or "")))


def _total(policies: list[Expiring], first_column: str) -> dict:
    return {first_column: Words("合计", "total"), **figures(policies)}


def insurance_report(session: Session, *, month: Month, store_ids: list[int] | None = None) -> ReportBook:
    """The month's insurance renewals: a summary, by SA, by insurer, the 12-month trend."""
    first_trend = month.back(TREND_MONTHS - 1)
    every = expiring_policies(session, first=first_trend.first, last=month.last, store_ids=store_ids)
    this = [p for p in every if month.first <= p.end_on <= month.last]
    sold = _sold(session, store_ids, first_trend.first, month.last)

    def sold_in(m: Month) -> tuple[int, int]:
        items = [fen for day, fen in sold if m.first <= day <= m.last]
        return len(items), sum(items)

    n_sold, fen_sold = sold_in(month)
    money = ("premium_here", "premium_sold")
    summary = ReportTable(
        title=Words(f"续保，{month}", f"insurance renewals, {month}"),
        columns=["month", *FIGURES, "policies_sold", "premium_sold"],
        rows=[{"month": str(month), **figures(this), "policies_sold": n_sold, "premium_sold": yuan(fen_sold)}],
        percent_columns=RATES, money_columns=money, key="summary", sheet=Words("概要", "summary"))
    by_sa = ReportTable(
        title=Words(f"各服务顾问续保，{month}", f"insurance renewals by SA, {month}"),
        columns=["sa", *FIGURES],
        rows=[{"sa": name or NOT_ADOPTED, **figures(items)} for name, items in _grouped(this, lambda p: p.sa)],
        total=_total(this, "sa"), percent_columns=RATES, money_columns=("premium_here",), key="sa",
        sheet=Words("服务顾问", "SA"),
        charts=[ChartSpec("bar", Words("各服务顾问续保率", "renewal rates per SA"), "sa", list(RATES),
                          y_title=Words("%", "%"))])
    by_insurer = ReportTable(
        title=Words(f"各保险公司续保，{month}", f"insurance renewals by insurer, {month}"),
        columns=["insurer", *FIGURES],
        rows=[{"insurer": name or UNKNOWN_INSURER, **figures(items)}
              for name, items in _grouped(this, lambda p: p.insurer)],
        total=_total(this, "insurer"), percent_columns=RATES, money_columns=("premium_here",), key="insurer",
        sheet=Words("保险公司", "insurer"),
        charts=[ChartSpec("column", Words("各保险公司到期与续保", "due and renewed per insurer"), "insurer",
                          ["policies_due", "renewed_here", "renewed_other"], y_title=POLICIES)])
    trend_rows = []
    for back in range(TREND_MONTHS - 1, -1, -1):
        m = month.back(back)
        n, fen = sold_in(m)
        trend_rows.append({"month": str(m), **figures([p for p in every if m.first <= p.end_on <= m.last]),
                           "policies_sold": n, "premium_sold": yuan(fen)})
    trend = ReportTable(
        title=Words(f"续保趋势：截至 {month} 的 {TREND_MONTHS} 个月", f"the last {TREND_MONTHS} months, to {month}"),
        columns=["month", *FIGURES, "policies_sold", "premium_sold"], rows=trend_rows, percent_columns=RATES,
        money_columns=money, key="trend", sheet=Words("趋势", "trend"),
        charts=[ChartSpec("line", Words("每月续保率", "renewal rates a month"), "month", list(RATES),
                          y_title=Words("%", "%")),
                ChartSpec("column", Words("本店出单保费", "premium sold"), "month", ["premium_sold"],
                          y_title=Words("元", "¥"))])
    notes = [
        Words("续保率 = 当月到期保单中已有续保保单（本店或他店）的比例；交强险、商业险各算一份",
              "renewal rate = policies expiring in the month that have a successor policy (with us or elsewhere); "
              "compulsory and commercial cover count one each"),
        Words("本店续保：续保保单由本店出单；电话确认的续保先计入，真实保单导入后替换",
              "renewed with us: the successor was sold by the store; a renewal told on the phone counts until "
              "the real policy arrives and replaces it"),
        Words("服务顾问：到期日领养该车的顾问；续保可能晚于到期录入，近月数字还会上升",
              "SA: who had adopted the car on the expiry day; renewals arrive late, so a recent month can still "
              "rise"),
        Words("本店出单保费：当月起保的本店保单保费（新保与续保）",
              "premium sold: the store's own policies whose cover starts in the month (new and renewed)"),
    ]
    return ReportBook(title=Words(f"续保月报 {month}", f"insurance renewals {month}"),
                      sheets=[summary, by_sa, by_insurer, trend], notes=notes)
