"""Reports 报表: each a plain function returning a :class:`ReportTable`, which the
CLI and the screens render as a table, CSV, JSON or an Excel workbook.

A report speaks both languages and renders in one: every human text it carries (a
title, a note, a sheet's or a chart's title, a unit, a metric's name, a value's
label in a row) is a :class:`Words` pair, and :func:`localized` turns a report into
plain text in the viewer's language (``zh`` or ``en``) in one pass. Every renderer
(the Reports screen, ``dealerdesk report``, :mod:`store.reports.workbook`) reads a
localized report; codes (column names, JSON keys, ``--sheet``) never change.

| module | report |
| --- | --- |
| :mod:`store.reports.churn` | churn 流失分析 and the class mix 客户分类结构 |
| :mod:`store.reports.calls` | calls 回访/邀约效果 per SA, before and after adoption |
| :mod:`store.reports.members` | the club's monthly KPIs 成效管理 |
| :mod:`store.reports.costs` | what the club costs 会员服务费用核算, month by month |
| :mod:`store.reports.insurance` | insurance renewals 续保 from the policies on file, by month, SA and insurer |
| :mod:`store.reports.books` | a report's workbook: every cut on its own sheet, with charts |
| :mod:`store.reports.workbook` | writes a :class:`ReportBook` as an .xlsx file |
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from store.words import LANGUAGES, Words, say  # noqa: F401  (the reports' words, from here too)


@dataclass
class ReportTable:
    """Rows as dicts, in ``columns`` order. ``total`` is an optional summary row a
    table or workbook shows under the rows (CSV and JSON carry the rows only).
    A text cell meant for people (a label, a metric's name, a note) is :class:`Words`."""

    title: str | Words
    columns: list[str]
    rows: list[dict]
    total: dict | None = None
    notes: list[str | Words] = field(default_factory=list)
    # Columns holding percentages (shown with 2 decimals).
    percent_columns: tuple[str, ...] = ()
    # Columns holding yuan as Decimal with 2 places (money is fen everywhere else).
    money_columns: tuple[str, ...] = ()
    # Columns holding percentage points 百分点 (pp: a difference of two percentages).
    point_columns: tuple[str, ...] = ()
    # In a workbook: a stable code (JSON key, ``--sheet``), the sheet's title, its charts.
    key: str | None = None
    sheet: str | Words | None = None
    charts: list[ChartSpec] = field(default_factory=list)
    # Read from a replica: how old its data is (store.replica.stamped); also a note.
    data_as_of: str | Words | None = None


@dataclass
class ChartSpec:
    """A chart of a table's rows (the total row and the first ``skip`` rows left out):
    ``category`` labels the rows, each of ``values`` is a series. ``kind``: bar
    (horizontal), column, line, pie."""

    kind: str
    title: str | Words
    category: str
    values: list[str]
    y_title: str | Words | None = None
    stacked: bool = False
    skip: int = 0  # rows left out at the top (e.g. income lines above a chart of costs)


@dataclass
class ReportBook:
    """A report with several cuts: one :class:`ReportTable` per sheet."""

    title: str | Words
    sheets: list[ReportTable]
    notes: list[str | Words] = field(default_factory=list)
    data_as_of: str | Words | None = None  # as on ReportTable

    def sheet(self, key: str) -> ReportTable:
        for s in self.sheets:
            if s.key == key:
                return s
        raise KeyError(f"no sheet {key!r}: choose from {', '.join(str(s.key) for s in self.sheets)}")


def localized(report: ReportTable | ReportBook, language: str) -> ReportTable | ReportBook:
    """The report with every :class:`Words` in it (titles, notes, sheet and chart
    titles, text cells) said in ``language``: what every renderer shows. Figures,
    codes and data from the store are left as they are."""
    if isinstance(report, ReportBook):
        return replace(report, title=say(report.title, language), notes=[say(n, language) for n in report.notes],
                       sheets=[localized(s, language) for s in report.sheets],
                       data_as_of=say(report.data_as_of, language))

    def row(r: dict | None) -> dict | None:
        return None if r is None else {k: say(v, language) for k, v in r.items()}

    return replace(
        report, title=say(report.title, language), notes=[say(n, language) for n in report.notes],
        sheet=say(report.sheet, language), rows=[row(r) for r in report.rows], total=row(report.total),
        data_as_of=say(report.data_as_of, language),
        charts=[replace(c, title=say(c.title, language), y_title=say(c.y_title, language)) for c in report.charts],
    )


def yuan(fen: int | None) -> Decimal | None:
    """Fen as yuan with 2 places, exactly."""
    return None if fen is None else (Decimal(int(fen)) / 100).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Month:
    """A calendar month, ``2026-11``."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str, *, today: date | None = None) -> Month:
        """``2026-11``; or, relative to ``today``, ``this``, ``last`` (本月/上月) or
        ``-N`` months back, so a script's month never rots with the calendar."""
        words = {"this": 0, "本月": 0, "last": 1, "上月": 1}
        raw = text.strip().lower()
        if today is not None and (raw in words or (raw.startswith("-") and raw[1:].isdigit())):
            return cls.of(today).back(words[raw] if raw in words else int(raw[1:]))
        try:
            y, m = text.strip().split("-")
            month = cls(int(y), int(m))
            date(month.year, month.month, 1)
        except ValueError:
            raise ValueError(f"{text!r} is not a month (YYYY-MM)") from None
        return month

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        return self.next().first - timedelta(days=1)

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def prev(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def back(self, n: int) -> Month:
        index = self.year * 12 + self.month - 1 - n
        return Month(index // 12, index % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def __lt__(self, other: Month) -> bool:
        return (self.year, self.month) < (other.year, other.month)

    def __le__(self, other: Month) -> bool:
        return (self.year, self.month) <= (other.year, other.month)


def percent(part: int, whole: int) -> float | None:
    """``part / whole`` in percent, rounded half up to 2 decimals (9.729% -> 9.73)."""
    if not whole:
        return None
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def parse_dimensions(text: str | None, allowed: tuple[str, ...]) -> list[str]:
    """``"warranty,model"`` -> ["warranty", "model"]; unknown names raise ValueError."""
    if not text:
        return []
    dims = [d.strip().lower() for d in text.split(",") if d.strip()]
    unknown = [d for d in dims if d not in allowed]
    if unknown:
        raise ValueError(f"unknown dimension {', '.join(unknown)}: choose from {', '.join(allowed)}")
    if len(set(dims)) != len(dims):
        raise ValueError("a dimension is named twice")
    return dims
