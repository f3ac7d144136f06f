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
    url: str | None = Field(
        default=None, description="The project's page, when the profile gives one."
    )
    cosine: float = Field(description="Cosine of the project's text with the text matched.")


class Reason(BaseModel):
    """One signal behind a suggestion's score: the evidence, how much it moves the score, and
    why, in a sentence."""

    signal: Literal["text_similarity", "track_record", "similar_projects", "past_partners"] = Field(
        description="text_similarity: cosine of the TF-IDF vectors of the text and the "
        "profile; track_record: distinct past projects or activities in the profile; "
        "similar_projects: the organisation's past projects among the 150 closest to the "
        "text; past_partners: past projects shared with the draft's members (suggestions "
        "for a draft only)."
    )
    value: float = Field(
        description="The evidence: the cosine (0 to 1), a number of past projects or "
        "activities, or (similar_projects) the sum of the cosines of the close past projects."
    )
    factor: float = Field(
        description="How much this signal multiplies the odds of a fit: for text_similarity "
        "the cosine's whole part (at most 1); for the others at least 1 and at most a "
        "documented cap (docs/matching.md)."
    )
    detail: str = Field(description="The reason in a sentence.")
    organisation_ids: list[int] = Field(
        default=[], description="For past_partners: the draft members it worked with."
    )
    projects: list[PastProject] = Field(
        default=[], description="For similar_projects: the close past projects, closest first."
    )


class Suggestion(BaseModel):
    """An organisation suggested for a call or a text, with why.

    `score` is in [0, 1] and reads as how well the organisation fits: a logistic model in
    which the text similarity dominates and the track record, similar past projects and (for
    a draft) past partnerships each multiply the odds by a bounded factor (docs/matching.md).
    An organisation that shares no term with the text is offered only when a stakeholder type
    is asked for, after those that do, with the reason "Shares no terms".
    """

    organisation: OrganisationSummary
    score: float = Field(ge=0, le=1, description="How well it fits, from 0 to 1.")
    matched_terms: list[MatchedTerm]
    reasons: list[Reason]


class Suggestions(BaseModel):
    """Suggestions, best first."""

    items: list[Suggestion]
    available: int | None = Field(
        default=None,
        description="For a call's suggestions: how many organisations pass the filters asked "
        "for (of a stakeholder type, say), the most this list could hold.",
    )


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
