"""The solver with programme rules: eligible by construction, and exact on small instances."""

from datetime import date
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matchmaker.consortium.eligibility import (
    Context,
    Participant,
    check,
    solver_rules,
)
from matchmaker.consortium.solver import (
    ENTITIES_RULE,
    Candidate,
    Method,
    Proposal,
    Requirements,
    propose_consortia,
)
from matchmaker.country_statuses import StatusTable
from models.call import RuleSet

TABLE = StatusTable.shipped()
ON = date(2024, 6, 1)
# Member States, Associated Countries (GB from 2024), countries neither (CH before 2025), and
# countries excluded from the programme (RU, BY since 10 May 2022): the checker fails any
# consortium with one, so the brute force below never counts one as a solution.
COUNTRIES = ("DE", "FR", "NO", "GB", "CH", "US", "RU", "BY")
TYPES = ("academia", "sme", "industry")


def _context(rule_set: RuleSet, two_stage: bool = False) -> Context:
    return Context(rule_set=rule_set, part="pillar-2", on=ON, table=TABLE, two_stage=two_stage)


def _participants(candidates: list[Candidate], ids: frozenset[int]) -> list[Participant]:
    return [
        Participant(
            id=c.id,
            name=f"Org {c.id}",
            country=c.country,
            stakeholder_type=c.stakeholder_type,
            group=c.group,
            ihi_contributor=c.in_kind,
        )
        for c in candidates
        if c.id in ids
    ]


def _meets_call(
    candidates: list[Candidate], ids: frozenset[int], requirements: Requirements
) -> bool:
    chosen = [c for c in candidates if c.id in ids]
    types_ok = all(
        sum(c.stakeholder_type == t for c in chosen) >= n for t, n in requirements.required.items()
    )
    return types_ok and len({c.country for c in chosen}) >= requirements.min_countries


candidate_lists = st.lists(
    st.tuples(
        st.sampled_from(TYPES),
        st.sampled_from(COUNTRIES),
        st.sampled_from((None, "g1", "g2")),
        st.booleans(),
        st.floats(0, 1, allow_nan=False),
    ),
    min_size=1,
    max_size=7,
).map(
    lambda rows: [
        Candidate(id=k, stakeholder_type=t, country=c, score=s, group=g, in_kind=i)
        for k, (t, c, g, i, s) in enumerate(rows)
    ]
)
Instance = tuple[list[Candidate], dict[str, int], int, int, tuple[RuleSet, bool]]
instances = st.tuples(
    candidate_lists,
    st.dictionaries(st.sampled_from(TYPES), st.integers(0, 2), max_size=2),
    st.integers(0, 3),
    st.integers(1, 5),
    st.sampled_from(
        (
            (RuleSet.horizon_europe, False),
            (RuleSet.horizon_europe_csa, False),
            (RuleSet.horizon_europe_single, False),
            (RuleSet.ihi, False),
            (RuleSet.ihi, True),
        )
    ),
)


def _solve(candidates: list[Candidate], requirements: Requirements, method: Method) -> Proposal:
    return propose_consortia(
        candidates, requirements, method=method, per_type_limit=50, diversity_weight=0.0
    )[0]


@settings(max_examples=150, deadline=None)
@given(instances, st.sampled_from(("milp", "greedy")))
def test_solver_rules_agree_with_the_checker(instance: Instance, method: Method) -> None:
    """A proposal has no eligibility shortfall exactly when the rule checker passes it, and
    never a member in an excluded country."""
    candidates, required, min_countries, max_partners, (rule_set, two_stage) = instance
    context = _context(rule_set, two_stage)
    requirements = Requirements(
        required=required,
        min_countries=min(min_countries, max_partners),
        max_partners=max(max_partners, sum(required.values())),
        rules=solver_rules(context),
    )
    proposal = _solve(candidates, requirements, method)
    report = check(_participants(candidates, proposal.member_ids), context)
    eligibility_shortfalls = [s for s in proposal.shortfalls if s.requirement == "eligibility"]
    assert report.eligible == (not eligibility_shortfalls)
    if proposal.feasible:
        assert report.eligible
    barred = context.excluded_countries()
    assert not [m for m in proposal.members if m.country in barred]


