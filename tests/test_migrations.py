"""The migrations create exactly what the models declare, and undo it."""

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

import models
from matchmaker import db
from matchmaker.search import is_search_table


def test_models_and_migrations_do_not_drift(engine: Engine) -> None:
    """Autogenerate finds nothing to add once the migrations have run."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": lambda name, type_, _parents: (
                    not (type_ == "table" and is_search_table(name))
                ),
            },
        )
        assert compare_metadata(context, models.metadata) == []


def test_downgrade_to_base_and_upgrade_again(engine: Engine) -> None:
    """Every migration can be undone and re-applied."""
    db.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    db.upgrade(engine)
    assert {"organisations", "calls", "changes"} <= set(inspect(engine).get_table_names())
    assert db.current_revision(engine) == db.head_revision()


ROLES_REVISION = "efdad51c2a90"
ORGANISATIONS = sa.table(
    "organisations",
    sa.column("id", sa.Integer()),
    sa.column("name", sa.String()),
    sa.column("stakeholder_type", sa.String()),
    sa.column("country", sa.String()),
    sa.column("description", sa.String()),
    sa.column("keywords", sa.JSON()),
    sa.column("activities", sa.JSON()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
    sa.column("version", sa.Integer()),
)
SUFFIXED: list[dict[str, Any]] = [
    {"title": "EARLYDX: early detection (coordinator)", "summary": "s", "year": 2023},
    {"title": "Liquid biopsy (participant)", "summary": "", "year": None},
    {"title": "Biobanks (associated partner)", "summary": "", "year": None},
    {"title": "Screening (third party)", "summary": "", "year": None},
    {"title": "A review (in press)", "summary": "", "year": None},
]


def _insert(engine: Engine, number: int, activities: list[dict[str, Any]]) -> None:
    """Store an organisation with these activities through SQL, as any revision's schema has."""
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            ORGANISATIONS.insert().values(
                id=number,
                name=f"Organisation {number}",
                stakeholder_type="academia",
                country="NL",
                description="",
                keywords=[],
                activities=activities,
                created_at=now,
                updated_at=now,
                version=1,
            )
        )


def _organisations(engine: Engine) -> list[tuple[Any, ...]]:
    """(id, activities, version) of every organisation, by id."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(
                ORGANISATIONS.c.id, ORGANISATIONS.c.activities, ORGANISATIONS.c.version
            ).order_by(ORGANISATIONS.c.id)
        ).all()
    return [tuple(row) for row in rows]


def _changes(engine: Engine) -> list[tuple[Any, ...]]:
    """The change log's (entity, entity_id) rows, in order."""
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT entity, entity_id FROM changes ORDER BY id").all()
    return [tuple(row) for row in rows]


def test_activity_roles_move_out_of_titles_and_back(engine: Engine) -> None:
    """Upgrading turns "title (role)" into title and role; downgrading puts them back."""
    db.downgrade(engine, f"{ROLES_REVISION}-1")
    plain = [{"title": "No role here", "summary": "", "year": None}]
    _insert(engine, 1, SUFFIXED)
    _insert(engine, 2, plain)

    db.upgrade(engine, ROLES_REVISION)
    assert _organisations(engine) == [
        (
            1,
            [
                {
                    "title": "EARLYDX: early detection",
                    "summary": "s",
                    "year": 2023,
                    "role": "coordinator",
                },
                {"title": "Liquid biopsy", "summary": "", "year": None, "role": "participant"},
                {"title": "Biobanks", "summary": "", "year": None, "role": "associated_partner"},
                {"title": "Screening", "summary": "", "year": None, "role": "third_party"},
                {"title": "A review (in press)", "summary": "", "year": None},
            ],
            2,
        ),
        (2, plain, 1),
    ]
    assert _changes(engine) == [("organisation", 1)]

    _insert(
        engine,
        3,
        [{"title": "Added since", "summary": "", "year": None, "url": None, "role": None}],
    )

    db.downgrade(engine, f"{ROLES_REVISION}-1")
    assert _organisations(engine) == [
        (1, SUFFIXED, 3),
        (2, plain, 1),
        (3, [{"title": "Added since", "summary": "", "year": None, "url": None}], 2),
    ]
    assert _changes(engine) == [("organisation", 1), ("organisation", 1), ("organisation", 3)]


PUBLISHERS_REVISION = "5e1b7c9d2f40"
API_KEYS = sa.table(
    "api_keys",
    sa.column("id", sa.Integer()),
    sa.column("prefix", sa.String()),
    sa.column("secret_hash", sa.String()),
    sa.column("role", sa.String()),
    sa.column("label", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def _roles(engine: Engine) -> list[tuple[int, str]]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                sa.select(API_KEYS.c.id, API_KEYS.c.role).order_by(API_KEYS.c.id)
            )
        ]


def test_coordinator_keys_become_publisher_keys_and_back(engine: Engine) -> None:
    """Stored "coordinator" keys are renamed "publisher" (still valid); the downgrade undoes it."""
    db.downgrade(engine, f"{PUBLISHERS_REVISION}-1")
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            API_KEYS.insert(),
            [
                {"id": number, "prefix": prefix, "role": role, "secret_hash": "h", "label": ""}
                | {"created_at": now}
                for number, prefix, role in ((1, "a1", "coordinator"), (2, "b2", "admin"))
            ],
        )
    db.upgrade(engine)
    assert _roles(engine) == [(1, "publisher"), (2, "admin")]
    assert "created_by_key_id" in {
        column["name"] for column in inspect(engine).get_columns("calls")
    }
    db.downgrade(engine, f"{PUBLISHERS_REVISION}-1")
    assert _roles(engine) == [(1, "coordinator"), (2, "admin")]
    assert "created_by_key_id" not in {
        column["name"] for column in inspect(engine).get_columns("calls")
    }
