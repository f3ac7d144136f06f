"""CORDIS open data: streaming CSV readers and the rules that map it to profiles and calls.

Pure functions over rows and files: nothing here touches the database (importer.py does).
The rules are documented, with their measured precision, in docs/import.md.
"""

import csv
import io
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, NamedTuple
from urllib.parse import urlsplit

import pycountry
from pydantic import TypeAdapter, ValidationError
from sklearn.feature_extraction.text import strip_accents_unicode

from matchmaker.importers.type_overrides import TYPE_OVERRIDES
from models.call import RuleSet, default_rule_set
from models.common import StakeholderType
from models.organisation import MAX_ACTIVITIES, ProjectRole, Url

ORGANISATIONS_FILE = "organisations.csv"
PARTICIPATIONS_FILE = "participations.csv"
PROJECTS_FILE = "projects.csv"
TOPICS_FILE = "topics.csv"

# Activity summaries are capped so that a project text copied into each partner's profile
# keeps the database small (see docs/import.md for the measured size).
MAX_SUMMARY = 1000
MAX_ACTIVITY_TITLE = 500
MAX_CALL_DESCRIPTION = 50_000

PROJECT_URL = "https://cordis.europa.eu/project/id/{project_id}"

# CORDIS writes the EU's own codes for two countries; ISO 3166-1 has GB and GR.
COUNTRY_ALIASES = {"UK": "GB", "EL": "GR"}

Progress = Callable[[str, int, int], None]
"""Called as (file name, bytes read, file size) while a file is read."""


class SourceError(Exception):
    """A file or URL that cannot be imported at all: missing, unreachable or not a CORDIS file."""


@dataclass(frozen=True)
class Rejected:
    """A row that was not imported: where it is (line or JSON item) and why."""

    file: str
    reason: str
    line: int | None = None
    item: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else f"item {self.item}"
        return f"{self.file} {where}: {self.reason}"


# --------------------------------------------------------------------------------------------
# Reading files


@dataclass
class CsvRows:
    """Rows of one CSV file as (first physical line, {column: value}), streamed.

    Use it in a `with` block: leaving the block closes the file.
    """

    name: str
    columns: list[str]
    _text: io.TextIOWrapper
    _rows: Iterator[tuple[int, dict[str, str]]] = field(default_factory=lambda: iter(()))
    rejected: list[Rejected] = field(default_factory=list)

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        return self._rows

    def __enter__(self) -> "CsvRows":
        return self

    def __exit__(self, *_: object) -> None:
        self._text.close()


def read_csv(
    stream: IO[bytes],
    *,
    name: str,
    required: Sequence[str],
    progress: Progress | None = None,
    size: int = 0,
) -> CsvRows:
    """Stream a UTF-8 CSV file; rows with the wrong number of fields go to `rejected`.

    The result owns `stream` from here on: closing it (leaving its `with` block) closes both.
    """
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    try:
        header = next(reader)
        columns = [column.strip() for column in header]
        missing = [column for column in required if column not in columns]
        if missing:
            raise SourceError(
                f"{name} lacks the {'column' if len(missing) == 1 else 'columns'} "
                f"{', '.join(missing)}."
            )
    except StopIteration:
        text.close()
        raise SourceError(f"{name} is empty.") from None
    except (UnicodeDecodeError, csv.Error) as error:
        text.close()
        raise SourceError(f"{name} is not a readable UTF-8 CSV file: {error}") from None
    except SourceError:
        text.close()
        raise
    result = CsvRows(name=name, columns=columns, _text=text)

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        # csv.reader's line_num is the physical line where a record ENDS (quoted fields can
        # span lines), so a record starts on the line after the previous record ended.
        end_of_previous = reader.line_num
        count = 0
        while True:
            try:
                values = next(reader)
            except StopIteration:
                break
            except UnicodeDecodeError:
                raise SourceError(
                    f"{name} is not UTF-8 text (after line {end_of_previous})."
                ) from None
            except csv.Error as error:
                result.rejected.append(
                    Rejected(name, f"malformed CSV: {error}", line=end_of_previous + 1)
                )
                end_of_previous = reader.line_num
                continue
            start = end_of_previous + 1
            end_of_previous = reader.line_num
            count += 1
            if progress is not None and count % 2000 == 0:
                progress(name, stream.tell(), size)
            if not values:
                continue
            if len(values) != len(columns):
                result.rejected.append(
                    Rejected(
                        name,
                        f"expected {len(columns)} fields, found {len(values)}",
                        line=start,
                    )
                )
                continue
            yield start, dict(zip(columns, values, strict=True))
        if progress is not None:
            progress(name, size, size)

    result._rows = rows()
    return result


