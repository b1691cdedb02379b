"""pointsentry: a partial index on the unspent lots

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 10:00:00

A redemption spends an account's lots (rows with points left, ``remaining > 0``)
oldest first, and checks none is past its last day. Read through the
(account_id, created_at) index, that walked every row the account ever had: a
member who redeems often has hundreds of spent rows and one or two lots.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401  (the template's import, kept for the next revision)


revision: str = '0005'
down_revision: Union[str, None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('pointsentry', schema=None) as batch_op:
        batch_op.create_index('ix_pointsentry_lots', ['account_id', 'id'], unique=False,
                              sqlite_where=sa.text('remaining > 0'), postgresql_where=sa.text('remaining > 0'))


def downgrade() -> None:
    with op.batch_alter_table('pointsentry', schema=None) as batch_op:
        batch_op.drop_index('ix_pointsentry_lots')
