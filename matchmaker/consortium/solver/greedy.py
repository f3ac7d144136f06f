"""The greedy fallback: a construction that keeps the programme rules' core, then a local search
(add, drop or swap one member)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from matchmaker.consortium.solver.model import Mask
from matchmaker.consortium.solver.pool import Pool, independent_core, type_counts

# Objective changes smaller than this are rounding, not improvements (scores are O(1) cosines).
_IMPROVEMENT = 1e-9
# Bounds the local search; each step strictly improves, so this only guards against pathologies.
_MAX_LOCAL_SEARCH_STEPS = 10_000


@dataclass
class _State:
    """A selection with the counts the greedy moves need, kept in step incrementally."""

    selection: Mask
    type_counts: NDArray[np.int64]
    country_counts: NDArray[np.int64]
    neighbour_penalty: NDArray[np.float64]  # penalty each candidate would pay with the selection

    @classmethod
    def of(cls, pool: Pool, selection: Mask) -> _State:
        n_countries = int(pool.countries.max(initial=-1)) + 1
        return cls(
            selection=selection.copy(),
            type_counts=type_counts(pool, selection),
            country_counts=np.bincount(pool.countries[selection], minlength=n_countries),
            neighbour_penalty=pool.penalty @ selection.astype(np.float64),
        )

    def toggle(self, pool: Pool, i: int, *, on: bool) -> None:
        step = 1 if on else -1
        self.selection[i] = on
        self.type_counts[pool.types[i]] += step
        self.country_counts[pool.countries[i]] += step
        start, end = pool.penalty.indptr[i], pool.penalty.indptr[i + 1]
        self.neighbour_penalty[pool.penalty.indices[start:end]] += (
            step * pool.penalty.data[start:end]
        )

    def add_gains(self, pool: Pool) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Places filled and objective gained by adding each candidate (meaningless if in)."""
        covered = int((self.country_counts > 0).sum())
        type_gain = self.type_counts[pool.types] < pool.need[pool.types]
        country_gain = (self.country_counts[pool.countries] == 0) & (covered < pool.min_countries)
        return (
            type_gain.astype(np.int64) + country_gain,
            pool.scores - self.neighbour_penalty - pool.member_cost,
        )

    def drop_loss(self, pool: Pool, i: int) -> tuple[int, float]:
        """Places lost and objective lost by removing member ``i``."""
        covered = int((self.country_counts > 0).sum())
        t, c = pool.types[i], pool.countries[i]
        places = int(self.type_counts[t] <= pool.need[t]) + int(
            self.country_counts[c] == 1 and covered <= pool.min_countries
        )
        return places, float(pool.scores[i] - self.neighbour_penalty[i] - pool.member_cost)

    def blocked(self, cuts: NDArray[np.bool_]) -> Mask:
        """Candidates whose addition would rebuild a whole earlier proposal."""
        if not cuts.size:
            return np.zeros(self.selection.size, dtype=bool)
        missing = (cuts & ~self.selection).sum(axis=1)
        return cuts[missing == 1].any(axis=0)


def solve_greedy(pool: Pool, *, cuts: list[Mask]) -> Mask:
    """Greedy construction (most places filled, then most objective), then add/drop/swap search."""
    n = pool.size
    cut_matrix = np.vstack(cuts) if cuts else np.zeros((0, n), dtype=bool)
    locked = _rule_core(pool)
    state = _State.of(pool, locked)
    while state.selection.sum() < pool.max_partners:
        places, gain = state.add_gains(pool)
        open_ = ~state.selection & ~state.blocked(cut_matrix) & ((places > 0) | (gain > 0))
        options = np.flatnonzero(open_)
        if not options.size:
            break
        best = options[np.lexsort((-gain[options], -places[options]))[0]]
        state.toggle(pool, int(best), on=True)

    for _ in range(_MAX_LOCAL_SEARCH_STEPS):
        move = _best_move(pool, state, cut_matrix, locked)
        if move is None:
            break
        out, into = move
        if out is not None:
            state.toggle(pool, out, on=False)
        if into is not None:
            state.toggle(pool, into, on=True)
    return state.selection


def _rule_core(pool: Pool) -> Mask:
    """The included candidates plus, with rules, the best ones that meet them: in-kind
    contributors first if needed, then independent entities in new eligible countries (one in a
    Member State when none is yet), each the best-scoring that fills a place, within the limit."""
    selection = pool.included.copy()
    arrays = pool.rule
    if arrays is None:
        return selection
    rules = arrays.rules
    room = pool.max_partners - int(selection.sum())
    order = np.lexsort((pool.ids, -pool.scores))
    for i in order.tolist():
        if room <= 0 or int((selection & arrays.in_kind).sum()) >= rules.min_in_kind:
            break
        if arrays.in_kind[i] and not selection[i]:
            selection[i] = True
            room -= 1
    while room > 0 and len(core := independent_core(pool, selection)) < rules.independent_entities:
        used_entities = {entity for entity, _ in core}
        used_countries = {country for _, country in core}
        new = [
            i
            for i in np.flatnonzero(arrays.eligible & ~selection).tolist()
            if int(arrays.entities[i]) not in used_entities
            and int(pool.countries[i]) not in used_countries
        ]
        if not new:
            break
        need_state = rules.require_member_state and not (selection & arrays.member_state).any()
        type_short = type_counts(pool, selection) < pool.need
        best = min(
            new,
            key=lambda i: (
                not (need_state and arrays.member_state[i]),
                not type_short[pool.types[i]],
                -pool.scores[i],
                pool.ids[i],
            ),
        )
        selection[best] = True
        room -= 1
    if (
        room > 0
        and rules.require_member_state
        and rules.independent_entities
        and not (selection & arrays.member_state).any()
    ):
        options = np.flatnonzero(arrays.member_state & ~selection)
        if options.size:
            selection[options[np.argmax(pool.scores[options])]] = True
    return selection


def _best_move(
    pool: Pool, state: _State, cut_matrix: NDArray[np.bool_], locked: Mask
) -> tuple[int | None, int | None] | None:
    """The add, drop or swap that most improves (places, objective); None at a local optimum."""
    best: tuple[int, float] = (0, _IMPROVEMENT)  # (places gained, objective gained) to beat
    move: tuple[int | None, int | None] | None = None

    def consider(
        places: NDArray[np.int64], gain: NDArray[np.float64], allowed: Mask, out: int | None
    ) -> None:
        nonlocal best, move
        options = np.flatnonzero(allowed)
        if options.size:
            k = int(options[np.lexsort((-gain[options], -places[options]))[0]])
            if (int(places[k]), float(gain[k])) > best:
                best, move = (int(places[k]), float(gain[k])), (out, k)

    if state.selection.sum() < pool.max_partners:
        places, gain = state.add_gains(pool)
        consider(places, gain, ~state.selection & ~state.blocked(cut_matrix), None)
    for out in np.flatnonzero(state.selection & ~locked).tolist():
        lost_places, lost_gain = state.drop_loss(pool, out)
        if (-lost_places, -lost_gain) > best:
            best, move = (-lost_places, -lost_gain), (out, None)
        state.toggle(pool, out, on=False)
        places, gain = state.add_gains(pool)
        allowed = ~state.selection & ~state.blocked(cut_matrix)
        allowed[out] = False
        consider(places - lost_places, gain - lost_gain, allowed, out)
        state.toggle(pool, out, on=True)
    return move
