"""Consortium proposals: the partners that meet a call's requirements with the most relevance.

Pure domain code (no web framework, no database). The caller passes the candidates the matcher
found, the call's requirements and the organisations already in or ruled out;
`propose_consortia` returns the best consortium, and on request the next-best alternatives.

Definitions, for a consortium S (a set of candidates):

- ``relevance(S) = sum(score_i for i in S)``
- ``penalty(S) = diversity_weight * sum(sim(i, j))`` over the pairs ``i < j`` in S from the same
  country with ``sim(i, j) > max(similarity_threshold, 0)``, where ``sim`` is the dot product of
  the candidates' vectors (cosine when they are L2-normalised) and a candidate without a vector
  is similar to no one. Near-duplicate partners (same expertise and same country) cost points;
  partners that merely share a country or an expertise cost nothing.
- ``objective(S) = relevance(S) - penalty(S) - member_cost * |S|``; ``member_cost >= 0`` is what
  a member must bring to be worth a place (0 by default).
- ``shortfall(S) = sum over required types t of max(0, required[t] - |S of type t|)
  + max(0, min_countries - |countries of S|)``, the number of unfilled places.

S is *admissible* when it holds every included candidate, no excluded one, and at most
``max_partners`` members. The proposal is the admissible S with the smallest shortfall and, among
those, the highest objective. It is *feasible* when its shortfall is zero; otherwise it is the best
partial consortium, and its `Shortfall` records say which requirements it misses and why.

The member cost makes ``max_partners`` a limit rather than a target. As the shortfall comes first,
the places the requirements ask for are filled with the best candidates that fill them, even
when those score below the cost; a further member joins only when its score minus the penalty it
adds exceeds ``member_cost`` (and, among members that fill no place, one whose contribution is
below the cost is left out). Included candidates are members whatever their score. With
``member_cost = 0`` every candidate scores ``>= 0``, so a proposal grows to ``max_partners``
unless the diversity penalty stops it.

Solving. The candidates are first cut down to a pool (see `_preselect`): the best
``per_type_limit`` of every stakeholder type, the included ones, and the best candidate of every
(needed type, uncovered country) so that the pool can always reach the same coverage as the full
list; with ``diversity_weight == 0`` and ``per_type_limit >= max_partners`` the pool also keeps the
optimum, and otherwise the result is optimal over the pool. The pool becomes a mixed-integer
program solved by HiGHS through `scipy.optimize.milp`:

- binary ``x_i`` (member or not; fixed to 1 when included), with cost ``member_cost - score_i``;
- ``y_ij >= x_i + x_j - 1`` in [0, 1] for each penalised pair, with cost ``weight * sim(i, j)``
  (only those pairs get a variable; continuous, as its positive cost settles it on 0 or 1);
- ``z_c <= sum(x_i in country c)`` in [0, 1] marks a covered country;
- slacks ``s_t`` and ``s_countries`` on the coverage rows
  ``sum(x_i of type t) + s_t >= required[t]`` and ``sum(z_c) + s_countries >= min_countries``;
- ``sum(x_i) <= max_partners``;
- minimise ``-objective + M * (sum of slacks)`` with
  ``M = 1 + sum(|score_i - member_cost| over the pool) + sum(pool pair penalties)``, larger than
  any objective difference between two selections, so one more filled place always beats any
  amount of relevance (the lexicographic order above).

The relative gap tolerance is zero, so a proposal reported with ``method="milp"`` is proven optimal
(to HiGHS's absolute gap of 1e-6). ``time_limit`` is the solver's budget for the whole call; when it
runs out before an optimum is proven (or ``method="greedy"`` is asked for), a greedy construction
followed by a local search (add, drop or swap one member) produces the proposal and it is reported
with ``method="greedy"``.

Shortfalls. Each unmet type minimum and the country minimum get a `Shortfall` with what was needed
and what the proposal reaches. A ``"size"`` shortfall is added when the size limit is what keeps
places unfilled (more partners could fill more of them; ``needed`` is then the smallest
consortium that would), and when the included partners alone exceed the limit (the proposal is
then exactly the included partners and has no alternatives).

Programme rules (``Requirements.rules``, built by `matchmaker.consortium.eligibility`). With
E the candidates established in an eligible country (a Member State or Associated Country) and
``entity`` a candidate's group (affiliated entities share one), binary ``w_i <= x_i`` for i in
E marks the independent core: ``sum(w_i in country c) <= 1`` per country,
``sum(w_i of entity g) <= 1`` per group, ``sum(w_i) + s_entities >= independent_entities``;
``sum(x_i in a Member State) + s_member_state >= 1`` (unless ``require_member_state`` is off,
as for the one-entity rule sets); ``sum(x_i contributing in kind) +
s_in_kind >= min_in_kind``; with ``no_in_kind`` no candidate contributing in kind is eligible
(an included one is reported), and neither is any candidate established in one of
``excluded_countries`` (likewise). Rule slacks cost ``(U + 1)`` times the other slacks' cost, U the
largest type and country shortfall, so a proposal meets the rules whenever any admissible
consortium in the pool does, and misses as few type or country places as it can within them.
The pool keeps, for every eligible country, its best candidates of three distinct groups: a
core of three can always swap a member outside the pool for one of those, so the pool loses no
way to meet the rules. The greedy fallback first builds such a core from the best candidates
(Member State first when one is missing) and never drops it.

Verified types. For the types in ``Requirements.verified_types`` (a call that requires its
regulators, patient organisations or public bodies verified by an admin), only candidates with
``verified=True`` count towards the type's minimum: the others are coded as a type of their own
that no minimum asks for, so they can still join (for a country, or as an additional partner)
but fill no place of their declared type, and are not among its eligible candidates. A type's
`Shortfall` then says "verified" and lists the unverified candidates it did not count.

Alternatives use no-good cuts: after a proposal P, the next one must leave out at least one of P's
members that were not included (``sum(x_i for i in P minus include) <= |P minus include| - 1``). It
must also have the first proposal's shortfall, so alternatives to a feasible proposal are feasible;
fewer alternatives than asked for come back when no such consortium is left.
"""

