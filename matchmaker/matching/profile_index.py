"""The profile index: organisation profiles indexed for suggestions, with the one table of
what is known of each (id, facets such as stakeholder type and country, track record:
`profile_record.ProfileRecord`).

One ranking serves the API (`MatchingService`) and the consortium-recovery evaluation
(`matchmaker.evaluation`), so what is measured is what is served. The evidence comes from the
TF-IDF text index (`TfidfMatcher`, settings in `MATCHER_SETTINGS`; query terms that many
stored calls share weigh less), the track record (activities in the profile), and
`past_projects` (similar past projects, in a second index of one document per distinct
project, and past partnerships with the organisations the caller names); `scoring` combines
them. A profile that shares no term with the text scores 0 whatever its record: it is
suggested only where a selection asks to fill (`Selection.fill`, every organisation of a
required type offered), after those that share a term.

Ranking is one vectorised pass: the text index gives the cosine of every indexed profile
(`score_ids`), the factors are arrays aligned with it, filters are a boolean mask, and
`top_k` picks the k best; only those k are then explained (`TfidfMatcher.explain`).
`rank_scores` stops before the explanations (the evaluation's ranker, which only needs the
order: explaining ~200 suggestions was two thirds of its time per query).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final, Self, cast

import numpy as np
import scipy.sparse as sp

from matchmaker.matching.call_terms import CallTerms, CallWeights
from matchmaker.matching.past_projects import (
    Listings,
    Partnerships,
    PastPartners,
    past_partners,
    plain_array,
    project_ids,
    project_texts,
)
from matchmaker.matching.profile_record import ProfileRecord, id_array
from matchmaker.matching.scoring import NEIGHBOUR_PROJECTS, RankedMatch, Weights
from matchmaker.matching.text import ProfileLike, distinct_activities, organisation_text
from matchmaker.matching.text_index import Match, QueryVector, TfidfMatcher
from matchmaker.matching.topk import top_k
from models.common import as_utc, utc_now

# 1 + log tf (sublinear), as for past projects: under the bounded score (scoring.py) it beats
# raw counts on every cell of both splits and both modes, +0.01 to +0.03 recall@50 (the
# temporal split's project queries the most; docs/matching.md). Raw counts had won under the
# earlier, unbounded score, whose evidence factors did the work of a text fit.
# Above 100,000 profiles the vocabulary and IDF are learned from a seeded sample of 100,000
# (benchmarks/scale.py: a full fit of 1M profiles would hold every n-gram of every text).
MATCHER_SETTINGS: Final[Mapping[str, Any]] = {"sublinear_tf": True, "vocabulary_sample": 100_000}
# Past projects like the text: the projects index holds one document per distinct past project
# (by `past_projects.project_id`), 1 + log tf; an organisation's evidence is the sum of the
# cosines of its projects among the NEIGHBOUR_PROJECTS closest to the text (scoring.py bounds
# what it adds to the score).
PROJECT_MATCHER_SETTINGS: Final[Mapping[str, Any]] = {
    "sublinear_tf": True,
    "vocabulary_sample": 100_000,
}
# Prefix of the projects index's arrays in a saved index.
_PROJECTS: Final = "projects."
# A saved index's arrays (and meta entries) of each index's call-frequency weights.
_CALL_WEIGHTS: Final = ("call_weights_profiles", "call_weights_projects")
# Up to this many stored weights (profiles' or past projects' terms) an index is compacted after
# each batch of changes (`settle`), which takes milliseconds (benchmarks/scale.py): about a
# thousand profiles (the demo's 350 hold 86,000 weights).
SETTLE_MAX_NNZ: Final = 250_000
# Prepared queries kept per index (`ProfileIndex._prepared`): a call's text, its vector and its
# close past projects take about 12 kB.
PREPARED_QUERIES: Final = 1024


def new_matcher() -> TfidfMatcher:
    """A TF-IDF matcher with the measured settings for organisation profiles."""
    return TfidfMatcher(**MATCHER_SETTINGS)


@dataclass(frozen=True, slots=True)
class Selection:
    """One slice of a ranking: the `k` best of the profiles passing `filters` (and among
    `include_ids`, when given)."""

    k: int = 20
    filters: Mapping[str, Collection[str] | str] | None = None
    include_ids: Collection[int] | None = None
    # Also rank the profiles that share no term with the query, after those that do, by their
    # evidence: asked for when every organisation of a required type must be offered.
    fill: bool = False


_NO_ROWS = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class Evidence:
    """What is known of every indexed profile for one query, aligned with `ids`: the text
    cosine, distinct past projects, projects shared with the given partners (None without
    partners) and the summed cosines of its close past projects (None when not weighed)."""

    ids: np.ndarray
    cosine: np.ndarray
    projects: np.ndarray
    shared: np.ndarray | None
    similar: np.ndarray | None
    partners: PastPartners | None
    listings: Listings | None


@dataclass(frozen=True, slots=True)
class ScoredRanking:
    """A ranking without its explanations (`ProfileIndex.rank_scores`): the ids best first,
    each one's score and text cosine, as `rank`'s matches and text reasons give them."""

    ids: np.ndarray
    scores: np.ndarray
    cosines: np.ndarray


@dataclass(frozen=True, slots=True)
class _Scored:
    """One scoring pass (`ProfileIndex._scored`): the candidates' record, the weighted query,
    their evidence, their scores (`filled`: whatever the cosine), which are stale (None when
    not asked), and each selection's top rows of the record, best first."""

    record: ProfileRecord
    vector: QueryVector
    found: Evidence
    filled: np.ndarray
    stale: np.ndarray | None
    tops: list[np.ndarray]


