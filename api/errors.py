"""RFC 9457 problem details for every error the service returns."""

import logging
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.web.templating import render
from matchmaker import db
from matchmaker.auth import NO_KEY
from matchmaker.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    RateLimited,
    Unauthenticated,
    Unavailable,
)
from matchmaker.messages import field_path, human_message
from models import examples as ex

logger = logging.getLogger("matchmaker.api")

PROBLEM_JSON = "application/problem+json"
FASTAPI_BODY_ERROR = "There was an error parsing the body"
# The reason phrases of RFC 9110 where Python's are older (413, 422): with type `about:blank`,
# RFC 9457 asks for the status's phrase as the title, one title per status.
_PHRASES = {413: "Content Too Large", 422: "Unprocessable Content"}


def title_of(status: int) -> str:
    """The title of every problem with this status: its HTTP reason phrase."""
    return _PHRASES.get(status) or HTTPStatus(status).phrase


STATUS_OF: dict[type[DomainError], int] = {
    NotFound: 404,
    Conflict: 409,
    PreconditionFailed: 412,
    InvalidInput: 422,
    PermissionDenied: 403,
    Unauthenticated: 401,
    RateLimited: 429,
    Unavailable: 503,
}


class FieldError(BaseModel):
    """One invalid field: where it is and what is wrong."""

    field: str = Field(
        description="Where the problem is: a body field (`activities.0.url`), `query.<name>`, "
        "`path.<name>`, or `body` for the body as a whole."
    )
    message: str = Field(description="What is wrong, in a sentence for people.")


def _always_sent(schema: dict[str, Any]) -> None:
    """The problem's schema: `type` and `instance` are in every answer, though the model gives
    them defaults; `errors` is left out when there are none, never null."""
    schema["required"] = [*schema.get("required", []), "type", "instance"]
    for name in ("instance", "errors"):
        field = schema["properties"][name]
        field.update(field.pop("anyOf")[0])
        field.pop("default", None)
    schema.update(ex.examples(ex.PROBLEM))


class Problem(BaseModel):
    """An RFC 9457 problem details document."""

    model_config = ConfigDict(json_schema_extra=_always_sent)

    type: str = Field(
        default="about:blank",
        description="Always `about:blank`: the status says what kind of problem this is.",
    )
    title: str = Field(
        description="The kind of problem, the same for every occurrence: the status's HTTP "
        "reason phrase (`Not Found`, `Unprocessable Content`)."
    )
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong this time, in a sentence for people.")
    instance: str | None = Field(default=None, description="The path of the request that failed.")
    errors: list[FieldError] | None = Field(
        default=None,
        description="For invalid input: each invalid field and what is wrong with it; for a "
        "404 about an id given in the body (`consortium_id`, say), that field.",
    )