from __future__ import annotations

import math
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from matchmaker.errors import InvalidInput
from matchmaker.wording import organisations_by_id, plural, stakeholder_noun

__all__ = [
    "FILLS_ADDITIONAL",
    "FILLS_COUNTRY",
    "Candidate",
    "ConsortiumRules",
    "InvalidConsortiumRequest",
    "Member",
    "Method",
    "Proposal",
    "Requirements",
    "Shortfall",
    "propose_consortia",
]

Method = Literal["milp", "greedy"]
Vector: TypeAlias = "NDArray[np.floating] | sparse.sparray | sparse.spmatrix"
Mask: TypeAlias = NDArray[np.bool_]

FILLS_COUNTRY = "country coverage"
FILLS_ADDITIONAL = "additional partner"
# The programme rules' names, as eligibility.py reports them.
ENTITIES_RULE = "independent-entities"
MEMBER_STATE_RULE = "member-state"
IN_KIND_RULE = "in-kind-contributor"
STAGE_ONE_RULE = "stage-1-applicants"
EXCLUDED_RULE = "no-excluded-entities"

# Objective changes smaller than this are rounding, not improvements (scores are O(1) cosines).
_IMPROVEMENT = 1e-9
# Bounds the local search; each step strictly improves, so this only guards against pathologies.
_MAX_LOCAL_SEARCH_STEPS = 10_000
# A shortfall names at most this many unverified candidates of its type (the best first).
MAX_UNVERIFIED_NAMED = 5
# The pool's code for candidates not counted towards their type; never a stakeholder type.
_UNVERIFIED = "\x00unverified:"