def _track_record(profile: ProfileLike) -> int:
    """The number of distinct past projects and activities in a profile."""
    return len(distinct_activities(profile.activities))


def _confirmed(profile: ProfileLike) -> float:
    """When a profile was last confirmed as current, in seconds since the epoch (NaN when it
    does not say: profiles of the evaluation, say)."""
    moment = getattr(profile, "confirmed_at", None)
    return as_utc(moment).timestamp() if isinstance(moment, datetime) else math.nan


def _days_since(confirmed: float) -> int:
    """Whole days from a confirmation (seconds since the epoch) to now."""
    return max(int((utc_now().timestamp() - confirmed) // 86_400), 0)


class ProfileIndex:
    """Organisation profiles indexed for suggestions: text, track record and past projects.

    `fit` indexes profiles (anything with a name, description, keywords and activities) with
    their facets; `upsert` and `remove` keep it current, visible to the next `rank`, and `settle`
    after a batch of them makes a small index's IDF weights exact again. The text
    index is a `TfidfMatcher` (exposed as `matcher`, for similarity and statistics). Track
    records and facets are sorted arrays replaced whole on each update (one reference
    assignment: a reader sees the old or the new ones). Activity keys live in two dicts that
    writers change one key at a time under the lock while readers only look keys up.
    """

    def __init__(
        self,
        matcher: TfidfMatcher | None = None,
        weights: Weights | None = None,
        known_calls: CallTerms | None = None,
    ) -> None:
        self.matcher = matcher if matcher is not None else new_matcher()
        self.weights = weights if weights is not None else Weights.fitted()
        # Calls counted besides the stored ones: by default the table shipped in the package.
        self.known_calls = known_calls if known_calls is not None else CallTerms.shipped()
        # One document per distinct past project (activity key hash), for similar projects.
        self.projects = TfidfMatcher(**PROJECT_MATCHER_SETTINGS)
        # Per vocabulary term of each index, the call-frequency weight of a query term.
        self._call_weights: tuple[CallWeights, CallWeights] | None = None
        self._record = ProfileRecord.empty()
        self._partners = Partnerships.empty()
        self._lock = threading.Lock()
        # Whether the arrays came from a saved index (memory-mapped, shared between processes).
        self.mapped = False
        # Bumped by every change; a prepared query (`_prepared`) is reused only at its version.
        self._version = 0
        self._queries: dict[tuple[str, Weights], tuple[int, QueryVector, Listings | None]] = {}
        self._queries_lock = threading.Lock()

    def fit(
        self,
        ids: Sequence[int],
        profiles: Sequence[ProfileLike],
        facets: Mapping[str, Sequence[str | None]] | None = None,
        *,
        call_texts: Iterable[str] = (),
    ) -> Self:
        """Index `profiles` under `ids` (replacing everything indexed) and return self.

        `call_texts` are the stored calls' texts: query terms common among them weigh less.
        """
        id_list = [int(doc_id) for doc_id in ids]
        if len(id_list) != len(profiles):
            raise ValueError(f"{len(id_list)} ids but {len(profiles)} profiles")
        facets = dict(facets or {})
        keys = {doc_id: project_ids(p) for doc_id, p in zip(id_list, profiles, strict=True)}
        with self._lock:
            self.matcher.fit(id_list, [organisation_text(p) for p in profiles])
            texts = project_texts(profiles)
            self.projects.fit(list(texts), list(texts.values()))
            self._call_weights = self._weights_for(call_texts)
            counts = np.fromiter(map(_track_record, profiles), dtype=np.int64, count=len(id_list))
            confirmed = np.fromiter(map(_confirmed, profiles), dtype=np.float64, count=len(id_list))
            record = ProfileRecord.build(id_array(id_list), counts, facets, confirmed)
            self._partners = Partnerships.build(keys)
            self._record = record
            self._version += 1
        return self

    def _weights_for(self, call_texts: Iterable[str]) -> tuple[CallWeights, CallWeights] | None:
        """Each index's per-term call-frequency weight, ln((1 + n) / (1 + df)) + 1, over the
        known calls and the stored ones (`call_terms`); None if no call is counted."""
        stored = CallTerms.count(call_texts, self.matcher.analyzer())
        profiles, projects = (
            CallWeights.of(self.known_calls, stored, matcher.terms())
            for matcher in (self.matcher, self.projects)
        )
        return None if profiles is None or projects is None else (profiles, projects)

    def _grown_weights(self) -> tuple[CallWeights, CallWeights] | None:
        """The call-frequency weights with the words each index added since they were last
        grown weighed too (the caller holds the lock)."""
        if self._call_weights is None:
            return None
        profiles, projects = (
            weights.grown(matcher.terms(weights.size))
            for weights, matcher in zip(
                self._call_weights, (self.matcher, self.projects), strict=True
            )
        )
        return profiles, projects

    def upsert(
        self, doc_id: int, profile: ProfileLike, facets: Mapping[str, str | None] | None = None
    ) -> None:
        """Index or replace one profile (facets left out become missing), seen by the next rank."""
        doc_id, facets = int(doc_id), dict(facets or {})
        text = organisation_text(profile)
        with self._lock:
            record = self._record.with_profile(
                doc_id, _track_record(profile), facets, _confirmed(profile)
            )
            self.matcher.upsert(doc_id, text)
            old = self._partners.keys_of(doc_id)
            self._partners.set(doc_id, project_ids(profile))
            for key, project_text in project_texts([profile]).items():
                if key not in self.projects:
                    self.projects.upsert(key, project_text)
            self._drop_orphan_projects(old)
            self._call_weights = self._grown_weights()
            self._record = record
            self._version += 1

    def settle(self) -> None:
        """Make both text indexes' IDF weights exact again where that takes milliseconds
        (`TfidfMatcher.settle` up to SETTLE_MAX_NNZ weights), so that a profile indexed since
        the fit scores as a refit would score it, phrases aside; call after a batch of changes."""
        with self._lock:
            settled = [matcher.settle(SETTLE_MAX_NNZ) for matcher in (self.matcher, self.projects)]
            if any(settled):
                self._version += 1

    def remove(self, doc_id: int) -> bool:
        """Stop suggesting `doc_id`; return whether it was indexed."""
        doc_id = int(doc_id)
        with self._lock:
            removed = self.matcher.remove(doc_id)
            old = self._partners.keys_of(doc_id)
            self._partners.set(doc_id, frozenset())
            self._drop_orphan_projects(old)
            self._record = self._record.without(doc_id)
            self._version += 1
        return removed

    def _drop_orphan_projects(self, keys: Iterable[int]) -> None:
        """Unindex the past projects no profile lists any more (the caller holds the lock)."""
        for key in keys:
            if not self._partners.get(key, ()):
                self.projects.remove(key)

    def similar(
        self,
        doc_id: int,
        *,
        k: int = 20,
        filters: Mapping[str, Collection[str] | str] | None = None,
    ) -> list[Match]:
        """The k profiles whose text is most like `doc_id`'s, itself excluded, among those
        passing the filters (text alone); NotFound when `doc_id` is not indexed."""
        return self.matcher.similar(doc_id, k=k, include_ids=self._passing(filters))

    def query_text(
        self,
        text: str,
        *,
        k: int = 20,
        filters: Mapping[str, Collection[str] | str] | None = None,
        exclude_ids: Collection[int] = (),
    ) -> list[Match]:
        """The k profiles whose text is most like `text` among those passing the filters (text
        alone), best first."""
        return self.matcher.query(
            text, k=k, exclude_ids=exclude_ids, include_ids=self._passing(filters)
        )

    def _passing(self, filters: Mapping[str, Collection[str] | str] | None) -> np.ndarray | None:
        """The ids of the profiles passing the filters; None (every profile) without any."""
        if not filters:
            return None
        record = self._record
        return record.ids[record.candidates(filters, (), None)]

    def past_partners(self, partner_ids: Iterable[int]) -> PastPartners:
        """Who took part in past projects with the given (indexed) organisations."""
        partners = self._partners
        keys = {int(p): partners.keys_of(int(p)) for p in partner_ids}
        return past_partners(keys, partners)

    def similar_projects(self, text: str, weights: Weights | None = None) -> Listings:
        """The past projects among the NEIGHBOUR_PROJECTS closest to `text`, with who lists
        them: one entry per (organisation, project), closest projects first."""
        weights = self.weights if weights is None else weights
        projects = self.projects
        if projects.n_documents == 0:
            return Listings.empty()
        vector = self._weighted(projects, text, 1, weights)
        keys = projects.ids()
        cosine = projects.score_ids(vector, cast(Sequence[int], keys))
        top = top_k(cosine, keys, NEIGHBOUR_PROJECTS)
        which, owners = self._partners.listings(keys[top])
        return Listings(owners, keys[top][which], cosine[top][which])

    def _prepared(
        self, query: str | QueryVector, weights: Weights
    ) -> tuple[QueryVector, Listings | None]:
        """The query in the profiles' vocabulary, weighted (`_weighted`), and its close past
        projects when they count (`similar_projects`). A text asked again while the index has
        not changed (a call's suggestions, the calls an organisation fits) is analysed and
        its projects found once: the last PREPARED_QUERIES are kept."""
        if not isinstance(query, str):
            vector = self._weighted(self.matcher, query, 0, weights)
            return vector, self._close_projects(vector.text, weights)
        key, version = (query, weights), self._version
        kept = self._queries.get(key)
        if kept is not None and kept[0] == version:
            return kept[1], kept[2]
        vector = self._weighted(self.matcher, query, 0, weights)
        listings = self._close_projects(query, weights)
        with self._queries_lock:
            self._queries.pop(key, None)
            if len(self._queries) >= PREPARED_QUERIES:
                del self._queries[next(iter(self._queries))]
            self._queries[key] = (version, vector, listings)
        return vector, listings

    def _close_projects(self, text: str, weights: Weights) -> Listings | None:
        """`similar_projects`, or None when the weights leave them out."""
        return self.similar_projects(text, weights) if weights.similar_projects else None

    def _weighted(
        self, matcher: TfidfMatcher, query: str | QueryVector, which: int, weights: Weights
    ) -> QueryVector:
        """The query in `matcher`'s vocabulary (a vector must be of that vocabulary), its terms
        weighted by how rare they are in calls; `which` picks the weights: 0 profiles, 1
        projects."""
        vector = query if isinstance(query, QueryVector) else matcher.transform_query(query)
        call_weights = self._call_weights
        if call_weights is None or not weights.call_frequency_exponent or not vector.terms.size:
            return vector
        factors = call_weights[which].factors(vector.terms)
        scaled = vector.weights * np.power(factors, weights.call_frequency_exponent)
        norm = float(np.linalg.norm(scaled))
        if norm == 0.0:
            return vector
        return replace(vector, weights=(scaled / norm).astype(vector.weights.dtype))

    def rank(
        self,
        query: str | QueryVector,
        *,
        k: int = 20,
        filters: Mapping[str, Collection[str] | str] | None = None,
        exclude_ids: Collection[int] = (),
        include_ids: Collection[int] | None = None,
        partner_ids: Collection[int] = (),
        weights: Weights | None = None,
        fill: bool = False,
        stale_before: datetime | None = None,
    ) -> list[RankedMatch]:
        """The k profiles that best fit `query` among those passing the filters, best first.

        With `partner_ids` (a draft's members, say) past projects shared with them count too,
        and each suggestion gets a past-partner reason. `weights` overrides the index's own.
        With `fill`, profiles that share no term with the query follow (see `Selection`).
        Profiles last confirmed before `stale_before` are stale (see `scoring.STALE_FACTOR`).
        """
        selection = Selection(k=k, filters=filters, include_ids=include_ids, fill=fill)
        return self.rank_many(
            query,
            [selection],
            exclude_ids=exclude_ids,
            partner_ids=partner_ids,
            weights=weights,
            stale_before=stale_before,
        )[0]

    def rank_many(
        self,
        query: str | QueryVector,
        selections: Sequence[Selection],
        *,
        exclude_ids: Collection[int] = (),
        partner_ids: Collection[int] = (),
        weights: Weights | None = None,
        stale_before: datetime | None = None,
    ) -> list[list[RankedMatch]]:
        """The best profiles of each selection, from one scoring pass over the index.

        A proposal needs the best of each stakeholder type and the best overall for one call:
        the query is scored once and each selection is a mask and a top k of the same scores.
        """
        weights = self.weights if weights is None else weights
        scored = self._scored(
            query,
            selections,
            exclude_ids=exclude_ids,
            partner_ids=partner_ids,
            weights=weights,
            stale_before=stale_before,
        )
        if scored is None:
            return [[] for _ in selections]
        record, found, filled, stale = scored.record, scored.found, scored.filled, scored.stale
        cosine, shared = found.cosine, found.shared
        partners, evidence = found.partners, found.listings
        rows = np.unique(np.concatenate(scored.tops)) if scored.tops else _NO_ROWS
        explained = {
            match.id: match
            for match in self.matcher.explain(scored.vector, cast(Sequence[int], record.ids[rows]))
        }
        ranked: dict[int, RankedMatch] = {}
        for row in rows.tolist():
            doc_id = int(record.ids[row])
            match = explained.get(doc_id)
            if match is None:
                continue  # removed between the two reads
            ranked[row] = RankedMatch(
                doc_id,
                float(filled[row]),
                match.matched_terms,
                weights.reasons(
                    float(cosine[row]),
                    int(record.activities[row]),
                    None if shared is None else int(shared[row]),
                    partners.partners.get(doc_id, ()) if partners is not None else (),
                    None if evidence is None else evidence.of(doc_id),
                    None
                    if stale is None or not stale[row]
                    else _days_since(float(record.confirmed[row])),
                ),
            )
        return [[ranked[row] for row in top.tolist() if row in ranked] for top in scored.tops]

    def rank_scores(
        self,
        query: str | QueryVector,
        *,
        k: int = 20,
        filters: Mapping[str, Collection[str] | str] | None = None,
        exclude_ids: Collection[int] = (),
        include_ids: Collection[int] | None = None,
        partner_ids: Collection[int] = (),
        weights: Weights | None = None,
        fill: bool = False,
        stale_before: datetime | None = None,
    ) -> ScoredRanking:
        """The ids, scores and text cosines of the profiles `rank` returns, in its order, but
        unexplained: no shared terms, no reasons (for measuring a ranking, where they would
        cost most of the time). The same scoring pass as `rank` (`_scored`), so the two agree.
        """
        weights = self.weights if weights is None else weights
        selection = Selection(k=k, filters=filters, include_ids=include_ids, fill=fill)
        scored = self._scored(
            query,
            [selection],
            exclude_ids=exclude_ids,
            partner_ids=partner_ids,
            weights=weights,
            stale_before=stale_before,
        )
        if scored is None:
            return ScoredRanking(_NO_ROWS, np.zeros(0), np.zeros(0))
        [top] = scored.tops
        return ScoredRanking(scored.record.ids[top], scored.filled[top], scored.found.cosine[top])

    def _scored(
        self,
        query: str | QueryVector,
        selections: Sequence[Selection],
        *,
        exclude_ids: Collection[int],
        partner_ids: Collection[int],
        weights: Weights,
        stale_before: datetime | None,
    ) -> _Scored | None:
        """Every candidate's evidence and score for a query and each selection's top rows
        (None when no selection can pick anything): what `rank_many` then explains."""
        if any(selection.k < 0 for selection in selections):
            raise ValueError(f"k must be >= 0, got {[s.k for s in selections]}")
        record = self._record
        masks = [
            record.candidates(selection.filters, exclude_ids, selection.include_ids)
            for selection in selections
        ]
        if not any(
            selection.k and mask.any() for selection, mask in zip(selections, masks, strict=True)
        ):
            return None
        vector, listings = self._prepared(query, weights)
        if all(selection.include_ids is not None for selection in selections):
            # Only listed ids can be picked (the calls an organisation fits score one profile
            # per call): the rest of the ranking works on their rows alone.
            rows = np.flatnonzero(np.logical_or.reduce(masks))
            record = record.take(rows)
            masks = [mask[rows] for mask in masks]
        found = self._evidence(record, vector, listings, partner_ids, weights)
        cosine = found.cosine
        stale = None
        if stale_before is not None:
            # NaN (never confirmed) compares False: not stale.
            stale = record.confirmed < as_utc(stale_before).timestamp()
        filled = weights.scores(cosine, record.activities, found.shared, found.similar, stale)
        score = np.where(cosine > 0, filled, 0.0)
        tops = [
            top_k(filled if selection.fill else score, record.ids, selection.k, mask)
            if selection.k
            else _NO_ROWS
            for selection, mask in zip(selections, masks, strict=True)
        ]
        return _Scored(record, vector, found, filled, stale, tops)

    def evidence(
        self,
        query: str | QueryVector,
        *,
        partner_ids: Collection[int] = (),
        weights: Weights | None = None,
    ) -> Evidence:
        """Every indexed profile's evidence for a query, as arrays aligned with `Evidence.ids`
        (what `rank` scores; the score's coefficients are fitted on it)."""
        weights = self.weights if weights is None else weights
        vector, listings = self._prepared(query, weights)
        return self._evidence(self._record, vector, listings, partner_ids, weights)

    def _evidence(
        self,
        record: ProfileRecord,
        vector: QueryVector,
        listings: Listings | None,
        partner_ids: Collection[int],
        weights: Weights,
    ) -> Evidence:
        shared = partners = None
        if partner_ids:
            partners = self.past_partners(partner_ids)
            shared = self._aligned(record, partners.shared)
        similar = None if listings is None else listings.summed(record)
        cosine = self.matcher.score_ids(vector, cast(Sequence[int], record.ids))
        return Evidence(record.ids, cosine, record.activities, shared, similar, partners, listings)

    def count(
        self,
        filters: Mapping[str, Collection[str] | str] | None = None,
        exclude_ids: Collection[int] = (),
    ) -> int:
        """How many indexed profiles pass the filters (the most a filled ranking can hold)."""
        return int(self._record.candidates(filters, exclude_ids, None).sum())

    def vectors(self, ids: Sequence[int]) -> sp.csr_matrix:
        """The indexed profiles' L2-normalised text rows, one per id (empty when not indexed),
        all of one vocabulary, so that their dot products are cosines."""
        return self.matcher.document_matrix(ids)

    @staticmethod
    def _aligned(record: ProfileRecord, values: Mapping[int, float]) -> np.ndarray:
        """`values` by organisation id as an array aligned with the record (0 elsewhere)."""
        aligned = np.zeros(record.ids.size, dtype=np.float64)
        if values:
            ids = id_array(list(values))
            found, at = record.positions(ids)
            aligned[at] = [values[int(i)] for i in ids[found]]
        return aligned

    # saving and loading (see `matchmaker.matching.saved_index`)

    def _export(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """The whole index as arrays and a JSON-safe rest: text index, records, partnerships."""
        with self._lock:
            arrays, meta = self.matcher._export()
            project_arrays, project_meta = self.projects._export()
            record, partnership_arrays = self._record, self._partners.arrays()
            call_weights = self._call_weights
        arrays.update({f"{_PROJECTS}{name}": array for name, array in project_arrays.items()})
        meta["projects"] = project_meta
        if call_weights is not None:
            for name, weights in zip(_CALL_WEIGHTS, call_weights, strict=True):
                arrays[name], meta[name] = weights.saved()
        arrays.update(
            record_ids=record.ids,
            record_activities=record.activities,
            record_confirmed=record.confirmed,
            **{f"record_facet_{i}": codes for i, codes in enumerate(record.facet_codes)},
            **partnership_arrays,
        )
        meta["record_facets"] = [
            {"name": name, "levels": dict(levels)}
            for name, levels in zip(record.facet_names, record.facet_levels, strict=True)
        ]
        return arrays, meta

    @classmethod
    def _restore(cls, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> Self:
        """An index over saved arrays, used as they are (memory maps stay shared).

        Raises ValueError when the arrays do not fit together.
        """
        facets = meta["record_facets"]
        ids = arrays["record_ids"]
        codes = tuple(arrays[f"record_facet_{i}"] for i in range(len(facets)))
        confirmed = arrays["record_confirmed"]
        if any(
            array.shape != ids.shape for array in (arrays["record_activities"], confirmed, *codes)
        ):
            raise ValueError("record arrays differ in length")
        partners = Partnerships.from_arrays(arrays)
        if (
            partners.indptr.shape != (partners.ids.size + 1,)
            or partners.indptr[0] != 0
            or partners.indptr[-1] != partners.keys.size
            or partners.pair_keys.shape != partners.keys.shape
            or partners.pair_ids.shape != partners.keys.shape
        ):
            raise ValueError("partnership arrays are inconsistent")
        index = cls(TfidfMatcher._restore(arrays, meta))
        index.projects = TfidfMatcher._restore(
            {
                name.removeprefix(_PROJECTS): array
                for name, array in arrays.items()
                if name.startswith(_PROJECTS)
            },
            meta["projects"],
        )
        if all(name in arrays for name in _CALL_WEIGHTS):
            profiles, projects = (
                CallWeights.restored(arrays[name], meta[name], index.known_calls)
                for name in _CALL_WEIGHTS
            )
            index._call_weights = profiles, projects
        if index.matcher.n_documents != ids.size:
            raise ValueError(f"{ids.size} records for {index.matcher.n_documents} profiles")
        index._record = ProfileRecord(
            plain_array(ids),
            plain_array(arrays["record_activities"]),
            tuple(facet["name"] for facet in facets),
            tuple({str(k): int(v) for k, v in facet["levels"].items()} for facet in facets),
            tuple(plain_array(array) for array in codes),
            plain_array(confirmed),
        )
        index._partners = partners
        index.mapped = True
        return index

    # statistics, from the text index

    @property
    def n_documents(self) -> int:
        """Number of indexed profiles."""
        return self.matcher.n_documents

    @property
    def drift(self) -> float:
        """Share of profiles added, changed or removed since the text index was fitted."""
        return self.matcher.drift

    @property
    def vocabulary_size(self) -> int:
        """Terms in the text index's vocabulary."""
        return self.matcher.vocabulary_size

    @property
    def fitted_at(self) -> datetime:
        """When the text index's vocabulary was fitted (UTC)."""
        return self.matcher.fitted_at

    def __contains__(self, doc_id: object) -> bool:
        """Whether `doc_id` is indexed."""
        return doc_id in self.matcher

    def activity_count(self, doc_id: int) -> int:
        """The number of activities indexed for a profile (0 when it is not indexed)."""
        found, at = self._record.positions(np.asarray([int(doc_id)], dtype=np.int64))
        return int(self._record.activities[at[0]]) if found[0] else 0
