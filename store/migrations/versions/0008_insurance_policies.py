"""insurance policies as history

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 13:00:00

One row per insurance policy 保单 a car ever had (交强险 compulsory, 商业险
commercial), unique by policy number within a store.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401


revision: str = '0008'
down_revision: Union[str, None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('insurancepolicy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('vehicle_id', sa.Integer(), nullable=False),
    sa.Column('policy_number', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('insurer', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('start_on', sa.Date(), nullable=True),
    sa.Column('end_on', sa.Date(), nullable=False),
    sa.Column('premium_fen', sa.Integer(), nullable=False),
    sa.Column('sold_by_store', sa.Boolean(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['store.id'], ),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicle.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('store_id', 'policy_number')
    )
    with op.batch_alter_table('insurancepolicy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_insurancepolicy_end_on'), ['end_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_insurancepolicy_vehicle_id'), ['vehicle_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('insurancepolicy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_insurancepolicy_vehicle_id'))
        batch_op.drop_index(batch_op.f('ix_insurancepolicy_end_on'))
    op.drop_table('insurancepolicy')
