"""Customer-list exports 客户名单导出: a manager's privilege, logged, masked by role.

Aggregate reports are open to every manager and analyst; a list of customers with
their contact details leaves the store only this way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from store.access import Actor, AccessDenied, may_see_contact, require_manager
from store.audit import record
from store.classes import CLASSES, lookup_classes
from store.lookup import describe_vehicles
from store.models import Customer, Vehicle
from store.privacy import mask_phone
from store.words import Words

COLUMNS = ["plate", "model", "owner", "phone", "class", "class_reason", "visits", "last_visit", "tier", "points"]
# A workbook's headers and sheet, in the reader's language (a CSV keeps the codes above).
HEADERS = {
    "plate": Words("车牌", "plate"), "model": Words("车型", "model"), "owner": Words("车主", "owner"),
    "phone": Words("电话", "phone"), "class": Words("客户分类", "class"), "class_reason": Words("分类依据", "why"),
    "visits": Words("来店次数", "visits"), "last_visit": Words("最近来店", "last visit"),
    "tier": Words("会员等级", "tier"), "points": Words("积分", "points"),
}
SHEET = Words("客户名单", "customers")
PAGE = 500


@dataclass(frozen=True)
class CustomerList:
    columns: list[str]
    rows: list[dict]
    masked: bool


def export_customers(session: Session, actor: Actor, *, store_id: int, class_code: str | None = None,
                     as_of: date, language: str = "zh", read_from: Session | None = None) -> CustomerList:
    """Every in-park vehicle of the store with its owner, optionally of one class;
    why each car is in its class in ``language``.

    Only the store's manager (or the system) may; the export writes an audit row
    with its filter and size in ``session`` (the primary). The list is read from
    ``read_from`` when given (a read replica, :mod:`store.replica`), else from
    ``session``. Phones are full only where the role may see them."""
    writes, session = session, (read_from if read_from is not None else session)
    if actor.role == "analyst":
        raise AccessDenied("group analysts see aggregates only, not customer lists")
    require_manager(actor, store_id)
    if class_code is not None and class_code not in CLASSES:
        raise ValueError(f"class {class_code!r}: one of {', '.join(CLASSES)}")
    ids = session.execute(
        select(Vehicle.id).where(Vehicle.store_id == store_id, Vehicle.sold_on.is_(None)).order_by(Vehicle.plate)
    ).scalars().all()
    rows: list[dict] = []
    masked = False
    for start in range(0, len(ids), PAGE):
        page = ids[start : start + PAGE]
        classes = lookup_classes(session, page, as_of=as_of)
        matches = describe_vehicles(session, page, unmask=True)
        owners = {c.id: c for c in session.execute(
            select(Customer).where(Customer.id.in_({m.customer_id for m in matches if m.customer_id}))).scalars()}
        for m in matches:
            cls = classes.get(m.vehicle_id)
            if class_code is not None and (cls is None or cls.code != class_code):
                continue
            owner = owners.get(m.customer_id)
            phone = m.phone
            if owner is not None and not may_see_contact(session, actor, owner):
                phone, masked = mask_phone(phone), True
            rows.append({
                "plate": m.plate, "model": m.model, "owner": m.owner, "phone": phone,
                "class": cls.code if cls else None,
                "class_reason": (cls.reason_en if language == "en" else cls.reason_zh) if cls else None,
                "visits": m.visits, "last_visit": m.last_visit, "tier": m.tier, "points": m.points,
            })
    record(writes, actor, "export.customers", "store", store_id, store_id=store_id,
           detail={"class": class_code, "rows": len(rows), "masked": masked})
    return CustomerList(COLUMNS, rows, masked)
