"""Reports off the primary: reports and customer exports read a read replica 只读副本
when one is configured (``DEALERDESK_REPORTS_DB`` or ``[database] reports_url``, see
:func:`store.config.reports_database_url`), while every write, an export's audit row
included, goes to the primary. Without the setting they read the primary.

A replica lags its primary, so a report read from one says how old its data is
(数据截至 / data as of), by this rule (:func:`data_age`):

1. On a Postgres standby (``pg_is_in_recovery()``): the last replayed transaction's
   commit time, ``pg_last_xact_replay_timestamp()``, and its age ``now() - that``.
   (A primary with no writes for a while makes this look older than the data is.)
2. Otherwise (a logical replica, a copied SQLite file, a standby that has replayed
   nothing yet): the newest of the latest audit row's time, ``max(auditlog.at)``,
   and the latest finished import, ``max(importjournal.finished_at)``. Every change
   to money, points, memberships, staff and settings and every import writes an
   audit row on the machine's clock, so it is the newest write the replica is known
   to hold (an import's finish time is the business clock, the same unless
   ``--today`` moved it). Its age is measured against this machine's clock. A
   replica holding neither says so instead of giving a time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from store import clock
from store.config import reports_database_url
from store.words import Words

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine
    from sqlmodel import Session

R = TypeVar("R")

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def uses_replica() -> bool:
    """True when reports read a database of their own."""
    return reports_database_url() is not None


def reports_engine(primary: Engine) -> Engine:
    """The engine reports and exports read: the replica's when one is configured
    (opened once per URL, never migrated: a replica follows its primary's schema),
    else ``primary``."""
    url = reports_database_url()
    if url is None:
        return primary
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            from pathlib import Path

            from store.db import DatabaseError, current_revision, make_engine

            if url.startswith("sqlite:///") and not Path(url.split("///", 1)[1]).is_file():
                # make_engine would create an empty file where a mistyped path points
                raise DatabaseError(f"the reports database {url} does not exist "
                                    "(DEALERDESK_REPORTS_DB / [database] reports_url)")
            engine = make_engine(url)
            try:
                revision = current_revision(engine)
            except Exception as exc:
                raise DatabaseError(f"cannot open the reports database {engine.url!r}: {exc}") from exc
            if revision is None:
                raise DatabaseError(f"the reports database {engine.url!r} holds no dealerdesk data "
                                    "(DEALERDESK_REPORTS_DB / [database] reports_url)")
            _engines[url] = engine
    return engine


@dataclass(frozen=True)
class DataAge:
    """How old the data a report read is: ``as_of`` (local time, None when the
    replica shows no write at all), ``age`` from then to now, and which ``rule``
    found it: ``replay`` (a Postgres standby) or ``latest_write`` (the newest audit row or import)."""

    as_of: datetime | None
    age: timedelta | None
    rule: str

    @property
    def words(self) -> Words:
        if self.as_of is None:
            return Words("数据截至：只读副本中尚无写入记录", "data as of: the read replica holds no writes yet")
        when = self.as_of.strftime("%Y-%m-%d %H:%M")
        zh, en = _age_words(self.age)
        return Words(f"数据截至 {when}（只读副本，{zh}）", f"data as of {when} (read replica, {en})")


def _age_words(age: timedelta | None) -> tuple[str, str]:
    minutes = max(0, int((age or timedelta()).total_seconds() // 60))
    if minutes < 1:
        return "不到 1 分钟前", "under a minute old"
    if minutes < 120:
        return f"约 {minutes} 分钟前", f"about {minutes} minutes old"
    if minutes < 48 * 60:
        return f"约 {minutes // 60} 小时前", f"about {minutes // 60} hours old"
    return f"约 {minutes // 1440} 天前", f"about {minutes // 1440} days old"


def data_age(source: Session | Connection) -> DataAge:
    """How old the data behind ``source`` is, by the rule in this module's docstring."""
    from store.plain_sql import sql

    dialect = source.dialect if hasattr(source, "dialect") else source.get_bind().dialect
    if dialect.name == "postgresql":
        standby, replayed, lag = source.execute(sql(
            "SELECT pg_is_in_recovery(), pg_last_xact_replay_timestamp(), now() - pg_last_xact_replay_timestamp()"
        )).one()
        if standby and replayed is not None:
            return DataAge(replayed.astimezone().replace(tzinfo=None), lag, "replay")
    times = source.execute(sql(
        "SELECT (SELECT max(at) FROM auditlog), (SELECT max(finished_at) FROM importjournal)")).one()
    # SQLite hands back text
    known = [datetime.fromisoformat(t) if isinstance(t, str) else t for t in times if t is not None]
    latest = max(known, default=None)
    if latest is None:
        return DataAge(None, None, "latest_write")
    return DataAge(latest, clock.real_now() - latest, "latest_write")


def replica_age(primary: Engine) -> DataAge | None:
    """The replica's :class:`DataAge`; None when reports read the primary."""
    if not uses_replica():
        return None
    from store.db import read_session

    with read_session(reports_engine(primary)) as session:
        return data_age(session)


def stamped(report: R, age: DataAge | None) -> R:
    """The report (a ReportTable or a ReportBook) saying how old its data is: a note,
    and ``data_as_of`` for a screen's status line. Unchanged when ``age`` is None."""
    if age is None:
        return report
    return replace(report, notes=[*report.notes, age.words], data_as_of=age.words)
