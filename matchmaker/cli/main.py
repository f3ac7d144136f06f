"""The `matchmaker` command: serve the API, migrate the database, import data."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
import uvicorn
from sqlmodel import Session

from matchmaker import db, keys
from matchmaker.auth import OPERATOR
from matchmaker.cli.evaluate import evaluate_command
from matchmaker.cli.imports import import_app
from matchmaker.errors import DomainError
from matchmaker.settings import get_settings
from models.apikey import KeyCreate, KeyRole

# uvicorn's default is 5 s. A worker fitting a large index, or starved of CPU under load, can
# miss a 5 s ping; the supervisor then kills it mid-request and the replacement fits again
# (seen with 4 workers on 2 cores: benchmarks/startup.py and benchmarks/load.py).
WORKER_HEALTHCHECK_TIMEOUT = 120

app = typer.Typer(help="Partner suggestions for research consortia.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")
keys_app = typer.Typer(help="API key commands.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(import_app, name="import")
app.command("evaluate")(evaluate_command)


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply the database migrations (to the latest revision by default)."""
    engine = db.create_db_engine(get_settings())
    db.upgrade(engine, revision)
    typer.echo(f"Database at revision {db.current_revision(engine)}.")
    engine.dispose()


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target revision.")]) -> None:
    """Undo migrations down to a revision (`base` removes every table)."""
    engine = db.create_db_engine(get_settings())
    db.downgrade(engine, revision)
    typer.echo(f"Database at revision {db.current_revision(engine)}.")
    engine.dispose()


@contextmanager
def _writing() -> Iterator[Session]:
    """A committed session on the configured database; domain errors end the command cleanly."""
    engine = db.create_db_engine(get_settings())
    try:
        with db.session_scope(db.for_writing(engine)) as session:
            yield session
    except DomainError as error:
        typer.echo(f"Error: {error.detail}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


@keys_app.command("create")
def keys_create(
    role: Annotated[KeyRole, typer.Option(help="What the key may do.")],
    organisation: Annotated[
        int | None, typer.Option(help="The organisation an organisation key belongs to.")
    ] = None,
    label: Annotated[str, typer.Option(help="A note on who holds the key.")] = "",
) -> None:
    """Issue an API key and print its token (shown this once; only its hash is stored)."""
    with _writing() as session:
        data = KeyCreate(role=role, organisation_id=organisation, label=label)
        key, token = keys.issue_key(session, data=data, actor=OPERATOR)
    typer.echo(f"Key {key.id} ({role}): {token}")


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[int, typer.Argument(help="The key's id.")]) -> None:
    """Revoke an API key for good."""
    with _writing() as session:
        keys.revoke_key(session, key_id=key_id, actor=OPERATOR)
    typer.echo(f"Key {key_id} revoked.")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    worker_healthcheck_timeout: Annotated[
        int,
        typer.Option(
            min=1,
            help="Seconds a worker may take to answer the supervisor's ping before it is "
            "killed and replaced (with --workers above 1).",
        ),
    ] = WORKER_HEALTHCHECK_TIMEOUT,
    demo: Annotated[
        bool, typer.Option("--demo/--no-demo", help="Load the demo data into an empty database.")
    ] = True,
) -> None:
    """Migrate the database, load the demo data if it is empty, and serve the API."""
    settings = get_settings()
    engine = db.create_db_engine(settings)
    db.upgrade(engine)
    if demo:
        from matchmaker.importers.demo import load_demo

        loaded = load_demo(engine)
        if loaded:
            typer.echo(f"Loaded the demo data: {loaded}.")
    engine.dispose()
    # A wildcard address listens on every interface; this machine answers on loopback.
    shown = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host  # noqa: S104
    base = f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"
    typer.echo(f"Web interface: {base}/ui/calls")
    typer.echo(f"API docs: {base}/docs (ReDoc: {base}/redoc)")
    uvicorn.run(
        "api.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        timeout_worker_healthcheck=worker_healthcheck_timeout,
        log_level="info",
    )


def main() -> None:
    """Entry point for `python -m matchmaker.cli.main`."""
    app()


if __name__ == "__main__":
    main()
