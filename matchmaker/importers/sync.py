"""Keeping calls current: `matchmaker sync calls SOURCE [--every 6h]` (docs/import.md).

A sync is the calls import (`runner.import_calls`: same reading, same checks, same versioned
write path and change log, and the same announcement of the calls it creates or reopens, as of
the sync's day) followed by one more step: the calls that the same source listed on its last
sync and lists no longer are closed. Nothing is ever deleted.

Closed means closed by date, since a call's status derives from its dates
(`models.call.call_status`): a vanished call's deadline becomes the day before the sync, so it
reads `closed` at once, everywhere, with no new column or migration. A call already closed by
its dates is left as it is; one whose opening date would fall after the new deadline gets the
same day as opening date (the call rules refuse a deadline before the opening). If the source
lists the call again later, its dates come back with the next sync.

Which source listed which calls is kept in a small JSON state file (`SyncState`), per source
(a URL as given, a path made absolute), written only after a sync has finished: a sync stopped
half-way and run again ends where one clean run ends, since every write it repeats is one that
changes nothing. Calls imported by other means, or listed by another source's last sync, are
never closed by this one.
"""

import json
import math
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, select
from sqlmodel import col

from matchmaker.db import for_writing, session_scope
from matchmaker.importers.csv_source import Progress, Rejected, SourceError
from matchmaker.importers.runner import BATCH_SIZE, import_calls, rejected_and_notes
from matchmaker.repository import versioned_update_many
from matchmaker.wording import listing, plural
from models.call import Call, CallStatus, call_status
from models.change import Entity
from models.common import utc_today

__all__ = [
    "SyncState",
    "SyncSummary",
    "parse_interval",
    "repeat",
    "source_key",
    "sync_calls",
]

STATE_VERSION = 1
_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.IGNORECASE)
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def source_key(source: str | Path) -> str:
    """How a source is named in the state file: a URL as given, a path made absolute."""
    text = str(source)
    if text.lower().startswith(("http://", "https://")):
        return text
    return str(Path(text).expanduser().resolve())


