"""The one engine factory, sessions, and the Alembic migrations run from code."""

import contextlib
import functools
import logging
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, Select, create_engine, event, text
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

import migrations
from matchmaker.errors import Unavailable
from matchmaker.settings import Settings

MIGRATIONS_DIR = Path(migrations.__file__).parent
# A read-only file or a full disk needs an operator, not a quick retry.
UNWRITABLE_RETRY_AFTER = 30
# SQLite's result codes for a database that cannot be written now (a read-only file, a full
# disk, or a failed write: a file-size limit gives SQLITE_IOERR_WRITE, not SQLITE_FULL).
_UNWRITABLE_SQLITE = ("SQLITE_READONLY", "SQLITE_FULL", "SQLITE_IOERR")
# A server restarting or failing over is back within seconds.
UNREACHABLE_RETRY_AFTER = 5
# libpq waits without end for a server that never answers (a partition, unlike a refused
# connection); a request should fall back to the index in memory well before a client gives up.
POSTGRES_CONNECT_TIMEOUT = 5
# PostgreSQL's SQLSTATEs for a connection that failed or a server shutting down or starting up
# (class 08, and 57P01-57P03 "operator intervention").
_UNREACHABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03")

logger = logging.getLogger(__name__)


T = TypeVar("T")


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
        # The URL object itself: written out as a string, SQLAlchemy hides its password as ***.
        engine = create_engine(
            make_url(url).set(drivername="postgresql+psycopg"),
            pool_pre_ping=True,
            connect_args={"connect_timeout": POSTGRES_CONNECT_TIMEOUT},
            **pool,
        )
        _watch_reachability(engine)
        return engine
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
        # Deleted content is overwritten with zeros, not left in free pages: a deleted
        # profile's contact address must not stay readable in the file.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A transaction that will write takes the write lock up front: a deferred one that
        # read first would fail with "database is locked" if another writer got in between.
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    _watch_reachability(engine)
    return engine


def for_writing(engine: Engine) -> Engine:
    """The engine to use for a transaction that writes (BEGIN IMMEDIATE on SQLite)."""
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(sqlite_begin="IMMEDIATE")


def first_claimed(session: Session, statement: Select[T], *, of: type | None = None) -> T | None:
    """The first row `statement` selects, for the caller's write transaction to work on; on
    PostgreSQL it is locked and rows another pass holds are skipped (SQLite's write lock, taken
    by `for_writing`, already keeps passes apart)."""
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True, of=of)
    return session.scalars(statement).first()


def is_unwritable(error: BaseException) -> bool:
    """Whether a driver error says the database cannot be written now, rather than a bug."""
    name = getattr(getattr(error, "orig", error), "sqlite_errorname", None)
    return isinstance(name, str) and name.startswith(_UNWRITABLE_SQLITE)


class _Outage:
    """Says once that a database stopped doing something and once that it does it again.

    A refusal that began before the database came back (a connection attempt or a connection
    made before the last recovery, whose error arrives after it: threads finish in any order)
    belongs to the outage that ended and starts no new one.
    """

    def __init__(self, name: str, *, lost: str, back: str) -> None:
        self.name = name
        self._lost, self._back = lost, back
        self._lock = threading.Lock()
        self._since: float | None = None
        self._back_at = -math.inf
        self._refused = 0

    def refused(self, error: BaseException, *, began: float | None = None) -> None:
        """Note a refusal; `began`: when the failed attempt or its connection started
        (`time.monotonic`), when known."""
        with self._lock:
            if self._since is None and began is not None and began < self._back_at:
                return
            self._refused += 1
            if self._since is not None:
                return
            self._since = time.monotonic()
        logger.warning(self._lost, self.name, getattr(error, "orig", error))

    def ended(self, *, began: float | None = None) -> None:
        """Note a success; `began`: when the attempt that succeeded started, when known (a
        refusal that began before it is a straggler of this outage)."""
        with self._lock:
            if self._since is None:
                return
            now = time.monotonic()
            self._back_at = now if began is None else began
            seconds, refused = now - self._since, self._refused
            self._since, self._refused = None, 0
        logger.warning(self._back, self.name, seconds, refused)


