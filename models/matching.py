"""Schemas of matching answers: suggestions, call matches and free-text search."""

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from models.call import CallStatus
from models.common import CountryCode, StakeholderType, text
from models.organisation import OrganisationSummary


class MatchedTerm(BaseModel):
    """A term the query and the result share, with its contribution to the score."""

    term: str
    weight: float


class PastProject(BaseModel):
    """A past project of the suggested organisation that is close to the text."""

    title: str
    url: str
    cosine: float = Field(description="Cosine of the project's text with the text matched.")


class Reason(BaseModel):
    """One signal behind a suggestion's score: the evidence, its factor in the score, and why."""

    signal: Literal["text_similarity", "track_record", "similar_projects", "past_partners"] = Field(
        description="text_similarity: cosine of the TF-IDF vectors of the text and the "
        "profile; track_record: past projects or activities in the profile; "
        "similar_projects: the organisation's past projects among the 150 closest to the "
        "text; past_partners: past projects shared with the draft's members (suggestions "
        "for a draft only)."
    )
    value: float = Field(
        description="The evidence: the cosine, a number of past projects or activities, or "
        "(similar_projects) the sum of the cosines of the close past projects."
    )
    factor: float = Field(description="What this signal multiplies the score by.")
    detail: str = Field(description="The reason in words.")
    organisation_ids: list[int] = Field(
        default=[], description="For past_partners: the draft members it worked with."
    )
    projects: list[PastProject] = Field(
        default=[], description="For similar_projects: the close past projects, closest first."
    )


class Suggestion(BaseModel):
    """An organisation suggested for a call or a text, with why.

    `score` is the product of the reasons' factors: text similarity (0 to 1) times the
    track-record factor (1 with no past activity, growing with their number's fourth root),
    times the similar-projects factor (1 with no past project among those closest to the
    text), times, for a draft, the past-partner factor.
    """

    organisation: OrganisationSummary
    score: float
    matched_terms: list[MatchedTerm]
    reasons: list[Reason]


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

    text: Annotated[str, text(50_000, min_length=1)]
    stakeholder_type: Annotated[list[StakeholderType], Field(max_length=8)] = []
    country: Annotated[list[CountryCode], Field(max_length=250)] = []
    limit: Annotated[int, Field(ge=1, le=200)] = 20


class RefitStarted(BaseModel):
    """Whether a background refit was started (false: one is already running)."""

    started: bool
