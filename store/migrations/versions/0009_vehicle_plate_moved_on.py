"""vehicle.former_plate and vehicle.plate_moved_on: one plate, one car at a time

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 10:00:00

A plate moves to the newer car when an owner keeps it and sells the old car on
(see store.ingest). The car it left holds no plate: ``former_plate`` is the plate it
had (still found by the lookup, after the car that holds it now) and
``plate_moved_on`` the day it went.

Imports before this revision could leave one plate on two cars of a store (a row
with a known plate and another VIN became a second car with the same plate). The
upgrade applies the import's rule to them: the car seen last (its latest visit or
purchase date; on a tie, the car recorded later) keeps the plate, the others are
marked plate moved on, on that car's day (the business day where it has none). Their search
terms stay as they were (a former plate is searched as the plate was). The
downgrade gives every car marked so its former plate back.
"""
from datetime import date
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes

from store import clock


revision: str = '0009'
down_revision: Union[str, None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_vehicle = sa.table('vehicle', sa.column('id', sa.Integer), sa.column('plate', sa.String),
                    sa.column('plate_raw', sa.String), sa.column('former_plate', sa.String),
                    sa.column('plate_moved_on', sa.Date))


def _day(value) -> date | None:
    """A date as the driver hands it back (SQLite: ISO text)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def upgrade() -> None:
    # Plain ALTER TABLE on both backends (SQLite adds and, since 3.35, drops a column in
    # place): a batch copy of vehicle would have to drop the table every visit refers to.
    op.add_column('vehicle', sa.Column('former_plate', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
    op.add_column('vehicle', sa.Column('plate_moved_on', sa.Date(), nullable=True))
    conn = op.get_bind()
    shared = conn.execute(sa.text(
        'SELECT v.store_id, v.plate, v.id, v.purchase_date, (SELECT max(date_in) FROM visit WHERE vehicle_id = v.id) '
        'FROM vehicle v JOIN (SELECT store_id, plate FROM vehicle WHERE plate IS NOT NULL '
        'GROUP BY store_id, plate HAVING count(*) > 1) d ON d.store_id = v.store_id AND d.plate = v.plate '
        'ORDER BY v.store_id, v.plate, v.id')).all()
    cars: dict[tuple, list[tuple[date | None, int]]] = {}
    for store_id, plate, vid, bought, last_visit in shared:
        days = [d for d in (_day(bought), _day(last_visit)) if d is not None]
        cars.setdefault((store_id, plate), []).append((max(days) if days else None, vid))
    for (_, plate), seen in cars.items():
        day, holder = max(seen, key=lambda s: (s[0] or date.min, s[1]))
        for _, vid in seen:
            if vid != holder:
                conn.execute(_vehicle.update().where(_vehicle.c.id == vid).values(
                    plate=None, plate_raw=None, former_plate=plate, plate_moved_on=day or clock.today()))


def downgrade() -> None:
    conn = op.get_bind()
    conn.execute(_vehicle.update().where(_vehicle.c.plate.is_(None), _vehicle.c.former_plate.is_not(None))
                 .values(plate=_vehicle.c.former_plate))
    op.drop_column('vehicle', 'plate_moved_on')
    op.drop_column('vehicle', 'former_plate')
