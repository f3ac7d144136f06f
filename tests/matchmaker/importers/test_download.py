"""`import cordis` reads CORDIS's download as published (cordis-HORIZONprojects-csv.zip, or the
folder it unzips to) as it reads the four files of a folder: the test extract, laid out as
CORDIS publishes it, gives the very profiles the four files give."""

import zipfile
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from matchmaker.cli.imports import import_app
from matchmaker.importers.runner import CutShort, Rejected, SourceError, import_cordis
from models.organisation import Organisation
from tests.cordis_download import (
    ORGANIZATION_COLUMNS,
    PROJECT_COLUMNS,
    download_folder,
    read_rows,
    same_facts,
    write_rows,
    zipped,
)
from tests.helpers import count_rows
from tests.matchmaker.importers.test_runner import (
    EXTRACT,
    EXTRACT_ORGANISATIONS,
    INTELLIGENTSIA,
    counts,
    organisation,
)

CNRS = "cordis:999997930"


@pytest.mark.parametrize("layout", ["zip", "zip with a folder", "unzipped"])
def test_the_download_gives_the_profiles_the_four_files_give(
    engine: Engine, tmp_path: Path, layout: str
) -> None:
    """Over an import of the four files, the download of the same facts changes nothing:
    every profile's fields, activities, roles and calls are equal."""
    folder = download_folder(EXTRACT, tmp_path / "download")
    source = {
        "zip": lambda: zipped(folder, tmp_path / "cordis-HORIZONprojects-csv.zip"),
        "zip with a folder": lambda: zipped(folder, tmp_path / "d.zip", inside="cordis/"),
        "unzipped": lambda: folder,
    }[layout]()
    assert counts(import_cordis(engine, same_facts(EXTRACT, tmp_path / "four")))[0] == 52

    summary = import_cordis(engine, source, batch_size=10)

    assert counts(summary) == (0, 0, EXTRACT_ORGANISATIONS, 0)
    assert summary.notes == []


def test_the_download_alone_creates_every_organisation(engine: Engine, tmp_path: Path) -> None:
    """On an empty database the zip creates the 52 profiles, with their projects, roles, calls
    and CORDIS links; a second import finds them all unchanged."""
    source = zipped(download_folder(EXTRACT, tmp_path / "download"), tmp_path / "download.zip")

    first = import_cordis(engine, source)
    again = import_cordis(engine, source)

    assert counts(first) == (EXTRACT_ORGANISATIONS, 0, 0, 0)
    assert counts(again) == (0, 0, EXTRACT_ORGANISATIONS, 0)
    profile = organisation(engine, INTELLIGENTSIA)
    assert profile.description == (
        "Private company (SME) in Bertrange, Luxembourg. "
        "Took part in 5 Horizon Europe projects in CORDIS."
    )
    assert len(profile.activities) == 5
    assert all(
        a["url"].startswith("https://cordis.europa.eu/project/id/") for a in profile.activities
    )
    assert all(a["call"] and a["role"] for a in profile.activities)


def test_an_organisation_takes_its_latest_rows_attributes(engine: Engine, tmp_path: Path) -> None:
    """An organisation listed once per project takes its name, city and website from the row
    CORDIS updated last, whatever the order of the rows; the later row when they tie."""
    folder = download_folder(EXTRACT, tmp_path / "download")
    rows = read_rows(folder / "organization.csv", delimiter=";")
    mine = [row for row in rows if row["organisationID"] == INTELLIGENTSIA.removeprefix("cordis:")]
    assert len(mine) == 5
    mine[1].update(
        name="Intelligentsia Consultants",
        city="Luxembourg",
        contentUpdateDate="2025-01-02 08:00:00",
    )
    mine[3].update(name="An older name", contentUpdateDate="2023-11-30 09:00:00")
    cnrs = [row for row in rows if row["organisationID"] == CNRS.removeprefix("cordis:")]
    assert len(cnrs) >= 2
    cnrs[-1].update(name="CNRS, on the later row")
    write_rows(folder / "organization.csv", ORGANIZATION_COLUMNS, rows)

    import_cordis(engine, folder)

    profile = organisation(engine, INTELLIGENTSIA)
    assert (profile.name, profile.city) == ("Intelligentsia Consultants", "Luxembourg")
    assert len(profile.activities) == 5  # every row still counts as a participation
    assert organisation(engine, CNRS).name == "CNRS, on the later row"


