"""The schema's version without SQLAlchemy or Alembic: the newest migration, read
from the migration files' own lines, so a start can tell whether a database is
current before importing either (a fifth of a second of the counter's start)."""

from __future__ import annotations

import re
from pathlib import Path

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"

_REVISION_LINE = re.compile(r"""^(down_revision|revision)\s*(?::[^=]*)?=\s*(?:['"]([^'"]*)['"]|None)""", re.M)
_head: str | None = None


def head_revision() -> str:
    """The newest revision of store/migrations/versions, from the files' own
    ``revision`` and ``down_revision`` lines (the one nothing revises)."""
    global _head
    if _head is None:
        revisions: set[str] = set()
        revised: set[str] = set()
        for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
            found = dict((m.group(1), m.group(2)) for m in _REVISION_LINE.finditer(path.read_text(encoding="utf-8")))
            if found.get("revision"):
                revisions.add(found["revision"])
                if found.get("down_revision"):
                    revised.add(found["down_revision"])
        heads = revisions - revised
        if len(heads) != 1:  # pragma: no cover - a branched history: ask alembic
            from alembic.script import ScriptDirectory

            from store.db import alembic_config

            return ScriptDirectory.from_config(alembic_config()).get_current_head()
        _head = heads.pop()
    return _head
