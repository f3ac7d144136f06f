"""Consortium proposals: checked against a brute force over every subset, and on small examples."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import cast

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from scipy import sparse

from matchmaker.consortium.solver import (
    FILLS_ADDITIONAL,
    FILLS_COUNTRY,
    Candidate,
    InvalidConsortiumRequest,
    Method,
    Proposal,
    Requirements,
    propose_consortia,
)

TYPES = ("academia", "industry", "sme", "patient_organisation")
COUNTRIES = ("BE", "DE", "FR", "NL")


def _unit(*values: float) -> NDArray[np.float64]:
    vector = np.array(values, dtype=np.float64)
    return vector / np.linalg.norm(vector)


# Pairwise dot products are 0, ~0.07, ~0.70, ~0.995 or 1: none near a threshold the tests use.
PALETTE = (
    _unit(1, 0, 0),
    _unit(0, 1, 0),
    _unit(1, 1, 0),
    _unit(1, 0, 0.1),
)
THRESHOLDS = (0.0, 0.5, 0.9)
TOLERANCE = 1e-6

DETERMINISTIC = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@dataclass(frozen=True)
class Instance:
    """One random request, with everything `propose_consortia` takes."""

    candidates: tuple[Candidate, ...]
    requirements: Requirements
    include: frozenset[int]
    exclude: frozenset[int]
    diversity_weight: float
    similarity_threshold: float
    alternatives: int
    per_type_limit: int
    member_cost: float = 0.0

    def propose(
        self, *, method: Method = "milp", alternatives: int | None = None
    ) -> list[Proposal]:
        """Run `propose_consortia` on this instance (generous time: the solver must finish)."""
        return propose_consortia(
            self.candidates,
            self.requirements,
            include=self.include,
            exclude=self.exclude,
            alternatives=self.alternatives if alternatives is None else alternatives,
            per_type_limit=self.per_type_limit,
            diversity_weight=self.diversity_weight,
            similarity_threshold=self.similarity_threshold,
            member_cost=self.member_cost,
            time_limit=30.0,
            method=method,
        )


class BruteForce:
    """Every subset of the candidates, with its size, shortfall and objective (module doc)."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        cands = instance.candidates
        n = len(cands)
        self.ids = np.array([c.id for c in cands], dtype=np.int64)
        self.subsets = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(bool)
        scores = np.array([c.score for c in cands])
        types = sorted({*instance.requirements.required, *(c.stakeholder_type for c in cands)})
        type_onehot = np.array([[c.stakeholder_type == t for t in types] for c in cands], float)
        country_onehot = np.array([[c.country == k for k in COUNTRIES] for c in cands], float)
        need = np.array([instance.requirements.required.get(t, 0) for t in types])
        counts = self.subsets @ type_onehot.reshape(n, len(types))
        covered = ((self.subsets @ country_onehot.reshape(n, len(COUNTRIES))) > 0).sum(axis=1)
        self.type_short = np.maximum(need - counts, 0).astype(int)
        self.countries_covered = covered
        self.country_short = np.maximum(instance.requirements.min_countries - covered, 0)
        self.shortfall = self.type_short.sum(axis=1) + self.country_short
        self.type_names = types

        weights = np.zeros((n, n))
        for i in range(n):
            for j in range(n):
                vi, vj = cands[i].vector, cands[j].vector
                if (
                    i != j
                    and vi is not None
                    and vj is not None
                    and cands[i].country == cands[j].country
                ):
                    sim = float(np.dot(vi, vj))
                    if sim > max(instance.similarity_threshold, 0.0):
                        weights[i, j] = instance.diversity_weight * sim
        self.size = self.subsets.sum(axis=1)
        self.objective = (
            self.subsets @ scores
            - 0.5 * np.einsum("si,ij,sj->s", self.subsets, weights, self.subsets)
            - instance.member_cost * self.size
        )
        included = np.isin(self.ids, list(instance.include))
        excluded = np.isin(self.ids, list(instance.exclude))
        self.unlimited = self.subsets[:, included].all(axis=1) & ~self.subsets[:, excluded].any(
            axis=1
        )
        self.admissible = self.unlimited & (self.size <= instance.requirements.max_partners)
        self.included = included

    def index_of(self, ids: frozenset[int]) -> int:
        """The row of the subset with exactly these member ids."""
        mask = np.isin(self.ids, list(ids))
        return int(np.flatnonzero((self.subsets == mask).all(axis=1))[0])

    @cached_property
    def min_shortfall(self) -> int:
        """The smallest shortfall of an admissible consortium."""
        return int(self.shortfall[self.admissible].min())

    def best_objective(self, allowed: NDArray[np.bool_], shortfall: int) -> float:
        """The highest objective among allowed subsets with this shortfall."""
        return float(self.objective[allowed & (self.shortfall == shortfall)].max())

    def smallest_size_for_unlimited_coverage(self) -> tuple[int, int]:
        """(shortfall without the size limit, fewest members reaching it)."""
        best = int(self.shortfall[self.unlimited].min())
        return best, int(self.size[self.unlimited & (self.shortfall == best)].min())

    def outside_cuts(self, previous: list[Proposal]) -> NDArray[np.bool_]:
        """Subsets leaving out at least one non-included member of every previous proposal."""
        allowed = np.ones(len(self.subsets), dtype=bool)
        for proposal in previous:
            free = np.isin(self.ids, list(proposal.member_ids)) & ~self.included
            allowed &= ~self.subsets[:, free].all(axis=1)
        return allowed


