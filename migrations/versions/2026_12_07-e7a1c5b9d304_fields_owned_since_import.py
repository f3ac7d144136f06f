"""Imports keep what was written into an imported record since its import.

Revision ID: e7a1c5b9d304
Revises: 04b322dd31ac
Create Date: 2026-12-07 14:00:00.000000

`matchmaker import cordis` updated every field CORDIS gives of a stored record, so a record an
organisation took over (an admin's merge that kept the imported record, its keys then editing
it) lost its own description, the projects the merge added and a changed type's verification
at the next import. `organisations.owned_fields` lists the fields written here since the
import (by the organisation, an admin or a merge); imports leave those as they are.

The column is added in place, never by a batch rebuild, which would drop the full-text search
triggers of 5e0c7b2d9a14, with the constant default SQLite requires for a NOT NULL column.
Which fields were written before this revision is recorded nowhere, so an imported record that
holds (or held) an API key or absorbed another profile in a merge, the only records anyone
here could have written to, counts every field as its own: imports no longer change it. Other
records start with none. The downgrade drops the column, and imports again update every field
CORDIS gives.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e7a1c5b9d304"
down_revision: str | None = "04b322dd31ac"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The fields an owner can edit (models.organisation.OWNABLE_FIELDS) as of this revision.
EVERY_FIELD = [
    "activities",
    "city",
    "contact_email",
    "country",
    "description",
    "group",
    "ihi_contributor",
    "keywords",
    "name",
    "stakeholder_type",
    "website",
]

organisations = sa.table(
    "organisations",
    sa.column("id", sa.Integer()),
    sa.column("external_id", sa.String()),
    sa.column("owned_fields", sa.JSON()),
)
api_keys = sa.table("api_keys", sa.column("organisation_id", sa.Integer()))
merges = sa.table("organisation_merges", sa.column("survivor_id", sa.Integer()))


def upgrade() -> None:
    """Apply this revision."""
    op.add_column(
        "organisations",
        sa.Column("owned_fields", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
    )
    written_here = sa.or_(
        organisations.c.id.in_(sa.select(api_keys.c.organisation_id)),
        organisations.c.id.in_(sa.select(merges.c.survivor_id)),
    )
    op.get_bind().execute(
        organisations.update()
        .where(organisations.c.external_id.is_not(None), written_here)
        .values(owned_fields=EVERY_FIELD)
    )


def downgrade() -> None:
    """Undo this revision."""
    op.drop_column("organisations", "owned_fields")
