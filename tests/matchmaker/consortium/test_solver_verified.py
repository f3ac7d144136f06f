"""The solver with verified types: unverified candidates fill no place of a type that only
verified members fill, and the shortfall names them."""

import pytest

from matchmaker.consortium.solver import Candidate, Method, Requirements, propose_consortia

IMPOSTOR = Candidate(1, "regulator", "NL", 0.9, verified=False)
UNIVERSITY = Candidate(2, "academia", "DE", 0.5)
AGENCY = Candidate(3, "regulator", "FR", 0.2, verified=True)


def requirements(verified_types: frozenset[str]) -> Requirements:
    """One regulator and one academic partner from two countries, at most three partners."""
    return Requirements(
        required={"regulator": 1, "academia": 1},
        min_countries=2,
        max_partners=3,
        verified_types=verified_types,
    )


@pytest.mark.parametrize("method", ["milp", "greedy"])
def test_unverified_candidates_fill_no_verified_place_and_are_named(method: Method) -> None:
    """Without a verified regulator the proposal falls short and names the impostor; with one,
    the verified agency fills the place and the impostor is at most an additional partner."""
    [short] = propose_consortia(
        [IMPOSTOR, UNIVERSITY], requirements(frozenset({"regulator"})), method=method
    )
    assert not short.feasible
    [shortfall] = short.shortfalls
    assert (shortfall.stakeholder_type, shortfall.needed, shortfall.achieved) == ("regulator", 1, 0)
    assert shortfall.message == "Needs 1 verified regulator; no verified candidate exists."
    assert shortfall.unverified == (1,)

    [met] = propose_consortia(
        [IMPOSTOR, UNIVERSITY, AGENCY], requirements(frozenset({"regulator"})), method=method
    )
    assert met.feasible
    fills = {member.id: member.fills for member in met.members}
    assert fills[3] == "regulator"
    assert fills.get(1) in (None, "additional partner", "country coverage")


def test_without_verified_types_every_candidate_counts_as_declared() -> None:
    """A call that requires no verification counts the impostor as a regulator."""
    [proposal] = propose_consortia([IMPOSTOR, UNIVERSITY], requirements(frozenset()))
    assert proposal.feasible
    assert {member.id: member.fills for member in proposal.members} == {
        1: "regulator",
        2: "academia",
    }


def test_an_included_unverified_candidate_is_a_member_that_fills_no_verified_place() -> None:
    """Including the impostor keeps it in the consortium without filling the regulator place."""
    [proposal] = propose_consortia(
        [IMPOSTOR, UNIVERSITY], requirements(frozenset({"regulator"})), include=[1]
    )
    fills = {member.id: member.fills for member in proposal.members}
    assert fills[1] != "regulator"
    assert [s.stakeholder_type for s in proposal.shortfalls] == ["regulator"]
