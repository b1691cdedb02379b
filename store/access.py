"""Who is acting: the staff member behind a screen or a command.

Sign-in, roles' visibility and the audit of unmaskings build on :class:`Actor`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from store.models import Staff


@dataclass(frozen=True)
class Actor:
    staff_id: int | None
    name: str
    role: str  # sa | ca | member | manager | analyst | system
    store_id: int | None

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"


SYSTEM = Actor(staff_id=None, name="system", role="system", store_id=None)


class StaffNotFound(LookupError):
    pass


def actor_for(session: Session, code: str, *, store_id: int | None = None) -> Actor:
    stmt = select(Staff).where(Staff.code == code, Staff.active.is_(True))
    if store_id is not None:
        stmt = stmt.where(Staff.store_id == store_id)
    staff = session.exec(stmt).first()
    if staff is None:
        raise StaffNotFound(f"no active staff member with code {code!r}")
    return Actor(staff_id=staff.id, name=staff.name, role=staff.role, store_id=staff.store_id)
