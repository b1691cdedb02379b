"""complaint handling: category, severity, channel, owner, deadlines, and its steps

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 12:45:00

A complaint 投诉 was a summary and an open/closed status. It now carries what the
counter logs (category, severity, channel, the RO, who received it), who owns it and
by when it must be answered and resolved, and each step of its handling is a row of
``complaintstep``. Complaints that were "open" become "new".
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401


revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ro_number', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True))
        batch_op.add_column(sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                      server_default='other'))
        batch_op.add_column(sa.Column('severity', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False,
                                      server_default='normal'))
        batch_op.add_column(sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                      server_default='counter'))
        batch_op.add_column(sa.Column('received_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('opened_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('respond_by', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('resolve_by', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('first_response_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('resolved_at', sa.DateTime(), nullable=True))
        batch_op.create_foreign_key('fk_complaint_received_by', 'staff', ['received_by_id'], ['id'])
        batch_op.create_foreign_key('fk_complaint_owner', 'staff', ['owner_id'], ['id'])
        batch_op.create_index('ix_complaint_owner_id', ['owner_id'], unique=False)
    op.execute("UPDATE complaint SET status = 'new' WHERE status = 'open'")
    op.create_table('complaintstep',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('step', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], ),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('complaintstep', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaintstep_complaint_id'), ['complaint_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('complaintstep', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaintstep_complaint_id'))
    op.drop_table('complaintstep')
    op.execute("UPDATE complaint SET status = 'open' WHERE status IN ('new', 'handling', 'resolved')")
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_owner_id')
        batch_op.drop_constraint('fk_complaint_owner', type_='foreignkey')
        batch_op.drop_constraint('fk_complaint_received_by', type_='foreignkey')
        for column in ('resolved_at', 'first_response_at', 'resolve_by', 'respond_by', 'opened_at', 'owner_id',
                       'received_by_id', 'channel', 'severity', 'category', 'ro_number'):
            batch_op.drop_column(column)
