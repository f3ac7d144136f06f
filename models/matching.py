"""Schemas of matching answers: suggestions, call matches and free-text search."""

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from models.call import CallStatus
from models.common import CountryCode, StakeholderType, text
from models.organisation import OrganisationSummary


class MatchedTerm(BaseModel):
    """A term the query and the result share, with its contribution to the score."""

    term: str
    weight: float


class Suggestion(BaseModel):
    """An organisation suggested for a call or a text, with why."""

    organisation: OrganisationSummary
    score: float
    matched_terms: list[MatchedTerm]


class Suggestions(BaseModel):
    """Suggestions, best first."""

    items: list[Suggestion]


class CallSummary(BaseModel):
    """The fields that identify a call in a list of matches."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    identifier: str
    title: str
    programme: str | None
    deadline: date | None
    status: CallStatus


class CallMatch(BaseModel):
    """A call that fits an organisation, with why."""

    call: CallSummary
    score: float
    matched_terms: list[MatchedTerm]


class CallMatches(BaseModel):
    """Calls, best fit first."""

    items: list[CallMatch]


class SearchRequest(BaseModel):
    """Free text to match organisations against, with the same filters as suggestions."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "text": "patient-reported outcomes in rare diseases",
                    "stakeholder_type": ["patient_organisation", "sme"],
                    "limit": 10,
                }
            ]
        },
    )

    text: text(50_000, min_length=1)
    stakeholder_type: Annotated[list[StakeholderType], Field(max_length=8)] = []
    country: Annotated[list[CountryCode], Field(max_length=250)] = []
    limit: Annotated[int, Field(ge=1, le=200)] = 20


class RefitStarted(BaseModel):
    """Whether a background refit was started (false: one is already running)."""

    started: bool
