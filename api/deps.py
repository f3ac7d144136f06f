"""Dependencies shared by the routers, declared once as Annotated aliases."""

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Annotated, Any, Final, TypeVar
from urllib.parse import urlencode

from fastapi import Depends, Header, Path, Query, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlmodel import Session

from api.limits import is_json
from api.openapi import NO_STORE, TAKES_ANY_QUERY
from matchmaker.auth import Principal, authenticate
from matchmaker.db import for_writing, session_scope
from matchmaker.errors import Unauthenticated
from matchmaker.matching.service import MatchingService
from matchmaker.partnering.ranking import PartnerRequestIndex
from matchmaker.ratelimit import WriteRateLimit
from matchmaker.repository import ExpectedVersion
from matchmaker.settings import Settings
from matchmaker.trust.freshness import profile_context
from models.common import MAX_ID, Id, Page, line
from models.matching import MAX_MATCH_OFFSET, OFFSET_DESCRIPTION
from models.organisation import Organisation, OrganisationPrivate

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_PAGE = 200


def get_app_settings(request: Request) -> Settings:
    """The settings the running app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """A session for this request: committed when the endpoint returns, rolled back if it raises."""
    engine = request.app.state.engine
    reads = request.method in READ_METHODS
    if not reads:
        engine = for_writing(engine)
    with session_scope(engine, read_only=reads) as session:
        yield session


def get_write_session(request: Request) -> Iterator[Session]:
    """A writing session whatever the method: a link opened from an e-mail (a GET) that
    changes something, such as unsubscribing."""
    with session_scope(for_writing(request.app.state.engine)) as session:
        yield session


def get_read_session(request: Request) -> Iterator[Session]:
    """A session for a request that only reads, whatever its method (POST /search, say)."""
    with session_scope(request.app.state.engine, read_only=True) as session:
        yield session


def get_matching(request: Request) -> MatchingService:
    """The process's matching service."""
    matching: MatchingService = request.app.state.matching
    return matching


