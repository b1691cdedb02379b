"""``dealerdesk report ...``: the manager's reports, as a table, CSV, JSON or xlsx.

They read the reports' database (:mod:`store.replica`: a read replica when
``DEALERDESK_REPORTS_DB`` or ``[database] reports_url`` names one, and then each
report says how old its data is), else the primary.

Each report is one subcommand on :data:`report_app`; they share the output options
and writers of :mod:`tui.cli.report_output`.
"""

from __future__ import annotations

from pathlib import Path

import typer

from store.db import read_session
from store.reports import parse_dimensions
from tui.cli.common import app, ctx_obj, fail
from tui.cli.report_output import ReportFormat, emit, parse_as_of, report_store_ids

report_app = typer.Typer(help="Reports: churn, class mix, calls, club KPIs, complaints, satisfaction, insurance "
                         "renewals, what the club costs, club events.",
                         no_args_is_help=True)
app.add_typer(report_app, name="report")

AS_OF = typer.Option(None, "--as-of", help="The date the report is as of (YYYY-MM-DD; default today).")
FORMAT = typer.Option(ReportFormat.table, "--format",
                      help="table, csv, json or xlsx (xlsx needs --out: a workbook with every cut and its charts).")
OUT = typer.Option(None, "--out", help="Write to this file instead of the screen.")


@report_app.command("churn")
def churn(
    ctx: typer.Context,
    as_of: str | None = AS_OF,
    by: str | None = typer.Option(
        None, "--by", help="Comma list of: warranty, region, vehicle_age, model, sa, store, class."
    ),
    fmt: ReportFormat = FORMAT,
    out: Path | None = OUT,
) -> None:
    """Churn 流失分析: vehicles, churned, at risk and the rates, cut by any dimensions.

    Without --store it covers every store in the database."""
    from store.reports.churn import DIMENSIONS, churn_report

    obj = ctx_obj(ctx)
    day = parse_as_of(as_of)
    try:
        dims = parse_dimensions(by, DIMENSIONS)
    except ValueError as exc:
        fail(str(exc))
    store_ids = report_store_ids(obj)
    with read_session(obj.reports_engine()) as session:
        report = churn_report(session, as_of=day, by=dims, store_ids=store_ids)
    emit(report, fmt, out, language=obj.language(), age=obj.replica_age(),
         book=lambda: _book(obj, "churn_book", as_of=day, by=dims, store_ids=store_ids))


@report_app.command("classes")
def classes(
    ctx: typer.Context,
    as_of: str | None = AS_OF,
    by: str | None = typer.Option(None, "--by", help="Comma list of: warranty, region, vehicle_age, model, sa, store."),
    fmt: ReportFormat = FORMAT,
    out: Path | None = OUT,
) -> None:
    """The class mix 客户分类结构: counts and shares per class against the healthy mix."""
    from store.reports.churn import DIMENSIONS, class_mix_report

    obj = ctx_obj(ctx)
    day = parse_as_of(as_of)
    try:
        dims = parse_dimensions(by, tuple(d for d in DIMENSIONS if d != "class"))
    except ValueError as exc:
        fail(str(exc))
    store_ids = report_store_ids(obj)
    with read_session(obj.reports_engine()) as session:
        report = class_mix_report(session, as_of=day, by=dims, store_ids=store_ids)
    emit(report, fmt, out, language=obj.language(), age=obj.replica_age(),
         book=lambda: _book(obj, "classes_book", as_of=day, by=dims, store_ids=store_ids))


def _book(obj, name: str, **kwargs):
    """A report's workbook (:mod:`store.reports.books`), in its own read."""
    from store.reports import books

    with read_session(obj.reports_engine()) as session:
        return getattr(books, name)(session, **kwargs)


MONTH = typer.Option(None, "--month", help="The month, YYYY-MM (default this month, to today).")
SHEET = typer.Option(None, "--sheet", help="One table of the report for table/csv/json (e.g. summary, trend).")


def parse_month(value: str | None):
    from store import clock
    from store.reports import Month

    if not value:
        return Month.of(clock.today())
    try:
        return Month.parse(value, today=clock.today())
    except ValueError as exc:
        fail(f"--month: {exc} (or this, last, -2)")


@report_app.command("members")
def members(
    ctx: typer.Context,
    month: str | None = MONTH,
    fmt: ReportFormat = FORMAT,
    out: Path | None = OUT,
    sheet: str | None = SHEET,
) -> None:
    """The club's monthly KPIs 成效管理: new members by class, members in force,
    renewal and insurance renewal rates, referrals, spend per vehicle of members and
    non-members, pitches and conversion per SA/CA, and the 12-month trend.

    Sheets: summary, new_by_class, staff, spend, trend."""
    from store.reports.members import members_report

    obj = ctx_obj(ctx)
    m = parse_month(month)
    with read_session(obj.reports_engine()) as session:
        book = members_report(session, month=m, store_ids=report_store_ids(obj))
    emit(book, fmt, out, language=obj.language(), sheet=sheet, age=obj.replica_age())


