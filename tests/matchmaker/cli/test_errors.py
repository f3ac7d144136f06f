"""How every `matchmaker` command ends on a bad setting, database or revision: one line."""

import logging
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from matchmaker.cli import Commands
from matchmaker.cli.main import app
from matchmaker.db import head_revision
from tests.postgres import free_port

RULES_ADD = ["rules", "add", "FR", "associated", "--from", "2026-01-01", "--source", "a note"]
EVERY_DATABASE_COMMAND = [
    ["db", "upgrade"],
    ["keys", "list"],
    ["keys", "create", "--role", "admin"],
    ["keys", "revoke", "1"],
    ["notify", "run"],
    RULES_ADD,
    ["import", "calls", "calls.json"],
]
NOT_MIGRATED = [["keys", "list"], ["keys", "revoke", "1"], ["notify", "run"], RULES_ADD]


def _sqlite(path: Path) -> dict[str, str]:
    return {"MATCHMAKER_DATABASE_URL": f"sqlite:///{path}"}


@pytest.mark.parametrize("command", EVERY_DATABASE_COMMAND)
def test_a_setting_out_of_range_ends_a_command_with_one_line(
    command: list[str], tmp_path: Path
) -> None:
    """A setting out of its range is named by its variable, in one line, exit code 1."""
    env = {**_sqlite(tmp_path / "m.db"), "MATCHMAKER_CLAIM_LINK_HOURS": "1000"}
    result = CliRunner().invoke(app, command, env=env)

    assert (result.exit_code, result.output) == (
        1,
        "Error: MATCHMAKER_CLAIM_LINK_HOURS: Input should be less than or equal to 720\n",
    )


def test_several_bad_settings_are_named_on_one_line(tmp_path: Path) -> None:
    """Every bad setting is named, in the order Settings declares them, never its value."""
    env = {
        **_sqlite(tmp_path / "m.db"),
        "MATCHMAKER_CLAIM_LINK_HOURS": "0",
        "MATCHMAKER_MAX_BODY_BYTES": "12",
    }
    result = CliRunner().invoke(app, ["db", "upgrade"], env=env)

    assert (result.exit_code, result.output) == (
        1,
        "Error: MATCHMAKER_MAX_BODY_BYTES: Input should be greater than or equal to 1024; "
        "MATCHMAKER_CLAIM_LINK_HOURS: Input should be greater than or equal to 1\n",
    )


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("matchmaker.db", "this is not a database URL"),
        ("mysql://user@localhost/matchmaker", "mysql is not supported"),
    ],
)
def test_a_database_url_the_service_cannot_use_is_refused(url: str, said: str) -> None:
    """A URL that does not parse, or names another database, is refused before connecting."""
    result = CliRunner().invoke(app, ["db", "upgrade"], env={"MATCHMAKER_DATABASE_URL": url})

    assert (result.exit_code, result.output) == (
        1,
        f"Error: MATCHMAKER_DATABASE_URL: {said}; give sqlite:///FILE or "
        "postgresql+psycopg://user:password@host/dbname\n",
    )


def test_a_sqlite_file_in_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    """A SQLite file that cannot be opened says so and what to check, without a traceback."""
    url = f"sqlite:///{tmp_path / 'missing' / 'm.db'}"
    result = CliRunner().invoke(app, ["db", "upgrade"], env={"MATCHMAKER_DATABASE_URL": url})

    assert (result.exit_code, result.output) == (
        1,
        f"Error: the SQLite database {url} cannot be opened (unable to open database file); "
        "check MATCHMAKER_DATABASE_URL and that the file's folder exists and can be written.\n",
    )


def test_an_unreachable_postgresql_server_is_one_line_without_the_services_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A refused connection names the server (never its password) and logs nothing of what
    the service would do (answer from memory, 503)."""
    url = f"postgresql+psycopg://matchmaker:s3cret@127.0.0.1:{free_port()}/matchmaker"
    with caplog.at_level(logging.WARNING):
        result = CliRunner().invoke(app, ["keys", "list"], env={"MATCHMAKER_DATABASE_URL": url})

    shown = url.replace("s3cret", "***")
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: the database {shown} cannot be reached (")
    assert result.output.endswith(
        "); check MATCHMAKER_DATABASE_URL and that the server is running.\n"
    )
    assert result.output.count("\n") == 1
    assert "s3cret" not in result.output
    assert caplog.records == []


@pytest.mark.parametrize("command", [["db", "upgrade", "f00d"], ["db", "downgrade", "f00d"]])
def test_an_unknown_revision_is_one_line(command: list[str], tmp_path: Path) -> None:
    """Alembic's refusal of a revision it does not know is the error, not a traceback."""
    result = CliRunner().invoke(app, command, env=_sqlite(tmp_path / "m.db"))

    assert (result.exit_code, result.output) == (
        1,
        "Error: Can't locate revision identified by 'f00d'.\n",
    )


