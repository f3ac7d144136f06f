"""The migrations create exactly what the models declare, and undo it."""

from datetime import UTC, datetime
from typing import Any

import pytest
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


OWNER_REVISION = "b6d3f0a8c215"
CONSORTIA = sa.table(
    "consortia",
    sa.column("id", sa.Integer()),
    sa.column("name", sa.String()),
    sa.column("call_id", sa.Integer()),
    sa.column("owner_organisation_id", sa.Integer()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
    sa.column("version", sa.Integer()),
)
MEMBERS = sa.table(
    "consortium_members",
    sa.column("id", sa.Integer()),
    sa.column("consortium_id", sa.Integer()),
    sa.column("organisation_id", sa.Integer()),
    sa.column("role", sa.String()),
)
CALLS = sa.table(
    "calls",
    sa.column("id", sa.Integer()),
    sa.column("identifier", sa.String()),
    sa.column("title", sa.String()),
    sa.column("description", sa.String()),
    sa.column("required_stakeholders", sa.JSON()),
    sa.column("min_countries", sa.Integer()),
    sa.column("two_stage", sa.Boolean()),
    sa.column("rule_set", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
    sa.column("version", sa.Integer()),
)
PARTNER_REQUESTS = sa.table(
    "partner_requests",
    sa.column("id", sa.Integer()),
    sa.column("call_id", sa.Integer()),
    sa.column("organisation_id", sa.Integer()),
    sa.column("consortium_id", sa.Integer()),
    sa.column("stakeholder_types", sa.JSON()),
    sa.column("countries", sa.JSON()),
    sa.column("expertise", sa.String()),
    sa.column("pitch", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)


def _drafts_and_members(engine: Engine) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    with engine.connect() as connection:
        drafts = connection.execute(
            sa.select(CONSORTIA.c.id, CONSORTIA.c.name, CONSORTIA.c.owner_organisation_id).order_by(
                CONSORTIA.c.id
            )
        ).all()
        members = connection.execute(
            sa.select(
                MEMBERS.c.id, MEMBERS.c.consortium_id, MEMBERS.c.organisation_id, MEMBERS.c.role
            ).order_by(MEMBERS.c.id)
        ).all()
    return [tuple(row) for row in drafts], [tuple(row) for row in members]


def test_draft_owner_becomes_not_null_and_every_member_stays(engine: Engine) -> None:
    """Making the owner NOT NULL (a table rebuild on SQLite) keeps every draft, member and
    partner request's draft; an ownerless draft gets its coordinator; the downgrade keeps all."""
    db.downgrade(engine, f"{OWNER_REVISION}-1")
    now = datetime(2026, 12, 1, tzinfo=UTC)
    for number in (1, 2, 3):
        _insert(engine, number, [])
    with engine.begin() as connection:
        connection.execute(
            CALLS.insert().values(
                id=1,
                identifier="RT-1",
                title="T",
                description="",
                required_stakeholders={},
                min_countries=3,
                two_stage=False,
                rule_set="none",
                created_at=now,
                updated_at=now,
                version=1,
            )
        )
        connection.execute(
            CONSORTIA.insert(),
            [
                {"id": number, "name": name, "owner_organisation_id": owner, "call_id": 1}
                | {"created_at": now, "updated_at": now, "version": 1}
                for number, name, owner in ((1, "Owned", 1), (2, "Ownerless", None), (3, "Also", 3))
            ],
        )
        connection.execute(
            MEMBERS.insert(),
            [
                {"id": 1, "consortium_id": 1, "organisation_id": 1, "role": "coordinator"},
                {"id": 2, "consortium_id": 1, "organisation_id": 2, "role": "partner"},
                {"id": 3, "consortium_id": 2, "organisation_id": 3, "role": "partner"},
                {"id": 4, "consortium_id": 2, "organisation_id": 2, "role": "coordinator"},
                {"id": 5, "consortium_id": 3, "organisation_id": 3, "role": "coordinator"},
            ],
        )
        connection.execute(
            PARTNER_REQUESTS.insert().values(
                id=1,
                call_id=1,
                organisation_id=1,
                consortium_id=1,
                stakeholder_types=[],
                countries=[],
                expertise="",
                pitch="",
                created_at=now,
                updated_at=now,
            )
        )
    _, members_before = _drafts_and_members(engine)

    db.upgrade(engine)
    drafts, members = _drafts_and_members(engine)
    assert drafts == [(1, "Owned", 1), (2, "Ownerless", 2), (3, "Also", 3)]
    assert members == members_before
    column = next(
        c for c in inspect(engine).get_columns("consortia") if c["name"] == "owner_organisation_id"
    )
    assert column["nullable"] is False
    with engine.connect() as connection:
        assert connection.execute(sa.select(PARTNER_REQUESTS.c.consortium_id)).scalar_one() == 1
        with pytest.raises(sa.exc.IntegrityError):
            connection.execute(
                CONSORTIA.insert().values(
                    name="No owner", call_id=1, created_at=now, updated_at=now, version=1
                )
            )

    db.downgrade(engine, f"{OWNER_REVISION}-1")
    assert _drafts_and_members(engine) == (drafts, members_before)
    with engine.connect() as connection:
        assert connection.execute(sa.select(PARTNER_REQUESTS.c.consortium_id)).scalar_one() == 1