@dataclass
class SyncState:
    """Which calls each source listed on its last finished sync, kept in a JSON file."""

    path: Path
    sources: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | str) -> "SyncState":
        """The state in `path`; an empty state when the file does not exist yet. Its folder
        must exist: it is not created, so a mistyped folder is refused before the sync writes
        anything, rather than made."""
        file = Path(path)
        if not file.parent.is_dir():
            raise SourceError(
                f"The folder {file.parent} of the sync state {file} does not exist; create it "
                "or name another."
            )
        try:
            payload = json.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(file)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise SourceError(f"Cannot read the sync state {file}: {error}.") from None
        sources = payload.get("sources") if isinstance(payload, dict) else None
        if not isinstance(sources, dict) or not all(
            isinstance(key, str) and isinstance(value, list) for key, value in sources.items()
        ):
            raise SourceError(f"{file} is not a sync state file.")
        return cls(file, {key: [str(item) for item in value] for key, value in sources.items()})

    def listed(self, source: str) -> set[str]:
        """The identifiers `source` listed on its last finished sync."""
        return set(self.sources.get(source, []))

    def listed_elsewhere(self, source: str) -> set[str]:
        """The identifiers every other source listed on its last finished sync."""
        return {item for key, items in self.sources.items() if key != source for item in items}

    def save(self) -> None:
        """Write the file whole or not at all (a temporary file, then an atomic rename)."""
        payload = {"version": STATE_VERSION, "sources": self.sources}
        handle, name = tempfile.mkstemp(prefix=".sync-", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(payload, stream, indent=1, sort_keys=True)
                stream.write("\n")
            os.replace(name, self.path)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise


# How many identifiers of each kind a summary prints unless asked for all: a first sync of the
# Funding & Tenders Portal creates about 1,750 calls.
IDENTIFIERS_SHOWN = 20


@dataclass
class SyncSummary:
    """What one sync did, identifier by identifier."""

    source: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether the sync wrote anything."""
        return bool(self.created or self.updated or self.closed)

    def lines(self, shown: int | None = IDENTIFIERS_SHOWN) -> list[str]:
        """The summary as printable lines: the counts, the identifiers (the first `shown` of
        each kind, all when None), rejected rows, notes."""
        lines = [
            f"calls from {self.source}: {len(self.created)} created, {len(self.updated)} "
            f"updated, {len(self.closed)} closed, {len(self.unchanged)} unchanged, "
            f"{len(self.rejected)} rejected."
        ]
        for label, identifiers in (
            ("Created", self.created),
            ("Updated", self.updated),
            ("Closed", self.closed),
        ):
            if identifiers:
                lines.append(f"{label}: {listing(sorted(identifiers), shown)}")
        if not self.changed:
            lines.append("Nothing changed.")
        return lines + rejected_and_notes(self.rejected, self.notes)


def sync_calls(
    engine: Engine,
    source: Path | str,
    *,
    state_path: Path | str,
    client: httpx.Client | None = None,
    today: date | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
) -> SyncSummary:
    """Bring the stored calls in line with `source` (a path or an http(s) URL).

    New topics are created and changed ones updated by the calls import; calls this source
    listed last time and lists no longer are closed (`close_calls`). The state file at
    `state_path` remembers what the source listed, and is written once all writes are done.
    """
    day = today or utc_today()
    key = source_key(source)
    state = SyncState.load(state_path)
    imported = import_calls(
        engine, source, client=client, batch_size=batch_size, progress=progress, today=day
    )
    summary = SyncSummary(
        key,
        created=list(imported.created_keys),
        updated=list(imported.updated_keys),
        unchanged=list(imported.unchanged_keys),
        rejected=list(imported.rejected),
        notes=list(imported.notes),
    )
    listed = imported.listed
    previous = state.listed(key)
    if not listed and previous:
        # An empty answer is more likely an outage or a wrong query than every topic gone.
        summary.notes.append(
            f"the source lists no calls; the {plural(len(previous), 'call')} it listed before "
            f"{'is' if len(previous) == 1 else 'are'} left open"
        )
        return summary
    vanished = previous - listed - state.listed_elsewhere(key)
    closed, already = close_calls(engine, vanished, day=day)
    summary.closed.extend(closed)
    summary.unchanged.extend(already)
    state.sources[key] = sorted(listed)
    state.save()
    return summary


def close_calls(
    engine: Engine, identifiers: Iterable[str], *, day: date
) -> tuple[list[str], list[str]]:
    """Close the calls with these identifiers as of `day`; return (closed, already closed).

    Closing sets the deadline to the day before `day` (and the opening date too, if it was
    later), through the versioned write path: the version goes up and the change log gets a
    row. Identifiers with no stored call are skipped; nothing is deleted.
    """
    wanted = sorted(set(identifiers))
    if not wanted:
        return [], []
    last_day = day - timedelta(days=1)
    closed: list[str] = []
    already: list[str] = []
    with session_scope(for_writing(engine)) as session:
        rows = session.scalars(
            select(Call)
            .where(col(Call.identifier).in_(wanted))
            .order_by(col(Call.identifier))
            .with_for_update()
        ).all()
        updates: list[tuple[Call, dict[str, Any]]] = []
        for row in rows:
            if call_status(row.opening_date, row.deadline, day) is CallStatus.closed:
                already.append(row.identifier)
                continue
            changes: dict[str, Any] = {"deadline": last_day}
            if row.opening_date is not None and row.opening_date > last_day:
                changes["opening_date"] = last_day
            updates.append((row, changes))
            closed.append(row.identifier)
        versioned_update_many(session, updates, entity=Entity.call)
    return closed, already


def parse_interval(text: str) -> float:
    """Seconds in an interval such as `6h`, `30m`, `90s` or `1d`. The unit is required: a bare
    `5` meant five seconds once, and a sync meant to run every five hours polled its source
    every five seconds."""
    match = _INTERVAL.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not an interval such as 6h, 30m, 90s or 1d.")
    if not match.group(2):
        number = match.group(1)
        raise ValueError(
            f"{text!r} has no unit: write {number}s, {number}m, {number}h or {number}d "
            "(seconds, minutes, hours or days)."
        )
    seconds = float(match.group(1)) * _SECONDS[match.group(2).lower()]
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"{text!r} must be longer than zero.")
    return seconds


def repeat(
    run: Callable[[int], None],
    every: float,
    *,
    rounds: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Call `run(round)` every `every` seconds, `rounds` times (forever when None).

    Rounds start `every` seconds apart (a long round shortens the wait, never below zero).
    Returns how many rounds ran.
    """
    done = 0
    while rounds is None or done < rounds:
        started = clock()
        done += 1
        run(done)
        if rounds is not None and done >= rounds:
            break
        sleep(max(0.0, every - (clock() - started)))
    return done
