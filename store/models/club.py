"""The member club 会员俱乐部: tiers, memberships, stored value, points, catalog,
pitches and referrals.

| table | Chinese | |
| --- | --- | --- |
| Tier | 会员等级 | regular 普卡 / gold 金卡 / diamond 钻石卡 |
| Membership | 会员 | scheme: annual 年费制, stored 存款制, both 年费+存款 |
| StoredValueEntry | 储值流水 | top-up, spend, refund; append-only |
| PointsAccount | 积分账户 | cached balance beside the ledger |
| PointsEntry | 积分流水 | earn, redeem, adjust, expire, reverse, referral; append-only |
| CatalogItem | 积分兑换目录 | what points buy |
| MembershipEvent | 会员变动 | join 入会, renew 续会, upgrade 升级, downgrade 降级, lapse 失效, leave 退会 |
| TierBenefit | 会员权益 | a tier's free service or gift: quota per membership year (or unlimited), list price |
| BenefitUse | 会员权益使用 | a free service or gift a member received, at its value |
| Pitch | 会员推荐记录 | outcome joined 已入会 / considering 考虑中 / declined 拒绝 / not_now |
| Referral | 推荐购车 | a member brings a friend who buys |
| ClubEntry | 俱乐部收支 | income or cost no other ledger holds: activity gifts 活动礼品, rewards 奖励, other income 其他收入 |
"""

from __future__ import annotations

from datetime import date

from pydantic import NaiveDatetime

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from store.clock import now


