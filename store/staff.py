"""Staff 员工 and their PINs.

| role | Chinese |
| --- | --- |
| sa | 服务顾问 service advisor |
| ca | 销售顾问 sales consultant |
| member | 会员专员 member specialist / customer service |
| manager | 店长 / 服务经理 store manager |
| analyst | 集团 group analyst |
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select as sa_select
from sqlalchemy import update
from sqlmodel import Session, select

from store import clock
from store.access import AccessDenied, Actor, require_manager
from store.audit import record
from store.models import Staff
from store.settings import stored_setting
from store.validation import clean_text

ROLES = ("sa", "ca", "member", "manager", "analyst")

# scrypt: a slow, memory-hard KDF in the standard library (no extra dependency).
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_pin(pin: str, *, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, dklen=32, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def verify_pin(pin: str, stored: str | None) -> bool:
    if not stored or not stored.startswith("scrypt$"):
        return False
    _, salt_b64, digest_b64 = stored.split("$")
    expected = base64.b64decode(digest_b64)
    actual = hashlib.scrypt(pin.encode(), salt=base64.b64decode(salt_b64), dklen=32, **_SCRYPT)
    return hmac.compare_digest(expected, actual)


# --- managing staff and signing in -------------------------------------------

CODE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{2,16}$")
PIN_PATTERN = re.compile(r"^[0-9]{4,8}$")


class SignInRefused(Exception):
    """A refused sign-in; the message is what the person at the keyboard reads."""


@dataclass(frozen=True)
class StaffRow:
    code: str
    name: str
    role: str
    active: bool
    locked_until: datetime | None


def _check_code(code: str) -> str:
    if not CODE_PATTERN.match(code or ""):
        raise ValueError(f"staff code {code!r}: 2-16 letters, digits, - or _")
    return code.upper()


def _check_pin(pin: str) -> str:
    if not PIN_PATTERN.match(pin or ""):
        raise ValueError("PIN: 4 to 8 digits")
    return pin


def needs_first_manager(session: Session) -> bool:
    """A new database has no staff yet: its first user must create a manager."""
    from store.access import any_staff

    return not any_staff(session)


def add_staff(session: Session, actor: Actor, *, store_id: int, code: str, name: str, role: str, pin: str) -> Staff:
    """Add a staff member. Only a manager may, except the very first (who must be one)."""
    first = needs_first_manager(session)
    if first and role != "manager":
        raise ValueError("the first staff member of a new database must be a manager")
    if not first:
        require_manager(actor, store_id)
    if role not in ROLES:
        raise ValueError(f"role {role!r}: one of {', '.join(ROLES)}")
    code = _check_code(code)
    name = clean_text(name, field="name", max_len=50, required=True)
    pin = _check_pin(pin)
    if session.exec(select(Staff).where(Staff.store_id == store_id, Staff.code == code)).first():
        raise ValueError(f"staff code {code} is already taken in this store")
    staff = Staff(store_id=store_id, code=code, name=name, role=role, pin_hash=hash_pin(pin))
    session.add(staff)
    session.flush()
    record(session, actor, "staff.add", "staff", staff.id, store_id=store_id, detail={"code": code, "role": role})
    return staff


def list_staff(session: Session, actor: Actor, *, store_id: int) -> list[StaffRow]:
    require_manager(actor, store_id)
    rows = session.exec(select(Staff).where(Staff.store_id == store_id).order_by(Staff.code)).all()
    return [StaffRow(s.code, s.name, s.role, s.active, s.locked_until) for s in rows]


def _staff_by_code(session: Session, store_id: int, code: str) -> Staff:
    staff = session.exec(select(Staff).where(Staff.store_id == store_id, Staff.code == code.upper())).first()
    if staff is None:
        raise ValueError(f"no staff member with code {code!r}")
    return staff


def reset_pin(session: Session, actor: Actor, *, store_id: int, code: str, pin: str) -> None:
    require_manager(actor, store_id)
    staff = _staff_by_code(session, store_id, code)
    staff.pin_hash = hash_pin(_check_pin(pin))
    staff.failed_attempts = 0
    staff.locked_until = None
    session.add(staff)
    record(session, actor, "staff.reset_pin", "staff", staff.id, store_id=store_id, detail={"code": staff.code})


def disable_staff(session: Session, actor: Actor, *, store_id: int, code: str) -> None:
    require_manager(actor, store_id)
    staff = _staff_by_code(session, store_id, code)
    if staff.id == actor.staff_id:
        raise ValueError("you cannot disable yourself")
    staff.active = False
    session.add(staff)
    record(session, actor, "staff.disable", "staff", staff.id, store_id=store_id, detail={"code": staff.code})


def sign_in(session: Session, *, code: str, pin: str, store_id: int | None = None) -> Actor:
    """Check a staff code and PIN. Repeated failures lock the code for a while.

    The caller commits even when this raises, so the failure count is kept.

    Holds under a burst of parallel guesses: the PIN is checked (slow, scrypt)
    first, then the staff row is locked (``SELECT ... FOR UPDATE`` on Postgres;
    SQLite's write session already holds the database from ``BEGIN IMMEDIATE``)
    and read again, so every try sees the tries committed before it, a failure is
    counted by one ``UPDATE ... SET failed_attempts = failed_attempts + 1
    RETURNING``, and a right PIN after the lock is refused. Lock times follow the
    machine's clock (:func:`store.clock.real_now`), never ``--today``; the limits
    come from the settings table only (:data:`store.settings.SECURITY_SETTINGS`)."""
    stmt = select(Staff).where(Staff.code == (code or "").strip().upper())
    if store_id is not None:
        stmt = stmt.where(Staff.store_id == store_id)
    staff = session.exec(stmt).first()
    if staff is None or not staff.active:
        raise SignInRefused("工号或密码不对 / wrong staff code or PIN")
    _refuse_if_locked(staff.locked_until)  # a locked code costs no scrypt
    actor = Actor(staff_id=staff.id, name=staff.name, role=staff.role, store_id=staff.store_id)
    pin_hash = staff.pin_hash
    pin_ok = verify_pin(pin or "", pin_hash)
    # From here on: the committed row, locked until this transaction ends.
    row = session.execute(
        sa_select(Staff.active, Staff.locked_until, Staff.pin_hash).where(Staff.id == staff.id).with_for_update()
    ).one()
    if not row.active:
        raise SignInRefused("工号或密码不对 / wrong staff code or PIN")
    _refuse_if_locked(row.locked_until)
    if row.pin_hash != pin_hash:  # the PIN was reset meanwhile: check against the new one
        pin_ok = verify_pin(pin or "", row.pin_hash)
    if not pin_ok:
        session.expire(staff)  # its counts are about to change under it
        failures = session.execute(
            update(Staff).where(Staff.id == actor.staff_id).values(failed_attempts=Staff.failed_attempts + 1)
            .returning(Staff.failed_attempts).execution_options(synchronize_session=False)
        ).scalar_one()
        limit = stored_setting(session, "pin_max_failures", store_id=actor.store_id)
        if failures >= limit:
            minutes = stored_setting(session, "pin_lock_minutes", store_id=actor.store_id)
            session.execute(
                update(Staff).where(Staff.id == actor.staff_id)
                .values(locked_until=clock.real_now() + timedelta(minutes=minutes), failed_attempts=0)
                .execution_options(synchronize_session=False)
            )
            raise SignInRefused("密码错误次数过多，已锁定 / too many wrong PINs: locked")
        raise SignInRefused(f"工号或密码不对 / wrong staff code or PIN ({failures}/{limit})")
    session.execute(
        update(Staff).where(Staff.id == actor.staff_id).values(failed_attempts=0, locked_until=None)
        .execution_options(synchronize_session=False)
    )
    session.expire(staff)
    return actor


def record_sign_out(session: Session, actor: Actor, *, reason: str, idle_minutes: int | None = None) -> None:
    """The audit row of a sign-out 登出: who, and why (``idle``: the counter was left
    alone for ``idle_minutes``). Nothing else changes: what the person saved stays."""
    detail: dict = {"reason": reason}
    if idle_minutes is not None:
        detail["idle_minutes"] = idle_minutes
    record(session, actor, "staff.sign_out", "staff", actor.staff_id, store_id=actor.store_id, detail=detail)


def _refuse_if_locked(locked_until: datetime | None) -> None:
    moment = clock.real_now()
    if locked_until and locked_until > moment:
        minutes = max(1, int((locked_until - moment).total_seconds() // 60) + 1)
        raise SignInRefused(f"已锁定，{minutes} 分钟后再试 / locked: try again in {minutes} min")


__all__ = [
    "AccessDenied", "ROLES", "SignInRefused", "add_staff", "disable_staff", "hash_pin", "list_staff",
    "needs_first_manager", "record_sign_out", "reset_pin", "sign_in", "verify_pin",
]
