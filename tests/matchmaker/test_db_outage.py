"""An outage is logged once each way even when threads finish out of order: a connection
attempt that began while the database was away and whose error is handled after it came back
belongs to the outage that ended (issue 21; CI once logged one worker's outage twice)."""

import logging
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import event, text

from matchmaker.db import create_db_engine
from matchmaker.errors import Unavailable
from matchmaker.settings import Settings


def test_a_refusal_that_began_before_the_recovery_starts_no_new_outage(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    engine = create_db_engine(Settings(database_url=f"sqlite:///{folder / 'test.db'}"))
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    engine.dispose()
    away = folder.with_name("away")
    folder.rename(away)
    recovered, waiting = threading.Event(), threading.Event()

    # After the service's own listener has noted when the attempt began: the straggler's
    # attempt is held until the database is back and a connection has been made, then fails
    # as the attempt it stands for did.
    @event.listens_for(engine, "do_connect")
    def _hold(*_args: object) -> None:
        if threading.current_thread().name == "straggler":
            waiting.set()
            recovered.wait(10)
            error = sqlite3.OperationalError("unable to open database file")
            error.sqlite_errorname = "SQLITE_CANTOPEN"
            raise error

    def attempt() -> None:
        with pytest.raises(Unavailable), engine.connect():
            pass

    with caplog.at_level(logging.WARNING, logger="matchmaker.db"):
        attempt()
        straggler = threading.Thread(target=attempt, name="straggler")
        straggler.start()
        assert waiting.wait(10)
        away.rename(folder)
        assert straggler.is_alive()
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        recovered.set()
        straggler.join(10)
        engine.dispose()
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        folder.rename(away)
        attempt()
    messages = [record.getMessage().split(" (")[0].split(",")[0] for record in caplog.records]
    name = f"The database sqlite:///{folder / 'test.db'}"
    # One outage and its end (the straggler's refusal belongs to it: no new outage, so the
    # next connection ends nothing), then the next outage, which began after the recovery.
    assert messages == [
        f"{name} cannot be reached",
        f"{name} can be reached again",
        f"{name} cannot be reached",
    ]


def test_an_interrupt_during_a_query_stays_an_interrupt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Ctrl-C while a command waits on the database ends it as an interrupt; it was taken for
    an outage (`Unavailable`, logged as "cannot be reached ()")."""
    engine = create_db_engine(Settings(database_url=f"sqlite:///{tmp_path / 'test.db'}"))

    @event.listens_for(engine, "do_execute")
    def _interrupted(*_args: object) -> None:
        raise KeyboardInterrupt

    with (
        caplog.at_level(logging.WARNING),
        pytest.raises(KeyboardInterrupt),
        engine.connect() as connection,
    ):
        connection.execute(text("SELECT 1"))
    engine.dispose()

    assert caplog.records == []