def problem_response(
    request: Request,
    *,
    status: int,
    detail: str,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Render a problem details response, titled by its status."""
    problem = Problem(
        title=title_of(status),
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=errors,
    )
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def problem_responses(
    *statuses: int, when: Mapping[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the problems an endpoint can answer with: `when` says,
    for a status, when this endpoint answers it; the others are described for their kind of
    route by `api.openapi` (401 no key, 404 no such item named in the path, ...)."""
    return {
        status: {
            "description": (when or {}).get(status, title_of(status)),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


def _not_json(request: Request, exc: RequestValidationError, position: int) -> JSONResponse:
    """400 for a body that does not parse as JSON, saying where it stops making sense."""
    document = exc.body if isinstance(exc.body, str) else ""
    line = document.count("\n", 0, position) + 1
    column = position - document.rfind("\n", 0, position)
    reason = str((exc.errors()[0].get("ctx") or {}).get("error", "it does not parse"))
    where = f"line {line}, column {column} (character {position + 1})"
    return problem_response(
        request,
        status=400,
        detail=f"The request body is not valid JSON: {reason} at {where}.",
        errors=[FieldError(field="body", message=f"Not valid JSON: {reason} at {where}.")],
    )


def _needs_key(request: Request) -> bool:
    """Whether the matched operation takes no anonymous caller (its OpenAPI security)."""
    route = request.scope.get("route")
    requirements = (getattr(route, "openapi_extra", None) or {}).get("security") or []
    return bool(requirements) and {} not in requirements


def _not_json_media(request: Request) -> JSONResponse:
    """415 for a body sent with another media type than JSON (text/plain, a form)."""
    sent = request.headers.get("content-type")
    came = f", not {sent}" if sent else "; it came without a Content-Type"
    return problem_response(
        request,
        status=415,
        detail=f"The request body must be JSON sent as application/json{came}.",
        headers={"Accept": "application/json"},
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse | HTMLResponse:
    assert isinstance(exc, RequestValidationError)
    if "authorization" not in request.headers and _needs_key(request):
        # Authorise before validating: a caller with no key learns nothing about the input
        # (nor about what exists) from an operation it may not call; 401, as with valid input.
        return await _domain_error(request, Unauthenticated(NO_KEY))
    if isinstance(exc.body, bytes) and exc.body:
        # FastAPI reads a body as JSON only when its Content-Type says so: any other body of
        # a JSON operation reaches validation as raw bytes, which no schema takes.
        return _not_json_media(request)
    details = exc.errors()
    if details and details[0].get("type") == "json_invalid":
        location = tuple(details[0].get("loc", ()))
        position = location[-1] if location and isinstance(location[-1], int) else 0
        return _not_json(request, exc, position)
    errors = [
        FieldError(field=field_path(tuple(error.get("loc", ()))), message=human_message(error))
        for error in details
    ]
    if _is_page(request):
        return _invalid_address_page(request, errors)
    fields = list(dict.fromkeys(error.field for error in errors))
    if len(errors) == 1:
        detail = f"{errors[0].field}: {errors[0].message}"
    else:
        detail = f"Some values are not valid: {', '.join(fields)}."
    return problem_response(request, status=422, detail=detail, errors=errors)


async def _domain_error(request: Request, exc: Exception) -> JSONResponse | HTMLResponse:
    assert isinstance(exc, DomainError)
    errors = None
    field = exc.field if isinstance(exc, InvalidInput | NotFound) else None
    if field is not None:
        errors = [FieldError(field=field, message=exc.detail)]
    status = next(code for kind, code in STATUS_OF.items() if isinstance(exc, kind))
    headers = None
    if isinstance(exc, Unauthenticated):
        headers = {"WWW-Authenticate": "Bearer"}
    elif isinstance(exc, RateLimited | Unavailable):
        headers = {"Retry-After": str(exc.retry_after)}
    if isinstance(exc, Unavailable) and request.url.path.startswith(WEB_PREFIX):
        return _unavailable_page(request, exc)
    return problem_response(
        request, status=status, detail=exc.detail, errors=errors, headers=headers
    )


WEB_PREFIX = "/ui/"
STATIC_PREFIX = "/ui/static/"
# What the pages' scripts fetch (panels, downloads, the session check, the organisation picker)
# keeps problem details, which the script reads, even though it asks for HTML; any other address
# under /ui that a browser opens is a page.
SCRIPT_FETCHED = re.compile(r"/(?:panel|export\.\w+|session|organisation-picker)$")
NO_SUCH_PAGE = (
    "There is no page at this address. Check it for a typing mistake, or start again from "
    "the links below."
)


def _is_page(request: Request) -> bool:
    """Whether the request is for a page someone opened in a browser, not for what a page's
    script fetches; a client that does not ask for HTML still gets problem details."""
    path = request.url.path
    return (
        request.method in {"GET", "HEAD"}
        and "text/html" in request.headers.get("accept", "")
        and path.startswith(WEB_PREFIX)
        and not path.startswith(STATIC_PREFIX)
        and not SCRIPT_FETCHED.search(path)
    )


def _not_found_page(request: Request, detail: str = NO_SUCH_PAGE) -> HTMLResponse:
    """The site's 404 page, for an address under /ui that names nothing."""
    return render(request, "not_found.html", {"detail": detail}, status_code=404)


def _invalid_address_page(request: Request, errors: list[FieldError]) -> HTMLResponse:
    """A page's address with a malformed part: a malformed id names nothing (404); a malformed
    query value is a plain sentence saying which (400), never problem details."""
    if any(not error.field.startswith("query.") for error in errors):
        return _not_found_page(request)
    # A repeated parameter's place in the list (`include.0`) means nothing to a reader, and
    # each wrong value would say the same sentence again.
    wrong = "; ".join(
        dict.fromkeys(
            f"{error.field.removeprefix('query.').split('.')[0]} "
            f"{error.message[:1].lower()}{error.message[1:]}"
            for error in errors
        )
    )
    return render(
        request,
        "not_found.html",
        {
            "heading": "This address is not valid",
            "detail": f"This address is not valid: {wrong.rstrip('.')}.",
        },
        status_code=400,
    )


def _unavailable_page(request: Request, exc: Unavailable) -> HTMLResponse:
    """A web page that needs the database while it cannot be reached: a page saying so, 503."""
    response = render(
        request,
        "unavailable.html",
        {"detail": exc.detail, "retry_after": exc.retry_after, "path": request.url.path},
        status_code=503,
    )
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


async def _http_error(request: Request, exc: Exception) -> JSONResponse | HTMLResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404 and _is_page(request):
        return _not_found_page(request)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    detail = str(exc.detail)
    if detail == FASTAPI_BODY_ERROR:
        # FastAPI's words for a body it could not decode at all (not UTF-8, say).
        detail = "The request body could not be read: send JSON encoded as UTF-8."
    elif exc.status_code in (404, 405) and detail == HTTPStatus(exc.status_code).phrase:
        # Starlette's routing answers with the title alone; say what went wrong this time.
        detail = _routing_detail(request, exc.status_code, headers.get("Allow", ""))
    return problem_response(request, status=exc.status_code, detail=detail, headers=headers)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _routing_detail(request: Request, status: int, allowed: str) -> str:
    """The sentence for a request no route answers: no such address (404), or not with this
    method (405)."""
    path = request.url.path
    if status == 404:
        return f"There is nothing at {path}; /docs lists every address of the API."
    return f"{request.method} is not allowed at {path}: it takes {allowed}."


def _allowed_methods(request: Request) -> str:
    """Every method some route takes on the request's path (Starlette names one route's only)."""
    routes = request.app.router.routes
    allowed = {
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    }
    if "GET" in allowed:
        allowed.add("HEAD")  # api.head answers HEAD wherever GET is answered
    return ", ".join(method for method in _METHODS if method in allowed)


async def _operational_error(request: Request, exc: Exception) -> JSONResponse:
    # SQLite gave up waiting for the write lock (MATCHMAKER_SQLITE_BUSY_TIMEOUT_MS): overload.
    if "database is locked" in str(exc):
        return await _busy(request, exc)
    if db.is_unwritable(exc):
        # Logged once per outage by matchmaker.db, not once per request.
        return problem_response(
            request,
            status=503,
            detail="The database cannot take writes now (read-only or out of space); reads "
            "still work. Retry later.",
            headers={"Retry-After": str(db.UNWRITABLE_RETRY_AFTER)},
        )
    return await _unexpected_error(request, exc)


async def _busy(request: Request, exc: Exception) -> JSONResponse:
    logger.warning(
        "No database connection free for %s %s: %s", request.method, request.url.path, exc
    )
    response = problem_response(
        request,
        status=503,
        detail="The service is too busy to take this request now; retry shortly.",
    )
    response.headers["Retry-After"] = "5"
    return response


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        request, status=500, detail="The server hit an unexpected error; it has been logged."
    )


class UnexpectedErrors:
    """Answer an unexpected error with a 500 problem document, keeping the connection open.

    Starlette's outermost handler for `Exception` answers and then re-raises, and uvicorn
    closes a connection whose app raised: the client's next request on it failed too. Here
    the error is answered and not raised again; only one raised after the answer started,
    when nothing else can be said, goes on up.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app; turn an exception raised before the answer started into a 500."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            response = await _unexpected_error(Request(scope), exc)
            await response(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Make every error, expected or not, a problem details response."""
    app.add_middleware(UnexpectedErrors)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    # Every pooled connection taken for longer than the pool's timeout: overload, not a bug.
    app.add_exception_handler(sqlalchemy.exc.TimeoutError, _busy)
    app.add_exception_handler(sqlalchemy.exc.OperationalError, _operational_error)
    app.add_exception_handler(Exception, _unexpected_error)
