"""The preselected candidate pool as arrays, and the measures of a selection over it: types and
countries covered, unfilled places, the independent core, the programme rules' gaps, the penalty."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from matchmaker.consortium.solver.model import (
    ENTITIES_RULE,
    EXCLUDED_RULE,
    IN_KIND_RULE,
    MAX_UNVERIFIED_NAMED,
    MEMBER_STATE_RULE,
    STAGE_ONE_RULE,
    Candidate,
    ConsortiumRules,
    InvalidConsortiumRequest,
    Mask,
    Requirements,
    Vector,
)
from matchmaker.wording import organisations_by_id

# The pool's code for candidates not counted towards their type; never a stakeholder type.
_UNVERIFIED = "\x00unverified:"


@dataclass(frozen=True, eq=False)
class Pool:
    """The preselected candidates as arrays; index i is the i-th pool member."""

    candidates: list[Candidate]
    ids: NDArray[np.int64]
    types: NDArray[np.intp]  # codes into type_names
    countries: NDArray[np.intp]  # codes local to the pool
    scores: NDArray[np.float64]
    included: Mask
    penalty: sparse.csr_array  # symmetric, diversity_weight * sim for penalised pairs, else 0
    need: NDArray[np.int64]  # minimum per type code
    type_names: list[str]
    min_countries: int
    max_partners: int
    member_cost: float
    eligible_per_type: NDArray[np.int64]  # over all candidates, not just the pool
    eligible_countries: int
    rule: _RuleArrays | None = None
    verified_types: frozenset[str] = frozenset()
    # Per type of verified_types: the unverified candidates not counted, best first.
    unverified: dict[str, tuple[int, ...]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.candidates)


def build_pool(
    candidates: Sequence[Candidate],
    requirements: Requirements,
    *,
    include: Collection[int],
    exclude: Collection[int],
    per_type_limit: int,
    diversity_weight: float,
    similarity_threshold: float,
    member_cost: float,
) -> Pool:
    ids = np.array([c.id for c in candidates], dtype=np.int64)
    scores = np.array([c.score for c in candidates], dtype=np.float64)
    verified_types = requirements.verified_types
    types, type_names = _codes(
        [
            _UNVERIFIED + c.stakeholder_type
            if c.stakeholder_type in verified_types and not c.verified
            else c.stakeholder_type
            for c in candidates
        ],
        first=requirements.required,
    )
    countries, country_names = _codes([c.country for c in candidates])
    # Sorting, not np.unique: NumPy 2's hash-based unique is ~50x slower on 100k distinct ids.
    sorted_ids = np.sort(ids)
    if (sorted_ids[1:] == sorted_ids[:-1]).any():
        raise InvalidConsortiumRequest("Candidate ids must be unique.", field="candidates")

    include_ids, exclude_ids = set(include), set(exclude)
    if both := include_ids & exclude_ids:
        raise InvalidConsortiumRequest(
            f"{organisations_by_id(both).capitalize()} cannot be both included and excluded.",
            field="include",
        )
    included = np.isin(ids, np.fromiter(include_ids, np.int64, len(include_ids)))
    if unknown := include_ids - set(ids[included].tolist()):
        raise InvalidConsortiumRequest(
            f"{organisations_by_id(unknown).capitalize()} cannot be included: not a candidate.",
            field="include",
        )
    eligible = ~np.isin(ids, np.fromiter(exclude_ids, np.int64, len(exclude_ids)))
    rules = requirements.rules
    in_kind = np.array([c.in_kind for c in candidates], dtype=bool)
    if rules is not None and rules.no_in_kind:
        eligible &= ~in_kind
    if rules is not None and rules.excluded_countries:
        barred = [k for k, name in enumerate(country_names) if name in rules.excluded_countries]
        eligible &= ~np.isin(countries, barred)

    need = np.zeros(len(type_names), dtype=np.int64)
    need[: len(requirements.required)] = list(requirements.required.values())  # listed first
    remaining = np.maximum(need - np.bincount(types[included], minlength=need.size), 0)
    missing_countries = requirements.min_countries - np.unique(countries[included]).size
    chosen = _preselect(
        types,
        countries,
        scores,
        eligible=eligible & ~included,
        included=included,
        remaining=remaining,
        countries_needed=missing_countries > 0,
        per_type_limit=per_type_limit,
    )
    if rules is not None:
        chosen = np.union1d(chosen, _rule_preselect(candidates, rules, eligible & ~included))
    pool = [candidates[i] for i in chosen.tolist()]
    pool_countries = np.unique(countries[chosen], return_inverse=True)[1].astype(np.intp)
    return Pool(
        candidates=pool,
        ids=ids[chosen],
        types=types[chosen],
        countries=pool_countries,
        scores=scores[chosen],
        included=included[chosen],
        penalty=_penalty_matrix(pool, pool_countries, diversity_weight, similarity_threshold),
        need=need,
        type_names=type_names,
        min_countries=requirements.min_countries,
        max_partners=requirements.max_partners,
        member_cost=float(member_cost),
        eligible_per_type=np.bincount(types[eligible], minlength=need.size),
        eligible_countries=int(np.count_nonzero(np.bincount(countries[eligible]))),
        rule=None if rules is None else _RuleArrays.of(pool, rules),
        verified_types=frozenset(verified_types),
        unverified=_unverified(candidates, eligible, requirements),
    )


def _unverified(
    candidates: Sequence[Candidate], eligible: Mask, requirements: Requirements
) -> dict[str, tuple[int, ...]]:
    """Per required type that only verified candidates fill: the eligible candidates of the
    type whose type is not verified, best first."""
    wanted = requirements.verified_types & set(requirements.required)
    found: dict[str, list[Candidate]] = {kind: [] for kind in wanted}
    for i in np.flatnonzero(eligible).tolist():
        c = candidates[i]
        if c.stakeholder_type in found and not c.verified:
            found[c.stakeholder_type].append(c)
    return {
        kind: tuple(c.id for c in sorted(of_type, key=lambda c: (-c.score, c.id)))[
            :MAX_UNVERIFIED_NAMED
        ]
        for kind, of_type in found.items()
    }


@dataclass(frozen=True, eq=False)
class _RuleArrays:
    """The programme rules over the pool: who is in an eligible country, a Member State, which
    entity (group) each candidate is, who contributes in kind, who is in an excluded country."""

    rules: ConsortiumRules
    eligible: Mask
    member_state: Mask
    entities: NDArray[np.intp]
    in_kind: Mask
    excluded: Mask

    @classmethod
    def of(cls, pool: list[Candidate], rules: ConsortiumRules) -> _RuleArrays:
        entities, _ = _codes([c.entity for c in pool])
        return cls(
            rules=rules,
            eligible=np.array([c.country in rules.eligible_countries for c in pool], dtype=bool),
            member_state=np.array([c.country in rules.member_states for c in pool], dtype=bool),
            entities=entities,
            in_kind=np.array([c.in_kind for c in pool], dtype=bool),
            excluded=np.array([c.country in rules.excluded_countries for c in pool], dtype=bool),
        )


def _rule_preselect(
    candidates: Sequence[Candidate], rules: ConsortiumRules, eligible: Mask
) -> NDArray[np.intp]:
    """For each eligible country its best candidates of distinct entities (as many as the core
    needs), and the best in-kind candidates the rules ask for."""
    keep: list[int] = []
    per_country: dict[str, set[str]] = {}
    order = sorted(np.flatnonzero(eligible).tolist(), key=lambda i: -candidates[i].score)
    in_kind_kept = 0
    for i in order:
        candidate = candidates[i]
        if candidate.in_kind and in_kind_kept < rules.min_in_kind:
            keep.append(i)
            in_kind_kept += 1
        if candidate.country not in rules.eligible_countries:
            continue
        seen = per_country.setdefault(candidate.country, set())
        if len(seen) < max(rules.independent_entities, 1) and candidate.entity not in seen:
            seen.add(candidate.entity)
            keep.append(i)
    return np.array(sorted(set(keep)), dtype=np.intp)


def _preselect(
    types: NDArray[np.intp],
    countries: NDArray[np.intp],
    scores: NDArray[np.float64],
    *,
    eligible: Mask,
    included: Mask,
    remaining: NDArray[np.int64],
    countries_needed: bool,
    per_type_limit: int,
) -> NDArray[np.intp]:
    """Indices of the pool: included, top of each type, best of each (needed type, country).

    Why the pool loses no coverage: take any admissible S. Give each new country S covers (up to
    the number still missing) one representative member of S from it; swap that member for the
    pool's best candidate of the same (type, country), or of the same country among types with no
    remaining need. The remaining places of a type t still short of its minimum are filled from
    the pool's top ``max(per_type_limit, remaining[t])`` of t. The result is in the pool, no larger
    than S, and covers every type and country at least as far as S, so the smallest shortfall
    over the pool equals the one over all candidates. Ties at a cut-off are broken arbitrarily
    (but deterministically).
    """
    candidate_idx = np.flatnonzero(eligible)
    candidate_types = types[candidate_idx]
    parts = [np.flatnonzero(included)]
    for t in np.flatnonzero(np.bincount(candidate_types)).tolist():  # a handful of types
        of_type = candidate_idx[candidate_types == t]
        parts.append(_top(of_type, scores[of_type], max(per_type_limit, int(remaining[t]))))
    if countries_needed:
        covered = np.zeros(int(countries.max(initial=-1)) + 1, dtype=bool)
        covered[countries[included]] = True
        new = candidate_idx[~covered[countries[candidate_idx]]]
        # Types with no remaining need are interchangeable for country coverage: one group.
        group = np.where(remaining[types[new]] > 0, types[new], -1)
        key = (group + 1) * covered.size + countries[new]
        parts.append(new[_best_per_key(key, scores[new])])
    return np.unique(np.concatenate(parts)).astype(np.intp)


def _codes(values: list[str], *, first: Collection[str] = ()) -> tuple[NDArray[np.intp], list[str]]:
    """Integer codes for ``values`` and the names they stand for (``first`` get the lowest)."""
    code = {name: k for k, name in enumerate(first)}
    codes = np.fromiter(
        (code.setdefault(value, len(code)) for value in values), dtype=np.intp, count=len(values)
    )
    return codes, list(code)


def _top(indices: NDArray[np.intp], scores: NDArray[np.float64], k: int) -> NDArray[np.intp]:
    """The ``k`` indices with the highest scores, in linear time."""
    if indices.size <= k:
        return indices
    return indices[np.argpartition(-scores, k - 1)[:k]]


def _best_per_key(key: NDArray[np.intp], scores: NDArray[np.float64]) -> NDArray[np.intp]:
    """For each distinct key, the position of its highest score (the first one on ties)."""
    if not key.size:
        return key
    best = np.full(int(key.max()) + 1, -np.inf)
    np.maximum.at(best, key, scores)
    hits = np.flatnonzero(scores == best[key])
    first = np.full(best.size, key.size)
    np.minimum.at(first, key[hits], hits)
    return first[first < key.size]


def _as_row(vector: Vector) -> sparse.csr_array:
    if sparse.issparse(vector):
        return sparse.csr_array(vector.reshape((1, -1)))
    return sparse.csr_array(np.asarray(vector, dtype=np.float64).reshape(1, -1))


def _penalty_matrix(
    pool: list[Candidate],
    countries: NDArray[np.intp],
    diversity_weight: float,
    similarity_threshold: float,
) -> sparse.csr_array:
    n = len(pool)
    with_vector = np.array([k for k, c in enumerate(pool) if c.vector is not None], dtype=np.intp)
    if diversity_weight == 0 or with_vector.size < 2:
        return sparse.csr_array((n, n), dtype=np.float64)
    vectors = [pool[k].vector for k in with_vector.tolist()]
    if any(sparse.issparse(v) for v in vectors):
        rows = [_as_row(v) for v in vectors]
        if len({row.shape[1] for row in rows}) > 1:
            raise InvalidConsortiumRequest(
                "Candidate vectors differ in length.", field="candidates"
            )
        stacked = sparse.vstack(rows, format="csr")
        gram = (stacked @ stacked.T).toarray()
    else:
        dense = [np.asarray(v, dtype=np.float64).ravel() for v in vectors]
        if len({v.size for v in dense}) > 1:
            raise InvalidConsortiumRequest(
                "Candidate vectors differ in length.", field="candidates"
            )
        matrix = np.vstack(dense)
        gram = matrix @ matrix.T
    local = countries[with_vector]
    penalised = (local[:, None] == local[None, :]) & (gram > max(similarity_threshold, 0.0))
    a, b = np.nonzero(np.triu(penalised, k=1))
    weights = diversity_weight * gram[a, b]
    i, j = with_vector[a], with_vector[b]
    return sparse.coo_array(
        (np.r_[weights, weights], (np.r_[i, j], np.r_[j, i])), shape=(n, n)
    ).tocsr()


def type_counts(pool: Pool, selection: Mask) -> NDArray[np.int64]:
    """How many members of each type code a selection has."""
    return np.bincount(pool.types[selection], minlength=pool.need.size)


def countries_covered(pool: Pool, selection: Mask) -> int:
    """How many distinct countries a selection covers."""
    return int(np.unique(pool.countries[selection]).size)


def shortfall_of(pool: Pool, selection: Mask) -> int:
    """The places a selection leaves unfilled, over the type and country minimums."""
    types_short = np.maximum(pool.need - type_counts(pool, selection), 0).sum()
    return int(types_short) + max(0, pool.min_countries - countries_covered(pool, selection))


def _max_matching(rows: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """A maximum matching of (entity, country) pairs by augmenting paths (pools are small)."""
    options: dict[int, list[int]] = {}
    for entity, country in rows:
        options.setdefault(entity, []).append(country)
    owner: dict[int, int] = {}  # country -> entity

    def augment(entity: int, seen: set[int]) -> bool:
        for country in options[entity]:
            if country in seen:
                continue
            seen.add(country)
            if country not in owner or augment(owner[country], seen):
                owner[country] = entity
                return True
        return False

    for entity in sorted(options):
        augment(entity, set())
    return sorted((entity, country) for country, entity in owner.items())


def independent_core(pool: Pool, selection: Mask) -> list[tuple[int, int]]:
    """The largest independent core of a selection: (entity, country) codes."""
    if pool.rule is None:
        return []
    members = np.flatnonzero(selection & pool.rule.eligible)
    return _max_matching(
        [(int(pool.rule.entities[i]), int(pool.countries[i])) for i in members.tolist()]
    )


def rule_gaps(pool: Pool, selection: Mask) -> dict[str, int]:
    """How far a selection is from each programme rule (0 when met; empty without rules)."""
    if pool.rule is None:
        return {}
    rules, arrays = pool.rule.rules, pool.rule
    in_kind = int((selection & arrays.in_kind).sum())
    return {
        ENTITIES_RULE: max(0, rules.independent_entities - len(independent_core(pool, selection))),
        MEMBER_STATE_RULE: int(
            rules.require_member_state
            and rules.independent_entities > 0
            and not (selection & arrays.member_state).any()
        ),
        IN_KIND_RULE: max(0, rules.min_in_kind - in_kind),
        STAGE_ONE_RULE: in_kind if rules.no_in_kind else 0,
        EXCLUDED_RULE: int((selection & arrays.excluded).sum()),
    }


def fixed_rule_gap(pool: Pool) -> int:
    """The part of every selection's rule gaps that only included candidates cause (in-kind ones
    at stage 1, those in excluded countries): no other such candidate is in the pool."""
    gaps = rule_gaps(pool, pool.included)
    return gaps.get(STAGE_ONE_RULE, 0) + gaps.get(EXCLUDED_RULE, 0)


def penalty_of(pool: Pool, selection: Mask) -> float:
    """The diversity penalty of a selection (each penalised pair once)."""
    chosen = selection.astype(np.float64)
    return float(chosen @ (pool.penalty @ chosen)) / 2
