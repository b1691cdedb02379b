"""Members' interests 兴趣爱好: tags from the store's own list, to aim club events.

The list starts as the care course's seven categories (below); a store adds its own
(``golf`` 高尔夫, ``tea`` 茶艺...) or retires one (``active`` False: no longer offered,
customers keep theirs until changed). A store that never edited its list reads the
seven without any rows; the first edit writes them.

| code | Chinese | what the care course lists under it |
| --- | --- | --- |
| sports | 运动 | golf, basketball, tennis, badminton, dance, yoga |
| arts | 文艺 | classical and pop music, theatre, painting, singing, antiques |
| travel | 旅游 | leisure, in-depth, shopping and food trips |
| learning | 学习 | finance talks, reading club, films, photography |
| fashion | 时尚 | |
| cars | 汽车 | new models, workshop events, accessories |
| food | 美食 | dining, wine, tea, cooking |

An unknown interest is refused (:class:`~store.validation.FieldError`), naming the
ones the store offers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session, select

from store import audit
from store.access import Actor, require, require_for_customer
from store.models import CustomerInterest, Interest
from store.validation import FieldError, clean_text

SEED: tuple[tuple[str, str, str], ...] = (
    ("sports", "运动", "sports"),
    ("arts", "文艺", "arts"),
    ("travel", "旅游", "travel"),
    ("learning", "学习", "learning"),
    ("fashion", "时尚", "fashion"),
    ("cars", "汽车", "cars"),
    ("food", "美食", "food"),
)
CODE = re.compile(r"^[a-z][a-z0-9_]{0,15}$")


@dataclass(frozen=True)
class InterestChoice:
    code: str
    zh: str
    en: str
    active: bool = True

    def as_dict(self) -> dict:
        return {"code": self.code, "zh": self.zh, "en": self.en, "active": self.active}


def catalog(session: Session, *, store_id: int, include_retired: bool = False) -> list[InterestChoice]:
    """The store's interests, in their order (the seven of the care course until edited)."""
    rows = session.exec(select(Interest).where(Interest.store_id == store_id).order_by(Interest.id)).all()
    if not rows:
        return [InterestChoice(*s) for s in SEED]
    return [InterestChoice(r.code, r.name_zh, r.name_en, r.active) for r in rows if r.active or include_retired]


def _materialize(session: Session, store_id: int) -> None:
    if session.exec(select(Interest.id).where(Interest.store_id == store_id)).first() is None:
        for code, zh, en in SEED:
            session.add(Interest(store_id=store_id, code=code, name_zh=zh, name_en=en))
        session.flush()


def set_interest(session: Session, *, store_id: int, code: str, zh: str, en: str | None = None,
                 active: bool = True, actor: Actor) -> InterestChoice:
    """Add or rename an interest of the store's list, or retire it (``active=False``); managers."""
    require(actor, "club.settings", store_id)
    code = (code or "").strip().lower()
    if not CODE.match(code):
        raise FieldError("interest code", f"{code!r}: 1-16 lower-case letters, digits or _, a letter first")
    zh = clean_text(zh, field="interest name", max_len=32, required=True)
    en = clean_text(en, field="interest English name", max_len=32) or code
    _materialize(session, store_id)
    row = session.exec(select(Interest).where(Interest.store_id == store_id, Interest.code == code)).first()
    if row is None:
        row = Interest(store_id=store_id, code=code, name_zh=zh, name_en=en, active=active)
    else:
        row.name_zh, row.name_en, row.active = zh, en, active
    session.add(row)
    session.flush()
    audit.record(session, actor, "interest.set", "interest", row.id, store_id=store_id,
                 detail={"code": code, "zh": zh, "en": en, "active": active})
    return InterestChoice(row.code, row.name_zh, row.name_en, row.active)


def known_codes(session: Session, store_id: int, codes, *, field: str = "interest") -> list[str]:
    """``codes`` checked against the store's active list (a code or its Chinese or
    English name); unknown ones refused in one line. Returns codes, deduplicated."""
    offered = catalog(session, store_id=store_id)
    by_word = {}
    for c in offered:
        by_word.update({c.code: c.code, c.zh: c.code, c.en.lower(): c.code})
    out: list[str] = []
    for raw in codes:
        word = str(raw).strip()
        if not word:
            continue
        code = by_word.get(word) or by_word.get(word.lower())
        if code is None:
            raise FieldError(field, f"unknown interest {word!r}: one of {', '.join(c.code for c in offered)}")
        if code not in out:
            out.append(code)
    return out


def of_customer(session: Session, *, customer_id: int, actor: Actor) -> list[InterestChoice]:
    """A customer's interests, in the store's list order."""
    customer = require_for_customer(session, actor, "customers.read", customer_id)
    return _of(session, customer.store_id, customer_id)


def of_store_customer(session: Session, customer_id: int) -> list[InterestChoice]:
    """A customer's interests for their profile (the caller has checked the reader)."""
    from store.models import Customer

    customer = session.get(Customer, customer_id)
    return _of(session, customer.store_id, customer_id) if customer is not None else []


def _of(session: Session, store_id: int, customer_id: int) -> list[InterestChoice]:
    mine = set(session.exec(select(CustomerInterest.code).where(CustomerInterest.customer_id == customer_id)).all())
    listed = catalog(session, store_id=store_id, include_retired=True)
    return [c for c in listed if c.code in mine]


def set_customer_interests(session: Session, *, customer_id: int, codes, actor: Actor,
                           mode: str = "set") -> list[InterestChoice]:
    """Set (``set``: exactly these), add or remove a customer's interests. Unknown ones
    refuse the whole change."""
    customer = require_for_customer(session, actor, "interests.set", customer_id)
    if mode not in ("set", "add", "remove"):
        raise FieldError("mode", f"{mode!r}: set, add or remove")
    wanted = known_codes(session, customer.store_id, codes)
    have = {r.code: r for r in session.exec(
        select(CustomerInterest).where(CustomerInterest.customer_id == customer_id)).all()}
    if mode == "set":
        keep = set(wanted)
    elif mode == "add":
        keep = set(have) | set(wanted)
    else:
        keep = set(have) - set(wanted)
    for code, row in have.items():
        if code not in keep:
            session.delete(row)
    for code in keep - set(have):
        session.add(CustomerInterest(store_id=customer.store_id, customer_id=customer_id, code=code))
    session.flush()
    if keep != set(have):
        audit.record(session, actor, "customer.interests", "customer", customer_id, customer_id=customer_id,
                     store_id=customer.store_id, detail={"interests": sorted(keep)})
    return _of(session, customer.store_id, customer_id)
