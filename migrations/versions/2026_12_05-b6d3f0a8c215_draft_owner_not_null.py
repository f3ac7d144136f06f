"""Every draft has an owner: consortia.owner_organisation_id becomes NOT NULL (issue 15).

Revision ID: b6d3f0a8c215
Revises: 4d8b1f6c2e93
Create Date: 2026-12-05 15:30:00.000000

8c2f4a6e1d07 gave every draft an owner and the service has refused ownerless drafts since; the
database now refuses them too. A draft still without one (written by an older release after
that revision) first gets one by the same rule: its coordinator member, else its earliest
member; one with no member at all is deleted.

PostgreSQL alters the column in place. SQLite cannot: batch mode rebuilds `consortia` (a copy
under a temporary name, DROP TABLE, rename), and foreign keys stay on because they cannot be
switched off inside the migration's transaction. DROP TABLE first deletes every row, and that
delete runs the foreign-key actions of the tables pointing at drafts: members are deleted
(CASCADE) and partner and contact requests lose their draft (SET NULL). So the rows are kept
in temporary tables before the rebuild and put back after it, unchanged, ids included. The
downgrade makes the column nullable again the same way; the owners stay.
"""

# ruff: noqa: S608  # SQL is built only from this file's constants; no value comes from input

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b6d3f0a8c215"
down_revision: str | None = "4d8b1f6c2e93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMN = "owner_organisation_id"
# The tables whose rows a rebuild of `consortia` on SQLite would change through their
# foreign keys, and the column that points at the draft.
REFERENCING = (
    ("partner_requests", "consortium_id"),
    ("contact_requests", "consortium_id"),
)

consortia = sa.table(
    "consortia",
    sa.column("id", sa.Integer()),
    sa.column(COLUMN, sa.Integer()),
    sa.column("version", sa.Integer()),
)
members = sa.table(
    "consortium_members",
    sa.column("id", sa.Integer()),
    sa.column("consortium_id", sa.Integer()),
    sa.column("organisation_id", sa.Integer()),
    sa.column("role", sa.String()),
)
changes = sa.table(
    "changes", sa.column("entity", sa.String()), sa.column("entity_id", sa.Integer())
)


def give_drafts_owners() -> None:
    """Owner: the coordinator member, else the earliest; drafts with no member go."""
    connection = op.get_bind()
    ownerless = connection.execute(
        sa.select(consortia.c.id).where(consortia.c.owner_organisation_id.is_(None))
    ).scalars()
    touched, empty = [], []
    for consortium_id in list(ownerless):
        rows = connection.execute(
            sa.select(members.c.organisation_id, members.c.role)
            .where(members.c.consortium_id == consortium_id)
            .order_by(members.c.id)
        ).all()
        touched.append(consortium_id)
        if not rows:
            empty.append(consortium_id)
            continue
        owner = next((row[0] for row in rows if row[1] == "coordinator"), rows[0][0])
        connection.execute(
            consortia.update()
            .where(consortia.c.id == consortium_id)
            .values(owner_organisation_id=owner, version=consortia.c.version + 1)
        )
    if empty:
        connection.execute(consortia.delete().where(consortia.c.id.in_(empty)))
    if touched:
        connection.execute(
            changes.insert(), [{"entity": "consortium", "entity_id": i} for i in touched]
        )


def _set_nullable(nullable: bool) -> None:
    """Alter the column; on SQLite keep what the rebuild's DROP TABLE would cascade to."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("CREATE TEMP TABLE kept_consortium_members AS SELECT * FROM consortium_members")
        for table, column in REFERENCING:
            op.execute(
                f"CREATE TEMP TABLE kept_{table} AS SELECT id, {column} FROM {table} "
                f"WHERE {column} IS NOT NULL"
            )
    with op.batch_alter_table("consortia") as batch:
        batch.alter_column(COLUMN, existing_type=sa.Integer(), nullable=nullable)
    if sqlite:
        # The members' table is not rebuilt, so its columns are in the kept copy's order.
        op.execute("DELETE FROM consortium_members")
        op.execute("INSERT INTO consortium_members SELECT * FROM kept_consortium_members")
        op.execute("DROP TABLE kept_consortium_members")
        for table, column in REFERENCING:
            op.execute(
                f"UPDATE {table} SET {column} = (SELECT kept.{column} FROM kept_{table} AS kept "
                f"WHERE kept.id = {table}.id) WHERE id IN (SELECT id FROM kept_{table})"
            )
            op.execute(f"DROP TABLE kept_{table}")


def upgrade() -> None:
    """Apply this revision."""
    give_drafts_owners()
    _set_nullable(False)


def downgrade() -> None:
    """Undo this revision: the column takes null again (the owners stay)."""
    _set_nullable(True)
