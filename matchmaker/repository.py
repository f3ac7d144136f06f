"""Queries every resource shares: fetch by id, paginate, versioned update and delete."""

from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

from sqlalchemy import CursorResult, Result, Select, delete, func, inspect, select, update
from sqlmodel import Session, SQLModel, col

from matchmaker.errors import InvalidInput, NotFound, PreconditionFailed
from models.change import Change
from models.common import utc_now

M = TypeVar("M", bound=SQLModel)


class HasId(Protocol):
    """A table row with an integer primary key, which the database assigns."""

    id: int | None


class Versioned(HasId, Protocol):
    """A table row with a version number that every write bumps."""

    version: int


V = TypeVar("V", bound=Versioned)


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


def contains(column: Any, text: str) -> Any:
    """A case-insensitive "column contains text" condition; % and _ match only themselves."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


def record_change(session: Session, *, entity: str, entity_id: int) -> None:
    """Append to the change log so that other workers pick the write up."""
    session.add(Change(entity=entity, entity_id=entity_id))


def compact_changes(session: Session) -> int:
    """Delete the change-log rows a later row for the same entity supersedes; return how many.

    A worker catches up by reading which entities changed after the last change it saw, so
    only each entity's latest row matters: every deleted row leaves a later one for the same
    entity, and the latest change number stays. The log then holds one row per entity ever
    written instead of one per write.
    """
    latest = select(func.max(col(Change.id))).group_by(col(Change.entity), col(Change.entity_id))
    return matched_rows(session.execute(delete(Change).where(col(Change.id).not_in(latest))))


def check_version(row: Any, expected_version: int | None) -> None:
    """Refuse a write made against a version of the row that is no longer current."""
    if expected_version is not None and row.version != expected_version:
        raise PreconditionFailed(
            f"The resource is at version {row.version}, not {expected_version}; "
            "read it again and retry."
        )


def versioned_update(
    session: Session,
    row: V,
    changes: Mapping[str, Any],
    *,
    entity: str,
    expected_version: int | None,
) -> V:
    """Apply changes only if nobody else changed the row since it was read; bump its version."""
    check_version(row, expected_version)
    model = type(row)
    table = inspect(model).local_table
    for field, value in changes.items():
        if value is None and not table.c[field].nullable:
            raise InvalidInput(f"{field} cannot be null.", field=field)
    current = row.version
    result = session.execute(
        update(model)
        .where(table.c.id == row.id, table.c.version == current)
        .values(**changes, version=current + 1, updated_at=utc_now())
        .execution_options(synchronize_session=False)
    )
    if matched_rows(result) != 1:
        raise PreconditionFailed("The resource was changed by another request; read it again.")
    record_change(session, entity=entity, entity_id=stored_id(row))
    session.refresh(row)
    return row


def versioned_delete(
    session: Session, row: Any, *, entity: str, expected_version: int | None
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