def open_csv(path: Path, *, required: Sequence[str], progress: Progress | None = None) -> CsvRows:
    """Open a CSV file for streaming, to be used in a `with` block."""
    try:
        size = path.stat().st_size
        stream = path.open("rb")
    except OSError as error:
        raise SourceError(f"Cannot read {path.name}: {error.strerror or error}.") from None
    return read_csv(stream, name=path.name, required=required, progress=progress, size=size)


# --------------------------------------------------------------------------------------------
# Cleaning single values

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"\s+")
_URL = TypeAdapter(Url)
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


def website_host(url: str | None) -> str:
    """The lower-cased host of a URL without a leading www., or '' when there is none."""
    if not url:
        return ""
    host = (urlsplit(url if "://" in url else "https://" + url).hostname or "").lower()
    return host.removeprefix("www.")


# --------------------------------------------------------------------------------------------
# Stakeholder types

ACTIVITY_TYPES = {
    "HES": "Higher or secondary education establishment",
    "REC": "Research organisation",
    "PRC": "Private company",
    "PUB": "Public body",
    "OTH": "Organisation",
    "": "Organisation",
}


def fold(text: str) -> str:
    """Lower-case and strip accents so that 'Hôpital' and 'HOPITAL' compare equal."""
    return strip_accents_unicode(text.casefold())


def base_type(activity_type: str, sme: str) -> StakeholderType:
    """The stakeholder type CORDIS's activity type and SME flag give, before any rule."""
    code = activity_type.strip().upper()
    if code in ("HES", "REC"):
        return StakeholderType.academia
    if code == "PRC":
        return StakeholderType.sme if sme.strip().lower() == "true" else StakeholderType.industry
    if code == "PUB":
        return StakeholderType.public_body
    return StakeholderType.other


@dataclass(frozen=True)
class Rule:
    """A name/website rule that overrides the CORDIS type for the kinds CORDIS has no code for."""

    name: str
    stakeholder_type: StakeholderType
    applies_to: frozenset[str]
    names: re.Pattern[str]
    unless: re.Pattern[str] | None = None
    hosts: re.Pattern[str] | None = None

    def fires(self, activity_type: str, folded_name: str, host: str) -> bool:
        """Whether the rule classifies this organisation."""
        if activity_type not in self.applies_to:
            return False
        if self.unless is not None and self.unless.search(folded_name):
            return False
        if self.names.search(folded_name):
            return True
        return bool(host and self.hosts is not None and self.hosts.search(host))


def _words(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns))


_NOT_FOR_PROFIT = frozenset({"OTH", ""})
_PUBLIC_OR_NON_PROFIT = frozenset({"PUB", "OTH", "REC", ""})
_ANY = frozenset({"HES", "REC", "PRC", "PUB", "OTH", ""})

