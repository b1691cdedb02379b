"""A report's charts drawn in the terminal with Unicode blocks, as Rich renderables:
horizontal bars to an eighth of a cell, stacked bars with a shade per series, a pie
as the shares of its slices, a line as a sparkline per series. Rich pads Chinese
labels by their cell width (a CJK character takes two cells), so the bars line up.

No plotting dependency: a bar chart of a dozen categories is all these reports
draw, and blocks render in any terminal the counter runs in (textual-plotext would
add plotext and a widget for what a few lines do here)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from store.reports import ChartSpec, ReportTable
from store.reports.labels import CODED, column_label, figure_text, value_label

EIGHTHS = " ▏▎▍▌▋▊▉"
SHADES = ("█", "▓", "▒", "░")  # stacked series, first to last
SPARK = "▁▂▃▄▅▆▇█"


def _num(value) -> float:
    if value is None or isinstance(value, str):
        return 0.0
    return float(value)


def bar(value: float, maximum: float, width: int, block: str = "█") -> str:
    """A bar of ``value / maximum * width`` cells, to the eighth of a cell (full
    blocks in ``block``'s shade)."""
    if maximum <= 0 or value <= 0:
        return ""
    eighths = round(value / maximum * width * 8)
    full, part = divmod(eighths, 8)
    return block * full + (EIGHTHS[part] if part and block == "█" else "")


def _fmt(value, code: str, table: ReportTable, language: str = "zh") -> str:
    return figure_text(table, code, value, language)


def category_label(row: dict, spec: ChartSpec, language: str) -> str:
    value = row.get(spec.category)
    if spec.category in CODED:
        return value_label(value, language)
    return "" if value is None else str(value)


def sparkline(values: list[float]) -> str:
    lo, hi = min(values, default=0), max(values, default=0)
    if hi == lo:
        return SPARK[3] * len(values)
    return "".join(SPARK[round((v - lo) / (hi - lo) * (len(SPARK) - 1))] for v in values)


def render_chart(table: ReportTable, spec: ChartSpec, *, width: int = 30, language: str = "zh") -> RenderableType:
    """One chart of a table's rows (the total row left out)."""
    rows = table.rows[spec.skip:]
    title = Text(spec.title, style="bold")
    names = [column_label(code, language) for code in spec.values]
    grid = Table(box=None, show_header=False, padding=(0, 1, 0, 0), pad_edge=False, expand=False)
    if spec.kind == "line":
        grid.add_column(no_wrap=True)
        grid.add_column(no_wrap=True)
        grid.add_column(no_wrap=True, justify="right")
        for code, name in zip(spec.values, names):
            values = [_num(r.get(code)) for r in rows]
            last = rows[-1].get(code) if rows else None
            grid.add_row(name, sparkline(values), _fmt(last, code, table, language))
        first = category_label(rows[0], spec, language) if rows else ""
        end = category_label(rows[-1], spec, language) if rows else ""
        return Group(title, grid, Text(f"{first} … {end}", style="dim"))
    grid.add_column(no_wrap=True, max_width=24, overflow="ellipsis")
    if spec.kind == "pie":
        total = sum(_num(r.get(spec.values[0])) for r in rows)
        grid.add_column(no_wrap=True)
        grid.add_column(no_wrap=True, justify="right")
        for r in rows:
            v = _num(r.get(spec.values[0]))
            share = v / total * 100 if total else 0.0
            grid.add_row(category_label(r, spec, language), bar(share, 100, width), f"{share:.1f}%")
        return Group(title, grid)
    if spec.stacked:
        maximum = max((sum(_num(r.get(c)) for c in spec.values) for r in rows), default=0)
        grid.add_column(no_wrap=True)
        grid.add_column(no_wrap=True, justify="right")
        for r in rows:
            text = Text()
            for i, code in enumerate(spec.values):
                text.append(bar(_num(r.get(code)), maximum, width, SHADES[i % len(SHADES)]))
            grid.add_row(category_label(r, spec, language), text,
                         " + ".join(_fmt(r.get(c), c, table, language) for c in spec.values))
        legend = "  ".join(f"{SHADES[i % len(SHADES)]} {name}" for i, name in enumerate(names))
        return Group(title, grid, Text(legend, style="dim"))
    maximum = max((_num(r.get(c)) for r in rows for c in spec.values), default=0)
    several = len(spec.values) > 1
    if several:
        grid.add_column(no_wrap=True)  # the series
    grid.add_column(no_wrap=True)
    grid.add_column(no_wrap=True, justify="right")
    for r in rows:
        for i, (code, name) in enumerate(zip(spec.values, names)):
            label = category_label(r, spec, language) if i == 0 else ""
            cells = [label] + ([name] if several else [])
            grid.add_row(*cells, bar(_num(r.get(code)), maximum, width), _fmt(r.get(code), code, table, language))
    return Group(title, grid)


def render_charts(table: ReportTable, *, width: int = 30, language: str = "zh") -> RenderableType | None:
    specs = [spec for spec in table.charts if len(table.rows) > spec.skip]
    if not specs:
        return None
    parts: list[RenderableType] = []
    for spec in specs:
        if parts:
            parts.append(Text(""))
        parts.append(render_chart(table, spec, width=width, language=language))
    return Group(*parts)
