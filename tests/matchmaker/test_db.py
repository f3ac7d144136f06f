"""SQLite writers of one process take turns before asking SQLite for its write lock."""

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from matchmaker import db
from matchmaker.settings import Settings


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = db.create_db_engine(
        Settings(database_url=f"sqlite:///{tmp_path / 'turns.db'}", sqlite_busy_timeout_ms=500)
    )
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    yield engine
    engine.dispose()


def hold_a_write(engine: Engine, seconds: float, done: list[float]) -> threading.Thread:
    """Start a thread that writes, keeps its transaction open for `seconds`, then commits.

    Returns once the write is in; `done` gets the time the commit had finished.
    """
    entered = threading.Event()

    def run() -> None:
        with db.session_scope(db.for_writing(engine)) as session:
            session.execute(text("INSERT INTO t VALUES (1)"))
            entered.set()
            time.sleep(seconds)
        done.append(time.monotonic())

    thread = threading.Thread(target=run)
    thread.start()
    assert entered.wait(5)
    return thread


def test_a_second_writer_enters_only_after_the_first_commits(sqlite_engine: Engine) -> None:
    done: list[float] = []
    first = hold_a_write(sqlite_engine, 0.3, done)
    with db.session_scope(db.for_writing(sqlite_engine)) as session:
        entered = time.monotonic()
        assert session.execute(text("SELECT count(*) FROM t")).scalar() == 1
        session.execute(text("INSERT INTO t VALUES (2)"))
    first.join()
    assert entered >= done[0]
    with sqlite_engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 2


def test_readers_do_not_wait_for_a_writers_turn(sqlite_engine: Engine) -> None:
    first = hold_a_write(sqlite_engine, 0.5, [])
    with db.session_scope(sqlite_engine) as session:
        assert session.execute(text("SELECT count(*) FROM t")).scalar() == 0
        assert first.is_alive()
    first.join()


def test_a_writer_whose_turn_does_not_come_within_the_busy_timeout_gets_a_timeout(
    sqlite_engine: Engine,
) -> None:
    first = hold_a_write(sqlite_engine, 1.5, [])
    with (
        pytest.raises(db.WriterQueueTimeout, match="database is locked"),
        db.session_scope(db.for_writing(sqlite_engine)),
    ):
        pass
    first.join()
