"""The migrations create exactly what the models declare, and undo it."""

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect, select
from sqlmodel import Session, col

import models
from api.main import create_app
from matchmaker import db
from matchmaker.partnering.webhooks import payload
from matchmaker.search import is_search_table
from matchmaker.settings import Settings
from models.organisation import OrganisationUpdate
from models.partnering import OutboxMessage
from tests import postgres
from tests.factories import create_call, create_organisation
from tests.helpers import bearer, keyed, settings_for
from tests.servers import ADMIN_TOKEN


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


IDS_REVISION = "3bb951b9dfc1"
# The tables whose ids the database numbers: every one with a single integer primary key.
NUMBERED = sorted(
    table.name
    for table in models.metadata.sorted_tables
    if [(c.name, c.type.python_type) for c in table.primary_key.columns] == [("id", int)]
)


def _schema(engine: Engine) -> dict[tuple[str, str], str | None]:
    """Every object SQLite's schema holds, (type, name), with its SQL, but its own counters."""
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT type, name, sql FROM sqlite_master WHERE name != 'sqlite_sequence'"
        ).all()
    return {(kind, name): _constraints_in_order(sql) for kind, name, sql in rows}


def _constraints_in_order(sql: str | None) -> str | None:
    """A table's SQL with its constraints sorted after its columns: a batch migration that
    rebuilds a table writes its constraints in the order of a set (the hash seed's), which
    says nothing about the schema."""
    if sql is None or not sql.startswith("CREATE TABLE") or not sql.endswith("\n)"):
        return sql
    head, separator, body = sql.partition(" (\n")
    parts = body.removesuffix("\n)").split(", \n")
    constraints = sorted(part for part in parts if part.lstrip().startswith("CONSTRAINT "))
    columns = [part for part in parts if not part.lstrip().startswith("CONSTRAINT ")]
    return head + separator + ", \n".join(columns + constraints) + "\n)"


def _rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but Alembic's and SQLite's counters, search tables and their
    shadow tables included, in order."""
    with engine.connect() as connection:
        names = connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT IN ('sqlite_sequence', 'alembic_version')"
        ).scalars()
        return {
            name: sorted(
                (tuple(row) for row in connection.exec_driver_sql(f'SELECT * FROM "{name}"')),
                key=repr,
            )
            for name in list(names)
        }


def _unquoted(sql: str | None) -> str:
    """A CREATE TABLE without the quotes SQLite puts around a renamed table's name."""
    return re.sub(r'^CREATE TABLE "(\w+)"', r"CREATE TABLE \1", sql or "")


def _populated(settings: Settings, engine: Engine, *, at: str) -> dict[str, Any]:
    """A database populated by `_populate` and then taken down to revision `at`: this release's
    service writes the latest schema (its columns), so it writes at the head revision; the
    downgrades keep every row. Returns the ids."""
    db.upgrade(engine)
    with TestClient(create_app(settings), raise_server_exceptions=False) as started:
        ids = _populate(keyed(started, ADMIN_TOKEN))
    db.downgrade(engine, at)
    return ids


