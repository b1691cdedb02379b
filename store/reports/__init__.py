"""Reports 报表: each a plain function returning a :class:`ReportTable`, which the
CLI and the screens render as a table, CSV, JSON or an Excel workbook.

| module | report |
| --- | --- |
| :mod:`store.reports.churn` | churn 流失分析 and the class mix 客户分类结构 |
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal


@dataclass
class ReportTable:
    """Rows as dicts, in ``columns`` order. ``total`` is an optional summary row a
    table or workbook shows under the rows (CSV and JSON carry the rows only)."""

    title: str
    columns: list[str]
    rows: list[dict]
    total: dict | None = None
    notes: list[str] = field(default_factory=list)
    # Columns holding percentages (shown with 2 decimals).
    percent_columns: tuple[str, ...] = ()


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
