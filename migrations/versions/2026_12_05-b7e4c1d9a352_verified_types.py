"""Verified types (issue 18): when an admin verified an organisation's stakeholder type, and
calls that count only verified members towards the types anyone could claim.

Revision ID: b7e4c1d9a352
Revises: d2f6a8c4e017
Create Date: 2026-12-05 17:30:00.000000

Both columns are added in place, never by a batch rebuild, which would drop the full-text
search triggers of 5e0c7b2d9a14. Existing profiles start unverified and existing calls do not
require verification, so every call behaves as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7e4c1d9a352"
down_revision: str | None = "d2f6a8c4e017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.add_column(
        "organisations", sa.Column("type_verified_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "calls",
        sa.Column("verified_types_required", sa.Boolean(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    """Undo this revision."""
    op.drop_column("calls", "verified_types_required")
    op.drop_column("organisations", "type_verified_at")
