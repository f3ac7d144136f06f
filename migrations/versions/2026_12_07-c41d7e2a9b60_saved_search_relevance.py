"""Saved searches left at the old default relevance threshold move to the new default.

Revision ID: c41d7e2a9b60
Revises: 9096f586e6be
Create Date: 2026-12-07 06:00:00.000000

An item's relevance to a saved search was the cosine over the saved searches' own vocabulary,
which left out every word of the item that no saved search used: with few searches saved, an
item naming a search's words once among hundreds scored close to 1, and each search heard of
most new calls. It is now the cosine of the two whole texts (`matchmaker.partnering.
saved_searches.relevance`), whose values run lower: the default threshold went from 0.1 to 0.03
(`models.saved_search.DEFAULT_THRESHOLD`). A search saved at 0.1, the old default the forms
offered, would now hear of a quarter of what it should, so it moves to 0.03; a threshold an
organisation chose otherwise is kept. The downgrade moves 0.03 back to 0.1.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c41d7e2a9b60"
down_revision: str | None = "9096f586e6be"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_DEFAULT, NEW_DEFAULT, WITHIN = 0.1, 0.03, 1e-9

saved_searches = sa.table("saved_searches", sa.column("threshold", sa.Float()))


def _move(start: float, end: float) -> None:
    op.execute(
        saved_searches.update()
        .where(saved_searches.c.threshold.between(start - WITHIN, start + WITHIN))
        .values(threshold=end)
    )


def upgrade() -> None:
    """Apply this revision."""
    _move(OLD_DEFAULT, NEW_DEFAULT)


def downgrade() -> None:
    """Revert this revision."""
    _move(NEW_DEFAULT, OLD_DEFAULT)
