"""Which store (dealer site 门店) a command or screen works in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from store.plain_sql import sql

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlmodel import Session

    from store.access import Actor
    from store.models import Store


class StoreNotFound(LookupError):
    pass


def has_store(conn: Session | Connection) -> bool:
    """Whether the database holds a store yet (plain SQL: asked before the app paints)."""
    return conn.execute(sql("SELECT id FROM store LIMIT 1")).first() is not None


def resolve_store_id(conn: Session | Connection, code: str | None = None) -> int:
    """The id of the store with this code, or of the only store when no code is
    given (plain SQL: the counter resolves its store before its first paint)."""
    if code:
        found = conn.execute(sql("SELECT id FROM store WHERE code = :code"), {"code": code}).scalar()
        if found is None:
            raise StoreNotFound(f"no store with code {code!r}")
        return found
    ids = conn.execute(sql("SELECT id FROM store ORDER BY id LIMIT 2")).scalars().all()
    if not ids:
        raise StoreNotFound("the database has no store yet: import an export or run `dealerdesk demo`")
    if len(ids) > 1:
        raise StoreNotFound("this database holds several stores: say which with --store CODE")
    return ids[0]


def resolve_store(session: Session, code: str | None = None) -> Store:
    """The store with this code, or the only store when no code is given."""
    from store.models import Store

    return session.get(Store, resolve_store_id(session, code))


CODE_PATTERN = r"^[A-Za-z0-9_-]{1,16}$"


def add_store(session: Session, *, actor: Actor, code: str, name: str) -> Store:
    """A new store (门店) of the group: the system's work (the group's administrator)."""
    import re

    from sqlmodel import select

    from store.access import require_system
    from store.audit import record
    from store.models import Store
    from store.validation import clean_text

    require_system(actor, "adding a store")
    code = (code or "").strip().upper()
    if not re.match(CODE_PATTERN, code):
        raise ValueError(f"store code {code!r}: 1-16 letters, digits, - or _")
    name = clean_text(name, field="store name", max_len=100, required=True)
    if session.exec(select(Store).where(Store.code == code)).first() is not None:
        raise ValueError(f"store code {code} is already taken")
    store = Store(code=code, name=name)
    session.add(store)
    session.flush()
    record(session, actor, "store.add", "store", store.id, store_id=store.id, detail={"code": code, "name": name})
    return store


def list_stores(session: Session, *, actor: Actor) -> list[Store]:
    """The group's stores: everyone's to read (codes and names are no customer data)."""
    from sqlmodel import select

    from store.models import Store

    return list(session.exec(select(Store).order_by(Store.code)).all())


def ensure_store(session: Session, code: str, name: str | None = None) -> Store:
    from sqlmodel import select

    from store.models import Store

    store = session.exec(select(Store).where(Store.code == code)).first()
    if store is None:
        store = Store(code=code, name=name or code)
        session.add(store)
        session.flush()
    return store
