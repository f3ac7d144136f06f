"""Alembic environment: migrates the engine handed over by matchmaker, or the configured URL."""

from collections.abc import Collection, Mapping
from typing import Any

from alembic import context
from alembic.runtime.migration import MigrationContext, MigrationInfo
from sqlalchemy import Connection, Engine

import models
from matchmaker.db import create_db_engine
from matchmaker.search import is_search_table
from matchmaker.settings import get_settings

config = context.config
target_metadata = models.metadata


def include_name(name: str | None, type_: str, _parents: Any) -> bool:
    """Leave out of autogenerate the full-text search tables, which triggers maintain."""
    return not (type_ == "table" and name is not None and is_search_table(name))


def set_foreign_keys(connection: Connection, *, on: bool) -> None:
    """Turn SQLite's foreign keys on or off for this connection, outside any transaction.

    SQLite ignores the pragma inside a transaction, and SQLAlchemy would begin one before the
    statement (the engine's "begin" event emits BEGIN itself), so it goes to the driver's
    connection, which is in none (its own transaction handling is off).
    """
    driver = connection.connection.driver_connection
    if driver is None or driver.in_transaction:
        raise RuntimeError("foreign keys can only be switched outside a transaction")
    driver.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    if bool(driver.execute("PRAGMA foreign_keys").fetchone()[0]) is not on:
        raise RuntimeError(f"SQLite did not turn foreign keys {'on' if on else 'off'}")


def check_foreign_keys(
    ctx: MigrationContext, step: MigrationInfo, heads: Collection[Any], run_args: Mapping[str, Any]
) -> None:
    """Refuse a revision that leaves a row pointing at one that does not exist: SQLite checks
    nothing while foreign keys are off, so this runs before each revision commits."""
    assert ctx.connection is not None
    broken = ctx.connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        rows = ", ".join(f"{table} rowid {rowid} -> {parent}" for table, rowid, parent, _ in broken)
        raise RuntimeError(f"{step} leaves rows pointing at missing rows: {rows}")


def run_migrations_online() -> None:
    """Run migrations on a live connection; on SQLite in batch mode, with foreign keys off.

    A SQLite table is changed by rebuilding it (copy, DROP TABLE, rename), and with foreign
    keys on DROP TABLE deletes the rows pointing at the table or nulls their references. So, as
    SQLite documents, they are off while migrations run, each revision (a transaction of its
    own on SQLite) is checked with `PRAGMA foreign_key_check` before it commits, and they are
    on again before the connection goes back to the pool.
    """
    engine: Engine | None = config.attributes.get("engine")
    if engine is None:
        engine = create_db_engine(get_settings())
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            set_foreign_keys(connection, on=False)
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=sqlite,
                compare_type=True,
                include_name=include_name,
                on_version_apply=check_foreign_keys if sqlite else None,
            )
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if sqlite:
                connection.rollback()
                try:
                    set_foreign_keys(connection, on=True)
                except BaseException:
                    # Never hand the pool a connection that does not enforce foreign keys.
                    connection.invalidate()
                    raise


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run them online.")
run_migrations_online()
