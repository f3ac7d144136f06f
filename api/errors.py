"""RFC 9457 problem details for every error the service returns."""

import logging
from http import HTTPStatus
from typing import Any

import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from matchmaker import db
from matchmaker.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    RateLimited,
    Unauthenticated,
)

logger = logging.getLogger("matchmaker.api")

PROBLEM_JSON = "application/problem+json"

STATUS_OF: dict[type[DomainError], int] = {
    NotFound: 404,
    Conflict: 409,
    PreconditionFailed: 412,
    InvalidInput: 422,
    PermissionDenied: 403,
    Unauthenticated: 401,
    RateLimited: 429,
}


class FieldError(BaseModel):
    """One invalid field: where it is and what is wrong."""

    field: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem details document."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] | None = None


def problem_response(
    request: Request,
    *,
    status: int,
    detail: str,
    title: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Render a problem details response."""
    problem = Problem(
        title=title or HTTPStatus(status).phrase,
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


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the problems an endpoint can answer with."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


def _field_name(location: tuple[Any, ...]) -> str:
    parts = [str(part) for part in location if part not in ("body",)]
    return ".".join(parts) or "body"


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        FieldError(
            field=_field_name(tuple(error.get("loc", ()))),
            message=error["msg"].removeprefix("Value error, "),
        )
        for error in exc.errors()
    ]
    fields = ", ".join(dict.fromkeys(error.field for error in errors))
    return problem_response(
        request,
        status=422,
        title="Invalid input",
        detail=f"Invalid value for: {fields}.",
        errors=errors,
    )


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    errors = None
    if isinstance(exc, InvalidInput):
        errors = [FieldError(field=exc.field, message=exc.detail)]
    status = next(code for kind, code in STATUS_OF.items() if isinstance(exc, kind))
    headers = None
    if isinstance(exc, Unauthenticated):
        headers = {"WWW-Authenticate": "Bearer"}
    elif isinstance(exc, RateLimited):
        headers = {"Retry-After": str(exc.retry_after)}
    return problem_response(
        request, status=status, title=exc.title, detail=exc.detail, errors=errors, headers=headers
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    return problem_response(
        request,
        status=exc.status_code,
        detail=str(exc.detail),
        headers=headers,
    )


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> str:
    """Every method some route takes on the request's path (Starlette names one route's only)."""
    routes = request.app.router.routes
    allowed = [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]
    return ", ".join(allowed)


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
