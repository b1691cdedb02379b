"""The one clock. "Today" comes from here, never from scattered ``date.today()`` calls.

Tests and demos set it with ``--today`` / ``DEALERDESK_TODAY`` or :func:`set_today`.
That is the *business* day (classes, due dates, reports). Security and the record
of what happened use :func:`real_now`, which no option moves: a PIN lock and an
audit row's time come from the machine's clock.
"""

from __future__ import annotations

import os
from datetime import date, datetime, time

_override: date | None = None


def set_today(value: date | str | None) -> None:
    """Fix today's date for this process (``None`` goes back to the real clock)."""
    global _override
    if isinstance(value, str):
        value = date.fromisoformat(value)
    _override = value


def today() -> date:
    return fixed_today() or date.today()


def fixed_today() -> date | None:
    """The business day set by ``--today``, :func:`set_today` or ``DEALERDESK_TODAY``;
    None on the real clock."""
    if _override is not None:
        return _override
    env = os.environ.get("DEALERDESK_TODAY")
    return date.fromisoformat(env) if env else None


def now() -> datetime:
    """The current moment; on a fixed day, that day at the real time of day."""
    real = datetime.now()
    fixed = today()
    if fixed == real.date():
        return real
    return datetime.combine(fixed, time(real.hour, real.minute, real.second))


def real_now() -> datetime:
    """The machine's clock, whatever day ``--today`` or ``DEALERDESK_TODAY`` set:
    for PIN locks and audit rows, which no business-day setting may move."""
    return datetime.now()