# The order is the precedence: the first rule that fires decides.
RULES: tuple[Rule, ...] = (
    Rule(
        name="medicines_regulator",
        stakeholder_type=StakeholderType.regulator,
        applies_to=_PUBLIC_OR_NON_PROFIT,
        names=_words(
            r"\bmedicines?\b.{0,40}\b(agenc|authori|authouri|regulator)",
            r"\bmedicinal products\b.{0,20}\b(agency|authority)",
            r"\bagency for medicinal products\b",
            r"\bmedical products agency\b",
            r"\bfood (and|&) drugs? (administration|authority|agency)\b",
            r"\bdrugs? (regulatory )?(authority|administration)\b",
            r"\bbeoordeling van geneesmiddelen\b",
            r"\bbfarm\b|\bbundesinstitut fu[e]?r (arzneimittel|impfstoffe)\b",
            r"\bpaul[- ]ehrlich[- ]institut",
            r"\baemps\b|\bagencia espanola de medicamentos\b",
            r"\bansm\b|\bsecurite du medicament\b",
            r"\baifa\b|\bagenzia italiana del farmaco\b",
            r"\binfarmed\b|\bautoridade nacional do medicamento\b",
            r"\bmhra\b|\bhealthcare products regulatory\b|\bhealth products regulatory\b",
            r"\bswissmedic\b|\bfimea\b|\bsukl\b|\bhalmed\b|\bogyei\b",
            r"\blakemedelsverket\b|\blaegemiddelstyrelsen\b|\blegemiddelverk",
            r"\bagency for medicines and health products\b|\bafmps\b|\bfamhp\b",
            r"\bnational organi[sz]ation for medicines\b",
        ),
        hosts=re.compile(
            r"(^|\.)(ema\.europa\.eu|fda\.gov|bfarm\.de|pei\.de|aemps\.gob\.es|ansm\.sante\.fr"
            r"|aifa\.gov\.it|infarmed\.pt|swissmedic\.ch|cbg-meb\.nl|mhra\.gov\.uk|fimea\.fi"
            r"|lakemedelsverket\.se|dkma\.dk|legemiddelverket\.no|hpra\.ie|famhp\.be|afmps\.be"
            r"|fagg\.be|sukl\.cz|halmed\.hr|eof\.gr|ogyei\.gov\.hu|urpl\.gov\.pl)$"
        ),
    ),
    Rule(
        name="patient_organisation",
        stakeholder_type=StakeholderType.patient_organisation,
        applies_to=_NOT_FOR_PROFIT,
        names=_words(
            # patients named outright
            r"\bpatient(s|en|es|i)?\b|\bpacientes\b|\bpazienti\b|\bmalati\b|\bbolnavilor\b",
            r"\beurordis\b|\brare diseases? europe\b|\beuropa donna\b|selbsthilfe|self-help",
            # a condition named beside a membership word ("Alzheimer Europe",
            # "Deutscher Allergie- und Asthmabund", "Vereniging Kinderkanker Nederland")
            r"(cancer|kanker|krebs|cancro|leuka?emia|lymphoma|myeloma|sarcoma|tumou?r|alzheimer"
            r"|parkinson|dementia|diabet|epilep|autis|multiple sclerosis|rheuma|arthrit|psoria"
            r"|asthma|allerg|\bcopd\b|\bkidney|\bliver\b|\bstroke\b|\bhiv\b|hepatitis"
            r"|cystic fibrosis|ha?emophil|thalass|retina|blind|\bdeaf|disabilit|disabled"
            r"|mental health|\bobesity|migraine|\blupus\b|crohn|duchenne|muscular dystroph"
            r"|huntington|sickle cell|endometriosis|rare disease)"
            r".*(associ|asociaci|asociati|vereniging|verband|bund\b|\bliga\b|\bligue|league"
            r"|\blega\b|federa|forbund|forening|yhdistys|spolecnost|somateio|coalition|alliance"
            r"|euronet|\beurope\b|\binternational\b|nederland|deutschland|\bitalia\b|\buk\b"
            r"|\bagainst\b|\bcontra\b|\bcontre\b|\bfighting\b)",
            r"(associ|asociaci|vereniging|federa|\bliga\b|\bligue|league|coalition|alliance"
            r"|fighting|\bagainst\b|\bcontra\b|\bcontre\b)"
            r".*(cancer|cancro|alzheimer|parkinson|dementia|diabet|epilep|autis|blind|disabilit"
            r"|rare disease)",
        ),
        # research bodies, professional societies, trial groups and service providers that
        # carry a disease or "patient" in their names are not patient organisations
        unless=_words(
            r"research|recherche|ricerca|investigaci|investigacao|forschung|onderzoek|scien|cientific"
            r"|\bstud(y|ies)\b|\btrials?\b|\bgr(ou|u)po?\b|\bgroupe?\b|institut|istituto"
            r"|\bcent(er|re|ro|rum)\b|centre|cluster|registry|hospital|clinic|klinik|college"
            r"|academy|society for|physician|surgeon|nurs|oncolog|medical|medicine|pharma"
            r"|safety|education therapeutique|patientenzorg",
        ),
        hosts=re.compile(r"patient|(^|\.)eurordis\.org$"),
    ),
    Rule(
        name="health_service",
        stakeholder_type=StakeholderType.healthcare_provider,
        applies_to=frozenset({"HES", "REC", "PUB", "OTH", ""}),
        names=_words(
            r"\bnhs\b|national health service|\bhealth service\b|\bhealth board\b",
            r"\bservicio \w+ de salud\b|\bosakidetza\b|\bservizio sanitario\b",
            r"\bazienda (socio-)?sanitaria\b|\bunita'? sanitaria locale\b|\basst\b|\bausl\b"
            r"|\bulss\b|\basl\b",
            r"\bhelse \w+( \w+)? hf\b",
        ),
        hosts=re.compile(r"\.nhs\.(uk|net)$"),
    ),
    Rule(
        name="medical_centre",
        stakeholder_type=StakeholderType.healthcare_provider,
        applies_to=_ANY,
        names=_words(
            r"\bmedical cent(er|re)s?\b|\bmedisch centrum\b|umc\b|\bcancer cent(er|re)\b",
            r"\buniversit(a|ae)tsmedizin\b|\bcharite\b",
            r"\birccs\b|\bricovero e cura a carattere scientifico\b",
            r"\blutte contre le cancer\b|\binstitut de cancerologie\b"
            r"|\binstitut regional du cancer\b",
            r"\bassistance publique\b|\bhospices civils\b|\bcentre hospitalier\b"
            r"|\bcentro hospitalar\b",
            # comprehensive cancer centres and research hospitals whose names say neither
            r"\bistituto europeo di oncologia\b|\binstitut catala d'?oncologia\b"
            r"|\binstituto portugues de oncologia\b",
            r"\bistituto (nazionale )?(per lo studio e la cura )?(dei )?tumori\b",
            r"\bgustave roussy\b|\binstitut curie\b|\bantoni van leeuwenhoek\b"
            r"|\bcentro cardiologico monzino\b",
        ),
        # a research institute beside a university medical centre is not the centre
        unless=_words(r"\ban ?der universit(a|ae)tsmedizin\b"),
        hosts=re.compile(r"(^|[.-])(chu|chru)[.-]"),
    ),
    Rule(
        name="hospital_name",
        stakeholder_type=StakeholderType.healthcare_provider,
        applies_to=_ANY,
        names=_words(
            r"hospital(?!ity)|\bhopita|\bhospitalier|\bospedal|\bospitalier|ziekenhuis",
            r"klinik(um|en|a)?\b|krankenh(au|ä)s|\bclinics?\b|\bpoli(clinico|clinique|klinik)",
            r"sygehus|sjukhus|sykehus|szpital|nemocnic|\bbolnica|korhaz|sairaala"
            r"|spital(?!ity)|ligonin|nosokomei|hastane",
        ),
        # federations, networks and clubs of hospitals, and schools named after one, are not
        # hospitals; nor is a charity (ONLUS) that raises money for one
        unless=_words(
            r"associ|asociaci|federa|verband|\bnetz\b|network|reseau|alliance|acheteurs"
            r"|\bclub\b|\bklub\b|\bonlus\b|medical school|school of medicine",
            # the Institute of Cancer Research's legal name keeps a hospital it no longer runs
            r"\binstitute of cancer research\b",
        ),
        hosts=re.compile(r"hospital(?!ity)|hopital|ospedale|ziekenhuis|klinikum|uniklinik"),
    ),
)


