"""The expansion pass and other writers: the write lock left free between jobs, and messages
planned without it never written for a profile deleted meanwhile."""

import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from matchmaker.db import BackgroundWriter, create_db_engine, for_writing, session_scope
from matchmaker.partnering.events import record_many
from matchmaker.partnering.fanout import expand_jobs
from matchmaker.repository import stored_id
from matchmaker.settings import Settings
from models.common import StakeholderType
from models.organisation import Organisation
from models.partnering import OutboxMessage
from models.saved_search import JobKind, SavedSearch
from tests.factories import create_organisation
from tests.helpers import keyed

BASE = "https://matchmaker.example"
LIVER = "Patients living with liver disease, their families and carers."


def test_a_write_from_another_connection_gets_in_between_two_jobs_of_a_pass(
    sqlite_template: Path, tmp_path: Path
) -> None:
    """On SQLite the pass rests outside its transactions: a connection that will not wait for
    the lock at all (busy timeout 0) writes after each of two jobs, and each job's message is
    written once."""
    path = tmp_path / "m.db"
    shutil.copyfile(sqlite_template, path)
    engine = create_db_engine(Settings(database_url=f"sqlite:///{path}"))
    with session_scope(for_writing(engine)) as session:
        watcher = Organisation(
            name="Liver Watchers", stakeholder_type=StakeholderType.sme, country="NL"
        )
        patients = [
            Organisation(
                name=f"Liver Patients {number}",
                stakeholder_type=StakeholderType.patient_organisation,
                country="BE",
                description=LIVER,
            )
            for number in (1, 2)
        ]
        session.add_all([watcher, *patients])
        session.flush()
        watcher_id = stored_id(watcher)
        session.add(
            SavedSearch(
                organisation_id=watcher_id, target="organisations", text="liver disease patients"
            )
        )
        record_many(
            session, kind=JobKind.organisation, item_ids=[stored_id(item) for item in patients]
        )
    rests: list[tuple[float, int]] = []

    def write_between(seconds: float) -> None:
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute(
                "UPDATE organisations SET city = ? WHERE id = ?", (f"Gent {len(rests)}", watcher_id)
            )
            (jobs_done,) = other.execute(
                "SELECT count(*) FROM notification_jobs WHERE done_at IS NOT NULL"
            ).fetchone()
            other.execute("COMMIT")
        finally:
            other.close()
        rests.append((seconds, jobs_done))

    writer = BackgroundWriter(engine, burst=0, rest=0.01, pause=write_between)
    done = expand_jobs(engine, base_url=BASE, writer=writer)
    with Session(engine) as session:
        city = session.scalar(
            select(col(Organisation.city)).where(col(Organisation.id) == watcher_id)
        )
        about = list(
            session.scalars(
                select(col(OutboxMessage.about_organisation_id)).order_by(col(OutboxMessage.id))
            )
        )
    engine.dispose()
    assert (done.jobs, done.messages) == (2, 2)
    assert rests == [(0.01, 1), (0.01, 2)]
    assert city == "Gent 1"
    assert about == [stored_id(item) for item in patients]


class DeletingFirst(BackgroundWriter):
    """A pass's writer that deletes a profile through the API just before its first write
    transaction: after the pass planned that profile's messages, before it writes them."""

    def __init__(self, engine: Engine, deleted: tuple[int, TestClient]) -> None:
        super().__init__(engine)
        self.deleted: tuple[int, TestClient] | None = deleted

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Delete the profile (the first time), then the transaction."""
        if self.deleted is not None:
            organisation_id, owner = self.deleted
            assert owner.delete(f"/organisations/{organisation_id}").status_code == 204
            self.deleted = None
        with super().transaction() as session:
            yield session


def test_a_profile_deleted_after_its_messages_were_planned_is_not_announced(
    client: TestClient, engine: Engine
) -> None:
    """The messages of a profile job are built before the write transaction; the profile
    deleted in between, the job is done with no message (none about a deleted profile, which
    its foreign key would refuse)."""
    watcher = create_organisation(client, name="Liver Watchers", stakeholder_type="sme")
    answer = keyed(client, watcher["api_key"]).post(
        f"/organisations/{watcher['id']}/saved-searches",
        json={"target": "organisations", "text": "liver disease patients"},
    )
    assert answer.status_code == 201, answer.text
    assert expand_jobs(engine, base_url=BASE).jobs == 1  # the watcher's own profile
    patients = create_organisation(
        client,
        name="European Liver Patients",
        stakeholder_type="patient_organisation",
        country="BE",
        description=LIVER,
    )
    writer = DeletingFirst(engine, (patients["id"], keyed(client, patients["api_key"])))
    done = expand_jobs(engine, base_url=BASE, writer=writer)
    with Session(engine) as session:
        messages = list(session.scalars(select(OutboxMessage)))
    assert writer.deleted is None
    assert (done.jobs, done.messages) == (1, 0)
    assert [message.event for message in messages] == []
