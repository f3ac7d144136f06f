"""Consortium recovery: do suggestions find the organisations that really won a call?

The protocol, on a CORDIS folder (the files `matchmaker import cordis` reads):

1. Split by call topic, in one of two ways (`split`):
   - ``random`` (the default): every topic matching `test_pattern` (by default the Cancer
     Mission, ``HORIZON-MISS-<year>-CANCER-*``) and a fixed pseudo-random `test_share` of the
     other topics that have a text go to the test part; every other topic, and its projects,
     to the profile part. The draw hashes each topic code with the seed, so it does not depend
     on the order of the files or on a random-number library.
   - ``temporal``: today's profiles, tomorrow's calls. Topics whose code carries a year in
     `profile_years` (2021 and 2022), and their projects, are the profile part; topics of
     `query_from` (2023) and later, and their projects, the test part. The year is the one in
     the topic code (``HORIZON-CL5-2023-...``): most projects of the slice have no start date.
     A topic whose code has no year is in neither part.
2. Profiles are built from the profile part only, with the importer's own rules
   (`matchmaker.importers.cordis`): an organisation's activities are its profile-part projects.
   An organisation without one has no profile (cold start): it can be neither suggested nor
   found. Every profile goes through the schema the API validates (`OrganisationCreate`), as
   both the importer and ``POST /organisations`` do, and is kept as it would be stored; how the
   data arrived is the `mode`:
   - ``imported``: as `matchmaker import cordis` stores it: each activity with its CORDIS URL,
     the organisation's role and the call it was funded under (its topic code, a profile-part
     topic: no test topic is named in a profile), and the profile part's topics with a text
     stored as calls (their texts weight query terms by call frequency).
   - ``http``: as an organisation submits itself over the API: each past project as
     ``{title, summary, year}`` only (no URL, no role, no call, no CORDIS id), and no call
     stored (a new deployment). The same organisations, with the same facts, either way.
3. Queries. A test topic with a text asks with the topic's title and description (as the call
   importer would store it); its relevant set is every organisation in a project funded under
   the topic. A test project with an objective and at least `min_consortium` organisations asks
   with its title and objective; its relevant set is its consortium. A draft query is a project
   query whose coordinator has a profile: the coordinator is given as a partner (excluded from
   the ranking) and the rest of the consortium is to be found. Only organisations with a
   profile count as relevant; the share without one is reported apart (`cold_start_share`).
4. Metrics, averaged over the queries of a kind: recall@50 and recall@200 (share of the
   relevant organisations in the top k), nDCG@50 (binary gain, ideal = all relevant first) and
   stakeholder-type coverage@50 (share of the stakeholder types among the relevant
   organisations that at least one organisation in the top 50 has). For the product's ranking
   also the share of its top 20 suggestions whose text cosine (the value of the text-similarity
   reason it gives them) is below 0.1, pooled over the queries of a kind: suggestions that the
   rest of the evidence, not the text, put there.

The metrics are in `metrics`, the rankers in `rankers`, running and reporting in `report`.
Pure: no database, no web framework.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pydantic import ValidationError

from matchmaker.importers.cordis import (
    ORGANISATIONS_FILE,
    PROJECTS_FILE,
    TOPICS_FILE,
    CordisSource,
    call_from_topic,
    clean_paragraphs,
    iter_organisations,
    one_line,
    read_participations,
    read_projects,
    read_topics,
    year_in_code,
)
from matchmaker.importers.csv_source import Rejected, SourceError, open_csv
from matchmaker.matching.text import activity_text, call_text
from models.organisation import OrganisationCreate

CANCER_MISSION: Final = r"^HORIZON-MISS-\d{4}-CANCER-"
TEST_SHARE: Final = 0.2
MIN_CONSORTIUM: Final = 5
RECALL_AT: Final = (50, 200)
NDCG_AT: Final = 50
COVERAGE_AT: Final = 50
KINDS: Final = ("topic", "project", "draft")
SPLITS: Final = ("random", "temporal")
MODES: Final = ("imported", "http")
PROFILE_YEARS: Final = (2021, 2022)
QUERY_FROM: Final = 2023
LOW_COSINE_AT: Final = 20
LOW_COSINE_BELOW: Final = 0.1
# The fields of a past project an organisation submits over the API.
SUBMITTED_ACTIVITY_FIELDS: Final = ("title", "summary", "year")
# Texts shorter than this are too generic to prove a leak (an acronym, "Twinning").
_MIN_LEAK_CHARS: Final = 20
_LEAK_PREFIX_CHARS: Final = 200

# --------------------------------------------------------------------------------------------
# The benchmark


@dataclass(frozen=True, slots=True)
class Profile:
    """An organisation as the profile part shows it: the product's profile fields, and more."""

    id: int
    name: str
    description: str
    keywords: tuple[str, ...]
    activities: tuple[Mapping[str, Any], ...]
    stakeholder_type: str
    country: str
    participations: int


