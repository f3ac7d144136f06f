"""Alembic environment: migrates the engine handed over by matchmaker, or the configured URL."""

from alembic import context
from sqlalchemy import Engine

import models
from matchmaker.db import create_db_engine
from matchmaker.settings import get_settings

config = context.config
target_metadata = models.metadata


def run_migrations_online() -> None:
    """Run migrations on a live connection, in batch mode on SQLite."""
    engine: Engine | None = config.attributes.get("engine")
    if engine is None:
        engine = create_db_engine(get_settings())
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run them online.")
run_migrations_online()
