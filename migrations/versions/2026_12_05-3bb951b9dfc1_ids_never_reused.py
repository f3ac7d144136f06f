"""Ids are never handed out again: SQLite's tables with an integer id become AUTOINCREMENT.

Revision ID: 3bb951b9dfc1
Revises: b7e4c1d9a352
Create Date: 2026-12-05 21:50:00.000000

Without AUTOINCREMENT SQLite gives a new row the largest id in use plus one, so deleting the
row with the largest id (an organisation deleted or merged away, a call deleted) hands its id
to the next row: a merge record or an announcement of the old row then seems to be about the
new one, and merging it answered 500. PostgreSQL's sequences never reuse an id; there this
revision does nothing.

SQLite cannot add AUTOINCREMENT to a table, so each table is rebuilt the way SQLite documents
("Making Other Kinds Of Table Schema Changes"): a copy under a temporary name created from the
table's own CREATE TABLE with only the primary key changed, the rows copied (ids included),
DROP TABLE, the copy renamed, and the table's indexes and triggers (full-text search's, of
5e0c7b2d9a14) created again from their own SQL. Foreign keys must be off meanwhile, or DROP
TABLE would delete or null the rows of every table pointing at the dropped one; migrations/
env.py runs SQLite migrations with them off and checks them before each revision commits, and
this revision refuses to run with them on. Ids deleted before this revision ran may still be
reused once where nothing remembers them; where something does, the table's counter starts
above them: the change log keeps a row for every organisation, call and draft ever written (its
compaction keeps each one's latest), merge records keep absorbed organisations' ids, and
notification jobs the ids they announce. The downgrade rebuilds the tables without
AUTOINCREMENT, back to their former CREATE TABLE (SQLite keeps its empty `sqlite_sequence`).

A later batch rebuild of one of these tables must keep AUTOINCREMENT (SQLAlchemy does not
reflect it: pass `table_kwargs={"sqlite_autoincrement": True}`) and, for `calls` and
`organisations`, create the search triggers again.
"""

# ruff: noqa: S608  # SQL is built only from this file's constants and the schema's own SQL

import re
from collections.abc import Callable, Sequence

from alembic import op
from sqlalchemy import text

revision: str = "3bb951b9dfc1"
down_revision: str | None = "b7e4c1d9a352"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every table whose primary key is an integer `id` that the database numbers.
TABLES = (
    "api_keys",
    "calls",
    "changes",
    "claims",
    "consortia",
    "consortium_members",
    "contact_requests",
    "country_status_rows",
    "key_recovery_tokens",
    "notification_jobs",
    "notification_keys",
    "organisation_merges",
    "organisations",
    "outbox_messages",
    "partner_requests",
    "saved_searches",
    "webhook_deliveries",
    "webhooks",
)
_TEMPORARY = "_rebuilt_{}"
# The id column and the primary key as SQLAlchemy wrote them when it created these tables, and
# the id as it writes it for a table with `sqlite_autoincrement` (the key is then no constraint).
_PLAIN_ID = "\n\tid INTEGER NOT NULL, "
_AUTOINCREMENT_ID = "\n\tid INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, "
_PRIMARY_KEY = ", \n\tCONSTRAINT pk_{} PRIMARY KEY (id)"
_FIRST_CONSTRAINT = ", \n\tCONSTRAINT "


def _once(sql: str, old: str, new: str, table: str) -> str:
    """`sql` with `old`, which must appear exactly once, replaced by `new`."""
    if sql.count(old) != 1:
        raise RuntimeError(f"{table}'s CREATE TABLE is not as expected (no single {old!r})")
    return sql.replace(old, new)


def _with_autoincrement(sql: str, table: str) -> str:
    """The table's CREATE TABLE with the id as an AUTOINCREMENT primary key."""
    sql = _once(sql, _PRIMARY_KEY.format(table), "", table)
    return _once(sql, _PLAIN_ID, _AUTOINCREMENT_ID, table)


