"""Every draft gets an owner, and call identifiers become upper-case (issue 15).

Revision ID: 8c2f4a6e1d07
Revises: 3b7e5d1c9a42
Create Date: 2026-12-05 13:05:00.000000

Drafts an admin created had no owner, and a list filtered by a caller's missing organisation
matched them. Each such draft now belongs to its coordinator member, else to its earliest
member; one with no member at all (an empty shell only admins could see) is deleted. Call
identifiers compare without case (topic codes are case-insensitive in practice), so they are
stored upper-case; two identifiers that differ only in case stop the upgrade, naming them, for
an operator to settle. Every row rewritten gets a new version and a change-log row.

The downgrade leaves the data as it is: the owners and upper-case identifiers are valid in
the earlier revision too, and the original case is not kept.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8c2f4a6e1d07"
down_revision: str | None = "3b7e5d1c9a42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

consortia = sa.table(
    "consortia",
    sa.column("id", sa.Integer()),
    sa.column("owner_organisation_id", sa.Integer()),
    sa.column("version", sa.Integer()),
)
members = sa.table(
    "consortium_members",
    sa.column("id", sa.Integer()),
    sa.column("consortium_id", sa.Integer()),
    sa.column("organisation_id", sa.Integer()),
    sa.column("role", sa.String()),
)
calls = sa.table(
    "calls",
    sa.column("id", sa.Integer()),
    sa.column("identifier", sa.String()),
    sa.column("version", sa.Integer()),
)
changes = sa.table(
    "changes", sa.column("entity", sa.String()), sa.column("entity_id", sa.Integer())
)


def _log(entity: str, ids: list[int]) -> None:
    if ids:
        op.get_bind().execute(changes.insert(), [{"entity": entity, "entity_id": i} for i in ids])


def give_drafts_owners() -> None:
    """Owner: the coordinator member, else the earliest; drafts with no member go."""
    connection = op.get_bind()
    ownerless = (
        connection.execute(
            sa.select(consortia.c.id).where(consortia.c.owner_organisation_id.is_(None))
        )
        .scalars()
        .all()
    )
    owned, empty = [], []
    for consortium_id in ownerless:
        rows = connection.execute(
            sa.select(members.c.organisation_id, members.c.role)
            .where(members.c.consortium_id == consortium_id)
            .order_by(members.c.id)
        ).all()
        if not rows:
            empty.append(consortium_id)
            continue
        owner = next((row[0] for row in rows if row[1] == "coordinator"), rows[0][0])
        connection.execute(
            consortia.update()
            .where(consortia.c.id == consortium_id)
            .values(owner_organisation_id=owner, version=consortia.c.version + 1)
        )
        owned.append(consortium_id)
    if empty:
        connection.execute(consortia.delete().where(consortia.c.id.in_(empty)))
    _log("consortium", owned + empty)


def upper_case_identifiers() -> None:
    """Store every call identifier upper-case; refuse to merge two that differ in case."""
    connection = op.get_bind()
    rows = connection.execute(sa.select(calls.c.id, calls.c.identifier)).all()
    seen: dict[str, str] = {}
    clashes = []
    for _, identifier in rows:
        key = identifier.upper()
        if key in seen:
            clashes.append(f"{seen[key]!r} and {identifier!r}")
        seen[key] = identifier
    if clashes:
        raise RuntimeError(
            "Call identifiers that differ only in case: "
            + "; ".join(clashes)
            + ". Rename one of each pair, then upgrade again."
        )
    changed = [row[0] for row in rows if row[1] != row[1].upper()]
    if changed:
        connection.execute(
            calls.update()
            .where(calls.c.id.in_(changed))
            .values(identifier=sa.func.upper(calls.c.identifier), version=calls.c.version + 1)
        )
    _log("call", changed)


def upgrade() -> None:
    """Apply this revision."""
    give_drafts_owners()
    upper_case_identifiers()


def downgrade() -> None:
    """Undo this revision: nothing to change back (see the module's docstring)."""
