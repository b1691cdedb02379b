"""satisfaction scores of the after-service callbacks

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 13:00:00

One row per question answered on a call (满意度回访): the call, the RO it was about,
the SA who served it, the question and the score.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401


revision: str = '0007'
down_revision: Union[str, None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('satisfactionscore',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('vehicle_id', sa.Integer(), nullable=True),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('sa_name', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('question', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calllog.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['store_id'], ['store.id'], ),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicle.id'], ),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('satisfactionscore', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_satisfactionscore_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_satisfactionscore_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_satisfactionscore_customer_id'), ['customer_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('satisfactionscore', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_satisfactionscore_customer_id'))
        batch_op.drop_index(batch_op.f('ix_satisfactionscore_call_id'))
        batch_op.drop_index(batch_op.f('ix_satisfactionscore_at'))
    op.drop_table('satisfactionscore')
