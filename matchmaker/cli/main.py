"""The `matchmaker` command: serve the API, migrate the database, import data."""

import errno
import os
import socket
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from pydantic import ValidationError
from sqlalchemy import Engine, make_url
from sqlmodel import Session

from matchmaker import db, keys
from matchmaker.auth import OPERATOR
from matchmaker.cli import (
    Commands,
    fail,
    migrated_engine,
    read_settings,
    refuse_an_unknown_revision,
)
from matchmaker.cli.evaluate import evaluate_command
from matchmaker.cli.imports import import_app
from matchmaker.cli.logs import log_config
from matchmaker.cli.notify import SMTP_UNSET, notify_app
from matchmaker.cli.rules import rules_app
from matchmaker.cli.sync import sync_app
from matchmaker.errors import Conflict, DomainError
from matchmaker.messages import human_message
from matchmaker.settings import get_settings
from models.apikey import ROLE_ALIASES, KeyCreate, KeyRole
from models.common import MAX_ID, as_utc, utc_now

# uvicorn's default is 5 s. A worker fitting a large index, or starved of CPU under load, can
# miss a 5 s ping; the supervisor then kills it mid-request and the replacement fits again
# (seen with 4 workers on 2 cores: benchmarks/startup.py and benchmarks/load.py).
WORKER_HEALTHCHECK_TIMEOUT = 120
# `keys list` prints at most this many keys.
MAX_KEYS_LISTED = 10_000
# The files SQLite keeps beside a database in WAL mode.
SIDECARS = ("-wal", "-shm")
# How `keys create` names the fields of a key, for its errors.
_KEY_OPTIONS = {"role": "--role", "organisation_id": "--organisation", "label": "--label"}

app = typer.Typer(
    help="Partner suggestions for research consortia.", no_args_is_help=True, cls=Commands
)
db_app = typer.Typer(
    help="Database commands: migrations and backups.", no_args_is_help=True, cls=Commands
)
app.add_typer(db_app, name="db")
keys_app = typer.Typer(help="API key commands.", no_args_is_help=True, cls=Commands)
app.add_typer(keys_app, name="keys")
app.add_typer(import_app, name="import")
app.add_typer(notify_app, name="notify")
app.add_typer(rules_app, name="rules")
app.add_typer(sync_app, name="sync")
app.command("evaluate")(evaluate_command)


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(metavar="REVISION", help="Target revision.")] = "head",
) -> None:
    """Apply the database migrations (to the latest revision by default)."""
    engine = db.create_db_engine(read_settings())
    refuse_an_unknown_revision(engine)
    db.upgrade(engine, revision)
    typer.echo(_at_revision(engine))
    engine.dispose()


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(metavar="REVISION", help="Target revision.")],
) -> None:
    """Undo migrations down to a revision (`base` removes every table)."""
    engine = db.create_db_engine(read_settings())
    refuse_an_unknown_revision(engine)
    db.downgrade(engine, revision)
    typer.echo(_at_revision(engine))
    engine.dispose()


def _at_revision(engine: Engine) -> str:
    """Where the migrations left the database, in a sentence."""
    current = db.current_revision(engine)
    if current is None:
        return "Database at base: every migration undone, it holds no tables."
    return f"Database at revision {current}."


# What `db backup` says a FILE is that is not a regular file, by its kind (`stat`'s tests).
_SPECIAL_FILES = (
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
)


def _not_a_regular_file(file: Path) -> str | None:
    """What an existing FILE is when it is not a regular file (a device, a FIFO, a socket, a
    symbolic link), or None: renamed over, it would be replaced by the copy, and a device such
    as /dev/null replaced by a file breaks everything that writes to it."""
    try:
        mode = file.lstat().st_mode
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISREG(mode):
        return None
    return next((kind for test, kind in _SPECIAL_FILES if test(mode)), "not a regular file")


@db_app.command("backup")
def db_backup(
    file: Annotated[
        Path,
        typer.Argument(metavar="FILE", help="Where to write the copy (replaced if it exists)."),
    ],
) -> None:
    """Copy the SQLite database to FILE while the service runs (SQLite's online backup).

    FILE is readable by its owner only (mode 0600): it holds contact addresses and webhook
    secrets. For PostgreSQL use pg_dump (README, Operations).
    """
    settings = read_settings()
    if not db.is_sqlite(settings.database_url):
        fail("the database is not SQLite; back PostgreSQL up with pg_dump.")
    source = make_url(settings.database_url).database or ""
    if source in ("", ":memory:") or not Path(source).is_file():
        fail(f"there is no SQLite database file at {source!r}; check MATCHMAKER_DATABASE_URL.")
    if file.is_dir():
        fail(f"{file} is a folder; name the file to write, such as {file / 'matchmaker.db'}.")
    if not file.parent.is_dir():
        fail(f"the folder {file.parent} does not exist; create it or name another.")
    database = Path(source).resolve()
    if file.resolve() in {database, *(database.with_name(database.name + end) for end in SIDECARS)}:
        # Renamed over the live file, the copy would take the place of the database the
        # service is writing to, and its later writes would be lost.
        fail(f"{file} is the database itself; name another file for the copy.")
    kind = _not_a_regular_file(file)
    if kind is not None:
        fail(f"{file} is {kind}, which the copy would replace; name a file to write.")
    try:
        pages = db.backup_sqlite(settings.database_url, file)
    except (OSError, sqlite3.Error) as error:
        fail(f"could not write the copy to {file} ({error}).")
    typer.echo(f"Backed up the database to {file} ({pages} pages).")


