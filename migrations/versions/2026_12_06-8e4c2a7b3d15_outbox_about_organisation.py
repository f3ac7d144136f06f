"""A notification records the organisation it is about; deleting that profile deletes it.

Revision ID: 8e4c2a7b3d15
Revises: 5a9d3e7c1b48
Create Date: 2026-12-06 03:30:00.000000

A notification about another organisation holds that organisation's data: a received
request's sender and message, an accepted request's contact address, a match's or a gap
filler's name. `about_organisation_id` names it, and its foreign key deletes the message,
queued or sent (and its webhook deliveries, by their own foreign key), with the profile.
Messages written before this revision name no one and are left as they are.

SQLite adds a column with a foreign key only by rebuilding the table (batch mode, foreign keys
off while migrations run), which keeps AUTOINCREMENT only when told to.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8e4c2a7b3d15"
down_revision: str | None = "5a9d3e7c1b48"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "outbox_messages"
COLUMN = "about_organisation_id"
KEEP_IDS = {"sqlite_autoincrement": True}


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table(TABLE, table_kwargs=KEEP_IDS) as batch_op:
        batch_op.add_column(sa.Column(COLUMN, sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_messages_about_organisation_id_organisations"),
            "organisations",
            [COLUMN],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index(batch_op.f("ix_outbox_messages_about_organisation_id"), [COLUMN])


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table(TABLE, table_kwargs=KEEP_IDS) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_messages_about_organisation_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_outbox_messages_about_organisation_id_organisations"),
            type_="foreignkey",
        )
        batch_op.drop_column(COLUMN)