@st.composite
def instances(
    draw: st.DrawFn,
    *,
    max_candidates: int = 9,
    per_type_limits: st.SearchStrategy[int] = st.just(30),
) -> Instance:
    """Small random requests: 2-4 types, 1-4 countries, optional vectors, include/exclude, cost."""
    types = draw(st.lists(st.sampled_from(TYPES), min_size=2, max_size=4, unique=True))
    countries = draw(st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=4, unique=True))
    n = draw(st.integers(0, max_candidates))
    with_vectors = draw(st.booleans())
    score = st.one_of(st.integers(0, 20).map(lambda k: k / 20), st.floats(0, 1))
    candidates = tuple(
        Candidate(
            id=100 + k,
            stakeholder_type=draw(st.sampled_from(types)),
            country=draw(st.sampled_from(countries)),
            score=draw(score),
            vector=(
                draw(st.sampled_from(PALETTE)) if with_vectors and draw(st.integers(0, 3)) else None
            ),
        )
        for k in range(n)
    )
    required = {t: draw(st.integers(0, 2)) for t in types}
    if draw(st.booleans()):
        required["regulator"] = 1  # a type no candidate has
    ids = [c.id for c in candidates]
    include = draw(st.sets(st.sampled_from(ids), max_size=3)) if ids else set()
    rest = [i for i in ids if i not in include]
    exclude = draw(st.sets(st.sampled_from(rest), max_size=3)) if rest else set()
    return Instance(
        candidates=candidates,
        requirements=Requirements(
            required=required,
            min_countries=draw(st.integers(0, 3)),
            max_partners=draw(st.integers(0, 9)),
        ),
        include=frozenset(include),
        exclude=frozenset(exclude),
        diversity_weight=draw(st.sampled_from((0.0, 0.3, 2.0))),
        similarity_threshold=draw(st.sampled_from(THRESHOLDS)),
        alternatives=draw(st.integers(0, 3)),
        per_type_limit=draw(per_type_limits),
        member_cost=draw(st.sampled_from((0.0, 0.3, 0.75))),
    )


def _size_shortfalls(proposal: Proposal) -> list[tuple[int, int]]:
    """(needed, achieved) of the proposal's size shortfalls."""
    return [(s.needed, s.achieved) for s in proposal.shortfalls if s.requirement == "size"]


def _check_common(instance: Instance, brute: BruteForce, proposal: Proposal) -> int:
    """Checks every proposal must pass; returns the brute-force row of its member set."""
    ids = proposal.member_ids
    assert len(ids) == len(proposal.members)
    assert instance.include <= ids
    assert not ids & instance.exclude
    assert {m.id for m in proposal.members if m.included} == instance.include
    row = brute.index_of(ids)
    assert proposal.objective == pytest.approx(brute.objective[row], abs=1e-9)
    assert proposal.total_score == pytest.approx(sum(m.score for m in proposal.members))
    assert proposal.objective == pytest.approx(
        proposal.total_score
        - proposal.diversity_penalty
        - instance.member_cost * len(proposal.members),
        abs=1e-9,
    )
    assert proposal.feasible == (not proposal.shortfalls)

    coverage = {(s.requirement, s.stakeholder_type): s for s in proposal.shortfalls}
    coverage.pop(("size", None), None)
    expected: dict[tuple[str, str | None], int] = {
        ("stakeholder_type", t): int(brute.type_short[row, k])
        for k, t in enumerate(brute.type_names)
        if brute.type_short[row, k]
    }
    if brute.country_short[row]:
        expected["countries", None] = int(brute.country_short[row])
    assert {key: s.needed - s.achieved for key, s in coverage.items()} == expected
    if ("countries", None) in coverage:
        assert coverage["countries", None].achieved == brute.countries_covered[row]
    return row


