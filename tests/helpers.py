"""Helpers shared by test modules: a test module imports these, never another test module."""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update
from sqlmodel import Session, col

from models.organisation import Organisation

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


def sharing(client: TestClient, headers: dict[str, str] | None = None) -> TestClient:
    """Another client of the started app, on the same event loop (no second lifespan)."""
    other = TestClient(client.app, raise_server_exceptions=False, headers=headers)
    other.portal = client.portal
    return other


def keyed(client: TestClient, key: str) -> TestClient:
    """A client of the same app sending an API key."""
    return sharing(client, {"Authorization": f"Bearer {key}"})


def count_rows(engine: Engine, model: Any) -> int:
    """How many rows a table holds."""
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def mailed_links(
    messages: Sequence[EmailMessage], link: re.Pattern[str]
) -> list[tuple[str, int, str]]:
    """Each message's recipient with the id and token of the link it carries."""
    found = []
    for message in messages:
        match = link.search(message.get_content())
        assert match, message.get_content()
        found.append((str(message["To"]), int(match.group(1)), match.group(2)))
    return found


def mark_confirmed(engine: Engine, organisation_id: int, moment: datetime) -> None:
    """Set when a profile was last confirmed, as time passing would."""
    with Session(engine) as session:
        session.execute(
            update(Organisation)
            .where(col(Organisation.id) == organisation_id)
            .values(confirmed_at=moment)
        )
        session.commit()
