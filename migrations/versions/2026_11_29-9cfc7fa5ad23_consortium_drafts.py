"""Consortium drafts and their members.

Revision ID: 9cfc7fa5ad23
Revises: 69d42d9f3fee
Create Date: 2026-11-29 15:53:47.003687
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "9cfc7fa5ad23"
down_revision: str | None = "69d42d9f3fee"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "consortia",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], name=op.f("fk_consortia_call_id_calls")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consortia")),
    )
    with op.batch_alter_table("consortia", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consortia_call_id"), ["call_id"], unique=False)

    op.create_table(
        "consortium_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consortium_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["consortium_id"],
            ["consortia.id"],
            name=op.f("fk_consortium_members_consortium_id_consortia"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_consortium_members_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consortium_members")),
        sa.UniqueConstraint(
            "consortium_id", "organisation_id", name=op.f("uq_consortium_members_consortium_id")
        ),
    )
    with op.batch_alter_table("consortium_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consortium_members_consortium_id"), ["consortium_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_consortium_members_organisation_id"), ["organisation_id"], unique=False
        )


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("consortium_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consortium_members_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_consortium_members_consortium_id"))

    op.drop_table("consortium_members")
    with op.batch_alter_table("consortia", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consortia_call_id"))

    op.drop_table("consortia")