@dataclass(frozen=True, slots=True)
class Query:
    """A text to rank profiles for, the organisations that should come first, and context."""

    kind: str
    key: str
    text: str
    relevant: frozenset[int]
    cold_start: int
    partners: frozenset[int] = frozenset()
    # The topic the query comes from (its own code for a topic query): queries of one topic
    # share their organisations, so a study that fits on some queries holds out whole topics.
    topic: str = ""


@dataclass(frozen=True, slots=True)
class CallTexts:
    """The calls whose texts weigh query terms: those the service stores (`stored`) and those
    it knows without storing them (`known`: what the package's call-frequency table stands for,
    `matchmaker.matching.call_terms`)."""

    stored: tuple[str, ...] = ()
    known: tuple[str, ...] = ()


NO_CALLS: Final = CallTexts()


@dataclass(frozen=True)
class Benchmark:
    """Profiles built from the profile part, queries from the test part, and what was left out."""

    profiles: tuple[Profile, ...]
    queries: tuple[Query, ...]
    test_topics: frozenset[str]
    # The calls the service would have stored: the profile part's topics with a text when
    # imported, none when fed over HTTP (a new deployment).
    call_texts: tuple[str, ...]
    # Every topic text outside the test part, in either mode: what the package's call-frequency
    # table stands for (`matchmaker.matching.call_terms`).
    known_call_texts: tuple[str, ...]
    profile_projects: int
    test_projects: int
    test_texts: tuple[str, ...]
    reused_texts: frozenset[str]
    skipped: Mapping[str, int]
    rejected: int
    split: str = "random"
    mode: str = "imported"

    @property
    def calls(self) -> CallTexts:
        """The stored and the known calls, as the rankers take them."""
        return CallTexts(self.call_texts, self.known_call_texts)

    def of_kind(self, kind: str) -> list[Query]:
        """The queries of one kind."""
        return [query for query in self.queries if query.kind == kind]

    def cold_start_share(self, kind: str) -> float:
        """Share of the organisations to find, over a kind's queries, that have no profile."""
        queries = self.of_kind(kind)
        cold = sum(query.cold_start for query in queries)
        total = cold + sum(len(query.relevant) for query in queries)
        return cold / total if total else 0.0

    def leaked_texts(self) -> list[str]:
        """Test-part texts (project titles and objectives, topic titles and texts) found in a
        profile, a stored call's text or a known call's text; empty when the split holds.

        Texts the profile part also has (a topic run again under a new code with the same
        title or text) are in `reused_texts` and not checked: profiles hold them legitimately.
        """
        pieces = {
            one_line(piece)
            for profile in self.profiles
            for piece in (
                profile.name,
                profile.description,
                *profile.keywords,
                *(activity_text(activity) for activity in profile.activities),
            )
        } | {one_line(text) for text in (*self.call_texts, *self.known_call_texts)}
        corpus = "\n".join(sorted(pieces))
        return [
            text
            for text in self.test_texts
            if text not in self.reused_texts and _probe(text) in corpus
        ]


def _probe(text: str) -> str:
    """The start of a text, white space collapsed: what a profile holding it would contain."""
    return one_line(text)[:_LEAK_PREFIX_CHARS]


def _draw(code: str, seed: int) -> str:
    return hashlib.sha256(f"{seed}:{code}".encode()).hexdigest()


def split_topics(
    topics_with_text: Iterable[str],
    used_topics: Iterable[str],
    *,
    test_pattern: str = CANCER_MISSION,
    test_share: float = TEST_SHARE,
    seed: int = 0,
) -> frozenset[str]:
    """The test topics: every used topic matching the pattern, and a share of the others with
    text, drawn by hashing each code with the seed."""
    pattern = re.compile(test_pattern)
    matching = {code for code in used_topics if pattern.search(code)}
    others = sorted(
        {code for code in topics_with_text if not pattern.search(code)},
        key=lambda code: (_draw(code, seed), code),
    )
    return frozenset(matching | set(others[: round(test_share * len(others))]))