@contextmanager
def _writing(*, read_only: bool = False) -> Iterator[Session]:
    """A committed session on the configured database (or one that only reads); domain errors
    end the command cleanly."""
    engine = migrated_engine()
    try:
        scoped = engine if read_only else db.for_writing(engine)
        with db.session_scope(scoped, read_only=read_only) as session:
            yield session
    except DomainError as error:
        fail(error.detail)
    finally:
        engine.dispose()


def _key_role(value: str) -> KeyRole:
    """A role by its name or an old name of it (coordinator)."""
    try:
        return KeyRole(value)
    except ValueError:
        names = ", ".join([*KeyRole, *ROLE_ALIASES])
        raise typer.BadParameter(f"{value!r} is not a role; choose one of {names}.") from None


@keys_app.command("create")
def keys_create(
    role: Annotated[
        KeyRole,
        typer.Option(
            parser=_key_role,
            metavar="[admin|publisher|organisation]",
            help="What the key may do: admin everything; publisher publish calls and change "
            "the calls it published (coordinator, its old name, is still accepted); "
            "organisation act for one organisation.",
        ),
    ],
    organisation: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=MAX_ID,
            help="The organisation an organisation key belongs to (required for that role, "
            "refused for the others).",
        ),
    ] = None,
    label: Annotated[
        str, typer.Option(help="A note on who holds the key (one line, 200 characters at most).")
    ] = "",
) -> None:
    """Issue an API key and print its token (shown this once; only its hash is stored)."""
    # The service's own words name the API's field (organisation_id); here it is an option.
    if role is KeyRole.organisation and organisation is None:
        fail("an organisation key acts for one organisation: name it with --organisation ID.")
    if role is not KeyRole.organisation and organisation is not None:
        fail(f"{role.value} keys act for no organisation: leave --organisation out.")
    try:
        data = KeyCreate(role=role, organisation_id=organisation, label=label)
    except ValidationError as error:
        fail(
            "; ".join(
                f"{_KEY_OPTIONS.get(str(problem['loc'][0]), problem['loc'][0])}: "
                f"{human_message(problem)}"
                if problem["loc"]
                else human_message(problem)
                for problem in error.errors(include_url=False)
            )
        )
    with _writing() as session:
        try:
            key, token = keys.issue_key(session, data=data, actor=OPERATOR)
        except Conflict:
            # The one conflict issuing a key meets (`keys._check_room`): the organisation holds
            # the most keys that are not revoked. Its words name the API's route to revoke one;
            # here the command that does it is named.
            fail(
                f"organisation {organisation} already has {keys.MAX_ACTIVE_KEYS} keys that are "
                "not revoked; revoke one with `matchmaker keys revoke ID` (`matchmaker keys "
                f"list --organisation {organisation}` lists them) before issuing another."
            )
    typer.echo(f"Key {key.id} ({data.role}): {token}")


@keys_app.command("list")
def keys_list(
    organisation: Annotated[
        int | None, typer.Option(min=1, max=MAX_ID, help="Only the keys of this organisation.")
    ] = None,
) -> None:
    """List the API keys, oldest first, with when each was issued and revoked.

    Tokens are never shown: only their hashes are stored.
    """
    with _writing(read_only=True) as session:
        rows, total = keys.list_keys(
            session, actor=OPERATOR, organisation_id=organisation, limit=MAX_KEYS_LISTED, offset=0
        )
    for key in rows:
        owner = f", organisation {key.organisation_id}" if key.organisation_id else ""
        label = f" {key.label!r}" if key.label else ""
        ended = (
            f"revoked {as_utc(key.revoked_at):%Y-%m-%d %H:%M} UTC" if key.revoked_at else "active"
        )
        typer.echo(
            f"Key {key.id} ({key.role}{owner}){label}: issued "
            f"{as_utc(key.created_at):%Y-%m-%d %H:%M} UTC, {ended}"
        )
    if not rows:
        typer.echo(
            "No keys." if organisation is None else f"Organisation {organisation} has no keys."
        )
    elif total > len(rows):
        typer.echo(f"(the first {len(rows)} of {total})")


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[int, typer.Argument(metavar="ID", min=1, max=MAX_ID, help="The key's id.")],
) -> None:
    """Revoke an API key for good."""
    started = utc_now()
    with _writing() as session:
        key = keys.revoke_key(session, key_id=key_id, actor=OPERATOR)
        revoked_at = as_utc(key.revoked_at) if key.revoked_at else None
    if revoked_at is not None and revoked_at < started:
        typer.echo(f"Key {key_id} was already revoked, on {revoked_at:%Y-%m-%d %H:%M} UTC.")
        return
    typer.echo(f"Key {key_id} revoked.")