@settings(DETERMINISTIC, max_examples=250)
@given(instance=instances())
def test_proposals_match_brute_force_optimum_and_alternatives(instance: Instance) -> None:
    """Proposal and alternatives are the brute-force best (coverage, then objective) under cuts."""
    brute = BruteForce(instance)
    proposals = instance.propose()
    first = proposals[0]
    row = _check_common(instance, brute, first)
    max_partners = instance.requirements.max_partners

    if len(instance.include) > max_partners:
        assert len(proposals) == 1
        assert first.member_ids == instance.include
        assert not first.feasible
        assert _size_shortfalls(first) == [(len(instance.include), max_partners)]
        return

    assert first.method == "milp"
    assert brute.shortfall[row] == brute.min_shortfall
    assert first.feasible == (brute.min_shortfall == 0)
    assert first.objective == pytest.approx(
        brute.best_objective(brute.admissible, brute.min_shortfall), abs=TOLERANCE
    )
    unlimited_shortfall, smallest = brute.smallest_size_for_unlimited_coverage()
    size_limit_binds = unlimited_shortfall < brute.min_shortfall
    assert _size_shortfalls(first) == ([(smallest, max_partners)] if size_limit_binds else [])

    for k in range(1, len(proposals)):
        proposal = proposals[k]
        _check_common(instance, brute, proposal)
        assert proposal.method == "milp"
        assert all(proposal.member_ids != p.member_ids for p in proposals[:k])
        assert proposal.feasible == first.feasible
        allowed = brute.admissible & brute.outside_cuts(proposals[:k])
        assert brute.shortfall[brute.index_of(proposal.member_ids)] == brute.min_shortfall
        assert proposal.objective <= proposals[k - 1].objective + TOLERANCE
        assert proposal.objective == pytest.approx(
            brute.best_objective(allowed, brute.min_shortfall), abs=TOLERANCE
        )
    # No silent miss: fewer alternatives only when none with the same coverage is left.
    if len(proposals) < 1 + instance.alternatives:
        left = brute.admissible & brute.outside_cuts(proposals)
        assert not (left & (brute.shortfall == brute.min_shortfall)).any()


@settings(DETERMINISTIC, max_examples=150)
@given(instance=instances(max_candidates=11, per_type_limits=st.integers(1, 3)))
def test_preselection_never_loses_coverage_and_keeps_optimum_without_diversity(
    instance: Instance,
) -> None:
    """A small per-type limit keeps the best coverage; objective exact if no penalty applies."""
    brute = BruteForce(instance)
    first = instance.propose(alternatives=0)[0]
    row = _check_common(instance, brute, first)
    if len(instance.include) > instance.requirements.max_partners:
        return
    assert brute.shortfall[row] == brute.min_shortfall
    best = brute.best_objective(brute.admissible, brute.min_shortfall)
    assert first.objective <= best + TOLERANCE
    exact = instance.per_type_limit >= instance.requirements.max_partners
    if exact and instance.diversity_weight == 0:
        assert first.objective == pytest.approx(best, abs=TOLERANCE)


@settings(DETERMINISTIC, max_examples=150)
@given(instance=instances())
def test_greedy_respects_rules_and_reports_its_own_shortfalls(instance: Instance) -> None:
    """Greedy proposals keep include/exclude/size/cuts, report what they miss, drop dead weight."""
    brute = BruteForce(instance)
    proposals = instance.propose(method="greedy")
    for k, proposal in enumerate(proposals):
        row = _check_common(instance, brute, proposal)
        assert proposal.method == "greedy"
        assert all(proposal.member_ids != p.member_ids for p in proposals[:k])
        assert brute.outside_cuts(proposals[:k])[row]
        if len(instance.include) <= instance.requirements.max_partners:
            assert brute.admissible[row]
            assert (
                proposal.objective
                <= brute.best_objective(brute.admissible, int(brute.shortfall[row])) + TOLERANCE
            )
        # A local optimum: no member can be left out without losing a place or objective.
        for member in proposal.members:
            if member.included:
                continue
            smaller = brute.index_of(proposal.member_ids - {member.id})
            assert (brute.shortfall[smaller], -brute.objective[smaller]) >= (
                brute.shortfall[row],
                -brute.objective[row] - TOLERANCE,
            ), member.id


