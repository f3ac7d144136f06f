"""A selection turned into a `Proposal`: its members, what each fills, and the shortfalls that say
which requirements it misses and why."""

from __future__ import annotations

import numpy as np

from matchmaker.consortium.solver.milp import solve_milp
from matchmaker.consortium.solver.model import (
    ENTITIES_RULE,
    EXCLUDED_RULE,
    FILLS_ADDITIONAL,
    FILLS_COUNTRY,
    IN_KIND_RULE,
    MEMBER_STATE_RULE,
    STAGE_ONE_RULE,
    Mask,
    Member,
    Method,
    Proposal,
    Shortfall,
)
from matchmaker.consortium.solver.pool import (
    Pool,
    countries_covered,
    independent_core,
    penalty_of,
    rule_gaps,
    type_counts,
)
from matchmaker.countries import country_names
from matchmaker.wording import plural, stakeholder_noun


def size_shortfall(
    pool: Pool, shortfall: int, *, method: Method, deadline: float
) -> Shortfall | None:
    """A "size" shortfall when the limit, not the candidates, keeps places unfilled."""
    included = pool.included
    type_gap = np.maximum(pool.need - type_counts(pool, included), 0)
    type_reachable = np.minimum(type_gap, pool.eligible_per_type - type_counts(pool, included))
    country_gap = max(0, pool.min_countries - countries_covered(pool, included))
    country_reachable = min(
        country_gap, pool.eligible_countries - countries_covered(pool, included)
    )
    # Taking every eligible candidate reaches every reachable place at once.
    unlimited_shortfall = int((type_gap - type_reachable).sum()) + country_gap - country_reachable
    lower_bound = int(included.sum()) + max(int(type_reachable.sum()), country_reachable)
    needed: int | None = None
    if method == "milp" and shortfall > unlimited_shortfall:
        status, smallest = solve_milp(pool, deadline=deadline, cuts=[], minimise_size=True)
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


def proposal(pool: Pool, selection: Mask, method: Method, size: Shortfall | None) -> Proposal:
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
    penalty = penalty_of(pool, selection)
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


def _coverage_shortfalls(pool: Pool, selection: Mask) -> list[Shortfall]:
    shortfalls = []
    counts = type_counts(pool, selection)
    for t in np.flatnonzero(counts < pool.need).tolist():
        name, needed, achieved = pool.type_names[t], int(pool.need[t]), int(counts[t])
        eligible = int(pool.eligible_per_type[t])
        verified = name in pool.verified_types
        kind = "verified candidate" if verified else "eligible candidate"
        if eligible == 0:
            reason = f"no {kind} exists"
        elif eligible < needed:
            reason = f"only {plural(eligible, kind)} {'exists' if eligible == 1 else 'exist'}"
        else:
            reason = f"the best consortium within the other requirements has {achieved}"
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
    covered = countries_covered(pool, selection)
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


def _rule_shortfalls(pool: Pool, selection: Mask) -> list[Shortfall]:
    """A shortfall naming each programme rule the selection fails, and what would fix it."""
    if pool.rule is None:
        return []
    rules, gaps = pool.rule.rules, rule_gaps(pool, selection)
    core = independent_core(pool, selection)
    country_of = {int(pool.countries[i]): pool.candidates[i].country for i in range(pool.size)}
    used = sorted(country_of[country] for _, country in core)
    shortfalls = []
    if gaps[ENTITIES_RULE]:
        missing = gaps[ENTITIES_RULE]
        other = f" other than {country_names(used)}" if used else ""
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
                message=f"The programme excludes entities established in {country_names(barred)} "
                "from taking part in any capacity; remove the included ones.",
            )
        )
    return shortfalls


def _entities_wording(count: int) -> str:
    if count == 1:
        return "an independent legal entity in a Member State or Associated Country"
    return (
        f"{count} independent legal entities, each in a different Member State or Associated "
        "Country"
    )
