"""Consortium drafts over HTTP: the draft, its members, and what it still lacks."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from sqlmodel import Session

from api.deps import (
    ActorDep,
    IdPath,
    IfMatch,
    Limit,
    MatchingDep,
    Offset,
    SessionDep,
    WriterDep,
    paginated,
    set_etag,
)
from api.errors import problem_responses
from api.openapi import created_at_location, security
from matchmaker.consortium import drafts as service
from matchmaker.consortium import gaps
from models.apikey import KeyRole
from models.common import Id, Page
from models.consortium import (
    Consortium,
    ConsortiumCreate,
    ConsortiumPublic,
    ConsortiumUpdate,
    Eligibility,
    Gaps,
    MemberRole,
)

router = APIRouter(prefix="/consortia", tags=["consortia"])


def _answer(session: Session, consortium: Consortium, response: Response) -> ConsortiumPublic:
    set_etag(response, consortium.version)
    return service.to_public(session, consortium)


@router.post(
    "",
    openapi_extra=security(KeyRole.organisation),
    status_code=status.HTTP_201_CREATED,
    response_model=ConsortiumPublic,
    responses={**problem_responses(401, 403, 413, 422, 429), **created_at_location()},
)
def create_consortium(
    data: ConsortiumCreate, session: SessionDep, response: Response, actor: WriterDep
) -> ConsortiumPublic:
    """Start a draft for a call with your organisation's key; only you and admins see it."""
    consortium = service.create_consortium(session, data=data, actor=actor)
    response.headers["Location"] = f"/consortia/{consortium.id}"
    return _answer(session, consortium, response)


@router.get(
    "",
    openapi_extra=security(KeyRole.organisation, KeyRole.admin),
    response_model=Page[ConsortiumPublic],
    responses=problem_responses(401, 422),
)
def list_consortia(
    request: Request,
    response: Response,
    session: SessionDep,
    actor: ActorDep,
    limit: Limit = 50,
    offset: Offset = 0,
    call_id: Annotated[Id | None, Query(description="Only drafts for this call.")] = None,
) -> Page[ConsortiumPublic]:
    """List your drafts (an admin sees all), optionally only those for one call."""
    drafts, total = service.list_consortia(
        session, actor=actor, call_id=call_id, limit=limit, offset=offset
    )
    return paginated(
        request,
        response,
        (service.to_public_many(session, drafts), total),
        lambda draft: draft,
        limit=limit,
        offset=offset,
    )


@router.get(
    "/{consortium_id}",
    openapi_extra=security(KeyRole.organisation, KeyRole.admin),
    response_model=ConsortiumPublic,
    responses=problem_responses(401, 403, 404),
)
def read_consortium(
    consortium_id: IdPath, session: SessionDep, response: Response, actor: ActorDep
) -> ConsortiumPublic:
    """Read your draft with its members; its version is the ETag."""
    consortium = service.get_consortium(session, consortium_id=consortium_id, actor=actor)
    return _answer(session, consortium, response)


@router.patch(
    "/{consortium_id}",
    openapi_extra=security(KeyRole.organisation, KeyRole.admin),
    response_model=ConsortiumPublic,
    responses=problem_responses(401, 403, 404, 412, 413, 422, 429),
)
def update_consortium(
    consortium_id: IdPath,
    data: ConsortiumUpdate,
    session: SessionDep,
    response: Response,
    if_match: IfMatch,
    actor: WriterDep,
) -> ConsortiumPublic:
    """Rename your draft or move it to another call."""
    consortium = service.update_consortium(
        session, consortium_id=consortium_id, data=data, actor=actor, expected_version=if_match
    )
    return _answer(session, consortium, response)


@router.delete(
    "/{consortium_id}",
    openapi_extra=security(KeyRole.organisation, KeyRole.admin),
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 412, 429),
)
def delete_consortium(
    consortium_id: IdPath, session: SessionDep, if_match: IfMatch, actor: WriterDep
) -> None:
    """Delete your draft (the organisations in it stay)."""
    service.delete_consortium(
        session, consortium_id=consortium_id, actor=actor, expected_version=if_match
    )


@router.put(
    "/{consortium_id}/members/{organisation_id}",
    openapi_extra=security(KeyRole.organisation, KeyRole.admin),
    response_model=ConsortiumPublic,
    responses=problem_responses(401, 403, 404, 409, 412, 422, 429),
)
def put_consortium_member(
    consortium_id: IdPath,
    organisation_id: IdPath,
    session: SessionDep,
    response: Response,
    if_match: IfMatch,
    actor: WriterDep,
    data: MemberRole | None = None,
) -> ConsortiumPublic:
    """Add an organisation to the draft, or change its role; a new coordinator demotes the old
    (the coordinator is never made a partner otherwise: 409). A draft holding 200 members
    takes no more (409)."""
    consortium = service.put_member(
        session,
        consortium_id=consortium_id,
        organisation_id=organisation_id,
        role=(data or MemberRole()).role,
        actor=actor,
        expected_version=if_match,
    )
    return _answer(session, consortium, response)


@router.delete(
    "/{consortium_id}/members/{organisation_id}",
    openapi_extra=security(KeyRole.organisation, KeyRole.admin),
    response_model=ConsortiumPublic,
    responses=problem_responses(
        401,
        403,
        404,
        409,
        412,
        429,
        when={
            404: "There is no draft with this `consortium_id` (another organisation's reads "
            "the same), or the organisation is not a member of it; `detail` says which."
        },
    ),
)
def delete_consortium_member(
    consortium_id: IdPath,
    organisation_id: IdPath,
    session: SessionDep,
    response: Response,
    if_match: IfMatch,
    actor: WriterDep,
) -> ConsortiumPublic:
    """Take an organisation out of the draft; the coordinator stays until another member is made
    coordinator (409)."""
    consortium = service.remove_member(
        session,
        consortium_id=consortium_id,
        organisation_id=organisation_id,
        actor=actor,
        expected_version=if_match,
    )
    return _answer(session, consortium, response)


@router.get(
    "/{consortium_id}/gaps",
    openapi_extra=security(KeyRole.organisation, KeyRole.admin),
    response_model=Gaps,
    responses=problem_responses(401, 403, 404),
)
def read_consortium_gaps(
    consortium_id: IdPath, session: SessionDep, matching: MatchingDep, actor: ActorDep
) -> Gaps:
    """Each requirement of the call: how far your draft is from it, and who could close it."""
    return gaps.gaps_for_consortium(session, matching, consortium_id=consortium_id, actor=actor)


@router.get(
    "/{consortium_id}/eligibility",
    openapi_extra=security(KeyRole.organisation, KeyRole.admin),
    response_model=Eligibility,
    responses=problem_responses(401, 403, 404),
)
def read_consortium_eligibility(
    consortium_id: IdPath, session: SessionDep, matching: MatchingDep, actor: ActorDep
) -> Eligibility:
    """Each programme rule of the call (at its deadline): met or not, why, who could fix it."""
    return gaps.eligibility_for_consortium(
        session, matching, consortium_id=consortium_id, actor=actor
    )
