"""Plain SQL statements made into SQLAlchemy's ``text()`` on first use.

The modules the counter imports before its first paint (settings, stores, access)
hold their few statements as strings: SQLAlchemy is imported when a query first
runs, after the sign-in screen is on the terminal (see :mod:`store.startup`)."""

from __future__ import annotations

from functools import cache


@cache
def sql(statement: str):
    from sqlalchemy import text

    return text(statement)
