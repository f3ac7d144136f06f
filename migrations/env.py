"""Alembic environment: migrates the engine handed over by matchmaker, or the configured URL."""

from typing import Any

from alembic import context
from sqlalchemy import Engine

import models
from matchmaker.db import create_db_engine
from matchmaker.search import is_search_table
from matchmaker.settings import get_settings

config = context.config
target_metadata = models.metadata


def include_name(name: str | None, type_: str, _parents: Any) -> bool:
    """Leave out of autogenerate the full-text search tables, which triggers maintain."""
    return not (type_ == "table" and name is not None and is_search_table(name))


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
            include_name=include_name,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run them online.")
run_migrations_online()
