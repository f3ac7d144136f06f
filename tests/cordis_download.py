"""CORDIS's download as published, made from a folder of the four files the importer also
reads (the test extract, or the team's slice in a benchmark): project.csv; organization.csv,
one row per participation carrying its organisation's columns; topics.csv, a topic's code and
title once per project. Semicolon-separated, in CORDIS's column order; topics give no text."""

import csv
import shutil
import zipfile
from pathlib import Path

# The columns of CORDIS's Horizon Europe project.csv and organization.csv, in its order.
PROJECT_COLUMNS = [
    "id",
    "acronym",
    "status",
    "title",
    "startDate",
    "endDate",
    "totalCost",
    "ecMaxContribution",
    "legalBasis",
    "topics",
    "ecSignatureDate",
    "frameworkProgramme",
    "masterCall",
    "subCall",
    "fundingScheme",
    "nature",
    "objective",
    "contentUpdateDate",
    "rcn",
    "grantDoi",
]
ORGANIZATION_COLUMNS = [
    "projectID",
    "projectAcronym",
    "organisationID",
    "vatNumber",
    "name",
    "shortName",
    "SME",
    "activityType",
    "street",
    "postCode",
    "city",
    "country",
    "nutsCode",
    "geolocation",
    "organizationURL",
    "contactForm",
    "contentUpdateDate",
    "rcn",
    "order",
    "role",
    "ecContribution",
    "netEcContribution",
    "totalCost",
    "endOfParticipation",
    "active",
]
TOPIC_COLUMNS = ["topic", "title", "projectID"]
UPDATED = "2024-05-29 10:45:12"


def read_rows(path: Path, *, delimiter: str = ",") -> list[dict[str, str]]:
    """Every row of a CSV file, by column."""
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file, delimiter=delimiter))


def write_rows(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    """Rows as CORDIS writes its download: semicolons, these columns in this order."""
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, columns, delimiter=";", extrasaction="ignore", restval="")
        writer.writeheader()
        writer.writerows(rows)


def download_folder(four_files: Path, target: Path) -> Path:
    """The folder CORDIS's zip unzips to, holding what `four_files` holds. A participation
    whose organisation organisations.csv lacks is left out: the download has none."""
    target.mkdir(parents=True)
    projects = read_rows(four_files / "projects.csv")
    titles = {row["topic"]: row["topicTitle"] for row in read_rows(four_files / "topics.csv")}
    organisations = {
        row["organisationID"]: row for row in read_rows(four_files / "organisations.csv")
    }
    acronyms = {row["id"]: row["acronym"] for row in projects}
    write_rows(
        target / "project.csv",
        PROJECT_COLUMNS,
        [{**row, "status": "SIGNED", "contentUpdateDate": UPDATED} for row in projects],
    )
    write_rows(
        target / "organization.csv",
        ORGANIZATION_COLUMNS,
        [
            {
                **organisations[row["organisationID"]],
                **row,
                "projectAcronym": acronyms.get(row["projectID"], ""),
                "contentUpdateDate": UPDATED,
                "active": "true",
            }
            for row in read_rows(four_files / "participations.csv")
            if row["organisationID"] in organisations
        ],
    )
    write_rows(
        target / "topics.csv",
        TOPIC_COLUMNS,
        [
            {"topic": row["topics"], "title": titles.get(row["topics"], ""), "projectID": row["id"]}
            for row in projects
        ],
    )
    return target


def zipped(folder: Path, path: Path, *, inside: str = "") -> Path:
    """A folder's files in a zip, as CORDIS publishes them (`inside` a folder of the zip)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.iterdir()):
            archive.write(file, inside + file.name)
    return path


def same_facts(four_files: Path, target: Path) -> Path:
    """A copy of the four files with what the download lacks left out: a topic's text, dates
    and type of action (topics.csv keeps each code and title)."""
    shutil.copytree(four_files, target)
    topics = [
        {"topic": row["topic"], "topicTitle": row["topicTitle"]}
        for row in read_rows(four_files / "topics.csv")
    ]
    with (target / "topics.csv").open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, ["topic", "topicTitle"])
        writer.writeheader()
        writer.writerows(topics)
    return target
