"""The migrations create exactly what the models declare, and undo it."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

import models
from matchmaker import db


def test_models_and_migrations_do_not_drift(engine: Engine) -> None:
    """Autogenerate finds nothing to add once the migrations have run."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, models.metadata) == []


def test_downgrade_to_base_and_upgrade_again(engine: Engine) -> None:
    """Every migration can be undone and re-applied."""
    db.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    db.upgrade(engine)
    assert {"organisations", "calls", "changes"} <= set(inspect(engine).get_table_names())
    assert db.current_revision(engine) == db.head_revision()
