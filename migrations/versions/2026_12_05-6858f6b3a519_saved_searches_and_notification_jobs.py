"""Saved searches, notification jobs and notification keys (issue 16).

Revision ID: 6858f6b3a519
Revises: 9e4b2c7d1a58
Create Date: 2026-12-05 15:41:42.750177

A saved search goes with its organisation (ON DELETE CASCADE). A job names its item without a
foreign key: an item deleted before its job is expanded leaves a job that does nothing.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "6858f6b3a519"
down_revision: str | None = "9e4b2c7d1a58"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "notification_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_jobs")),
    )
    with op.batch_alter_table("notification_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_notification_jobs_pending", ["done_at", "id"], unique=False)

    op.create_table(
        "notification_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_keys")),
        sa.UniqueConstraint("key", name=op.f("uq_notification_keys_key")),
    )
    op.create_table(
        "saved_searches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("target", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("fits_profile", sa.Boolean(), nullable=False),
        sa.Column("stakeholder_types", sa.JSON(), nullable=False),
        sa.Column("countries", sa.JSON(), nullable=False),
        sa.Column("programme", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_saved_searches_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_searches")),
    )
    with op.batch_alter_table("saved_searches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_saved_searches_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_saved_searches_target"), ["target"], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("saved_searches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saved_searches_target"))
        batch_op.drop_index(batch_op.f("ix_saved_searches_organisation_id"))

    op.drop_table("saved_searches")
    op.drop_table("notification_keys")
    with op.batch_alter_table("notification_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_jobs_pending")

    op.drop_table("notification_jobs")
