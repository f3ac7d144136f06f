"""Consortium proposals: the partners that meet a call's requirements with the most relevance.

Pure domain code (no web framework, no database). The caller passes the candidates the matcher
found, the call's requirements and the organisations already in or ruled out;
`propose_consortia` returns the best consortium, and on request the next-best alternatives.
Each part has its module: `model` the types in and out, `pool` the preselected pool and the
measures of a selection over it, `milp` the mixed-integer program, `greedy` the greedy fallback,
`report` the proposal and its shortfalls.

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
from collections.abc import Collection, Sequence

from matchmaker.consortium.solver.greedy import solve_greedy
from matchmaker.consortium.solver.milp import solve_milp
from matchmaker.consortium.solver.model import (
    ENTITIES_RULE,
    EXCLUDED_RULE,
    FILLS_ADDITIONAL,
    FILLS_COUNTRY,
    IN_KIND_RULE,
    MEMBER_STATE_RULE,
    STAGE_ONE_RULE,
    Candidate,
    ConsortiumRules,
    InvalidConsortiumRequest,
    Mask,
    Member,
    Method,
    Proposal,
    Requirements,
    Shortfall,
    check_count,
)
from matchmaker.consortium.solver.pool import Pool, build_pool, rule_gaps, shortfall_of
from matchmaker.consortium.solver.report import proposal, size_shortfall

__all__ = [
    "ENTITIES_RULE",
    "EXCLUDED_RULE",
    "FILLS_ADDITIONAL",
    "FILLS_COUNTRY",
    "IN_KIND_RULE",
    "MEMBER_STATE_RULE",
    "STAGE_ONE_RULE",
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
    pool = build_pool(
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
        return [proposal(pool, pool.included.copy(), method, too_many)]

    first = _solve(pool, method=method, deadline=deadline, cuts=[], max_shortfall=None)
    selection, used = first if first is not None else (solve_greedy(pool, cuts=[]), "greedy")
    shortfall = shortfall_of(pool, selection)
    rule_shortfall = sum(rule_gaps(pool, selection).values())
    size = size_shortfall(pool, shortfall, method=used, deadline=deadline) if shortfall else None
    proposals = [proposal(pool, selection, used, size)]

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
        proposals.append(proposal(pool, selection, used, size))
    return proposals


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
    check_count(alternatives, "alternatives")
    check_count(per_type_limit, "per_type_limit")
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


def _solve(
    pool: Pool,
    *,
    method: Method,
    deadline: float,
    cuts: list[Mask],
    max_shortfall: tuple[int, int] | None,
) -> tuple[Mask, Method] | None:
    """The best selection under the cuts, the method that found it; None if none is left."""
    if method == "milp":
        status, selection = solve_milp(
            pool, deadline=deadline, cuts=cuts, max_shortfall=max_shortfall
        )
        if status == "optimal" and selection is not None:
            return selection, "milp"
        if status == "infeasible" and max_shortfall is not None:
            return None
    selection = solve_greedy(pool, cuts=cuts)
    if max_shortfall is not None and (
        sum(rule_gaps(pool, selection).values()) > max_shortfall[0]
        or shortfall_of(pool, selection) > max_shortfall[1]
    ):
        return None
    if any(int(selection[cut].sum()) == int(cut.sum()) for cut in cuts):
        return None  # the greedy's locked core rebuilt an earlier proposal
    return selection, "greedy"
