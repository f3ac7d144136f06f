"""A gap candidate's reasons add up to the score a page shows."""

import re

from hypothesis import given
from hypothesis import strategies as st

from matchmaker.consortium.proposals import NEW_COUNTRY_BONUS, PAST_PARTNER_BONUS, _with_bonuses
from matchmaker.matching.postings import Match, MatchedTerm

SHARED = (MatchedTerm("gait", 0.3),)
FIT = re.compile(r"^Fits the call \((\d+)%\)$")
POINTS = re.compile(r": \+(\d+) points?$|: under 1 point$")


def test_a_bonus_names_the_points_it_adds() -> None:
    """At a fit of 60% a new country closes 5% of the remaining 40%: two points."""
    match = Match(7, 0.6, SHARED)
    score, reasons = _with_bonuses(match, [("Brings a new country (AT)", NEW_COUNTRY_BONUS)])
    assert reasons == ["Fits the call (60%)", "Brings a new country (AT): +2 points"]
    assert score == 0.62


def test_a_bonus_worth_less_than_a_point_says_so() -> None:
    """At 99% the same bonus adds 0.05 points: "under 1 point", not a "+0" or nothing."""
    match = Match(7, 0.99, SHARED)
    score, reasons = _with_bonuses(match, [("Brings a new country (AT)", NEW_COUNTRY_BONUS)])
    assert reasons == ["Fits the call (99%)", "Brings a new country (AT): under 1 point"]
    assert score == 0.9905


@given(
    fit=st.floats(min_value=0.0, max_value=1.0),
    country=st.booleans(),
    partners=st.integers(min_value=0, max_value=3),
)
def test_shown_fit_plus_shown_points_is_the_shown_score(
    fit: float, country: bool, partners: int
) -> None:
    """Whatever the fit and bonuses, the percentages and points a reader adds up give the
    score's percentage (the bar beside them)."""
    bonuses = [("Brings a new country (AT)", NEW_COUNTRY_BONUS)] if country else []
    if partners:
        bonuses.append(("Lists a past project also listed by A", PAST_PARTNER_BONUS * partners))
    score, reasons = _with_bonuses(Match(1, fit, SHARED), bonuses)
    total = sum(share for _, share in bonuses)
    assert abs(score - (1.0 - (1.0 - fit) * (1.0 - total))) <= 1e-6
    first = FIT.match(reasons[0])
    assert first is not None
    found = [POINTS.search(reason) for reason in reasons[1:]]
    assert all(found), reasons
    points = [int(each.group(1) or 0) for each in found if each is not None]
    assert int(first.group(1)) + sum(points) == round(100 * score)
    assert len(reasons) == 1 + len(bonuses)
