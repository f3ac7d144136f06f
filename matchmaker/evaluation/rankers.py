"""The rankers the evaluation compares. They see only the profiles and the query text (and a
draft's partners): `random`,
`popularity` (most profile-part participations), `tfidf` (scikit-learn's defaults),
`bm25` (Okapi BM25 over scikit-learn's token counts) and `matchmaker`
(`matchmaker.matching.profile_index`, the code the API serves). A ranker that can also give
its suggestions' text cosines (`TextFit`: the product's) gets the low-cosine share measured.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, Self, runtime_checkable

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from matchmaker.evaluation.protocol import NO_CALLS, Benchmark, CallTexts, Profile, Query
from matchmaker.matching.call_terms import CallTerms
from matchmaker.matching.profile_index import MATCHER_SETTINGS, ProfileIndex
from matchmaker.matching.scoring import Weights
from matchmaker.matching.text import organisation_text
from matchmaker.matching.text_index import TfidfMatcher
from matchmaker.matching.topk import top_k


class Ranker(Protocol):
    """Something that ranks profiles for a query: fitted once, asked per query."""

    name: str

    def fit(self, profiles: Sequence[Profile], calls: CallTexts = NO_CALLS) -> Self:
        """Index the profiles; `calls` are the calls whose texts weigh query terms (rankers
        without call weights ignore them)."""
        ...

    def rank(self, query: Query, k: int) -> list[int]:
        """The ids of the k profiles that best fit the query, best first."""
        ...


@runtime_checkable
class TextFit(Protocol):
    """A ranker that can say how well its suggestions' texts fit a query (the text cosine)."""

    def text_cosines(self, query: Query, ids: Sequence[int]) -> list[float]:
        """The text cosine of each of `ids` (suggested for `query`) with the query."""
        ...


def top_ids(scores: np.ndarray, ids: np.ndarray, k: int) -> list[int]:
    """The ids of the k best positive scores, best first, ties by ascending id."""
    return ids[top_k(scores, ids, k)].tolist()


def _texts(profiles: Sequence[Profile]) -> list[str]:
    return [organisation_text(profile) for profile in profiles]


def _dense(row: sp.spmatrix) -> np.ndarray:
    """A one-row sparse query as a dense vector.

    A CSR matrix times a dense vector sums each row's products in the same order as the
    sparse-by-sparse product, so the scores are the same to the bit, and it is 7 to 8 times
    faster (benchmarks.quality's tfidf and bm25 spent 15 of their 20 s per temporal run in
    scipy's sparse product; issue 14).
    """
    return row.toarray().ravel()


class RandomRanker:
    """Profiles in a random order (seeded): what chance alone recovers."""

    name = "random"

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def fit(self, profiles: Sequence[Profile], calls: CallTexts = NO_CALLS) -> Self:
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

    def fit(self, profiles: Sequence[Profile], calls: CallTexts = NO_CALLS) -> Self:
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

    def fit(self, profiles: Sequence[Profile], calls: CallTexts = NO_CALLS) -> Self:
        """Fit the vectorizer on the profile texts."""
        self.ids_ = np.asarray([profile.id for profile in profiles], dtype=np.int64)
        self.vectorizer_ = TfidfVectorizer()
        self.matrix_ = self.vectorizer_.fit_transform(_texts(profiles)).tocsr()
        return self

    def rank(self, query: Query, k: int) -> list[int]:
        """Profiles by cosine with the query."""
        vector = self.vectorizer_.transform([query.text])
        return top_ids(self.matrix_ @ _dense(vector), self.ids_, k)


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

    def fit(self, profiles: Sequence[Profile], calls: CallTexts = NO_CALLS) -> Self:
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
        return top_ids(self.weights_ @ _dense(counts), self.ids_, k)


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
        self.weights = weights if weights is not None else Weights.fitted()
        settings = MATCHER_SETTINGS if matcher_settings is None else matcher_settings
        self.matcher_settings = dict(settings)
        self.shares = shares
        self.index: ProfileIndex | None = None
        # The last query ranked and the text cosine of each suggestion, from its reasons.
        self._last: tuple[Query, dict[int, float]] | None = None

    def fit(self, profiles: Sequence[Profile], calls: CallTexts = NO_CALLS) -> Self:
        """Index the profiles as the service indexes organisations."""
        if self.shares is not None:
            if self.shares.index is None:
                self.shares.fit(profiles, calls)
            self.index = self.shares.index
            return self
        matcher = TfidfMatcher(**self.matcher_settings)
        known = CallTerms.count(calls.known, matcher.analyzer())
        self.index = ProfileIndex(matcher, known_calls=known).fit(
            [profile.id for profile in profiles],
            profiles,
            facets={"stakeholder_type": [profile.stakeholder_type for profile in profiles]},
            call_texts=calls.stored,
        )
        return self

    def rank(self, query: Query, k: int) -> list[int]:
        """Ranked by text, track record and (for a draft) past partners: the API's order and
        scores (`ProfileIndex.rank_scores`), without the explanations the metrics never read."""
        assert self.index is not None, "fit first"
        found = self.index.rank_scores(
            query.text,
            k=k,
            exclude_ids=query.partners,
            partner_ids=query.partners,
            weights=self.weights,
        )
        ids = found.ids.tolist()
        self._last = (query, dict(zip(ids, found.cosines.tolist(), strict=True)))
        return ids

    def text_cosines(self, query: Query, ids: Sequence[int]) -> list[float]:
        """The text cosine of each of `ids` with the query: the one the ranking gave it (the
        cosine with the query as the ranking weighted it, the `value` of the API's
        text-similarity reason) when `ids` come from the last `rank` of this query; else the
        text index's plain cosine (`score_ids`)."""
        assert self.index is not None, "fit first"
        given = self._last[1] if self._last is not None and self._last[0] == query else {}
        missing = [i for i in ids if i not in given]
        if missing:
            plain = self.index.matcher.score_ids(query.text, missing)
            given = {**given, **dict(zip(missing, plain.tolist(), strict=True))}
        return [given[i] for i in ids]


def ranker_index(benchmark: Benchmark) -> ProfileIndex:
    """The product's index of a benchmark's profiles, as the evaluation fits it."""
    ranker = MatchmakerRanker().fit(benchmark.profiles, benchmark.calls)
    assert ranker.index is not None
    return ranker.index


def default_rankers(seed: int = 0) -> list[Ranker]:
    """The baselines and the product's ranker, in table order."""
    return [RandomRanker(seed), PopularityRanker(), TfidfRanker(), Bm25Ranker(), MatchmakerRanker()]
