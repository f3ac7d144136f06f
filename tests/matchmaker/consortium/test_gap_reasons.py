"""A gap candidate's reasons add up to the score a page shows."""

import math
import re

from hypothesis import given
from hypothesis import strategies as st

from matchmaker.consortium.gaps import NEW_COUNTRY_BONUS, _with_bonuses
from matchmaker.matching.postings import Match, MatchedTerm
from matchmaker.wording import whole_percent

SHARED = (MatchedTerm("gait", 0.3),)
FIT = re.compile(r"^Fits the call \((<1|>99|\d+)%\)$")
# What a reader adds up for a fit shown as "<1%" or ">99%": the whole percent it rounds to.
READ_AS = {"<1": 0, ">99": 100}
POINTS = re.compile(r": \+(\d+) points?$|: under 1 point$")


def test_a_bonus_names_the_points_it_adds() -> None:
    """At a fit of 12% (odds 0.136) a new country multiplies the odds by 1.25 (0.170): 14.6%,
    three points."""
    match = Match(7, 0.12, SHARED)
    score, reasons = _with_bonuses(match, [("Brings a new country (Austria)", NEW_COUNTRY_BONUS)])
    assert reasons == ["Fits the call (12%)", "Brings a new country (Austria): +3 points"]
    assert score == round(0.12 * 1.25 / (0.88 + 0.12 * 1.25), 6)


def test_a_bonus_worth_less_than_a_point_says_so() -> None:
    """At 0.4% the same bonus adds 0.1 points: "under 1 point", not a "+0" or nothing; the fit
    reads "<1%" as the score bars do, not "0%"."""
    match = Match(7, 0.004, SHARED)
    score, reasons = _with_bonuses(match, [("Brings a new country (Austria)", NEW_COUNTRY_BONUS)])
    assert reasons == ["Fits the call (<1%)", "Brings a new country (Austria): under 1 point"]
    assert score == round(0.004 * 1.25 / (0.996 + 0.004 * 1.25), 6)


@given(
    fit=st.floats(min_value=0.0, max_value=1.0),
    country=st.booleans(),
    partners=st.floats(min_value=1.0, max_value=7.0),
)
def test_shown_fit_plus_shown_points_is_the_shown_score(
    fit: float, country: bool, partners: float
) -> None:
    """Whatever the fit and bonuses, the percentages and points a reader adds up give the
    score's percentage (the bar beside them)."""
    bonuses = [("Brings a new country (Austria)", NEW_COUNTRY_BONUS)] if country else []
    if partners > 1.0:
        # What past projects shared with the draft's members multiply the odds by.
        bonuses.append(("Lists a past project also listed by A", partners))
    score, reasons = _with_bonuses(Match(1, fit, SHARED), bonuses)
    factor = math.prod(bonus for _, bonus in bonuses)
    # The odds times the bonuses' factors: fit x f / (1 - fit + fit x f).
    assert abs(score - fit * factor / (1.0 - fit + fit * factor)) <= 1e-6
    first = FIT.match(reasons[0])
    assert first is not None
    found = [POINTS.search(reason) for reason in reasons[1:]]
    assert all(found), reasons
    points = [int(each.group(1) or 0) for each in found if each is not None]
    shown = first.group(1)
    fit_points = READ_AS[shown] if shown in READ_AS else int(shown)
    assert fit_points + sum(points) == whole_percent(score)
    assert len(reasons) == 1 + len(bonuses)