class Classification(NamedTuple):
    """The stakeholder type given to an organisation and the rule that decided it (if any)."""

    stakeholder_type: StakeholderType
    rule: str | None


OVERRIDE = "override"


def classify(
    activity_type: str,
    sme: str,
    name: str,
    website: str | None,
    *,
    organisation_id: str | None = None,
) -> Classification:
    """CORDIS type refined by the name/website rules (first matching rule wins).

    With `organisation_id`, a reviewed override in `TYPE_OVERRIDES` comes first (its rule is
    "override"); without it, the rules alone decide, as the measured accuracy assumes.
    """
    if organisation_id is not None and organisation_id.strip() in TYPE_OVERRIDES:
        return Classification(TYPE_OVERRIDES[organisation_id.strip()].stakeholder_type, OVERRIDE)
    code = activity_type.strip().upper()
    folded = fold(name)
    host = website_host(website)
    for rule in RULES:
        if rule.fires(code, folded, host):
            return Classification(rule.stakeholder_type, rule.name)
    return Classification(base_type(code, sme), None)


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


def topic_from_row(row: Mapping[str, str]) -> Topic:
    """Keep a topic's title, its description cut to MAX_SUMMARY, and its year."""
    code = row["topic"].strip()
    title = one_line(row.get("topicTitle", ""))
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
    return Project(acronym=acronym, title=title, summary=summary, year=year)


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
# Reading a CORDIS folder