def test_diversity_penalty_swaps_near_duplicate_same_country_partner() -> None:
    """Two near-identical French academics are not both picked if a Dutch one scores a bit less."""
    twin = _unit(1, 0, 0.05)
    candidates = [
        Candidate(1, "academia", "FR", 0.90, vector=PALETTE[0]),
        Candidate(2, "academia", "FR", 0.89, vector=twin),
        Candidate(3, "academia", "NL", 0.80, vector=twin),
        Candidate(4, "industry", "DE", 0.70),
    ]
    requirements = Requirements(required={"academia": 2, "industry": 1}, max_partners=3)

    plain = propose_consortia(candidates, requirements, diversity_weight=0.0)[0]
    diverse = propose_consortia(candidates, requirements, diversity_weight=0.5)[0]

    assert plain.member_ids == {1, 2, 4}
    assert diverse.member_ids == {1, 3, 4}
    assert diverse.diversity_penalty == 0.0
    assert diverse.objective == pytest.approx(0.90 + 0.80 + 0.70)


def test_diversity_penalty_ignores_near_duplicates_in_different_countries() -> None:
    """Similar expertise across countries is not penalised, so the top scorers are kept."""
    candidates = [
        Candidate(1, "academia", "FR", 0.9, vector=PALETTE[0]),
        Candidate(2, "academia", "NL", 0.8, vector=PALETTE[0]),
        Candidate(3, "academia", "NL", 0.7, vector=PALETTE[1]),
    ]
    requirements = Requirements(required={"academia": 2}, max_partners=2)

    proposal = propose_consortia(candidates, requirements, diversity_weight=5.0)[0]

    assert proposal.member_ids == {1, 2}
    assert proposal.diversity_penalty == 0.0


def _easy_call() -> tuple[list[Candidate], Requirements]:
    candidates = [
        Candidate(1, "academia", "FR", 0.9),
        Candidate(2, "academia", "DE", 0.8),
        Candidate(3, "academia", "FR", 0.3),
        Candidate(4, "industry", "DE", 0.7),
        Candidate(5, "sme", "NL", 0.6),
        Candidate(6, "patient_organisation", "BE", 0.2),
        Candidate(7, "industry", "IT", 0.1),
    ]
    requirements = Requirements(
        required={"academia": 2, "industry": 1, "sme": 1, "patient_organisation": 1},
        min_countries=4,
        max_partners=6,
    )
    return candidates, requirements


def test_greedy_fallback_is_reported_when_solver_has_no_time() -> None:
    """With no solver time left the greedy heuristic answers, says so, and meets the call."""
    candidates, requirements = _easy_call()

    proposal = propose_consortia(candidates, requirements, time_limit=0.0)[0]

    assert proposal.method == "greedy"
    assert proposal.feasible
    assert proposal.member_ids == {1, 2, 4, 5, 6, 3}


def test_greedy_method_matches_solver_on_easy_call() -> None:
    """Asked for directly, greedy meets every requirement with the solver's consortium."""
    candidates, requirements = _easy_call()

    greedy = propose_consortia(candidates, requirements, method="greedy")[0]
    exact = propose_consortia(candidates, requirements)[0]

    assert (greedy.method, exact.method) == ("greedy", "milp")
    assert greedy.feasible
    assert exact.feasible
    assert greedy.member_ids == exact.member_ids


def test_members_are_labelled_with_requirement_they_fill() -> None:
    """Each member names the minimum it fills, else country coverage, else additional partner."""
    candidates, requirements = _easy_call()
    requirements = Requirements(
        required={"academia": 1, "industry": 1}, min_countries=3, max_partners=4
    )

    proposal = propose_consortia(candidates, requirements)[0]

    assert [(m.id, m.fills) for m in proposal.members] == [
        (1, "academia"),
        (2, FILLS_ADDITIONAL),
        (4, "industry"),
        (5, FILLS_COUNTRY),
    ]


