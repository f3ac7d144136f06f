"""Whether an organisation fits a partner request, and why not in words: the one answer every
page, list and notification reads (`matchmaker.partnering.requests.request_fit`)."""

from matchmaker.partnering.requests import request_fit
from models.common import StakeholderType
from models.organisation import Organisation
from models.partnering import PartnerRequest


def organisation(stakeholder_type: str, country: str) -> Organisation:
    """A profile of a type in a country, as stored."""
    return Organisation(
        name="Patients Belgium",
        stakeholder_type=StakeholderType(stakeholder_type),
        country=country,
        description="",
    )


def request(types: list[str], countries: list[str]) -> PartnerRequest:
    """A request seeking these types from these countries (empty: any)."""
    return PartnerRequest(
        call_id=1, organisation_id=2, stakeholder_types=types, countries=countries
    )


BELGIAN_PATIENTS = organisation("patient_organisation", "BE")


def test_a_request_seeking_no_type_or_country_fits_anyone() -> None:
    """Empty lists seek any type and any country."""
    fit = request_fit(request([], []), BELGIAN_PATIENTS)
    assert (fit.fits, fit.why_not) == (True, "")


def test_a_request_from_elsewhere_says_where_it_seeks_and_where_yours_is() -> None:
    """The Berlin demo request seeks patient organisations from Germany: a Belgian one is of
    the type sought but not from a country sought, said by the countries' names."""
    fit = request_fit(request(["patient_organisation"], ["DE"]), BELGIAN_PATIENTS)
    assert fit.fits is False
    assert fit.why_not == "It seeks partners from Germany; yours is in Belgium."
    german = organisation("patient_organisation", "DE")
    assert request_fit(request(["patient_organisation"], ["DE"]), german).fits is True


def test_a_request_of_other_types_names_them_and_yours() -> None:
    """Types as a sentence says them, the choices joined with "or", and both reasons when both
    miss."""
    fit = request_fit(request(["sme", "academia"], ["NL", "DE"]), BELGIAN_PATIENTS)
    assert fit.fits is False
    assert fit.why_not == (
        "It seeks academic partners or SMEs; yours is a patient organisation. "
        "It seeks partners from Germany or Netherlands; yours is in Belgium."
    )
