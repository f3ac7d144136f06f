"""Programme rules (issue 17): calls name a rule set, organisations a group, admins add rows.

Revision ID: 7a3d9e2c4b61
Revises: 5e0c7b2d9a14
Create Date: 2026-12-05 14:20:00.000000

Calls get ``rule_set`` (horizon-europe, ihi or none), ``programme_part`` and ``two_stage``;
existing calls get the rule set their programme implies, by the rule the service applies to new
calls (matchmaker.consortium.eligibility.default_rule_set, restated here so that this revision
does not change when that code does). Organisations get ``group`` (affiliated entities share
one) and ``ihi_contributor``. ``country_status_rows`` holds the country statuses admins add
after a release. The downgrade drops them all.

Every change here is an ADD or DROP COLUMN that SQLite does in place (3.35 and later): a batch
rebuild of `calls` or `organisations` would drop the full-text search triggers of 5e0c7b2d9a14.
So the new columns keep their server defaults rather than altering them away.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7a3d9e2c4b61"
down_revision: str | None = "5e0c7b2d9a14"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

calls = sa.table(
    "calls",
    sa.column("id", sa.Integer()),
    sa.column("programme", sa.String()),
    sa.column("min_countries", sa.Integer()),
    sa.column("rule_set", sa.String()),
    sa.column("programme_part", sa.String()),
)


def _default(programme: str | None, min_countries: int | None) -> tuple[str, str | None]:
    label = (programme or "").casefold()
    if "ihi" in label.split() or "innovative health" in label or label.startswith("ihi"):
        return "ihi", "pillar-2"
    collaborative = label.startswith("horizon europe cluster") or label.startswith("eu mission")
    if collaborative and (min_countries or 0) >= 3:
        return "horizon-europe", "pillar-2"
    return "none", None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("rule_set", sa.String(length=32), nullable=False, server_default="none")
        )
        batch_op.add_column(sa.Column("programme_part", sa.String(length=32), nullable=True))
        batch_op.add_column(
            # A constant default: an expression (sa.false()) makes Alembic rebuild the table.
            sa.Column("two_stage", sa.Boolean(), nullable=False, server_default="0")
        )
    connection = op.get_bind()
    rows = connection.execute(sa.select(calls.c.id, calls.c.programme, calls.c.min_countries))
    for call_id, programme, min_countries in rows.all():
        rule_set, part = _default(programme, min_countries)
        if rule_set != "none":
            connection.execute(
                calls.update()
                .where(calls.c.id == call_id)
                .values(rule_set=rule_set, programme_part=part)
            )
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("ihi_contributor", sa.Boolean(), nullable=True))
        batch_op.create_index(batch_op.f("ix_organisations_group"), ["group"], unique=False)
    op.create_table(
        "country_status_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("programme", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("parts", sa.String(length=200), nullable=False),
        sa.Column("except_parts", sa.String(length=200), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=500), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_country_status_rows")),
    )
    with op.batch_alter_table("country_status_rows", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_country_status_rows_country"), ["country"], unique=False
        )


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("country_status_rows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_country_status_rows_country"))
    op.drop_table("country_status_rows")
    op.drop_index(op.f("ix_organisations_group"), table_name="organisations")
    op.drop_column("organisations", "ihi_contributor")
    op.drop_column("organisations", "group")
    for column in ("two_stage", "programme_part", "rule_set"):
        op.drop_column("calls", column)
