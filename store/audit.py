"""The audit trail 审计日志: every change to money, points, memberships, assignments,
staff and settings, and every unmasking of personal data, writes one row."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from store.access import Actor
from store.clock import now
from store.models import AuditLog


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: int | None = None,
    *,
    customer_id: int | None = None,
    store_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    """Add an audit row in the caller's transaction (it commits or rolls back with the change)."""
    row = AuditLog(
        at=now(),
        store_id=store_id if store_id is not None else actor.store_id,
        staff_id=actor.staff_id,
        action=action[:40],
        entity=entity[:40],
        entity_id=entity_id,
        customer_id=customer_id,
        detail=json.dumps(detail, ensure_ascii=False, default=str)[:4000] if detail else None,
    )
    session.add(row)
    return row
