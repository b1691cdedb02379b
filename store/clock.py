"""The one clock. "Today" comes from here, never from scattered ``date.today()`` calls.

Tests and demos set it with ``--today`` / ``DEALERDESK_TODAY`` or :func:`set_today`.
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
    if _override is not None:
        return _override
    env = os.environ.get("DEALERDESK_TODAY")
    if env:
        return date.fromisoformat(env)
    return date.today()


def now() -> datetime:
    """The current moment; on a fixed day, that day at the real time of day."""
    real = datetime.now()
    fixed = today()
    if fixed == real.date():
        return real
    return datetime.combine(fixed, time(real.hour, real.minute, real.second))
