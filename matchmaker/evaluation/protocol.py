"""Consortium recovery: do suggestions find the organisations that really won a call?

The protocol, on a CORDIS folder (the files `matchmaker import cordis` reads):

1. Split by call topic. Every topic matching `test_pattern` (by default the Cancer Mission,
   ``HORIZON-MISS-<year>-CANCER-*``) and a fixed pseudo-random `test_share` of the other topics
   that have a text go to the test part; every other topic, and its projects, to the profile
   part. The draw hashes each topic code with the seed, so it does not depend on the order of
   the files or on a random-number library.
2. Profiles are built from the profile part only, with the importer's own rules
   (`matchmaker.importers.cordis`): an organisation's activities are its profile-part projects. An
   organisation without one has no profile (cold start): it can be neither suggested nor found.
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
   organisations that at least one organisation in the top 50 has).

Rankers see only the profiles and the query text (and a draft's partners): `random`,
`popularity` (most profile-part participations), `tfidf` (scikit-learn's defaults),
`bm25` (Okapi BM25 over scikit-learn's token counts) and `matchmaker`
(`matchmaker.matching.profile_index`, the code the API serves). Pure: no database, no web framework.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol, Self

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from matchmaker.importers.cordis import (
    ORGANISATIONS_FILE,
    PARTICIPATIONS_FILE,
    PROJECTS_FILE,
    TOPICS_FILE,
    Rejected,
    SourceError,
    call_from_topic,
    clean_paragraphs,
    iter_organisations,
    one_line,
    open_csv,
    read_participations,
    read_projects,
    read_topics,
)
from matchmaker.matching.profile_index import MATCHER_SETTINGS, ProfileIndex, Weights, top_rows
from matchmaker.matching.text import activity_text, call_text, organisation_text
from matchmaker.matching.text_index import TfidfMatcher

CANCER_MISSION: Final = r"^HORIZON-MISS-\d{4}-CANCER-"
TEST_SHARE: Final = 0.2
MIN_CONSORTIUM: Final = 5
RECALL_AT: Final = (50, 200)
NDCG_AT: Final = 50
COVERAGE_AT: Final = 50
KINDS: Final = ("topic", "project", "draft")
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


@dataclass(frozen=True)
class Benchmark:
    """Profiles built from the profile part, queries from the test part, and what was left out."""

    profiles: tuple[Profile, ...]
    queries: tuple[Query, ...]
    test_topics: frozenset[str]
    # The calls the service would have stored: the profile part's topics with a text.
    call_texts: tuple[str, ...]
    profile_projects: int
    test_projects: int
    test_texts: tuple[str, ...]
    reused_texts: frozenset[str]
    skipped: Mapping[str, int]
    rejected: int

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
        profile or a stored call's text; empty when the split holds.

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
        } | {one_line(text) for text in self.call_texts}
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


@dataclass(frozen=True, slots=True)
class _QueryText:
    title: str
    description: str


def load_benchmark(
    directory: Path | str,
    *,
    seed: int = 0,
    test_share: float = TEST_SHARE,
    test_pattern: str = CANCER_MISSION,
    min_consortium: int = MIN_CONSORTIUM,
) -> Benchmark:
    """Read a CORDIS folder, split it by topic, and build the profiles and the queries."""
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
    topics = read_topics(folder / TOPICS_FILE, rejected)
    projects = read_projects(folder / PROJECTS_FILE, topics, rejected)
    participations = read_participations(folder / PARTICIPATIONS_FILE, projects, rejected)

    topic_of = {pid: project_rows[pid]["topics"].strip() for pid in projects}
    with_text = [code for code, row in topic_rows.items() if row.get("description", "").strip()]
    test_topics = split_topics(
        with_text,
        set(topic_of.values()),
        test_pattern=test_pattern,
        test_share=test_share,
        seed=seed,
    )
    profile_projects = {pid: p for pid, p in projects.items() if topic_of[pid] not in test_topics}

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
    for _, record in iter_organisations(
        folder / ORGANISATIONS_FILE, remaining, profile_projects, rejected
    ):
        fields = record.fields
        if not fields["activities"]:
            continue
        raw_id = record.external_id.removeprefix("cordis:")
        organisation_id = int(raw_id)
        past = {pid for pid, _, _ in participations.get(raw_id, ())}
        profiles.append(
            Profile(
                id=organisation_id,
                name=fields["name"],
                description=fields["description"],
                keywords=(),
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

    def add(kind: str, key: str, text: str, wanted: set[int], partners: frozenset[int]) -> None:
        found = frozenset(wanted & profiled)
        if not found:
            skipped[kind] += 1
            return
        cold = len(wanted - profiled)
        queries.append(Query(kind, key, text, found, cold, partners))

    for code in sorted(test_topics):
        row = topic_rows.get(code, {})
        title, description = row.get("topicTitle", ""), row.get("description", "")
        test_texts.extend(text for text in (title, description) if len(text) >= _MIN_LEAK_CHARS)
        if not description.strip():
            continue
        call = call_from_topic({**row, "topic": code})
        winners = set().union(*(members[pid] for pid in by_topic[code]))
        text = call_text(_QueryText(call["title"], call["description"]))
        add("topic", code, text, winners, frozenset())
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
            add("project", pid, text, set(consortium), frozenset())
            coordinator = coordinators.get(pid)
            if coordinator in profiled:
                add("draft", pid, text, consortium - {coordinator}, frozenset({coordinator}))
    unique = tuple(dict.fromkeys(test_texts))
    stored_calls = [
        call_from_topic({**row, "topic": code})
        for code, row in sorted(topic_rows.items())
        if code not in test_topics and row.get("description", "").strip()
    ]
    return Benchmark(
        profiles=tuple(profiles),
        queries=tuple(queries),
        test_topics=test_topics,
        call_texts=tuple(
            call_text(_QueryText(call["title"], call["description"])) for call in stored_calls
        ),
        profile_projects=len(profile_projects),
        test_projects=len(projects) - len(profile_projects),
        test_texts=unique,
        reused_texts=_reused(unique, profile_projects, project_rows, topic_rows),
        skipped=skipped,
        rejected=len(rejected),
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


# --------------------------------------------------------------------------------------------
# Metrics


def recall_at(ranked: Sequence[int], relevant: Collection[int], k: int) -> float:
    """Share of the relevant organisations among the first k ranked."""
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & set(relevant)) / len(relevant)


def ndcg_at(ranked: Sequence[int], relevant: Collection[int], k: int) -> float:
    """Normalised discounted cumulative gain at k with gain 1 for each relevant organisation."""
    wanted = set(relevant)
    if not wanted:
        return 0.0
    gain = sum(1.0 / math.log2(rank + 2) for rank, i in enumerate(ranked[:k]) if i in wanted)
    ideal = sum(1.0 / math.log2(rank + 2) for rank in range(min(k, len(wanted))))
    return gain / ideal


def type_coverage_at(
    ranked: Sequence[int], relevant: Collection[int], types: Mapping[int, str], k: int
) -> float:
    """Share of the relevant organisations' stakeholder types that someone in the top k has."""
    needed = {types[i] for i in relevant if i in types}
    if not needed:
        return 0.0
    offered = {types[i] for i in ranked[:k] if i in types}
    return len(needed & offered) / len(needed)


