"""`matchmaker import`: a --rejected FILE that cannot be written is refused before importing."""

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matchmaker.cli.main import app

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.mark.parametrize(
    "command",
    [
        ["import", "cordis", str(DATA / "cordis")],
        ["import", "calls", str(DATA / "cordis" / "topics.csv")],
    ],
)
def test_import_refuses_a_rejected_file_it_could_not_write_before_importing(
    command: list[str], tmp_path: Path
) -> None:
    """A --rejected FILE in a missing folder, or a folder, is one `Error:` line before the
    import, with the words `db backup` and `evaluate --json` use, and nothing is imported: the
    import wrote the database, printed its summary, then failed to write the rows."""
    database = tmp_path / "m.db"
    env = {"MATCHMAKER_DATABASE_URL": f"sqlite:///{database}"}
    assert CliRunner().invoke(app, ["db", "upgrade"], env=env).exit_code == 0
    nowhere = tmp_path / "nowhere" / "rejected.csv"

    missing = CliRunner().invoke(app, [*command, "--rejected", str(nowhere)], env=env)
    folder = CliRunner().invoke(app, [*command, "--rejected", str(tmp_path)], env=env)

    assert (missing.exit_code, missing.output) == (
        1,
        f"Error: --rejected: the folder {nowhere.parent} does not exist; create it or name "
        "another.\n",
    )
    assert (folder.exit_code, folder.output) == (
        1,
        f"Error: --rejected {tmp_path} is a folder; name the file to write.\n",
    )
    with sqlite3.connect(database) as connection:
        counts = [
            connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("organisations", "calls")
        ]
    assert counts == [0, 0]