class InvalidConsortiumRequest(InvalidInput, ValueError):
    """A request that cannot be interpreted (not one that cannot be met: that is a Shortfall)."""

    title = "Invalid consortium request"


@dataclass(frozen=True, slots=True)
class Candidate:
    """An organisation the matcher found relevant to the call, with its score (>= 0).

    ``vector`` is optional: a dense or sparse row (1-D, or 1 x d), L2-normalised by the caller,
    used only for the diversity penalty (similarity is the dot product).
    """

    id: int
    stakeholder_type: str
    country: str
    score: float
    vector: Vector | None = field(default=None, compare=False, repr=False)
    # Affiliated entities share a group and count as one entity for the programme rules.
    group: str | None = None
    # Takes part with in-kind contributions (IHI industry members and contributing partners).
    in_kind: bool = False
    # Whether an admin verified its type (None: a type nobody verifies); counts towards a type
    # of `Requirements.verified_types` only when True.
    verified: bool | None = None

    @property
    def entity(self) -> str:
        """The independence key: the declared group, else the candidate itself."""
        return f"group:{self.group.strip().casefold()}" if self.group else f"id:{self.id}"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.score) and self.score >= 0):
            raise InvalidConsortiumRequest(
                f"Candidate {self.id} has score {self.score!r}; scores must be finite and >= 0.",
                field="candidates",
            )


@dataclass(frozen=True, kw_only=True)
class ConsortiumRules:
    """A programme's admissibility rules as constraints (see the module doc)."""

    independent_entities: int = 0
    eligible_countries: frozenset[str] = frozenset()
    member_states: frozenset[str] = frozenset()
    min_in_kind: int = 0
    no_in_kind: bool = False
    # Whether one of the independent entities must be in a Member State (Art. 22(2)); the
    # one-entity rule sets (CSA, ERC and the like) accept an Associated Country alone.
    require_member_state: bool = True
    # Countries whose entities may not take part in any capacity (Russia and Belarus since
    # 10 May 2022): their candidates are never proposed; an included one is reported.
    excluded_countries: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        _check_count(self.independent_entities, "independent_entities")
        _check_count(self.min_in_kind, "min_in_kind")
        if self.min_in_kind and self.no_in_kind:
            raise InvalidConsortiumRequest(
                "min_in_kind and no_in_kind contradict each other.", field="rules"
            )


@dataclass(frozen=True, kw_only=True)
class Requirements:
    """What a call asks of a consortium: minimum partners per type, distinct countries, size."""

    required: Mapping[str, int]
    max_partners: int
    min_countries: int = 0
    rules: ConsortiumRules | None = None
    # Types whose places only verified candidates fill.
    verified_types: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for name, value in (
            ("max_partners", self.max_partners),
            ("min_countries", self.min_countries),
        ):
            _check_count(value, name)
        for stakeholder_type, count in self.required.items():
            _check_count(count, f"required[{stakeholder_type!r}]")
        object.__setattr__(self, "required", dict(self.required))


@dataclass(frozen=True)
class Member:
    """One partner of a proposal and the requirement it fills.

    ``fills`` is the stakeholder type whose minimum it counts towards, else `FILLS_COUNTRY` when
    it brings a country the minimum needs, else `FILLS_ADDITIONAL`.
    """

    id: int
    stakeholder_type: str
    country: str
    score: float
    fills: str
    included: bool


@dataclass(frozen=True)
class Shortfall:
    """A requirement the proposal misses.

    ``requirement`` is ``"stakeholder_type"`` (``needed`` partners of ``stakeholder_type``, the
    proposal has ``achieved``), ``"countries"`` (``needed`` distinct countries, ``achieved``
    covered) or ``"size"`` (the other requirements or the included partners take ``needed``
    partners, the limit allows ``achieved``).
    """

    requirement: Literal["stakeholder_type", "countries", "size", "eligibility"]
    stakeholder_type: str | None
    needed: int
    achieved: int
    message: str
    # For an "eligibility" shortfall: the rule that fails (eligibility.py's rule names).
    rule: str | None = None
    # For a type of `Requirements.verified_types`: the candidates of that type not counted
    # because their type is not verified, best first (at most MAX_UNVERIFIED_NAMED).
    unverified: tuple[int, ...] = ()


