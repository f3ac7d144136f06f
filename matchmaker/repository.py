"""Queries every resource shares: fetch by id, paginate, and the one write path.

Every write to a logged entity goes through `create` or `versioned_update` (or their batch
forms, for imports), so a row's version and updated_at are bumped, and its change logged, in
one place.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy import (
    CursorResult,
    Result,
    Select,
    Table,
    bindparam,
    delete,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlmodel import Session, SQLModel, col

from matchmaker.errors import InvalidInput, NotFound, PreconditionFailed
from models.change import Change, Entity
from models.common import utc_now

M = TypeVar("M", bound=SQLModel)


class HasId(Protocol):
    """A table row with an integer primary key, which the database assigns."""

    id: int | None


class Versioned(HasId, Protocol):
    """A table row with a version number that every write bumps."""

    version: int


V = TypeVar("V", bound=Versioned)
# The versions a write may be made against (an If-Match list; empty when it names none that
# could exist); None: any.
ExpectedVersion = int | frozenset[int] | None
R = TypeVar("R", bound=HasId)


def stored_id(row: HasId) -> int:
    """The id of a row that is in the database (loaded or flushed), where it is never None."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id until it is flushed.")
    return row.id


def matched_rows(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE matched.

    `Session.execute` is typed to return a `Result`; for these statements it is a `CursorResult`.
    """
    if not isinstance(result, CursorResult):
        raise TypeError(f"Expected the CursorResult of an UPDATE or DELETE, got {result!r}.")
    return int(result.rowcount)


def get_or_raise(
    session: Session, model: type[M], entity_id: int, *, noun: str, for_update: bool = False
) -> M:
    """Load one row by primary key or raise NotFound naming the resource.

    `for_update` locks the row until the transaction ends (SELECT ... FOR UPDATE on
    PostgreSQL; SQLite's write transactions already hold the database lock), so a write based
    on what was read cannot race another writer.
    """
    row = session.get(model, entity_id, with_for_update=for_update or None)
    if row is None:
        raise NotFound(f"No {noun} with id {entity_id}.")
    return row


def paginate(
    session: Session, statement: Select[Any], *, limit: int, offset: int
) -> tuple[list[Any], int]:
    """Run a filtered select for one page and count every row that matches."""
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    rows = session.scalars(statement.limit(limit).offset(offset)).all()
    return list(rows), int(total or 0)


def record_changes(session: Session, *, entity: Entity, entity_ids: Iterable[int]) -> None:
    """Append to the change log, in one executemany INSERT, so other workers pick the writes up."""
    rows = [{"entity": entity, "entity_id": entity_id} for entity_id in entity_ids]
    if rows:
        session.execute(insert(Change), rows)


def record_change(session: Session, *, entity: Entity, entity_id: int) -> None:
    """Append one write to the change log."""
    record_changes(session, entity=entity, entity_ids=[entity_id])


def create(session: Session, row: R, *, entity: Entity) -> R:
    """Store a new row and log it; flushing assigns its id (and version 1, from the table).

    The flush raises IntegrityError when a unique key is taken; callers that expect it catch it.
    """
    session.add(row)
    session.flush()
    record_change(session, entity=entity, entity_id=stored_id(row))
    return row


def create_many(
    session: Session, model: type[SQLModel], rows: Sequence[Mapping[str, Any]], *, entity: Entity
) -> list[int]:
    """Store new rows given as column values, in batched INSERTs, and log each; return their ids.

    `create` for bulk imports: no ORM objects, since building them costs more than the writing.
    The table's defaults fill what the values leave out (timestamps, version 1).
    """
    if not rows:
        return []
    table: Table = inspect(model).local_table
    ids = sorted(session.scalars(insert(table).returning(table.c.id), rows))
    record_changes(session, entity=entity, entity_ids=ids)
    return ids


def compact_changes(session: Session) -> int:
    """Delete the change-log rows a later row for the same entity supersedes; return how many.

    A worker catches up by reading which entities changed after the last change it saw, so
    only each entity's latest row matters: every deleted row leaves a later one for the same
    entity, and the latest change number stays. The log then holds one row per entity ever
    written instead of one per write.
    """
    latest = select(func.max(col(Change.id))).group_by(col(Change.entity), col(Change.entity_id))
    return matched_rows(session.execute(delete(Change).where(col(Change.id).not_in(latest))))


def check_version(row: Any, expected_version: ExpectedVersion) -> None:
    """Refuse a write made against a version of the row that is no longer current."""
    if expected_version is None:
        return
    accepted = {expected_version} if isinstance(expected_version, int) else set(expected_version)
    if not accepted:
        raise PreconditionFailed(
            "The request names no version the resource could have: versions are sent as "
            f'quoted numbers, such as "{row.version}" for the current one.'
        )
    if row.version not in accepted:
        raise PreconditionFailed(
            f"The resource is at version {row.version}, not one the request names; read it "
            "again and retry."
        )


def check_unversioned(expected_version: ExpectedVersion) -> None:
    """Refuse a write whose If-Match names a version on a resource that has none (no ETag).

    No entity tag can match such a resource (RFC 9110, 13.1.1), so only `*` (or no If-Match)
    lets the write through. Called, like `check_version`, after the lookup and permission
    checks, so a 401, 403 or 404 still comes first (RFC 9110, 13.2.1).
    """
    if expected_version is not None:
        raise PreconditionFailed(
            "The resource has no version, so If-Match can only be * here, or left out."
        )


def unchanged(row: Any, changes: Mapping[str, Any]) -> bool:
    """Whether changes would leave every field as stored (none given, say): such a write
    stores nothing, keeps the version and logs no change."""
    return all(getattr(row, field) == value for field, value in changes.items())


def versioned_update(
    session: Session,
    row: V,
    changes: Mapping[str, Any],
    *,
    entity: Entity,
    expected_version: ExpectedVersion,
) -> V:
    """Apply changes only if nobody else changed the row since it was read; bump its version."""
    check_version(row, expected_version)
    versioned_update_many(session, [(row, changes)], entity=entity)
    session.refresh(row)
    return row


def versioned_update_many(
    session: Session, updates: Sequence[tuple[V, Mapping[str, Any]]], *, entity: Entity
) -> None:
    """Apply each row's changes and bump its version, unless the row changed since it was read.

    The rows are of one kind; those changing the same fields share one executemany UPDATE.
    Each update is logged. The rows are expired: read again, they show what was stored.
    """
    if not updates:
        return
    session.flush()  # what is pending goes first, as an ORM UPDATE's autoflush would send it
    table: Table = inspect(type(updates[0][0])).local_table
    now = utc_now()
    by_fields: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row, changes in updates:
        for field, value in changes.items():
            if value is None and not table.c[field].nullable:
                raise InvalidInput(f"{field} cannot be null.", field=field)
        by_fields.setdefault(tuple(changes), []).append(
            {
                **changes,
                "version": row.version + 1,
                "updated_at": now,
                "row_id": stored_id(row),
                "read_version": row.version,
            }
        )
    for fields, parameters in by_fields.items():
        statement = (
            update(table)
            .where(table.c.id == bindparam("row_id"), table.c.version == bindparam("read_version"))
            .values({name: bindparam(name) for name in (*fields, "version", "updated_at")})
        )
        if matched_rows(session.execute(statement, parameters)) != len(parameters):
            raise PreconditionFailed("The resource was changed by another request; read it again.")
    record_changes(session, entity=entity, entity_ids=[stored_id(row) for row, _ in updates])
    for row, _ in updates:
        session.expire(row)


def versioned_delete(
    session: Session, row: Any, *, entity: Entity, expected_version: ExpectedVersion
) -> None:
    """Delete a row unless it changed since the client read it."""
    check_version(row, expected_version)
    model = type(row)
    table = model.__table__
    result = session.execute(
        delete(model)
        .where(table.c.id == row.id, table.c.version == row.version)
        .execution_options(synchronize_session=False)
    )
    if matched_rows(result) != 1:
        raise PreconditionFailed("The resource was changed by another request; read it again.")
    record_change(session, entity=entity, entity_id=row.id)
    session.expunge(row)