_outages: dict[tuple[str, str], _Outage] = {}
# Where a pooled connection's record keeps when the attempt that made it began.
_CONNECTED_AT = "matchmaker_connected_at"
_outages_lock = threading.Lock()
_MESSAGES = {
    "write": (
        "The database %s cannot be written (%s); writes answer 503 until it can",
        "The database %s takes writes again, after %.0f s and %d refused writes",
    ),
    "reach": (
        "The database %s cannot be reached (%s); matching reads answer from memory, marked "
        "stale, and other requests answer 503 until it is back",
        "The database %s can be reached again, after %.0f s and %d failed attempts",
    ),
}


def _outage(engine: Engine, kind: str) -> _Outage:
    """The one outage of this kind per database in this process (every engine on it shares it)."""
    name = engine.url.render_as_string(hide_password=True)
    with _outages_lock:
        if (kind, name) not in _outages:
            lost, back = _MESSAGES[kind]
            _outages[kind, name] = _Outage(name, lost=lost, back=back)
        return _outages[kind, name]


# Per request (an ASGI middleware sets it): whether the database could not be reached while
# answering it, so that an answer made anyway is known to come from memory. A mutable holder,
# because a request's threads work on copies of its context.
_unreached_in_request: ContextVar[list[bool] | None] = ContextVar("unreached", default=None)


@contextmanager
def noting_unreachable() -> Iterator[list[bool]]:
    """Within the block, note whether the database could not be reached: the list yielded
    holds True once it could not."""
    holder: list[bool] = []
    token = _unreached_in_request.set(holder)
    try:
        yield holder
    finally:
        _unreached_in_request.reset(token)


def _is_unreachable(context: ExceptionContext) -> bool:
    error = context.original_exception
    if context.is_disconnect:
        return True
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate.startswith(_UNREACHABLE_SQLSTATES):
        return True
    if context.connection is not None:
        return False
    # No connection yet: connecting failed. A SQLite file that cannot be opened counts; any
    # other SQLite error while connecting (a pragma on a read-only file) is not an outage.
    if context.dialect.name == "sqlite":
        return getattr(error, "sqlite_errorname", None) == "SQLITE_CANTOPEN"
    return isinstance(error, context.dialect.loaded_dbapi.OperationalError)


def _watch_reachability(engine: Engine) -> None:
    """Turn a database that cannot be reached into `Unavailable`, logged once per outage."""
    outage = _outage(engine, "reach")
    attempts = threading.local()

    @event.listens_for(engine, "do_connect")
    def _on_attempt(*_args: Any) -> None:
        attempts.began = time.monotonic()

    @event.listens_for(engine, "handle_error")
    def _on_error(context: ExceptionContext) -> BaseException | None:
        # A failed pre-ping makes the pool reconnect; only if that fails is it an outage.
        if context.is_pre_ping or not _is_unreachable(context):
            return None
        # SQLAlchemy counts an interrupt (Ctrl-C, a cancelled task) as a disconnect; it is
        # no outage, and must reach the code that handles it.
        if not isinstance(context.original_exception, Exception):
            return None
        # When the failed connection, or this thread's attempt to make one, began.
        began = None
        if context.connection is not None:
            with contextlib.suppress(SQLAlchemyError):
                began = context.connection.info.get(_CONNECTED_AT)
        else:
            began = getattr(attempts, "began", None)
        outage.refused(context.original_exception, began=began)
        holder = _unreached_in_request.get()
        if holder is not None and not holder:
            holder.append(True)
        return Unavailable(
            "The database cannot be reached now; matching reads are answered from memory, "
            "this request needs the database. Retry shortly.",
            retry_after=UNREACHABLE_RETRY_AFTER,
        )

    @event.listens_for(engine, "connect")
    def _on_connect(_dbapi_connection: Any, record: Any) -> None:
        began = record.info[_CONNECTED_AT] = getattr(attempts, "began", time.monotonic())
        outage.ended(began=began)


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context: Any) -> None:
    session.info["flushed"] = True


