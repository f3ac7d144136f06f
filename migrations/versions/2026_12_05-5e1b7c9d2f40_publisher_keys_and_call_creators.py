"""Key role "coordinator" becomes "publisher"; a call records the key that published it (issue 20).

Revision ID: 5e1b7c9d2f40
Revises: 8c2f4a6e1d07
Create Date: 2026-12-05 14:00:00.000000

A "coordinator" key published calls, while a draft's "coordinator" member is the consortium's
lead: the key role is now "publisher" (the API and the command line still accept the old
name). Stored keys are renamed so that one value means one role. A publisher key may change
only the calls it published, so a call records its creator key; calls published before this
revision have no recorded creator, so only admins change them.

The column has no foreign key: on SQLite one can be added only by rebuilding `calls`, and a
rebuild with drafts pointing at the table fails its foreign-key check (foreign keys cannot be
switched off inside the migration's transaction). Keys that publish are never deleted, only
revoked, so the id always names a key. Both directions use SQLite's own ADD and DROP COLUMN,
which leave the table (and triggers on it) in place.

The downgrade renames the keys back and forgets the creators.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e1b7c9d2f40"
down_revision: str | None = "8c2f4a6e1d07"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

api_keys = sa.table("api_keys", sa.column("role", sa.String()))
INDEX = "ix_calls_created_by_key_id"


def _rename_role(old: str, new: str) -> None:
    op.execute(api_keys.update().where(api_keys.c.role == old).values(role=new))


def upgrade() -> None:
    """Apply this revision."""
    op.execute("ALTER TABLE calls ADD COLUMN created_by_key_id INTEGER")
    op.create_index(INDEX, "calls", ["created_by_key_id"], unique=False)
    _rename_role("coordinator", "publisher")


def downgrade() -> None:
    """Undo this revision."""
    _rename_role("publisher", "coordinator")
    op.drop_index(INDEX, table_name="calls")
    op.execute("ALTER TABLE calls DROP COLUMN created_by_key_id")