def test_bad_rows_are_told_by_the_downloads_file_and_line(engine: Engine, tmp_path: Path) -> None:
    """A participation naming a project the download lacks, an organisation without a country
    or with an id that is no number: rejected by organization.csv's line, the rest imported."""
    folder = download_folder(EXTRACT, tmp_path / "download")
    rows = read_rows(folder / "organization.csv", delimiter=";")
    template = rows[0]
    rows += [
        {**template, "projectID": "999999999"},
        {**template, "organisationID": "900000001", "country": ""},
        {**template, "organisationID": "90000000X"},
        {**template, "organisationID": "90000000X", "projectID": rows[1]["projectID"]},
    ]
    write_rows(folder / "organization.csv", ORGANIZATION_COLUMNS, rows)
    projects = read_rows(folder / "project.csv", delimiter=";")
    projects.append({**projects[0]})
    write_rows(folder / "project.csv", PROJECT_COLUMNS, projects)

    summary = import_cordis(engine, folder)

    assert summary.rejected == [
        Rejected("organization.csv", "projectID 999999999 is not in project.csv", line=66),
        Rejected("organization.csv", "country is empty", line=67),
        Rejected("organization.csv", "organisationID '90000000X' is not a number", line=69),
        Rejected(
            "project.csv", f"project {projects[0]['id']} appears again (first on line 2)", line=14
        ),
    ]
    assert counts(summary)[:3] == (EXTRACT_ORGANISATIONS, 0, 0)


def _cut(path: Path, *, lines: int | None = None, size: int = 0) -> None:
    data = path.read_bytes()
    path.write_bytes(
        b"".join(data.splitlines(keepends=True)[:lines]) if lines is not None else data[:size]
    )


def test_a_download_cut_short_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    """organization.csv cut mid-record in the zip, or project.csv cut at a line end, is
    refused before anything is written, naming the download's own files."""
    mid_record = download_folder(EXTRACT, tmp_path / "mid-record")
    _cut(mid_record / "organization.csv", size=3000)
    line_end = download_folder(EXTRACT, tmp_path / "line-end")
    _cut(line_end / "project.csv", lines=5)

    with pytest.raises(CutShort, match=r"^organization\.csv ends in the middle of a record"):
        import_cordis(engine, zipped(mid_record, tmp_path / "mid-record.zip"))
    with pytest.raises(SourceError) as raised:
        import_cordis(engine, line_end)

    kept = {row["id"] for row in read_rows(line_end / "project.csv", delimiter=";")}
    missing = sum(
        row["projectID"] not in kept
        for row in read_rows(line_end / "organization.csv", delimiter=";")
    )
    assert 20 < missing < 64
    assert str(raised.value) == (
        f"{missing} of the 64 rows of organization.csv ({missing / 64:.1%}) name a project that "
        "project.csv lacks: project.csv looks cut short, or the files come from different "
        "downloads. Download the files again and re-run the import; nothing was imported."
    )
    assert count_rows(engine, Organisation) == 0