@dataclass(frozen=True)
class Proposal:
    """A proposed consortium: its members, how good it is, what it misses.

    ``total_score`` is the sum of the members' scores, ``diversity_penalty`` the penalty of the
    module doc, and ``objective = total_score - diversity_penalty - member_cost * len(members)``,
    the value the solver maximised (so ``objective`` is comparable between the proposals of one
    call; with the default ``member_cost = 0`` it is ``total_score - diversity_penalty``).
    """

    members: tuple[Member, ...]
    objective: float
    total_score: float
    diversity_penalty: float
    feasible: bool
    shortfalls: tuple[Shortfall, ...]
    method: Method

    @property
    def member_ids(self) -> frozenset[int]:
        """The ids of the members."""
        return frozenset(member.id for member in self.members)


def propose_consortia(
    candidates: Sequence[Candidate],
    requirements: Requirements,
    *,
    include: Collection[int] = (),
    exclude: Collection[int] = (),
    alternatives: int = 0,
    per_type_limit: int = 30,
    diversity_weight: float = 0.5,
    similarity_threshold: float = 0.5,
    member_cost: float = 0.0,
    time_limit: float = 5.0,
    method: Method = "milp",
) -> list[Proposal]:
    """Propose the best consortium, then up to ``alternatives`` next-best ones (see module doc).

    ``include`` ids must be candidates and are always members; ``exclude`` ids never are (unknown
    ones are ignored). ``member_cost`` (finite, >= 0) is subtracted from the objective once per
    member: partners beyond the required places join only when they bring more than that (see
    the module doc). ``time_limit`` is the solver's budget in seconds for the whole call;
    ``method="greedy"`` skips the solver. Raises `InvalidConsortiumRequest` for inputs that make no
    sense; requirements that cannot be met are reported in each proposal's ``shortfalls``.
    """
    _check_options(
        alternatives=alternatives,
        per_type_limit=per_type_limit,
        diversity_weight=diversity_weight,
        similarity_threshold=similarity_threshold,
        member_cost=member_cost,
        time_limit=time_limit,
        method=method,
    )
    deadline = time.perf_counter() + time_limit
    pool = _build_pool(
        candidates,
        requirements,
        include=include,
        exclude=exclude,
        per_type_limit=per_type_limit,
        diversity_weight=diversity_weight,
        similarity_threshold=similarity_threshold,
        member_cost=member_cost,
    )
    n_included = int(pool.included.sum())
    if n_included > pool.max_partners:
        too_many = Shortfall(
            requirement="size",
            stakeholder_type=None,
            needed=n_included,
            achieved=pool.max_partners,
            message=(
                f"The {n_included} included partners exceed the limit of {pool.max_partners}; "
                "no partner was added."
            ),
        )
        return [_proposal(pool, pool.included.copy(), method, too_many)]

    first = _solve(pool, method=method, deadline=deadline, cuts=[], max_shortfall=None)
    selection, used = first if first is not None else (_greedy(pool, cuts=[]), "greedy")
    shortfall = _shortfall(pool, selection)
    rule_shortfall = sum(_rule_gaps(pool, selection).values())
    size = _size_shortfall(pool, shortfall, method=used, deadline=deadline) if shortfall else None
    proposals = [_proposal(pool, selection, used, size)]

    cuts: list[Mask] = []
    for _ in range(alternatives):
        free = selection & ~pool.included
        if not free.any():
            break
        cuts.append(free)
        found = _solve(
            pool,
            method=method,
            deadline=deadline,
            cuts=cuts,
            max_shortfall=(rule_shortfall, shortfall),
        )
        if found is None:
            break
        selection, used = found
        proposals.append(_proposal(pool, selection, used, size))
    return proposals


