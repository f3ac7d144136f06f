"""CORDIS open data: its texts and values cleaned, its rows mapped to profiles and calls, its
files read (the four files of a folder, or CORDIS's own download).

Pure functions over rows and files: nothing here touches the database (runner.py does).
Reading a CSV file is csv_source.py's; an organisation's stakeholder type is classify.py's.
"""

import re
import sys
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

import pycountry
from pydantic import TypeAdapter, ValidationError

from matchmaker.importers.classify import classify
from matchmaker.importers.csv_source import (
    CsvRows,
    Progress,
    Rejected,
    SourceError,
    open_csv,
    read_csv,
)
from models.call import Identifier, RuleSet, default_rule_set
from models.organisation import MAX_ACTIVITIES, ProjectRole, Url

ORGANISATIONS_FILE = "organisations.csv"
PARTICIPATIONS_FILE = "participations.csv"
PROJECTS_FILE = "projects.csv"
TOPICS_FILE = "topics.csv"
# CORDIS's own download (cordis-HORIZONprojects-csv.zip): semicolon-separated, one row per
# participation in organization.csv, and topics.csv one row per project (code and title only).
DOWNLOAD_ORGANISATIONS = "organization.csv"
DOWNLOAD_PROJECTS = "project.csv"

# Activity summaries are capped so that a project text copied into each partner's profile
# keeps the database small (see docs/import.md for the measured size).
MAX_SUMMARY = 1000
MAX_ACTIVITY_TITLE = 500
MAX_CALL_DESCRIPTION = 50_000

ORGANISATION_COLUMNS = ("organisationID", "name", "activityType", "SME", "country", "city")
# Every column of an organisation's row that a profile is made from (organisation_from_row).
ORGANISATION_FIELDS = (*ORGANISATION_COLUMNS, "organizationURL")

PROJECT_URL = "https://cordis.europa.eu/project/id/{project_id}"

# CORDIS writes the EU's own codes for two countries; ISO 3166-1 has GB and GR.
COUNTRY_ALIASES = {"UK": "GB", "EL": "GR"}


# --------------------------------------------------------------------------------------------
# Cleaning single values

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"\s+")
_URL = TypeAdapter(Url)
_IDENTIFIER = TypeAdapter(Identifier)
_TOP_LEVEL = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")