@pytest.mark.parametrize("command", NOT_MIGRATED)
def test_commands_refuse_a_database_without_tables(command: list[str], tmp_path: Path) -> None:
    """Keys, notifications and rules on a database never migrated say to migrate it."""
    (tmp_path / "m.db").touch()
    result = CliRunner().invoke(app, command, env=_sqlite(tmp_path / "m.db"))

    assert result.exit_code == 1
    assert result.output.endswith(
        "Error: the database has no tables yet; run `matchmaker db upgrade` first.\n"
    )


@pytest.mark.parametrize("command", [*NOT_MIGRATED, ["import", "calls", "calls.json"]])
def test_commands_on_a_missing_sqlite_file_leave_none_behind(
    command: list[str], tmp_path: Path
) -> None:
    """A SQLite file that does not exist is named, and not created empty, which the next
    command would take for a database never migrated."""
    missing = tmp_path / "m.db"
    result = CliRunner().invoke(app, command, env=_sqlite(missing))

    assert result.exit_code == 1
    assert result.output.endswith(
        f"Error: the SQLite file {missing} does not exist; run `matchmaker db upgrade` first "
        "(it creates it), or check MATCHMAKER_DATABASE_URL.\n"
    )
    assert not missing.exists()


def test_commands_refuse_a_database_behind_this_version(tmp_path: Path) -> None:
    """A database one migration behind is named with both revisions, not written to."""
    runner = CliRunner()
    env = _sqlite(tmp_path / "m.db")
    runner.invoke(app, ["db", "upgrade"], env=env)
    down = runner.invoke(app, ["db", "downgrade", "--", "-1"], env=env)
    current = down.output.removeprefix("Database at revision ").removesuffix(".\n")

    result = runner.invoke(app, ["keys", "create", "--role", "admin"], env=env)

    assert (result.exit_code, result.output) == (
        1,
        f"Error: the database is at schema revision {current}, this version of matchmaker "
        f"uses {head_revision()}; run `matchmaker db upgrade` first.\n",
    )


def test_a_database_locked_past_the_busy_timeout_is_one_line(tmp_path: Path) -> None:
    """A write that waited out the busy timeout for another writer's lock is one line."""
    database = tmp_path / "m.db"
    env = {**_sqlite(database), "MATCHMAKER_SQLITE_BUSY_TIMEOUT_MS": "50"}
    CliRunner().invoke(app, ["db", "upgrade"], env=env)
    with closing(sqlite3.connect(database, isolation_level=None)) as holder:
        holder.execute("BEGIN IMMEDIATE")
        result = CliRunner().invoke(app, ["keys", "create", "--role", "admin"], env=env)

    assert (result.exit_code, result.output) == (
        1,
        "Error: the database refused the command (database is locked).\n",
    )


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_sqlite_database_is_refused(url: str) -> None:
    """`serve` failed with a TypeError traceback on one; other commands each saw an empty one."""
    result = CliRunner().invoke(app, ["keys", "list"], env={"MATCHMAKER_DATABASE_URL": url})

    assert (result.exit_code, result.output) == (
        1,
        "Error: MATCHMAKER_DATABASE_URL: an in-memory SQLite database cannot be shared; give "
        "sqlite:///FILE\n",
    )


def test_outage_warnings_wait_for_the_services_logging() -> None:
    """Before `serve` hands uvicorn the service's logging, the engine's outage warnings (which
    describe the running service) are left out; once it is set up, they are logged."""
    commands = typer.Typer(cls=Commands)
    outages = logging.getLogger("matchmaker.db")
    service_logging = logging.NullHandler()
    heard: list[str] = []

    class Hear(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            heard.append(record.getMessage())

    @commands.command()
    def before() -> None:
        outages.warning("before the service logs")

    @commands.command()
    def serving() -> None:
        logging.getLogger("matchmaker").addHandler(service_logging)  # as uvicorn's config does
        outages.warning("while the service logs")

    hearing = Hear()
    outages.addHandler(hearing)
    try:
        assert CliRunner().invoke(commands, ["before"]).exit_code == 0
        assert CliRunner().invoke(commands, ["serving"]).exit_code == 0
    finally:
        outages.removeHandler(hearing)
        logging.getLogger("matchmaker").removeHandler(service_logging)

    assert heard == ["while the service logs"]
    assert outages.filters == []


@pytest.mark.parametrize(
    "command",
    [["serve"], ["db", "upgrade"], ["db", "downgrade", "base"], ["keys", "list"]],
)
def test_a_database_a_newer_version_migrated_is_named_as_such(
    command: list[str], tmp_path: Path
) -> None:
    """A revision this code does not know was said to need `db upgrade` (which then failed on
    it) or was Alembic's bare "Can't locate revision"."""
    database = tmp_path / "m.db"
    env = _sqlite(database)
    CliRunner().invoke(app, ["db", "upgrade"], env=env)
    with closing(sqlite3.connect(database)) as connection, connection:
        connection.execute("UPDATE alembic_version SET version_num = 'f00dcafe0001'")

    result = CliRunner().invoke(app, command, env=env)

    assert (result.exit_code, result.output) == (
        1,
        "Error: the database is at schema revision f00dcafe0001, which this version of "
        "matchmaker does not know: a newer version migrated it. Run that version, or undo its "
        f"migrations with it: `matchmaker db downgrade {head_revision()}`.\n",
    )
