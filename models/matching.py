"""Schemas of matching answers: suggestions, call matches and free-text search."""

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from models import examples as ex
from models.call import CALL_FIELDS, CallStatus
from models.common import CountryCode, Int, StakeholderType, text
from models.organisation import OrganisationSummary


class MatchedTerm(BaseModel):
    """A term the query and the result share, with its contribution to the score."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.MATCHED_TERM))

    term: str = Field(description="A term (word or two-word phrase) both texts contain.")
    weight: float = Field(description="Its share of the text similarity.")


class PastProject(BaseModel):
    """A past project of the suggested organisation that is close to the text."""

    title: str = Field(description="The project's title.")
    url: str | None = Field(
        default=None, description="The project's page, when the profile gives one."
    )
    cosine: float = Field(description="Cosine of the project's text with the text matched.")


class Reason(BaseModel):
    """One signal behind a suggestion's score: the evidence, how much it moves the score, and
    why, in a sentence."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.REASON))

    signal: Literal[
        "text_similarity", "track_record", "similar_projects", "past_partners", "freshness"
    ] = Field(
        description="text_similarity: cosine of the TF-IDF vectors of the text and the "
        "profile; track_record: distinct past projects or activities in the profile; "
        "similar_projects: the organisation's past projects among the 150 closest to the "
        "text; past_partners: past projects shared with the draft's members (suggestions "
        "for a draft only); freshness: the profile was last confirmed as current longer ago "
        "than the service's stale period (stale profiles only)."
    )
    value: float = Field(
        description="The evidence: the cosine (0 to 1), a number of past projects or "
        "activities, (similar_projects) the sum of the cosines of the close past projects, or "
        "(freshness) the days since the profile was last confirmed."
    )
    factor: float = Field(
        description="How much this signal multiplies the odds of a fit: for text_similarity "
        "the cosine's whole part (at most 1); for freshness 0.9; for the others at least 1 "
        "and at most a documented cap (docs/matching.md)."
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

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.SUGGESTION))

    organisation: OrganisationSummary = Field(description="The organisation suggested.")
    score: float = Field(ge=0, le=1, description="How well it fits, from 0 to 1.")
    matched_terms: list[MatchedTerm] = Field(
        description="The terms it shares with the text, heaviest first."
    )
    reasons: list[Reason] = Field(description="Every factor of the score, with its evidence.")


class Suggestions(BaseModel):
    """Suggestions, best first."""

    items: list[Suggestion] = Field(description="The suggestions, best first.")
    available: int | None = Field(
        default=None,
        description="How many organisations pass the filters asked for (stakeholder type, "
        "country; for a draft, not its members), whether or not they share a term with the "
        "text: the length of the whole ranking when a stakeholder type is asked for; without "
        "one only those sharing a term are listed, so the ranking can end sooner.",
    )


class CallSummary(BaseModel):
    """The fields that identify a call in a list of matches."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra=ex.examples(ex.CALL_SUMMARY))

    id: int = Field(description=CALL_FIELDS["id"])
    identifier: str = Field(description=CALL_FIELDS["identifier"])
    title: str = Field(description=CALL_FIELDS["title"])
    programme: str | None = Field(description=CALL_FIELDS["programme"])
    deadline: date | None = Field(description=CALL_FIELDS["deadline"])
    status: CallStatus = Field(description=CALL_FIELDS["status"])


class CallMatch(BaseModel):
    """A call that fits an organisation, with why."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.CALL_MATCH))

    call: CallSummary = Field(description="The call.")
    score: float = Field(description="How well the organisation fits the call, from 0 to 1.")
    matched_terms: list[MatchedTerm] = Field(
        description="The terms the call and the profile share, heaviest first."
    )


class CallMatches(BaseModel):
    """Calls, best fit first."""

    items: list[CallMatch] = Field(description="The calls, best fit first.")


# Ranking past the first thousand results tells nobody anything and costs an explanation each.
MAX_MATCH_OFFSET = 1000
OFFSET_DESCRIPTION = (
    f"How many of the best results to skip (the next page), at most {MAX_MATCH_OFFSET}."
)

# A module-level alias: inside the class, the field `text` would hide the rule `text`.
SearchText = Annotated[str, text(50_000, min_length=1)]


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
                    "offset": 0,
                }
            ]
        },
    )

    text: SearchText = Field(
        description="The text to match organisations against: a call's scope, an abstract, a "
        "few words."
    )
    stakeholder_type: Annotated[list[StakeholderType], Field(max_length=8)] = Field(
        default=[], description="Only these stakeholder types."
    )
    country: Annotated[list[CountryCode], Field(max_length=250)] = Field(
        default=[], description="Only these countries (ISO 3166-1 alpha-2 codes)."
    )
    limit: Annotated[Int, Field(ge=1, le=200)] = Field(
        default=20, description="How many suggestions, at most 200."
    )
    offset: Annotated[Int, Field(ge=0, le=MAX_MATCH_OFFSET)] = Field(
        default=0, description=OFFSET_DESCRIPTION
    )


class RefitStarted(BaseModel):
    """Whether a background refit was started (false: one is already running)."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.REFIT))

    started: bool = Field(
        description="Whether a refit started now (false: one is already running)."
    )
