"""Club events 会员活动 and members' interests 兴趣爱好.

| table | Chinese | |
| --- | --- | --- |
| ClubEvent | 会员活动 | a class 讲堂, trip 自驾游, party 联谊会, service campaign 服务活动 or other; capacity, budget, points for attending, a target |
| EventInvitation | 活动邀约 | a targeted customer, on the owning SA's call list; answered signed up / not interested / no answer |
| EventSignup | 活动报名 | signed up 已报名, on the waitlist 候补, cancelled 已取消, attended 已签到 |
| Interest | 兴趣类别 | the store's list of interests (seeded with the care course's: sports, arts, travel, learning, fashion, cars, food) |
| CustomerInterest | 客户兴趣 | one interest of one customer |
"""

from __future__ import annotations

from pydantic import NaiveDatetime
from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from store.clock import now


class ClubEvent(SQLModel, table=True):
    """An event. ``target`` is JSON: tiers, classes, interests, models, regions (each a
    list; any one of a list matches, every list given must match), car_age_min and
    car_age_max (whole years since purchase). Money in fen."""

    __table_args__ = (Index("ix_clubevent_store_starts", "store_id", "starts_at"),)
    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    name: str = Field(max_length=100)
    kind: str = Field(max_length=16)  # class | trip | party | campaign | other
    starts_at: NaiveDatetime
    place: str | None = Field(default=None, max_length=100)
    capacity: int
    budget_fen: int = 0
    points: int = 0  # for attending, once per attendee
    target: str = Field(default="{}", max_length=2000)
    status: str = Field(default="planned", max_length=16)  # planned | cancelled
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    created_at: NaiveDatetime = Field(default_factory=now)


class EventInvitation(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("event_id", "customer_id"),)
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="clubevent.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    owner_staff_id: int | None = Field(default=None, foreign_key="staff.id")
    task_id: int | None = Field(default=None, foreign_key="caretask.id")
    status: str = Field(default="invited", max_length=16)  # invited | signed_up | not_interested | no_answer
    rank: int = 0  # place on the invitation list (members first, by value)
    invited_at: NaiveDatetime = Field(default_factory=now)
    answered_at: NaiveDatetime | None = None


class EventSignup(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("event_id", "customer_id"),)
    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="clubevent.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    status: str = Field(max_length=16)  # signed_up | waitlist | cancelled | attended
    walk_in: bool = False
    signed_at: NaiveDatetime = Field(default_factory=now)  # the waitlist's order
    cancelled_at: NaiveDatetime | None = None
    checked_in_at: NaiveDatetime | None = None
    points_entry_id: int | None = Field(default=None, foreign_key="pointsentry.id")
    staff_id: int | None = Field(default=None, foreign_key="staff.id")


class Interest(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("store_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    code: str = Field(max_length=16)
    name_zh: str = Field(max_length=32)
    name_en: str = Field(max_length=32)
    active: bool = True


class CustomerInterest(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("customer_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    customer_id: int = Field(foreign_key="customer.id", index=True)
    code: str = Field(max_length=16)
    created_at: NaiveDatetime = Field(default_factory=now)
