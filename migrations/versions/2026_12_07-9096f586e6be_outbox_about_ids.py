"""A notification keeps the ids of what it reports, which its webhooks' `about` carries.

Revision ID: 9096f586e6be
Revises: 8e4c2a7b3d15
Create Date: 2026-12-07 00:30:00.000000

`about_ids` is a JSON object of ids by name (`call_id`, `saved_search_id`, ...; the other
organisation's stays `about_organisation_id`), so that a webhook's receiver need not parse the
text. Messages written before this revision keep null, delivered as `{}`: their ids are only
in their prose, which no migration should parse.

SQLite drops a column only by rebuilding the table (batch mode, foreign keys off while
migrations run), which keeps AUTOINCREMENT only when told to.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9096f586e6be"
down_revision: str | None = "8e4c2a7b3d15"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "outbox_messages"
COLUMN = "about_ids"
KEEP_IDS = {"sqlite_autoincrement": True}


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table(TABLE, table_kwargs=KEEP_IDS) as batch_op:
        batch_op.add_column(sa.Column(COLUMN, sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table(TABLE, table_kwargs=KEEP_IDS) as batch_op:
        batch_op.drop_column(COLUMN)
