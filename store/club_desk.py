"""The club screens' interface to the store: plain functions over an engine, each
opening its own short session (writes through ``in_transaction``, so Postgres
serialization failures are retried) and handing back plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import select

from store import members, points
from store.access import Actor
from store.db import in_transaction, read_session
from store.models import Customer, PointsAccount


@dataclass
class PointsView:
    customer_id: int
    customer_name: str
    store_id: int
    balance: int
    owed: int
    expiring: list[points.ExpiringLot]
    card: members.MemberCard | None
    catalog: list[points.CatalogLine] = field(default_factory=list)
    history: list[points.HistoryLine] = field(default_factory=list)


class ClubDesk:
    def __init__(self, engine: Engine, actor: Actor) -> None:
        self.engine = engine
        self.actor = actor

    def points_view(self, customer_id: int, *, history: int = 30) -> PointsView:
        with read_session(self.engine) as s:
            customer = s.get(Customer, customer_id)
            if customer is None:
                raise points.PointsNotFound(f"no customer with id {customer_id}")
            card = members.member_card(s, customer_id=customer_id, actor=self.actor)
            lines = points.history(s, customer_id=customer_id, actor=self.actor, limit=history)
            acct = s.exec(select(PointsAccount).where(PointsAccount.customer_id == customer_id)).first()
            return PointsView(
                customer_id=customer_id, customer_name=customer.name, store_id=customer.store_id,
                balance=acct.balance if acct else 0, owed=acct.owed if acct else 0,
                expiring=points.expiring_soon(s, customer_id=customer_id), card=card,
                catalog=points.catalog(s, store_id=customer.store_id), history=lines,
            )

    def catalog(self, store_id: int, query: str = "") -> list[points.CatalogLine]:
        with read_session(self.engine) as s:
            return points.catalog(s, store_id=store_id, query=query)

    def redeem(self, customer_id: int, item_code: str, quantity: int, key: str) -> points.RedeemResult:
        return points.redeem_now(self.engine, customer_id=customer_id, item_code=item_code, quantity=quantity, key=key,
                                 actor=self.actor)

    def member_bill(self, customer_id: int, year: int) -> members.MemberBill:
        with read_session(self.engine) as s:
            return members.member_bill(s, customer_id=customer_id, year=year, actor=self.actor)

    def export_bill(self, customer_id: int, year: int, path: Path) -> Path:
        return members.write_member_bill_xlsx(self.member_bill(customer_id, year), path)

    def join_options(self, customer_id: int) -> members.JoinOptions:
        with read_session(self.engine) as s:
            return members.join_options(s, customer_id=customer_id, actor=self.actor)

    def join(self, customer_id: int, *, scheme: str, tier_code: str | None, fee_fen: int | None, topup_fen: int,
             key: str, pitch_id: int | None = None) -> members.MemberCard:
        return in_transaction(self.engine, lambda s: members.join(
            s, customer_id=customer_id, scheme=scheme, actor=self.actor, tier_code=tier_code, fee_fen=fee_fen,
            topup_fen=topup_fen, key=key, pitch_id=pitch_id))
