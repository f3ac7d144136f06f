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


def test_rules_add_names_each_refused_argument_on_one_line(tmp_path: Path) -> None:
    """A refused row names the command's own arguments and options, one line for all of them,
    rather than pydantic's field names over several lines (a bad date named no option)."""
    env = {"MATCHMAKER_DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}"}
    arguments = ["rules", "add", "ZZ", "associated", "--from", "2026-13-01", "--source", "x"]

    refused = CliRunner().invoke(app, [*arguments, "--parts", "pillar-9"], env=env)

    assert (refused.exit_code, refused.output) == (
        1,
        "Error: CC: 'ZZ' is not a country code: give the two-letter ISO 3166-1 code, such as "
        "DE; --parts: Input should be 'all', 'pillar-1', 'pillar-2', 'pillar-3', 'widening' or "
        "'eic-fund'; --from: Input should be a valid date or datetime, month value is outside "
        "expected range of 1-12\n",
    )


def test_rules_add_refuses_a_row_that_would_change_nothing(tmp_path: Path) -> None:
    """Switzerland associated from 1 Jan 2025 repeats the shipped row in force: `rules add`
    says why on one line, exits 1, and adds nothing."""
    env = {"MATCHMAKER_DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}"}
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"], env=env).exit_code == 0
    arguments = ["rules", "add", "CH", "associated", "--from", "2025-01-01", "--source", "x"]

    refused = runner.invoke(app, arguments, env=env)

    assert (refused.exit_code, refused.output) == (
        1,
        "Error: This row would change nothing: Switzerland is already an Associated Country "
        "for the parts it names on every day it covers. Rows are never changed or deleted, so "
        "one that changes nothing is not added.\n",
    )
    shown = runner.invoke(app, ["rules", "show", "--country", "CH"], env=env)
    rows = [line.split() for line in shown.output.splitlines() if line.startswith("CH ")]
    assert [(row[1], row[6]) for row in rows] == [
        ("non_associated", "shipped"),
        ("associated", "shipped"),
    ]