# --------------------------------------------------------------------------------------------
# Rankers


class Ranker(Protocol):
    """Something that ranks profiles for a query: fitted once, asked per query."""

    name: str

    def fit(self, profiles: Sequence[Profile], call_texts: Sequence[str] = ()) -> Self:
        """Index the profiles."""
        ...

    def rank(self, query: Query, k: int) -> list[int]:
        """The ids of the k profiles that best fit the query, best first."""
        ...


def top_ids(scores: np.ndarray, ids: np.ndarray, k: int) -> list[int]:
    """The ids of the k best positive scores, best first, ties by ascending id."""
    return ids[top_rows(scores, ids, k)].tolist()


def _texts(profiles: Sequence[Profile]) -> list[str]:
    return [organisation_text(profile) for profile in profiles]


class RandomRanker:
    """Profiles in a random order (seeded): what chance alone recovers."""

    name = "random"

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def fit(self, profiles: Sequence[Profile], call_texts: Sequence[str] = ()) -> Self:
        """Remember the ids."""
        self.ids_ = np.asarray([profile.id for profile in profiles], dtype=np.int64)
        self.rng_ = np.random.default_rng(self.seed)
        return self

    def rank(self, query: Query, k: int) -> list[int]:
        """k ids drawn without replacement."""
        picked = self.rng_.choice(self.ids_.size, size=min(k, self.ids_.size), replace=False)
        return self.ids_[picked].tolist()


