"""A draft keeps the members that left it by deleting their profiles.

Revision ID: df500baff071
Revises: e7a1c5b9d304
Create Date: 2026-12-07 19:30:00.000000

Deleting a profile deletes its memberships, and the owners of the drafts it was in were told in
a notification alone: the draft itself showed the member gone without a word. Each departure
is now kept in `consortium_departures`: the draft, the organisation's name, stakeholder type
and role in the draft as they were, and when it left; nothing that points at the deleted
organisation, which the row outlives. Deleting the draft deletes its departures (ON DELETE
CASCADE). Departures before this revision were not recorded anywhere but in the notifications'
prose, which no migration should parse, so there is nothing to fill in. The table is created
with AUTOINCREMENT on SQLite, as every numbered table is (3bb951b9dfc1).

The downgrade drops the table: the drafts no longer show who left them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "df500baff071"
down_revision: str | None = "e7a1c5b9d304"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "consortium_departures"


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consortium_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("stakeholder_type", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consortium_id"],
            ["consortia.id"],
            name=op.f("fk_consortium_departures_consortium_id_consortia"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consortium_departures")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consortium_departures_consortium_id"), ["consortium_id"], unique=False
        )


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consortium_departures_consortium_id"))
    op.drop_table(TABLE)
