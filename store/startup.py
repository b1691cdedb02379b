"""What the counter must know before its first paint, read without SQLAlchemy.

The sign-in screen needs three facts: the language, the store's name and whether
the database still needs its first manager. On an SQLite file whose schema is
current they are read here with the standard library's driver, in a millisecond,
so the screen paints before SQLAlchemy, the models and the sessions are imported
(about a fifth of a second); the engine opens right after the paint, while the
person at the counter types their code. Any other database (Postgres, a file that
is missing or behind the migrations) gets None, and the start opens the engine
first as before."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from store.schema import VERSION_TABLE, head_revision
from store.settings import DEFAULTS, GROUP_SETTING_SQL, outside_setting


@dataclass(frozen=True)
class StartFacts:
    language: str
    store_name: str  # "" unless the database holds exactly one store
    store_id: int | None  # the only store's id, else None (sign-in decides)
    has_store: bool
    needs_first_manager: bool


def sqlite_file(url: str) -> Path | None:
    """The file of an ``sqlite:///path`` URL; None for memory, URI forms and other databases."""
    if not url.startswith("sqlite:///"):
        return None
    path = url[len("sqlite:///"):]
    if not path or path == ":memory:" or path.startswith("file:") or "?" in path:
        return None
    return Path(path)


def read_start_facts(url: str) -> StartFacts | None:
    """The facts for the first paint, or None when the engine must open first."""
    path = sqlite_file(url)
    if path is None or not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return None
    try:
        versions = [row[0] for row in conn.execute(f"SELECT version_num FROM {VERSION_TABLE}")]
        if versions != [head_revision()]:
            return None  # behind (or branched): the engine opens and migrates first
        language = outside_setting("language")
        if language is None:
            row = conn.execute(GROUP_SETTING_SQL, {"key": "language"}).fetchone()
            language = json.loads(row[0]) if row else DEFAULTS["language"]
        stores = conn.execute("SELECT id, name FROM store ORDER BY id LIMIT 2").fetchall()
        first = conn.execute("SELECT 1 FROM staff LIMIT 1").fetchone() is None
    except (sqlite3.Error, ValueError):
        return None  # not our schema, or locked past the timeout: the full path says why
    finally:
        conn.close()
    only = stores[0] if len(stores) == 1 else None
    return StartFacts(language=language, store_name=only[1] if only else "", store_id=only[0] if only else None,
                      has_store=bool(stores), needs_first_manager=first)
