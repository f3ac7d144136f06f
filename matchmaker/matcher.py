"""TF-IDF matcher: ranks indexed documents (organisation profiles) against a query text.

Public API::

    m = TfidfMatcher(min_df=2, max_df=0.5, ngram_range=(1, 2), sublinear_tf=True,
                     max_features=None, extra_stop_words=DOMAIN_STOP_WORDS, explain_terms=5,
                     min_documents_for_df=10, max_delta_rows=None)
    m.fit(ids, texts, facets={"country": [...], "stakeholder_type": [...]}) -> m
    m.query(text_or_vector, k=20, filters={"country": {"DE"}}, exclude_ids=(), include_ids=None)
        -> list[Match]
    m.similar(doc_id, k=20, filters=None, exclude_ids=(), include_ids=None) -> list[Match]
    m.score_ids(text_or_vector, ids) -> np.ndarray (float64 cosine per id, 0.0 when unknown)
    m.transform_query(text) -> QueryVector   (transform once, reuse across calls)
    m.upsert(doc_id, text, facets=None); m.remove(doc_id) -> bool; m.compact()
    m.document_matrix(ids=None) -> scipy.sparse.csr_matrix (L2-normalised rows)
    doc_id in m; m.ids(); m.n_documents; m.vocabulary_size; m.fitted_at; m.drift
    m.nnz; m.nbytes; m.vectorizer_

How it works. `fit` learns a vocabulary and IDF weights with scikit-learn's `TfidfVectorizer`
(rows L2-normalised, so a dot product is the cosine) and stores the document-term matrix
column-wise (CSC): each column is the posting list of one term. A query touches only the columns
of its own terms: ``X[:, T] @ q[T]`` gives a dense score vector, documents outside the filters
are zeroed, and `np.argpartition` picks the top k, which alone are sorted (ties broken by id)
and explained by their largest per-term contributions ``q_t * d_t``.

Updates never refit. `upsert` transforms the text with the frozen vocabulary and appends the row
to a small delta block kept sorted by term (so it is searched like posting lists); the old row of
a changed document is masked. `remove` masks. When the delta outgrows `max_delta_rows` it is
merged into the base matrix and masked rows are dropped (`compact`). `drift` is the share of
documents added, changed or removed since the last fit; the caller refits past a threshold.

Thread safety. All state lives in one immutable `_Snapshot`. Writers (`upsert`, `remove`,
`compact`) hold a lock, build a new `_Snapshot` beside the current one and publish it with a
single reference assignment; readers take `self._snapshot` once and never see a half-applied
update. `fit` builds its index without that lock (one fit at a time) while it journals the
updates made meanwhile, then replays them onto the new index and swaps it in under the lock.

Unknown facets in `fit`/`upsert`/filters raise `ValueError`; `similar` of an id that is not
indexed raises `matchmaker.errors.NotFound`. Query texts never raise: empty, stop-word-only,
huge or foreign texts give a (possibly empty) ranking.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from numbers import Integral, Real
from typing import Any, Final, Self

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from matchmaker.errors import NotFound

DOMAIN_STOP_WORDS: Final[frozenset[str]] = frozenset(
    """
    project projects proposal proposals consortium consortia call calls topic topics
    expected outcome outcomes scope activity activities research innovation innovative
    eu horizon europe european action actions applicant applicants participant participants
    partner partners beneficiary beneficiaries programme programmes work funding funded
    should will shall must may could would also including include includes etc
    new results result impact impacts objective objectives aim aims approach approaches
    address addressing contribute contribution contributions relevant specific particular
    different various key main well need needs within across based use using used ensure
    support supporting develop developing deliver year years cluster destination pillar
    """.split()  # noqa: SIM905 - a word list reads better as a paragraph than as 95 lines
)
"""Words in nearly every call text or profile that say nothing about a topic."""

# At least two word characters including one letter: years and amounts ("2025", "EUR 3
# million") would otherwise link every call of the same year, while "covid19" or "5g" survive.
_WORD_PATTERN: Final = r"(?u)\b(?=\w*[^\W\d_])\w\w+\b"
# Posting entries sliced at once: bounds a huge query's scratch memory (~16 bytes each) while
# a long call text (a few hundred terms, ~1M entries at 100k documents) still takes one pass.
_GATHER_CHUNK: Final = 1 << 22
# Delta rows before a merge when max_delta_rows is None: a sixty-fourth of the base, so the
# per-upsert copy of the delta stays small while the full-matrix merge is amortised.
_MIN_DELTA_ROWS: Final = 256
_DELTA_SHARE: Final = 64

_NO_INTS = np.zeros(0, dtype=np.int64)

# (row, position of the term in the query, contribution q_t * d_t), one entry per shared term.
_Entries = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True, slots=True)
class MatchedTerm:
    """A term shared by a query and a document, with its contribution to the cosine."""

    term: str
    weight: float


@dataclass(frozen=True, slots=True)
class Match:
    """A ranked document: its id, cosine score and the terms that contributed most."""

    id: int
    score: float
    matched_terms: tuple[MatchedTerm, ...]


@dataclass(frozen=True, slots=True, eq=False)
class QueryVector:
    """A query transformed with one fitted vocabulary; re-transformed from `text` after a refit."""

    text: str
    vocabulary_token: str
    terms: np.ndarray
    weights: np.ndarray


@dataclass(frozen=True, slots=True, eq=False)
class _Snapshot:
    """Everything a query reads, immutable once published.

    Rows ``0 .. n_base - 1`` live in ``base`` (CSC); rows ``n_base ..`` are the delta, stored as
    entries sorted by term. ``alive`` masks removed and superseded rows; ``id_order`` (sorted
    live ids) and ``row_order`` map ids to rows.
    """

    vectorizer: TfidfVectorizer | None
    vocabulary_token: str
    terms: np.ndarray
    base: sp.csc_matrix
    delta_terms: np.ndarray
    delta_rows: np.ndarray
    delta_data: np.ndarray
    ids: np.ndarray
    alive: np.ndarray
    id_order: np.ndarray
    row_order: np.ndarray
    facet_names: tuple[str, ...]
    facet_levels: tuple[dict[str, int], ...]
    facet_codes: tuple[np.ndarray, ...]
    fitted_at: datetime
    n_fitted: int
    touched: frozenset[int]
    n_added: int

    @property
    def n_rows(self) -> int:
        return int(self.ids.size)

    @property
    def n_base(self) -> int:
        return int(self.base.shape[0])

    @property
    def n_delta(self) -> int:
        return self.n_rows - self.n_base

    # ids and facets

    def lookup(self, ids: Collection[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return which of `ids` are live and the rows of those that are."""
        wanted = np.asarray(ids if isinstance(ids, np.ndarray) else list(ids), dtype=np.int64)
        if wanted.size == 0 or self.id_order.size == 0:
            return np.zeros(wanted.size, dtype=bool), _NO_INTS
        pos = np.minimum(np.searchsorted(self.id_order, wanted), self.id_order.size - 1)
        found = self.id_order[pos] == wanted
        return found, self.row_order[pos[found]]

    def row_of(self, doc_id: int) -> int | None:
        found, rows = self.lookup([doc_id])
        return int(rows[0]) if found[0] else None

    def facet_position(self, name: str) -> int:
        try:
            return self.facet_names.index(name)
        except ValueError:
            raise ValueError(f"unknown facet {name!r}; known: {list(self.facet_names)}") from None

    def candidates(
        self,
        filters: Mapping[str, Collection[str] | str] | None,
        exclude_ids: Collection[int],
        include_ids: Collection[int] | None,
    ) -> np.ndarray:
        """Return the mask of live rows that pass every filter."""
        mask = self.alive.copy()
        if include_ids is not None:
            allowed = np.zeros_like(mask)
            allowed[self.lookup(include_ids)[1]] = True
            mask &= allowed
        if len(exclude_ids):
            mask[self.lookup(exclude_ids)[1]] = False
        for name, values in (filters or {}).items():
            position = self.facet_position(name)
            wanted = (values,) if isinstance(values, str) else values
            levels = self.facet_levels[position]
            # One flag per level plus a last, always-False one that missing values (-1) index.
            allowed = np.zeros(len(levels) + 1, dtype=bool)
            allowed[[levels[str(value)] for value in wanted if str(value) in levels]] = True
            mask &= allowed[self.facet_codes[position]]
        return mask

    # vectors

    def transform(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Return the text's term indices (sorted) and L2-normalised TF-IDF weights.

        Computes what ``vectorizer.transform([text])`` does (counts, 1 + ln tf, times idf,
        L2 norm) without sklearn's per-call validation, which costs more than the maths for
        one short text.
        """
        vectorizer = self.vectorizer
        if vectorizer is None:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        vocabulary = vectorizer.vocabulary_
        found = np.fromiter(
            (
                j
                for token in vectorizer.build_analyzer()(text)
                if (j := vocabulary.get(token)) is not None
            ),
            dtype=np.int64,
        )
        terms, counts = np.unique(found, return_counts=True)
        tf = counts.astype(np.float64)
        if vectorizer.sublinear_tf:
            tf = 1.0 + np.log(tf)
        weights = tf * vectorizer.idf_[terms]
        if terms.size:
            weights /= np.sqrt(np.dot(weights, weights))
        return terms.astype(np.int32), weights.astype(np.float32)

    def row_vector(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """Return the stored terms and weights of one row (a scan of the base, O(nnz))."""
        if row >= self.n_base:
            picked = np.flatnonzero(self.delta_rows == row)
            return self.delta_terms[picked], self.delta_data[picked]
        picked = np.flatnonzero(self.base.indices == row)
        terms = np.searchsorted(self.base.indptr, picked, side="right") - 1
        return terms.astype(np.int32), self.base.data[picked]

    # scoring

    def _base_chunks(self, terms: np.ndarray) -> list[slice]:
        """Split the query's terms into slices of about `_GATHER_CHUNK` posting entries each."""
        lengths = self.base.indptr[terms + 1].astype(np.int64) - self.base.indptr[terms]
        chunk = (np.cumsum(lengths) - lengths) // _GATHER_CHUNK
        bounds = [0, *(np.flatnonzero(np.diff(chunk)) + 1).tolist(), int(terms.size)]
        return [slice(a, b) for a, b in itertools.pairwise(bounds)]

    def _delta_entries(self, terms: np.ndarray, weights: np.ndarray) -> _Entries:
        starts = np.searchsorted(self.delta_terms, terms, side="left")
        counts = np.searchsorted(self.delta_terms, terms, side="right") - starts
        return _gather(starts, counts, self.delta_rows, self.delta_data, weights)

    def scores(
        self, terms: np.ndarray, weights: np.ndarray
    ) -> tuple[np.ndarray, sp.csc_matrix | None]:
        """Return the cosine of every row and, unless the query was chunked, its base columns."""
        total = np.zeros(self.n_rows, dtype=np.float64)
        parts = self._base_chunks(terms) if terms.size else []
        kept = None
        for part in parts:
            columns = self.base[:, terms[part]]
            # float64 like the delta's sums, so compaction cannot reorder near-ties.
            total[: self.n_base] += columns @ weights[part].astype(np.float64)
            kept = columns if len(parts) == 1 else None
        rows, _, contributions = self._delta_entries(terms, weights)
        total += np.bincount(rows, weights=contributions, minlength=self.n_rows)
        return total, kept

    def _entries_of(
        self, terms: np.ndarray, weights: np.ndarray, chosen: np.ndarray, kept: sp.csc_matrix | None
    ) -> _Entries:
        """Return the (row, query position, contribution) entries of the `chosen` rows (a mask)."""
        if kept is not None:
            parts: Iterable[tuple[int, sp.csc_matrix]] = [(0, kept)]
        else:
            # A huge query was scored in chunks; slice its columns again, one chunk at a time.
            parts = ((p.start, self.base[:, terms[p]]) for p in self._base_chunks(terms))
        found = []
        for first, columns in parts:
            hit = np.flatnonzero(chosen[columns.indices])
            positions = np.searchsorted(columns.indptr, hit, side="right") - 1 + first
            contributions = columns.data[hit].astype(np.float64) * weights[positions]
            found.append((columns.indices[hit].astype(np.int64), positions, contributions))
        rows, positions, contributions = self._delta_entries(terms, weights)
        in_delta = chosen[rows]
        found.append((rows[in_delta], positions[in_delta], contributions[in_delta]))
        return _concatenate(found)

    def top_k(self, scores: np.ndarray, k: int) -> np.ndarray:
        """Return the rows of the k best positive scores, best first, ties by ascending id."""
        rows = np.flatnonzero(scores > 0)
        if rows.size > k:
            chosen = scores[rows]
            floor = chosen[np.argpartition(-chosen, k - 1)[:k]].min()
            # Keep every row tied with the k-th so the id tie-break, not argpartition, decides.
            rows = rows[chosen >= floor]
        order = np.lexsort((self.ids[rows], -scores[rows]))[:k]
        return rows[order]

    def search(
        self, terms: np.ndarray, weights: np.ndarray, *, k: int, mask: np.ndarray, n_terms: int
    ) -> list[Match]:
        """Rank the rows in `mask` against a query vector and explain the top k."""
        if k == 0 or terms.size == 0:
            return []
        scores, kept = self.scores(terms, weights)
        scores[~mask] = 0.0
        top = self.top_k(scores, k)
        if top.size == 0:
            return []
        chosen = np.zeros(self.n_rows, dtype=bool)
        chosen[top] = True
        rows, positions, contributions = self._entries_of(terms, weights, chosen, kept)
        by_row = np.argsort(top)
        ranks = by_row[np.searchsorted(top, rows, sorter=by_row)]
        order = np.lexsort((positions, -contributions, ranks))
        ranks, positions, contributions = ranks[order], positions[order], contributions[order]
        starts = np.searchsorted(ranks, np.arange(top.size + 1))
        names = self.terms[terms[positions]]
        return [
            Match(
                id=int(self.ids[row]),
                score=float(scores[row]),
                matched_terms=tuple(
                    MatchedTerm(term=str(names[j]), weight=float(contributions[j]))
                    for j in range(starts[rank], min(starts[rank + 1], starts[rank] + n_terms))
                ),
            )
            for rank, row in enumerate(top.tolist())
        ]

    # copy-on-write updates

    def with_row(
        self, doc_id: int, terms: np.ndarray, weights: np.ndarray, facets: Mapping[str, str | None]
    ) -> _Snapshot:
        """Return a copy with `doc_id` (re)indexed as a new delta row."""
        unknown = set(facets) - set(self.facet_names)
        if unknown:
            raise ValueError(f"unknown facets {sorted(unknown)}; known: {list(self.facet_names)}")
        row = self.n_rows
        old_row = self.row_of(doc_id)
        alive = np.append(self.alive, True)
        if old_row is None:
            at = int(np.searchsorted(self.id_order, doc_id))
            id_order = np.insert(self.id_order, at, doc_id)
            row_order = np.insert(self.row_order, at, row)
        else:
            alive[old_row] = False
            id_order = self.id_order
            row_order = self.row_order.copy()
            row_order[int(np.searchsorted(self.id_order, doc_id))] = row
        levels_out, codes_out = [], []
        for name, levels, codes in zip(
            self.facet_names, self.facet_levels, self.facet_codes, strict=True
        ):
            raw = facets.get(name)
            value = str(raw) if raw is not None and raw != "" else None
            if value is not None and value not in levels:
                levels = {**levels, value: len(levels)}
            levels_out.append(levels)
            codes_out.append(np.append(codes, levels[value] if value is not None else -1))
        at_terms = np.searchsorted(self.delta_terms, terms, side="right")
        touched, n_added = self.touched, self.n_added
        if doc_id not in touched:
            touched = touched | {doc_id}
            n_added += old_row is None
        return replace(
            self,
            delta_terms=np.insert(self.delta_terms, at_terms, terms),
            delta_rows=np.insert(self.delta_rows, at_terms, row),
            delta_data=np.insert(self.delta_data, at_terms, weights),
            ids=np.append(self.ids, np.int64(doc_id)),
            alive=alive,
            id_order=id_order,
            row_order=row_order,
            facet_levels=tuple(levels_out),
            facet_codes=tuple(codes_out),
            touched=touched,
            n_added=n_added,
        )

    def without(self, doc_id: int) -> _Snapshot | None:
        """Return a copy with `doc_id` masked, or None when it is not indexed."""
        row = self.row_of(doc_id)
        if row is None:
            return None
        at = int(np.searchsorted(self.id_order, doc_id))
        alive = self.alive.copy()
        alive[row] = False
        return replace(
            self,
            alive=alive,
            id_order=np.delete(self.id_order, at),
            row_order=np.delete(self.row_order, at),
            touched=self.touched | {doc_id},
        )

    def compacted(self) -> _Snapshot:
        """Return a copy with the delta merged into the base and masked rows dropped.

        Works on the CSC arrays directly: live rows keep their order and delta rows, the newest,
        go last, so each delta entry lands at the end of its term's column.
        """
        base, alive = self.base, self.alive
        index_dtype = base.indices.dtype
        new_row = (np.cumsum(alive) - 1).astype(index_dtype)
        keep = alive[base.indices]
        kept_before = np.zeros(keep.size + 1, dtype=np.int64)
        np.cumsum(keep, out=kept_before[1:])
        kept_indptr = kept_before[base.indptr]
        in_delta = alive[self.delta_rows]
        delta_terms = self.delta_terms[in_delta]
        at = kept_indptr[delta_terms + 1]
        indices = np.insert(new_row[base.indices[keep]], at, new_row[self.delta_rows[in_delta]])
        data = np.insert(base.data[keep], at, self.delta_data[in_delta])
        delta_before = np.zeros(self.terms.size + 1, dtype=np.int64)
        np.cumsum(np.bincount(delta_terms, minlength=self.terms.size), out=delta_before[1:])
        live = np.flatnonzero(alive)
        merged = sp.csc_matrix(
            (data, indices, kept_indptr + delta_before), shape=(live.size, self.terms.size)
        )
        ids = self.ids[live]
        order = np.argsort(ids, kind="stable")
        return replace(
            self,
            base=_compact_csc(merged),
            delta_terms=np.zeros(0, dtype=np.int32),
            delta_rows=_NO_INTS,
            delta_data=np.zeros(0, dtype=np.float32),
            ids=ids,
            alive=np.ones(live.size, dtype=bool),
            id_order=ids[order],
            row_order=order.astype(np.int64),
            facet_codes=tuple(codes[live] for codes in self.facet_codes),
        )

    def document_matrix(self, rows: np.ndarray) -> sp.csr_matrix:
        """Return the stored vectors of `rows` (-1 gives an empty row) as CSR, O(nnz)."""
        n_terms = self.terms.size
        delta = sp.csr_matrix(
            (self.delta_data, (self.delta_rows - self.n_base, self.delta_terms)),
            shape=(self.n_delta + 1, n_terms),
            dtype=np.float32,
        )
        stacked = sp.vstack([self.base.tocsr(), delta], format="csr")
        return stacked[np.where(rows < 0, self.n_rows, rows)]

    def nbytes(self) -> int:
        arrays = [
            self.terms,
            self.base.data,
            self.base.indices,
            self.base.indptr,
            self.delta_terms,
            self.delta_rows,
            self.delta_data,
            self.ids,
            self.alive,
            self.id_order,
            self.row_order,
            *self.facet_codes,
        ]
        return sum(int(array.nbytes) for array in arrays)


def _gather(
    starts: np.ndarray, counts: np.ndarray, rows: np.ndarray, data: np.ndarray, weights: np.ndarray
) -> _Entries:
    """Concatenate the posting ranges ``[start, start + count)`` of consecutive query terms.

    Returns each entry's row, the position of its term in the query and its contribution
    ``q_t * d_t``, without a Python loop.
    """
    total = int(counts.sum())
    if total == 0:
        return _NO_INTS, _NO_INTS, np.zeros(0, dtype=np.float64)
    ends = np.cumsum(counts)
    offsets = np.repeat(starts - (ends - counts), counts) + np.arange(total, dtype=np.int64)
    positions = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    contributions = data[offsets].astype(np.float64) * weights[positions]
    return rows[offsets].astype(np.int64), positions, contributions


def _concatenate(parts: Sequence[_Entries]) -> _Entries:
    rows, positions, contributions = (np.concatenate(column) for column in zip(*parts, strict=True))
    return rows, positions, contributions


def _compact_csc(matrix: sp.spmatrix) -> sp.csc_matrix:
    """Return `matrix` as canonical CSC with float32 data and the narrowest safe index type."""
    csc = sp.csc_matrix(matrix, dtype=np.float32)
    csc.sum_duplicates()
    index_dtype = np.int32 if csc.nnz < np.iinfo(np.int32).max else np.int64
    csc.indices = csc.indices.astype(index_dtype, copy=False)
    csc.indptr = csc.indptr.astype(index_dtype, copy=False)
    return csc


def _facet_codes(values: Sequence[str | None]) -> tuple[dict[str, int], np.ndarray]:
    """Encode one facet's values as integer codes (-1 for missing), vectorised."""
    raw = np.array(["" if value is None else str(value) for value in values], dtype=str)
    levels, codes = np.unique(raw, return_inverse=True)
    lookup = {str(level): code for code, level in enumerate(levels.tolist())}
    codes = codes.astype(np.int32)
    if "" in lookup:
        # Missing values get -1 so no filter matches them; later levels renumber upwards.
        missing = lookup.pop("")
        codes = np.where(codes == missing, -1, codes - (codes > missing))
        lookup = {level: code - (code > missing) for level, code in lookup.items()}
    return lookup, codes.astype(np.int32)


class TfidfMatcher(BaseEstimator):
    """Rank documents by TF-IDF cosine to a query, with facet filters and live updates.

    Parameters
    ----------
    min_df, max_df : int or float
        Document-frequency bounds of `TfidfVectorizer`, applied only when the corpus has at
        least `min_documents_for_df` documents (a tiny corpus keeps every term). Bounds that
        would leave no term are relaxed rather than raising.
    ngram_range, sublinear_tf, max_features
        Passed to `TfidfVectorizer` (which also strips accents and lowercases).
    extra_stop_words : collection of str
        Added to scikit-learn's English stop words; normalised like the texts.
    explain_terms : int
        How many matched terms each result carries.
    min_documents_for_df : int
        Corpus size from which `min_df` and `max_df` are applied.
    max_delta_rows : int or None
        Upserted rows kept beside the base matrix before they are merged into it; None
        means max(256, n_base / 64).
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
        self._snapshot: _Snapshot | None = None
        self._init_locks()

    def _init_locks(self) -> None:
        # _lock orders writers; _fit_lock lets one fit build at a time, during which _journal
        # records the updates to replay onto the new index.
        self._lock = threading.Lock()
        self._fit_lock = threading.Lock()
        self._journal: list[tuple[int, str | None, dict[str, str | None]]] | None = None

    # estimator plumbing

    def __sklearn_is_fitted__(self) -> bool:
        """Return whether `fit` has run."""
        return self._snapshot is not None

    def __getstate__(self) -> dict[str, Any]:
        """Return the picklable state: parameters and the current index, no locks."""
        state = dict(super().__getstate__())
        for name in ("_lock", "_fit_lock", "_journal"):
            state.pop(name, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore a pickled matcher with fresh locks."""
        super().__setstate__(state)
        self._init_locks()

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

    def _stop_words(self) -> list[str]:
        # Normalised with the texts' own preprocessing and tokenisation, so sklearn finds them
        # consistent (and does not warn) whatever extra words a caller passes.
        probe = self._vectorizer(min_df=1, max_df=1.0, stop_words=None)
        preprocess, tokenize = probe.build_preprocessor(), probe.build_tokenizer()
        words = ENGLISH_STOP_WORDS | frozenset(self.extra_stop_words)
        return sorted({token for word in words for token in tokenize(preprocess(word))})

    def _vectorizer(
        self, *, min_df: float, max_df: float, stop_words: list[str] | None
    ) -> TfidfVectorizer:
        return TfidfVectorizer(
            strip_accents="unicode",
            lowercase=True,
            token_pattern=_WORD_PATTERN,
            stop_words=stop_words,
            ngram_range=self.ngram_range,
            min_df=min_df,
            max_df=max_df,
            max_features=self.max_features,
            sublinear_tf=self.sublinear_tf,
            dtype=np.float32,
        )

    def _df_bounds(self, n_documents: int) -> tuple[float, float]:
        if n_documents < self.min_documents_for_df:
            return 1, 1.0
        low = self.min_df if isinstance(self.min_df, Integral) else self.min_df * n_documents
        high = self.max_df if isinstance(self.max_df, Integral) else self.max_df * n_documents
        return (self.min_df, 1.0) if high < low else (self.min_df, self.max_df)

    def _fit_vectorizer(self, texts: Sequence[str]) -> tuple[TfidfVectorizer | None, sp.spmatrix]:
        if not texts:
            return None, sp.csr_matrix((0, 0), dtype=np.float32)
        stop_words = self._stop_words()
        min_df, max_df = self._df_bounds(len(texts))
        try:
            vectorizer = self._vectorizer(min_df=min_df, max_df=max_df, stop_words=stop_words)
            matrix = vectorizer.fit_transform(texts)
        except ValueError:
            # sklearn raises when no term survives: the bounds pruned everything, or the texts
            # hold no token at all (empty, or stop words only). Relax the bounds once.
            vectorizer = self._vectorizer(min_df=1, max_df=1.0, stop_words=stop_words)
            try:
                matrix = vectorizer.fit_transform(texts)
            except ValueError:
                analyse = vectorizer.build_analyzer()
                if any(analyse(text) for text in texts):
                    raise
                return None, sp.csr_matrix((len(texts), 0), dtype=np.float32)
        # Every pruned term, kept only for introspection; it can outweigh the vocabulary.
        vectorizer.stop_words_ = None
        return vectorizer, matrix

    # fitting and updates

    def fit(
        self,
        ids: Sequence[int],
        texts: Sequence[str],
        facets: Mapping[str, Sequence[str | None]] | None = None,
    ) -> Self:
        """Learn the vocabulary from `texts`, index them under `ids` and return self.

        The new index is built without blocking queries or updates; updates made meanwhile
        are replayed onto it before it replaces the old one.
        """
        self._validate()
        with self._fit_lock:
            with self._lock:
                self._journal = []
            try:
                snapshot = self._build(ids, texts, facets)
                with self._lock:
                    for doc_id, text, doc_facets in self._journal:
                        # The new fit may declare other facets; it keeps the ones it knows.
                        known = {k: v for k, v in doc_facets.items() if k in snapshot.facet_names}
                        snapshot = self._applied(snapshot, doc_id, text, known)
                    self._snapshot = snapshot
            finally:
                with self._lock:
                    self._journal = None
        return self

    def _build(
        self,
        ids: Sequence[int],
        texts: Sequence[str],
        facets: Mapping[str, Sequence[str | None]] | None,
    ) -> _Snapshot:
        id_array = np.asarray(list(ids), dtype=np.int64).reshape(-1)
        texts = list(texts)
        if id_array.size != len(texts):
            raise ValueError(f"{id_array.size} ids but {len(texts)} texts")
        if not all(isinstance(text, str) for text in texts):
            raise TypeError("every text must be a str")
        if np.unique(id_array).size != id_array.size:
            raise ValueError("ids must be unique")
        facets = dict(facets or {})
        for name, values in facets.items():
            if len(values) != id_array.size:
                raise ValueError(f"facet {name!r} has {len(values)} values for {id_array.size} ids")
        vectorizer, matrix = self._fit_vectorizer(texts)
        terms = (
            vectorizer.get_feature_names_out() if vectorizer is not None else np.zeros(0, object)
        )
        encoded = [_facet_codes(list(values)) for values in facets.values()]
        order = np.argsort(id_array, kind="stable")
        return _Snapshot(
            vectorizer=vectorizer,
            vocabulary_token=uuid.uuid4().hex,
            terms=terms,
            base=_compact_csc(matrix),
            delta_terms=np.zeros(0, dtype=np.int32),
            delta_rows=_NO_INTS,
            delta_data=np.zeros(0, dtype=np.float32),
            ids=id_array,
            alive=np.ones(id_array.size, dtype=bool),
            id_order=id_array[order],
            row_order=order.astype(np.int64),
            facet_names=tuple(facets),
            facet_levels=tuple(levels for levels, _ in encoded),
            facet_codes=tuple(codes for _, codes in encoded),
            fitted_at=datetime.now(UTC),
            n_fitted=int(id_array.size),
            touched=frozenset(),
            n_added=0,
        )

    def _applied(
        self,
        snapshot: _Snapshot,
        doc_id: int,
        text: str | None,
        facets: Mapping[str, str | None],
    ) -> _Snapshot:
        """Return `snapshot` with one upsert (or, when `text` is None, one removal) applied."""
        if text is None:
            return snapshot.without(doc_id) or snapshot
        terms, weights = snapshot.transform(text)
        updated = snapshot.with_row(doc_id, terms, weights, facets)
        limit = self.max_delta_rows
        if limit is None:
            limit = max(_MIN_DELTA_ROWS, updated.n_base // _DELTA_SHARE)
        return updated.compacted() if updated.n_delta > limit else updated

    def upsert(
        self, doc_id: int, text: str, facets: Mapping[str, str | None] | None = None
    ) -> None:
        """Index or replace one document with the current vocabulary; visible to the next query.

        `facets` replaces the document's facet values; facets left out become missing.
        """
        if not isinstance(text, str):
            raise TypeError("text must be a str")
        doc_id, facets = int(doc_id), dict(facets or {})
        with self._lock:
            self._snapshot = self._applied(self._fitted(), doc_id, text, facets)
            if self._journal is not None:
                self._journal.append((doc_id, text, facets))

    def remove(self, doc_id: int) -> bool:
        """Stop returning `doc_id`; return whether it was indexed."""
        doc_id = int(doc_id)
        with self._lock:
            snapshot = self._fitted()
            if self._journal is not None:
                # Journalled even when absent here: the fit being built may have indexed it.
                self._journal.append((doc_id, None, {}))
            updated = snapshot.without(doc_id)
            if updated is None:
                return False
            self._snapshot = updated
            return True

    def compact(self) -> None:
        """Merge upserted rows into the base matrix and drop removed rows now."""
        with self._lock:
            self._snapshot = self._fitted().compacted()

    # queries

    def transform_query(self, text: str) -> QueryVector:
        """Transform a query text once, for reuse across `query` and `score_ids` calls."""
        if not isinstance(text, str):
            raise TypeError("text must be a str")
        snapshot = self._fitted()
        terms, weights = snapshot.transform(text)
        return QueryVector(text, snapshot.vocabulary_token, terms, weights)

    @staticmethod
    def _query_vector(
        snapshot: _Snapshot, query: str | QueryVector
    ) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(query, QueryVector):
            if query.vocabulary_token == snapshot.vocabulary_token:
                return query.terms, query.weights
            query = query.text
        if not isinstance(query, str):
            raise TypeError("query must be a str or a QueryVector")
        return snapshot.transform(query)

    def query(
        self,
        text: str | QueryVector,
        *,
        k: int = 20,
        filters: Mapping[str, Collection[str] | str] | None = None,
        exclude_ids: Collection[int] = (),
        include_ids: Collection[int] | None = None,
    ) -> list[Match]:
        """Return up to k documents most similar to `text` that pass the filters, best first."""
        if k < 0:
            raise ValueError(f"k must be >= 0, got {k}")
        snapshot = self._fitted()
        terms, weights = self._query_vector(snapshot, text)
        mask = snapshot.candidates(filters, exclude_ids, include_ids)
        return snapshot.search(terms, weights, k=k, mask=mask, n_terms=self.explain_terms)

    def similar(
        self,
        doc_id: int,
        *,
        k: int = 20,
        filters: Mapping[str, Collection[str] | str] | None = None,
        exclude_ids: Collection[int] = (),
        include_ids: Collection[int] | None = None,
    ) -> list[Match]:
        """Return up to k documents most similar to the indexed document `doc_id`, not itself."""
        if k < 0:
            raise ValueError(f"k must be >= 0, got {k}")
        snapshot = self._fitted()
        row = snapshot.row_of(int(doc_id))
        if row is None:
            raise NotFound(f"document {doc_id} is not indexed")
        terms, weights = snapshot.row_vector(row)
        mask = snapshot.candidates(filters, exclude_ids, include_ids)
        mask[row] = False
        return snapshot.search(terms, weights, k=k, mask=mask, n_terms=self.explain_terms)

    def score_ids(self, text: str | QueryVector, ids: Sequence[int]) -> np.ndarray:
        """Return the cosine of `text` with each of `ids` (0.0 for ids not indexed)."""
        snapshot = self._fitted()
        terms, weights = self._query_vector(snapshot, text)
        found, rows = snapshot.lookup(ids)
        result = np.zeros(found.size, dtype=np.float64)
        if terms.size and rows.size:
            result[found] = snapshot.scores(terms, weights)[0][rows]
        return result

    def __contains__(self, doc_id: object) -> bool:
        """Return whether `doc_id` is indexed and not removed."""
        snapshot = self._fitted()
        if isinstance(doc_id, bool) or not isinstance(doc_id, Integral):
            return False
        return snapshot.row_of(int(doc_id)) is not None

    def document_matrix(self, ids: Sequence[int] | None = None) -> sp.csr_matrix:
        """Return the TF-IDF rows of `ids` (all live documents by ascending id when None).

        Rows are L2-normalised, so ``A @ B.T`` gives cosines; unknown ids get empty rows.
        """
        snapshot = self._fitted()
        if ids is None:
            return snapshot.document_matrix(snapshot.row_order)
        found, rows = snapshot.lookup(ids)
        wanted = np.full(found.size, -1, dtype=np.int64)
        wanted[found] = rows
        return snapshot.document_matrix(wanted)

    def ids(self) -> np.ndarray:
        """Return the indexed (live) ids, sorted."""
        return self._fitted().id_order.copy()

    # statistics

    @property
    def n_documents(self) -> int:
        """Number of live documents."""
        return int(self._fitted().id_order.size)

    @property
    def vocabulary_size(self) -> int:
        """Number of terms (unigrams and bigrams) in the fitted vocabulary."""
        return int(self._fitted().terms.size)

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
        snapshot = self._fitted()
        return int(snapshot.base.nnz + snapshot.delta_data.size)

    @property
    def vectorizer_(self) -> TfidfVectorizer | None:
        """The fitted vectorizer (None when the corpus had no terms); read it, never modify it."""
        return self._fitted().vectorizer

    @property
    def nbytes(self) -> int:
        """Bytes held by the index's arrays (not the vectorizer's vocabulary dict)."""
        return self._fitted().nbytes()
