"""Health, migrations and durability."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.main import create_app
from matchmaker import db
from matchmaker.settings import Settings
from tests.factories import create_call, create_organisation
from tests.helpers import assert_problem
from tests.servers import ADMIN_TOKEN


def test_health_reports_database_and_latest_revision(client: TestClient, engine: Engine) -> None:
    """A migrated database is healthy and at the head revision."""
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["database"] == engine.dialect.name
    assert body["schema_revision"] == db.head_revision()
    assert body["latest_revision"] == db.head_revision()


def test_health_is_503_when_schema_is_behind(settings: Settings, engine: Engine) -> None:
    """An unmigrated database is reported unhealthy, with the command that fixes it."""
    db.downgrade(engine, "base")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        body = assert_problem(client.get("/health"), 503)
    assert "matchmaker db upgrade" in body["detail"]


@pytest.mark.sqlite_only
def test_docs_render(client: TestClient) -> None:
    """The OpenAPI document and its interactive page are served."""
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert "/organisations/{organisation_id}" in schema["paths"]
    assert "/calls" in schema["paths"]


def test_restart_keeps_all_data(settings: Settings, engine: Engine) -> None:
    """Data written by one app instance is there for the next one on the same database."""
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with TestClient(create_app(settings), headers=admin) as first:
        organisation = create_organisation(first)
        call = create_call(first)
        first.patch(f"/organisations/{organisation['id']}", json={"city": "Delft"})
    with TestClient(create_app(settings)) as second:
        assert second.get(f"/organisations/{organisation['id']}").json()["city"] == "Delft"
        assert second.get(f"/calls/{call['id']}").json()["identifier"] == call["identifier"]


def test_rejected_request_loses_nothing(client: TestClient) -> None:
    """A refused write leaves every earlier write intact."""
    organisation = create_organisation(client)
    client.post("/calls", json={"identifier": "bad id", "title": "x"})
    client.patch(f"/organisations/{organisation['id']}", json={"country": "ZZ"})
    assert client.get(f"/organisations/{organisation['id']}").json()["country"] == "NL"
    assert client.get("/calls").json()["total"] == 0
