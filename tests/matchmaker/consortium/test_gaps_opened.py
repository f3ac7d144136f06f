"""What a member's departure leaves a draft lacking, in the words its owner's notice uses."""

from datetime import UTC, datetime

from matchmaker.consortium.gaps import gaps_opened
from models.call import Call
from models.common import StakeholderType
from models.organisation import Organisation


def _call(required: dict[str, int], *, min_countries: int = 2, verified: bool = False) -> Call:
    return Call(
        id=1,
        identifier="IHI-2027-03-01",
        title="Liver disease screening",
        programme="IHI",
        description="Early detection of liver disease.",
        required_stakeholders=required,
        min_countries=min_countries,
        max_partners=10,
        verified_types_required=verified,
    )


def _member(
    id: int, kind: StakeholderType, country: str, *, verified: bool = False
) -> Organisation:
    return Organisation(
        id=id,
        name=f"Member {id}",
        stakeholder_type=kind,
        country=country,
        description="",
        # When an admin verified its type; none for a new profile's.
        type_verified_at=datetime(2026, 11, 2, tzinfo=UTC) if verified else None,
    )


SME, REGULATOR = StakeholderType.sme, StakeholderType.regulator
SMES = [_member(1, SME, "NL"), _member(2, SME, "NL")]
REGULATORS = [_member(3, REGULATOR, "DE", verified=True), _member(4, REGULATOR, "FR")]


def test_only_the_requirements_the_departure_leaves_unmet_are_named() -> None:
    """A departing SME of the two required leaves "an SME" missing; a departing regulator opens
    nothing, as another stays and the two countries required are left, nor does an
    organisation that was not a member."""
    call = _call({"sme": 2, "regulator": 1})
    members = [*SMES, *REGULATORS]
    assert gaps_opened(call, members, leaving=2) == ["an SME"]
    assert gaps_opened(call, members, leaving=4) == []
    assert gaps_opened(call, members, leaving=99) == []


def test_a_gap_already_open_is_named_with_what_it_now_lacks_and_countries_with_the_count() -> None:
    """A draft already short of SMEs lacks two once one more leaves; one leaving the draft
    with fewer countries than the call requires names them, and how many are left."""
    call = _call({"sme": 3}, min_countries=3)
    members = [_member(1, SME, "NL"), _member(2, SME, "BE")]
    assert gaps_opened(call, members, leaving=2) == [
        "2 SMEs",
        "members from 3 countries (now 1)",
    ]


def test_with_verified_types_required_an_unverified_member_leaving_opens_nothing() -> None:
    """Where the call counts only verified regulators, the verified one leaving opens the gap
    although an unverified regulator stays, and the unverified one leaving opens none."""
    call = _call({"regulator": 1}, verified=True)
    members = [*SMES, *REGULATORS]
    assert gaps_opened(call, members, leaving=3) == ["a regulator"]
    assert gaps_opened(call, members, leaving=4) == []
