"""Organisation profiles over HTTP."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api.deps import IfMatch, Limit, Offset, SessionDep, set_etag
from api.errors import problem_responses
from matchmaker import organisations as service
from models.common import CountryCode, Page, StakeholderType
from models.organisation import (
    OrganisationCreate,
    OrganisationPrivate,
    OrganisationPublic,
    OrganisationUpdate,
)

router = APIRouter(prefix="/organisations", tags=["organisations"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=OrganisationPrivate,
    responses=problem_responses(413, 422),
)
def create_organisation(
    data: OrganisationCreate, session: SessionDep, response: Response
) -> OrganisationPrivate:
    """Register an organisation profile; the answer includes its private fields."""
    organisation = service.create_organisation(session, data=data)
    response.headers["Location"] = f"/organisations/{organisation.id}"
    set_etag(response, organisation.version)
    return OrganisationPrivate.model_validate(organisation, from_attributes=True)


@router.get("", response_model=Page[OrganisationPublic], responses=problem_responses(422))
def list_organisations(
    session: SessionDep,
    limit: Limit = 50,
    offset: Offset = 0,
    stakeholder_type: Annotated[list[StakeholderType], Query()] = [],  # noqa: B006
    country: Annotated[list[CountryCode], Query()] = [],  # noqa: B006
    q: Annotated[str | None, Query(max_length=200, description="Part of the name.")] = None,
) -> Page[OrganisationPublic]:
    """List profiles, filtered by stakeholder type, country (both may repeat) and name."""
    items, total = service.list_organisations(
        session,
        stakeholder_types=stakeholder_type,
        countries=country,
        q=q,
        limit=limit,
        offset=offset,
    )
    return Page(
        items=[OrganisationPublic.model_validate(item) for item in items],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get(
    "/{organisation_id}", response_model=OrganisationPublic, responses=problem_responses(404)
)
def read_organisation(
    organisation_id: int, session: SessionDep, response: Response
) -> OrganisationPublic:
    """Read one profile's public fields; its version is the ETag."""
    organisation = service.get_organisation(session, organisation_id=organisation_id)
    set_etag(response, organisation.version)
    return OrganisationPublic.model_validate(organisation)


@router.patch(
    "/{organisation_id}",
    response_model=OrganisationPrivate,
    responses=problem_responses(404, 412, 413, 422),
)
def update_organisation(
    organisation_id: int,
    data: OrganisationUpdate,
    session: SessionDep,
    response: Response,
    if_match: IfMatch,
) -> OrganisationPrivate:
    """Change some fields of a profile; send If-Match to refuse overwriting a newer version."""
    organisation = service.update_organisation(
        session, organisation_id=organisation_id, data=data, expected_version=if_match
    )
    set_etag(response, organisation.version)
    return OrganisationPrivate.model_validate(organisation, from_attributes=True)


@router.delete(
    "/{organisation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404, 412),
)
def delete_organisation(organisation_id: int, session: SessionDep, if_match: IfMatch) -> None:
    """Delete a profile and everything stored about it."""
    service.delete_organisation(session, organisation_id=organisation_id, expected_version=if_match)
