"""club events 会员活动 and members' interests 兴趣爱好

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 14:20:00

New tables: clubevent (an event with its capacity, budget, points for attending and
its target), eventinvitation (the target's invitation list, one row per customer),
eventsignup (signed up, waitlist, cancelled, attended), interest (the store's list
of interests; a store without rows reads the care course's seven, see
store.interests) and customerinterest. clubentry gains event_id: the event a club
cost was for.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision: str = '0011'
down_revision: Union[str, None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('interest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('name_zh', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('name_en', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['store.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('store_id', 'code')
    )
    op.create_table('clubevent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('place', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('budget_fen', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], ),
    sa.ForeignKeyConstraint(['store_id'], ['store.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('clubevent', schema=None) as batch_op:
        batch_op.create_index('ix_clubevent_store_starts', ['store_id', 'starts_at'], unique=False)

    op.create_table('customerinterest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['store_id'], ['store.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('customer_id', 'code')
    )
    with op.batch_alter_table('customerinterest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customerinterest_customer_id'), ['customer_id'], unique=False)

    op.create_table('eventinvitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('owner_staff_id', sa.Integer(), nullable=True),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('invited_at', sa.DateTime(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['event_id'], ['clubevent.id'], ),
    sa.ForeignKeyConstraint(['owner_staff_id'], ['staff.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['caretask.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id', 'customer_id')
    )
    with op.batch_alter_table('eventinvitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_eventinvitation_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_eventinvitation_event_id'), ['event_id'], unique=False)

    op.create_table('eventsignup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('walk_in', sa.Boolean(), nullable=False),
    sa.Column('signed_at', sa.DateTime(), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.Column('checked_in_at', sa.DateTime(), nullable=True),
    sa.Column('points_entry_id', sa.Integer(), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ),
    sa.ForeignKeyConstraint(['event_id'], ['clubevent.id'], ),
    sa.ForeignKeyConstraint(['points_entry_id'], ['pointsentry.id'], ),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id', 'customer_id')
    )
    with op.batch_alter_table('eventsignup', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_eventsignup_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_eventsignup_event_id'), ['event_id'], unique=False)

    # A batch: SQLite copies clubentry (no table refers to it) to add the reference.
    with op.batch_alter_table('clubentry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_clubentry_event_id', ['event_id'], unique=False)
        batch_op.create_foreign_key('fk_clubentry_event_id', 'clubevent', ['event_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('clubentry', schema=None) as batch_op:
        batch_op.drop_constraint('fk_clubentry_event_id', type_='foreignkey')
        batch_op.drop_index('ix_clubentry_event_id')
        batch_op.drop_column('event_id')

    with op.batch_alter_table('eventsignup', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eventsignup_event_id'))
        batch_op.drop_index(batch_op.f('ix_eventsignup_customer_id'))

    op.drop_table('eventsignup')
    with op.batch_alter_table('eventinvitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eventinvitation_event_id'))
        batch_op.drop_index(batch_op.f('ix_eventinvitation_customer_id'))

    op.drop_table('eventinvitation')
    with op.batch_alter_table('customerinterest', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customerinterest_customer_id'))

    op.drop_table('customerinterest')
    with op.batch_alter_table('clubevent', schema=None) as batch_op:
        batch_op.drop_index('ix_clubevent_store_starts')

    op.drop_table('clubevent')
    op.drop_table('interest')