@report_app.command("complaints")
def complaints(
    ctx: typer.Context,
    month: str | None = MONTH,
    fmt: ReportFormat = FORMAT,
    out: Path | None = OUT,
    sheet: str | None = SHEET,
) -> None:
    """Complaints 投诉 of the month and their handling: counts, overdue, reopened share,
    hours to the first answer and days to resolution; by category, owner and month.

    Sheets: summary, category, owner, trend."""
    from store.reports.complaints import complaints_report

    obj = ctx_obj(ctx)
    m = parse_month(month)
    with read_session(obj.reports_engine()) as session:
        book = complaints_report(session, month=m, store_ids=report_store_ids(obj))
    emit(book, fmt, out, language=obj.language(), sheet=sheet, age=obj.replica_age())


@report_app.command("satisfaction")
def satisfaction(
    ctx: typer.Context,
    month: str | None = MONTH,
    fmt: ReportFormat = FORMAT,
    out: Path | None = OUT,
    sheet: str | None = SHEET,
) -> None:
    """Satisfaction 满意度 from the after-service callbacks: the average per question,
    per SA and month, and the callbacks' response rate.

    Sheets: summary, sa, trend."""
    from store.reports.satisfaction import satisfaction_report

    obj = ctx_obj(ctx)
    m = parse_month(month)
    with read_session(obj.reports_engine()) as session:
        book = satisfaction_report(session, month=m, store_ids=report_store_ids(obj))
    emit(book, fmt, out, language=obj.language(), sheet=sheet, age=obj.replica_age())


@report_app.command("costs")
def costs(
    ctx: typer.Context,
    month: str | None = MONTH,
    fmt: ReportFormat = FORMAT,
    out: Path | None = OUT,
    sheet: str | None = SHEET,
) -> None:
    """What the club costs 会员服务费用核算: income, costs by department (after-sales,
    accessories, club), the balance carried from month to month, the 12-month trend.

    Sheets: balance, lines, departments, trend. Amounts in yuan."""
    from store.reports.costs import costs_report

    obj = ctx_obj(ctx)
    m = parse_month(month)
    with read_session(obj.reports_engine()) as session:
        book = costs_report(session, month=m, store_ids=report_store_ids(obj))
    emit(book, fmt, out, language=obj.language(), sheet=sheet, age=obj.replica_age())


@report_app.command("insurance")
def insurance(
    ctx: typer.Context,
    month: str | None = MONTH,
    fmt: ReportFormat = FORMAT,
    out: Path | None = OUT,
    sheet: str | None = SHEET,
) -> None:
    """Insurance renewals 续保 from the policies on file: of the policies expiring in
    the month, those renewed with us and elsewhere, the rates, the premium sold; by
    SA, by insurer and month by month.

    Sheets: summary, sa, insurer, trend. Amounts in yuan."""
    from store.reports.insurance import insurance_report

    obj = ctx_obj(ctx)
    m = parse_month(month)
    with read_session(obj.reports_engine()) as session:
        book = insurance_report(session, month=m, store_ids=report_store_ids(obj))
    emit(book, fmt, out, language=obj.language(), sheet=sheet, age=obj.replica_age())


@report_app.command("events")
def events(
    ctx: typer.Context,
    date_from: str | None = typer.Option(None, "--from", help="Events from this day (default: a year before --to)."),
    date_to: str | None = typer.Option(None, "--to", help="Events up to this day (default today)."),
    fmt: ReportFormat = FORMAT,
    out: Path | None = OUT,
    sheet: str | None = SHEET,
) -> None:
    """Did the club's events work 会员活动效果: per event sign-ups, attendance rate, cost
    per attendee, points given, and the attendees' visits and spend in the 90 days
    after against the same members' 90 days before.

    Sheets: events. Amounts in yuan."""
    from datetime import timedelta

    from store import clock
    from store.reports.events import events_report
    from tui.cli.common import cli_day

    obj = ctx_obj(ctx)
    hi = cli_day(date_to, "--to") or clock.today()
    lo = cli_day(date_from, "--from") or hi - timedelta(days=365)
    if lo > hi:
        fail("--from is after --to")
    with read_session(obj.reports_engine()) as session:
        book = events_report(session, date_from=lo, date_to=hi, store_ids=report_store_ids(obj))
    emit(book, fmt, out, language=obj.language(), sheet=sheet, age=obj.replica_age())
