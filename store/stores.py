"""Which store (dealer site 门店) a command or screen works in."""

from __future__ import annotations

from sqlmodel import Session, select

from store.models import Store


class StoreNotFound(LookupError):
    pass


def resolve_store(session: Session, code: str | None = None) -> Store:
    """The store with this code, or the only store when no code is given."""
    if code:
        store = session.exec(select(Store).where(Store.code == code)).first()
        if store is None:
            raise StoreNotFound(f"no store with code {code!r}")
        return store
    stores = session.exec(select(Store).order_by(Store.id).limit(2)).all()
    if not stores:
        raise StoreNotFound("the database has no store yet: import an export or run `dealerdesk demo`")
    if len(stores) > 1:
        raise StoreNotFound("this database holds several stores: say which with --store CODE")
    return stores[0]


def ensure_store(session: Session, code: str, name: str | None = None) -> Store:
    store = session.exec(select(Store).where(Store.code == code)).first()
    if store is None:
        store = Store(code=code, name=name or code)
        session.add(store)
        session.flush()
    return store
