"""Alembic environment: run against the connection dealerdesk hands in, or the URL."""

from alembic import context
from sqlalchemy import create_engine

import store.models  # noqa: F401  (registers every table)
from sqlmodel import SQLModel

config = context.config
target_metadata = SQLModel.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url"))
        with engine.begin() as connection:
            _run_with(connection)
    else:
        _run_with(connection)


def _run_with(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
