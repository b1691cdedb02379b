"""visit.row_hash: the fingerprint of the export row a visit last came from

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 14:40:00

A store exports the last month or quarter every week, so most rows of a re-import
are ROs already in, unchanged. The import fingerprints each typed row (every field
it read: the RO, its car, its owner, its amounts); a row whose RO holds the same
fingerprint is counted unchanged and goes no further (see store.ingest). Visits
imported before this revision have none: their next import compares them field by
field, as before, and gives them one.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0010'
down_revision: Union[str, None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('visit', sa.Column('row_hash', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column('visit', 'row_hash')
