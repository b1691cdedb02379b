"""membershipevent.visit_id: the RO whose settlement changed the tier

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 09:00:00

An upgrade is caused by a repair order; the tier it leaves applies from the next
RO on, so the event names the RO (store.members.tier_for_ro orders events and ROs
by settlement day, then by RO). Rows written before keep NULL: they count from the
start of their day, as before.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401  (the template's import, kept for the next revision)


revision: str = '0003'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('membershipevent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visit_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_membershipevent_visit_id', 'visit', ['visit_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('membershipevent', schema=None) as batch_op:
        batch_op.drop_constraint('fk_membershipevent_visit_id', type_='foreignkey')
        batch_op.drop_column('visit_id')