# CORDIS's export turned the characters its encoding lacked into "?": bullets, typographic
# apostrophes, quotes, hyphens and dashes (U+2022, U+2019, U+201C/D, U+2011, U+2013). Only the
# patterns that cannot be a real question mark are repaired; "Why? Because" and a "?" at the
# end of a line stay.
_LOST_BULLET = re.compile(r"^(\s*)\?(?=\s)", re.MULTILINE)  # "? Develop ..." opens a list item
# "country?s", "don?t", "we?re": a letter, "?", then the end of an English contraction.
_LOST_APOSTROPHE = re.compile(r"(?<=[^\W\d_])\?(?=(?:s|t|d|m|re|ll|ve)\b)")
# "socio?economic": a (non-breaking) hyphen between two lower-case words.
_LOST_HYPHEN = re.compile(r"(?<=[a-z])\?(?=[a-z]{2})")
# "?supply chain?": an opening quote after a space or bracket, closed on the same line (a
# footnote number may follow the closing quote).
_LOST_QUOTES = re.compile(r"(?<![^\s(\[/])\?(?=[^\s?])([^?\n]{1,150}?[^\s?])\?(?![^\W\d_])")
# "employees? work-life balance": a plural's possessive apostrophe before a lower-case word.
_LOST_PLURAL_POSSESSIVE = re.compile(r"(?<=[a-z]s)\?(?= [a-z])")
# "effect ? both short- and long-term ? of": a dash between words.
_LOST_DASH = re.compile(r"(?<=[\w,)]) \?(?= [\w(])")
# Invisible format characters (zero-width spaces, byte-order marks, direction controls); the
# zero-width (non-)joiners are spelling in some scripts and stay.
_INVISIBLE = re.compile(r"[\u00ad\u200b\u200e\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def repair_text(value: str) -> str:
    """Undo what CORDIS's export lost: "?" for bullets, apostrophes, quotes and dashes."""
    value = _INVISIBLE.sub("", value)
    if "?" not in value:
        return value
    value = _LOST_BULLET.sub(r"\1•", value)
    value = _LOST_APOSTROPHE.sub("'", value)
    value = _LOST_HYPHEN.sub("-", value)
    value = _LOST_QUOTES.sub(r'"\1"', value)
    value = _LOST_PLURAL_POSSESSIVE.sub("'", value)
    return _LOST_DASH.sub(" \N{EN DASH}", value)


def one_line(value: str) -> str:
    """Collapse every run of white space (line breaks included) into one space."""
    return _SPACES.sub(" ", _CONTROL.sub(" ", repair_text(value))).strip()


def clean_paragraphs(value: str) -> str:
    """Keep line breaks but drop control characters and trailing spaces; repair lost marks."""
    text = _CONTROL.sub(" ", value).replace("\r", "\n")
    lines = (line.strip() for line in repair_text(text).split("\n"))
    return "\n".join(line for line in lines if line)


def truncate(value: str, limit: int) -> str:
    """Cut text to at most `limit` characters at a word boundary, marking the cut with '…'."""
    if len(value) <= limit:
        return value
    cut = value[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-\n") + "…"


def normalise_country(code: str) -> str:
    """CORDIS country code to ISO 3166-1 alpha-2 (UK -> GB, EL -> GR); validation is later."""
    code = code.strip().upper()
    return COUNTRY_ALIASES.get(code, code)


@lru_cache(maxsize=512)
def country_name(code: str) -> str:
    """A readable English name for an ISO country code (the code itself when unknown)."""
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return str(getattr(country, "common_name", None) or country.name)


def normalise_website(url: str) -> str | None:
    """Add https:// when the scheme is missing; None when the result is not a usable URL."""
    url = url.strip()
    if not url:
        return None
    if "://" not in url:
        url = "https://" + url.lstrip("/")
    try:
        parsed = _URL.validate_python(url)
    except ValidationError:
        return None
    host = parsed.host or ""
    labels = host.rstrip(".").split(".")
    if len(labels) < 2 or not all(labels) or not _TOP_LEVEL.fullmatch(labels[-1]):
        return None
    return url


# --------------------------------------------------------------------------------------------
# Activity types (the stakeholder type they give is classify.py's)

ACTIVITY_TYPES = {
    "HES": "Higher or secondary education establishment",
    "REC": "Research organisation",
    "PRC": "Private company",
    "PUB": "Public body",
    "OTH": "Organisation",
    "": "Organisation",
}


# --------------------------------------------------------------------------------------------
# Projects, topics and activities

_YEAR_IN_CODE = re.compile(r"(?:^|-)(20\d\d)(?:-|$)")
# CORDIS's role codes as an activity's `role`; any other code leaves the role empty.
ROLES = {
    "coordinator": ProjectRole.coordinator,
    "participant": ProjectRole.participant,
    "associatedPartner": ProjectRole.associated_partner,
    "thirdParty": ProjectRole.third_party,
}
# When an organisation is listed twice in one project, the stronger role is kept.
ROLE_RANK = {"coordinator": 0, "participant": 1, "associatedPartner": 2, "thirdParty": 3}


def parse_date(value: str) -> date | None:
    """Read the date formats the CORDIS/F&T exports use: ISO dates, ISO datetimes, M/D/YYYY.

    Raises ValueError for anything else; returns None for a blank value. The slash format is
    month first: in topics.csv the second number goes above 12 and the first never does.
    """
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value).date()
    except ValueError:
        pass
    try:
        return datetime.strptime(value, "%m/%d/%Y").date()
    except ValueError:
        raise ValueError(f"cannot read {value!r} as a date") from None


def year_in_code(code: str) -> int | None:
    """The year written in a topic code (HORIZON-CL4-2022-... -> 2022), if any."""
    match = _YEAR_IN_CODE.search(code)
    return int(match.group(1)) if match else None


def _year(value: str) -> int | None:
    try:
        parsed = parse_date(value)
    except ValueError:
        return None
    return parsed.year if parsed else None


class Topic(NamedTuple):
    """What an activity needs from a topic: title, (truncated) text and a year."""

    title: str
    summary: str
    year: int | None


class Project(NamedTuple):
    """What an activity needs from a project; texts are stored once per project."""

    acronym: str
    title: str
    summary: str
    year: int | None
    # The topic code it was funded under, as a call identifier; None when not a valid one.
    call: str | None = None


def topic_from_row(row: Mapping[str, str], *, title_column: str = "topicTitle") -> Topic:
    """Keep a topic's title, its description cut to MAX_SUMMARY, and its year."""
    code = row["topic"].strip()
    title = one_line(row.get(title_column, ""))
    description = truncate(clean_paragraphs(row.get("description", "")), MAX_SUMMARY)
    year = (
        _year(row.get("opening_date", "")) or _year(row.get("deadline", "")) or year_in_code(code)
    )
    return Topic(title=title, summary=description or title, year=year)


def project_from_row(row: Mapping[str, str], topics: Mapping[str, Topic]) -> Project:
    """An activity's title, summary and year for a project, falling back on its topic."""
    code = row.get("topics", "").strip()
    topic = topics.get(code)
    topic_title = one_line(row.get("topicTitle", "")) or (topic.title if topic else "")
    acronym = one_line(row.get("acronym", ""))
    title = one_line(row.get("title", ""))
    if not title:
        title = ": ".join(part for part in (acronym, topic_title) if part)
    if not title:
        title = f"Project {row['id'].strip()}"
    objective = truncate(clean_paragraphs(row.get("objective", "")), MAX_SUMMARY)
    if objective:
        summary = objective
    elif topic is not None:
        summary = topic.summary
    else:
        summary = topic_title
    year = _year(row.get("startDate", "")) or (topic.year if topic else None) or year_in_code(code)
    if year is not None and not 1900 <= year <= 2100:
        year = None
    return Project(
        acronym=acronym, title=title, summary=summary, year=year, call=call_identifier(code)
    )


def call_identifier(code: str) -> str | None:
    """A topic code as a past project's `call`: validated as a call's identifier is, and
    upper-case as calls are stored (one string per code, shared by its projects); None for a
    code that is no valid identifier, which leaves the project's call out rather than
    rejecting the organisation."""
    try:
        return sys.intern(_IDENTIFIER.validate_python(code))
    except ValidationError:
        return None


def build_activities(
    participations: Sequence[tuple[str, str]], projects: Mapping[str, Project]
) -> list[dict[str, Any]]:
    """An organisation's projects as activities, most recent first, at most MAX_ACTIVITIES."""
    rows = []
    for project_id, role in participations:
        project = projects.get(project_id)
        if project is None:
            continue
        rows.append((project.year or 0, project_id, role, project))
    rows.sort(key=lambda item: (item[0], int(item[1]) if item[1].isdigit() else 0), reverse=True)
    return [
        {
            "title": truncate(project.title, MAX_ACTIVITY_TITLE),
            "summary": project.summary,
            "year": project.year,
            "url": PROJECT_URL.format(project_id=project_id),
            "role": ROLES.get(role),
            "call": project.call,
        }
        for _, project_id, role, project in rows[:MAX_ACTIVITIES]
    ]


def merge_roles(participations: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """One (project, role) per project, keeping the strongest role when listed twice."""
    best: dict[str, str] = {}
    for project_id, role in participations:
        current = best.get(project_id)
        if current is None or ROLE_RANK.get(role, 9) < ROLE_RANK.get(current, 9):
            best[project_id] = role
    return list(best.items())


def organisation_description(
    *,
    activity_type: str,
    sme: str,
    city: str | None,
    country: str,
    projects: int,
    coordinated: int,
) -> str:
    """A short factual description from what CORDIS says (it has no description of its own)."""
    kind = ACTIVITY_TYPES.get(activity_type.strip().upper(), "Organisation")
    if activity_type.strip().upper() == "PRC" and sme.strip().lower() == "true":
        kind += " (SME)"
    place = f"{city}, {country_name(country)}" if city else country_name(country)
    text = f"{kind} in {place}."
    if projects:
        plural = "project" if projects == 1 else "projects"
        text += f" Took part in {projects} Horizon Europe {plural} in CORDIS"
        text += f", coordinating {coordinated}." if coordinated else "."
    return text


# The profile fields a CORDIS import gives (`organisation_from_row`): the only ones it updates,
# so the only ones a profile page offers to hand back to it.
CORDIS_FIELDS = (
    "name",
    "stakeholder_type",
    "country",
    "city",
    "description",
    "website",
    "activities",
)


class OrganisationRecord(NamedTuple):
    """A CORDIS organisation row mapped to OrganisationCreate fields, keyed by external_id."""

    external_id: str
    fields: dict[str, Any]
    rule: str | None
    website_dropped: str | None


def organisation_from_row(
    row: Mapping[str, str],
    participations: Sequence[tuple[str, str]],
    projects: Mapping[str, Project],
) -> OrganisationRecord:
    """Map one organisations.csv row and its participations to profile fields (not validated)."""
    organisation_id = row["organisationID"].strip()
    name = one_line(row.get("name", ""))
    raw_url = row.get("organizationURL", "").strip()
    website = normalise_website(raw_url)
    activity_type = row.get("activityType", "")
    sme = row.get("SME", "")
    city = one_line(row.get("city", "")) or None
    country = normalise_country(row.get("country", ""))
    merged = merge_roles(list(participations))
    kind, rule = classify(activity_type, sme, name, website, organisation_id=organisation_id)
    fields = {
        "name": name,
        "stakeholder_type": kind.value,
        "country": country,
        "city": city,
        "description": organisation_description(
            activity_type=activity_type,
            sme=sme,
            city=city,
            country=country,
            projects=sum(1 for project_id, _ in merged if project_id in projects),
            coordinated=sum(
                1 for project_id, role in merged if role == "coordinator" and project_id in projects
            ),
        ),
        "website": website,
        "activities": build_activities(merged, projects),
    }
    return OrganisationRecord(
        external_id=f"cordis:{organisation_id}",
        fields=fields,
        rule=rule,
        website_dropped=raw_url if raw_url and website is None else None,
    )


# --------------------------------------------------------------------------------------------
# Calls from topics

_PROGRAMMES: tuple[tuple[str, str], ...] = (
    (r"^(HORIZON-JU-IHI|IHI)-", "IHI"),
    (r"^(IMI2?|H2020-JTI-IMI2?)-", "IMI"),
    (r"^HORIZON-HLTH-", "Horizon Europe Cluster 1 (Health)"),
    (r"^HORIZON-CL2-", "Horizon Europe Cluster 2 (Culture, Creativity and Inclusive Society)"),
    (r"^HORIZON-CL3-", "Horizon Europe Cluster 3 (Civil Security for Society)"),
    (r"^HORIZON-CL4-", "Horizon Europe Cluster 4 (Digital, Industry and Space)"),
    (r"^HORIZON-CL5-", "Horizon Europe Cluster 5 (Climate, Energy and Mobility)"),
    (
        r"^HORIZON-CL6-",
        "Horizon Europe Cluster 6 (Food, Bioeconomy, Natural Resources, Agriculture and "
        "Environment)",
    ),
    (r"^HORIZON-MISS-\d{4}-(CANCER|UNCAN)-", "EU Mission: Cancer"),
    (r"^HORIZON-MISS-\d{4}-CLIMA-", "EU Mission: Adaptation to Climate Change"),
    (r"^HORIZON-MISS-\d{4}-OCEAN-", "EU Mission: Restore our Ocean and Waters"),
    (r"^HORIZON-MISS-\d{4}-CIT-", "EU Mission: Climate-Neutral and Smart Cities"),
    (r"^HORIZON-MISS-\d{4}-SOIL-", "EU Mission: A Soil Deal for Europe"),
    (r"^HORIZON-MISS-", "EU Missions (cross-cutting)"),
    (r"^(HORIZON-)?ERC-", "ERC"),
    (r"^HORIZON-MSCA-", "MSCA"),
    (r"^HORIZON-EIC-", "EIC"),
    (r"^HORIZON-EIT-", "EIT"),
    (r"^HORIZON-EIE-", "European Innovation Ecosystems"),
    (r"^HORIZON-INFRA-", "Research Infrastructures"),
    (r"^HORIZON-WIDERA-", "Widening Participation and Strengthening the ERA"),
    (r"^(HORIZON-)?EURATOM-", "Euratom"),
    (r"^HORIZON-EUSPA-", "EU Space Programme (EUSPA)"),
    (r"^HORIZON-JU-CBE-", "Circular Bio-based Europe JU"),
    (r"^HORIZON-(JTI|JU)-CLEANH2-", "Clean Hydrogen JU"),
    (r"^HORIZON-JU-CLEAN-AVIATION-", "Clean Aviation JU"),
    (r"^HORIZON-JU-(GH-)?EDCTP3-", "Global Health EDCTP3 JU"),
    (r"^HORIZON-JU-SNS-", "Smart Networks and Services JU"),
    (r"^HORIZON-(KDT-JU|JU-CHIPS)-", "Chips JU (KDT)"),
    (r"^HORIZON-ER-JU-", "Europe's Rail JU"),
    (r"^HORIZON-SESAR-", "SESAR 3 JU"),
    (r"^HORIZON-EUROHPC-JU-", "EuroHPC JU"),
)
_PROGRAMME_PATTERNS = tuple((re.compile(p, re.IGNORECASE), label) for p, label in _PROGRAMMES)


def programme_for(code: str) -> str | None:
    """A programme label for a topic code, e.g. HORIZON-CL4-2022-... -> Horizon Europe Cluster 4."""
    for pattern, label in _PROGRAMME_PATTERNS:
        if pattern.search(code):
            return label
    parts = code.split("-")
    if len(parts) > 1 and parts[0].upper() == "HORIZON":
        return f"Horizon Europe ({parts[1]})"
    return parts[0] or None


def min_countries_for(code: str, action_type: str) -> int | None:
    """Eligibility the code makes plain: ERC grants and CSAs need one applicant, else unknown."""
    if re.match(r"^(HORIZON-)?ERC-", code, re.IGNORECASE):
        return 1
    if re.search(r"\bCSA\b", action_type.upper()):
        return 1
    return None


_HORIZON_ERC = re.compile(r"^(HORIZON-)?ERC-(20[2-9]\d)-", re.IGNORECASE)


def rule_set_for(code: str, action_type: str) -> tuple[RuleSet, str | None] | None:
    """The one-entity rule sets the code or action type makes plain (docs/eligibility.md).

    Horizon Europe CSAs (Art. 22(4)) and ERC grants of 2021 on (Art. 22(3), Pillar I); None
    leaves the default from the programme. Earlier ERC codes are Horizon 2020's.
    """
    match = _HORIZON_ERC.match(code)
    if match is not None and int(match.group(2)) >= 2021:
        return RuleSet.horizon_europe_single, "pillar-1"
    if code.upper().startswith("HORIZON-") and re.search(r"\bCSA\b", action_type.upper()):
        _, part = default_rule_set(programme_for(code))
        return RuleSet.horizon_europe_csa, part
    return None


def call_from_topic(row: Mapping[str, str]) -> dict[str, Any]:
    """Map a topics.csv row to CallCreate fields (only those the row gives); ValueError if bad.

    required_stakeholders is left out: CORDIS has no such requirement.
    """
    code = row["topic"].strip()
    fields: dict[str, Any] = {
        "identifier": code,
        "title": one_line(row.get("topicTitle", "")),
        "programme": programme_for(code),
        "description": truncate(clean_paragraphs(row.get("description", "")), MAX_CALL_DESCRIPTION),
    }
    for column in ("opening_date", "deadline"):
        try:
            fields[column] = parse_date(row.get(column, ""))
        except ValueError as error:
            raise ValueError(f"{column}: {error}") from None
    min_countries = min_countries_for(code, row.get("action_type", ""))
    if min_countries is not None:
        fields["min_countries"] = min_countries
    rules = rule_set_for(code, row.get("action_type", ""))
    if rules is not None:
        fields["rule_set"], fields["programme_part"] = rules[0].value, rules[1]
    return fields


# --------------------------------------------------------------------------------------------
# Reading a CORDIS source: the four files of a folder, or CORDIS's own download


class Layout(NamedTuple):
    """Which file of a CORDIS source holds what."""

    organisations: str
    participations: str
    projects: str
    topics: str
    # CORDIS's download: organisations come once per participation, topics once per project
    # (with no text: `title` only), and a source without topics.csv still imports.
    download: bool = False

    @property
    def missing_project(self) -> str:
        """What a summary counts a participation whose project is missing by."""
        return f"projectID not in {self.projects}"

    @property
    def missing_organisation(self) -> str:
        """What a summary counts a participation whose organisation is missing by."""
        return f"organisationID not in {self.organisations}"


FOUR_FILES = Layout(ORGANISATIONS_FILE, PARTICIPATIONS_FILE, PROJECTS_FILE, TOPICS_FILE)
DOWNLOAD = Layout(
    DOWNLOAD_ORGANISATIONS, DOWNLOAD_ORGANISATIONS, DOWNLOAD_PROJECTS, TOPICS_FILE, download=True
)

WHAT_TO_GIVE = (
    "give a folder with organisations.csv, participations.csv, projects.csv and topics.csv, or "
    "CORDIS's download of Horizon Europe projects (cordis-HORIZONprojects-csv.zip, or the folder "
    "it unzips to, with project.csv and organization.csv)"
)


class CordisSource:
    """The CSV files of a CORDIS source, opened by name: a folder, or a zip file (CORDIS's
    download as published). Which layout it has follows from the names it holds."""

    def __init__(self, location: Path) -> None:
        self.location = location
        self._archive: Path | None = None
        self._folder = location
        if location.is_dir():
            # The files may sit in a folder of the one given, as a zip unzips.
            self._folder = _holding_folder(location)
            names = {entry.name: entry.name for entry in self._folder.iterdir() if entry.is_file()}
        elif location.is_file():
            if not zipfile.is_zipfile(location):
                raise SourceError(
                    f"{location.name} is neither a folder nor a zip file (a download cut short "
                    f"is not one either): {WHAT_TO_GIVE}."
                )
            self._archive = location
            with zipfile.ZipFile(location) as archive:
                # A zip may hold its files in a folder; they are found by name wherever.
                names = {
                    PurePosixPath(member).name: member
                    for member in archive.namelist()
                    if not member.endswith("/")
                }
        else:
            raise SourceError(f"{location} does not exist: {WHAT_TO_GIVE}.")
        self._members = names
        if ORGANISATIONS_FILE in names:
            self.layout = FOUR_FILES
        elif {DOWNLOAD_ORGANISATIONS, DOWNLOAD_PROJECTS} & set(names):
            self.layout = DOWNLOAD  # a file it lacks is told when it is opened
        else:
            raise SourceError(f"{location.name} holds no CORDIS files: {WHAT_TO_GIVE}.")

    def has(self, name: str) -> bool:
        """Whether the source holds a file of this name."""
        return name in self._members

    def open(
        self, name: str, *, required: Sequence[str], progress: Progress | None = None
    ) -> CsvRows:
        """One file for streaming, to be used in a `with` block."""
        member = self._members.get(name)
        if member is None:
            raise SourceError(f"{self.location.name} holds no {name}: {WHAT_TO_GIVE}.")
        if self._archive is None:
            return open_csv(self._folder / member, required=required, progress=progress)
        try:
            with zipfile.ZipFile(self._archive) as archive:
                info = archive.getinfo(member)
                # The member's stream keeps the file open after the archive is closed.
                stream = archive.open(info)
        except (OSError, zipfile.BadZipFile) as error:
            raise SourceError(f"Cannot read {name} in {self.location.name}: {error}.") from None
        return read_csv(
            stream,
            name=name,
            required=required,
            progress=progress,
            size=info.file_size,
            damaged=(zipfile.BadZipFile, zlib.error, EOFError),
        )


# The files that tell a folder of CORDIS data, in either layout.
_TELLING = (ORGANISATIONS_FILE, DOWNLOAD_ORGANISATIONS, DOWNLOAD_PROJECTS)


def _holding_folder(folder: Path) -> Path:
    """The folder that holds the CORDIS files: the one given, or its only subfolder holding
    them (a download unzipped into a folder of its own)."""
    if any((folder / name).is_file() for name in _TELLING):
        return folder
    holding = [
        entry
        for entry in sorted(folder.iterdir())
        if entry.is_dir() and any((entry / name).is_file() for name in _TELLING)
    ]
    return holding[0] if len(holding) == 1 else folder


def read_topics(
    source: CordisSource, rejected: list[Rejected], *, progress: Progress | None = None
) -> dict[str, Topic]:
    """topics.csv as {topic code: Topic}; bad rows are appended to `rejected`.

    CORDIS's download lists a topic once per project it funded, with its title only; its
    topics.csv may be left out (projects then give activities no topic title)."""
    layout = source.layout
    if layout.download and not source.has(layout.topics):
        return {}
    title = "title" if layout.download else "topicTitle"
    topics: dict[str, Topic] = {}
    first_line: dict[str, int] = {}
    with source.open(layout.topics, required=("topic", title), progress=progress) as rows:
        for line, row in rows:
            code = row["topic"].strip()
            if not code:
                rejected.append(Rejected(layout.topics, "topic is empty", line=line))
            elif code not in topics:
                topics[code] = topic_from_row(row, title_column=title)
                first_line[code] = line
            elif not layout.download:
                rejected.append(
                    Rejected(
                        layout.topics,
                        f"topic {code} appears again (first on line {first_line[code]})",
                        line=line,
                        kind="topic appears again",
                    )
                )
    rejected.extend(rows.rejected)
    return topics


def read_projects(
    source: CordisSource,
    topics: Mapping[str, Topic],
    rejected: list[Rejected],
    *,
    progress: Progress | None = None,
) -> dict[str, Project]:
    """projects.csv (the download's project.csv) as {project id: Project}; bad rows are
    appended to `rejected`."""
    name = source.layout.projects
    projects: dict[str, Project] = {}
    first_line: dict[str, int] = {}
    with source.open(name, required=("id", "acronym", "topics"), progress=progress) as rows:
        for line, row in rows:
            project_id = row["id"].strip()
            if not project_id:
                rejected.append(Rejected(name, "id is empty", line=line))
            elif project_id in projects:
                rejected.append(
                    Rejected(
                        name,
                        f"project {project_id} appears again (first on line "
                        f"{first_line[project_id]})",
                        line=line,
                        kind="project appears again",
                    )
                )
            else:
                projects[project_id] = project_from_row(row, topics)
                first_line[project_id] = line
    rejected.extend(rows.rejected)
    return projects


Participations = dict[str, list[tuple[str, str, int]]]
"""{organisation id: [(project id, role, line in participations.csv or the download's
organization.csv)]}."""


def _add_participation(
    by_organisation: Participations,
    row: Mapping[str, str],
    line: int,
    projects: Mapping[str, Project],
    rejected: list[Rejected],
    layout: Layout,
) -> None:
    """File one participation row under its organisation, or reject it (a key empty, or a
    project the projects file lacks)."""
    project_id = row["projectID"].strip()
    organisation_id = row["organisationID"].strip()
    if not project_id or not organisation_id:
        missing = "projectID" if not project_id else "organisationID"
        rejected.append(Rejected(layout.participations, f"{missing} is empty", line=line))
    elif project_id not in projects:
        rejected.append(
            Rejected(
                layout.participations,
                f"projectID {project_id} is not in {layout.projects}",
                line=line,
                kind=layout.missing_project,
            )
        )
    else:
        by_organisation.setdefault(organisation_id, []).append(
            (sys.intern(project_id), sys.intern(row["role"].strip()), line)
        )


PARTICIPATION_COLUMNS = ("projectID", "organisationID", "role")


def read_participations(
    source: CordisSource,
    projects: Mapping[str, Project],
    rejected: list[Rejected],
    *,
    progress: Progress | None = None,
) -> Participations:
    """participations.csv grouped by organisation, as small tuples (texts stay in projects)."""
    by_organisation: Participations = {}
    layout = source.layout
    with source.open(
        layout.participations, required=PARTICIPATION_COLUMNS, progress=progress
    ) as rows:
        for line, row in rows:
            _add_participation(by_organisation, row, line, projects, rejected, layout)
    rejected.extend(rows.rejected)
    return by_organisation


OrganisationRows = list[tuple[int, dict[str, str]]]
"""Organisation rows with the line each is on, in the order organisations first appear."""


def read_download_organisations(
    source: CordisSource,
    projects: Mapping[str, Project],
    rejected: list[Rejected],
    *,
    progress: Progress | None = None,
) -> tuple[Participations, OrganisationRows]:
    """The download's organization.csv, one row per participation: the participations grouped
    by organisation, as read_participations gives them, and each organisation's row once.

    An organisation's attributes come from its latest row: the one CORDIS updated last
    (`contentUpdateDate`), the later line when they tie or the column is missing."""
    layout = source.layout
    by_organisation: Participations = {}
    latest: dict[str, tuple[str, int, dict[str, str]]] = {}
    with source.open(
        layout.organisations,
        required=tuple(dict.fromkeys((*PARTICIPATION_COLUMNS, *ORGANISATION_COLUMNS))),
        progress=progress,
    ) as rows:
        for line, row in rows:
            _add_participation(by_organisation, row, line, projects, rejected, layout)
            organisation_id = row["organisationID"].strip()
            updated = row.get("contentUpdateDate", "").strip()
            kept = latest.get(organisation_id)
            if organisation_id and (kept is None or updated >= kept[0]):
                fields = {column: row.get(column, "") for column in ORGANISATION_FIELDS}
                latest[organisation_id] = (updated, line, fields)
    rejected.extend(rows.rejected)
    return by_organisation, [(line, fields) for _, line, fields in latest.values()]


def organisation_ids(source: CordisSource) -> set[str]:
    """Every organisationID organisations.csv gives, read ahead of the import: it raises
    CutShort for a file cut off in the middle of a record before anything is written."""
    with source.open(source.layout.organisations, required=ORGANISATION_COLUMNS) as rows:
        return {key for _, row in rows if (key := row["organisationID"].strip())}


def organisation_records(
    rows: Iterable[tuple[int, Mapping[str, str]]],
    participations: Participations,
    projects: Mapping[str, Project],
    rejected: list[Rejected],
    *,
    file: str,
) -> Iterator[tuple[int, OrganisationRecord]]:
    """Organisation rows as (line, mapped record), not yet validated; rows without a usable
    organisationID or country go to `rejected`.

    Each organisation's participations are taken out of `participations` as it is read, so
    what is left at the end refers to organisations the rows do not have.
    """
    first_line: dict[str, int] = {}
    for line, row in rows:
        organisation_id = row["organisationID"].strip()
        reason = kind = None
        if not organisation_id:
            reason = "organisationID is empty"
        elif not organisation_id.isdigit():
            reason = f"organisationID {organisation_id!r} is not a number"
            kind = "organisationID is not a number"
        elif organisation_id in first_line:
            reason = (
                f"organisationID {organisation_id} appears again "
                f"(first on line {first_line[organisation_id]})"
            )
            kind = "organisationID appears again"
        if reason is not None:
            rejected.append(Rejected(file, reason, line=line, kind=kind))
            continue
        first_line[organisation_id] = line
        taken = participations.pop(organisation_id, [])
        if not row["country"].strip():
            rejected.append(Rejected(file, "country is empty", line=line))
            continue
        yield (
            line,
            organisation_from_row(
                row, [(project_id, role) for project_id, role, _ in taken], projects
            ),
        )


def iter_organisations(
    source: CordisSource,
    participations: Participations,
    projects: Mapping[str, Project],
    rejected: list[Rejected],
    *,
    progress: Progress | None = None,
) -> Iterator[tuple[int, OrganisationRecord]]:
    """Stream organisations.csv as (line, mapped record), not yet validated (see
    organisation_records)."""
    name = source.layout.organisations
    with source.open(name, required=ORGANISATION_COLUMNS, progress=progress) as rows:
        yield from organisation_records(rows, participations, projects, rejected, file=name)
    rejected.extend(rows.rejected)
