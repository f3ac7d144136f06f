"""Partner requests, contact requests, blocks and the notification outbox (issue 16).

Revision ID: 4d8b1f6c2e93
Revises: 7a3d9e2c4b61
Create Date: 2026-12-05 14:30:00.000000

Written against 8c2f4a6e1d07's schema; it chains after the working tree's head so that the
tree keeps a single head, and touches no table another revision creates or changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "4d8b1f6c2e93"
down_revision: str | None = "7a3d9e2c4b61"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "organisation_blocks",
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("blocked_organisation_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["blocked_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_organisation_blocks_blocked_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_organisation_blocks_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "organisation_id", "blocked_organisation_id", name=op.f("pk_organisation_blocks")
        ),
    )
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("event", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(length=20000), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_outbox_messages_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outbox_messages_message_id")),
    )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_messages_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_outbox_messages_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "partner_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("consortium_id", sa.Integer(), nullable=True),
        sa.Column("stakeholder_types", sa.JSON(), nullable=False),
        sa.Column("countries", sa.JSON(), nullable=False),
        sa.Column("expertise", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("pitch", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_partner_requests_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["consortium_id"],
            ["consortia.id"],
            name=op.f("fk_partner_requests_consortium_id_consortia"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_partner_requests_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_requests")),
    )
    with op.batch_alter_table("partner_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_requests_call_id"), ["call_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_partner_requests_closes_on"), ["closes_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_partner_requests_consortium_id"), ["consortium_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_partner_requests_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "contact_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("sender_organisation_id", sa.Integer(), nullable=False),
        sa.Column("recipient_organisation_id", sa.Integer(), nullable=False),
        sa.Column("partner_request_id", sa.Integer(), nullable=True),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column("consortium_id", sa.Integer(), nullable=True),
        sa.Column("message", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_contact_requests_call_id_calls"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["consortium_id"],
            ["consortia.id"],
            name=op.f("fk_contact_requests_consortium_id_consortia"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["partner_request_id"],
            ["partner_requests.id"],
            name=op.f("fk_contact_requests_partner_request_id_partner_requests"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_contact_requests_recipient_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sender_organisation_id"],
            ["organisations.id"],
            name=op.f("fk_contact_requests_sender_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_requests")),
    )
    with op.batch_alter_table("contact_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_requests_call_id"), ["call_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_contact_requests_consortium_id"), ["consortium_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_contact_requests_partner_request_id"),
            ["partner_request_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_contact_requests_recipient_organisation_id"),
            ["recipient_organisation_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_contact_requests_sender_status", ["sender_organisation_id", "status"], unique=False
        )


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("contact_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_requests_sender_status")
        batch_op.drop_index(batch_op.f("ix_contact_requests_recipient_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_contact_requests_partner_request_id"))
        batch_op.drop_index(batch_op.f("ix_contact_requests_consortium_id"))
        batch_op.drop_index(batch_op.f("ix_contact_requests_call_id"))

    op.drop_table("contact_requests")
    with op.batch_alter_table("partner_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_requests_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_partner_requests_consortium_id"))
        batch_op.drop_index(batch_op.f("ix_partner_requests_closes_on"))
        batch_op.drop_index(batch_op.f("ix_partner_requests_call_id"))

    op.drop_table("partner_requests")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_messages_organisation_id"))
        batch_op.drop_index("ix_outbox_messages_due")

    op.drop_table("outbox_messages")
    op.drop_table("organisation_blocks")
