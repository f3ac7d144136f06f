"""`matchmaker rules`: the country-status table on the command line."""

from pathlib import Path

from typer.testing import CliRunner

from matchmaker.cli.main import app


def test_rules_show_says_a_country_has_no_rows(tmp_path: Path) -> None:
    """A country without a row is named with the status the rules give it, not a traceback."""
    env = {"MATCHMAKER_DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}"}
    CliRunner().invoke(app, ["db", "upgrade"], env=env)

    shown = CliRunner().invoke(app, ["rules", "show", "--country", "us"], env=env)

    assert (shown.exit_code, shown.output) == (
        0,
        "No rows for US: the rules take it as non_associated (add a row with "
        "`matchmaker rules add`).\n",
    )