def test_what_is_no_cordis_source_is_told(engine: Engine, tmp_path: Path) -> None:
    """A path that does not exist, a file that is no zip (a zip cut short among them), or a
    zip without CORDIS's files, is refused with what to give instead."""
    whole = zipped(download_folder(EXTRACT, tmp_path / "download"), tmp_path / "whole.zip")
    cut = tmp_path / "cordis-HORIZONprojects-csv.zip"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("readme.txt", "nothing here")
    what_to_give = (
        "give a folder with organisations.csv, participations.csv, projects.csv and topics.csv, "
        "or CORDIS's download of Horizon Europe projects (cordis-HORIZONprojects-csv.zip, or the "
        "folder it unzips to, with project.csv and organization.csv)."
    )

    for source, start in [
        (tmp_path / "missing.zip", f"{tmp_path / 'missing.zip'} does not exist: "),
        (
            cut,
            "cordis-HORIZONprojects-csv.zip is neither a folder nor a zip file (a download "
            "cut short is not one either): ",
        ),
        (other, "other.zip holds no CORDIS files: "),
    ]:
        with pytest.raises(SourceError) as raised:
            import_cordis(engine, source)
        assert str(raised.value) == start + what_to_give
    assert count_rows(engine, Organisation) == 0


def test_a_folder_is_read_as_its_files_say_or_told_what_to_give(
    engine: Engine, tmp_path: Path
) -> None:
    """A download unzipped into a folder of its own imports from the folder above it; an
    empty folder, or a download lacking project.csv, is refused naming what to give."""
    download_folder(EXTRACT, tmp_path / "unzipped" / "cordis")
    assert counts(import_cordis(engine, tmp_path / "unzipped"))[0] == EXTRACT_ORGANISATIONS
    (tmp_path / "empty").mkdir()
    lacking = download_folder(EXTRACT, tmp_path / "lacking")
    (lacking / "project.csv").unlink()
    what_to_give = (
        "give a folder with organisations.csv, participations.csv, projects.csv and topics.csv, "
        "or CORDIS's download of Horizon Europe projects (cordis-HORIZONprojects-csv.zip, or the "
        "folder it unzips to, with project.csv and organization.csv)."
    )
    for folder, start in [
        (tmp_path / "empty", "empty holds no CORDIS files: "),
        (lacking, "lacking holds no project.csv: "),
    ]:
        with pytest.raises(SourceError) as raised:
            import_cordis(engine, folder)
        assert str(raised.value) == start + what_to_give


def test_a_damaged_zip_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    """A zip whose organization.csv fails its checksum (a byte changed on the way) is refused
    with what to do, before anything is written."""
    folder = download_folder(EXTRACT, tmp_path / "download")
    source = tmp_path / "damaged.zip"
    with zipfile.ZipFile(source, "w", zipfile.ZIP_STORED) as archive:
        for file in sorted(folder.iterdir()):
            archive.write(file, file.name)
    data = source.read_bytes()
    assert data.count(b"INTELLIGENTSIA") == 5  # organization.csv's rows, stored as they are
    source.write_bytes(data.replace(b"INTELLIGENTSIA", b"INTELLIGENTSIB", 1))

    with pytest.raises(SourceError) as raised:
        import_cordis(engine, source)

    assert str(raised.value) == (
        "organization.csv is damaged (Bad CRC-32 for file 'organization.csv'): download it "
        "again and re-run the import."
    )
    assert count_rows(engine, Organisation) == 0


def test_cli_imports_the_zip(engine: Engine, tmp_path: Path, cli_env: dict[str, str]) -> None:
    """`matchmaker import cordis cordis-HORIZONprojects-csv.zip` imports it and says as each
    of the download's files has been read."""
    source = zipped(
        download_folder(EXTRACT, tmp_path / "download"), tmp_path / "cordis-HORIZONprojects-csv.zip"
    )

    result = CliRunner().invoke(import_app, ["cordis", str(source)], env=cli_env)

    assert result.exit_code == 0, result.output
    assert result.stdout == "organisations: 52 created, 0 updated, 0 unchanged, 0 rejected.\n"
    assert [line.split(":")[0] for line in result.stderr.splitlines()] == [
        "topics.csv",
        "project.csv",
        "organization.csv",
    ]
