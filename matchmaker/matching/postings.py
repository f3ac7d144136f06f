"""The posting lists of the text index: who holds which term with what weight, scored and
explained for a query vector; immutable, every update returns a new `Postings`.

Rows are documents and columns terms (`matchmaker.matching.analyzer.Vocabulary` names them);
each stored row is an L2-normalised TF-IDF vector, so a dot product is the cosine. Rows
``0 .. n_base - 1`` live in ``base``, stored column-wise (CSC): each column is the posting list
of one term, and a query touches only the columns of its own terms, ``X[:, T] @ q[T]``
(scipy's C++ column gather and product, called directly) giving a dense score vector of which
`top_k` picks the best. The same rows are kept again row-wise (CSR, ``base_rows``) so that the
k results are explained from their own rows, O(k x row length) rather than a pass over the
query's posting lists; that copy doubles the arrays and also makes `similar` O(row).

Rows ``n_base ..`` are the delta: documents upserted since the last compaction, kept as entries
sorted by term (searched like posting lists). ``alive`` masks removed and superseded rows;
``id_order`` (sorted live ids) and ``row_order`` map ids to rows. `compacted` merges the delta
into the base, drops masked rows and can re-weigh every column (the text index refreshes its
IDF weights there). Columns added to the vocabulary after the last compaction have postings in
the delta only.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, Self

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

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
class Postings:
    """Everything a query reads of the documents, immutable once built (see the module)."""

    base: sp.csc_matrix
    base_rows: sp.csr_matrix
    delta_terms: np.ndarray
    delta_rows: np.ndarray
    delta_data: np.ndarray
    ids: np.ndarray
    alive: np.ndarray
    id_order: np.ndarray
    row_order: np.ndarray

    @classmethod
    def of(cls, matrix: sp.spmatrix, ids: np.ndarray) -> Self:
        """Postings whose rows are all in the base `matrix` (ids in row order): no delta, every
        row alive."""
        order = np.argsort(ids, kind="stable")
        return cls(
            base=_compact_csc(matrix),
            base_rows=_compact_csr(matrix),
            delta_terms=np.zeros(0, dtype=np.int32),
            delta_rows=_NO_INTS,
            delta_data=np.zeros(0, dtype=np.float32),
            ids=ids,
            alive=np.ones(ids.size, dtype=bool),
            id_order=ids[order],
            row_order=order.astype(np.int64),
        )

    @classmethod
    def mapped(cls, arrays: Mapping[str, np.ndarray], n_columns: int) -> Self:
        """Postings over saved arrays (`arrays()`), used as they are: memory maps stay shared."""
        n_base = int(arrays["ids"].size)
        return cls(
            base=_shared_compressed(sp.csc_matrix, arrays, "base", (n_base, n_columns)),
            base_rows=_shared_compressed(sp.csr_matrix, arrays, "rows", (n_base, n_columns)),
            delta_terms=np.zeros(0, dtype=np.int32),
            delta_rows=_NO_INTS,
            delta_data=np.zeros(0, dtype=np.float32),
            ids=arrays["ids"],
            alive=np.ones(n_base, dtype=bool),
            id_order=arrays["id_order"],
            row_order=arrays["row_order"],
        )

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays to save, of postings with no delta and no masked row (`compacted`)."""
        if self.n_delta or self.id_order.size != self.n_rows:
            raise ValueError("only compacted postings are saved")
        return {
            "base_data": self.base.data,
            "base_indices": self.base.indices,
            "base_indptr": self.base.indptr,
            "rows_data": self.base_rows.data,
            "rows_indices": self.base_rows.indices,
            "rows_indptr": self.base_rows.indptr,
            "ids": self.ids,
            "id_order": self.id_order,
            "row_order": self.row_order,
        }

    @property
    def n_rows(self) -> int:
        return int(self.ids.size)

    @property
    def n_base(self) -> int:
        return int(self.base.shape[0])

    @property
    def n_delta(self) -> int:
        return self.n_rows - self.n_base

    @property
    def n_live(self) -> int:
        """Number of live (indexed, not removed) documents."""
        return int(self.id_order.size)

    @property
    def nnz(self) -> int:
        """Stored (document, term) weights, masked rows included until compaction."""
        return int(self.base.nnz + self.delta_data.size)

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
        # Terms newer than the base (added since its last compaction) are in the delta only.
        in_base = terms < self.base.shape[1]
        base_terms = terms if in_base.all() else terms[in_base]
        if base_terms.size and self.base.indices.size:
            # float64 like the delta's sums, so compaction cannot reorder near-ties.
            weights64 = (weights if base_terms is terms else weights[in_base]).astype(np.float64)
            base_scores = total[: self.base.shape[0]]
            columns, ends, n_entries = self._base_postings(base_terms)
            if n_entries <= _GATHER_CHUNK:
                self._accumulate(self._columns(columns, ends), weights64, base_scores)
            else:
                # Slices of about `_GATHER_CHUNK` posting entries each: bounded scratch memory.
                firsts = np.zeros_like(ends)
                firsts[1:] = ends[:-1]
                chunk = firsts // _GATHER_CHUNK
                bounds = [0, *(np.flatnonzero(np.diff(chunk)) + 1).tolist(), int(columns.size)]
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
        names: Callable[[np.ndarray], list[str]],
    ) -> list[Match]:
        """Rank the rows in `mask` (all live rows when None) and explain the top k, their
        terms named by `names` (columns to terms)."""
        if k == 0 or terms.size == 0:
            return []
        scores = self.scores(terms, weights)
        top = top_k(scores, self.ids, k, mask)
        if top.size == 0:
            return []
        return self.explain(terms, weights, top, n_terms=n_terms, names=names, scores=scores[top])

    def explain(
        self,
        terms: np.ndarray,
        weights: np.ndarray,
        top: np.ndarray,
        *,
        n_terms: int,
        names: Callable[[np.ndarray], list[str]],
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
        named = names(terms[positions[shown]])
        matched = list(map(MatchedTerm, named, contributions[shown].tolist()))
        grouped = map(tuple, map(matched.__getitem__, map(slice, bounds, bounds[1:])))
        return list(map(Match, ids, scores.tolist(), grouped))

    # copy-on-write updates

    def with_row(self, doc_id: int, terms: np.ndarray, weights: np.ndarray) -> Postings:
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
        return replace(
            self,
            delta_terms=np.insert(self.delta_terms, at_terms, terms),
            delta_rows=np.insert(self.delta_rows, at_terms, row),
            delta_data=np.insert(self.delta_data, at_terms, weights),
            ids=np.append(self.ids, np.int64(doc_id)),
            alive=alive,
            id_order=id_order,
            row_order=row_order,
        )

    def without(self, doc_id: int) -> Postings | None:
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
        )

    def document_frequencies(self, n_columns: int) -> np.ndarray:
        """Each column's number of live rows holding it (`n_columns` wide), exactly:
        O(columns + delta + masked base rows)."""
        df = np.zeros(n_columns, dtype=np.int64)
        df[: self.base.shape[1]] = np.diff(self.base.indptr)
        dead = np.flatnonzero(~self.alive[: self.n_base])
        if dead.size:
            indptr = self.base_rows.indptr
            offsets, _ = _ranges(indptr[dead], indptr[dead + 1] - indptr[dead])
            df -= np.bincount(self.base_rows.indices[offsets], minlength=n_columns)
        live = self.alive[self.delta_rows]
        df += np.bincount(self.delta_terms[live], minlength=n_columns)
        return df

    def compacted(self, n_columns: int, factors: np.ndarray | None = None) -> Postings:
        """Return a copy with the delta merged into the base and masked rows dropped, `n_columns`
        wide (the vocabulary's size, at least the base's).

        With `factors` (one per column), every stored weight of column j is multiplied by
        ``factors[j]`` and every row is normalised again: how new IDF weights are applied.

        Works on the CSC arrays directly: live rows keep their order and delta rows, the newest,
        go last, so each delta entry lands at the end of its term's column.
        """
        base, alive = self.base, self.alive
        index_dtype = base.indices.dtype
        new_row = (np.cumsum(alive) - 1).astype(index_dtype)
        keep = alive[base.indices]
        kept_before = np.zeros(keep.size + 1, dtype=np.int64)
        np.cumsum(keep, out=kept_before[1:])
        # Columns added since the base was built are empty in it.
        indptr = np.pad(base.indptr, (0, n_columns - base.shape[1]), mode="edge")
        kept_indptr = kept_before[indptr]
        del kept_before  # as large as the index: the temporaries go as soon as they are used
        in_delta = alive[self.delta_rows]
        delta_terms = self.delta_terms[in_delta]
        at = kept_indptr[delta_terms + 1]
        indices = np.insert(new_row[base.indices[keep]], at, new_row[self.delta_rows[in_delta]])
        data = np.insert(base.data[keep], at, self.delta_data[in_delta])
        del keep, at
        delta_before = np.zeros(n_columns + 1, dtype=np.int64)
        np.cumsum(np.bincount(delta_terms, minlength=n_columns), out=delta_before[1:])
        live = np.flatnonzero(alive)
        merged = sp.csc_matrix(
            (data, indices, kept_indptr + delta_before), shape=(live.size, n_columns)
        )
        del data, indices
        if factors is None:
            return Postings.of(merged, self.ids[live])
        rows = merged.tocsr()
        del merged
        rows.data *= factors.astype(np.float32)[rows.indices]
        return Postings.of(l2_normalised(rows), self.ids[live])

    def document_matrix(self, rows: np.ndarray, n_columns: int) -> sp.csr_matrix:
        """Return the stored vectors of `rows` (-1 gives an empty row) as CSR, `n_columns`
        wide, O(nnz)."""
        delta = sp.csr_matrix(
            (self.delta_data, (self.delta_rows - self.n_base, self.delta_terms)),
            shape=(self.n_delta + 1, n_columns),
            dtype=np.float32,
        )
        base = self.base_rows
        if base.shape[1] != n_columns:
            base = sp.csr_matrix((base.data, base.indices, base.indptr), (self.n_base, n_columns))
        stacked = sp.vstack([base, delta], format="csr")
        picked: sp.csr_matrix = stacked[np.where(rows < 0, self.n_rows, rows)]
        return picked

    def nbytes(self) -> int:
        """Bytes held by the arrays."""
        arrays = [
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


def l2_normalised(rows: sp.csr_matrix) -> sp.csr_matrix:
    """`rows` with each row scaled to unit length, in place (empty rows stay empty)."""
    if rows.nnz:
        normalize(rows, norm="l2", copy=False)
    return rows


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
