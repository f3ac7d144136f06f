"""The `matchmaker sync` commands: keep calls current with a source, once or repeatedly."""

from datetime import datetime
from pathlib import Path
from typing import Annotated

import httpx
import typer
from sqlalchemy import make_url
from sqlalchemy.exc import OperationalError

from matchmaker.cli import (
    Commands,
    database_error,
    fail,
    migrated_engine,
    read_settings,
    refuse_an_unwritable_file,
)
from matchmaker.cli.imports import _progress_bar
from matchmaker.errors import Unavailable
from matchmaker.importers.runner import SourceError
from matchmaker.importers.sync import (
    IDENTIFIERS_SHOWN,
    SyncSummary,
    parse_interval,
    repeat,
    sync_calls,
)

sync_app = typer.Typer(help="Keep calls current with a source.", no_args_is_help=True, cls=Commands)


@sync_app.callback()
def sync_group() -> None:
    """Keep calls current with a source (`sync calls`), once or repeatedly."""
    # A callback keeps `sync` a group of commands, though it has one so far.


def _interval(value: str) -> float:
    """--every's INTERVAL in seconds; a malformed one is a wrong command line (exit code 2)."""
    try:
        return parse_interval(value)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


def default_state_path(database_url: str) -> Path | None:
    """Beside a SQLite database file: `<file>.calls-sync.json`; None for other databases."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(f"{url.database}.calls-sync.json")
    return None


@sync_app.command("calls")
def sync_calls_command(
    ctx: typer.Context,
    source: Annotated[
        str,
        typer.Argument(
            metavar="SOURCE",
            help="A topics CSV, a JSON list of calls or a page of the Funding & Tenders "
            "Portal's topic search results: a path or an http(s) URL.",
        ),
    ],
    interval: Annotated[
        float | None,
        typer.Option(
            "--every",
            parser=_interval,
            metavar="INTERVAL",
            help="Sync again every INTERVAL (such as 6h, 30m, 1d: a unit is required) until "
            "stopped; without it, sync once.",
        ),
    ] = None,
    state: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Where to remember which calls each source listed (JSON). Default: "
            "<database file>.calls-sync.json beside a SQLite database; required otherwise.",
        ),
    ] = None,
    every_identifier: Annotated[
        bool,
        typer.Option(
            "--all",
            help=f"List every identifier created, updated or closed (default: the first "
            f"{IDENTIFIERS_SHOWN} of each, then how many more).",
        ),
    ] = False,
    rounds: Annotated[int | None, typer.Option(min=1, hidden=True)] = None,
) -> None:
    """Create new calls, update changed ones and close those the source no longer lists."""
    client = ctx.obj.get("http_client") if isinstance(ctx.obj, dict) else None
    if client is not None and not isinstance(client, httpx.Client):
        fail("http_client must be an httpx.Client.")
    state_path = state or default_state_path(read_settings().database_url)
    if state_path is None:
        fail("the database is not a SQLite file; name a state file with --state FILE.")
    if state is not None:
        refuse_an_unwritable_file(state, "--state")
    engine = migrated_engine()

    def once() -> SyncSummary:
        with _progress_bar() as progress:
            return sync_calls(
                engine, source, state_path=state_path, client=client, progress=progress
            )

    try:
        if interval is None:
            try:
                summary = once()
            except SourceError as error:
                fail(str(error))
            _print(summary, every_identifier=every_identifier)
            return

        def round_(number: int) -> None:
            stamp = datetime.now().astimezone().isoformat(timespec="seconds")
            typer.echo(f"[{stamp}] sync {number}")
            try:
                _print(once(), every_identifier=every_identifier)
            except SourceError as error:  # a failed round waits for the next one
                typer.echo(f"Error: {error}", err=True)
            except (Unavailable, OperationalError) as error:  # a restarting or locked database
                typer.echo(f"Error: {database_error(error)}", err=True)

        repeat(round_, interval, rounds=rounds)
    finally:
        engine.dispose()


def _print(summary: SyncSummary, *, every_identifier: bool) -> None:
    for line in summary.lines(shown=None if every_identifier else IDENTIFIERS_SHOWN):
        typer.echo(line)
