"""Freshness (issue 18): when each profile was last confirmed as current.

Revision ID: d2f6a8c4e017
Revises: 6858f6b3a519
Create Date: 2026-12-05 17:00:00.000000

Existing profiles count as confirmed when they were created. The column is added in place
(SQLite 3.35 and later), never by a batch rebuild of `organisations`, which would drop the
full-text search triggers of 5e0c7b2d9a14; SQLite only adds a NOT NULL column with a constant
default, so it keeps one (every write of the service sets the value).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d2f6a8c4e017"
down_revision: str | None = "6858f6b3a519"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

organisations = sa.table(
    "organisations",
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("confirmed_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    """Apply this revision."""
    op.add_column(
        "organisations",
        sa.Column(
            "confirmed_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default="1970-01-01 00:00:00+00:00",
        ),
    )
    op.get_bind().execute(organisations.update().values(confirmed_at=organisations.c.created_at))


def downgrade() -> None:
    """Undo this revision."""
    op.drop_column("organisations", "confirmed_at")
