"""Each report as a manager's workbook (:class:`ReportBook`): the cut asked for on the
first sheet, then the cuts a manager reads every month, each on its own sheet with
its chart. The Reports screen shows the same books.

| report | sheets after the one asked for | charts |
| --- | --- | --- |
| churn 流失分析 | by warranty, model, vehicle age, region, SA | churn and at-risk rates, stacked (their sum is the maximum possible churn) |
| classes 客户分类结构 | the mix of the whole park; per group when cut | a pie of the classes; the shares per group, stacked |
| calls 回访/邀约 | per SA; pitches and bookings per SA/CA | calls, booked, showed per SA; pitched, joined, bookings per person |
| members 成效管理 | see :mod:`store.reports.members` | new members by class, pitches and bookings per SA/CA, spend, the 12-month trend |
| costs 会员服务费用核算 | see :mod:`store.reports.costs` | costs by line and department, the 12-month trend |
| insurance 续保 | see :mod:`store.reports.insurance` | renewal rates per SA, due and renewed per insurer, the 12-month trend |
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlmodel import Session

from store.classes import CLASS_ORDER
from store.reports import ChartSpec, Month, ReportBook, ReportTable, Words
from store.reports.labels import column_label, value_words

REPORTS = ("members", "costs", "churn", "classes", "calls", "complaints", "insurance", "events")
CHURN_CUTS = ("warranty", "model", "vehicle_age", "region", "sa")


def _cut_words(dims: list[str]) -> Words:
    """A cut's name: 保修 / by warranty, 车型 区域 / by model, region, 总计 / total."""
    if not dims:
        return Words("总计", "total")
    return Words(" ".join(column_label(d, "zh") for d in dims), "by " + ", ".join(column_label(d, "en") for d in dims))


def _cut_key(dims: list[str]) -> str:
    return "by_" + "_".join(dims) if dims else "total"


def churn_book(session: Session, *, as_of: date, by: list[str] | tuple[str, ...] = (),
               store_ids: list[int] | None = None) -> ReportBook:
    from store.reports.churn import churn_report, class_counts

    asked = list(by)
    # One pass over the park for every cut; the asked cut alone when it is not one of them.
    cuts = list(CHURN_CUTS)
    counts = class_counts(session, as_of=as_of, dims=cuts, store_ids=store_ids, loyalty=False)

    def sheet(dims: list[str]) -> ReportTable:
        if set(dims) <= set(cuts):
            t = churn_report(session, as_of=as_of, by=dims, store_ids=store_ids, counts=counts)
        else:
            t = churn_report(session, as_of=as_of, by=dims, store_ids=store_ids)
        charts = []
        cut = _cut_words(dims)
        if len(dims) == 1:
            charts = [ChartSpec("column", Words(f"流失率（按{cut.zh}）(%)", f"churn {cut.en} (%)"), dims[0],
                                ["churn_rate", "at_risk_rate"], y_title="%", stacked=True)]
        return replace(t, key=_cut_key(dims), sheet=Words(f"流失 {cut.zh}", f"churn {cut.en}"), charts=charts)

    sheets = [sheet(asked)] + [sheet([d]) for d in CHURN_CUTS if [d] != asked]
    return ReportBook(
        title=Words(f"流失分析，截至 {as_of.isoformat()}", f"churn, as of {as_of.isoformat()}"), sheets=sheets,
        notes=[Words("流失率 = 流失 / 车辆数；准流失率 = 将流失 / 车辆数；两者之和为最大可能流失率",
                     "churn rate = churned / vehicles; at-risk rate = at risk / vehicles; their sum is the maximum "
                     "possible churn rate"),
               Words("车龄 1 = 购车后第一年", "vehicle age 1 = the first year since purchase")],
    )


def _with_labels(t: ReportTable) -> ReportTable:
    """The class mix with each class's name beside its code (chart labels)."""
    i = t.columns.index("class") + 1
    rows = [r | {"label": value_words(r.get("class"))} for r in t.rows]
    return replace(t, columns=t.columns[:i] + ["label"] + t.columns[i:], rows=rows)


def classes_book(session: Session, *, as_of: date, by: list[str] | tuple[str, ...] = (),
                 store_ids: list[int] | None = None) -> ReportBook:
    from store.reports.churn import class_mix_report

    dims = list(by)
    whole = _with_labels(class_mix_report(session, as_of=as_of, by=[], store_ids=store_ids))
    whole = replace(whole, key="total", sheet=Words("客户分类 总计", "classes total"),
                    charts=[ChartSpec("pie", Words("客户分类结构", "class mix"), "label", ["vehicles"])])
    sheets = [whole]
    if dims:
        words = _cut_words(dims)
        cut = _with_labels(class_mix_report(session, as_of=as_of, by=dims, store_ids=store_ids))
        cut = replace(cut, key=_cut_key(dims), sheet=Words(f"客户分类 {words.zh}", f"classes {words.en}"))
        sheets = [cut, _mix_pivot(cut, dims), whole]
    return ReportBook(
        title=Words(f"客户分类结构，截至 {as_of.isoformat()}", f"class mix, as of {as_of.isoformat()}"), sheets=sheets,
        notes=[Words("占比：占该组在册车辆的百分比；健康占比：门店设置 class_healthy_mix；差距：占比减健康占比，"
                     "单位为百分点",
                     "share: of the group's vehicles in the park; healthy share: the store's class_healthy_mix; "
                     "gap: share less healthy share, in percentage points (pp)")],
    )


