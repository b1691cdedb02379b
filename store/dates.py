"""Calendar arithmetic the store rules share.

"3 months" in a rule is three *calendar* months: 2026-11-22 minus 3 months is
2026-08-22; a day the target month lacks falls back to its last day (2026-05-31
minus 3 months is 2026-02-28).
"""

from __future__ import annotations

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole calendar months, clamped to the month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def whole_months_between(start: date, end: date) -> int:
    """Whole calendar months from ``start`` to ``end`` (0 when ``end`` is earlier)."""
    if end <= start:
        return 0
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if add_months(start, months) > end:
        months -= 1
    return max(0, months)


def whole_years_between(start: date, end: date) -> int:
    return whole_months_between(start, end) // 12


def anniversary(day: date, year: int) -> date:
    """``day``'s anniversary in ``year`` (29 February falls on 28 February)."""
    return date(year, day.month, min(day.day, calendar.monthrange(year, day.month)[1]))


def parse_day_word(text: str, *, today: date) -> date:
    """A day as a command takes it: ``2026-11-22``; or, relative to ``today``,
    ``today``/``今天``, ``yesterday``/``昨天``, ``-7`` (7 days ago), ``+3`` (in 3 days).
    Raises ValueError with the forms it knows."""
    from datetime import timedelta

    raw = (text or "").strip().lower()
    words = {"today": 0, "今天": 0, "yesterday": -1, "昨天": -1, "tomorrow": 1, "明天": 1}
    if raw in words:
        return today + timedelta(days=words[raw])
    if raw[:1] in "+-" and raw[1:].isdigit():
        return today + timedelta(days=int(raw))
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{text!r} is not a day (YYYY-MM-DD, today, -7, +3)") from None