def get_partner_requests(request: Request) -> PartnerRequestIndex:
    """The process's ranking of open partner requests for organisations."""
    index: PartnerRequestIndex = request.app.state.partner_requests
    return index


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
# Read-only POST endpoints must not take SQLite's write lock while they rank: it would queue
# every writer behind them.
ReadSessionDep = Annotated[Session, Depends(get_read_session, scope="function")]
WriteSessionDep = Annotated[Session, Depends(get_write_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
PartnerRequestIndexDep = Annotated[PartnerRequestIndex, Depends(get_partner_requests)]
MatchingDep = Annotated[MatchingService, Depends(get_matching)]


def get_actor(request: Request, session: ReadSessionDep, settings: SettingsDep) -> Principal | None:
    """Who is calling: None without an Authorization header; 401 for anything but one valid key.

    The header is read here rather than by FastAPI's HTTPBearer, which reads another scheme, a
    missing token or a second header as no credentials at all: a client sending credentials
    must never silently run as anonymous. Which operations take which key is declared per
    operation in the OpenAPI document (`api.openapi.security`).
    """
    values = request.headers.getlist("authorization")
    if not values:
        return None
    scheme, _, token = values[0].strip().partition(" ")
    token = token.strip()
    if len(values) > 1 or scheme.lower() != "bearer" or not token or " " in token:
        raise Unauthenticated("Send exactly one Authorization header of the form 'Bearer <token>'.")
    admin_token = settings.admin_token.get_secret_value() if settings.admin_token else None
    return authenticate(session, token=token, admin_token=admin_token)


ActorDep = Annotated[Principal | None, Depends(get_actor)]


# Where declared_query keeps its answer on a route (an attribute: a cache keyed by route would
# keep every app a test process builds alive).
_DECLARED_QUERY = "_matchmaker_declared_query"


def declared_query(route: APIRoute) -> tuple[str, ...]:
    """The names of the query parameters an operation takes, itself and through its
    dependencies, as its OpenAPI document lists them (worked out once, kept on the route)."""
    names: tuple[str, ...] | None = getattr(route, _DECLARED_QUERY, None)
    if names is None:
        names = tuple(dict.fromkeys(_query_names(route.dependant)))
        setattr(route, _DECLARED_QUERY, names)
    return names


def _query_names(dependant: Dependant) -> Iterator[str]:
    yield from (param.alias for param in dependant.query_params)
    for dependency in dependant.dependencies:
        yield from _query_names(dependency)


def refuse_unknown_query(request: Request) -> None:
    """422 for a query parameter the operation does not take (a typo would otherwise be
    silently ignored and widen the answer); web pages and the documentation are left alone."""
    route = request.scope.get("route")
    # Web pages are left out of the schema route by route (their routers say so: FastAPI does
    # not pass a parent router's include_in_schema down to the routes of routers it includes).
    if not isinstance(route, APIRoute) or not route.include_in_schema:
        return
    if (route.openapi_extra or {}).get(TAKES_ANY_QUERY):
        return
    accepted = declared_query(route)
    unknown = [name for name in dict.fromkeys(request.query_params) if name not in accepted]
    if not unknown:
        return
    takes = f"it takes {', '.join(accepted)}" if accepted else "it takes no query parameters"
    raise RequestValidationError(
        [
            {
                "type": "value_error",
                "loc": ("query", name),
                "msg": f"Is not a query parameter of this operation; {takes}.",
                "input": request.query_params.get(name),
                "ctx": {"error": f"Is not a query parameter of this operation; {takes}."},
            }
            for name in unknown
        ]
    )


def forbid_storing(request: Request, response: Response) -> None:
    """`Cache-Control: no-store` on the answer of an operation marked `NOT_STORED` (a new key's
    token, a webhook's secret, an export), as on the private web pages; a refusal holds no
    secret and goes without it."""
    route = request.scope.get("route")
    if isinstance(route, APIRoute) and (route.openapi_extra or {}).get(NO_STORE):
        response.headers["Cache-Control"] = "no-store"


NO_BODY = "This operation takes no request body; leave it out."


async def refuse_unexpected_body(request: Request) -> None:
    """422 for a JSON body sent to an operation that takes none, naming its fields."""
    # Unread, `{"reason": ...}` sent to decline, or `{"label": ...}` to rotate a key, would be
    # dropped without a word, as an unknown query parameter would. No body, `{}` and `null`
    # stay fine (clients send them by habit), and so do forms (one-click unsubscribe).
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not route.include_in_schema or route.body_field:
        return
    if not is_json(request.headers.get("content-type", "").encode("latin-1")):
        return
    raw = await request.body()
    if not raw.strip():
        return
    try:
        sent = json.loads(raw)
    except ValueError:
        sent = raw
    if sent in ({}, None):
        return
    if isinstance(sent, dict):
        errors = [
            {"type": "extra_forbidden", "loc": ("body", name), "msg": "", "input": value}
            for name, value in sent.items()
        ]
    else:
        errors = [{"type": "value_error", "loc": ("body",), "msg": "", "ctx": {"error": NO_BODY}}]
    raise RequestValidationError(errors)


def get_profile_context(settings: SettingsDep) -> dict[str, datetime]:
    """The validation context of profile schemas: when a last confirmation makes one stale."""
    return profile_context(settings.stale_after_months)


# Pass as `context=` when validating an OrganisationPublic (or a schema built on it).
ProfileContext = Annotated[dict[str, datetime], Depends(get_profile_context)]


def get_writer(request: Request, actor: ActorDep) -> Principal | None:
    """The caller of a write, counted against the write rate limit unless an admin.

    Every write counts against the client's address, and a keyed one also against its
    organisation (or key): minting keys or registering organisations buys no extra writes.
    """
    if actor is None or not actor.is_admin:
        limiter: WriteRateLimit = request.app.state.write_limit
        client = request.client.host if request.client else "unknown"
        identities = {f"address:{client}": f"from the address {client}"}
        if actor is not None:
            identities[actor.rate_key] = (
                "for your organisation" if actor.organisation_id is not None else "for your key"
            )
        limiter.check(identities)
    return actor


SchemaT = TypeVar("SchemaT", bound=BaseModel)
WriterDep = Annotated[Principal | None, Depends(get_writer)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page size, at most 200.")]
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="How many items to skip.")]
# A ranking (suggestions, fitting calls and partner requests, similar organisations) pages the
# same way wherever it is asked for.
MatchLimit = Annotated[int, Query(ge=1, le=200, description="How many results, at most 200.")]
MatchOffset = Annotated[int, Query(ge=0, le=MAX_MATCH_OFFSET, description=OFFSET_DESCRIPTION)]
# Every id a caller sends, in a path, a query or a body, is the one bounded `Id` type: a number
# past the database's integer range is 422, not an overflow inside the driver.
IdPath = Annotated[Id, Path()]
# The token of an e-mailed link (a claim's confirmation, a key recovery).
LinkToken = Annotated[
    str,
    Path(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The token from the e-mailed link.",
    ),
]
# Free text in a query string: one line, NFC, no control characters (PostgreSQL refuses NUL),
# at most 200 characters once normalised.
QueryLine = Annotated[str, line(200)]

# Versions are 32-bit integers: ten digits at most, so a longer tag cannot match any version.
_VERSION_TAG = re.compile(r"\d{1,10}")
# One entity tag of an If-Match list (RFC 9110, 8.8.3): an optional W/ and a quoted string.
_ENTITY_TAG = re.compile(r'(W/)?"([\x21\x23-\x7e\x80-\xff]*)"')


def expected_version(
    if_match: Annotated[
        str | None,
        Header(
            description='The ETag of the version being changed, e.g. "3" (several may be listed, '
            "comma-separated: any of them matches; `*` matches any version); a stale one gets "
            "412, and so does a header that names no version (`3` unquoted, say). A resource "
            "with no version (no ETag) takes only `*`."
        ),
    ] = None,
) -> ExpectedVersion:
    """The versions an If-Match header accepts (RFC 9110, 13.1.1): None when absent or `*`.

    A weak tag never matches (If-Match compares strongly), nor does a tag we never issue, nor
    anything in a header that is not a list of entity tags: with none left, the set is empty
    and the write, once authorised and valid, is 412 saying how versions are written.
    """
    if if_match is None or if_match.strip() == "*":
        return None
    # Empty list elements are allowed (RFC 9110, 5.6.1).
    members = [member.strip(" \t") for member in if_match.split(",") if member.strip(" \t")]
    tags = [_ENTITY_TAG.fullmatch(member) for member in members]
    if None in tags:
        return frozenset()  # not a list of entity tags: it can match no version
    return frozenset(
        int(tag.group(2))
        for tag in tags
        if tag is not None and tag.group(1) is None and _VERSION_TAG.fullmatch(tag.group(2))
    )


IfMatch = Annotated[ExpectedVersion, Depends(expected_version)]
# The 412 of a write to a resource that has no version, for `problem_responses(when=...)`.
UNVERSIONED_412: Final[Mapping[int, str]] = {
    412: "The resource has no version (no ETag), so If-Match can only be `*` here, or left "
    "out: a header naming any entity tag is refused."
}


def set_etag(response: Response, version: int) -> None:
    """Expose a resource's version as its ETag."""
    response.headers["ETag"] = f'"{version}"'


def paginated(
    request: Request,
    response: Response,
    found: tuple[Iterable[Any], int],
    item: Callable[[Any], SchemaT],
    *,
    limit: int,
    offset: int,
) -> Page[SchemaT]:
    """A list's page as the API answers it: a service's rows and how many match in all, each
    row made an item by `item` (a schema's `model_validate`, say), the answer carrying an RFC
    8288 `Link` header to the first, previous, next and last pages: the request's path and
    query with `limit` and `offset` set (no previous page on the first, no next one on the
    last)."""
    rows, total = found
    page: Page[SchemaT] = Page(
        items=[item(row) for row in rows], total=total, limit=limit, offset=offset
    )
    kept = [
        (key, value)
        for key, value in request.query_params.multi_items()
        if key not in {"limit", "offset"}
    ]
    last = max(total - 1, 0) // limit * limit
    pages = [("first", 0)]
    if offset > 0:
        pages.append(("prev", max(min(offset, last + limit) - limit, 0)))
    if offset + limit < total:
        pages.append(("next", offset + limit))
    pages.append(("last", last))
    response.headers["Link"] = ", ".join(
        f"<{request.url.path}?{urlencode([*kept, ('limit', limit), ('offset', start)])}>; "
        f'rel="{rel}"'
        for rel, start in pages
    )
    return page


def private_profile(
    organisation: Organisation, response: Response, context: dict[str, Any]
) -> OrganisationPrivate:
    """A profile with its personal data, its version set as the response's ETag."""
    set_etag(response, organisation.version)
    return OrganisationPrivate.model_validate(organisation, from_attributes=True, context=context)