def temporal_split(
    codes: Iterable[str],
    *,
    profile_years: Iterable[int] = PROFILE_YEARS,
    query_from: int = QUERY_FROM,
) -> tuple[frozenset[str], frozenset[str]]:
    """(profile topics, test topics) by the year in each code: the profile years' topics, and
    those of `query_from` and later. A code without a year is in neither."""
    years = frozenset(profile_years)
    if any(year >= query_from for year in years):
        raise ValueError(f"profile years {sorted(years)} must all be before {query_from}")
    profile, test = set(), set()
    for code in codes:
        year = year_in_code(code)
        if year in years:
            profile.add(code)
        elif year is not None and year >= query_from:
            test.add(code)
    return frozenset(profile), frozenset(test)


def submitted_fields(fields: Mapping[str, Any], mode: str) -> dict[str, Any]:
    """The fields of an organisation as the `mode` hands them to the API's schema.

    ``imported``: the importer's fields unchanged. ``http``: each activity reduced to what an
    organisation submits about a past project (`SUBMITTED_ACTIVITY_FIELDS`).
    """
    if mode == "imported":
        return dict(fields)
    if mode == "http":
        return {
            **fields,
            "activities": [
                {name: activity[name] for name in SUBMITTED_ACTIVITY_FIELDS if name in activity}
                for activity in fields.get("activities", ())
            ],
        }
    raise ValueError(f"unknown mode {mode!r}; known: {', '.join(MODES)}")


def stored_profile(fields: Mapping[str, Any], mode: str) -> dict[str, Any]:
    """An organisation as the service stores it: validated by `OrganisationCreate` (the schema
    of ``POST /organisations`` and of the importer) and dumped as JSON, as the database keeps
    it. Raises pydantic's ValidationError where the API would answer 422."""
    submitted = submitted_fields(fields, mode)
    return OrganisationCreate.model_validate(submitted).model_dump(mode="json")


@dataclass(frozen=True, slots=True)
class _QueryText:
    title: str
    description: str


