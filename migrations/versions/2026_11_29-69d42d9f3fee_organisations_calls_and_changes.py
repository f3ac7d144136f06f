"""Organisations, calls and the change log.

Revision ID: 69d42d9f3fee
Revises:
Create Date: 2026-11-29 15:46:07.855456
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "69d42d9f3fee"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "calls",
        sa.Column("identifier", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("programme", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=50000), nullable=False),
        sa.Column("min_countries", sa.Integer(), nullable=False),
        sa.Column("max_partners", sa.Integer(), nullable=True),
        sa.Column("opening_date", sa.Date(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("required_stakeholders", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
    )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calls_deadline"), ["deadline"], unique=False)
        batch_op.create_index(batch_op.f("ix_calls_identifier"), ["identifier"], unique=True)
        batch_op.create_index(batch_op.f("ix_calls_opening_date"), ["opening_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_calls_programme"), ["programme"], unique=False)

    op.create_table(
        "changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_changes")),
    )
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_changes_entity_id"), ["entity_id"], unique=False)

    op.create_table(
        "organisations",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("stakeholder_type", sa.String(length=32), nullable=False),
        sa.Column("country", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("city", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=20000), nullable=False),
        sa.Column("website", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("activities", sa.JSON(), nullable=False),
        sa.Column("contact_email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
    )
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organisations_country"), ["country"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_organisations_external_id"), ["external_id"], unique=True
        )
        batch_op.create_index(batch_op.f("ix_organisations_name"), ["name"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_organisations_stakeholder_type"), ["stakeholder_type"], unique=False
        )


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisations_stakeholder_type"))
        batch_op.drop_index(batch_op.f("ix_organisations_name"))
        batch_op.drop_index(batch_op.f("ix_organisations_external_id"))
        batch_op.drop_index(batch_op.f("ix_organisations_country"))

    op.drop_table("organisations")
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_changes_entity_id"))

    op.drop_table("changes")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calls_programme"))
        batch_op.drop_index(batch_op.f("ix_calls_opening_date"))
        batch_op.drop_index(batch_op.f("ix_calls_identifier"))
        batch_op.drop_index(batch_op.f("ix_calls_deadline"))

    op.drop_table("calls")
