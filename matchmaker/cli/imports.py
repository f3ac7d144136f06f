"""The `matchmaker import` commands: CORDIS organisations and calls from a file or a URL, and
letting a deleted record be imported again."""

import csv
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from sqlalchemy import Engine

from matchmaker import db
from matchmaker.cli import Commands, fail, migrated_engine, refuse_an_unwritable_file
from matchmaker.errors import DomainError
from matchmaker.importers.csv_source import Progress as ProgressCallback
from matchmaker.importers.runner import (
    BATCH_SIZE,
    ImportSummary,
    Rejected,
    SourceError,
    import_calls,
    import_cordis,
)
from matchmaker.trust.history import forget_deleted

import_app = typer.Typer(
    help="Import organisations (CORDIS open data) and calls (CORDIS, JSON, the F&T Portal).",
    no_args_is_help=True,
    cls=Commands,
)


# Where stderr is no terminal (a service's log, a pipe), a line per file as each of these shares
# of it has been read.
QUARTERS = (25, 50, 75, 100)


def _size(count: int) -> str:
    """Bytes as people read a file's size: "48 kB", "12.4 MB"."""
    return f"{count / 1e3:,.0f} kB" if count < 1_000_000 else f"{count / 1e6:,.1f} MB"


def _progress_lines() -> ProgressCallback:
    """Progress as plain lines on stderr: one per file at each quarter read ("organisations.csv:
    50% read (14.6 of 29.1 MB)"), for whoever follows a long import in a log."""
    said: dict[str, int] = {}

    def report(name: str, done: int, total: int) -> None:
        if total <= 0:
            return
        reached = max((q for q in QUARTERS if done * 100 >= q * total), default=0)
        if reached > said.get(name, 0):
            said[name] = reached
            typer.echo(f"{name}: {reached}% read ({_size(done)} of {_size(total)})", err=True)

    return report


@contextmanager
def _progress_bar() -> Iterator[ProgressCallback | None]:
    """A rich progress bar per file on a terminal; plain lines when stderr is redirected."""
    console = Console(stderr=True)
    if not console.is_terminal:
        yield _progress_lines()
        return
    with Progress(
        TextColumn("{task.description:<20}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def report(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=total or None)
            bar.update(tasks[name], completed=done, total=total or None)

        yield report


def _print(summary: ImportSummary) -> None:
    for line in summary.lines():
        typer.echo(line)


def _write_rejected(path: Path, rejected: Sequence[Rejected]) -> None:
    """Every rejected row as CSV (file, line, item, reason), for when the summary shows only
    the first rows of a reason."""
    try:
        with path.open("w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(["file", "line", "item", "reason"])
            writer.writerows([row.file, row.line, row.item, row.reason] for row in rejected)
    except OSError as error:
        fail(f"could not write the rejected rows to {path} ({error.strerror or error}).")


REJECTED_HELP = "Write every rejected row to FILE as CSV (file, line, item, reason)."


def _run(
    run: Callable[[Engine, ProgressCallback | None], ImportSummary],
    *,
    rejected: Path | None = None,
) -> None:
    """Run one import on the migrated database with a progress bar, print its summary, and
    write its rejected rows to `rejected` when given (a FILE checked before the import: the
    import's writes are not undone when the rows cannot be written after it)."""
    if rejected is not None:
        refuse_an_unwritable_file(rejected, "--rejected")
    engine = migrated_engine()
    try:
        with _progress_bar() as progress:
            summary = run(engine, progress)
    except SourceError as error:
        fail(str(error))
    finally:
        engine.dispose()
    _print(summary)
    if rejected is not None:
        _write_rejected(rejected, summary.rejected)


@import_app.command("cordis")
def import_cordis_command(
    directory: Annotated[
        Path,
        typer.Argument(
            metavar="PATH",
            help="CORDIS's download of Horizon Europe projects (cordis-HORIZONprojects-csv.zip, "
            "or the folder it unzips to), or a folder with organisations.csv, "
            "participations.csv, projects.csv and topics.csv.",
        ),
    ],
    batch_size: Annotated[
        int, typer.Option(min=1, help="Organisations written per transaction.")
    ] = BATCH_SIZE,
    rejected: Annotated[
        Path | None, typer.Option("--rejected", metavar="FILE", help=REJECTED_HELP)
    ] = None,
) -> None:
    """Create or update organisations, with their projects as activities, from CORDIS data."""
    _run(
        lambda engine, progress: import_cordis(
            engine, directory, batch_size=batch_size, progress=progress
        ),
        rejected=rejected,
    )


@import_app.command("calls")
def import_calls_command(
    ctx: typer.Context,
    source: Annotated[
        str,
        typer.Argument(
            metavar="FILE_OR_URL",
            help="A CORDIS topics CSV, a JSON list of calls or a page of the Funding & Tenders "
            "Portal's topic search results: a path or an http(s) URL.",
        ),
    ],
    rejected: Annotated[
        Path | None, typer.Option("--rejected", metavar="FILE", help=REJECTED_HELP)
    ] = None,
) -> None:
    """Create or update calls by identifier from a topics CSV, a JSON list or a portal page."""
    # Whoever invokes the command may hand over the HTTP client (the tests use MockTransport).
    client = ctx.obj.get("http_client") if isinstance(ctx.obj, dict) else None
    if client is not None and not isinstance(client, httpx.Client):
        fail("http_client must be an httpx.Client.")
    _run(
        lambda engine, progress: import_calls(engine, source, client=client, progress=progress),
        rejected=rejected,
    )


@import_app.command("forget-deletion")
def forget_deletion_command(
    external_id: Annotated[
        str,
        typer.Argument(
            metavar="EXTERNAL_ID",
            help="The deleted record's external id, as the import report names it, such as "
            "cordis:999991428.",
        ),
    ],
) -> None:
    """Let a deleted record be imported again (when its organisation asks to be listed again).

    A profile with an external id that was deleted (or that such a record was merged into) is
    not created again by imports; this forgets that deletion, and the next import creates it.
    """
    engine = migrated_engine()
    try:
        with db.session_scope(db.for_writing(engine)) as session:
            deleted_at = forget_deleted(session, external_id=external_id.strip())
    except DomainError as error:
        fail(error.detail)
    finally:
        engine.dispose()
    typer.echo(
        f"Forgot that {external_id.strip()} was deleted (on {deleted_at:%Y-%m-%d}): the next "
        "import creates it again."
    )