def load_benchmark(
    directory: Path | str,
    *,
    split: str = "random",
    mode: str = "imported",
    seed: int = 0,
    test_share: float = TEST_SHARE,
    test_pattern: str = CANCER_MISSION,
    min_consortium: int = MIN_CONSORTIUM,
    profile_years: Iterable[int] = PROFILE_YEARS,
    query_from: int = QUERY_FROM,
) -> Benchmark:
    """Read a CORDIS folder, split it by topic, and build the profiles and the queries.

    `seed`, `test_share` and `test_pattern` shape the ``random`` split, `profile_years` and
    `query_from` the ``temporal`` one; `mode` is how the profiles arrived (``imported`` or
    ``http``, see the module's description).
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; known: {', '.join(SPLITS)}")
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; known: {', '.join(MODES)}")
    folder = Path(directory)
    if not folder.is_dir():
        raise SourceError(f"{folder} is not a folder.")
    rejected: list[Rejected] = []
    topic_rows: dict[str, dict[str, str]] = {}
    with open_csv(folder / TOPICS_FILE, required=("topic", "topicTitle")) as rows:
        for _, row in rows:
            topic_rows.setdefault(row["topic"].strip(), row)
    project_rows: dict[str, dict[str, str]] = {}
    with open_csv(folder / PROJECTS_FILE, required=("id", "acronym", "topics")) as rows:
        for _, row in rows:
            project_rows.setdefault(row["id"].strip(), row)
    source = CordisSource(folder)
    topics = read_topics(source, rejected)
    projects = read_projects(source, topics, rejected)
    participations = read_participations(source, projects, rejected)

    topic_of = {pid: project_rows[pid]["topics"].strip() for pid in projects}
    codes = set(topic_rows) | set(topic_of.values())
    if split == "temporal":
        profile_topics, test_topics = temporal_split(
            codes, profile_years=profile_years, query_from=query_from
        )
    else:
        with_text = [code for code, row in topic_rows.items() if row.get("description", "").strip()]
        test_topics = split_topics(
            with_text,
            set(topic_of.values()),
            test_pattern=test_pattern,
            test_share=test_share,
            seed=seed,
        )
        profile_topics = frozenset(codes - test_topics)
    profile_projects = {pid: p for pid, p in projects.items() if topic_of[pid] in profile_topics}
    test_projects = sum(1 for pid in projects if topic_of[pid] in test_topics)

    members: dict[str, set[int]] = defaultdict(set)
    coordinators: dict[str, int] = {}
    for organisation, rows_of in participations.items():
        for project_id, role, _ in rows_of:
            members[project_id].add(int(organisation))
            if role == "coordinator":
                coordinators.setdefault(project_id, int(organisation))

    profiles = []
    # iter_organisations takes each organisation's participations out of the mapping it reads.
    remaining = {org: list(rows_of) for org, rows_of in participations.items()}
    for line, record in iter_organisations(source, remaining, profile_projects, rejected):
        if not record.fields["activities"]:
            continue
        try:
            fields = stored_profile(record.fields, mode)
        except ValidationError as error:
            rejected.append(Rejected(ORGANISATIONS_FILE, f"invalid profile: {error}", line=line))
            continue
        raw_id = record.external_id.removeprefix("cordis:")
        organisation_id = int(raw_id)
        past = {pid for pid, _, _ in participations.get(raw_id, ())}
        profiles.append(
            Profile(
                id=organisation_id,
                name=fields["name"],
                description=fields["description"],
                keywords=tuple(fields["keywords"]),
                activities=tuple(fields["activities"]),
                stakeholder_type=fields["stakeholder_type"],
                country=fields["country"],
                participations=len(past & profile_projects.keys()),
            )
        )
    profiled = {profile.id for profile in profiles}

    by_topic: dict[str, list[str]] = defaultdict(list)
    for pid in sorted(projects, key=lambda pid: (len(pid), pid)):
        by_topic[topic_of[pid]].append(pid)
    queries: list[Query] = []
    skipped: dict[str, int] = dict.fromkeys(KINDS, 0)
    test_texts: list[str] = []

    def add(
        kind: str, key: str, text: str, wanted: set[int], partners: frozenset[int], topic: str
    ) -> None:
        found = frozenset(wanted & profiled)
        if not found:
            skipped[kind] += 1
            return
        cold = len(wanted - profiled)
        queries.append(Query(kind, key, text, found, cold, partners, topic))

    for code in sorted(test_topics):
        row = topic_rows.get(code, {})
        title, description = row.get("topicTitle", ""), row.get("description", "")
        test_texts.extend(text for text in (title, description) if len(text) >= _MIN_LEAK_CHARS)
        if not description.strip():
            continue
        call = call_from_topic({**row, "topic": code})
        winners = set().union(*(members[pid] for pid in by_topic[code]))
        text = call_text(_QueryText(call["title"], call["description"]))
        add("topic", code, text, winners, frozenset(), code)
    for code in sorted(test_topics):
        for pid in by_topic[code]:
            row = project_rows[pid]
            title, objective = (
                one_line(row.get("title", "")),
                clean_paragraphs(row.get("objective", "")),
            )
            test_texts.extend(text for text in (title, objective) if len(text) >= _MIN_LEAK_CHARS)
            consortium = members[pid]
            if not objective or len(consortium) < min_consortium:
                continue
            text = call_text(_QueryText(title, objective))
            add("project", pid, text, set(consortium), frozenset(), code)
            coordinator = coordinators.get(pid)
            if coordinator in profiled:
                add("draft", pid, text, consortium - {coordinator}, frozenset({coordinator}), code)
    unique = tuple(dict.fromkeys(test_texts))
    # Every topic with a text that no query comes from: what the package's call-frequency
    # table stands for (it is counted over topics outside the held-out data), in both modes;
    # of them, the profile part's are the calls the service would have stored, none on a new
    # deployment (http).
    known = {
        code: call_text(_QueryText(call["title"], call["description"]))
        for code, call in (
            (code, call_from_topic({**row, "topic": code}))
            for code, row in sorted(topic_rows.items())
            if code not in test_topics and row.get("description", "").strip()
        )
    }
    stored = [text for code, text in known.items() if code in profile_topics]
    return Benchmark(
        profiles=tuple(profiles),
        queries=tuple(queries),
        test_topics=test_topics,
        call_texts=tuple(stored) if mode == "imported" else (),
        known_call_texts=tuple(known.values()),
        profile_projects=len(profile_projects),
        test_projects=test_projects,
        test_texts=unique,
        reused_texts=_reused(unique, profile_projects, project_rows, topic_rows),
        skipped=skipped,
        rejected=len(rejected),
        split=split,
        mode=mode,
    )


def _reused(
    texts: Iterable[str],
    profile_projects: Iterable[str],
    project_rows: Mapping[str, Mapping[str, str]],
    topic_rows: Mapping[str, Mapping[str, str]],
) -> frozenset[str]:
    """The texts that a profile-part project or its topic also has, word for word."""
    sources = set()
    for pid in profile_projects:
        row = project_rows[pid]
        topic = topic_rows.get(row["topics"].strip(), {})
        for text in (row.get("title"), row.get("objective"), row.get("topicTitle")):
            sources.add(one_line(text or ""))
        for text in (topic.get("topicTitle"), topic.get("description")):
            sources.add(one_line(text or ""))
    corpus = "\n".join(sorted(sources))
    return frozenset(text for text in texts if _probe(text) in corpus)
