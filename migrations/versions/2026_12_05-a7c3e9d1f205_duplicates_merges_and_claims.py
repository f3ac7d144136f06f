"""Duplicates, merges and claims (issue 18): what profiles are compared by, merges kept,
claims of CORDIS records, and outbox messages to an address of their own.

Revision ID: a7c3e9d1f205
Revises: f3ff015380fb
Create Date: 2026-12-05 16:40:00.000000

`organisations.name_key` and `website_host` are derived from name and website by
`matchmaker.trust.duplicates` (imported, not copied: the stored keys must be what the service
computes, and a later change to it comes with a revision that recomputes them). Filling them
changes nothing a client sees, so no version is bumped.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from matchmaker.trust.duplicates import name_key, website_host

revision: str = "a7c3e9d1f205"
down_revision: str | None = "f3ff015380fb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500

organisations = sa.table(
    "organisations",
    sa.column("id", sa.Integer()),
    sa.column("name", sa.String()),
    sa.column("website", sa.String()),
    sa.column("name_key", sa.String()),
    sa.column("website_host", sa.String()),
)


def fill_keys() -> None:
    """Compute every profile's name key and website host, a batch at a time."""
    connection = op.get_bind()
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(organisations.c.id, organisations.c.name, organisations.c.website)
            .where(organisations.c.id > last_id)
            .order_by(organisations.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        last_id = rows[-1].id
        connection.execute(
            organisations.update()
            .where(organisations.c.id == sa.bindparam("row_id"))
            .values(name_key=sa.bindparam("key"), website_host=sa.bindparam("host")),
            [
                {"row_id": row.id, "key": name_key(row.name), "host": website_host(row.website)}
                for row in rows
            ],
        )


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_claims_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["organisations.id"],
            name=op.f("fk_claims_record_id_organisations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_claims_token_hash")),
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_claims_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_claims_record_id"), ["record_id"], unique=False)

    op.create_table(
        "organisation_merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survivor_id", sa.Integer(), nullable=False),
        sa.Column("absorbed_id", sa.Integer(), nullable=False),
        sa.Column(
            "absorbed_external_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True
        ),
        sa.Column("absorbed_name", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["survivor_id"],
            ["organisations.id"],
            name=op.f("fk_organisation_merges_survivor_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_merges")),
    )
    with op.batch_alter_table("organisation_merges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organisation_merges_absorbed_external_id"),
            ["absorbed_external_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_organisation_merges_absorbed_id"), ["absorbed_id"], unique=True
        )
        batch_op.create_index(
            batch_op.f("ix_organisation_merges_survivor_id"), ["survivor_id"], unique=False
        )

    # ADD COLUMN in place (SQLite 3.35 and later), never a batch rebuild of `organisations`,
    # which would drop the full-text search triggers of 5e0c7b2d9a14; so name_key keeps its
    # server default rather than altering it away.
    op.add_column(
        "organisations",
        sa.Column(
            "name_key",
            sqlmodel.sql.sqltypes.AutoString(length=300),
            nullable=False,
            server_default="",
        ),
    )
    op.add_column(
        "organisations",
        sa.Column("website_host", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    )
    fill_keys()
    op.create_index(op.f("ix_organisations_name_key"), "organisations", ["name_key"], unique=False)
    op.create_index(
        op.f("ix_organisations_website_host"), "organisations", ["website_host"], unique=False
    )
    op.add_column(
        "outbox_messages",
        sa.Column("to_address", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
    )


def downgrade() -> None:
    """Undo this revision."""
    op.drop_column("outbox_messages", "to_address")
    op.drop_index(op.f("ix_organisations_website_host"), table_name="organisations")
    op.drop_index(op.f("ix_organisations_name_key"), table_name="organisations")
    op.drop_column("organisations", "website_host")
    op.drop_column("organisations", "name_key")

    with op.batch_alter_table("organisation_merges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisation_merges_survivor_id"))
        batch_op.drop_index(batch_op.f("ix_organisation_merges_absorbed_id"))
        batch_op.drop_index(batch_op.f("ix_organisation_merges_absorbed_external_id"))
    op.drop_table("organisation_merges")

    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claims_record_id"))
        batch_op.drop_index(batch_op.f("ix_claims_organisation_id"))
    op.drop_table("claims")
