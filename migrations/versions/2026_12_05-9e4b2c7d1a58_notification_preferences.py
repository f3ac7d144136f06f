"""Notification preferences: e-mail immediately, as a daily digest, or off (issue 16).

Revision ID: 9e4b2c7d1a58
Revises: a7c3e9d1f205
Create Date: 2026-12-05 15:40:00.000000

An organisation without a row gets its e-mail immediately; a row goes with its organisation
(ON DELETE CASCADE).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "9e4b2c7d1a58"
down_revision: str | None = "a7c3e9d1f205"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "notification_preferences",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("unsubscribe_token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("digest_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_notification_preferences_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organisation_id", name=op.f("pk_notification_preferences")),
        sa.UniqueConstraint(
            "unsubscribe_token", name=op.f("uq_notification_preferences_unsubscribe_token")
        ),
    )


def downgrade() -> None:
    """Undo this revision."""
    op.drop_table("notification_preferences")
