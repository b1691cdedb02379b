"""tierbenefit (会员权益 with quotas) and benefituse.benefit_code

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 14:00:00

A tier's benefits were one free-text column; now each is a row: a service or gift,
its quota per membership year (NULL: unlimited) and its list price. A use names the
benefit's code, so the quota counts it; uses recorded before keep NULL (free text).
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision: str = '0004'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('tierbenefit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('tier_code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('quota', sa.Integer(), nullable=True),
    sa.Column('price_fen', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['store.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('store_id', 'tier_code', 'code')
    )
    with op.batch_alter_table('benefituse', schema=None) as batch_op:
        batch_op.add_column(sa.Column('benefit_code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch_op.create_index('ix_benefituse_membership_code_day', ['membership_id', 'benefit_code', 'used_on'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('benefituse', schema=None) as batch_op:
        batch_op.drop_index('ix_benefituse_membership_code_day')
        batch_op.drop_column('benefit_code')
    op.drop_table('tierbenefit')
