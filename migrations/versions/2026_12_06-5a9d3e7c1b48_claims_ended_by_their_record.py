"""Claims left pending without their record get the final status that says how they ended.

Revision ID: 5a9d3e7c1b48
Revises: 3bb951b9dfc1
Create Date: 2026-12-06 02:20:00.000000

Before this revision a claim whose record was merged into a profile some other way (another
organisation's confirmed claim, an admin's merge) or deleted stayed `pending`, with no record
(`record_id` null), and could never be confirmed. Such a claim becomes `record_merged` when
the merges kept name its record's external id as absorbed, else `record_deleted`, as claims
ending that way do from now on (`matchmaker.trust.claims`). Their one-time links, already
useless, are voided.

The downgrade turns `record_merged`, `record_deleted` and `withdrawn` back into `pending`
without a record, which the earlier revision reads as a claim that can no longer be confirmed;
a withdrawn claim's record link is lost with it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5a9d3e7c1b48"
down_revision: str | None = "3bb951b9dfc1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

claims = sa.table(
    "claims",
    sa.column("record_id", sa.Integer()),
    sa.column("external_id", sa.String()),
    sa.column("token_hash", sa.String()),
    sa.column("status", sa.String()),
)
merges = sa.table("organisation_merges", sa.column("absorbed_external_id", sa.String()))


def upgrade() -> None:
    """Apply this revision."""
    absorbed = sa.exists().where(merges.c.absorbed_external_id == claims.c.external_id)
    op.execute(
        claims.update()
        .where(claims.c.status == "pending", claims.c.record_id.is_(None))
        .values(
            status=sa.case((absorbed, "record_merged"), else_="record_deleted"),
            token_hash=None,
        )
    )


def downgrade() -> None:
    """Revert this revision."""
    op.execute(
        claims.update()
        .where(claims.c.status.in_(("record_merged", "record_deleted", "withdrawn")))
        .values(status="pending", record_id=None)
    )
