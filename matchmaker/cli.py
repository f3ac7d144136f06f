"""The `matchmaker` command: serve the API, migrate the database, import data."""

from typing import Annotated

import typer
import uvicorn

from matchmaker import db
from matchmaker.settings import get_settings

app = typer.Typer(help="Partner suggestions for research consortia.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema commands.", no_args_is_help=True)
app.add_typer(db_app, name="db")


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


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    demo: Annotated[
        bool, typer.Option("--demo/--no-demo", help="Load the demo data into an empty database.")
    ] = True,
) -> None:
    """Migrate the database, load the demo data if it is empty, and serve the API."""
    settings = get_settings()
    engine = db.create_db_engine(settings)
    db.upgrade(engine)
    if demo:
        from matchmaker.demo import load_demo

        loaded = load_demo(engine)
        if loaded:
            typer.echo(f"Loaded the demo data: {loaded}.")
    engine.dispose()
    uvicorn.run(
        "api.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )


def main() -> None:
    """Entry point for `python -m matchmaker.cli`."""
    app()


if __name__ == "__main__":
    main()
