"""Partner suggestions, fitting calls, similar organisations and free-text search."""

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import (
    ActorDep,
    IdPath,
    MatchingDep,
    MatchLimit,
    MatchOffset,
    ReadSessionDep,
    SessionDep,
)
from api.errors import problem_responses
from api.openapi import PUBLIC, READS_ONLY, security
from matchmaker.consortium import proposals
from matchmaker.matching import suggestions as service
from models.apikey import KeyRole
from models.call import CallStatus
from models.common import CountryCode, Id, StakeholderType, utc_today
from models.consortium import ProposalRequest, Proposals
from models.matching import CallMatches, SearchRequest, Suggestions

router = APIRouter(tags=["matching"])


TypeFilter = Annotated[
    list[StakeholderType], Query(description="Only these stakeholder types (may repeat).")
]
CountryFilter = Annotated[
    list[CountryCode], Query(description="Only these countries (may repeat).")
]


@router.get(
    "/calls/{call_id}/suggestions",
    openapi_extra=security(KeyRole.organisation, KeyRole.admin, optional=True),
    response_model=Suggestions,
    responses=problem_responses(
        401,
        403,
        404,
        when={
            401: "`missing_for` was sent without a key, or the key sent is wrong or revoked "
            "(without `missing_for`, the suggestions need no key).",
            403: "`missing_for` was sent with a key that is not an organisation's or an "
            "admin's (a publisher's, say).",
            404: "There is no call with this `call_id`, or `missing_for` names no draft your "
            "key may see (another organisation's reads the same); `detail` says which.",
        },
    ),
)
def list_call_suggestions(
    call_id: IdPath,
    session: SessionDep,
    matching: MatchingDep,
    actor: ActorDep,
    stakeholder_type: TypeFilter = [],  # noqa: B006
    country: CountryFilter = [],  # noqa: B006
    limit: MatchLimit = 20,
    offset: MatchOffset = 0,
    missing_for: Annotated[
        Id | None,
        Query(
            description="The id of your draft for this call (send its organisation's key): only "
            "the stakeholder types, or failing that the countries, it still needs, and none of "
            "its members. Without a key it is 401, with a publisher's key 403; another "
            "organisation's draft is 404, as a missing one; a draft for another call is 422."
        ),
    ] = None,
) -> Suggestions:
    """Organisations that best fit a call, best first, with the terms they share and why.

    Ranked mostly by text similarity, with bounded evidence from the track record, similar
    past projects and (with `missing_for`) past projects with the draft's members; each
    suggestion's reasons give every factor of its score. Filtered to a stakeholder type,
    organisations of that type that share no term with the call follow the others.
    `available` says how many organisations pass the filters: with a stakeholder type, the
    length of the whole ranking; without one, only those sharing a term with the call are
    listed, so the ranking can end sooner. `offset` pages through the ranking.
    """
    found, available = service.suggestions_for_call(
        session,
        matching,
        call_id=call_id,
        stakeholder_types=stakeholder_type,
        countries=country,
        limit=limit,
        offset=offset,
        missing_for=missing_for,
        actor=actor,
    )
    return service.suggestions(found, subject="the call", available=available)


@router.post(
    "/calls/{call_id}/consortium",
    openapi_extra=PUBLIC | READS_ONLY,
    response_model=Proposals,
    responses=problem_responses(404, 413, 422),
)
def propose_consortium(
    call_id: IdPath,
    session: ReadSessionDep,
    matching: MatchingDep,
    data: ProposalRequest | None = None,
) -> Proposals:
    """Propose the consortium that meets the call's requirements with the most relevance.

    Nothing is stored. `include` organisations are always in, `exclude` ones never; with
    `alternatives` the next-best consortia follow, each differing in at least one member.
    When a requirement cannot be met, the best partial consortium comes back with the
    shortfalls that say which requirement fails and why.
    """
    return proposals.propose_for_call(
        session, matching, call_id=call_id, request=data or ProposalRequest()
    )


@router.post(
    "/search",
    openapi_extra=PUBLIC | READS_ONLY,
    response_model=Suggestions,
    responses=problem_responses(413, 422),
)
def search_organisations(
    data: SearchRequest, session: ReadSessionDep, matching: MatchingDep
) -> Suggestions:
    """Organisations that best fit a free text, with the same filters, paging (`limit`,
    `offset`) and `available` as suggestions."""
    found = service.search_organisations(
        session,
        matching,
        text=data.text,
        stakeholder_types=data.stakeholder_type,
        countries=data.country,
        limit=data.limit,
        offset=data.offset,
    )
    available = service.available(
        matching, stakeholder_types=data.stakeholder_type, countries=data.country
    )
    return service.suggestions(found, subject="the search", available=available)


@router.get(
    "/organisations/{organisation_id}/similar",
    openapi_extra=PUBLIC,
    response_model=Suggestions,
    responses=problem_responses(404),
)
def list_similar_organisations(
    organisation_id: IdPath,
    session: SessionDep,
    matching: MatchingDep,
    stakeholder_type: TypeFilter = [],  # noqa: B006
    country: CountryFilter = [],  # noqa: B006
    limit: MatchLimit = 20,
    offset: MatchOffset = 0,
) -> Suggestions:
    """Organisations whose expertise is most like this one's (those sharing a term with it),
    with `available` as in suggestions; `offset` pages through them."""
    found = service.similar_organisations(
        session,
        matching,
        organisation_id=organisation_id,
        stakeholder_types=stakeholder_type,
        countries=country,
        limit=limit,
        offset=offset,
    )
    available = service.available(
        matching,
        stakeholder_types=stakeholder_type,
        countries=country,
        exclude_ids=[organisation_id],
    )
    return service.suggestions(found, subject="this organisation", available=available)


@router.get(
    "/organisations/{organisation_id}/calls",
    openapi_extra=PUBLIC,
    response_model=CallMatches,
    responses=problem_responses(404),
)
def list_organisation_calls(
    organisation_id: IdPath,
    session: SessionDep,
    matching: MatchingDep,
    status: Annotated[
        list[CallStatus], Query(description="Only calls with these statuses (may repeat).")
    ] = [],  # noqa: B006
    limit: MatchLimit = 20,
    offset: MatchOffset = 0,
) -> CallMatches:
    """The calls whose scope best fits this organisation's expertise; `offset` pages."""
    today = utc_today()
    found = service.calls_for_organisation(
        session,
        matching,
        organisation_id=organisation_id,
        statuses=status,
        today=today,
        limit=limit,
        offset=offset,
    )
    return service.call_matches(found, today=today)