def test_missing_patient_organisation_is_named_and_rest_is_filled() -> None:
    """No patient organisation: that requirement is reported and every other one is met."""
    candidates, requirements = _easy_call()
    candidates = [c for c in candidates if c.stakeholder_type != "patient_organisation"]

    proposal = propose_consortia(candidates, requirements)[0]

    assert not proposal.feasible
    assert [
        (s.requirement, s.stakeholder_type, s.needed, s.achieved) for s in proposal.shortfalls
    ] == [
        ("stakeholder_type", "patient_organisation", 1, 0),
    ]
    assert "no eligible candidate exists" in proposal.shortfalls[0].message
    assert proposal.member_ids == {1, 2, 3, 4, 5, 7}
    assert {m.fills for m in proposal.members} >= {"academia", "industry", "sme"}


def test_too_few_countries_is_reported_with_coverage_reached() -> None:
    """Candidates from two countries cannot cover three; the shortfall says 3 needed, 2 covered."""
    candidates = [
        Candidate(1, "academia", "FR", 0.9),
        Candidate(2, "industry", "DE", 0.8),
        Candidate(3, "industry", "FR", 0.7),
    ]
    requirements = Requirements(required={"academia": 1}, min_countries=3, max_partners=5)

    proposal = propose_consortia(candidates, requirements)[0]

    assert proposal.member_ids == {1, 2, 3}
    assert [(s.requirement, s.needed, s.achieved) for s in proposal.shortfalls] == [
        ("countries", 3, 2)
    ]


def test_size_limit_below_sum_of_minimums_reports_size_shortfall() -> None:
    """A limit of 4 for five minimum places names the size and leaves one place open."""
    candidates, requirements = _easy_call()
    requirements = Requirements(required=requirements.required, max_partners=4)

    proposal = propose_consortia(candidates, requirements)[0]

    assert _size_shortfalls(proposal) == [(5, 4)]
    assert len(proposal.members) == 4
    assert sum(s.needed - s.achieved for s in proposal.shortfalls if s.requirement != "size") == 1


def test_includes_exceeding_size_limit_are_kept_and_reported() -> None:
    """Three committed partners and a limit of two: they stay, nobody is added, size is named."""
    candidates, requirements = _easy_call()
    requirements = Requirements(required=requirements.required, max_partners=2)

    proposals = propose_consortia(candidates, requirements, include={5, 6, 7}, alternatives=2)

    assert len(proposals) == 1
    assert proposals[0].member_ids == {5, 6, 7}
    assert all(m.included for m in proposals[0].members)
    assert _size_shortfalls(proposals[0]) == [(3, 2)]


def test_preselection_keeps_rare_country_candidate() -> None:
    """With one candidate kept per type, a low-scored academic from a needed country still fits."""
    candidates = [
        Candidate(1, "academia", "FR", 0.9),
        Candidate(2, "academia", "FR", 0.8),
        Candidate(3, "academia", "FR", 0.7),
        Candidate(4, "academia", "DE", 0.1),
    ]
    requirements = Requirements(required={"academia": 2}, min_countries=2, max_partners=2)

    proposal = propose_consortia(candidates, requirements, per_type_limit=1)[0]

    assert proposal.feasible
    assert proposal.member_ids == {1, 4}


def test_preselection_keeps_unrequired_type_from_needed_country() -> None:
    """The only German candidate, of a type no minimum asks for, still brings the second country."""
    candidates = [
        Candidate(1, "academia", "FR", 0.9),
        Candidate(2, "industry", "FR", 0.8),
        Candidate(3, "industry", "FR", 0.7),
        Candidate(4, "industry", "DE", 0.1),
    ]
    requirements = Requirements(required={"academia": 1}, min_countries=2, max_partners=2)

    proposal = propose_consortia(candidates, requirements, per_type_limit=1)[0]

    assert proposal.feasible
    assert [(m.id, m.fills) for m in proposal.members] == [(1, "academia"), (4, FILLS_COUNTRY)]


def test_alternatives_differ_and_stop_when_no_feasible_one_is_left() -> None:
    """Two academics among three give three feasible pairs, so a fourth is not invented."""
    candidates = [
        Candidate(1, "academia", "FR", 0.9),
        Candidate(2, "academia", "DE", 0.8),
        Candidate(3, "academia", "NL", 0.7),
    ]
    requirements = Requirements(required={"academia": 2}, max_partners=2)

    proposals = propose_consortia(candidates, requirements, alternatives=5)

    assert [p.member_ids for p in proposals] == [{1, 2}, {1, 3}, {2, 3}]
    assert [p.objective for p in proposals] == pytest.approx([1.7, 1.6, 1.5])
    assert all(p.feasible for p in proposals)