class PopularityRanker:
    """The organisations with the most profile-part participations first, whatever the text."""

    name = "popularity"

    def fit(self, profiles: Sequence[Profile], call_texts: Sequence[str] = ()) -> Self:
        """Order the profiles once."""
        ids = np.asarray([profile.id for profile in profiles], dtype=np.int64)
        counts = np.asarray([profile.participations for profile in profiles], dtype=np.float64)
        self.order_ = top_ids(counts, ids, ids.size)
        return self

    def rank(self, query: Query, k: int) -> list[int]:
        """The same ranking for every query."""
        return self.order_[:k]


class TfidfRanker:
    """Cosine of scikit-learn `TfidfVectorizer` vectors with its default settings."""

    name = "tfidf"

    def fit(self, profiles: Sequence[Profile], call_texts: Sequence[str] = ()) -> Self:
        """Fit the vectorizer on the profile texts."""
        self.ids_ = np.asarray([profile.id for profile in profiles], dtype=np.int64)
        self.vectorizer_ = TfidfVectorizer()
        self.matrix_ = self.vectorizer_.fit_transform(_texts(profiles)).tocsr()
        return self

    def rank(self, query: Query, k: int) -> list[int]:
        """Profiles by cosine with the query."""
        vector = self.vectorizer_.transform([query.text])
        scores = (self.matrix_ @ vector.T).toarray().ravel()
        return top_ids(scores, self.ids_, k)


class Bm25Ranker:
    """Okapi BM25 over scikit-learn `CountVectorizer` counts (default tokens), vectorised.

    score(d, q) = sum over query terms t of qtf(t) * idf(t) * tf(t, d) * (k1 + 1)
    / (tf(t, d) + k1 * (1 - b + b * |d| / avgdl)), with idf(t) = ln(1 + (N - df + 0.5) /
    (df + 0.5)) (the non-negative variant Lucene uses). The query's own term counts weigh
    terms, as Robertson's formula does with k3 unbounded, because queries are long texts here.
    """

    name = "bm25"

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b

    def fit(self, profiles: Sequence[Profile], call_texts: Sequence[str] = ()) -> Self:
        """Count terms and precompute every (document, term) weight."""
        self.ids_ = np.asarray([profile.id for profile in profiles], dtype=np.int64)
        self.vectorizer_ = CountVectorizer()
        counts = self.vectorizer_.fit_transform(_texts(profiles)).tocoo()
        n_documents = counts.shape[0]
        df = np.bincount(counts.col, minlength=counts.shape[1])
        idf = np.log1p((n_documents - df + 0.5) / (df + 0.5))
        length = np.bincount(counts.row, weights=counts.data, minlength=n_documents)
        norm = self.k1 * (1 - self.b + self.b * length / max(length.mean(), 1e-12))
        tf = counts.data.astype(np.float64)
        weights = idf[counts.col] * tf * (self.k1 + 1) / (tf + norm[counts.row])
        self.weights_ = sp.csr_matrix((weights, (counts.row, counts.col)), shape=counts.shape)
        return self

    def rank(self, query: Query, k: int) -> list[int]:
        """Profiles by BM25 score."""
        counts = self.vectorizer_.transform([query.text]).astype(np.float64)
        scores = (self.weights_ @ counts.T).toarray().ravel()
        return top_ids(scores, self.ids_, k)


class MatchmakerRanker:
    """The product's ranking (`ProfileIndex`): what the API serves.

    `weights` and `matcher_settings` change it for ablations; a ranker that `shares` another's
    index uses (and if need be fits) that one, so variants that differ only in weights cost
    one fit.
    """

    def __init__(
        self,
        name: str = "matchmaker",
        *,
        weights: Weights | None = None,
        matcher_settings: Mapping[str, Any] | None = None,
        shares: MatchmakerRanker | None = None,
    ) -> None:
        self.name = name
        self.weights = weights if weights is not None else Weights()
        settings = MATCHER_SETTINGS if matcher_settings is None else matcher_settings
        self.matcher_settings = dict(settings)
        self.shares = shares
        self.index: ProfileIndex | None = None

    def fit(self, profiles: Sequence[Profile], call_texts: Sequence[str] = ()) -> Self:
        """Index the profiles as the service indexes organisations."""
        if self.shares is not None:
            if self.shares.index is None:
                self.shares.fit(profiles, call_texts)
            self.index = self.shares.index
            return self
        self.index = ProfileIndex(TfidfMatcher(**self.matcher_settings)).fit(
            [profile.id for profile in profiles],
            profiles,
            facets={"stakeholder_type": [profile.stakeholder_type for profile in profiles]},
            call_texts=call_texts,
        )
        return self

    def rank(self, query: Query, k: int) -> list[int]:
        """Ranked by text, track record and (for a draft) past partners."""
        assert self.index is not None, "fit first"
        found = self.index.rank(
            query.text,
            k=k,
            exclude_ids=query.partners,
            partner_ids=query.partners,
            weights=self.weights,
        )
        return [match.id for match in found]


