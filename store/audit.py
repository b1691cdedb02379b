"""The audit trail 审计日志: every change to money, points, memberships, assignments,
staff and settings, every unmasking of personal data and every import writes one row.

A row's time is the machine's clock (:func:`store.clock.real_now`), never the
business day ``--today`` sets: the trail says when a thing really happened. Its
detail is JSON that always parses: a detail too long for the column has its
longest texts shortened *before* it is encoded (and says so), never cut inside.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from store import clock
from store.access import Actor
from store.models import AuditLog

DETAIL_MAX_CHARS = 4000  # the column's size
CUT_MARK = "…"


def encode_detail(detail: dict[str, Any] | None, *, limit: int = DETAIL_MAX_CHARS) -> str | None:
    """``detail`` as JSON of at most ``limit`` characters: whole when it fits, else
    with its longest texts (nested ones too) shortened (each ending in "…") and ``"_cut": true``."""
    if not detail:
        return None
    text = json.dumps(detail, ensure_ascii=False, default=str)
    if len(text) <= limit:
        return text
    values = json.loads(text)  # plain JSON values from here on
    values["_cut"] = True

    def cut(value: Any, keep: int) -> Any:
        if isinstance(value, str):
            return value[:keep] + CUT_MARK if len(value) > keep else value
        if isinstance(value, dict):
            return {k: cut(v, keep) for k, v in value.items()}
        if isinstance(value, list):
            return [cut(v, keep) for v in value]
        return value

    def shortened(keep: int) -> str:
        return json.dumps(cut(values, keep), ensure_ascii=False)

    if len(shortened(0)) > limit:  # too many keys or items: say so in a form that still parses
        return json.dumps({"_cut": True, "keys": len(values)})
    lo, hi = 0, len(text)
    while lo < hi:  # the longest cut that fits
        mid = (lo + hi + 1) // 2
        if len(shortened(mid)) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return shortened(lo)


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
        at=clock.real_now(),
        store_id=store_id if store_id is not None else actor.store_id,
        staff_id=actor.staff_id,
        action=action[:40],
        entity=entity[:40],
        entity_id=entity_id,
        customer_id=customer_id,
        detail=encode_detail(detail),
    )
    session.add(row)
    return row
