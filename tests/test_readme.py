"""The README stays honest about settings and set-up."""

import re
from pathlib import Path

from typer.testing import CliRunner

from matchmaker.cli.main import app
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


def test_commands_table_names_the_arguments_each_command_takes() -> None:
    """Each command in README's table takes, by the same names, the arguments it lists there
    (its `--help` usage line shows `{NAME}` when required, `[NAME]` when optional)."""
    section = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("`")[1] for line in section.splitlines() if line.startswith("| `")]
    differ = []
    for row in rows:
        # Options and their values (`[--state FILE]`, `--from DATE`) are not arguments.
        positional = re.sub(r"\[--[^\]]*\]|--[\w-]+(?: [^-\s]\S*)?", "", row)
        words = positional.removeprefix("matchmaker ").split()
        command = [word for word in words if re.fullmatch(r"[a-z]+(?:-[a-z]+)*", word)]
        arguments = [
            word for word in words if re.fullmatch(r"\[?[A-Z_]+\]?", word) and word != "[OPTIONS]"
        ]
        shown = CliRunner().invoke(app, [*command, "--help"], terminal_width=200).output
        usage = next(line for line in shown.splitlines() if "Usage:" in line)
        expected = [word if word.startswith("[") else "{" + word + "}" for word in arguments]
        if [word for word in usage.split() if word[0] in "[{" and word != "[OPTIONS]"] != expected:
            differ.append((row, usage.strip()))
    assert differ == []
