"""TF-IDF text index: ranks indexed documents (organisation profiles) against a query text.

Public API::

    m = TfidfMatcher(min_df=2, max_df=0.5, ngram_range=(1, 2), sublinear_tf=True,
                     max_features=None, extra_stop_words=DOMAIN_STOP_WORDS, explain_terms=5,
                     min_documents_for_df=10, max_delta_rows=None, vocabulary_sample=None)
    m.fit(ids, texts) -> m
    m.query(text_or_vector, k=20, exclude_ids=(), include_ids=None)
        -> list[Match]
    m.similar(doc_id, k=20, exclude_ids=(), include_ids=None) -> list[Match]
    m.score_ids(text_or_vector, ids) -> np.ndarray (float64 cosine per id, 0.0 when unknown)
    m.transform_query(text) -> QueryVector   (transform once, reuse across calls)
    m.term_frequencies(doc_id) -> TermFrequencies   (a stored row as a query for another index)
    m.upsert(doc_id, text); m.remove(doc_id) -> bool; m.compact(); m.settle(max_nnz) -> bool
    m.document_matrix(ids=None) -> scipy.sparse.csr_matrix (L2-normalised rows)
    doc_id in m; m.ids(); m.n_documents; m.vocabulary_size; m.fitted_at; m.drift
    m.nnz; m.nbytes; m.vectorizer_

How it works. `fit` learns a vocabulary (`matchmaker.matching.analyzer`): scikit-learn's
`CountVectorizer` analyzer makes the terms; every word of every text is kept, and the phrases
(bigrams) found in at least `min_df` documents and at most `max_df` of them. IDF weights are
scikit-learn's smoothed ones, ``ln((1 + n) / (1 + df)) + 1``, from exact document
frequencies, and each document's row is its term counts (or 1 + log counts) times the IDF,
L2-normalised, so a dot product is the cosine: what `TfidfVectorizer` gives on the same
vocabulary. The rows are stored as posting lists (`matchmaker.matching.postings`), which
score a query by touching only its own terms' columns and explain the top k by their largest
per-term contributions ``q_t * d_t``. With
`vocabulary_sample`, a very large corpus chooses its phrases from a sample; its words and every
document frequency still come from every text. `matchmaker.matching.saved_index` saves the
arrays and maps them back read-only, shared by processes.

Updates never refit, and every word is findable at once. `upsert` transforms the text with the
current vocabulary, adding the words it lacks (a new column each, with the IDF of a word in one
document), and appends the row to the postings' delta; the old row of a changed document is
masked. `remove` masks. When the delta outgrows `max_delta_rows` it is merged into the base and
masked rows are dropped (`compact`); there every IDF weight is recomputed from the exact
document frequencies of the documents then indexed, and every row re-weighted, so that after a
compaction the index holds exactly the TF-IDF rows of its documents over its vocabulary. The
re-weighting is one more pass over the arrays: merging 200 upserts into 100k profiles took
0.56 s against 0.33 s without it (best of 6, `benchmarks.scale`'s corpus), once per
max(256, n / 64) upserts. Between compactions a term keeps the IDF it had; `settle` compacts
at once where that is cheap (a small index), so a caller can keep it exact. What only a fit
changes: the phrases (a phrase first used after the fit is not a term until the next one).
`drift` is the share of documents added, changed or removed since the last fit; the caller
refits past a threshold.

Thread safety. All state lives in one immutable `_Snapshot` (vocabulary, postings, counters).
Writers (`upsert`, `remove`, `compact`) hold a lock, build a new `_Snapshot` beside the current
one and publish it with a single reference assignment; readers take `self._snapshot` once and
never see a half-applied update, nor a column their vocabulary does not name. `fit` builds its
index without that lock and swaps it in with one assignment.

The index knows documents by id only: what else is known of an organisation (its type and
country, its track record) lives in `profile_index`, which filters with `include_ids`.
`similar` of an id that is not indexed raises `matchmaker.errors.NotFound`. Query texts never
raise: empty, stop-word-only, huge or foreign texts give a (possibly empty) ranking.

A document's row can query another index without its text: `term_frequencies` gives the
row's terms by their strings with their term frequencies (its weights divided by the IDF, up
to the row's norm), and any index's `query`, `score_ids` and `explain` take that in place of a
text, weighing the terms it holds with its own IDF. That is the vector of the text itself but
for the terms the first index lacks: a phrase is a term of an index only within its document
frequency bounds (`min_df`, `max_df`) there, or when first used after its fit.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from numbers import Integral, Real
from typing import Any, Final, Self

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import CountVectorizer

from matchmaker.errors import NotFound
from matchmaker.matching.analyzer import (
    DOMAIN_STOP_WORDS,
    Vocabulary,
    counter,
    learned,
    smooth_idf,
)
from matchmaker.matching.postings import Match, MatchedTerm, Postings

__all__ = ["Match", "MatchedTerm", "QueryVector", "TermFrequencies", "TfidfMatcher"]

# Delta rows before a merge when max_delta_rows is None: a sixty-fourth of the base, so the
# per-upsert copy of the delta stays small while the full-matrix merge is amortised.
_MIN_DELTA_ROWS: Final = 256
_DELTA_SHARE: Final = 64


@dataclass(frozen=True, slots=True, eq=False)
class QueryVector:
    """A query transformed with one vocabulary; re-transformed from `text` after a refit or a
    compaction (which change IDF weights)."""

    text: str
    vocabulary_token: str
    terms: np.ndarray
    weights: np.ndarray


@dataclass(frozen=True, slots=True, eq=False)
class TermFrequencies:
    """A document as its terms (strings) and their term frequencies (1 + log with
    `sublinear_tf`, up to a common factor), read from an index's row by `term_frequencies`: a
    query for an index of another vocabulary, weighed with that index's IDF."""

    terms: tuple[str, ...]
    frequencies: np.ndarray
    sublinear_tf: bool


