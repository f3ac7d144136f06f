"""Typed domain errors; they know nothing of HTTP (api/errors.py maps them to statuses)."""


class DomainError(Exception):
    """Base of every error the domain reports to a caller."""

    title = "Request failed"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    """The resource asked for does not exist; `field` names the body field that named it, when
    the id came in the body rather than the path."""

    title = "Not found"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.field = field


class Conflict(DomainError):
    """The request clashes with the current state (a duplicate key, a concurrent write)."""

    title = "Conflict"


class PreconditionFailed(DomainError):
    """The client's version of the resource is stale, or it names a version of a resource
    that has none."""

    title = "Precondition failed"


class InvalidInput(DomainError):
    """Input that is well-formed but breaks a rule spanning several fields."""

    title = "Invalid input"

    def __init__(self, detail: str, *, field: str) -> None:
        super().__init__(detail)
        self.field = field


class PermissionDenied(DomainError):
    """The caller may not do this."""

    title = "Forbidden"


class Unauthenticated(DomainError):
    """The request needs a valid API key and has none (or a wrong, revoked one)."""

    title = "Unauthorized"


class RateLimited(DomainError):
    """Too many writes from one key or client; retry after the given seconds."""

    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """The database cannot be reached now; retry after the given seconds."""

    title = "Service unavailable"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