class Tier(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("store_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    code: str = Field(max_length=16)
    name: str = Field(max_length=32)
    rank: int = 0
    min_single_spend_fen: int | None = None
    min_cumulative_spend_fen: int | None = None
    discount_pct: int = 100  # 95 = 9.5折
    points_multiplier_pct: int = 100  # 150 = 1.5x
    benefits: str | None = Field(default=None, max_length=1000)


class Membership(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    number: str | None = Field(default=None, max_length=32)
    scheme: str = Field(default="annual", max_length=16)  # annual | stored | both
    tier_code: str | None = Field(default=None, max_length=16)
    status: str = Field(default="active", max_length=16)  # active | lapsed | left
    started_on: date
    expires_on: date | None = None
    fee_fen: int = 0
    stored_value_fen: int = 0  # cached; the sum of StoredValueEntry
    zero_balance_since: date | None = None
    ended_on: date | None = None  # lapsed or left on this day
    end_reason: str | None = Field(default=None, max_length=255)
    joined_by_staff_id: int | None = Field(default=None, foreign_key="staff.id")
    created_at: NaiveDatetime = Field(default_factory=now)


class StoredValueEntry(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    membership_id: int = Field(foreign_key="membership.id", index=True)
    kind: str = Field(max_length=16)  # topup | spend | refund | reverse
    amount_fen: int  # signed
    idempotency_key: str = Field(max_length=120, unique=True)
    visit_id: int | None = Field(default=None, foreign_key="visit.id")
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    note: str | None = Field(default=None, max_length=255)
    created_at: NaiveDatetime = Field(default_factory=now)


class PointsAccount(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", unique=True)
    balance: int = 0  # cached; always equal to the ledger's sum
    # Points a reversal could not take back (already spent); later earns repay them first.
    # server default: bulk writers (COPY) that predate the column leave it out
    owed: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    updated_at: NaiveDatetime = Field(default_factory=now)


class PointsEntry(SQLModel, table=True):
    """One ledger row. ``points`` is signed. Earn rows keep ``remaining`` so expiry
    and redemption can spend the oldest points first."""

    __table_args__ = (
        Index("ix_pointsentry_account_created", "account_id", "created_at"),
        # The unspent lots of an account, oldest first: what a redemption, an expiry and
        # a reversal read, without walking the account's spent rows.
        Index("ix_pointsentry_lots", "account_id", "id", sqlite_where=text("remaining > 0"),
              postgresql_where=text("remaining > 0")),
    )
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="pointsaccount.id")
    kind: str = Field(max_length=16)  # earn | redeem | adjust | expire | reverse | referral
    points: int
    remaining: int = 0
    expires_on: date | None = None
    idempotency_key: str = Field(max_length=120, unique=True)
    visit_id: int | None = Field(default=None, foreign_key="visit.id")
    catalog_item_id: int | None = Field(default=None, foreign_key="catalogitem.id")
    quantity: int | None = None
    money_fen: int | None = None  # a redemption against money: what the points paid
    reverses_id: int | None = Field(default=None, foreign_key="pointsentry.id")
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    reason: str | None = Field(default=None, max_length=255)
    created_at: NaiveDatetime = Field(default_factory=now)


class MembershipEvent(SQLModel, table=True):
    """What happened to a membership, with the tier it left behind: the member bill
    reads the tier in force on a visit's day from here, the club's accounts the fees."""

    id: int | None = Field(default=None, primary_key=True)
    membership_id: int = Field(foreign_key="membership.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    kind: str = Field(max_length=16)  # join | renew | upgrade | downgrade | lapse | leave
    happened_on: date
    tier_code: str | None = Field(default=None, max_length=16)  # the tier from this day on
    # The RO whose settlement caused the change (an upgrade): the tier it leaves
    # applies from the RO after that one (store.members.tier_for_ro).
    visit_id: int | None = Field(default=None, foreign_key="visit.id")
    expires_on: date | None = None  # the expiry after this event
    fee_fen: int = 0
    idempotency_key: str = Field(max_length=120, unique=True)
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    note: str | None = Field(default=None, max_length=255)
    created_at: NaiveDatetime = Field(default_factory=now)


class TierBenefit(SQLModel, table=True):
    """What a tier gives its members 会员权益: a service 服务 (free wash 洗车, wheel
    alignment 四轮定位, towing 道路救援) or a gift 礼品 (birthday gift 生日礼品), so many
    times per membership year (``quota`` None: unlimited), at a list price in fen (what
    a use is worth in the member bill and the club's accounts)."""

    __table_args__ = (UniqueConstraint("store_id", "tier_code", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    tier_code: str = Field(max_length=16)
    code: str = Field(max_length=16)  # WASH, ALIGN, BIRTHDAY, TOW
    name: str = Field(max_length=50)
    kind: str = Field(default="service", max_length=16)  # service | gift
    quota: int | None = None  # per membership year; None: unlimited
    price_fen: int = 0
    active: bool = True


class BenefitUse(SQLModel, table=True):
    """A tier benefit a member received (free wash, birthday gift), at its value in fen."""

    __table_args__ = (Index("ix_benefituse_membership_code_day", "membership_id", "benefit_code", "used_on"),)
    id: int | None = Field(default=None, primary_key=True)
    membership_id: int = Field(foreign_key="membership.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    benefit: str = Field(max_length=100)
    # The TierBenefit's code (its quota counts these); None on rows recorded as free text before.
    benefit_code: str | None = Field(default=None, max_length=16)
    value_fen: int = 0
    used_on: date
    visit_id: int | None = Field(default=None, foreign_key="visit.id")
    idempotency_key: str = Field(max_length=120, unique=True)
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    note: str | None = Field(default=None, max_length=255)
    created_at: NaiveDatetime = Field(default_factory=now)


class CatalogItem(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("store_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    code: str = Field(max_length=32)
    name: str = Field(max_length=100)
    category: str = Field(max_length=16)  # service | accessory | gift
    price_points: int
    stock: int | None = None  # None: no stock kept (a service)
    active: bool = True


class Pitch(SQLModel, table=True):
    __table_args__ = (
        Index("ix_pitch_customer_at", "customer_id", "pitched_at"),
        # An advisor's follow-ups, due first, without reading all their pitches.
        Index("ix_pitch_staff_follow_up", "staff_id", "follow_up_on"),
    )
    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    customer_id: int = Field(foreign_key="customer.id")
    vehicle_id: int | None = Field(default=None, foreign_key="vehicle.id")
    staff_id: int | None = Field(default=None, foreign_key="staff.id", index=True)
    staff_name: str | None = Field(default=None, max_length=50)
    channel: str = Field(default="counter", max_length=16)  # counter | delivery | phone
    outcome: str = Field(max_length=16)  # joined | considering | declined | not_now
    reason: str | None = Field(default=None, max_length=255)
    note: str | None = Field(default=None, max_length=500)
    follow_up_on: date | None = Field(default=None, index=True)
    pitched_at: NaiveDatetime = Field(default_factory=now)


class Referral(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    referrer_customer_id: int = Field(foreign_key="customer.id", index=True)
    friend_name: str = Field(max_length=100)
    friend_phone: str | None = Field(default=None, max_length=32)
    vehicle_id: int | None = Field(default=None, foreign_key="vehicle.id")
    referred_on: date
    sold_on: date | None = None
    rewarded: bool = False


class ClubEntry(SQLModel, table=True):
    """A line of the club's accounts 会员服务费用核算 that no other table records:
    activity gifts and rewards (costs), sponsorship and other income. Fees, discounts,
    free services and redeemed points come from their own ledgers. ``amount_fen`` is
    positive; ``kind`` says which way it goes."""

    __table_args__ = (Index("ix_clubentry_store_day", "store_id", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    store_id: int = Field(foreign_key="store.id")
    day: date
    kind: str = Field(max_length=8)  # income | cost
    department: str = Field(default="club", max_length=16)  # club | aftersales | accessories
    category: str = Field(max_length=16)  # cost: gift | reward | activity | other; income: other | sponsor
    amount_fen: int
    note: str | None = Field(default=None, max_length=255)
    idempotency_key: str = Field(max_length=120, unique=True)
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    # The club event 会员活动 this cost was for (its report divides it by the attendees).
    event_id: int | None = Field(default=None, foreign_key="clubevent.id", index=True)
    created_at: NaiveDatetime = Field(default_factory=now)
