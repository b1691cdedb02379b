"""The Reports screen's interface to the store: a report book by name and month, and
its workbook, each in its own short read (the screen calls these from workers).

Who may read reports: a store manager (their store), a member specialist (their
store's club figures), a group analyst (aggregates of every store, or of the store
the counter is set to), the system. Service and sales advisors may not.

A book is read from the reports' database (:mod:`store.replica`: the read replica
when one is set, and then the book says how old its data is), else the primary."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from store.access import AccessDenied, Actor, may, report_scope
from store.db import read_session
from store.replica import data_age, reports_engine, stamped, uses_replica
from store.reports import Month, ReportBook
from store.reports.books import REPORTS, report_book
from store.reports.workbook import write_workbook

class ReportDesk:
    def __init__(self, engine: Engine, actor: Actor, store_id: int | None) -> None:
        self.engine = engine
        self.actor = actor
        self.store_id = store_id if store_id is not None else actor.store_id

    @property
    def may_read(self) -> bool:
        return may(self.actor, "reports.read")

    def store_ids(self) -> list[int] | None:
        return report_scope(self.actor, self.store_id)

    def book(self, name: str, month: Month) -> ReportBook:
        if not self.may_read:
            raise AccessDenied("reports are for managers, member specialists and analysts")
        if name not in REPORTS:
            raise ValueError(f"no report {name!r}")
        with read_session(reports_engine(self.engine)) as session:
            book = report_book(session, name, month=month, store_ids=self.store_ids())
            return stamped(book, data_age(session) if uses_replica() else None)

    @staticmethod
    def export(book: ReportBook, path: Path, *, language: str = "zh") -> Path:
        """The book's workbook, in the reader's language."""
        return write_workbook(book, path, language=language)
