"""`matchmaker rules`: the country-status table on the command line."""

from pathlib import Path

from typer.testing import CliRunner

from matchmaker.cli.main import app
from matchmaker.country_statuses import sources as sources_cited


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


def test_rules_show_cites_each_rows_source_and_lists_those_of_the_rows_shown(
    tmp_path: Path,
) -> None:
    """Each row's note starts with its source's citation, an added row's too, and the sources
    listed are those of the rows shown: an added row's source was never shown, and all 13
    shipped sources were listed whatever --country kept."""
    env = {"MATCHMAKER_DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}"}
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"], env=env).exit_code == 0
    added = runner.invoke(
        app,
        [
            *("rules", "add", "KE", "funding_eligible", "--from", "2021-01-01"),
            *("--source", "Programme Guide V4.1, 1 April 2026"),
        ],
        env=env,
    )
    assert added.exit_code == 0, added.output

    kenya = runner.invoke(app, ["rules", "show", "--country", "ke"], env=env)
    britain = runner.invoke(app, ["rules", "show", "--country", "GB"], env=env)
    everything = runner.invoke(app, ["rules", "show"], env=env)

    assert kenya.exit_code == 0, kenya.output
    table, sources = kenya.output.split("\n\nSources:\n")
    assert table.splitlines()[1].split()[-2:] == ["added", "[1]"]
    assert sources == "  [1] Programme Guide V4.1, 1 April 2026\n"
    table, sources = britain.output.split("\n\nSources:\n")
    notes = [line.split(" shipped  ")[1] for line in table.splitlines()[1:]]
    assert [note.split("] ")[0] for note in notes] == ["[uk-association-2024"] * 2
    assert sources.splitlines() == [
        "  [uk-association-2024] Accelopment, UK back in Horizon Europe - what does it mean in "
        "practice? (11 Sep 2023); Charles University EU office, UK participation Q&A; "
        "Implications and timings of the UK association; EIC exception. "
        "https://accelopment.com/blog/funding/uk-back-in-horizon-europe-what-does-it-mean-in-"
        "practice/"
    ]
    listed = everything.output.split("\n\nSources:\n")[1].splitlines()
    assert len(listed) == len(sources_cited()) + 1
    assert listed[0].startswith("  [reg-2021-695] Regulation (EU) 2021/695 ")
    assert listed[-1] == "  [1] Programme Guide V4.1, 1 April 2026"


def test_rules_show_on_a_missing_sqlite_file_leaves_none_behind(tmp_path: Path) -> None:
    """The shipped rows need no database: they are shown, with the note that the SQLite file
    does not exist, and no empty file is left behind (it was, and the next command took it for
    a database never migrated)."""
    missing = tmp_path / "missing.db"

    shown = CliRunner().invoke(
        app,
        ["rules", "show", "--country", "CH"],
        env={"MATCHMAKER_DATABASE_URL": f"sqlite:///{missing}"},
    )

    assert shown.exit_code == 0, shown.output
    table, note, _sources = shown.output.split("\n\n")
    assert [line[:2] for line in table.splitlines()[1:]] == ["CH", "CH"]
    assert note == (
        f"Shipped rows only: the SQLite file {missing} does not exist; run `matchmaker db "
        "upgrade` first (it creates it), or check MATCHMAKER_DATABASE_URL."
    )
    assert not missing.exists()