def _populate(client: TestClient) -> dict[str, Any]:
    """Through the API: organisations with activities, calls, a draft with members, a partner
    request for the draft and interest in it, a merge; then the organisation and the call with
    the largest ids deleted. Returns the ids, by what they are."""
    survivor = create_organisation(client, name="Leiden University Medical Center")
    absorbed = create_organisation(client, name="LUMC")
    patients = create_organisation(
        client,
        name="European Liver Patients",
        stakeholder_type="patient_organisation",
        country="BE",
        activities=[{"title": "Hepatology patient panel", "summary": "Screening advice."}],
    )
    industry = create_organisation(
        client, name="Oncomark Diagnostics", stakeholder_type="sme", country="DE"
    )
    call = create_call(client, identifier="IHI-2024-07-01", deadline="2099-12-31")
    doomed_call = create_call(client, identifier="IHI-2024-07-02")
    draft = client.post(
        "/consortia",
        json={
            "name": "Liquid biopsy",
            "call_id": call["id"],
            "members": [{"organisation_id": i} for i in (survivor["id"], industry["id"])],
        },
        headers=bearer(survivor["api_key"]),
    )
    assert draft.status_code == 201, draft.text
    request = client.post(
        f"/calls/{call['id']}/partner-requests",
        json={
            "consortium_id": draft.json()["id"],
            "stakeholder_types": ["patient_organisation"],
            "expertise": "Patient panels for liver disease screening.",
            "pitch": "Join a consortium on early detection.",
        },
        headers=bearer(survivor["api_key"]),
    )
    assert request.status_code == 201, request.text
    interest = client.post(
        f"/partner-requests/{request.json()['id']}/interest",
        json={"message": "We would like to join."},
        headers=bearer(patients["api_key"]),
    )
    assert interest.status_code == 201, interest.text
    merged = client.post(
        f"/admin/organisations/{survivor['id']}/merge", json={"absorb": absorbed["id"]}
    )
    assert merged.status_code == 200, merged.text
    doomed = create_organisation(client, name="Charité Berlin", country="DE")
    assert client.delete(f"/organisations/{doomed['id']}").status_code == 204
    assert client.delete(f"/calls/{doomed_call['id']}").status_code == 204
    return {
        "survivor": survivor["id"],
        "absorbed": absorbed["id"],
        "patients": patients["id"],
        "draft": draft.json()["id"],
        "request": request.json()["id"],
        "deleted organisation": doomed["id"],
        "deleted call": doomed_call["id"],
    }


def _search(client: TestClient, q: str) -> list[int]:
    """The ids of the organisations a full-text search finds."""
    return sorted(
        item["id"] for item in client.get("/organisations", params={"q": q}).json()["items"]
    )


def test_every_numbered_table_never_reuses_ids(tmp_path: Path) -> None:
    """Every table with an integer id declares AUTOINCREMENT, and migrating creates it so."""
    assert len(NUMBERED) == 19
    assert [
        t
        for t in NUMBERED
        if not models.metadata.tables[t].dialect_options["sqlite"]["autoincrement"]
    ] == []
    engine = db.create_db_engine(settings_for(f"sqlite:///{tmp_path / 'fresh.db'}"))
    db.upgrade(engine)
    schema = _schema(engine)
    engine.dispose()
    for table in NUMBERED:
        sql = schema["table", table] or ""
        assert "\n\tid INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, " in sql, table
        assert f"CONSTRAINT pk_{table} " not in sql, table
    assert [
        name
        for (kind, name), sql in schema.items()
        if kind == "table" and name not in NUMBERED and "AUTOINCREMENT" in (sql or "")
    ] == []


