"""API keys, and the organisation that owns each consortium draft.

Revision ID: 1680a3a8e3c8
Revises: 9cfc7fa5ad23
Create Date: 2026-11-29 15:55:42.504217
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "1680a3a8e3c8"
down_revision: str | None = "9cfc7fa5ad23"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prefix", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("secret_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_api_keys_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_api_keys_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_api_keys_prefix"), ["prefix"], unique=True)

    with op.batch_alter_table("consortia", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_organisation_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_consortia_owner_organisation_id"),
            ["owner_organisation_id"],
            unique=False,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_consortia_owner_organisation_id_organisations"),
            "organisations",
            ["owner_organisation_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("consortia", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_consortia_owner_organisation_id_organisations"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_consortia_owner_organisation_id"))
        batch_op.drop_column("owner_organisation_id")

    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_prefix"))
        batch_op.drop_index(batch_op.f("ix_api_keys_organisation_id"))

    op.drop_table("api_keys")
