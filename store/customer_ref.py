"""Which customer a command means: ``id:123`` (or ``#123``), a full phone number, or
anything lookup understands (a plate or part of one, a phone's last 4, a name).

A full phone number names a customer only for an actor who may see every phone
(:func:`store.access.may_find_by_whole_phone`: manager, system), as at the counter's
lookup: for anyone else it would confirm whose number it is. They use the plate,
the last 4 digits or ``id:N``.

More than one customer matching is an error that lists them, never a guess.
"""

from __future__ import annotations

import re

from sqlmodel import Session, select

from store.access import Actor, may_find_by_whole_phone, require_customer_access
from store.lookup import lookup
from store.models import Customer
from store.plates import normalize_plate
from store.privacy import mask_phone


class CustomerNotFound(LookupError):
    pass


class AmbiguousCustomer(LookupError):
    def __init__(self, query: str, candidates: list[str]) -> None:
        self.candidates = candidates
        listed = "; ".join(candidates[:8]) + (f"; and {len(candidates) - 8} more" if len(candidates) > 8 else "")
        super().__init__(f"{query!r} matches {len(candidates)} customers: {listed}. Be more precise (or use id:N)")


def resolve_customer(session: Session, query: str, *, actor: Actor, store_id: int | None = None) -> Customer:
    """The one customer ``query`` names, as this actor may find them (staff: in their store;
    by a whole phone number only those who see every phone)."""
    require_customer_access(actor, store_id)
    if store_id is None:
        store_id = actor.store_id
    q = (query or "").strip()
    if not q:
        raise CustomerNotFound("say which customer: a plate, a phone number or id:N")
    m = re.fullmatch(r"(?:id:|#)(\d{1,12})", q, flags=re.IGNORECASE)
    if m:
        customer = session.get(Customer, int(m.group(1)))
        if customer is None or (store_id is not None and customer.store_id != store_id):
            raise CustomerNotFound(f"no customer with id {m.group(1)}")
        return customer
    digits = re.sub(r"[\s-]", "", q).removeprefix("+")
    if re.fullmatch(r"(86)?1\d{10}", digits) and may_find_by_whole_phone(actor):
        phone = digits[-11:]
        stmt = select(Customer).where(Customer.phone == phone)
        if store_id is not None:
            stmt = stmt.where(Customer.store_id == store_id)
        found = session.exec(stmt.order_by(Customer.id)).all()
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise AmbiguousCustomer(q, [f"id:{c.id} {c.name} {mask_phone(c.phone)}" for c in found])
    matches = lookup(session, q, limit=50, actor=actor)
    if store_id is not None:
        owners = {m.customer_id for m in matches if m.customer_id is not None}
        in_store = set(session.exec(select(Customer.id).where(Customer.id.in_(owners),
                                                              Customer.store_id == store_id)).all())
        matches = [m for m in matches if m.customer_id in in_store]
    by_customer: dict[int, list] = {}
    for match in matches:
        if match.customer_id is not None:
            by_customer.setdefault(match.customer_id, []).append(match)
    if not by_customer:
        raise CustomerNotFound(f"no customer matches {q!r}")
    # An exact plate beats the fragments it happens to share with other plates.
    plate = normalize_plate(q)
    exact = {cid for cid, ms in by_customer.items() if any(x.plate == plate for x in ms)}
    if len(exact) == 1:
        return session.get(Customer, exact.pop())
    if len(by_customer) == 1:
        return session.get(Customer, next(iter(by_customer)))
    raise AmbiguousCustomer(q, [
        f"id:{cid} {ms[0].owner or ''} {', '.join(x.plate or '-' for x in ms)} {ms[0].phone or ''}".strip()
        for cid, ms in by_customer.items()
    ])


def contact_card(session: Session, query: str, *, actor: Actor, store_id: int | None = None, reveal: bool = False,
                 reason: str | None = None) -> dict:
    """One customer's contact card as this actor may see it: the phone and ID number in
    full where the role allows, else masked; ``reveal`` with a ``reason`` unmasks (the
    counter's ``u``), logged. Writes an audit row on a full view: a write session."""
    from store.access import contact_view
    from store.models import Vehicle

    person = resolve_customer(session, query, actor=actor, store_id=store_id)
    view = contact_view(session, actor, person, reveal=reveal, reason=reason)
    plates = session.exec(select(Vehicle.plate).where(Vehicle.customer_id == person.id).order_by(Vehicle.id)).all()
    return {"customer_id": person.id, "name": person.name, "phone": view.phone, "id_number": view.id_number,
            "masked": view.masked, "plates": [p for p in plates if p]}
