"""The README stays honest about settings and set-up."""

from pathlib import Path

from matchmaker.settings import Settings

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_readme_documents_every_setting() -> None:
    """Each setting's environment variable appears in README's settings table."""
    missing = [
        f"MATCHMAKER_{name.upper()}"
        for name in Settings.model_fields
        if f"`MATCHMAKER_{name.upper()}`" not in README
    ]
    assert missing == []


def test_readme_defaults_match_settings() -> None:
    """The default README states for each setting is the one the code uses."""
    for name, field in Settings.model_fields.items():
        row = next(line for line in README.splitlines() if f"`MATCHMAKER_{name.upper()}`" in line)
        stated = "(none)" if field.default is None else f"`{field.default}`"
        assert stated in row, row


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run executes the test command README gives."""
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "bash scripts/test" in README
    assert "bash scripts/test" in ci
