"""`matchmaker db backup FILE`: a consistent copy of a SQLite database, restorable (issue 21)."""

import os
import sqlite3
import stat
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.main import create_app
from matchmaker.cli.main import app
from matchmaker.settings import Settings
from tests.factories import create_call, create_organisation
from tests.servers import ADMIN_TOKEN

TABLES = ("organisations", "calls", "changes", "api_keys")


def _rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(path) as connection:
        return {
            table: connection.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
            for table in TABLES
        }


def test_backup_restores_every_row(tmp_path: Path, sqlite_template: Path) -> None:
    """A backup taken by the command, restored as the database of a new app, holds every row
    and serves the same suggestions."""
    source = tmp_path / "live.db"
    source.write_bytes(sqlite_template.read_bytes())
    settings = Settings(
        database_url=f"sqlite:///{source}", admin_token=ADMIN_TOKEN, write_rate_limit=0
    )
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with TestClient(create_app(settings), headers=admin) as client:
        create_call(client, opening_date=None, deadline=None)
        for n in range(5):
            create_organisation(client, name=f"Liquid Biopsy Lab {n}")
        suggested = client.get("/calls/1/suggestions").json()
        # Taken while the app holds its connections open, as a running service would.
        backup = tmp_path / "backups" / "copy.db"
        backup.parent.mkdir()
        result = CliRunner().invoke(
            app,
            ["db", "backup", str(backup)],
            env={"MATCHMAKER_DATABASE_URL": settings.database_url},
        )
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Backed up the database to {backup} (")
    assert list(backup.parent.iterdir()) == [backup]  # no temporary file left behind

    restored = tmp_path / "restored.db"
    restored.write_bytes(backup.read_bytes())
    assert _rows(restored) == _rows(source)
    restored_settings = Settings(database_url=f"sqlite:///{restored}", index_dir="")
    with TestClient(create_app(restored_settings)) as client:
        assert client.get("/organisations").json()["total"] == 5
        assert client.get("/calls/1/suggestions").json() == suggested


def test_backup_is_readable_by_its_owner_only(tmp_path: Path, sqlite_template: Path) -> None:
    """The copy holds contact addresses and webhook secrets: mode 0600 even under a umask that
    lets everyone read (it was 0644), and also when it replaces a file others could read."""
    source = tmp_path / "live.db"
    source.write_bytes(sqlite_template.read_bytes())
    backup = tmp_path / "copy.db"
    backup.write_bytes(b"")
    backup.chmod(0o644)
    env = {"MATCHMAKER_DATABASE_URL": f"sqlite:///{source}"}
    previous = os.umask(0o022)
    try:
        result = CliRunner().invoke(app, ["db", "backup", str(backup)], env=env)
    finally:
        os.umask(previous)

    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert _rows(backup) == _rows(source)


def test_backup_refuses_postgresql_and_names_pg_dump(tmp_path: Path) -> None:
    """PostgreSQL is backed up with its own tools."""
    result = CliRunner().invoke(
        app,
        ["db", "backup", str(tmp_path / "copy.db")],
        env={"MATCHMAKER_DATABASE_URL": "postgresql+psycopg://u@127.0.0.1:1/x"},
    )
    assert result.exit_code == 1
    assert "pg_dump" in result.output
    assert not (tmp_path / "copy.db").exists()


def test_backup_refuses_a_target_that_is_no_regular_file(
    tmp_path: Path, sqlite_template: Path
) -> None:
    """A named pipe (as a device such as /dev/null would be) or a symbolic link given as FILE
    is refused with one line and left as it was: the copy, renamed over it, replaced it with a
    regular file (`db backup /dev/full` said it had backed up, and /dev/full became a file)."""
    source = tmp_path / "live.db"
    source.write_bytes(sqlite_template.read_bytes())
    env = {"MATCHMAKER_DATABASE_URL": f"sqlite:///{source}"}
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    elsewhere = tmp_path / "elsewhere.db"
    elsewhere.write_bytes(b"")
    link = tmp_path / "link.db"
    link.symlink_to(elsewhere)
    before = sorted(path.name for path in tmp_path.iterdir())

    piped = CliRunner().invoke(app, ["db", "backup", str(fifo)], env=env)
    linked = CliRunner().invoke(app, ["db", "backup", str(link)], env=env)

    assert (piped.exit_code, piped.output) == (
        1,
        f"Error: {fifo} is a named pipe (FIFO), which the copy would replace; name a file to "
        "write.\n",
    )
    assert (linked.exit_code, linked.output) == (
        1,
        f"Error: {link} is a symbolic link, which the copy would replace; name a file to write.\n",
    )
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert link.is_symlink()
    assert elsewhere.read_bytes() == b""
    assert sorted(path.name for path in tmp_path.iterdir()) == before