def test_sparse_and_dense_vectors_give_same_proposal() -> None:
    """Dense rows, 1 x d sparse rows and rows iterated from a sparse matrix agree."""
    matrix = np.vstack([PALETTE[0], PALETTE[3], PALETTE[1]])
    forms = {
        "dense": list(matrix),
        "sparse 1 x d": [sparse.csr_array(row[None, :]) for row in matrix],
        "sparse matrix rows": list(sparse.csr_array(matrix)),
    }
    requirements = Requirements(required={"academia": 2}, max_partners=2)

    for name, vectors in forms.items():
        candidates = [
            Candidate(k + 1, "academia", "FR", score, vector=vector)
            for k, (score, vector) in enumerate(zip((0.9, 0.85, 0.5), vectors, strict=True))
        ]
        proposal = propose_consortia(candidates, requirements, diversity_weight=1.0)[0]
        assert proposal.member_ids == {1, 3}, name


@pytest.mark.parametrize(
    ("include", "exclude", "field"),
    [({1}, {1, 2}, "include"), ({99}, set(), "include")],
    ids=["overlap", "unknown-include"],
)
def test_invalid_include_or_exclude_raises_typed_error(
    include: set[int], exclude: set[int], field: str
) -> None:
    """Overlapping include/exclude and unknown include ids raise InvalidConsortiumRequest."""
    candidates, requirements = _easy_call()

    with pytest.raises(InvalidConsortiumRequest) as raised:
        propose_consortia(candidates, requirements, include=include, exclude=exclude)

    assert raised.value.field == field


def test_unknown_exclude_ids_are_ignored() -> None:
    """Excluding an organisation that is not a candidate changes nothing."""
    candidates, requirements = _easy_call()

    assert propose_consortia(candidates, requirements, exclude={999}) == propose_consortia(
        candidates, requirements
    )


ANY_SIZE = Requirements(required={}, max_partners=2)


@pytest.mark.parametrize(
    "build",
    [
        lambda: Candidate(1, "academia", "FR", -0.1),
        lambda: Candidate(1, "academia", "FR", float("nan")),
        lambda: Requirements(required={"academia": -1}, max_partners=3),
        lambda: Requirements(required={}, max_partners=-1),
        lambda: propose_consortia([Candidate(1, "sme", "FR", 1.0)] * 2, ANY_SIZE),
        lambda: propose_consortia([], ANY_SIZE, alternatives=-1),
        lambda: propose_consortia([], ANY_SIZE, time_limit=-1.0),
        lambda: propose_consortia([], ANY_SIZE, member_cost=-0.1),
        lambda: propose_consortia([], ANY_SIZE, member_cost=float("nan")),
        lambda: propose_consortia([], ANY_SIZE, member_cost=float("inf")),
        lambda: propose_consortia([], ANY_SIZE, method=cast("Method", "exact")),
    ],
    ids=[
        "negative-score",
        "nan-score",
        "negative-minimum",
        "negative-limit",
        "duplicate-ids",
        "negative-alternatives",
        "negative-time",
        "negative-member-cost",
        "nan-member-cost",
        "infinite-member-cost",
        "unknown-method",
    ],
)
def test_invalid_values_raise_typed_error(build: Callable[[], object]) -> None:
    """Nonsensical scores, counts, ids or options raise InvalidConsortiumRequest."""
    with pytest.raises(InvalidConsortiumRequest):
        build()


def test_empty_request_gives_empty_feasible_proposal() -> None:
    """No candidates and no requirements: one empty, feasible proposal rather than an error."""
    proposals = propose_consortia([], Requirements(required={}, max_partners=5), alternatives=2)

    assert len(proposals) == 1
    assert proposals[0].members == ()
    assert proposals[0].feasible


def _call_with_extras() -> tuple[list[Candidate], Requirements]:
    """Two required types from two countries (0.9, 0.8) and three extras (0.7, 0.2, 0.1)."""
    candidates = [
        Candidate(1, "academia", "FR", 0.9),
        Candidate(2, "industry", "DE", 0.8),
        Candidate(3, "sme", "NL", 0.7),
        Candidate(4, "academia", "BE", 0.2),
        Candidate(5, "industry", "FR", 0.1),
    ]
    requirements = Requirements(
        required={"academia": 1, "industry": 1}, min_countries=2, max_partners=10
    )
    return candidates, requirements