def _without_autoincrement(sql: str, table: str) -> str:
    """The table's CREATE TABLE as before this revision: the primary key as a constraint,
    first among the table's constraints."""
    sql = _once(sql, _AUTOINCREMENT_ID, _PLAIN_ID, table)
    at = sql.find(_FIRST_CONSTRAINT)
    if at < 0:
        at = sql.rindex("\n)")
    return sql[:at] + _PRIMARY_KEY.format(table) + sql[at:]


def _rebuild(table: str, new_sql: str) -> None:
    """Replace the table by one created by `new_sql` (its CREATE TABLE), keeping every row and
    id, and every index and trigger on it."""
    connection = op.get_bind()
    # Indexes a UNIQUE constraint makes have no SQL of their own: the CREATE TABLE makes them.
    attached = connection.execute(
        text(
            "SELECT sql FROM sqlite_master WHERE tbl_name = :table "
            "AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name"
        ),
        {"table": table},
    ).scalars()
    attached_sql = list(attached)
    columns = ", ".join(
        f'"{name}"'
        for name in connection.execute(
            text("SELECT name FROM pragma_table_info(:table)"), {"table": table}
        )
        .scalars()
        .all()
    )
    temporary = _TEMPORARY.format(table)
    head = re.compile(rf'^CREATE TABLE ("?){table}\1 \(')
    if not head.match(new_sql):
        raise RuntimeError(f"{table}'s CREATE TABLE does not begin as expected")
    op.execute(head.sub(f"CREATE TABLE {temporary} (", new_sql))
    op.execute(f"INSERT INTO {temporary} ({columns}) SELECT {columns} FROM {table}")
    op.execute(f"DROP TABLE {table}")
    op.execute(f"ALTER TABLE {temporary} RENAME TO {table}")
    for sql in attached_sql:
        op.execute(sql)


# Where ids of deleted rows are still written down, per table: queries for the largest.
_REMEMBERED_IDS = {
    "organisations": (
        "SELECT max(entity_id) FROM changes WHERE entity = 'organisation'",
        "SELECT max(absorbed_id) FROM organisation_merges",
        "SELECT max(item_id) FROM notification_jobs WHERE kind = 'organisation'",
    ),
    "calls": (
        "SELECT max(entity_id) FROM changes WHERE entity = 'call'",
        "SELECT max(item_id) FROM notification_jobs WHERE kind = 'call'",
    ),
    "consortia": ("SELECT max(entity_id) FROM changes WHERE entity = 'consortium'",),
    "partner_requests": (
        "SELECT max(item_id) FROM notification_jobs WHERE kind = 'partner_request'",
    ),
}


def _skip_remembered_ids() -> None:
    """Start each table's counter above every id the database still remembers (SQLite lets
    `sqlite_sequence` be written like any table; it has a row only for a table with rows)."""
    connection = op.get_bind()
    for table, queries in _REMEMBERED_IDS.items():
        remembered = max(connection.execute(text(query)).scalar() or 0 for query in queries)
        counter = connection.execute(
            text("SELECT seq FROM sqlite_sequence WHERE name = :table"), {"table": table}
        ).scalar()
        if remembered > (counter or 0):
            values = {"table": table, "seq": remembered}
            connection.execute(text("DELETE FROM sqlite_sequence WHERE name = :table"), values)
            connection.execute(
                text("INSERT INTO sqlite_sequence (name, seq) VALUES (:table, :seq)"), values
            )


def _rebuild_all(change: Callable[[str, str], str]) -> None:
    """Rebuild every table with its CREATE TABLE changed by `change`."""
    connection = op.get_bind()
    if connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one():
        raise RuntimeError(
            "This revision rebuilds tables, which with foreign keys on would delete the rows "
            "pointing at them: run it through migrations/env.py, which turns them off."
        )
    for table in TABLES:
        sql = connection.execute(
            text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :table"),
            {"table": table},
        ).scalar_one()
        _rebuild(table, change(sql, table))


def upgrade() -> None:
    """Apply this revision: on SQLite, every table with an integer id becomes AUTOINCREMENT."""
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_all(_with_autoincrement)
        _skip_remembered_ids()


def downgrade() -> None:
    """Undo this revision: on SQLite, the tables are rebuilt without AUTOINCREMENT."""
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_all(_without_autoincrement)
