"""The one place for settings.

Where the database lives comes from ``--db`` / ``DEALERDESK_DB``, then the config
file, then the default SQLite file in the user's data directory. Store rules
(thresholds, intervals, caps) are looked up in this order: the environment
(``DEALERDESK_<KEY>``), the config file's ``[rules]`` table, the database's own
settings table, then the defaults in :mod:`store.rules_defaults`.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path

import platformdirs

APP_NAME = "dealerdesk"


def data_dir() -> Path:
    path = Path(os.environ.get("DEALERDESK_HOME") or platformdirs.user_data_dir(APP_NAME))
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_path() -> Path:
    explicit = os.environ.get("DEALERDESK_CONFIG")
    if explicit:
        return Path(explicit)
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


@lru_cache(maxsize=4)
def _read_config(path: str) -> dict:
    p = Path(path)
    if not p.is_file():
        return {}
    with p.open("rb") as fh:
        return tomllib.load(fh)


def config_file() -> dict:
    return _read_config(str(config_path()))


def default_db_url() -> str:
    return f"sqlite:///{data_dir() / 'dealerdesk.sqlite'}"


def demo_db_url() -> str:
    return f"sqlite:///{data_dir() / 'demo.sqlite'}"


def database_url(explicit: str | None = None) -> str:
    """``--db`` beats ``DEALERDESK_DB`` beats the config file beats the default."""
    if explicit:
        return normalize_url(explicit)
    env = os.environ.get("DEALERDESK_DB")
    if env:
        return normalize_url(env)
    from_file = config_file().get("database", {}).get("url")
    if from_file:
        return normalize_url(from_file)
    return default_db_url()


def reports_database_url() -> str | None:
    """Where reports and exports read: a read replica 只读副本 of the primary, from
    ``DEALERDESK_REPORTS_DB``, else the config file's ``[database] reports_url``;
    None when neither is set (they read the primary, as every write does)."""
    env = os.environ.get("DEALERDESK_REPORTS_DB")
    if env:
        return normalize_url(env)
    from_file = config_file().get("database", {}).get("reports_url")
    return normalize_url(from_file) if from_file else None


def normalize_url(url: str) -> str:
    """Accept the short spellings people type: a bare path, ``postgresql://``."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def env_rule(key: str) -> str | None:
    return os.environ.get(f"DEALERDESK_{key.upper()}")


def file_rule(key: str):
    return config_file().get("rules", {}).get(key)