@pytest.mark.parametrize("method", ["milp", "greedy"])
def test_member_cost_stops_proposal_where_relevance_stops(method: Method) -> None:
    """With a cost of 0.3 the limit of 10 is not a target: only the 0.7 extra joins the two."""
    candidates, requirements = _call_with_extras()

    padded = propose_consortia(candidates, requirements, method=method)[0]
    proposal = propose_consortia(candidates, requirements, member_cost=0.3, method=method)[0]

    assert padded.member_ids == {1, 2, 3, 4, 5}
    assert proposal.method == method
    assert proposal.feasible
    assert [(m.id, m.fills) for m in proposal.members] == [
        (1, "academia"),
        (2, "industry"),
        (3, FILLS_ADDITIONAL),
    ]
    assert proposal.total_score == pytest.approx(2.4)
    assert proposal.objective == pytest.approx(2.4 - 3 * 0.3)


@pytest.mark.parametrize("method", ["milp", "greedy"])
def test_member_cost_still_fills_required_places_below_cost(method: Method) -> None:
    """A 0.05 patient organisation and a 0.1 partner from a third country are still needed."""
    candidates, _ = _call_with_extras()
    candidates = [*candidates, Candidate(6, "patient_organisation", "FR", 0.05)]
    requirements = Requirements(
        required={"academia": 1, "industry": 1, "patient_organisation": 1},
        min_countries=3,
        max_partners=10,
    )

    proposal = propose_consortia(candidates, requirements, member_cost=0.75, method=method)[0]

    assert proposal.feasible
    assert [(m.id, m.fills) for m in proposal.members] == [
        (1, "academia"),
        (2, "industry"),
        (3, FILLS_COUNTRY),
        (6, "patient_organisation"),
    ]
    assert proposal.objective == pytest.approx(0.9 + 0.8 + 0.7 + 0.05 - 4 * 0.75)


@pytest.mark.parametrize("method", ["milp", "greedy"])
def test_member_cost_keeps_included_members_below_cost(method: Method) -> None:
    """Committed partners stay whatever their score; the cost only decides about the others."""
    candidates, requirements = _call_with_extras()

    proposal = propose_consortia(
        candidates, requirements, include={5}, member_cost=0.3, method=method
    )[0]

    assert [(m.id, m.included) for m in proposal.members] == [
        (5, True),
        (1, False),
        (2, False),
        (3, False),
    ]


@pytest.mark.parametrize("method", ["milp", "greedy"])
def test_member_cost_leaves_out_partner_made_redundant_by_later_ones(method: Method) -> None:
    """Greedy first takes the 0.6 partner, then two 0.5 ones each near it; it must drop it again.

    Costs 0.3 each, near-duplicate pairs (cosine 0.71) cost 0.25 * 0.71 = 0.18: {2, 3} scores
    0.4 against 0.35 for all three.
    """
    candidates = [
        Candidate(1, "academia", "FR", 0.6, vector=PALETTE[2]),
        Candidate(2, "academia", "FR", 0.5, vector=PALETTE[0]),
        Candidate(3, "academia", "FR", 0.5, vector=PALETTE[1]),
    ]
    requirements = Requirements(required={}, max_partners=3)

    proposal = propose_consortia(
        candidates, requirements, diversity_weight=0.25, member_cost=0.3, method=method
    )[0]

    assert proposal.member_ids == {2, 3}
    assert proposal.objective == pytest.approx(0.4)


@settings(DETERMINISTIC, max_examples=100)
@given(instance=instances(), larger_limit=st.integers(0, 5))
def test_with_member_cost_a_larger_limit_leaves_an_unfilled_proposal_alone(
    instance: Instance, larger_limit: int
) -> None:
    """A proposal below its limit does not change (in objective) when the limit grows."""
    if instance.member_cost == 0:
        return
    first = instance.propose(alternatives=0)[0]
    if first.shortfalls or len(first.members) >= instance.requirements.max_partners:
        return
    grown = Requirements(
        required=instance.requirements.required,
        min_countries=instance.requirements.min_countries,
        max_partners=instance.requirements.max_partners + larger_limit,
    )
    again = replace(instance, requirements=grown).propose(alternatives=0)[0]
    assert again.objective == pytest.approx(first.objective, abs=TOLERANCE)