def test_ids_never_reused_keeps_every_row_id_index_and_trigger(tmp_path: Path) -> None:
    """On SQLite the revision rebuilds the numbered tables with every row, id, index and search
    trigger; ids deleted before it are not handed out again, nor after; its downgrade restores
    the former tables with every row, and upgrading again works."""
    settings = settings_for(f"sqlite:///{tmp_path / 'populated.db'}")
    engine = db.create_db_engine(settings)
    ids = _populated(settings, engine, at=f"{IDS_REVISION}-1")
    schema_before, rows_before = _schema(engine), _rows(engine)
    populated = ("consortium_members", "partner_requests", "contact_requests")
    assert [len(rows_before[t]) for t in populated] == [2, 1, 1]
    assert [len(rows_before[t]) for t in ("organisation_merges", "organisations_search")] == [1, 3]

    db.upgrade(engine, IDS_REVISION)

    schema_after = _schema(engine)
    assert _rows(engine) == rows_before
    # The numbered tables of its time: those created later are created with AUTOINCREMENT.
    rebuilt = {("table", table) for table in NUMBERED} & schema_before.keys()
    assert len(rebuilt) == 18
    assert {k: v for k, v in schema_after.items() if k not in rebuilt} == {
        k: v for k, v in schema_before.items() if k not in rebuilt
    }
    assert schema_after.keys() == schema_before.keys()
    for key in rebuilt:
        assert "PRIMARY KEY AUTOINCREMENT" in (schema_after[key] or "")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1

    # This release's service reads and writes the latest schema (its columns): it runs at the
    # head revision, whose numbered tables are this revision's, and the rows come back down.
    db.upgrade(engine)
    with TestClient(create_app(settings), raise_server_exceptions=False) as started:
        client = keyed(started, ADMIN_TOKEN)
        assert _search(client, "hepatology") == [ids["patients"]]
        new = create_organisation(client, name="Karolinska Institutet", country="SE")
        assert new["id"] == ids["deleted organisation"] + 1
        assert create_call(client, identifier="IHI-2024-07-03")["id"] == ids["deleted call"] + 1
        assert _search(client, "Karolinska") == [new["id"]]
        assert client.patch(f"/organisations/{new['id']}", json={"name": "KI"}).status_code == 200
        assert (_search(client, "Karolinska"), _search(client, "KI")) == ([], [new["id"]])
        assert client.delete(f"/organisations/{new['id']}").status_code == 204
        assert _search(client, "KI") == []
        newer = create_organisation(client, name="Institut Curie", country="FR")
        assert newer["id"] == new["id"] + 1
    db.downgrade(engine, IDS_REVISION)
    rows_upgraded = _rows(engine)

    db.downgrade(engine, f"{IDS_REVISION}-1")
    assert _rows(engine) == rows_upgraded
    schema_downgraded = _schema(engine)
    assert {k: _unquoted(v) for k, v in schema_downgraded.items()} == {
        k: _unquoted(v) for k, v in schema_before.items()
    }
    db.upgrade(engine, IDS_REVISION)
    assert _schema(engine) == schema_after
    assert _rows(engine) == rows_upgraded
    db.upgrade(engine)
    with TestClient(create_app(settings), raise_server_exceptions=False) as started:
        latest = create_organisation(keyed(started, ADMIN_TOKEN), name="Institut Pasteur")
        assert latest["id"] == newer["id"] + 1
    engine.dispose()


def test_ids_never_reused_changes_nothing_on_postgresql(postgres_admin_url: str) -> None:
    """On PostgreSQL, whose sequences never reuse ids, the revision and its downgrade leave the
    schema, the sequences and every row as they were."""
    name = f"ids_never_reused_{os.getpid()}"
    settings = settings_for(postgres.create_database(postgres_admin_url, name))
    engine = db.create_db_engine(settings)
    try:
        _populated(settings, engine, at=f"{IDS_REVISION}-1")
        before = _postgres_state(engine)
        db.upgrade(engine, IDS_REVISION)
        assert _postgres_state(engine) == before
        db.downgrade(engine, f"{IDS_REVISION}-1")
        assert _postgres_state(engine) == before
    finally:
        engine.dispose()
        postgres.drop_database(postgres_admin_url, name)


_POSTGRES_SCHEMA = (
    "SELECT table_name, column_name, data_type, column_default, is_nullable "
    "FROM information_schema.columns WHERE table_schema = 'public'",
    "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
    "WHERE connamespace = 'public'::regnamespace",
    "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
    "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal",
    "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'",
)


def _postgres_state(engine: Engine) -> list[list[tuple[Any, ...]]]:
    """The schema, the sequences' positions and every row of every table but Alembic's."""
    with engine.connect() as connection:
        state = [
            sorted((tuple(row) for row in connection.exec_driver_sql(query)), key=repr)
            for query in _POSTGRES_SCHEMA
        ]
        tables = inspect(connection).get_table_names()
        for table in sorted(set(tables) - {"alembic_version"}):
            rows = connection.exec_driver_sql(f'SELECT * FROM "{table}"')
            state.append(sorted((tuple(row) for row in rows), key=repr))
    return state