@dataclass(frozen=True, slots=True, eq=False)
class _Snapshot:
    """Everything a query reads, immutable once published.

    `vocabulary_token` names the IDF weights: it changes with a fit or a compaction, not when
    words are added (their columns are new, every other column keeps its weight).
    """

    vocabulary: Vocabulary
    postings: Postings
    vocabulary_token: str
    fitted_at: datetime
    n_fitted: int
    touched: frozenset[int]
    n_added: int


class TfidfMatcher(BaseEstimator):
    """Rank documents by TF-IDF cosine to a query, with live updates.

    Parameters
    ----------
    min_df, max_df : int or float
        Document-frequency bounds of a phrase (an n-gram of two or more words): every word
        is a term whatever its frequency. Applied only when the corpus has at least
        `min_documents_for_df` documents (a tiny corpus keeps every phrase).
    ngram_range, sublinear_tf
        As in `TfidfVectorizer` (which also strips accents and lowercases).
    max_features : int or None
        Keep at most this many phrases, the most frequent; words are never capped.
    extra_stop_words : collection of str
        Added to scikit-learn's English stop words; normalised like the texts.
    explain_terms : int
        How many matched terms each result carries.
    min_documents_for_df : int
        Corpus size from which `min_df` and `max_df` are applied.
    max_delta_rows : int or None
        Upserted rows kept beside the base matrix before they are merged into it (and the IDF
        weights recomputed); None means max(256, n_base / 64).
    vocabulary_sample : int or None
        Choose the phrases from a seeded random sample of
        this many texts when the corpus is larger; words and document frequencies still come
        from every text, counted in chunks. None learns from every text. Bounds fit time and
        memory on very large corpora (1M texts) at the cost of phrases that are frequent only
        outside the sample.
    """

    def __init__(
        self,
        *,
        min_df: int | float = 2,
        max_df: int | float = 0.5,
        ngram_range: tuple[int, int] = (1, 2),
        sublinear_tf: bool = True,
        max_features: int | None = None,
        extra_stop_words: Collection[str] = DOMAIN_STOP_WORDS,
        explain_terms: int = 5,
        min_documents_for_df: int = 10,
        max_delta_rows: int | None = None,
        vocabulary_sample: int | None = None,
    ) -> None:
        self.min_df = min_df
        self.max_df = max_df
        self.ngram_range = ngram_range
        self.sublinear_tf = sublinear_tf
        self.max_features = max_features
        self.extra_stop_words = extra_stop_words
        self.explain_terms = explain_terms
        self.min_documents_for_df = min_documents_for_df
        self.max_delta_rows = max_delta_rows
        self.vocabulary_sample = vocabulary_sample
        self._snapshot: _Snapshot | None = None
        self._init_locks()

    def _init_locks(self) -> None:
        # Orders writers; readers never take it.
        self._lock = threading.Lock()

    # estimator plumbing

    def __sklearn_is_fitted__(self) -> bool:
        """Return whether `fit` has run."""
        return self._snapshot is not None

    def __getstate__(self) -> dict[str, Any]:
        """Return the picklable state: parameters and the current index, no locks."""
        state = dict(super().__getstate__())
        state.pop("_lock", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore a pickled matcher with fresh locks."""
        super().__setstate__(state)
        self._init_locks()

    # persistence (see matchmaker.matching.saved_index)

    def _export(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Return the compacted index's arrays and its JSON-safe rest, for `saved_index`."""
        snapshot = self._fitted()
        postings = snapshot.postings
        if postings.n_delta or postings.n_live != postings.n_rows:
            # Merged with the weights as they are: the saved index answers as this one does.
            snapshot = self._compacted(snapshot, reweigh=False)
        vocabulary = snapshot.vocabulary
        arrays = {
            **snapshot.postings.arrays(),
            "idf": vocabulary.all_idf(),
            "touched": np.array(sorted(snapshot.touched), dtype=np.int64),
        }
        params = self.get_params()
        meta = {
            "params": {
                **params,
                "ngram_range": list(params["ngram_range"]),
                "extra_stop_words": sorted(params["extra_stop_words"]),
            },
            "terms": vocabulary.all_terms(),
            "forms": dict(vocabulary.forms),
            "shape": [snapshot.postings.n_base, vocabulary.size],
            "fitted_at": snapshot.fitted_at.isoformat(),
            "n_fitted": snapshot.n_fitted,
            "n_added": snapshot.n_added,
        }
        return arrays, meta

    @classmethod
    def _restore(cls, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> Self:
        """Return a matcher over `arrays` (used as they are: memory maps stay shared)."""
        params = dict(meta["params"])
        params["ngram_range"] = tuple(params["ngram_range"])
        params["extra_stop_words"] = frozenset(params["extra_stop_words"])
        matcher = cls(**params)
        terms = np.array(meta["terms"], dtype=object).reshape(-1)
        n_base, n_terms = meta["shape"]
        if terms.size != n_terms or arrays["ids"].shape != (n_base,):
            raise ValueError("the vocabulary or the ids do not match the saved shape")
        matcher._snapshot = _Snapshot(
            vocabulary=Vocabulary.of(
                {term: j for j, term in enumerate(terms.tolist())},
                terms,
                arrays["idf"],
                ngram_range=matcher.ngram_range,
                extra_stop_words=matcher.extra_stop_words,
                sublinear_tf=bool(matcher.sublinear_tf),
                forms=meta["forms"],
            ),
            postings=Postings.mapped(arrays, n_terms),
            vocabulary_token=uuid.uuid4().hex,
            fitted_at=datetime.fromisoformat(meta["fitted_at"]),
            n_fitted=int(meta["n_fitted"]),
            touched=frozenset(arrays["touched"].tolist()),
            n_added=int(meta["n_added"]),
        )
        return matcher

    def _fitted(self) -> _Snapshot:
        snapshot = self._snapshot
        if snapshot is None:
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet; call fit first."
            )
        return snapshot

    def _validate(self) -> None:
        for name in ("min_df", "max_df"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, Real):
                valid = False
            elif isinstance(value, Integral):
                valid = int(value) >= 1
            else:
                share = float(value)
                valid = 0.0 <= share <= 1.0 and (share > 0.0 or name == "min_df")
            if not valid:
                raise ValueError(f"{name} must be an int >= 1 or a share in [0, 1], got {value!r}")
        if self.explain_terms < 0 or self.min_documents_for_df < 0:
            raise ValueError("explain_terms and min_documents_for_df must be >= 0")
        if self.max_delta_rows is not None and self.max_delta_rows < 0:
            raise ValueError("max_delta_rows must be >= 0 or None")
        if self.vocabulary_sample is not None and self.vocabulary_sample < 1:
            raise ValueError("vocabulary_sample must be >= 1 or None")
        if self.max_features is not None and self.max_features < 0:
            raise ValueError("max_features must be >= 0 or None")

    # fitting and updates

    def fit(
        self,
        ids: Sequence[int],
        texts: Sequence[str],
    ) -> Self:
        """Learn the vocabulary from `texts`, index them under `ids` and return self.

        Readers keep the old index until the new one replaces it in one assignment. Updates
        made during a fit are not carried over: the caller that refits while it updates (the
        matching service) builds a new index aside and applies its change log to it.
        """
        self._validate()
        snapshot = self._build(ids, texts)
        with self._lock:
            self._snapshot = snapshot
        return self

    def _build(
        self,
        ids: Sequence[int],
        texts: Sequence[str],
    ) -> _Snapshot:
        id_array = np.asarray(list(ids), dtype=np.int64).reshape(-1)
        texts = list(texts)
        if id_array.size != len(texts):
            raise ValueError(f"{id_array.size} ids but {len(texts)} texts")
        if not all(isinstance(text, str) for text in texts):
            raise TypeError("every text must be a str")
        if np.unique(id_array).size != id_array.size:
            raise ValueError("ids must be unique")
        vocabulary, matrix = learned(
            texts,
            ngram_range=self.ngram_range,
            extra_stop_words=self.extra_stop_words,
            sublinear_tf=bool(self.sublinear_tf),
            min_df=self.min_df,
            max_df=self.max_df,
            max_features=self.max_features,
            min_documents_for_df=self.min_documents_for_df,
            sample=self.vocabulary_sample,
        )
        return _Snapshot(
            vocabulary=vocabulary,
            postings=Postings.of(matrix, id_array),
            vocabulary_token=uuid.uuid4().hex,
            fitted_at=datetime.now(UTC),
            n_fitted=int(id_array.size),
            touched=frozenset(),
            n_added=0,
        )

    @staticmethod
    def _compacted(snapshot: _Snapshot, *, reweigh: bool = True) -> _Snapshot:
        """Return `snapshot` with the delta merged and masked rows dropped; with `reweigh`,
        every IDF weight recomputed from the exact document frequencies and every row
        re-weighted with them."""
        vocabulary, postings = snapshot.vocabulary, snapshot.postings
        width = vocabulary.size
        if not reweigh:
            return replace(
                snapshot,
                vocabulary=vocabulary.settled(vocabulary.all_idf()),
                postings=postings.compacted(width),
            )
        idf = smooth_idf(postings.document_frequencies(width), postings.n_live)
        return replace(
            snapshot,
            vocabulary=vocabulary.settled(idf),
            postings=postings.compacted(width, idf / vocabulary.all_idf()),
            vocabulary_token=uuid.uuid4().hex,
        )

    def _applied(self, snapshot: _Snapshot, doc_id: int, text: str) -> _Snapshot:
        """Return `snapshot` with one document (re)indexed, its new words added to the
        vocabulary; merged into the base past the delta's limit."""
        postings = snapshot.postings
        is_new = postings.row_of(doc_id) is None
        vocabulary, terms, weights = snapshot.vocabulary.indexed(text, postings.n_live + is_new)
        touched, n_added = snapshot.touched, snapshot.n_added
        if doc_id not in touched:
            touched = touched | {doc_id}
            n_added += is_new
        updated = replace(
            snapshot,
            vocabulary=vocabulary,
            postings=postings.with_row(doc_id, terms, weights),
            touched=touched,
            n_added=n_added,
        )
        limit = self.max_delta_rows
        if limit is None:
            limit = max(_MIN_DELTA_ROWS, updated.postings.n_base // _DELTA_SHARE)
        return self._compacted(updated) if updated.postings.n_delta > limit else updated

    def upsert(self, doc_id: int, text: str) -> None:
        """Index or replace one document, adding its new words to the vocabulary; visible to
        the next query."""
        if not isinstance(text, str):
            raise TypeError("text must be a str")
        doc_id = int(doc_id)
        with self._lock:
            self._snapshot = self._applied(self._fitted(), doc_id, text)

    def remove(self, doc_id: int) -> bool:
        """Stop returning `doc_id`; return whether it was indexed."""
        doc_id = int(doc_id)
        with self._lock:
            snapshot = self._fitted()
            postings = snapshot.postings.without(doc_id)
            if postings is None:
                return False
            touched = snapshot.touched | {doc_id}
            self._snapshot = replace(snapshot, postings=postings, touched=touched)
            return True

    def compact(self) -> None:
        """Merge upserted rows into the base matrix, drop removed rows and recompute the IDF
        weights now."""
        with self._lock:
            self._snapshot = self._compacted(self._fitted())

    def settle(self, max_nnz: int) -> bool:
        """`compact` now if a document was indexed or removed since the last compaction and the
        index holds at most `max_nnz` weights (where a compaction takes milliseconds), so that
        every IDF weight is exact again; say whether it compacted."""
        with self._lock:
            snapshot = self._fitted()
            postings = snapshot.postings
            changed = postings.n_delta > 0 or postings.n_live < postings.n_rows
            if not changed or postings.nnz > max_nnz:
                return False
            self._snapshot = self._compacted(snapshot)
            return True

    # queries

    def transform_query(self, text: str) -> QueryVector:
        """Transform a query text once, for reuse across `query` and `score_ids` calls."""
        if not isinstance(text, str):
            raise TypeError("text must be a str")
        snapshot = self._fitted()
        terms, weights = snapshot.vocabulary.transform(text)
        return QueryVector(text, snapshot.vocabulary_token, terms, weights)

    def term_frequencies(self, doc_id: int) -> TermFrequencies:
        """Return an indexed document's row as its terms and their term frequencies, a query
        for another index (see the module's docstring)."""
        snapshot = self._fitted()
        postings, vocabulary = snapshot.postings, snapshot.vocabulary
        row = postings.row_of(int(doc_id))
        if row is None:
            raise NotFound(f"document {doc_id} is not indexed")
        columns, weights = postings.row_vector(row)
        return TermFrequencies(
            tuple(vocabulary.names(columns)),
            vocabulary.term_frequencies(columns, weights),
            bool(self.sublinear_tf),
        )

    def _query_vector(
        self, snapshot: _Snapshot, query: str | QueryVector | TermFrequencies
    ) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(query, TermFrequencies):
            if query.sublinear_tf != bool(self.sublinear_tf):
                # 1 + log tf cannot be undone without the row's norm, nor applied after it.
                raise ValueError("term frequencies weighed with another sublinear_tf")
            return snapshot.vocabulary.weigh(query.terms, query.frequencies)
        if isinstance(query, QueryVector):
            if query.vocabulary_token == snapshot.vocabulary_token:
                return query.terms, query.weights
            query = query.text
        if not isinstance(query, str):
            raise TypeError("query must be a str, a QueryVector or TermFrequencies")
        return snapshot.vocabulary.transform(query)

    def query(
        self,
        text: str | QueryVector | TermFrequencies,
        *,
        k: int = 20,
        exclude_ids: Collection[int] = (),
        include_ids: Collection[int] | None = None,
    ) -> list[Match]:
        """Return up to k documents most similar to `text` among those allowed, best first."""
        if k < 0:
            raise ValueError(f"k must be >= 0, got {k}")
        snapshot = self._fitted()
        terms, weights = self._query_vector(snapshot, text)
        mask = snapshot.postings.candidates(exclude_ids, include_ids)
        return self._search(snapshot, terms, weights, k, mask, _names(snapshot, text))

    def similar(
        self,
        doc_id: int,
        *,
        k: int = 20,
        exclude_ids: Collection[int] = (),
        include_ids: Collection[int] | None = None,
    ) -> list[Match]:
        """Return up to k documents most similar to the indexed document `doc_id`, not itself."""
        if k < 0:
            raise ValueError(f"k must be >= 0, got {k}")
        snapshot = self._fitted()
        postings = snapshot.postings
        row = postings.row_of(int(doc_id))
        if row is None:
            raise NotFound(f"document {doc_id} is not indexed")
        terms, weights = postings.row_vector(row)
        mask = postings.candidates(exclude_ids, include_ids)
        if mask is None:
            mask = postings.alive.copy()
        mask[row] = False
        return self._search(snapshot, terms, weights, k, mask, _names(snapshot, None))

    def _search(
        self,
        snapshot: _Snapshot,
        terms: np.ndarray,
        weights: np.ndarray,
        k: int,
        mask: np.ndarray | None,
        names: Callable[[np.ndarray], list[str]],
    ) -> list[Match]:
        """The k best documents allowed by `mask` for a query vector, with explanations."""
        return snapshot.postings.search(
            terms, weights, k=k, mask=mask, n_terms=self.explain_terms, names=names
        )

    def explain(self, text: str | QueryVector | TermFrequencies, ids: Sequence[int]) -> list[Match]:
        """Return a `Match` for each indexed id of `ids`, in their order, without ranking.

        For results ranked elsewhere (on `score_ids` and other factors): the cost depends on
        the number of ids, not on the index. Ids not indexed are left out.
        """
        snapshot = self._fitted()
        terms, weights = self._query_vector(snapshot, text)
        _, rows = snapshot.postings.lookup(ids)
        return snapshot.postings.explain(
            terms, weights, rows, n_terms=self.explain_terms, names=_names(snapshot, text)
        )

    def score_ids(
        self, text: str | QueryVector | TermFrequencies, ids: Sequence[int]
    ) -> np.ndarray:
        """Return the cosine of `text` with each of `ids` (0.0 for ids not indexed)."""
        snapshot = self._fitted()
        terms, weights = self._query_vector(snapshot, text)
        found, rows = snapshot.postings.lookup(ids)
        result = np.zeros(found.size, dtype=np.float64)
        if terms.size and rows.size:
            result[found] = snapshot.postings.scores(terms, weights)[rows]
        return result

    def __contains__(self, doc_id: object) -> bool:
        """Return whether `doc_id` is indexed and not removed."""
        snapshot = self._fitted()
        if isinstance(doc_id, bool) or not isinstance(doc_id, Integral):
            return False
        return snapshot.postings.row_of(int(doc_id)) is not None

    def document_matrix(self, ids: Sequence[int] | None = None) -> sp.csr_matrix:
        """Return the TF-IDF rows of `ids` (all live documents by ascending id when None), as
        wide as the vocabulary.

        Rows are L2-normalised, so ``A @ B.T`` gives cosines; unknown ids get empty rows.
        """
        snapshot = self._fitted()
        postings, width = snapshot.postings, snapshot.vocabulary.size
        if ids is None:
            return postings.document_matrix(postings.row_order, width)
        found, rows = postings.lookup(ids)
        wanted = np.full(found.size, -1, dtype=np.int64)
        wanted[found] = rows
        return postings.document_matrix(wanted, width)

    def ids(self) -> np.ndarray:
        """Return the indexed (live) ids, sorted."""
        return self._fitted().postings.id_order.copy()

    # statistics

    @property
    def n_documents(self) -> int:
        """Number of live documents."""
        return self._fitted().postings.n_live

    @property
    def vocabulary_size(self) -> int:
        """Number of terms (words and phrases), those added since the fit included."""
        return self._fitted().vocabulary.size

    @property
    def fitted_at(self) -> datetime:
        """When the vocabulary was last fitted (UTC)."""
        return self._fitted().fitted_at

    @property
    def drift(self) -> float:
        """Share of documents added, changed or removed since the last fit (0 to 1)."""
        snapshot = self._fitted()
        if not snapshot.touched:
            return 0.0
        return len(snapshot.touched) / (snapshot.n_fitted + snapshot.n_added)

    @property
    def nnz(self) -> int:
        """Number of stored (document, term) weights, masked rows included until compaction."""
        return self._fitted().postings.nnz

    def analyzer(self) -> Callable[[str], list[str]]:
        """What turns a text into this index's terms (fitted or not)."""
        return counter(self.ngram_range, self.extra_stop_words).build_analyzer()

    def terms(self, start: int = 0) -> list[str]:
        """Every term of the vocabulary from column `start` on, in column order (words added
        since the fit last)."""
        return self._fitted().vocabulary.all_terms(start)

    @property
    def vectorizer_(self) -> CountVectorizer:
        """The vectorizer whose analyzer makes the terms (`build_analyzer()`,
        `tokenizer.stop_words`); its `vocabulary_` holds the terms of the fit, not those added
        since. Read it, never modify it."""
        return self._fitted().vocabulary.counter

    @property
    def nbytes(self) -> int:
        """Bytes held by the index's arrays: postings, terms and IDF weights (not the
        vocabulary's dicts)."""
        snapshot = self._fitted()
        vocabulary = snapshot.vocabulary
        return snapshot.postings.nbytes() + int(vocabulary.terms.nbytes + vocabulary.idf.nbytes)


def _names(
    snapshot: _Snapshot, query: str | QueryVector | TermFrequencies | None
) -> Callable[[np.ndarray], list[str]]:
    """What names the shared terms of a query's matches (terms are stems): the words of its
    text, or the words the fit's texts use most for them when the query has no text."""
    vocabulary = snapshot.vocabulary
    if isinstance(query, QueryVector):
        query = query.text
    return vocabulary.names_in(query) if isinstance(query, str) else vocabulary.shown
