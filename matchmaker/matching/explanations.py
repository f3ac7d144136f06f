"""Matches explained as the API shows them: shared terms, reasons in sentences, and the past
projects a reason names, turned into the response schemas in this one place."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from matchmaker.matching.past_projects import activity_key, key_hash
from matchmaker.matching.scoring import SIMILAR_PROJECTS, RankedMatch, Reason
from matchmaker.matching.text_index import Match, MatchedTerm
from models import matching as schemas
from models.call import Call, call_status
from models.organisation import Organisation, OrganisationSummary

# Weights and scores are rounded in answers: more digits say nothing a person can use.
DIGITS = 6


def matched_terms(terms: Iterable[MatchedTerm]) -> list[schemas.MatchedTerm]:
    """The shared terms of a match as the API shows them."""
    return [schemas.MatchedTerm(term=t.term, weight=round(t.weight, DIGITS)) for t in terms]


@dataclass(frozen=True, slots=True)
class PastProject:
    """One of a suggested organisation's past projects that is close to the text."""

    title: str
    url: str
    cosine: float


def past_projects(organisation: Organisation, reason: Reason) -> list[PastProject]:
    """The projects a similar-projects reason refers to, named from the profile, closest first."""
    if not reason.projects:
        return []
    listed: dict[int, tuple[str, str]] = {}
    for activity in organisation.activities:
        if key := activity_key(activity):
            listed.setdefault(key_hash(key), (str(activity.get("title") or ""), key))
    return [
        PastProject(title=listed[key][0], url=listed[key][1], cosine=cosine)
        for key, cosine in reason.projects
        if key in listed
    ]


def reason_sentence(reason: Reason, projects: Sequence[PastProject]) -> str:
    """A reason's sentence; for similar projects, with the titles of `projects` (its own, from
    `past_projects`)."""
    if reason.signal != SIMILAR_PROJECTS or not projects:
        return reason.detail
    named = "; ".join(f"'{p.title}' (cosine {p.cosine:.2f})" for p in projects[:2])
    more = f" and {len(projects) - 2} more" if len(projects) > 2 else ""
    return f"past projects close to the text: {named}{more} (x{reason.factor:.2f})"


def reasons(organisation: Organisation, match: RankedMatch) -> list[schemas.Reason]:
    """A ranked match's reasons as the API shows them, past projects named from the profile."""
    shown = []
    for reason in match.reasons:
        projects = past_projects(organisation, reason)
        shown.append(
            schemas.Reason(
                signal=reason.signal,
                value=round(reason.value, DIGITS),
                factor=round(reason.factor, DIGITS),
                detail=reason_sentence(reason, projects),
                organisation_ids=list(reason.organisation_ids),
                projects=[
                    schemas.PastProject(title=p.title, url=p.url, cosine=round(p.cosine, DIGITS))
                    for p in projects
                ],
            )
        )
    return shown


def suggestion(organisation: Organisation, match: RankedMatch) -> schemas.Suggestion:
    """One suggested organisation with its score, shared terms and reasons."""
    return schemas.Suggestion(
        organisation=OrganisationSummary.model_validate(organisation),
        score=round(match.score, DIGITS),
        matched_terms=matched_terms(match.matched_terms),
        reasons=reasons(organisation, match),
    )


def call_summary(call: Call, *, today: date) -> schemas.CallSummary:
    """A call's identifying fields with its status as of today."""
    return schemas.CallSummary(
        id=call.id,
        identifier=call.identifier,
        title=call.title,
        programme=call.programme,
        deadline=call.deadline,
        status=call_status(call.opening_date, call.deadline, today),
    )


def call_match(call: Call, match: Match, *, today: date) -> schemas.CallMatch:
    """One fitting call with its score and shared terms."""
    return schemas.CallMatch(
        call=call_summary(call, today=today),
        score=round(match.score, DIGITS),
        matched_terms=matched_terms(match.matched_terms),
    )
