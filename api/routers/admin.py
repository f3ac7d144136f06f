"""API keys, data export and admin actions."""

from fastapi import APIRouter, status
from pydantic import BaseModel

from api.deps import ActorDep, IdPath, Limit, MatchingDep, Offset, SessionDep, WriterDep
from api.errors import problem_responses
from matchmaker import keys, organisations
from matchmaker.matching.service import request_refit
from models.apikey import IssuedKey, KeyCreate, KeyPublic
from models.common import Page
from models.consortium import ConsortiumPublic, Membership
from models.matching import RefitStarted
from models.organisation import OrganisationPrivate

router = APIRouter(tags=["admin"])


class OrganisationExport(BaseModel):
    """Everything stored about an organisation."""

    profile: OrganisationPrivate
    api_keys: list[KeyPublic]
    consortia_owned: list[ConsortiumPublic]
    consortia_member_of: list[Membership]


def _issued(key: object, token: str) -> IssuedKey:
    return IssuedKey(**KeyPublic.model_validate(key).model_dump(), token=token)


@router.post(
    "/admin/keys",
    status_code=status.HTTP_201_CREATED,
    response_model=IssuedKey,
    responses=problem_responses(401, 403, 422),
)
def create_key(data: KeyCreate, session: SessionDep, actor: WriterDep) -> IssuedKey:
    """Issue a key of any role (admin key); its token is shown only in this answer."""
    key, token = keys.issue_key(session, data=data, actor=actor)
    return _issued(key, token)


@router.get(
    "/admin/keys", response_model=Page[KeyPublic], responses=problem_responses(401, 403, 422)
)
def list_keys(
    session: SessionDep, actor: ActorDep, limit: Limit = 50, offset: Offset = 0
) -> Page[KeyPublic]:
    """List every key, never its secret (admin key)."""
    items, total = keys.list_keys(session, actor=actor, limit=limit, offset=offset)
    return Page(
        items=[KeyPublic.model_validate(item) for item in items],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.delete(
    "/admin/keys/{key_id}", response_model=KeyPublic, responses=problem_responses(401, 403, 404)
)
def revoke_key(key_id: IdPath, session: SessionDep, actor: WriterDep) -> KeyPublic:
    """Revoke a key for good (admins: any key; organisations: their own)."""
    return KeyPublic.model_validate(keys.revoke_key(session, key_id=key_id, actor=actor))


@router.post(
    "/organisations/{organisation_id}/keys",
    status_code=status.HTTP_201_CREATED,
    response_model=IssuedKey,
    responses=problem_responses(401, 403, 404, 409, 429),
    tags=["organisations"],
)
def create_organisation_key(
    organisation_id: IdPath, session: SessionDep, actor: WriterDep
) -> IssuedKey:
    """Issue another key for your organisation (e.g. before revoking a leaked one)."""
    key, token = keys.issue_organisation_key(session, organisation_id=organisation_id, actor=actor)
    return _issued(key, token)


@router.get(
    "/organisations/{organisation_id}/export",
    response_model=OrganisationExport,
    responses=problem_responses(401, 403, 404),
    tags=["organisations"],
)
def export_organisation(
    organisation_id: IdPath, session: SessionDep, actor: ActorDep
) -> OrganisationExport:
    """Everything stored about your organisation: profile, keys (no secrets) and drafts."""
    return OrganisationExport.model_validate(
        organisations.export_organisation(session, organisation_id=organisation_id, actor=actor)
    )


@router.post(
    "/admin/refit",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RefitStarted,
    responses=problem_responses(401, 403),
)
def refit_index(matching: MatchingDep, actor: ActorDep) -> RefitStarted:
    """Refit the matching vocabulary in the background (admin key); readers keep the old index."""
    return RefitStarted(started=request_refit(matching, actor=actor))
