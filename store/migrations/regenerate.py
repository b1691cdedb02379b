"""Rebuild the initial migration from the models while nothing has shipped.

    python -m store.migrations.regenerate

Once a schema is in use, add a new revision instead:
``alembic -c store/migrations/alembic.ini revision --autogenerate -m "..."``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from store.db import MIGRATIONS_DIR, alembic_config, make_engine

INITIAL = "0001"


def main() -> None:
    versions = MIGRATIONS_DIR / "versions"
    for old in versions.glob(f"{INITIAL}_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'empty.sqlite'}")
        cfg = alembic_config(engine)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.revision(cfg, message="initial schema", autogenerate=True, rev_id=INITIAL)
    print("wrote", *versions.glob(f"{INITIAL}_*.py"))


if __name__ == "__main__":
    main()
