"""Errors that are not the caller's fault still answer with problem details."""

import pytest
import sqlalchemy.exc
from fastapi.testclient import TestClient

from api.main import create_app
from matchmaker.settings import Settings


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (sqlalchemy.exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"), 503),
        (
            sqlalchemy.exc.OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked")),
            503,
        ),
        (sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception("disk I/O error")), 500),
    ],
)
def test_waiting_too_long_for_the_database_is_a_retryable_503(
    settings: Settings, error: Exception, status: int
) -> None:
    """No free pooled connection, or SQLite's write lock not free in time: 503, Retry-After."""
    app = create_app(settings)

    @app.get("/busy-probe")
    def busy() -> None:
        raise error

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/busy-probe")

    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    if status == 503:
        assert response.headers["retry-after"] == "5"
        assert "too busy" in response.json()["detail"]
    else:
        assert "retry-after" not in response.headers
