"""A past project's role moves out of the activity's title into its own field.

Revision ID: efdad51c2a90
Revises: 1680a3a8e3c8
Create Date: 2026-12-05 10:00:00.000000

The CORDIS importer wrote "ACRONYM: title (coordinator)"; an activity now has a `role`. Only
the JSON in organisations.activities changes, not the schema. Each organisation rewritten gets
a new version (its ETag, since its body changed) and a change-log row, so that workers already
serving re-index it; a saved matching index is keyed to the revision, so none is reused.
"""

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "efdad51c2a90"
down_revision: str | None = "1680a3a8e3c8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500
MAX_TITLE = 500
# What the importer appended to titles, by role; a copy, so that this revision never changes.
LABELS = {
    "coordinator": "coordinator",
    "participant": "participant",
    "associated_partner": "associated partner",
    "third_party": "third party",
}

Activity = dict[str, Any]

organisations = sa.table(
    "organisations",
    sa.column("id", sa.Integer()),
    sa.column("activities", sa.JSON()),
    sa.column("version", sa.Integer()),
)
changes = sa.table(
    "changes", sa.column("entity", sa.String()), sa.column("entity_id", sa.Integer())
)


def role_out_of_title(activity: Activity) -> Activity:
    """The activity with a role in brackets at the end of its title as its `role` instead."""
    title = activity.get("title")
    if activity.get("role") is not None or not isinstance(title, str):
        return activity
    for role, label in LABELS.items():
        suffix = f" ({label})"
        if title.endswith(suffix) and len(title) > len(suffix):
            return {**activity, "title": title.removesuffix(suffix), "role": role}
    return activity


def role_into_title(activity: Activity) -> Activity:
    """The activity with no `role` field, its role in brackets at the end of its title."""
    if "role" not in activity:
        return activity
    result = dict(activity)
    label = LABELS.get(result.pop("role"))
    title = result.get("title")
    if label is not None and isinstance(title, str):
        suffix = f" ({label})"
        if len(title) + len(suffix) > MAX_TITLE:
            title = title[: MAX_TITLE - len(suffix) - 1].rstrip() + "…"
        result["title"] = title + suffix
    return result


def rewrite_activities(change: Callable[[Activity], Activity]) -> None:
    """Apply `change` to every activity, a batch of organisations at a time, logging each write."""
    connection = op.get_bind()
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(organisations.c.id, organisations.c.activities)
            .where(organisations.c.id > last_id)
            .order_by(organisations.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        last_id = rows[-1].id
        updates = []
        for row in rows:
            activities = row.activities or []
            changed = [change(activity) for activity in activities]
            if changed != activities:
                updates.append({"organisation_id": row.id, "new_activities": changed})
        if updates:
            connection.execute(
                organisations.update()
                .where(organisations.c.id == sa.bindparam("organisation_id"))
                .values(
                    activities=sa.bindparam("new_activities"),
                    version=organisations.c.version + 1,
                ),
                updates,
            )
            connection.execute(
                changes.insert(),
                [
                    {"entity": "organisation", "entity_id": item["organisation_id"]}
                    for item in updates
                ],
            )


def upgrade() -> None:
    """Apply this revision."""
    rewrite_activities(role_out_of_title)


def downgrade() -> None:
    """Undo this revision."""
    rewrite_activities(role_into_title)
