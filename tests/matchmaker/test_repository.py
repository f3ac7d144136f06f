"""The one write path: created and updated rows get their versions and change-log rows here."""

import pytest
from sqlalchemy import Engine, select, update
from sqlmodel import Session, col

from matchmaker.db import session_scope
from matchmaker.errors import PreconditionFailed
from matchmaker.repository import create_many, versioned_update_many
from models.change import Change, Entity
from models.organisation import Organisation


def profiles(engine: Engine) -> list[tuple[str, str | None, int]]:
    """(name, city, version) of every organisation, in id order."""
    with Session(engine) as session:
        rows = session.scalars(select(Organisation).order_by(col(Organisation.id)))
        return [(row.name, row.city, row.version) for row in rows]


def logged(engine: Engine) -> list[tuple[str, int]]:
    """(entity, entity_id) of every change-log row, in order."""
    with Session(engine) as session:
        rows = session.execute(
            select(col(Change.entity), col(Change.entity_id)).order_by(col(Change.id))
        )
        return [(entity, entity_id) for entity, entity_id in rows]


def test_batch_updates_bump_each_row_once_and_log_each(engine: Engine) -> None:
    """Rows changing different fields, in one call, each go up one version with one log row."""
    values = [{"name": name, "stakeholder_type": "sme", "country": "NL"} for name in "ABC"]
    with session_scope(engine) as session:
        ids = create_many(session, Organisation, values, entity=Entity.organisation)
    with session_scope(engine) as session:
        a, b, _ = session.scalars(select(Organisation).order_by(col(Organisation.id))).all()
        versioned_update_many(
            session, [(a, {"city": "Leiden"}), (b, {"name": "B2"})], entity=Entity.organisation
        )

    assert profiles(engine) == [("A", "Leiden", 2), ("B2", None, 2), ("C", None, 1)]
    assert logged(engine) == [("organisation", id_) for id_ in (*ids, ids[0], ids[1])]


def test_batch_update_of_a_row_changed_since_it_was_read_writes_nothing(engine: Engine) -> None:
    """If another writer bumped a row after it was read, the whole batch is refused."""
    values = [{"name": name, "stakeholder_type": "sme", "country": "NL"} for name in "AB"]
    with session_scope(engine) as session:
        ids = create_many(session, Organisation, values, entity=Entity.organisation)

    with session_scope(engine) as session:
        a, b = session.scalars(select(Organisation).order_by(col(Organisation.id))).all()
        session.execute(
            update(Organisation).where(col(Organisation.id) == b.id).values(version=5),
            execution_options={"synchronize_session": False},
        )
        session.commit()  # as another writer would: b is at version 5, read at 1
        stale = [(a, {"city": "Leiden"}), (b, {"city": "Gent"})]
        with pytest.raises(PreconditionFailed):
            versioned_update_many(session, stale, entity=Entity.organisation)
        session.rollback()

    assert profiles(engine) == [("A", None, 1), ("B", None, 5)]
    assert logged(engine) == [("organisation", id_) for id_ in ids]