class ActivityRanker:
    """Activity-level similarity: each past activity scored on its own, then the best one (or
    the mean of the best `top`) per organisation, times the same track-record factor.

    An ablation, not the product: the product scores one document per profile because this
    measured worse (docs/matching.md). Activities with the same text are indexed once.
    """

    def __init__(self, name: str = "activities: best", *, top: int = 1) -> None:
        self.name = name
        self.top = top

    def fit(self, profiles: Sequence[Profile], call_texts: Sequence[str] = ()) -> Self:
        """Index every distinct activity text and which profiles list it."""
        columns: dict[str, int] = {}
        rows, cols = [], []
        for row, profile in enumerate(profiles):
            for activity in profile.activities:
                rows.append(row)
                cols.append(columns.setdefault(activity_text(activity), len(columns)))
        self.ids_ = np.asarray([profile.id for profile in profiles], dtype=np.int64)
        self.owner_ = sp.csr_matrix(
            (np.ones(len(rows)), (rows, cols)), shape=(len(profiles), len(columns))
        )
        self.owner_.sum_duplicates()
        self.owner_.data[:] = 1.0
        self.matcher_ = TfidfMatcher(**MATCHER_SETTINGS).fit(range(len(columns)), list(columns))
        self.columns_ = np.arange(len(columns))
        self.factor_ = Weights().track_record(np.diff(self.owner_.indptr))
        return self

    def rank(self, query: Query, k: int) -> list[int]:
        """Profiles by their best activities' cosine times their track record."""
        cosine = self.matcher_.score_ids(query.text, self.columns_.tolist())
        owner = self.owner_
        per_entry = cosine[owner.indices]
        row_of = np.repeat(np.arange(owner.shape[0]), np.diff(owner.indptr))
        order = np.lexsort((-per_entry, row_of))
        rank_in_row = np.arange(order.size) - owner.indptr[row_of[order]]
        kept = order[rank_in_row < self.top]
        total = np.bincount(row_of[kept], weights=per_entry[kept], minlength=owner.shape[0])
        count = np.minimum(np.diff(owner.indptr), self.top)
        best = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
        return top_ids(best * self.factor_, self.ids_, k)


class BalancedRanker:
    """Stakeholder balance: the product's ranking re-ordered so that each stakeholder type
    keeps a share of the top places in proportion to its share of all past participations.

    Each candidate (the product's best `pool`) gets the key (its rank among its own type + 1)
    / (its type's share) and the list is sorted by that key: types interleave at the rate real
    consortia mixed them. An ablation, not the product (docs/matching.md).
    """

    def __init__(self, name: str = "stakeholder-balanced", *, shares: MatchmakerRanker) -> None:
        self.name = name
        self.shares = shares

    def fit(self, profiles: Sequence[Profile], call_texts: Sequence[str] = ()) -> Self:
        """Learn each type's share of past participations."""
        self.shares.fit(profiles, call_texts)
        totals: dict[str, int] = defaultdict(int)
        for profile in profiles:
            totals[profile.stakeholder_type] += len(profile.activities)
        overall = sum(totals.values()) or 1
        self.share_ = {kind: count / overall for kind, count in totals.items()}
        self.type_ = {profile.id: profile.stakeholder_type for profile in profiles}
        return self

    def rank(self, query: Query, k: int) -> list[int]:
        """The product's ranking, interleaved by stakeholder type."""
        ranked = self.shares.rank(query, max(4 * k, k + 200))
        seen: dict[str, int] = defaultdict(int)
        keys = []
        for position, organisation in enumerate(ranked):
            kind = self.type_[organisation]
            seen[kind] += 1
            keys.append((seen[kind] / max(self.share_.get(kind, 0.0), 1e-9), position))
        return [ranked[position] for _, position in sorted(keys)[:k]]


