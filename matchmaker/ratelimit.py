"""The write rate limit: `limits`' fixed window, counted in the database all workers share.

`limits` ships storages for Redis, Memcached and MongoDB (servers this service does not run)
and for one process's memory, where each worker process keeps its own count (with N workers a
client gets N times the limit). The database is the one store that every worker process, on
every machine, already shares, so `DatabaseStorage` gives `limits` a counter there: a row per
identity and window, bumped by a single atomic upsert on SQLite and PostgreSQL alike.
"""

import itertools
import math
import time
from collections.abc import Callable, Mapping

from limits import RateLimitItemPerMinute
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import Engine, case, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from matchmaker.db import for_writing, ping
from matchmaker.errors import RateLimited
from matchmaker.wording import and_list, plural
from models.ratelimit import RateLimitCounter

# Expired windows are deleted on every this-many-th write a process counts (bounds the table).
_SWEEP_EVERY = 100

_counters = RateLimitCounter.__table__  # type: ignore[attr-defined]  # SQLModel sets it


class DatabaseStorage(Storage):
    """`limits`' storage interface over the service's database (fixed windows only)."""

    STORAGE_SCHEME = None  # built with an engine, never from a URI

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.engine = engine
        self.clock = clock
        self._writes = itertools.count(1)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        """What the database raises when it fails."""
        return SQLAlchemyError

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add to the key's count in its current window (a new window once it expired)."""
        now = self._now_ms()
        ends = now + expiry * 1000
        insert = postgresql_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        expired = _counters.c.expires_at <= now
        statement = (
            insert(_counters)
            .values(key=key, count=amount, expires_at=ends)
            .on_conflict_do_update(
                index_elements=[_counters.c.key],
                set_={
                    "count": case((expired, amount), else_=_counters.c.count + amount),
                    "expires_at": case((expired, ends), else_=_counters.c.expires_at),
                },
            )
            .returning(_counters.c.count)
        )
        with for_writing(self.engine).begin() as connection:
            count = int(connection.execute(statement).scalar_one())
            if next(self._writes) % _SWEEP_EVERY == 0:
                connection.execute(delete(_counters).where(_counters.c.expires_at <= now))
        return count

    def _row(self, key: str) -> tuple[int, int] | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(_counters.c.count, _counters.c.expires_at).where(
                    _counters.c.key == key, _counters.c.expires_at > self._now_ms()
                )
            ).first()
        return (int(row[0]), int(row[1])) if row else None

    def get(self, key: str) -> int:
        """The key's count in its current window (0 when none is running)."""
        row = self._row(key)
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        """When the key's current window ends, in Unix seconds (now when none is running)."""
        row = self._row(key)
        return row[1] / 1000 if row else self.clock()

    def check(self) -> bool:
        """Whether the database answers."""
        try:
            ping(self.engine)
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        """Forget every count."""
        with for_writing(self.engine).begin() as connection:
            return int(connection.execute(delete(_counters)).rowcount)

    def clear(self, key: str) -> None:
        """Forget one key's count."""
        with for_writing(self.engine).begin() as connection:
            connection.execute(delete(_counters).where(_counters.c.key == key))


class WriteRateLimit:
    """Allow `per_minute` writes per identity in each minute-long window; 0 disables. `counted`
    names what is counted in the refusal ("write", "key-recovery request")."""

    def __init__(
        self,
        per_minute: int,
        *,
        engine: Engine,
        clock: Callable[[], float] = time.time,
        counted: str = "write",
    ) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self.counted = counted
        self._item = RateLimitItemPerMinute(max(per_minute, 1))
        self._limiter = FixedWindowRateLimiter(DatabaseStorage(engine, clock=clock))

    def check(self, identities: Mapping[str, str]) -> None:
        """Count one write against every identity; RateLimited if any is past its limit. Each
        identity comes with the words that say whose count it is ("from the address
        203.0.113.5", "for your organisation"), which the refusal names: a portal writing for
        many organisations through one address learns that the address is what was counted."""
        if self.per_minute <= 0:
            return
        refused = [
            identity for identity in identities if not self._limiter.hit(self._item, identity)
        ]
        if refused:
            reset = max(self._limiter.get_window_stats(self._item, i).reset_time for i in refused)
            wait = max(1, math.ceil(reset - self.clock()))
            whose = and_list([identities[identity] for identity in refused])
            raise RateLimited(
                f"More than {plural(self.per_minute, self.counted)} a minute {whose}; retry in "
                f"{wait} s.",
                retry_after=wait,
            )
