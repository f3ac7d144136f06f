"""Organisation profiles over HTTP."""

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Path, Query, Request, Response, status

from api.deps import (
    ActorDep,
    IdPath,
    IfMatch,
    Limit,
    Offset,
    ProfileContext,
    QueryLine,
    SessionDep,
    SettingsDep,
    WriterDep,
    paginated,
    private_profile,
    set_etag,
)
from api.errors import problem_responses
from api.openapi import NOT_STORED, PUBLIC, created_at_location, security
from matchmaker import organisations as service
from matchmaker import search
from matchmaker.auth import can_see_private
from matchmaker.repository import stored_id
from models.apikey import KeyRole
from models.common import CountryCode, Page, StakeholderType
from models.organisation import (
    OrganisationCreate,
    OrganisationCreated,
    OrganisationFound,
    OrganisationPrivate,
    OrganisationPublic,
    OrganisationUpdate,
)

router = APIRouter(prefix="/organisations", tags=["organisations"])


@router.post(
    "",
    openapi_extra={**PUBLIC, **NOT_STORED},
    status_code=status.HTTP_201_CREATED,
    response_model=OrganisationCreated,
    responses={**problem_responses(401, 413, 422, 429), **created_at_location()},
)
def create_organisation(
    data: OrganisationCreate,
    session: SessionDep,
    response: Response,
    context: ProfileContext,
    _writer: WriterDep,
) -> OrganisationCreated:
    """Register a profile; the answer carries its owner key (`api_key`), shown only this once."""
    duplicates = service.duplicates_of(session, data=data)
    organisation, key, token = service.create_organisation(session, data=data)
    response.headers["Location"] = f"/organisations/{organisation.id}"
    profile = private_profile(organisation, response, context)
    return OrganisationCreated(
        **profile.model_dump(),
        api_key=token,
        api_key_id=stored_id(key),
        possible_duplicates=duplicates,
    )


@router.get(
    "",
    openapi_extra=PUBLIC,
    response_model=Page[OrganisationFound],
    responses=problem_responses(422),
)
def list_organisations(
    request: Request,
    response: Response,
    session: SessionDep,
    context: ProfileContext,
    limit: Limit = 50,
    offset: Offset = 0,
    stakeholder_type: Annotated[
        list[StakeholderType], Query(description="Only these stakeholder types (may repeat).")
    ] = [],  # noqa: B006
    country: Annotated[
        list[CountryCode], Query(description="Only these countries (may repeat).")
    ] = [],  # noqa: B006
    q: Annotated[
        QueryLine | None,
        Query(
            max_length=200,
            description="A full-text search of name, description, keywords and past "
            'projects: words that must each appear, `"a phrase"`, `prefix*`; accents are '
            "ignored. Results come best first. A `q` that holds no words (`*`, `^`, "
            "punctuation only) is no search: it is ignored, the other filters kept.",
        ),
    ] = None,
) -> Page[OrganisationFound]:
    """List public profiles, filtered by stakeholder type, country (both may repeat) and words.

    With `q`, each profile carries the passage of its profile that matched (`snippet`).
    """
    q = search.words_searched(q)
    items, total = service.list_organisations(
        session,
        stakeholder_types=stakeholder_type,
        countries=country,
        q=q,
        limit=limit,
        offset=offset,
    )
    snippets = search.found_snippets(
        session, "organisations", q, [item.id for item in items if item.id]
    )
    return paginated(
        request,
        response,
        (items, total),
        lambda item: OrganisationFound(
            **OrganisationPublic.model_validate(item, context=context).model_dump(),
            snippet=None if snippets is None else snippets.get(item.id or 0, ()),
        ),
        limit=limit,
        offset=offset,
    )


@router.get(
    "/{organisation_id}",
    openapi_extra=security(KeyRole.organisation, KeyRole.admin, optional=True),
    response_model=OrganisationPrivate | OrganisationPublic,
    responses=problem_responses(401, 404),
)
def read_organisation(
    organisation_id: IdPath,
    session: SessionDep,
    response: Response,
    actor: ActorDep,
    context: ProfileContext,
) -> OrganisationPrivate | OrganisationPublic:
    """Read a profile; its owner and admins also see its personal data. The ETag is its version."""
    organisation = service.get_organisation(session, organisation_id=organisation_id)
    if can_see_private(actor, organisation_id):
        return private_profile(organisation, response, context)
    set_etag(response, organisation.version)
    return OrganisationPublic.model_validate(organisation, context=context)


@router.patch(
    "/{organisation_id}",
    openapi_extra=security(KeyRole.organisation, KeyRole.admin),
    response_model=OrganisationPrivate,
    responses=problem_responses(401, 403, 404, 412, 413, 422, 429),
)
def update_organisation(
    organisation_id: IdPath,
    data: OrganisationUpdate,
    session: SessionDep,
    response: Response,
    if_match: IfMatch,
    actor: WriterDep,
    context: ProfileContext,
) -> OrganisationPrivate:
    """Change some fields of your profile; send If-Match to refuse overwriting a newer version."""
    organisation = service.update_organisation(
        session,
        organisation_id=organisation_id,
        data=data,
        actor=actor,
        expected_version=if_match,
    )
    return private_profile(organisation, response, context)


@router.delete(
    "/{organisation_id}/kept-on-import/{field}",
    openapi_extra=security(KeyRole.organisation, KeyRole.admin),
    response_model=OrganisationPrivate,
    responses=problem_responses(401, 403, 404, 409, 412, 429),
)
def hand_back_to_import(
    organisation_id: IdPath,
    field: Annotated[
        str,
        Path(
            max_length=40,
            description="A field of `kept_on_import`, such as description.",
            examples=["description"],
        ),
    ],
    session: SessionDep,
    response: Response,
    if_match: IfMatch,
    actor: WriterDep,
    context: ProfileContext,
) -> OrganisationPrivate:
    """Let CORDIS imports update a field of your imported profile again, though it was written
    here since the import: it leaves `kept_on_import` and keeps its value until the next
    import brings the source's. A field not kept changes nothing. A profile registered here
    has nothing kept, and a verified type stays kept while the verification stands (409).
    If-Match refuses a stale write with 412."""
    organisation = service.hand_back_to_import(
        session,
        organisation_id=organisation_id,
        field=field,
        actor=actor,
        expected_version=if_match,
    )
    return private_profile(organisation, response, context)


@router.delete(
    "/{organisation_id}",
    openapi_extra=security(KeyRole.organisation, KeyRole.admin),
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 412, 429),
)
def delete_organisation(
    organisation_id: IdPath,
    session: SessionDep,
    if_match: IfMatch,
    actor: WriterDep,
    request: Request,
    after: BackgroundTasks,
    settings: SettingsDep,
) -> None:
    """Delete your profile and everything stored about it: keys, drafts and memberships.
    Nothing of it stays readable in the database's files either (on SQLite). An imported
    profile (or one that imported records were merged into) is not imported again: only its
    external ids and the time of the deletion are kept, for the importers to skip. The owner
    of each other draft it was a member of is told, by name only, that it left (event
    `draft_member_left`)."""
    service.delete_organisation(
        session,
        organisation_id=organisation_id,
        actor=actor,
        base_url=settings.public_base_url,
        expected_version=if_match,
    )
    # Once the delete is committed (the session ends with this function) and answered.
    after.add_task(search.forget_deleted, request.app.state.engine)