def _mix_pivot(cut: ReportTable, dims: list[str]) -> ReportTable:
    """One row per group, one share column per class: what a stacked bar reads."""
    classes = [c for c in CLASS_ORDER if any(r["class"] == c for r in cut.rows)]
    groups: dict[tuple, dict] = {}
    for r in cut.rows:
        key = tuple(r.get(d) for d in dims)
        g = groups.setdefault(key, {d: r.get(d) for d in dims} | {
            "group": " / ".join("" if v is None else str(v) for v in key), "vehicles": 0})
        g[r["class"]] = r["share"]
        g["vehicles"] += r["vehicles"] or 0
    columns = dims + ["group", "vehicles"] + classes if len(dims) > 1 else dims + ["vehicles"] + classes
    category = "group" if len(dims) > 1 else dims[0]
    words = _cut_words(dims)
    title = cut.title if isinstance(cut.title, Words) else Words(cut.title, cut.title)
    return ReportTable(
        title=Words(f"{title.zh}：各类占比", f"{title.en}: shares"), columns=columns,
        rows=[{c: g.get(c) for c in columns} for g in groups.values()],
        percent_columns=tuple(classes), key=_cut_key(dims) + "_shares",
        sheet=Words(f"分类占比 {words.zh}", f"class shares {words.en}"),
        charts=[ChartSpec("bar", Words(f"客户分类占比（按{words.zh}）(%)", f"class shares {words.en} (%)"), category,
                          classes, y_title="%", stacked=True)],
    )


def calls_book(session: Session, *, date_from: date, date_to: date, by: list[str] | tuple[str, ...] = (),
               store_ids: list[int] | None = None) -> ReportBook:
    from store.reports.calls import calls_report
    from store.reports.members import staff_table

    dims = list(by)
    bar = ChartSpec("bar", Words("各服务顾问电话、预约与到店", "calls, bookings and shows per SA"), "sa",
                    ["calls", "booked", "showed"])
    asked = calls_report(session, date_from=date_from, date_to=date_to, by=dims, store_ids=store_ids)
    words = _cut_words(dims)
    asked = replace(asked, key=_cut_key(dims), sheet=Words(f"回访 {words.zh}", f"calls {words.en}"),
                    charts=[bar] if "sa" in dims else [])
    sheets = [asked]
    if "sa" not in dims:
        per_sa = calls_report(session, date_from=date_from, date_to=date_to, by=["sa"], store_ids=store_ids)
        sheets.append(replace(per_sa, key="by_sa", sheet=Words("回访 服务顾问", "calls by SA"), charts=[bar]))
    sheets.append(staff_table(session, store_ids, date_from, date_to))
    period = f"{date_from.isoformat()} – {date_to.isoformat()}"
    return ReportBook(title=Words(f"回访/邀约效果 {period}", f"calls and bookings {period}"), sheets=sheets,
                      notes=list(asked.notes))


def report_book(session: Session, name: str, *, month: Month, store_ids: list[int] | None = None) -> ReportBook:
    """A report by name for a month, as the Reports screen shows it: churn and the class
    mix as of the month's last day (or today), calls over the month."""
    from store.reports.costs import costs_report
    from store.reports.members import members_report, period_end

    until = period_end(month)
    if name == "members":
        return members_report(session, month=month, store_ids=store_ids)
    if name == "complaints":
        from store.reports.complaints import complaints_report

        return complaints_report(session, month=month, store_ids=store_ids)
    if name == "costs":
        return costs_report(session, month=month, store_ids=store_ids)
    if name == "insurance":
        from store.reports.insurance import insurance_report

        return insurance_report(session, month=month, store_ids=store_ids)
    if name == "churn":
        return churn_book(session, as_of=until, store_ids=store_ids)
    if name == "classes":
        return classes_book(session, as_of=until, store_ids=store_ids)
    if name == "calls":
        return calls_book(session, date_from=month.first, date_to=until, by=["sa"], store_ids=store_ids)
    if name == "events":
        from store.reports.events import events_report

        return events_report(session, date_from=month.first, date_to=month.last, store_ids=store_ids)
    raise ValueError(f"no report {name!r}: choose from {', '.join(REPORTS)}")