@contextmanager
def session_scope(engine: Engine, *, read_only: bool = False) -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back when it raises.

    A `read_only` session never commits: it ends by rolling back (on close), so a read whose
    connection dies after it had its answer (a database going away mid-request) still answers.
    A database that cannot be written (see `is_unwritable`) is logged once when writes start
    failing and once when one succeeds again, not once per request.
    """
    session = Session(engine, expire_on_commit=False)
    try:
        try:
            yield session
            if read_only and (session.info.get("flushed") or session.new or session.dirty):
                raise RuntimeError("a read-only session was given a write; it would be lost")
            if not read_only:
                session.commit()
        except BaseException as error:
            # The error decides the answer; a connection that died meanwhile (the database
            # going away) must not replace it with its own.
            with contextlib.suppress(Unavailable):
                session.rollback()
            if is_unwritable(error):
                _outage(engine, "write").refused(error)
            raise
        if session.info.get("flushed"):
            _outage(engine, "write").ended()
    finally:
        # By now the outcome is decided: ending a read's transaction on a connection that died
        # after the read (the database going away mid-request) changes nothing, the pool
        # discards the connection, and the answer stands.
        with contextlib.suppress(Unavailable):
            session.close()


# A background pass holds SQLite's one write lock for at most about WRITE_BURST seconds of
# write transactions in a row, then leaves it free for WRITE_REST seconds: longer than the
# longest sleep of SQLite's busy handler (100 ms), so every writer waiting for the lock polls
# within the rest and gets it. A pass that took the lock back within a millisecond of each
# commit held it 70% of its time and a profile write waited up to 2 s (BENCHMARKS.md,
# session 16).
WRITE_BURST = 0.05
WRITE_REST = 0.12


class BackgroundWriter:
    """The write transactions of one background pass, which let waiting writers in: on SQLite,
    after `burst` seconds of them it pauses `rest` seconds, outside any transaction."""

    def __init__(
        self,
        engine: Engine,
        *,
        burst: float = WRITE_BURST,
        rest: float = WRITE_REST,
        pause: Callable[[float], None] = time.sleep,
    ) -> None:
        self.engine = engine
        self.burst = burst
        self.rest = rest
        self.pause = pause
        self._held = 0.0

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write transaction, committed when the block succeeds (`session_scope`)."""
        with session_scope(for_writing(self.engine)) as session:
            session.connection()  # BEGIN IMMEDIATE: the lock is held from here, not the wait
            start = time.monotonic()
            yield session
        if self.engine.dialect.name != "sqlite":
            return  # PostgreSQL locks rows: writers of other rows never wait for the pass
        self._held += time.monotonic() - start
        if self._held >= self.burst:
            self._held = 0.0
            self.pause(self.rest)


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


@functools.cache
def _migrations() -> ScriptDirectory:
    """The migrations that ship with the code (read once; no database is needed to list them)."""
    return ScriptDirectory.from_config(alembic_config(create_engine("sqlite://")))


def head_revision() -> str | None:
    """The newest migration's revision id."""
    return _migrations().get_current_head()


def known_revisions() -> frozenset[str]:
    """Every migration's revision id that ships with this code."""
    return frozenset(script.revision for script in _migrations().walk_revisions())


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def ping(engine: Engine) -> None:
    """Run a trivial query; raises when the database cannot be reached."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


# The mode of a backup's file: its owner's alone.
BACKUP_MODE = 0o600


def backup_sqlite(url: str, target: Path) -> int:
    """Copy a SQLite database to `target` with SQLite's online backup API, consistent while
    the service reads and writes it (WAL: the copy is one snapshot and blocks no writer).

    Written to a temporary file beside `target`, checked, and renamed over it, so `target` is
    always a whole database. It is readable and writable by its owner only (0600): it holds
    contact addresses, webhook secrets and key hashes. Returns the number of pages copied.
    """
    source_path = make_url(url).database
    if not source_path or source_path == ":memory:" or not Path(source_path).exists():
        raise FileNotFoundError(f"No SQLite database file at {source_path!r}")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        # Created empty with its mode before SQLite opens it (SQLite gives its journal the
        # same mode), so the copy is never readable by others, not even for a moment.
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, BACKUP_MODE))
        os.chmod(partial, BACKUP_MODE)  # as a umask may have left it otherwise
        with (
            closing(sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)) as source,
            closing(sqlite3.connect(partial)) as copy,
        ):
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
            (check,) = copy.execute("PRAGMA quick_check").fetchone()
            if check != "ok":
                raise sqlite3.DatabaseError(f"the copy fails its check: {check}")
            pages = int(copy.execute("PRAGMA page_count").fetchone()[0])
        with partial.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return pages