CLAIMS_REVISION = "5a9d3e7c1b48"
CLAIMS = sa.table(
    "claims",
    sa.column("id", sa.Integer()),
    sa.column("organisation_id", sa.Integer()),
    sa.column("record_id", sa.Integer()),
    sa.column("external_id", sa.String()),
    sa.column("token_hash", sa.String()),
    sa.column("status", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
MERGES = sa.table(
    "organisation_merges",
    sa.column("survivor_id", sa.Integer()),
    sa.column("absorbed_id", sa.Integer()),
    sa.column("absorbed_external_id", sa.String()),
    sa.column("absorbed_name", sa.String()),
    sa.column("reason", sa.String()),
    sa.column("merged_at", sa.DateTime(timezone=True)),
)


def _claims(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                sa.select(CLAIMS.c.id, CLAIMS.c.status, CLAIMS.c.token_hash).order_by(CLAIMS.c.id)
            )
        ]


def test_claims_left_pending_without_their_record_end_as_merged_or_deleted(
    engine: Engine,
) -> None:
    """A pending claim whose record is gone becomes record_merged when a merge absorbed its
    record, else record_deleted, its link voided; other claims keep theirs. The downgrade
    turns the new statuses back into pending without a record."""
    db.downgrade(engine, f"{CLAIMS_REVISION}-1")
    for number in (1, 2):
        _insert(engine, number, [])
    now = datetime(2026, 12, 1, tzinfo=UTC)
    rows = [
        (1, None, "cordis:111", "pending"),  # its record merged into organisation 2
        (2, None, "cordis:222", "pending"),  # its record deleted
        (3, 2, "cordis:333", "pending"),  # its record still stored
        (4, None, "cordis:444", "confirmed"),  # merged by this very claim
    ]
    with engine.begin() as connection:
        connection.execute(
            MERGES.insert().values(
                survivor_id=2,
                absorbed_id=99,
                absorbed_external_id="cordis:111",
                absorbed_name="Absorbed",
                reason="admin",
                merged_at=now,
            )
        )
        connection.execute(
            CLAIMS.insert(),
            [
                {"id": number, "organisation_id": 1, "record_id": record, "external_id": external}
                | {"token_hash": f"hash{number}", "status": status, "created_at": now}
                for number, record, external, status in rows
            ],
        )
    db.upgrade(engine)
    assert _claims(engine) == [
        (1, "record_merged", None),
        (2, "record_deleted", None),
        (3, "pending", "hash3"),
        (4, "confirmed", "hash4"),
    ]
    db.downgrade(engine, f"{CLAIMS_REVISION}-1")
    assert [(number, status) for number, status, _ in _claims(engine)] == [
        (1, "pending"),
        (2, "pending"),
        (3, "pending"),
        (4, "confirmed"),
    ]


ABOUT_IDS_REVISION = "9096f586e6be"
OUTBOX = sa.table(
    "outbox_messages",
    sa.column("id", sa.Integer()),
    sa.column("message_id", sa.String()),
    sa.column("event", sa.String()),
    sa.column("organisation_id", sa.Integer()),
    sa.column("about_organisation_id", sa.Integer()),
    sa.column("subject", sa.String()),
    sa.column("body", sa.String()),
    sa.column("status", sa.String()),
    sa.column("attempts", sa.Integer()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("next_attempt_at", sa.DateTime(timezone=True)),
)


def test_notifications_written_before_about_ids_name_only_their_other_organisation(
    engine: Engine,
) -> None:
    """Messages stored before the revision keep a null `about_ids`: their webhook's `about`
    names the other organisation they were stored with, or nothing. The downgrade drops the
    column and keeps the messages."""
    db.downgrade(engine, f"{ABOUT_IDS_REVISION}-1")
    for number in (1, 2):
        _insert(engine, number, [])
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            OUTBOX.insert(),
            [
                {"id": number, "message_id": f"<{number}@matchmaker>", "event": event}
                | {"organisation_id": 1, "about_organisation_id": about, "subject": "s"}
                | {"body": "b", "status": "pending", "attempts": 0}
                | {"created_at": now, "next_attempt_at": now}
                for number, event, about in [
                    (1, "request_received", 2),
                    (2, "confirm_reminder", None),
                ]
            ],
        )
    db.upgrade(engine)
    with Session(engine) as session:
        messages = session.scalars(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
        assert [message.about_ids for message in messages] == [None, None]
        assert [json.loads(payload(message))["about"] for message in messages] == [
            {"organisation_id": 2},
            {},
        ]
    db.downgrade(engine, f"{ABOUT_IDS_REVISION}-1")
    assert "about_ids" not in {c["name"] for c in inspect(engine).get_columns("outbox_messages")}
    with engine.connect() as connection:
        kept = connection.execute(sa.select(OUTBOX.c.id).order_by(OUTBOX.c.id)).scalars().all()
    assert kept == [1, 2]


RELEVANCE_REVISION = "c41d7e2a9b60"
SEARCHES = sa.table(
    "saved_searches",
    sa.column("id", sa.Integer()),
    sa.column("organisation_id", sa.Integer()),
    sa.column("target", sa.String()),
    sa.column("text", sa.String()),
    sa.column("fits_profile", sa.Boolean()),
    sa.column("stakeholder_types", sa.JSON()),
    sa.column("countries", sa.JSON()),
    sa.column("threshold", sa.Float()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def _thresholds(engine: Engine) -> list[float]:
    with engine.connect() as connection:
        query = sa.select(SEARCHES.c.threshold).order_by(SEARCHES.c.id)
        return list(connection.execute(query).scalars())


def test_searches_saved_at_the_old_default_threshold_move_to_the_new_one(engine: Engine) -> None:
    """A search left at the old default relevance (0.1) moves to the new default (0.03), since
    the relevance now runs lower; a threshold chosen otherwise is kept. The downgrade moves 0.03
    back to 0.1."""
    db.downgrade(engine, f"{RELEVANCE_REVISION}-1")
    _insert(engine, 1, [])
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            SEARCHES.insert(),
            [
                {"id": number, "organisation_id": 1, "target": "calls", "text": "liquid biopsy"}
                | {"fits_profile": False, "stakeholder_types": [], "countries": []}
                | {"threshold": threshold, "created_at": now}
                for number, threshold in [(1, 0.1), (2, 0.5), (3, 0.0), (4, 0.1)]
            ],
        )
    db.upgrade(engine)
    assert _thresholds(engine) == [0.03, 0.5, 0.0, 0.03]
    db.downgrade(engine, f"{RELEVANCE_REVISION}-1")
    assert _thresholds(engine) == [0.1, 0.5, 0.0, 0.1]


OWNED_REVISION = "e7a1c5b9d304"
OWNED = sa.table(
    "organisations",
    sa.column("id", sa.Integer()),
    sa.column("external_id", sa.String()),
    sa.column("owned_fields", sa.JSON()),
)
ORGANISATION_KEYS = sa.table(
    "api_keys",
    sa.column("id", sa.Integer()),
    sa.column("prefix", sa.String()),
    sa.column("secret_hash", sa.String()),
    sa.column("role", sa.String()),
    sa.column("organisation_id", sa.Integer()),
    sa.column("label", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def test_imported_records_someone_here_could_have_edited_keep_every_field(
    engine: Engine,
) -> None:
    """Imported records that hold a key or absorbed a profile count every field as their own,
    since which ones were written before is recorded nowhere; an imported record nobody could
    write to, and a registered profile with a key, own none. The downgrade drops the column."""
    db.downgrade(engine, f"{OWNED_REVISION}-1")
    for number in (1, 2, 3, 4):
        _insert(engine, number, [])
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with engine.begin() as connection:
        for number in (1, 2, 3):
            connection.execute(
                OWNED.update().where(OWNED.c.id == number).values(external_id=f"cordis:{number}")
            )
        connection.execute(
            ORGANISATION_KEYS.insert(),
            [
                {"id": key, "prefix": f"k{key}", "secret_hash": "h", "role": "organisation"}
                | {"organisation_id": organisation, "label": "owner", "created_at": now}
                for key, organisation in ((1, 1), (2, 4))
            ],
        )
        connection.execute(
            MERGES.insert().values(
                survivor_id=2,
                absorbed_id=99,
                absorbed_external_id=None,
                absorbed_name="Registered here",
                reason="admin",
                merged_at=now,
            )
        )
    db.upgrade(engine)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(OWNED.c.id, OWNED.c.owned_fields).order_by(OWNED.c.id)
        ).all()
    owned = {number: fields for number, fields in rows}
    every = sorted(OrganisationUpdate.model_fields)
    assert owned == {1: every, 2: every, 3: [], 4: []}
    db.downgrade(engine, f"{OWNED_REVISION}-1")
    assert "owned_fields" not in {
        column["name"] for column in inspect(engine).get_columns("organisations")
    }
