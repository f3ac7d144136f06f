"""The mixed-integer program of the package doc, built over the pool and solved by HiGHS."""

from __future__ import annotations

import time
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from matchmaker.consortium.solver.model import Mask
from matchmaker.consortium.solver.pool import Pool, fixed_rule_gap


def solve_milp(
    pool: Pool,
    *,
    deadline: float,
    cuts: list[Mask],
    max_shortfall: tuple[int, int] | None = None,
    minimise_size: bool = False,
) -> tuple[Literal["optimal", "infeasible", "failed"], Mask | None]:
    """Solve the package doc's program; ``minimise_size`` swaps relevance for fewest members."""
    remaining_time = deadline - time.perf_counter()
    if remaining_time <= 0:
        return "failed", None
    n = pool.size
    if minimise_size:
        pair_i = pair_j = np.empty(0, dtype=np.intp)
        pair_w = np.empty(0)
    else:
        upper = sparse.triu(pool.penalty, k=1).tocoo()
        pair_i, pair_j, pair_w = upper.row.astype(np.intp), upper.col.astype(np.intp), upper.data
    n_pairs = pair_i.size
    required_types = np.flatnonzero(pool.need > 0)
    n_required = required_types.size
    use_countries = pool.min_countries > 0
    n_countries = int(pool.countries.max(initial=-1)) + 1 if use_countries else 0

    n_vars = 0

    def block(size: int) -> NDArray[np.intp]:
        nonlocal n_vars
        n_vars += size
        return np.arange(n_vars - size, n_vars)

    x, y, z = block(n), block(n_pairs), block(n_countries)
    s_types, s_countries = block(n_required), block(1 if use_countries else 0)
    slacks = np.r_[s_types, s_countries]
    arrays = pool.rule
    rules = arrays.rules if arrays is not None else None
    core_idx = np.flatnonzero(arrays.eligible) if arrays is not None else np.empty(0, np.intp)
    use_core = rules is not None and rules.independent_entities > 0
    w = block(core_idx.size if use_core else 0)
    s_entities, s_member_state = block(1 if use_core else 0), block(1 if use_core else 0)
    use_in_kind = rules is not None and rules.min_in_kind > 0
    s_in_kind = block(1 if use_in_kind else 0)
    rule_slacks = np.r_[s_entities, s_member_state, s_in_kind]

    rows: list[NDArray[np.intp]] = []
    cols: list[NDArray[np.intp]] = []
    vals: list[NDArray[np.float64]] = []
    lower: list[NDArray[np.float64]] = []
    upper_bounds: list[NDArray[np.float64]] = []
    n_rows = 0

    def add_rows(
        row: NDArray[np.intp],
        col: NDArray[np.intp],
        value: float | NDArray[np.float64],
        low: float | NDArray[np.float64],
        high: float | NDArray[np.float64],
    ) -> None:
        nonlocal n_rows
        low_bounds = np.atleast_1d(np.asarray(low, dtype=np.float64))
        rows.append(n_rows + row)
        cols.append(col)
        vals.append(np.broadcast_to(np.asarray(value, dtype=np.float64), col.shape))
        lower.append(low_bounds)
        upper_bounds.append(np.atleast_1d(np.asarray(high, dtype=np.float64)))
        n_rows += low_bounds.size

    if n_required:
        row_of_type = np.full(pool.need.size, -1)
        row_of_type[required_types] = np.arange(n_required)
        members = np.flatnonzero(row_of_type[pool.types] >= 0)
        add_rows(
            np.r_[row_of_type[pool.types[members]], np.arange(n_required)],
            np.r_[members, s_types],
            1.0,
            pool.need[required_types].astype(np.float64),
            np.full(n_required, np.inf),
        )
    if use_countries:
        add_rows(
            np.r_[pool.countries, np.arange(n_countries)],
            np.r_[x, z],
            np.r_[np.full(n, -1.0), np.ones(n_countries)],
            np.full(n_countries, -np.inf),
            np.zeros(n_countries),
        )
        add_rows(
            np.zeros(n_countries + 1, dtype=np.intp),
            np.r_[z, s_countries],
            1.0,
            pool.min_countries,
            np.inf,
        )
    if not minimise_size:
        add_rows(np.zeros(n, dtype=np.intp), x, 1.0, 0, pool.max_partners)
    if n_pairs:
        pair_rows = np.arange(n_pairs)
        add_rows(
            np.r_[pair_rows, pair_rows, pair_rows],
            np.r_[pair_i, pair_j, y],
            np.r_[np.ones(2 * n_pairs), -np.ones(n_pairs)],
            np.full(n_pairs, -np.inf),
            np.ones(n_pairs),
        )
    if cuts:
        cut_matrix = np.vstack(cuts)
        cut_rows, cut_cols = np.nonzero(cut_matrix)
        add_rows(
            cut_rows,
            cut_cols,
            1.0,
            np.full(len(cuts), -np.inf),
            cut_matrix.sum(axis=1) - 1.0,
        )
    if use_core and arrays is not None and rules is not None:
        k = np.arange(core_idx.size)
        add_rows(
            np.r_[k, k],
            np.r_[w, core_idx],
            np.r_[np.ones(k.size), -np.ones(k.size)],
            np.full(k.size, -np.inf),
            np.zeros(k.size),
        )
        for codes in (pool.countries[core_idx], arrays.entities[core_idx]):
            _, row_of, sizes = np.unique(codes, return_inverse=True, return_counts=True)
            add_rows(
                row_of.astype(np.intp), w, 1.0, np.full(sizes.size, -np.inf), np.ones(sizes.size)
            )
        add_rows(
            np.zeros(w.size + 1, dtype=np.intp),
            np.r_[w, s_entities],
            1.0,
            rules.independent_entities,
            np.inf,
        )
        if rules.require_member_state:  # without the row, its slack stays 0: it only costs
            member_states = np.flatnonzero(arrays.member_state)
            add_rows(
                np.zeros(member_states.size + 1, dtype=np.intp),
                np.r_[member_states, s_member_state],
                1.0,
                1.0,
                np.inf,
            )
    if use_in_kind and arrays is not None and rules is not None:
        in_kind = np.flatnonzero(arrays.in_kind)
        add_rows(
            np.zeros(in_kind.size + 1, dtype=np.intp),
            np.r_[in_kind, s_in_kind],
            1.0,
            rules.min_in_kind,
            np.inf,
        )
    if max_shortfall is not None and slacks.size:
        add_rows(np.zeros(slacks.size, dtype=np.intp), slacks, 1.0, -np.inf, max_shortfall[1])
    if max_shortfall is not None and rule_slacks.size:
        # No slack covers the gaps that included candidates cause in every selection.
        rule_bound = max_shortfall[0] - fixed_rule_gap(pool)
        add_rows(np.zeros(rule_slacks.size, dtype=np.intp), rule_slacks, 1.0, -np.inf, rule_bound)

    contribution = pool.scores - pool.member_cost  # objective of each member, before penalties
    cost = np.zeros(n_vars)
    if minimise_size:
        cost[x] = 1.0
        cost[slacks] = n + 1.0
    else:
        cost[x] = -contribution
        cost[y] = pair_w
        cost[slacks] = 1.0 + np.abs(contribution).sum() + pair_w.sum()
    # A rule place outweighs every type and country place together (lexicographic order).
    place_cost = n + 1.0 if minimise_size else 1.0 + np.abs(contribution).sum() + pair_w.sum()
    most_places = float(pool.need[required_types].sum() + pool.min_countries)
    cost[rule_slacks] = (most_places + 1.0) * place_cost
    lb = np.zeros(n_vars)
    ub = np.ones(n_vars)
    lb[x] = pool.included
    ub[s_types] = pool.need[required_types]
    ub[s_countries] = pool.min_countries
    if rules is not None:
        ub[s_entities] = rules.independent_entities
        ub[s_in_kind] = rules.min_in_kind
    integrality = np.zeros(n_vars, dtype=np.uint8)
    integrality[x] = 1
    integrality[w] = 1
    if not n_vars:
        return "optimal", np.zeros(0, dtype=bool)

    constraints = []
    if n_rows:
        matrix = sparse.csr_array(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(n_rows, n_vars),
        )
        constraints.append(
            LinearConstraint(matrix, np.concatenate(lower), np.concatenate(upper_bounds))
        )
    result = milp(
        cost,
        integrality=integrality,
        bounds=Bounds(lb, ub),
        constraints=constraints,
        options={"time_limit": remaining_time, "mip_rel_gap": 0.0},
    )
    if result.status == 2:
        return "infeasible", None
    if result.status != 0 or result.x is None:
        return "failed", None
    selection = result.x[:n] > 0.5
    broken_cut = any(int(selection[cut].sum()) == int(cut.sum()) for cut in cuts)
    if (not minimise_size and selection.sum() > pool.max_partners) or broken_cut:
        return "failed", None  # numerical trouble; never hand back a selection that breaks a rule
    return "optimal", selection