def read_topics(
    path: Path, rejected: list[Rejected], *, progress: Progress | None = None
) -> dict[str, Topic]:
    """topics.csv as {topic code: Topic}; bad rows are appended to `rejected`."""
    topics: dict[str, Topic] = {}
    first_line: dict[str, int] = {}
    with open_csv(path, required=("topic", "topicTitle"), progress=progress) as rows:
        for line, row in rows:
            code = row["topic"].strip()
            if not code:
                rejected.append(Rejected(path.name, "topic is empty", line=line))
            elif code in topics:
                rejected.append(
                    Rejected(
                        path.name,
                        f"topic {code} appears again (first on line {first_line[code]})",
                        line=line,
                    )
                )
            else:
                topics[code] = topic_from_row(row)
                first_line[code] = line
    rejected.extend(rows.rejected)
    return topics


def read_projects(
    path: Path,
    topics: Mapping[str, Topic],
    rejected: list[Rejected],
    *,
    progress: Progress | None = None,
) -> dict[str, Project]:
    """projects.csv as {project id: Project}; bad rows are appended to `rejected`."""
    projects: dict[str, Project] = {}
    first_line: dict[str, int] = {}
    with open_csv(path, required=("id", "acronym", "topics"), progress=progress) as rows:
        for line, row in rows:
            project_id = row["id"].strip()
            if not project_id:
                rejected.append(Rejected(path.name, "id is empty", line=line))
            elif project_id in projects:
                rejected.append(
                    Rejected(
                        path.name,
                        f"project {project_id} appears again (first on line "
                        f"{first_line[project_id]})",
                        line=line,
                    )
                )
            else:
                projects[project_id] = project_from_row(row, topics)
                first_line[project_id] = line
    rejected.extend(rows.rejected)
    return projects


Participations = dict[str, list[tuple[str, str, int]]]
"""{organisation id: [(project id, role, line in participations.csv)]}."""


def read_participations(
    path: Path,
    projects: Mapping[str, Project],
    rejected: list[Rejected],
    *,
    progress: Progress | None = None,
) -> Participations:
    """participations.csv grouped by organisation, as small tuples (texts stay in projects)."""
    by_organisation: Participations = {}
    with open_csv(
        path, required=("projectID", "organisationID", "role"), progress=progress
    ) as rows:
        for line, row in rows:
            project_id = row["projectID"].strip()
            organisation_id = row["organisationID"].strip()
            if not project_id or not organisation_id:
                missing = "projectID" if not project_id else "organisationID"
                rejected.append(Rejected(path.name, f"{missing} is empty", line=line))
                continue
            if project_id not in projects:
                rejected.append(
                    Rejected(
                        path.name, f"projectID {project_id} is not in {PROJECTS_FILE}", line=line
                    )
                )
                continue
            by_organisation.setdefault(organisation_id, []).append(
                (sys.intern(project_id), sys.intern(row["role"].strip()), line)
            )
    rejected.extend(rows.rejected)
    return by_organisation


def iter_organisations(
    path: Path,
    participations: Participations,
    projects: Mapping[str, Project],
    rejected: list[Rejected],
    *,
    progress: Progress | None = None,
) -> Iterator[tuple[int, OrganisationRecord]]:
    """Stream organisations.csv as (line, mapped record), not yet validated.

    Each organisation's participations are taken out of `participations` as it is read, so
    what is left at the end refers to organisations the file does not have.
    """
    first_line: dict[str, int] = {}
    with open_csv(
        path,
        required=("organisationID", "name", "activityType", "SME", "country", "city"),
        progress=progress,
    ) as rows:
        for line, row in rows:
            organisation_id = row["organisationID"].strip()
            reason = None
            if not organisation_id:
                reason = "organisationID is empty"
            elif not organisation_id.isdigit():
                reason = f"organisationID {organisation_id!r} is not a number"
            elif organisation_id in first_line:
                reason = (
                    f"organisationID {organisation_id} appears again "
                    f"(first on line {first_line[organisation_id]})"
                )
            if reason is not None:
                rejected.append(Rejected(path.name, reason, line=line))
                continue
            first_line[organisation_id] = line
            taken = participations.pop(organisation_id, [])
            if not row["country"].strip():
                rejected.append(Rejected(path.name, "country is empty", line=line))
                continue
            yield (
                line,
                organisation_from_row(
                    row, [(project_id, role) for project_id, role, _ in taken], projects
                ),
            )
    rejected.extend(rows.rejected)
