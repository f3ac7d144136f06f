"""The one engine factory, sessions, and the Alembic migrations run from code."""

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

import migrations
from matchmaker.settings import Settings

MIGRATIONS_DIR = Path(migrations.__file__).parent
# A read-only file or a full disk needs an operator, not a quick retry.
UNWRITABLE_RETRY_AFTER = 30
# SQLite's result codes for a database that cannot be written now (a read-only file, a full
# disk, or a failed write: a file-size limit gives SQLITE_IOERR_WRITE, not SQLITE_FULL).
_UNWRITABLE_SQLITE = ("SQLITE_READONLY", "SQLITE_FULL", "SQLITE_IOERR")

logger = logging.getLogger(__name__)


def is_sqlite(url: str) -> bool:
    """Whether a database URL points at SQLite."""
    return make_url(url).get_backend_name() == "sqlite"


def create_db_engine(settings: Settings, **pool: int) -> Engine:
    """Build the engine: SQLite in WAL mode with a busy timeout, PostgreSQL over psycopg 3.

    `pool` sets the connection pool's `pool_size` and `max_overflow` (SQLAlchemy's defaults,
    5 and 10, otherwise).
    """
    url = settings.database_url
    if not is_sqlite(url):
        url = str(make_url(url).set(drivername="postgresql+psycopg"))
        return create_engine(url, pool_pre_ping=True, **pool)
    engine = create_engine(
        url,
        **pool,
        connect_args={
            "check_same_thread": False,
            "timeout": settings.sqlite_busy_timeout_ms / 1000,
        },
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # WAL lets readers and one writer work at once; the busy timeout makes writers queue
        # instead of failing. pysqlite's own BEGIN handling is switched off so that "begin"
        # below decides how each transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if make_url(url).database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={settings.sqlite_busy_timeout_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A transaction that will write takes the write lock up front: a deferred one that
        # read first would fail with "database is locked" if another writer got in between.
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def for_writing(engine: Engine) -> Engine:
    """The engine to use for a transaction that writes (BEGIN IMMEDIATE on SQLite)."""
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(sqlite_begin="IMMEDIATE")


def is_unwritable(error: BaseException) -> bool:
    """Whether a driver error says the database cannot be written now, rather than a bug."""
    name = getattr(getattr(error, "orig", error), "sqlite_errorname", None)
    return isinstance(name, str) and name.startswith(_UNWRITABLE_SQLITE)


class _WriteOutage:
    """Says once that a database stopped taking writes and once that it takes them again."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._since: float | None = None
        self._refused = 0

    def refused(self, error: BaseException) -> None:
        with self._lock:
            self._refused += 1
            if self._since is not None:
                return
            self._since = time.monotonic()
        cause = getattr(error, "orig", error)
        logger.warning(
            "The database %s cannot be written (%s); writes answer 503 until it can",
            self.name,
            cause,
        )

    def written(self) -> None:
        with self._lock:
            if self._since is None:
                return
            seconds, refused = time.monotonic() - self._since, self._refused
            self._since, self._refused = None, 0
        logger.warning(
            "The database %s takes writes again, after %.0f s and %d refused writes",
            self.name,
            seconds,
            refused,
        )


_outages: dict[str, _WriteOutage] = {}
_outages_lock = threading.Lock()


def _outage(engine: Engine) -> _WriteOutage:
    name = engine.url.render_as_string(hide_password=True)
    with _outages_lock:
        return _outages.setdefault(name, _WriteOutage(name))


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context: Any) -> None:
    session.info["flushed"] = True


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back when it raises.

    A database that cannot be written (see `is_unwritable`) is logged once when writes start
    failing and once when one succeeds again, not once per request.
    """
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException as error:
            session.rollback()
            if is_unwritable(error):
                _outage(engine).refused(error)
            raise
        if session.info.get("flushed"):
            _outage(engine).written()


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration that migrates the given engine's database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to a revision (the latest by default)."""
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Undo migrations down to a revision ("base" removes every table)."""
    command.downgrade(alembic_config(engine), revision)


def head_revision() -> str | None:
    """The newest migration's revision id."""
    return ScriptDirectory.from_config(
        alembic_config(create_engine("sqlite://"))
    ).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def ping(engine: Engine) -> None:
    """Run a trivial query; raises when the database cannot be reached."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
