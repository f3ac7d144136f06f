"""Helpers shared by test modules: a test module imports these, never another test module."""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from html.parser import HTMLParser
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, MetaData, func, select, update
from sqlmodel import Session, col

from api.main import create_app
from matchmaker.settings import Settings
from models.organisation import Organisation
from tests.servers import ADMIN_TOKEN

PROBLEM = "application/problem+json"


def settings_for(database_url: str, **overrides: Any) -> Settings:
    """Settings on a test's own database, with the known admin token and no write rate limit
    (what every test gets), changed by `overrides`."""
    defaults: dict[str, Any] = {"admin_token": ADMIN_TOKEN, "write_rate_limit": 0}
    return Settings(database_url=database_url, **(defaults | overrides))


_apps: dict[str, FastAPI] = {}


def app_for(settings: Settings) -> FastAPI:
    """The app for these settings, made once per test process: an app holds no data between
    two starts (its lifespan opens the database and fits the indexes anew), and FastAPI builds
    each app's routes on its first requests, about 0.15 s of every test that made its own."""
    secrets = [v for v in settings.model_dump().values() if isinstance(v, SecretStr)]
    # The JSON masks secrets: two admin tokens or SMTP addresses make two apps.
    key = settings.model_dump_json() + repr([secret.get_secret_value() for secret in secrets])
    if key not in _apps:
        _apps[key] = create_app(settings)
    return _apps[key]


def created(response: Any) -> dict[str, Any]:
    """The body of a 201 answer (httpx or the test client), failing with the answer otherwise."""
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(token: str | None) -> dict[str, str]:
    """The Authorization header that presents a key (none for None)."""
    return {"Authorization": f"Bearer {token}"} if token else {}


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


# Every table of a migrated database by backend, read once: each test's database is a copy of
# the same migrated one.
_tables: dict[str, MetaData] = {}


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to prove a refused request changed nothing."""
    metadata = _tables.get(engine.dialect.name)
    if metadata is None:
        metadata = _tables[engine.dialect.name] = MetaData()
        metadata.reflect(engine)
    with engine.connect() as connection:
        return {
            name: sorted(map(tuple, connection.execute(select(table)).all()), key=repr)
            for name, table in metadata.tables.items()
        }


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


class Page(HTMLParser):
    """What a test needs from a page: assets it loads, links, labels and form controls."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.assets: list[str] = []
        self.labels: set[str] = set()
        self.controls: list[dict[str, str]] = []
        self.rows: list[dict[str, str]] = []
        self.ids: list[str] = []
        self.options: list[tuple[str, str]] = []  # (optgroup label, value) of each option
        self._optgroup = ""
        self.inline_scripts = 0
        self.inline_styles = 0
        self.feed(html)

    def handle_endtag(self, tag: str) -> None:
        """Leave an option group."""
        if tag == "optgroup":
            self._optgroup = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Collect the attributes of the tags the tests look at."""
        found = {name: value or "" for name, value in attrs}
        if "id" in found:
            self.ids.append(found["id"])
        if tag == "optgroup":
            self._optgroup = found.get("label", "")
        if tag == "option":
            self.options.append((self._optgroup, found.get("value", "")))
        if tag == "script":
            if "src" in found:
                self.assets.append(found["src"])
            else:
                self.inline_scripts += 1
        if tag == "link" and found.get("rel") in {"stylesheet", "icon", "preload"}:
            self.assets.append(found["href"])
        if tag in {"img", "iframe", "source", "video", "audio", "embed"} and "src" in found:
            self.assets.append(found["src"])
        if tag == "style" or "style" in found:
            self.inline_styles += 1
        if tag == "label" and "for" in found:
            self.labels.add(found["for"])
        if tag in {"input", "select", "textarea"} and found.get("type") not in {"hidden", "radio"}:
            self.controls.append(found)
        if tag == "tr" and "data-organisation-id" in found:
            self.rows.append(found)
