"""TF-IDF matcher: ranks indexed documents (organisation profiles) against a query text.

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
    m.upsert(doc_id, text); m.remove(doc_id) -> bool; m.compact()
    m.document_matrix(ids=None) -> scipy.sparse.csr_matrix (L2-normalised rows)
    doc_id in m; m.ids(); m.n_documents; m.vocabulary_size; m.fitted_at; m.drift
    m.nnz; m.nbytes; m.vectorizer_

How it works. `fit` learns a vocabulary and IDF weights with scikit-learn's `TfidfVectorizer`
(rows L2-normalised, so a dot product is the cosine) and stores the document-term matrix
column-wise (CSC): each column is the posting list of one term. A query touches only the columns
of its own terms: ``X[:, T] @ q[T]`` (scipy's C++ column gather and product, called directly)
gives a dense score vector, documents outside `include_ids` (or in `exclude_ids`) are zeroed,
and `np.argpartition` picks the top k, which alone are sorted (ties broken by id) and explained
by their largest per-term contributions ``q_t * d_t``. The explanation reads the k rows from a
second, row-wise (CSR) copy of the matrix, so it costs O(k x row length) rather than a pass over
the query's posting lists; that copy doubles the index arrays and also makes `similar` O(row).
The query text is analysed like the vectorizer does, with the analyzer built once per
vocabulary. With `vocabulary_sample`, a very large corpus learns its vocabulary and IDF from a
sample. `matchmaker.matching.saved_index` saves the arrays and maps them back read-only, shared
by processes.

Updates never refit. `upsert` transforms the text with the frozen vocabulary and appends the row
to a small delta block kept sorted by term (so it is searched like posting lists); the old row of
a changed document is masked. `remove` masks. When the delta outgrows `max_delta_rows` it is
merged into the base matrix and masked rows are dropped (`compact`). `drift` is the share of
documents added, changed or removed since the last fit; the caller refits past a threshold.

Thread safety. All state lives in one immutable `_Snapshot`. Writers (`upsert`, `remove`,
`compact`) hold a lock, build a new `_Snapshot` beside the current one and publish it with a
single reference assignment; readers take `self._snapshot` once and never see a half-applied
update. `fit` builds its index without that lock and swaps it in with one assignment.

The index knows documents by id only: what else is known of an organisation (its type and
country, its track record) lives in `profile_index`, which filters with `include_ids`.
`similar` of an id that is not
indexed raises `matchmaker.errors.NotFound`. Query texts never raise: empty, stop-word-only,
huge or foreign texts give a (possibly empty) ranking.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from numbers import Integral, Real
from typing import Any, Final, Self

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer

from matchmaker.errors import NotFound
from matchmaker.matching.analyzer import (
    DOMAIN_STOP_WORDS,
    WORD_PATTERN,
    QueryTransformer,
    stop_words,
)
from matchmaker.matching.topk import top_k

try:
    # The C++ kernels behind ``X[:, T] @ q``, called directly: scipy's indexing and
    # validation cost more than the arithmetic for a short query. benchmarks/scale.py, p50 of
    # the public `X[:, T] @ q` against these: short queries 0.35 vs 0.12 ms at 10k profiles,
    # 0.91 vs 0.52 ms at 100k (1.7x to 2.9x); long queries 1.22 vs 0.60 ms at 10k, 8.35 vs
    # 7.50 ms at 100k and 150 vs 134 ms at 1M (1.1x to 2x). They pay at every size, so they
    # stay; private, hence the public fallback.
    from scipy.sparse._sparsetools import csc_matvec as _csc_matvec
    from scipy.sparse._sparsetools import csr_row_index as _gather_columns
except ImportError:  # pragma: no cover - depends on the scipy build
    _csc_matvec = _gather_columns = None


# Posting entries sliced at once: bounds a huge query's scratch memory (~16 bytes each) while
# a long call text (a few hundred terms, ~1M entries at 100k documents) still takes one pass.
_GATHER_CHUNK: Final = 1 << 22
# Texts transformed at once after a sampled vocabulary fit: bounds the scratch memory.
_TRANSFORM_CHUNK: Final = 50_000
# Delta rows before a merge when max_delta_rows is None: a sixty-fourth of the base, so the
# per-upsert copy of the delta stays small while the full-matrix merge is amortised.
_MIN_DELTA_ROWS: Final = 256
_DELTA_SHARE: Final = 64

_NO_INTS = np.zeros(0, dtype=np.int64)

# (row, position of the term in the query, contribution q_t * d_t), one entry per shared term.
_Entries = tuple[np.ndarray, np.ndarray, np.ndarray]
# Some base columns copied out as a CSC block: (pointers, rows, data).
_Columns = tuple[np.ndarray, np.ndarray, np.ndarray]


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

    Rows ``0 .. n_base - 1`` live in ``base`` (CSC, scored column by column) and again in
    ``base_rows`` (CSR, to explain and compare single rows without a scan); rows ``n_base ..``
    are the delta, stored as entries sorted by term. ``alive`` masks removed and superseded
    rows; ``id_order`` (sorted live ids) and ``row_order`` map ids to rows.
    """

    vectorizer: TfidfVectorizer | None
    transformer: QueryTransformer | None
    vocabulary_token: str
    terms: np.ndarray
    base: sp.csc_matrix
    base_rows: sp.csr_matrix
    delta_terms: np.ndarray
    delta_rows: np.ndarray
    delta_data: np.ndarray
    ids: np.ndarray
    alive: np.ndarray
    id_order: np.ndarray
    row_order: np.ndarray
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

    # ids

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

    def candidates(
        self,
        exclude_ids: Collection[int],
        include_ids: Collection[int] | None,
    ) -> np.ndarray | None:
        """Return the mask of live rows allowed (in `include_ids` when given, not in
        `exclude_ids`), or None when every row is."""
        restricted = include_ids is not None or len(exclude_ids) > 0
        if not restricted and self.id_order.size == self.n_rows:
            return None
        mask = self.alive.copy()
        if include_ids is not None:
            allowed = np.zeros_like(mask)
            allowed[self.lookup(include_ids)[1]] = True
            mask &= allowed
        if len(exclude_ids):
            mask[self.lookup(exclude_ids)[1]] = False
        return mask

    # vectors

    def transform(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Return the text's term indices (sorted) and L2-normalised TF-IDF weights."""
        if self.transformer is None:
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
        return self.transformer(text)

    def row_vector(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """Return the stored terms (sorted) and weights of one row."""
        if row >= self.n_base:
            picked = np.flatnonzero(self.delta_rows == row)
            return self.delta_terms[picked], self.delta_data[picked]
        start, end = self.base_rows.indptr[row : row + 2]
        stored = slice(int(start), int(end))
        return self.base_rows.indices[stored].astype(np.int32), self.base_rows.data[stored]

    # scoring

    def _base_postings(self, terms: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        """Return the query terms as base column indices, their posting list ends, and total.

        ``ends[i] - ends[i - 1]`` (``ends[i]`` for i = 0) is the length of term i's column;
        computed once and shared by the chunking and the gather.
        """
        indptr = self.base.indptr
        columns = terms.astype(indptr.dtype, copy=False)
        lengths = indptr[columns + 1] - indptr[columns]
        ends = lengths.cumsum(dtype=np.int64)
        return columns, ends, int(ends[-1])

    def _columns(self, columns: np.ndarray, ends: np.ndarray) -> _Columns:
        """Copy the base columns (posting lists) `columns`, `ends` as from `_base_postings`."""
        base = self.base
        pointers = np.empty(columns.size + 1, dtype=base.indptr.dtype)
        pointers[0] = 0
        pointers[1:] = ends
        if _gather_columns is None:  # pragma: no cover - depends on the scipy build
            block = base[:, columns]
            return block.indptr, block.indices, block.data
        rows = np.empty(int(pointers[-1]), dtype=base.indices.dtype)
        data = np.empty(rows.size, dtype=base.data.dtype)
        _gather_columns(columns.size, columns, base.indptr, base.indices, base.data, rows, data)
        return pointers, rows, data

    def _accumulate(self, columns: _Columns, weights: np.ndarray, out: np.ndarray) -> None:
        """Add ``columns @ weights`` (float64) to `out`, a score per base row."""
        pointers, rows, data = columns
        if _csc_matvec is None:  # pragma: no cover - depends on the scipy build
            shape = (self.n_base, pointers.size - 1)
            out += sp.csc_matrix((data, rows, pointers), shape=shape) @ weights
            return
        _csc_matvec(self.n_base, pointers.size - 1, pointers, rows, data, weights, out)

    def _delta_entries(self, terms: np.ndarray, weights: np.ndarray) -> _Entries:
        if self.delta_terms.size == 0:
            return _NO_INTS, _NO_INTS, np.zeros(0, dtype=np.float64)
        starts = np.searchsorted(self.delta_terms, terms, side="left")
        counts = np.searchsorted(self.delta_terms, terms, side="right") - starts
        return _gather(starts, counts, self.delta_rows, self.delta_data, weights)

    def scores(self, terms: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Return the cosine of every row with a query vector."""
        total = np.zeros(self.ids.size, dtype=np.float64)
        if terms.size and self.base.indices.size:
            # float64 like the delta's sums, so compaction cannot reorder near-ties.
            weights64 = weights.astype(np.float64)
            base_scores = total[: self.base.shape[0]]
            columns, ends, n_entries = self._base_postings(terms)
            if n_entries <= _GATHER_CHUNK:
                self._accumulate(self._columns(columns, ends), weights64, base_scores)
            else:
                # Slices of about `_GATHER_CHUNK` posting entries each: bounded scratch memory.
                firsts = np.zeros_like(ends)
                firsts[1:] = ends[:-1]
                chunk = firsts // _GATHER_CHUNK
                bounds = [0, *(np.flatnonzero(np.diff(chunk)) + 1).tolist(), int(terms.size)]
                for a, b in itertools.pairwise(bounds):
                    part = ends[a:b] - (ends[a - 1] if a else 0)
                    block = self._columns(columns[a:b], part)
                    self._accumulate(block, weights64[a:b], base_scores)
        if self.delta_terms.size:
            rows, _, contributions = self._delta_entries(terms, weights)
            total += np.bincount(rows, weights=contributions, minlength=self.n_rows)
        return total

    def _entries_of(
        self, terms: np.ndarray, weights: np.ndarray, top: np.ndarray
    ) -> tuple[_Entries, bool]:
        """Return the (rank in `top`, query position, contribution) entries of the `top` rows.

        Copies the top rows' own stored vectors (CSR, in `top`'s order) and intersects them
        with the query's sorted terms, so the cost depends on k, not on the posting lists.
        The flag says whether the entries already come ordered by rank, then position.
        """
        found = []
        ordered = True
        base_ranks = None
        if self.delta_terms.size or self.ids.size > self.base.shape[0]:
            base_ranks = (top < self.base.shape[0]).nonzero()[0]
        base_top = top if base_ranks is None else top[base_ranks]
        if base_top.size and terms.size:
            matrix = self.base_rows
            indptr = matrix.indptr
            pointers = np.empty(base_top.size + 1, dtype=indptr.dtype)
            pointers[0] = 0
            picked = base_top.astype(indptr.dtype, copy=False)
            np.cumsum(indptr[picked + 1] - indptr[picked], out=pointers[1:])
            stored = np.empty(int(pointers[-1]), dtype=matrix.indices.dtype)
            data = np.empty(stored.size, dtype=matrix.data.dtype)
            if _gather_columns is None:  # pragma: no cover - depends on the scipy build
                block = matrix[picked]
                stored, data = block.indices, block.data
            else:
                _gather_columns(
                    picked.size, picked, indptr, matrix.indices, matrix.data, stored, data
                )
            # Query vectors come sorted by term; a hand-made one may not be.
            ordered = terms.size < 2 or bool((terms[1:] > terms[:-1]).all())
            # Each copied row is sorted by term, so then its entries are sorted by position.
            sorter = None if ordered else np.argsort(terms, kind="stable")
            positions = terms.searchsorted(stored, sorter=sorter)
            np.minimum(positions, terms.size - 1, out=positions)
            if sorter is not None:
                positions = sorter[positions]
            hit = (terms[positions] == stored).nonzero()[0]
            positions = positions[hit]
            contributions = data[hit].astype(np.float64) * weights[positions]
            # The entry's row among the copied ones: rows were copied best first.
            ranks = pointers.searchsorted(hit, side="right") - 1
            if base_ranks is not None:
                ranks = base_ranks[ranks]
            found.append((ranks, positions, contributions))
        if self.delta_terms.size:
            rows, positions, contributions = self._delta_entries(terms, weights)
            in_top = np.isin(rows, top)
            by_row = np.argsort(top)
            ranks = by_row[np.searchsorted(top, rows[in_top], sorter=by_row)]
            found.append((ranks, positions[in_top], contributions[in_top]))
            ordered = False
        if len(found) == 1:
            return found[0], ordered
        if not found:
            return (_NO_INTS, _NO_INTS, np.zeros(0, dtype=np.float64)), True
        return _concatenate(found), False

    def search(
        self,
        terms: np.ndarray,
        weights: np.ndarray,
        *,
        k: int,
        mask: np.ndarray | None,
        n_terms: int,
    ) -> list[Match]:
        """Rank the rows in `mask` (all live rows when None) and explain the top k."""
        if k == 0 or terms.size == 0:
            return []
        scores = self.scores(terms, weights)
        top = top_k(scores, self.ids, k, mask)
        if top.size == 0:
            return []
        return self.explain(terms, weights, top, n_terms=n_terms, scores=scores[top])

    def explain(
        self,
        terms: np.ndarray,
        weights: np.ndarray,
        top: np.ndarray,
        *,
        n_terms: int,
        scores: np.ndarray | None = None,
    ) -> list[Match]:
        """Return a `Match` for each of the rows `top`, in order, with its best n_terms terms.

        `scores` are the rows' cosines when the caller has them; otherwise they are summed
        from the shared terms' contributions (equal up to rounding).
        """
        n_top = top.size
        if n_top == 0:
            return []
        ids = self.ids[top].tolist()
        if n_terms == 0 and scores is not None:
            return list(map(Match, ids, scores.tolist(), itertools.repeat((), n_top)))
        (ranks, positions, contributions), ordered = self._entries_of(terms, weights, top)
        if scores is None:
            scores = np.bincount(ranks, weights=contributions, minlength=n_top)
        # Per row, largest contribution first, ties by query position (so by term index);
        # lexsort is stable, so entries already ordered by rank and position need two keys.
        keys = (-contributions, ranks) if ordered else (positions, -contributions, ranks)
        order = np.lexsort(keys)
        ranks = ranks[order]
        counts = np.bincount(ranks, minlength=n_top)
        firsts = counts.cumsum() - counts
        # Only the first n_terms entries of each row become objects.
        keep = (np.arange(order.size) - firsts[ranks] < n_terms).nonzero()[0]
        shown = order[keep]
        bounds = [0, *np.minimum(counts, n_terms).cumsum().tolist()]
        names = self.terms[terms[positions[shown]]].tolist()
        matched = list(map(MatchedTerm, names, contributions[shown].tolist()))
        grouped = map(tuple, map(matched.__getitem__, map(slice, bounds, bounds[1:])))
        return list(map(Match, ids, scores.tolist(), grouped))

    # copy-on-write updates

    def with_row(self, doc_id: int, terms: np.ndarray, weights: np.ndarray) -> _Snapshot:
        """Return a copy with `doc_id` (re)indexed as a new delta row."""
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
        return replace(self, **_base_only(merged, self.ids[live]))

    def document_matrix(self, rows: np.ndarray) -> sp.csr_matrix:
        """Return the stored vectors of `rows` (-1 gives an empty row) as CSR, O(nnz)."""
        n_terms = self.terms.size
        delta = sp.csr_matrix(
            (self.delta_data, (self.delta_rows - self.n_base, self.delta_terms)),
            shape=(self.n_delta + 1, n_terms),
            dtype=np.float32,
        )
        stacked = sp.vstack([self.base_rows, delta], format="csr")
        return stacked[np.where(rows < 0, self.n_rows, rows)]

    def nbytes(self) -> int:
        arrays = [
            self.terms,
            self.base.data,
            self.base.indices,
            self.base.indptr,
            self.base_rows.data,
            self.base_rows.indices,
            self.base_rows.indptr,
            self.delta_terms,
            self.delta_rows,
            self.delta_data,
            self.ids,
            self.alive,
            self.id_order,
            self.row_order,
        ]
        return sum(int(array.nbytes) for array in arrays)


def _gather(
    starts: np.ndarray, counts: np.ndarray, rows: np.ndarray, data: np.ndarray, weights: np.ndarray
) -> _Entries:
    """Concatenate the posting ranges ``[start, start + count)`` of consecutive query terms.

    Returns each entry's row, the position of its term in the query and its contribution
    ``q_t * d_t``, without a Python loop.
    """
    offsets, positions = _ranges(starts, counts)
    if offsets.size == 0:
        return _NO_INTS, _NO_INTS, np.zeros(0, dtype=np.float64)
    contributions = data[offsets].astype(np.float64) * weights[positions]
    return rows[offsets].astype(np.int64), positions, contributions


def _ranges(starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the offsets of the ranges ``[start, start + count)`` end to end, and whose each is."""
    total = int(counts.sum())
    ends = np.cumsum(counts)
    offsets = np.repeat(starts - (ends - counts), counts) + np.arange(total, dtype=np.int64)
    return offsets, np.repeat(np.arange(counts.size, dtype=np.int64), counts)


def _concatenate(parts: Sequence[_Entries]) -> _Entries:
    rows, positions, contributions = (np.concatenate(column) for column in zip(*parts, strict=True))
    return rows, positions, contributions


def _shared_compressed(
    kind: type[sp.csr_matrix] | type[sp.csc_matrix],
    arrays: Mapping[str, np.ndarray],
    prefix: str,
    shape: tuple[int, int],
) -> Any:
    """Wrap stored CSR/CSC arrays in a matrix without copying or scanning them.

    scipy's constructor would convert (and so copy) memory-mapped arrays and may read every
    index; these arrays come canonical from `_compact_csr`/`_compact_csc`.
    """
    matrix = kind(shape, dtype=arrays[f"{prefix}_data"].dtype)
    matrix.data = arrays[f"{prefix}_data"]
    matrix.indices = arrays[f"{prefix}_indices"]
    matrix.indptr = arrays[f"{prefix}_indptr"]
    matrix.has_sorted_indices = True
    matrix.has_canonical_format = True
    return matrix


def _base_only(matrix: sp.spmatrix, ids: np.ndarray) -> dict[str, Any]:
    """The fields of a snapshot whose rows are all in the base `matrix` (ids in row order): no
    delta, every row alive."""
    order = np.argsort(ids, kind="stable")
    return {
        "base": _compact_csc(matrix),
        "base_rows": _compact_csr(matrix),
        "delta_terms": np.zeros(0, dtype=np.int32),
        "delta_rows": _NO_INTS,
        "delta_data": np.zeros(0, dtype=np.float32),
        "ids": ids,
        "alive": np.ones(ids.size, dtype=bool),
        "id_order": ids[order],
        "row_order": order.astype(np.int64),
    }


def _compact(matrix: sp.spmatrix, kind: type[Any]) -> Any:
    """Return `matrix` as canonical `kind` (CSR or CSC) with float32 data and the narrowest
    safe index type."""
    compressed = kind(matrix, dtype=np.float32)
    compressed.sum_duplicates()
    index_dtype = np.int32 if compressed.nnz < np.iinfo(np.int32).max else np.int64
    compressed.indices = compressed.indices.astype(index_dtype, copy=False)
    compressed.indptr = compressed.indptr.astype(index_dtype, copy=False)
    return compressed


def _compact_csr(matrix: sp.spmatrix) -> sp.csr_matrix:
    """`_compact` to CSR (rows: explanations and `similar`)."""
    csr: sp.csr_matrix = _compact(matrix, sp.csr_matrix)
    return csr


def _compact_csc(matrix: sp.spmatrix) -> sp.csc_matrix:
    """`_compact` to CSC (columns: posting lists for scoring)."""
    csc: sp.csc_matrix = _compact(matrix, sp.csc_matrix)
    return csc


class TfidfMatcher(BaseEstimator):
    """Rank documents by TF-IDF cosine to a query, with live updates.

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
    vocabulary_sample : int or None
        Learn the vocabulary and IDF weights from a seeded random sample of this many texts
        (then transform every text with them, in chunks) when the corpus is larger; None
        learns from every text. Bounds fit time and memory on very large corpora (1M texts)
        at the cost of terms that occur only outside the sample.
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
        """Return the compacted index's arrays and its JSON-safe rest, for `index_store`."""
        snapshot = self._fitted()
        if snapshot.n_delta or snapshot.id_order.size != snapshot.n_rows:
            snapshot = snapshot.compacted()
        arrays = {
            "base_data": snapshot.base.data,
            "base_indices": snapshot.base.indices,
            "base_indptr": snapshot.base.indptr,
            "rows_data": snapshot.base_rows.data,
            "rows_indices": snapshot.base_rows.indices,
            "rows_indptr": snapshot.base_rows.indptr,
            "ids": snapshot.ids,
            "id_order": snapshot.id_order,
            "row_order": snapshot.row_order,
            "touched": np.array(sorted(snapshot.touched), dtype=np.int64),
        }
        vectorizer = snapshot.vectorizer
        vectorizer_params = None
        if vectorizer is not None:
            arrays["idf"] = np.asarray(vectorizer.idf_)
            vectorizer_params = {
                name: list(value) if isinstance(value, tuple) else value
                for name, value in vectorizer.get_params().items()
                if name != "dtype"
            }
        params = self.get_params()
        meta = {
            "params": {
                **params,
                "ngram_range": list(params["ngram_range"]),
                "extra_stop_words": sorted(params["extra_stop_words"]),
            },
            "vectorizer": vectorizer_params,
            "terms": snapshot.terms.tolist(),
            "shape": [snapshot.n_base, int(snapshot.terms.size)],
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
        vectorizer = None
        if meta["vectorizer"] is not None:
            vectorizer_params = dict(meta["vectorizer"])
            vectorizer_params["ngram_range"] = tuple(vectorizer_params["ngram_range"])
            vectorizer = TfidfVectorizer(**vectorizer_params, dtype=np.float32)
            vectorizer.vocabulary_ = {term: j for j, term in enumerate(terms.tolist())}
            vectorizer.idf_ = np.array(arrays["idf"])
            vectorizer.stop_words_ = None
        n_base, n_terms = meta["shape"]
        matcher._snapshot = _Snapshot(
            vectorizer=vectorizer,
            transformer=QueryTransformer(vectorizer) if vectorizer is not None else None,
            vocabulary_token=uuid.uuid4().hex,
            terms=terms,
            base=_shared_compressed(sp.csc_matrix, arrays, "base", (n_base, n_terms)),
            base_rows=_shared_compressed(sp.csr_matrix, arrays, "rows", (n_base, n_terms)),
            delta_terms=np.zeros(0, dtype=np.int32),
            delta_rows=_NO_INTS,
            delta_data=np.zeros(0, dtype=np.float32),
            ids=arrays["ids"],
            alive=np.ones(n_base, dtype=bool),
            id_order=arrays["id_order"],
            row_order=arrays["row_order"],
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

    def _stop_words(self) -> list[str]:
        probe = self._vectorizer(min_df=1, max_df=1.0, stop_words=None)
        return stop_words(probe, self.extra_stop_words)

    def _vectorizer(
        self, *, min_df: float, max_df: float, stop_words: list[str] | None
    ) -> TfidfVectorizer:
        return TfidfVectorizer(
            strip_accents="unicode",
            lowercase=True,
            token_pattern=WORD_PATTERN,
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
        words = self._stop_words()
        learn_from = texts
        sample = self.vocabulary_sample
        if sample is not None and len(texts) > sample:
            picked = np.random.default_rng(0).choice(len(texts), size=sample, replace=False)
            learn_from = [texts[i] for i in np.sort(picked).tolist()]

        def fit_transform(vectorizer: TfidfVectorizer) -> sp.spmatrix:
            if learn_from is texts:
                return vectorizer.fit_transform(texts)
            vectorizer.fit(learn_from)
            chunks = range(0, len(texts), _TRANSFORM_CHUNK)
            parts = [vectorizer.transform(texts[i : i + _TRANSFORM_CHUNK]) for i in chunks]
            return sp.vstack(parts, format="csr")

        min_df, max_df = self._df_bounds(len(learn_from))
        try:
            vectorizer = self._vectorizer(min_df=min_df, max_df=max_df, stop_words=words)
            matrix = fit_transform(vectorizer)
        except ValueError:
            # sklearn raises when no term survives: the bounds pruned everything, or the texts
            # hold no token at all (empty, or stop words only). Relax the bounds once.
            vectorizer = self._vectorizer(min_df=1, max_df=1.0, stop_words=words)
            try:
                matrix = fit_transform(vectorizer)
            except ValueError:
                analyse = vectorizer.build_analyzer()
                if any(analyse(text) for text in learn_from):
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
        vectorizer, matrix = self._fit_vectorizer(texts)
        terms = (
            vectorizer.get_feature_names_out() if vectorizer is not None else np.zeros(0, object)
        )
        return _Snapshot(
            vectorizer=vectorizer,
            transformer=QueryTransformer(vectorizer) if vectorizer is not None else None,
            vocabulary_token=uuid.uuid4().hex,
            terms=terms,
            **_base_only(matrix, id_array),
            fitted_at=datetime.now(UTC),
            n_fitted=int(id_array.size),
            touched=frozenset(),
            n_added=0,
        )

    def _applied(self, snapshot: _Snapshot, doc_id: int, text: str) -> _Snapshot:
        """Return `snapshot` with one document (re)indexed, merged into the base past the
        delta's limit."""
        terms, weights = snapshot.transform(text)
        updated = snapshot.with_row(doc_id, terms, weights)
        limit = self.max_delta_rows
        if limit is None:
            limit = max(_MIN_DELTA_ROWS, updated.n_base // _DELTA_SHARE)
        return updated.compacted() if updated.n_delta > limit else updated

    def upsert(self, doc_id: int, text: str) -> None:
        """Index or replace one document with the current vocabulary; visible to the next query."""
        if not isinstance(text, str):
            raise TypeError("text must be a str")
        doc_id = int(doc_id)
        with self._lock:
            self._snapshot = self._applied(self._fitted(), doc_id, text)

    def remove(self, doc_id: int) -> bool:
        """Stop returning `doc_id`; return whether it was indexed."""
        doc_id = int(doc_id)
        with self._lock:
            updated = self._fitted().without(doc_id)
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
        exclude_ids: Collection[int] = (),
        include_ids: Collection[int] | None = None,
    ) -> list[Match]:
        """Return up to k documents most similar to `text` among those allowed, best first."""
        if k < 0:
            raise ValueError(f"k must be >= 0, got {k}")
        snapshot = self._fitted()
        terms, weights = self._query_vector(snapshot, text)
        mask = snapshot.candidates(exclude_ids, include_ids)
        return snapshot.search(terms, weights, k=k, mask=mask, n_terms=self.explain_terms)

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
        row = snapshot.row_of(int(doc_id))
        if row is None:
            raise NotFound(f"document {doc_id} is not indexed")
        terms, weights = snapshot.row_vector(row)
        mask = snapshot.candidates(exclude_ids, include_ids)
        if mask is None:
            mask = snapshot.alive.copy()
        mask[row] = False
        return snapshot.search(terms, weights, k=k, mask=mask, n_terms=self.explain_terms)

    def explain(self, text: str | QueryVector, ids: Sequence[int]) -> list[Match]:
        """Return a `Match` for each indexed id of `ids`, in their order, without ranking.

        For results ranked elsewhere (on `score_ids` and other factors): the cost depends on
        the number of ids, not on the index. Ids not indexed are left out.
        """
        snapshot = self._fitted()
        terms, weights = self._query_vector(snapshot, text)
        _, rows = snapshot.lookup(ids)
        return snapshot.explain(terms, weights, rows, n_terms=self.explain_terms)

    def score_ids(self, text: str | QueryVector, ids: Sequence[int]) -> np.ndarray:
        """Return the cosine of `text` with each of `ids` (0.0 for ids not indexed)."""
        snapshot = self._fitted()
        terms, weights = self._query_vector(snapshot, text)
        found, rows = snapshot.lookup(ids)
        result = np.zeros(found.size, dtype=np.float64)
        if terms.size and rows.size:
            result[found] = snapshot.scores(terms, weights)[rows]
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
