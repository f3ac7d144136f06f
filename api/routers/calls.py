"""Calls for proposals over HTTP."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from api.deps import (
    IdPath,
    IfMatch,
    Limit,
    Offset,
    QueryLine,
    SessionDep,
    WriterDep,
    paginated,
    set_etag,
)
from api.errors import problem_responses
from api.openapi import PUBLIC, created_at_location, security
from matchmaker import calls as service
from matchmaker import search
from matchmaker.calls import CallSort
from matchmaker.errors import InvalidInput
from matchmaker.requirements import suggest_requirements
from models import examples as ex
from models.apikey import KeyRole
from models.call import (
    CallCreate,
    CallCreated,
    CallFound,
    CallPublic,
    CallStatus,
    CallUpdate,
)
from models.common import IsoDate, IsoDatetime, Page, line, utc_today

router = APIRouter(prefix="/calls", tags=["calls"])

Programme = Annotated[str, line(100)]


@router.post(
    "",
    openapi_extra=security(KeyRole.publisher, KeyRole.admin),
    status_code=status.HTTP_201_CREATED,
    response_model=CallCreated,
    responses={
        **problem_responses(
            401,
            403,
            409,
            413,
            422,
            429,
            when={409: "A call with this identifier (in any case) already exists."},
        ),
        **created_at_location(),
    },
)
def create_call(
    data: CallCreate, session: SessionDep, response: Response, actor: WriterDep
) -> CallCreated:
    """Publish a call (publisher or admin key); its identifier must be unique (409).

    A call sent without `required_stakeholders` is stored without them; the answer's
    `suggested_requirements` proposes the mix its text names, for the publisher to confirm.
    """
    call = service.create_call(session, data=data, actor=actor)
    response.headers["Location"] = f"/calls/{call.id}"
    set_etag(response, call.version)
    public = service.to_public(call, today=utc_today())
    suggested = (
        {} if data.required_stakeholders else suggest_requirements(data.title, data.description)
    )
    return CallCreated(**public.model_dump(), suggested_requirements=suggested)


@router.get(
    "", openapi_extra=PUBLIC, response_model=Page[CallFound], responses=problem_responses(422)
)
def list_calls(
    request: Request,
    response: Response,
    session: SessionDep,
    limit: Limit = 50,
    offset: Offset = 0,
    status: Annotated[
        list[CallStatus], Query(description="Only calls with these statuses (may repeat).")
    ] = [],  # noqa: B006
    programme: Annotated[
        list[Programme],
        Query(
            max_length=100,
            description="Only calls of these programmes, as GET /programmes names them, in any "
            "case (may repeat).",
        ),
    ] = [],  # noqa: B006
    q: Annotated[
        QueryLine | None,
        Query(
            max_length=200,
            description="A full-text search of identifier, title, programme and description: "
            'words that must each appear (in any form with the same stem), `"a phrase"`, '
            "`prefix*`; accents are ignored. Results come best first unless `sort` is given. "
            "A `q` that holds no words (`*`, `^`, punctuation only) is no search: it is "
            "ignored, the other filters kept.",
        ),
    ] = None,
    deadline_from: Annotated[IsoDate | None, Query(description="Deadline on or after.")] = None,
    deadline_to: Annotated[IsoDate | None, Query(description="Deadline on or before.")] = None,
    created_after: Annotated[
        IsoDatetime | None,
        Query(
            description="Only calls stored after this moment (ISO 8601; UTC when it names no "
            "offset), as `created_at` gives it: what is new since a client last looked."
        ),
    ] = None,
    sort: Annotated[
        CallSort | None,
        Query(
            description="`id` (oldest first), `deadline` (open, forthcoming, then closed; "
            "nearest deadline first) or `relevance` (best match of `q` first, the default "
            "with `q`; `id` otherwise)."
        ),
    ] = None,
) -> Page[CallFound]:
    """List calls, filtered by status, programme (both may repeat), words, deadline and when stored.

    With `q`, each call carries the passage of its description that matched (`snippet`).
    """
    if deadline_from is not None and deadline_to is not None and deadline_to < deadline_from:
        # Swapped dates would answer an empty list that reads as "no such calls"; the web
        # page, lenient, does answer it.
        raise InvalidInput(
            f"deadline_to ({deadline_to}) is before deadline_from ({deadline_from}): no "
            "deadline falls between them; swap them.",
            field="query.deadline_to",
        )
    q = search.words_searched(q)
    today = utc_today()
    filters = service.CallFilters(
        statuses=status,
        programmes=programme,
        q=q,
        deadline_from=deadline_from,
        deadline_to=deadline_to,
        created_after=created_after,
    )
    items, total = service.list_calls(
        session, filters=filters, sort=sort, today=today, limit=limit, offset=offset
    )
    snippets = search.found_snippets(session, "calls", q, [item.id for item in items if item.id])
    return paginated(
        request,
        response,
        (items, total),
        lambda item: CallFound(
            **service.to_public(item, today=today).model_dump(),
            snippet=None if snippets is None else snippets.get(item.id or 0, ()),
        ),
        limit=limit,
        offset=offset,
    )


@router.get(
    "/{call_id}", openapi_extra=PUBLIC, response_model=CallPublic, responses=problem_responses(404)
)
def read_call(call_id: IdPath, session: SessionDep, response: Response) -> CallPublic:
    """Read one call; its version is the ETag."""
    call = service.get_call(session, call_id=call_id)
    set_etag(response, call.version)
    return service.to_public(call, today=utc_today())


@router.patch(
    "/{call_id}",
    openapi_extra=security(KeyRole.publisher, KeyRole.admin),
    response_model=CallPublic,
    responses=problem_responses(
        401,
        403,
        404,
        409,
        412,
        413,
        422,
        429,
        when={409: "Another call has the identifier this sets (in any case)."},
    ),
)
def update_call(
    call_id: IdPath,
    data: CallUpdate,
    session: SessionDep,
    response: Response,
    if_match: IfMatch,
    actor: WriterDep,
) -> CallPublic:
    """Change a call you published (publisher key; admins any); If-Match refuses stale writes."""
    call = service.update_call(
        session, call_id=call_id, data=data, actor=actor, expected_version=if_match
    )
    set_etag(response, call.version)
    return service.to_public(call, today=utc_today())


@router.delete(
    "/{call_id}",
    openapi_extra=security(KeyRole.publisher, KeyRole.admin),
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(
        401,
        403,
        404,
        409,
        412,
        429,
        when={
            409: "Drafts are written for the call, or open partner requests are for it: they "
            "would go with it. To close the call instead, set its deadline."
        },
    ),
)
def delete_call(call_id: IdPath, session: SessionDep, if_match: IfMatch, actor: WriterDep) -> None:
    """Delete a call you published (publisher key; admins any), unless drafts use it (409)."""
    service.delete_call(session, call_id=call_id, actor=actor, expected_version=if_match)


programmes_router = APIRouter(tags=["calls"])


class Programmes(BaseModel):
    """Every programme a call names."""

    model_config = ConfigDict(json_schema_extra=ex.examples(ex.PROGRAMMES))

    items: list[str] = Field(description="Every programme some call names, sorted.")


@programmes_router.get("/programmes", openapi_extra=PUBLIC, response_model=Programmes)
def list_programmes(session: SessionDep) -> Programmes:
    """Every programme some call names, sorted, for filter choices."""
    return Programmes(items=service.list_programmes(session))
