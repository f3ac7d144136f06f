"""`matchmaker evaluate`: arguments it cannot use are refused before the run, in one line."""

from pathlib import Path

from typer.testing import CliRunner

from matchmaker.cli.main import app

CORDIS_EXTRACT = Path(__file__).resolve().parents[2] / "data" / "cordis"


def test_evaluate_refuses_a_test_pattern_that_is_no_regular_expression() -> None:
    """An unbalanced bracket is named with the regular expression's own complaint."""
    result = CliRunner().invoke(app, ["evaluate", str(CORDIS_EXTRACT), "--test-pattern", "["])

    assert (result.exit_code, result.output) == (
        1,
        "Error: --test-pattern '[' is not a regular expression (unterminated character set at "
        "position 0).\n",
    )


def test_evaluate_refuses_a_json_file_in_a_missing_folder_before_running(tmp_path: Path) -> None:
    """The results are not computed to be lost at the end with a FileNotFoundError."""
    target = tmp_path / "missing" / "results.json"
    result = CliRunner().invoke(app, ["evaluate", str(CORDIS_EXTRACT), "--json", str(target)])

    assert (result.exit_code, result.output) == (
        1,
        f"Error: --json: the folder {target.parent} does not exist; create it or name another.\n",
    )


def test_evaluate_refuses_a_json_path_that_is_a_folder(tmp_path: Path) -> None:
    """A folder given for --json is named as such."""
    result = CliRunner().invoke(app, ["evaluate", str(CORDIS_EXTRACT), "--json", str(tmp_path)])

    assert (result.exit_code, result.output) == (
        1,
        f"Error: --json {tmp_path} is a folder; name the file to write.\n",
    )


def test_evaluate_names_the_splits_without_pydantics_prefix() -> None:
    """A split that is none of the choices is a usage error in plain words: it said "Value
    error, 'sideways' is not one of ...", pydantic's words (Typer checks choices with it)."""
    result = CliRunner().invoke(app, ["evaluate", str(CORDIS_EXTRACT), "--split", "sideways"])

    assert result.exit_code == 2
    said = " ".join(result.output.replace("│", " ").split())
    assert "Invalid value for '--split': 'sideways' is not one of 'random', 'temporal'." in said
    assert "Value error" not in said
