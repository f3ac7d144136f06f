"""Calls for proposals over HTTP."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel

from api.deps import IdPath, IfMatch, Limit, Offset, QueryLine, SessionDep, WriterDep, set_etag
from api.errors import problem_responses
from matchmaker import calls as service
from matchmaker.calls import CallSort
from models.call import CallCreate, CallPublic, CallStatus, CallUpdate
from models.common import Page, line

router = APIRouter(prefix="/calls", tags=["calls"])

Programme = Annotated[str, line(100)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CallPublic,
    responses=problem_responses(401, 403, 409, 413, 422, 429),
)
def create_call(
    data: CallCreate, session: SessionDep, response: Response, actor: WriterDep
) -> CallPublic:
    """Publish a call (coordinator or admin key); its identifier must be unique (409)."""
    call = service.create_call(session, data=data, actor=actor)
    response.headers["Location"] = f"/calls/{call.id}"
    set_etag(response, call.version)
    return service.to_public(call, today=date.today())


@router.get("", response_model=Page[CallPublic], responses=problem_responses(422))
def list_calls(
    session: SessionDep,
    limit: Limit = 50,
    offset: Offset = 0,
    status: Annotated[list[CallStatus], Query()] = [],  # noqa: B006
    programme: Annotated[list[Programme], Query(max_length=100)] = [],  # noqa: B006
    q: Annotated[
        QueryLine | None,
        Query(
            max_length=200,
            description="Words that must each appear in the identifier, title or programme.",
        ),
    ] = None,
    deadline_from: Annotated[date | None, Query(description="Deadline on or after.")] = None,
    deadline_to: Annotated[date | None, Query(description="Deadline on or before.")] = None,
    sort: Annotated[
        CallSort,
        Query(
            description="`id` (oldest first) or `deadline` (open, forthcoming, then closed; "
            "nearest deadline first)."
        ),
    ] = "id",
) -> Page[CallPublic]:
    """List calls, filtered by status, programme (both may repeat), words and deadline."""
    today = date.today()
    filters = service.CallFilters(
        statuses=status,
        programmes=programme,
        q=q,
        deadline_from=deadline_from,
        deadline_to=deadline_to,
    )
    items, total = service.list_calls(
        session, filters=filters, sort=sort, today=today, limit=limit, offset=offset
    )
    return Page(
        items=[service.to_public(item, today=today) for item in items],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/{call_id}", response_model=CallPublic, responses=problem_responses(404))
def read_call(call_id: IdPath, session: SessionDep, response: Response) -> CallPublic:
    """Read one call; its version is the ETag."""
    call = service.get_call(session, call_id=call_id)
    set_etag(response, call.version)
    return service.to_public(call, today=date.today())


@router.patch(
    "/{call_id}",
    response_model=CallPublic,
    responses=problem_responses(401, 403, 404, 409, 412, 413, 422, 429),
)
def update_call(
    call_id: IdPath,
    data: CallUpdate,
    session: SessionDep,
    response: Response,
    if_match: IfMatch,
    actor: WriterDep,
) -> CallPublic:
    """Change some fields of a call (coordinator or admin key); If-Match refuses stale writes."""
    call = service.update_call(
        session, call_id=call_id, data=data, actor=actor, expected_version=if_match
    )
    set_etag(response, call.version)
    return service.to_public(call, today=date.today())


@router.delete(
    "/{call_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409, 412, 429),
)
def delete_call(call_id: IdPath, session: SessionDep, if_match: IfMatch, actor: WriterDep) -> None:
    """Delete a call (coordinator or admin key), unless drafts are written for it (409)."""
    service.delete_call(session, call_id=call_id, actor=actor, expected_version=if_match)


programmes_router = APIRouter(tags=["calls"])


class Programmes(BaseModel):
    """Every programme a call names."""

    items: list[str]


@programmes_router.get("/programmes", response_model=Programmes)
def list_programmes(session: SessionDep) -> Programmes:
    """Every programme some call names, sorted, for filter choices."""
    return Programmes(items=service.list_programmes(session))
