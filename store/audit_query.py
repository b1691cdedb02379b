"""Reading the audit trail back: who did what, when."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, select

from store.access import Actor, require_manager
from store.models import AuditLog, Staff


def read_detail(text: str | None) -> dict | str | None:
    """A row's detail as its dict; a detail that is not a JSON object (a row cut
    inside its JSON by an older version, or written by hand) comes back as its
    text, so one odd row never stops the trail from being read."""
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, dict) else text


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    staff: str | None
    action: str
    entity: str
    entity_id: int | None
    customer_id: int | None
    detail: dict | str | None  # text when the stored detail does not parse

    def as_dict(self) -> dict:
        return {"at": self.at.isoformat(sep=" ", timespec="seconds"), "staff": self.staff, "action": self.action,
                "entity": self.entity, "entity_id": self.entity_id, "customer_id": self.customer_id,
                "detail": self.detail}


def audit_trail(session: Session, actor: Actor, *, store_id: int, date_from: date, date_to: date,
                staff_code: str | None = None) -> list[AuditRow]:
    """The store's audit rows from ``date_from`` to ``date_to`` inclusive (managers only)."""
    require_manager(actor, store_id)
    stmt = (
        select(AuditLog, Staff.code, Staff.name)
        .join(Staff, Staff.id == AuditLog.staff_id, isouter=True)
        .where(AuditLog.at >= datetime.combine(date_from, time.min),
               AuditLog.at < datetime.combine(date_to + timedelta(days=1), time.min),
               (AuditLog.store_id == store_id) | AuditLog.store_id.is_(None))
        .order_by(AuditLog.at, AuditLog.id)
    )
    if staff_code:
        stmt = stmt.where(Staff.code == staff_code.upper())
    return [
        AuditRow(log.at, f"{code} {name}" if code else "system", log.action, log.entity, log.entity_id,
                 log.customer_id, read_detail(log.detail))
        for log, code, name in session.exec(stmt).all()
    ]
