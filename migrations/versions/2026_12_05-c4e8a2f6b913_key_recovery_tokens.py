"""Key recovery tokens: one-time links e-mailed to an organisation's contact address (issue 18).

Revision ID: c4e8a2f6b913
Revises: b6d3f0a8c215
Create Date: 2026-12-05 16:00:00.000000

Only the SHA-256 hash of a token is stored; a token belongs to one organisation and goes with
it (ON DELETE CASCADE).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "c4e8a2f6b913"
down_revision: str | None = "b6d3f0a8c215"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "key_recovery_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_key_recovery_tokens_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_recovery_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_key_recovery_tokens_token_hash")),
    )
    with op.batch_alter_table("key_recovery_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_key_recovery_tokens_organisation_id"), ["organisation_id"], unique=False
        )


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("key_recovery_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_key_recovery_tokens_organisation_id"))
    op.drop_table("key_recovery_tokens")
