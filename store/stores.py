"""Which store (dealer site 门店) a command or screen works in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import text

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlmodel import Session

    from store.models import Store


class StoreNotFound(LookupError):
    pass


def resolve_store_id(conn: Session | Connection, code: str | None = None) -> int:
    """The id of the store with this code, or of the only store when no code is
    given (plain SQL: the counter resolves its store before its first paint)."""
    if code:
        found = conn.execute(text("SELECT id FROM store WHERE code = :code"), {"code": code}).scalar()
        if found is None:
            raise StoreNotFound(f"no store with code {code!r}")
        return found
    ids = conn.execute(text("SELECT id FROM store ORDER BY id LIMIT 2")).scalars().all()
    if not ids:
        raise StoreNotFound("the database has no store yet: import an export or run `dealerdesk demo`")
    if len(ids) > 1:
        raise StoreNotFound("this database holds several stores: say which with --store CODE")
    return ids[0]


def resolve_store(session: Session, code: str | None = None) -> Store:
    """The store with this code, or the only store when no code is given."""
    from store.models import Store

    return session.get(Store, resolve_store_id(session, code))


def ensure_store(session: Session, code: str, name: str | None = None) -> Store:
    from sqlmodel import select

    from store.models import Store

    store = session.exec(select(Store).where(Store.code == code)).first()
    if store is None:
        store = Store(code=code, name=name or code)
        session.add(store)
        session.flush()
    return store
