"""The club's own income and costs 俱乐部收支 that no other ledger records: activity
gifts 活动礼品, rewards 奖励 and activity costs 活动费用 (the club's department by
default), sponsorship 赞助 and other income 其他收入. They feed the costs report
(:mod:`store.reports.costs`).

| kind | categories | department |
| --- | --- | --- |
| cost | gift, reward, activity, other | club (default), aftersales, accessories |
| income | other, sponsor | (none) |

Entries are append-only with an idempotency key: a correction is a new entry (a
cost of -200 takes back 200), so a month once reported only changes by what is
added to it, and the audit trail says who added what.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from store import audit, clock
from store.access import Actor, require
from store.models import ClubEntry
from store.reports import Month

KINDS = {"cost": ("gift", "reward", "activity", "other"), "income": ("other", "sponsor")}
DEPARTMENTS = ("club", "aftersales", "accessories")
MAX_AMOUNT_FEN = 100_000_000  # ¥1,000,000: a typo guard


class ClubLedgerError(ValueError):
    """A refused entry; ``str()`` is one line for the user."""


@dataclass
class ClubEntryLine:
    id: int
    day: date
    kind: str
    department: str | None
    category: str
    amount_fen: int
    note: str | None
    replayed: bool = False

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _line(e: ClubEntry, replayed: bool = False) -> ClubEntryLine:
    return ClubEntryLine(e.id, e.day, e.kind, e.department if e.kind == "cost" else None, e.category, e.amount_fen,
                         e.note, replayed)


def add_entry(session: Session, *, store_id: int, kind: str, category: str, amount_fen: int, actor: Actor,
              department: str = "club", day: date | None = None, note: str | None = None,
              key: str | None = None) -> ClubEntryLine:
    """Record a club cost or income (managers only). The same key twice records once."""
    require(actor, "club.ledger", store_id)
    if kind not in KINDS:
        raise ClubLedgerError(f"kind {kind!r}: cost or income")
    category = (category or "").strip().lower()
    if category not in KINDS[kind]:
        raise ClubLedgerError(f"a {kind}'s category is one of {', '.join(KINDS[kind])}, not {category!r}")
    if kind == "cost" and department not in DEPARTMENTS:
        raise ClubLedgerError(f"department {department!r}: one of {', '.join(DEPARTMENTS)}")
    if amount_fen == 0 or abs(amount_fen) > MAX_AMOUNT_FEN:
        raise ClubLedgerError("an amount is not zero and at most ¥1,000,000 (a negative one corrects an earlier entry)")
    day = day or clock.today()
    if day > clock.today():
        raise ClubLedgerError(f"{day.isoformat()} is in the future")
    note = (note or "").strip() or None
    if note and (len(note) > 255 or any(ord(c) < 32 for c in note)):
        raise ClubLedgerError("a note is at most 255 printable characters")
    if key is not None:
        key = key.strip()
        if not key or len(key) > 100 or any(ord(c) < 32 for c in key):
            raise ClubLedgerError("an idempotency key is 1-100 printable characters")
    full_key = f"club:{key or uuid.uuid4().hex}"
    done = session.exec(select(ClubEntry).where(ClubEntry.idempotency_key == full_key)).first()
    if done is not None:
        if (done.store_id, done.kind, done.amount_fen) != (store_id, kind, amount_fen):
            raise ClubLedgerError("this key was already used for another entry")
        return _line(done, replayed=True)
    entry = ClubEntry(store_id=store_id, day=day, kind=kind, department=department if kind == "cost" else "club",
                      category=category, amount_fen=amount_fen, note=note, idempotency_key=full_key,
                      staff_id=actor.staff_id, created_at=clock.now())
    session.add(entry)
    session.flush()
    audit.record(session, actor, f"club.{kind}", "clubentry", entry.id, store_id=store_id,
                 detail={"category": category, "department": entry.department, "amount_fen": amount_fen,
                         "day": day, "note": note})
    return _line(entry)


def entries(session: Session, *, store_id: int, month: Month, actor: Actor) -> list[ClubEntryLine]:
    require(actor, "club.ledger", store_id)
    rows = session.exec(select(ClubEntry).where(ClubEntry.store_id == store_id, ClubEntry.day >= month.first,
                                                ClubEntry.day <= month.last)
                        .order_by(ClubEntry.day, ClubEntry.id)).all()
    return [_line(e) for e in rows]
