"""Saved searches: an organisation hears of new calls, profiles or partner requests that fit."""

from fastapi import APIRouter, Request, Response, status

from api.deps import (
    UNVERSIONED_412,
    ActorDep,
    IdPath,
    IfMatch,
    Limit,
    Offset,
    SessionDep,
    SettingsDep,
    WriterDep,
    paginated,
)
from api.errors import problem_responses
from api.openapi import created_at_location, security
from matchmaker.partnering import saved_searches
from models.apikey import KeyRole
from models.common import Page
from models.saved_search import SavedSearchCreate, SavedSearchPublic

router = APIRouter(tags=["notifications"])
ORGANISATION_KEY = security(KeyRole.organisation)


@router.post(
    "/organisations/{organisation_id}/saved-searches",
    openapi_extra=ORGANISATION_KEY,
    status_code=status.HTTP_201_CREATED,
    response_model=SavedSearchPublic,
    responses={**problem_responses(401, 403, 404, 409, 413, 422, 429), **created_at_location()},
)
def create_saved_search(
    organisation_id: IdPath,
    data: SavedSearchCreate,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    actor: WriterDep,
) -> SavedSearchPublic:
    """Save a search (your key): hear of each new call, new or changed profile, or new partner
    request whose relevance to it reaches its threshold (0.1 by default).

    Give `text`, or for calls `fits_profile` to use your own profile as the query; filters
    narrow it further. The notifications go out with the others (e-mail as your preferences
    say, and your webhooks), each item at most once per search. At most
    `MATCHMAKER_MAX_SAVED_SEARCHES` (20 by default) per organisation.
    """
    search = saved_searches.create_saved_search(
        session,
        organisation_id=organisation_id,
        data=data,
        actor=actor,
        max_searches=settings.max_saved_searches,
    )
    response.headers["Location"] = f"/organisations/{organisation_id}/saved-searches/{search.id}"
    return SavedSearchPublic.model_validate(search)


@router.get(
    "/organisations/{organisation_id}/saved-searches",
    openapi_extra=ORGANISATION_KEY,
    response_model=Page[SavedSearchPublic],
    responses=problem_responses(401, 403, 404, 422),
)
def list_saved_searches(
    request: Request,
    response: Response,
    organisation_id: IdPath,
    session: SessionDep,
    actor: ActorDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[SavedSearchPublic]:
    """Your organisation's saved searches, oldest first (your key)."""
    found = saved_searches.list_saved_searches(
        session, organisation_id=organisation_id, actor=actor, limit=limit, offset=offset
    )
    return paginated(
        request, response, found, SavedSearchPublic.model_validate, limit=limit, offset=offset
    )


@router.get(
    "/organisations/{organisation_id}/saved-searches/{search_id}",
    openapi_extra=ORGANISATION_KEY,
    response_model=SavedSearchPublic,
    responses=problem_responses(401, 403, 404, 422),
)
def read_saved_search(
    organisation_id: IdPath, search_id: IdPath, session: SessionDep, actor: ActorDep
) -> SavedSearchPublic:
    """One of your organisation's saved searches (your key), where its `Location` leads."""
    search = saved_searches.get_saved_search(
        session, organisation_id=organisation_id, search_id=search_id, actor=actor
    )
    return SavedSearchPublic.model_validate(search)


@router.delete(
    "/organisations/{organisation_id}/saved-searches/{search_id}",
    openapi_extra=ORGANISATION_KEY,
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 412, 422, 429, when=UNVERSIONED_412),
)
def delete_saved_search(
    organisation_id: IdPath,
    search_id: IdPath,
    session: SessionDep,
    actor: WriterDep,
    if_match: IfMatch,
) -> None:
    """Delete a saved search: nothing more is notified for it."""
    saved_searches.delete_saved_search(
        session,
        organisation_id=organisation_id,
        search_id=search_id,
        actor=actor,
        expected_version=if_match,
    )
