"""The `matchmaker` command: the place that wires settings, database, services and importers."""

import logging
import os
from pathlib import Path
from typing import Any, NoReturn

import typer
from alembic.util import CommandError
from pydantic import ValidationError
from sqlalchemy import Engine, make_url
from sqlalchemy.exc import OperationalError
from typer.core import TyperGroup

from matchmaker import db
from matchmaker.errors import Unavailable
from matchmaker.settings import Settings, get_settings, unknown_variables

# The engine's warnings when the database cannot be reached or written describe what the
# running service does (reads from memory, 503); a command that stops says it in its error.
# They are logged once the service's logging is set up (`serve` hands uvicorn its config).
_OUTAGE_LOGGER = "matchmaker.db"
_SERVICE_LOGGER = "matchmaker"


def read_settings() -> Settings:
    """The settings, as every command reads them. Their first read in a process (or since the
    cache was cleared) first says on stderr, in one `Warning:` line each, which `MATCHMAKER_*`
    variables name no setting and are ignored: a misspelt one would leave its default in force
    without a word. The command goes on."""
    if not get_settings.cache_info().currsize:
        for warning in unknown_variables(os.environ):
            typer.echo(f"Warning: {warning}", err=True)
    return get_settings()


def fail(message: str) -> NoReturn:
    """End the command with `Error: <message>` on stderr and exit code 1, no traceback."""
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code=1)


def settings_error(error: ValidationError) -> str:
    """A settings validation error in one line, by environment variable (values not shown:
    some are secrets)."""
    return "; ".join(
        f"{Settings.model_config.get('env_prefix', '')}{str(problem['loc'][0]).upper()}: "
        f"{problem['msg'].removeprefix('Value error, ')}"
        if problem["loc"]
        else problem["msg"]
        for problem in error.errors(include_url=False)
    )


def unreachable_error(error: Unavailable) -> str:
    """Why the configured database cannot be reached, in one line."""
    url = make_url(read_settings().database_url).render_as_string(hide_password=True)
    cause = error.__cause__
    reason = " ".join(str(getattr(cause, "orig", None) or cause or error.detail).split())
    if db.is_sqlite(url):
        return (
            f"the SQLite database {url} cannot be opened ({reason}); check "
            "MATCHMAKER_DATABASE_URL and that the file's folder exists and can be written."
        )
    return (
        f"the database {url} cannot be reached ({reason}); check MATCHMAKER_DATABASE_URL "
        "and that the server is running."
    )


def database_error(error: Unavailable | OperationalError) -> str:
    """What went wrong with the database, in one line."""
    if isinstance(error, Unavailable):
        return unreachable_error(error)
    reason = " ".join(str(error.orig).split())
    return f"the database refused the command ({reason})."


def refuse_an_unknown_revision(engine: Engine) -> None:
    """End the command if a newer version of matchmaker migrated the database."""
    current = db.current_revision(engine)
    if current is not None and current not in db.known_revisions():
        engine.dispose()
        fail(
            f"the database is at schema revision {current}, which this version of matchmaker "
            "does not know: a newer version migrated it. Run that version, or undo its "
            f"migrations with it: `matchmaker db downgrade {db.head_revision()}`."
        )


def missing_sqlite_file(database_url: str) -> str | None:
    """The path of a SQLite database file that does not exist, or None (it exists, or the
    database is not a SQLite file). Connecting would leave an empty file behind, which the next
    command takes for a database that was never migrated."""
    url = make_url(database_url)
    if db.is_sqlite(database_url) and url.database and not Path(url.database).exists():
        return url.database
    return None


def no_sqlite_file(path: str) -> str:
    """What to do about a SQLite database file that does not exist, in a sentence."""
    return (
        f"the SQLite file {path} does not exist; run `matchmaker db upgrade` first (it creates "
        "it), or check MATCHMAKER_DATABASE_URL."
    )


def refuse_an_unwritable_file(path: Path, option: str) -> None:
    """End the command if `option`'s FILE cannot be written: it is a folder, or its folder does
    not exist. Checked before the command's work, not after it (an import's database writes, a
    benchmark's minutes)."""
    if path.is_dir():
        fail(f"{option} {path} is a folder; name the file to write.")
    if not path.parent.is_dir():
        fail(f"{option}: the folder {path.parent} does not exist; create it or name another.")


def migrated_engine() -> Engine:
    """An engine on the configured database, which must be at this version's schema revision."""
    settings = read_settings()
    missing = missing_sqlite_file(settings.database_url)
    if missing is not None:
        fail(no_sqlite_file(missing))
    engine = db.create_db_engine(settings)
    refuse_an_unknown_revision(engine)
    current, head = db.current_revision(engine), db.head_revision()
    if current != head:
        engine.dispose()
        if current is None:
            fail("the database has no tables yet; run `matchmaker db upgrade` first.")
        fail(
            f"the database is at schema revision {current}, this version of matchmaker uses "
            f"{head}; run `matchmaker db upgrade` first."
        )
    return engine


class Commands(TyperGroup):
    """A group of commands that ends on a bad setting, an unreachable database or an unknown
    revision with one `Error:` line and exit code 1, not a traceback. A value an option refuses
    is said without pydantic's "Value error, " (Typer validates choices with pydantic)."""

    def invoke(self, ctx: Any) -> Any:
        """Run the command; the engine's outage warnings wait for the service's logging."""
        outages = logging.getLogger(_OUTAGE_LOGGER)

        def only_when_serving(_record: logging.LogRecord) -> bool:
            return bool(logging.getLogger(_SERVICE_LOGGER).handlers)

        outages.addFilter(only_when_serving)
        try:
            return super().invoke(ctx)
        except typer.BadParameter as error:
            error.message = error.message.removeprefix("Value error, ")
            raise
        except ValidationError as error:
            if error.title != Settings.__name__:
                raise
            fail(settings_error(error))
        except (Unavailable, OperationalError) as error:
            fail(database_error(error))
        except CommandError as error:  # Alembic: an unknown or ambiguous revision
            fail(f"{error}.")
        finally:
            outages.removeFilter(only_when_serving)