@app.command()
def serve(
    host: Annotated[str, typer.Option(metavar="ADDRESS", help="Address to listen on.")] = (
        "127.0.0.1"
    ),
    port: Annotated[
        int, typer.Option(min=1, max=65535, metavar="PORT", help="Port to listen on.")
    ] = 8000,
    workers: Annotated[int, typer.Option(min=1, metavar="N", help="Worker processes.")] = 1,
    worker_healthcheck_timeout: Annotated[
        int,
        typer.Option(
            min=1,
            metavar="SECONDS",
            help="Seconds a worker may take to answer the supervisor's ping before it is "
            "killed and replaced (with --workers above 1).",
        ),
    ] = WORKER_HEALTHCHECK_TIMEOUT,
    demo: Annotated[
        bool | None,
        typer.Option(
            "--demo/--no-demo",
            help="Load the demo data into an empty database; by default only into SQLite, "
            "never into PostgreSQL unless --demo says so.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Migrate the database, load the demo data if it is empty (SQLite), and serve the API.

    It also serves the web interface (/ui) and the API docs (/docs, /redoc).

    Notifications are delivered in the background every MATCHMAKER_DELIVERY_INTERVAL seconds.
    Their links lead to MATCHMAKER_PUBLIC_BASE_URL, or else to the address served on.
    """
    settings = read_settings()
    _refuse_a_port_in_use(host, port)
    engine = db.create_db_engine(settings)
    refuse_an_unknown_revision(engine)
    db.upgrade(engine)
    if loads_demo(demo, settings.database_url):
        from matchmaker.importers.demo import load_demo

        loaded = load_demo(engine)
        if loaded:
            typer.echo(f"Loaded the demo data: {loaded}.")
    typer.echo(
        f"Database: {make_url(settings.database_url).render_as_string(hide_password=True)} "
        f"at revision {db.current_revision(engine)}"
    )
    engine.dispose()
    base = _served_at(host, port)
    typer.echo(f"Web interface: {base}/ui/calls")
    typer.echo(f"API docs: {base}/docs (ReDoc: {base}/redoc)")
    if "public_base_url" in settings.model_fields_set:
        typer.echo(f"E-mail links: {settings.public_base_url} (MATCHMAKER_PUBLIC_BASE_URL)")
    else:
        served_at = _served_at(host, port, loopback="localhost")
        # The worker processes read their settings afresh and inherit this environment: each
        # links to where this command serves, not to the default port.
        os.environ["MATCHMAKER_PUBLIC_BASE_URL"] = served_at
        get_settings.cache_clear()
        typer.echo(
            f"E-mail links: {served_at}, the address served on; for a public deployment set "
            "MATCHMAKER_PUBLIC_BASE_URL to the address people reach the service at."
        )
    if settings.smtp_url is None:
        typer.echo(SMTP_UNSET)
    uvicorn.run(
        "api.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        timeout_worker_healthcheck=worker_healthcheck_timeout,
        timeout_graceful_shutdown=settings.shutdown_timeout,
        log_config=log_config(),
        log_level="info",
    )


def loads_demo(demo: bool | None, database_url: str) -> bool:
    """Whether `serve` loads the demo data into an empty database: as --demo or --no-demo
    says, and by default only into SQLite, the embedded default a first try runs on. An empty
    PostgreSQL database is more likely a deployment's first start, which demo organisations
    and calls would fill with made-up data."""
    return db.is_sqlite(database_url) if demo is None else demo


def _served_at(host: str, port: int, *, loopback: str | None = None) -> str:
    """The base URL of `serve --host HOST --port PORT`. A wildcard address listens on every
    interface, and this machine answers on loopback: it is shown as 127.0.0.1, or as `loopback`
    when given, which also names a loopback address (the links in e-mails say localhost)."""
    if host in {"0.0.0.0", "::", ""} or (loopback and host in {"127.0.0.1", "::1"}):  # noqa: S104
        host = loopback or "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _refuse_a_port_in_use(host: str, port: int) -> None:
    """End the command if the address cannot be listened on: uvicorn finds out only after
    the application started, which fits the matching index first."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As uvicorn binds: a port left in TIME_WAIT by a stopped server is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            hint = (
                "stop what uses it or choose another --port"
                if error.errno == errno.EADDRINUSE
                else "check --host"
            )
            fail(f"cannot listen on {host}:{port} ({error.strerror or error}); {hint}.")


def main() -> None:
    """Entry point for `python -m matchmaker.cli.main`."""
    app()


if __name__ == "__main__":
    main()