@settings(max_examples=150, deadline=None)
@given(instances)
def test_solver_finds_a_consortium_exactly_when_brute_force_does(instance: Instance) -> None:
    """On small instances the MILP is feasible iff some subset meets the call and the rules."""
    candidates, required, min_countries, max_partners, (rule_set, two_stage) = instance
    context = _context(rule_set, two_stage)
    requirements = Requirements(
        required=required,
        min_countries=min(min_countries, max_partners),
        max_partners=max(max_partners, sum(required.values())),
        rules=solver_rules(context),
    )
    ids = [c.id for c in candidates]
    exists = any(
        _meets_call(candidates, frozenset(subset), requirements)
        and check(_participants(candidates, frozenset(subset)), context).eligible
        for size in range(requirements.max_partners + 1)
        for subset in combinations(ids, size)
    )
    assert _solve(candidates, requirements, "milp").feasible == exists


def test_infeasible_answer_names_the_failing_rule() -> None:
    """Two affiliated partners and a US one cannot make three entities: the answer says so."""
    candidates = [
        Candidate(id=1, stakeholder_type="academia", country="DE", score=0.9, group="Acme"),
        Candidate(id=2, stakeholder_type="academia", country="FR", score=0.8, group="acme"),
        Candidate(id=3, stakeholder_type="sme", country="US", score=0.7),
    ]
    requirements = Requirements(
        required={}, max_partners=3, rules=solver_rules(_context(RuleSet.horizon_europe))
    )
    proposal = _solve(candidates, requirements, "milp")
    assert not proposal.feasible
    [shortfall] = proposal.shortfalls
    assert (shortfall.rule, shortfall.needed, shortfall.achieved) == (ENTITIES_RULE, 3, 1)
    assert "2 more independent entities" in shortfall.message


def test_rules_change_the_proposal_to_an_eligible_one() -> None:
    """Without rules the best three include a Swiss partner (2024); with them a Norwegian one."""
    candidates = [
        Candidate(id=1, stakeholder_type="academia", country="DE", score=0.9),
        Candidate(id=2, stakeholder_type="academia", country="FR", score=0.8),
        Candidate(id=3, stakeholder_type="sme", country="CH", score=0.7),
        Candidate(id=4, stakeholder_type="sme", country="NO", score=0.2),
    ]
    plain = Requirements(required={"sme": 1}, max_partners=3)
    ruled = Requirements(
        required={"sme": 1}, max_partners=3, rules=solver_rules(_context(RuleSet.horizon_europe))
    )
    assert _solve(candidates, plain, "milp").member_ids == {1, 2, 3}
    assert _solve(candidates, ruled, "milp").member_ids == {1, 2, 4}
    assert _solve(candidates, ruled, "greedy").member_ids == {1, 2, 4}


@pytest.mark.parametrize("method", ["milp", "greedy"])
def test_csa_proposal_needs_one_entity_and_no_member_state(method: Method) -> None:
    """A CSA (Art. 22(4)) of one partner: a Norwegian one suffices, a Swiss one (2024) does not."""
    candidates = [
        Candidate(id=1, stakeholder_type="sme", country="CH", score=0.9),
        Candidate(id=2, stakeholder_type="sme", country="NO", score=0.2),
    ]
    rules = solver_rules(_context(RuleSet.horizon_europe_csa))
    proposal = _solve(candidates, Requirements(required={}, max_partners=1, rules=rules), method)
    assert (proposal.feasible, proposal.member_ids) == (True, frozenset({2}))
    alone = _solve(candidates[:1], Requirements(required={}, max_partners=1, rules=rules), method)
    [shortfall] = alone.shortfalls
    assert (shortfall.rule, shortfall.needed, shortfall.achieved) == (ENTITIES_RULE, 1, 0)
    assert shortfall.message.startswith(
        "The programme needs an independent legal entity in a Member State or Associated Country"
    )
