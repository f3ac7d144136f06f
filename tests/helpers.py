"""Helpers shared by test modules: a test module imports these, never another test module."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

PROBLEM = "application/problem+json"


def assert_problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    """Check a response is a problem details document with the status (and field) expected."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["detail"]
    if field is not None:
        assert field in [error["field"] for error in body["errors"]], body
    return body


@dataclass(frozen=True)
class Profile:
    """A profile with the fields the ranking reads."""

    name: str
    description: str = ""
    keywords: Sequence[str] = ()
    activities: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