def _check_count(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise InvalidConsortiumRequest(
            f"{name} must be a non-negative integer, got {value!r}.", field=name
        )


def _check_options(
    *,
    alternatives: int,
    per_type_limit: int,
    diversity_weight: float,
    similarity_threshold: float,
    member_cost: float,
    time_limit: float,
    method: str,
) -> None:
    _check_count(alternatives, "alternatives")
    _check_count(per_type_limit, "per_type_limit")
    if per_type_limit < 1:
        raise InvalidConsortiumRequest("per_type_limit must be at least 1.", field="per_type_limit")
    for name, value in (
        ("diversity_weight", diversity_weight),
        ("similarity_threshold", similarity_threshold),
        ("member_cost", member_cost),
        ("time_limit", time_limit),
    ):
        if not (math.isfinite(value) and value >= 0):
            raise InvalidConsortiumRequest(
                f"{name} must be finite and >= 0, got {value!r}.", field=name
            )
    if method not in ("milp", "greedy"):
        raise InvalidConsortiumRequest(
            f"method must be 'milp' or 'greedy', got {method!r}.", field="method"
        )


@dataclass(frozen=True, eq=False)
class _Pool:
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


def _build_pool(
    candidates: Sequence[Candidate],
    requirements: Requirements,
    *,
    include: Collection[int],
    exclude: Collection[int],
    per_type_limit: int,
    diversity_weight: float,
    similarity_threshold: float,
    member_cost: float,
) -> _Pool:
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
    return _Pool(
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


def _type_counts(pool: _Pool, selection: Mask) -> NDArray[np.int64]:
    return np.bincount(pool.types[selection], minlength=pool.need.size)


def _covered(pool: _Pool, selection: Mask) -> int:
    return int(np.unique(pool.countries[selection]).size)


def _shortfall(pool: _Pool, selection: Mask) -> int:
    types_short = np.maximum(pool.need - _type_counts(pool, selection), 0).sum()
    return int(types_short) + max(0, pool.min_countries - _covered(pool, selection))


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


def _core(pool: _Pool, selection: Mask) -> list[tuple[int, int]]:
    """The largest independent core of a selection: (entity, country) codes."""
    if pool.rule is None:
        return []
    members = np.flatnonzero(selection & pool.rule.eligible)
    return _max_matching(
        [(int(pool.rule.entities[i]), int(pool.countries[i])) for i in members.tolist()]
    )


def _entities_wording(count: int) -> str:
    if count == 1:
        return "an independent legal entity in a Member State or Associated Country"
    return (
        f"{count} independent legal entities, each in a different Member State or Associated "
        "Country"
    )


def _rule_gaps(pool: _Pool, selection: Mask) -> dict[str, int]:
    """How far a selection is from each programme rule (0 when met; empty without rules)."""
    if pool.rule is None:
        return {}
    rules, arrays = pool.rule.rules, pool.rule
    in_kind = int((selection & arrays.in_kind).sum())
    return {
        ENTITIES_RULE: max(0, rules.independent_entities - len(_core(pool, selection))),
        MEMBER_STATE_RULE: int(
            rules.require_member_state
            and rules.independent_entities > 0
            and not (selection & arrays.member_state).any()
        ),
        IN_KIND_RULE: max(0, rules.min_in_kind - in_kind),
        STAGE_ONE_RULE: in_kind if rules.no_in_kind else 0,
        EXCLUDED_RULE: int((selection & arrays.excluded).sum()),
    }


def _fixed_rule_gap(pool: _Pool) -> int:
    """The part of every selection's rule gaps that only included candidates cause (in-kind ones
    at stage 1, those in excluded countries): no other such candidate is in the pool."""
    gaps = _rule_gaps(pool, pool.included)
    return gaps.get(STAGE_ONE_RULE, 0) + gaps.get(EXCLUDED_RULE, 0)


def _penalty(pool: _Pool, selection: Mask) -> float:
    chosen = selection.astype(np.float64)
    return float(chosen @ (pool.penalty @ chosen)) / 2


def _solve(
    pool: _Pool,
    *,
    method: Method,
    deadline: float,
    cuts: list[Mask],
    max_shortfall: tuple[int, int] | None,
) -> tuple[Mask, Method] | None:
    """The best selection under the cuts, the method that found it; None if none is left."""
    if method == "milp":
        status, selection = _solve_milp(
            pool, deadline=deadline, cuts=cuts, max_shortfall=max_shortfall
        )
        if status == "optimal" and selection is not None:
            return selection, "milp"
        if status == "infeasible" and max_shortfall is not None:
            return None
    selection = _greedy(pool, cuts=cuts)
    if max_shortfall is not None and (
        sum(_rule_gaps(pool, selection).values()) > max_shortfall[0]
        or _shortfall(pool, selection) > max_shortfall[1]
    ):
        return None
    if any(int(selection[cut].sum()) == int(cut.sum()) for cut in cuts):
        return None  # the greedy's locked core rebuilt an earlier proposal
    return selection, "greedy"


def _solve_milp(
    pool: _Pool,
    *,
    deadline: float,
    cuts: list[Mask],
    max_shortfall: tuple[int, int] | None = None,
    minimise_size: bool = False,
) -> tuple[Literal["optimal", "infeasible", "failed"], Mask | None]:
    """Solve the program of the module doc; ``minimise_size`` swaps relevance for fewest members."""
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
        rule_bound = max_shortfall[0] - _fixed_rule_gap(pool)
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


@dataclass
class _State:
    """A selection with the counts the greedy moves need, kept in step incrementally."""

    selection: Mask
    type_counts: NDArray[np.int64]
    country_counts: NDArray[np.int64]
    neighbour_penalty: NDArray[np.float64]  # penalty each candidate would pay with the selection

    @classmethod
    def of(cls, pool: _Pool, selection: Mask) -> _State:
        n_countries = int(pool.countries.max(initial=-1)) + 1
        return cls(
            selection=selection.copy(),
            type_counts=_type_counts(pool, selection),
            country_counts=np.bincount(pool.countries[selection], minlength=n_countries),
            neighbour_penalty=pool.penalty @ selection.astype(np.float64),
        )

    def toggle(self, pool: _Pool, i: int, *, on: bool) -> None:
        step = 1 if on else -1
        self.selection[i] = on
        self.type_counts[pool.types[i]] += step
        self.country_counts[pool.countries[i]] += step
        start, end = pool.penalty.indptr[i], pool.penalty.indptr[i + 1]
        self.neighbour_penalty[pool.penalty.indices[start:end]] += (
            step * pool.penalty.data[start:end]
        )

    def add_gains(self, pool: _Pool) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Places filled and objective gained by adding each candidate (meaningless if in)."""
        covered = int((self.country_counts > 0).sum())
        type_gain = self.type_counts[pool.types] < pool.need[pool.types]
        country_gain = (self.country_counts[pool.countries] == 0) & (covered < pool.min_countries)
        return (
            type_gain.astype(np.int64) + country_gain,
            pool.scores - self.neighbour_penalty - pool.member_cost,
        )

    def drop_loss(self, pool: _Pool, i: int) -> tuple[int, float]:
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


def _greedy(pool: _Pool, *, cuts: list[Mask]) -> Mask:
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


def _rule_core(pool: _Pool) -> Mask:
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
    while room > 0 and len(core := _core(pool, selection)) < rules.independent_entities:
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
        type_short = _type_counts(pool, selection) < pool.need
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
    pool: _Pool, state: _State, cut_matrix: NDArray[np.bool_], locked: Mask
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


def _size_shortfall(
    pool: _Pool, shortfall: int, *, method: Method, deadline: float
) -> Shortfall | None:
    """A "size" shortfall when the limit, not the candidates, keeps places unfilled."""
    included = pool.included
    type_gap = np.maximum(pool.need - _type_counts(pool, included), 0)
    type_reachable = np.minimum(type_gap, pool.eligible_per_type - _type_counts(pool, included))
    country_gap = max(0, pool.min_countries - _covered(pool, included))
    country_reachable = min(country_gap, pool.eligible_countries - _covered(pool, included))
    # Taking every eligible candidate reaches every reachable place at once.
    unlimited_shortfall = int((type_gap - type_reachable).sum()) + country_gap - country_reachable
    lower_bound = int(included.sum()) + max(int(type_reachable.sum()), country_reachable)
    needed: int | None = None
    if method == "milp" and shortfall > unlimited_shortfall:
        status, smallest = _solve_milp(pool, deadline=deadline, cuts=[], minimise_size=True)
        # The shortfall is proven minimal, so the limit binds even if this second solve fails.
        needed = max(lower_bound, pool.max_partners + 1)
        if status == "optimal" and smallest is not None:
            needed = max(needed, int(smallest.sum()))
    elif lower_bound > pool.max_partners:
        needed = lower_bound
    if needed is None or needed <= pool.max_partners:
        return None
    return Shortfall(
        requirement="size",
        stakeholder_type=None,
        needed=needed,
        achieved=pool.max_partners,
        message=(
            f"Meeting the other requirements takes at least {needed} partners; "
            f"the limit is {pool.max_partners}."
        ),
    )


def _proposal(pool: _Pool, selection: Mask, method: Method, size: Shortfall | None) -> Proposal:
    """The proposal for a selection: members (included first, then by score) and shortfalls."""
    members = np.flatnonzero(selection)
    members = members[
        np.lexsort((pool.ids[members], -pool.scores[members], ~pool.included[members]))
    ]
    places_left = pool.need.copy()
    fills: dict[int, str] = {}
    for i in members.tolist():
        t = pool.types[i]
        if places_left[t] > 0:
            places_left[t] -= 1
            fills[i] = pool.type_names[t]
    covered = {int(pool.countries[i]) for i in fills}
    for i in members.tolist():
        if i in fills:
            continue
        country = int(pool.countries[i])
        if country not in covered and len(covered) < pool.min_countries:
            fills[i] = FILLS_COUNTRY
        else:
            fills[i] = FILLS_ADDITIONAL
        covered.add(country)

    shortfalls = [
        *_rule_shortfalls(pool, selection),
        *_coverage_shortfalls(pool, selection),
        *([size] if size else []),
    ]
    total = float(pool.scores[members].sum())
    penalty = _penalty(pool, selection)
    return Proposal(
        members=tuple(
            Member(
                id=pool.candidates[i].id,
                stakeholder_type=pool.candidates[i].stakeholder_type,
                country=pool.candidates[i].country,
                score=pool.candidates[i].score,
                fills=fills[i],
                included=bool(pool.included[i]),
            )
            for i in members.tolist()
        ),
        objective=total - penalty - pool.member_cost * members.size,
        total_score=total,
        diversity_penalty=penalty,
        feasible=not shortfalls,
        shortfalls=tuple(shortfalls),
        method=method,
    )


def _coverage_shortfalls(pool: _Pool, selection: Mask) -> list[Shortfall]:
    shortfalls = []
    counts = _type_counts(pool, selection)
    for t in np.flatnonzero(counts < pool.need).tolist():
        name, needed, achieved = pool.type_names[t], int(pool.need[t]), int(counts[t])
        eligible = int(pool.eligible_per_type[t])
        verified = name in pool.verified_types
        kind = "verified candidate" if verified else "eligible candidate"
        reason = (
            f"only {plural(eligible, kind)} {'exists' if eligible == 1 else 'exist'}"
            if eligible < needed
            else f"the best consortium within the other requirements has {achieved}"
        )
        noun = f"{'verified ' if verified else ''}{stakeholder_noun(name, needed)}"
        shortfalls.append(
            Shortfall(
                requirement="stakeholder_type",
                stakeholder_type=name,
                needed=needed,
                achieved=achieved,
                message=f"Needs {needed} {noun}; {reason}.",
                unverified=pool.unverified.get(name, ()),
            )
        )
    covered = _covered(pool, selection)
    if covered < pool.min_countries:
        reason = (
            f"eligible candidates come from only {plural(pool.eligible_countries, 'country')}"
            if pool.eligible_countries < pool.min_countries
            else f"the best consortium within the other requirements covers {covered}"
        )
        shortfalls.append(
            Shortfall(
                requirement="countries",
                stakeholder_type=None,
                needed=pool.min_countries,
                achieved=covered,
                message=f"Needs partners from {plural(pool.min_countries, 'country')}; {reason}.",
            )
        )
    return shortfalls


def _rule_shortfalls(pool: _Pool, selection: Mask) -> list[Shortfall]:
    """A shortfall naming each programme rule the selection fails, and what would fix it."""
    if pool.rule is None:
        return []
    rules, gaps = pool.rule.rules, _rule_gaps(pool, selection)
    core = _core(pool, selection)
    country_of = {int(pool.countries[i]): pool.candidates[i].country for i in range(pool.size)}
    used = sorted(country_of[country] for _, country in core)
    shortfalls = []
    if gaps[ENTITIES_RULE]:
        missing = gaps[ENTITIES_RULE]
        other = f" other than {', '.join(used)}" if used else ""
        shortfalls.append(
            Shortfall(
                requirement="eligibility",
                stakeholder_type=None,
                needed=rules.independent_entities,
                achieved=len(core),
                rule=ENTITIES_RULE,
                message=(
                    f"The programme needs {_entities_wording(rules.independent_entities)}; the "
                    f"candidates allow {len(core)}: needs "
                    f"{plural(missing, 'more independent entity', 'more independent entities')} "
                    f"established in a Member State or Associated Country{other}."
                ),
            )
        )
    if gaps[MEMBER_STATE_RULE]:
        shortfalls.append(
            Shortfall(
                requirement="eligibility",
                stakeholder_type=None,
                needed=1,
                achieved=0,
                rule=MEMBER_STATE_RULE,
                message="The programme needs a partner established in an EU Member State; "
                "no candidate within the other requirements is.",
            )
        )
    if gaps[IN_KIND_RULE]:
        shortfalls.append(
            Shortfall(
                requirement="eligibility",
                stakeholder_type=None,
                needed=rules.min_in_kind,
                achieved=rules.min_in_kind - gaps[IN_KIND_RULE],
                rule=IN_KIND_RULE,
                message="The call needs an industry member or contributing partner that "
                "contributes in kind; no candidate does.",
            )
        )
    if gaps[STAGE_ONE_RULE]:
        shortfalls.append(
            Shortfall(
                requirement="eligibility",
                stakeholder_type=None,
                needed=0,
                achieved=gaps[STAGE_ONE_RULE],
                rule=STAGE_ONE_RULE,
                message="Stage 1 of a two-stage call admits no industry member or contributing "
                "partner; remove the included ones (the industry consortium joins at stage 2).",
            )
        )
    if gaps[EXCLUDED_RULE]:
        barred = sorted(
            {pool.candidates[i].country for i in np.flatnonzero(selection & pool.rule.excluded)}
        )
        shortfalls.append(
            Shortfall(
                requirement="eligibility",
                stakeholder_type=None,
                needed=0,
                achieved=gaps[EXCLUDED_RULE],
                rule=EXCLUDED_RULE,
                message=f"The programme excludes entities established in {', '.join(barred)} "
                "from taking part in any capacity; remove the included ones.",
            )
        )
    return shortfalls
