"""Deleted imported records are remembered, so that an import does not create them again.

Revision ID: 04b322dd31ac
Revises: c41d7e2a9b60
Create Date: 2026-12-07 12:00:00.000000

Deleting a profile imported from CORDIS (or one that a CORDIS record was merged into) left
nothing behind to say so, and the next `matchmaker import cordis` created the record again:
an erasure did not last. `deleted_records` keeps each such external id and when it was
deleted, nothing else; the importers skip them until an admin runs `matchmaker import
forget-deletion EXTERNAL_ID` (`matchmaker.trust.history`). Deletions made before this revision
were not recorded anywhere, so there is nothing to fill in. The keyed-by-external-id table has
no numbered id, so SQLite needs no AUTOINCREMENT.

The downgrade drops the table: the deletions it remembers are forgotten, and the next import
under the earlier revision creates those records again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "04b322dd31ac"
down_revision: str | None = "c41d7e2a9b60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "deleted_records",
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("external_id", name=op.f("pk_deleted_records")),
    )


def downgrade() -> None:
    """Undo this revision."""
    op.drop_table("deleted_records")