def default_rankers(seed: int = 0) -> list[Ranker]:
    """The baselines and the product's ranker, in table order."""
    return [RandomRanker(seed), PopularityRanker(), TfidfRanker(), Bm25Ranker(), MatchmakerRanker()]


def run(
    directory: Path | str,
    *,
    seed: int = 0,
    test_share: float = TEST_SHARE,
    test_pattern: str = CANCER_MISSION,
    min_consortium: int = MIN_CONSORTIUM,
    rankers: Sequence[Ranker] | None = None,
    check_leaks: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Load a CORDIS folder, check the split, and evaluate the rankers (the defaults if None)."""
    settings = {
        "directory": Path(directory).name,
        "seed": seed,
        "test_share": test_share,
        "test_pattern": test_pattern,
        "min_consortium": min_consortium,
    }
    if progress is not None:
        progress(f"reading {Path(directory).name}")
    benchmark = load_benchmark(
        directory,
        seed=seed,
        test_share=test_share,
        test_pattern=test_pattern,
        min_consortium=min_consortium,
    )
    report = evaluate(
        benchmark,
        default_rankers(seed) if rankers is None else rankers,
        settings=settings,
        progress=progress,
    )
    report.benchmark["reused_test_texts"] = len(benchmark.reused_texts)
    if check_leaks:
        if progress is not None:
            progress("checking that no test text reached a profile")
        report.benchmark["leaked_test_texts"] = len(benchmark.leaked_texts())
    return report


# --------------------------------------------------------------------------------------------
# Running and reporting


@dataclass(frozen=True, slots=True)
class Result:
    """One ranker's scores over one kind of query."""

    ranker: str
    kind: str
    queries: int
    recall: Mapping[int, float]
    ndcg: float
    type_coverage: float
    ms_per_query: float


@dataclass
class Report:
    """A whole evaluation: settings, the benchmark's size, and every ranker's results."""

    settings: dict[str, Any]
    benchmark: dict[str, Any]
    fit_seconds: dict[str, float] = field(default_factory=dict)
    results: list[Result] = field(default_factory=list)

    def result(self, ranker: str, kind: str) -> Result | None:
        """The result of a ranker on a kind, if it was run."""
        return next((r for r in self.results if r.ranker == ranker and r.kind == kind), None)

    def best_baseline(
        self, kind: str, *, at: int = RECALL_AT[0], ranker: str = "matchmaker"
    ) -> Result | None:
        """The baseline with the highest recall@at on a kind (None when there is none)."""
        others = [r for r in self.results if r.kind == kind and r.ranker != ranker and r.queries]
        return max(others, key=lambda r: (r.recall[at], r.ranker), default=None)

    def subset(self, rankers: Collection[str]) -> Report:
        """The same report with only the named rankers' results."""
        return Report(
            settings=self.settings,
            benchmark=self.benchmark,
            fit_seconds={name: t for name, t in self.fit_seconds.items() if name in rankers},
            results=[result for result in self.results if result.ranker in rankers],
        )

    def to_json(self) -> dict[str, Any]:
        """Everything as JSON-ready data."""
        return {
            "settings": self.settings,
            "benchmark": self.benchmark,
            "fit_seconds": self.fit_seconds,
            "results": [
                {**asdict(result), "recall": {str(k): v for k, v in result.recall.items()}}
                for result in self.results
            ],
        }


def describe_benchmark(benchmark: Benchmark) -> dict[str, Any]:
    """The benchmark's size: profiles, projects per part, queries and cold-start share per kind."""
    return {
        "profiles": len(benchmark.profiles),
        "test_topics": len(benchmark.test_topics),
        "profile_projects": benchmark.profile_projects,
        "test_projects": benchmark.test_projects,
        "queries": {kind: len(benchmark.of_kind(kind)) for kind in KINDS},
        "skipped_no_findable": dict(benchmark.skipped),
        "cold_start_share": {kind: round(benchmark.cold_start_share(kind), 4) for kind in KINDS},
        "rejected_rows": benchmark.rejected,
    }


def evaluate(
    benchmark: Benchmark,
    rankers: Sequence[Ranker],
    *,
    settings: Mapping[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Report:
    """Fit every ranker on the profiles, rank every query, and score the rankings."""
    depth = max(*RECALL_AT, NDCG_AT, COVERAGE_AT)
    types = {profile.id: profile.stakeholder_type for profile in benchmark.profiles}
    report = Report(settings=dict(settings or {}), benchmark=describe_benchmark(benchmark))
    for ranker in rankers:
        if progress is not None:
            progress(f"fitting {ranker.name}")
        started = time.perf_counter()
        ranker.fit(benchmark.profiles, benchmark.call_texts)
        report.fit_seconds[ranker.name] = round(time.perf_counter() - started, 3)
        for kind in KINDS:
            queries = benchmark.of_kind(kind)
            if progress is not None:
                progress(f"{ranker.name}: {len(queries)} {kind} queries")
            recalls: dict[int, list[float]] = {k: [] for k in RECALL_AT}
            ndcgs, coverages, elapsed = [], [], 0.0
            for query in queries:
                started = time.perf_counter()
                ranked = ranker.rank(query, depth + len(query.partners))
                elapsed += time.perf_counter() - started
                ranked = [i for i in ranked if i not in query.partners][:depth]
                for k in RECALL_AT:
                    recalls[k].append(recall_at(ranked, query.relevant, k))
                ndcgs.append(ndcg_at(ranked, query.relevant, NDCG_AT))
                coverages.append(type_coverage_at(ranked, query.relevant, types, COVERAGE_AT))
            report.results.append(
                Result(
                    ranker=ranker.name,
                    kind=kind,
                    queries=len(queries),
                    recall={k: _mean(values) for k, values in recalls.items()},
                    ndcg=_mean(ndcgs),
                    type_coverage=_mean(coverages),
                    ms_per_query=round(1000 * elapsed / max(len(queries), 1), 2),
                )
            )
    return report


def _mean(values: Sequence[float]) -> float:
    return round(float(np.mean(values)), 4) if values else 0.0


def format_table(report: Report) -> str:
    """The results as one Markdown table: a row per query kind and ranker."""
    first = RECALL_AT[0]
    header = (
        "| queries | ranker | "
        + " | ".join(f"recall@{k}" for k in RECALL_AT)
        + f" | nDCG@{NDCG_AT} | types@{COVERAGE_AT} | recall@{first} vs best baseline | ms/query |"
    )
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for kind in KINDS:
        best = report.best_baseline(kind)
        for result in (r for r in report.results if r.kind == kind and r.queries):
            ratio = ""
            if result.ranker == "matchmaker" and best is not None and best.recall[first] > 0:
                ratio = f"{result.recall[first] / best.recall[first]:.2f}x {best.ranker}"
            lines.append(
                f"| {kind} ({result.queries}) | {result.ranker} | "
                + " | ".join(f"{result.recall[k]:.3f}" for k in RECALL_AT)
                + f" | {result.ndcg:.3f} | {result.type_coverage:.3f} | {ratio} | "
                f"{result.ms_per_query:.1f} |"
            )
    return "\n".join(lines)


def plot(report: Report, path: Path | str) -> None:
    """Bar charts of recall and nDCG per ranker, one panel per query kind, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rankers = list(dict.fromkeys(result.ranker for result in report.results))
    metrics = [*(f"recall@{k}" for k in RECALL_AT), f"nDCG@{NDCG_AT}"]
    figure, axes = plt.subplots(1, len(KINDS), figsize=(5 * len(KINDS), 4), sharey=True)
    width = 0.8 / len(rankers)
    for axis, kind in zip(np.atleast_1d(axes), KINDS, strict=True):
        for position, name in enumerate(rankers):
            result = report.result(name, kind)
            if result is None:
                continue
            values = [*(result.recall[k] for k in RECALL_AT), result.ndcg]
            axis.bar(np.arange(len(metrics)) + position * width, values, width=width, label=name)
        queries = report.benchmark.get("queries", {}).get(kind, 0)
        axis.set_title(f"{kind} queries ({queries})")
        axis.set_xticks(np.arange(len(metrics)) + width * (len(rankers) - 1) / 2, metrics)
        axis.grid(axis="y", alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("mean over queries")
    np.atleast_1d(axes)[0].legend(fontsize="small")
    figure.suptitle("Consortium recovery")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
