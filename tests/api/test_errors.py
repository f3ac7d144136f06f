"""Errors that are not the caller's fault still answer with problem details."""

import sqlalchemy.exc
from fastapi.testclient import TestClient

from api.main import create_app
from matchmaker.settings import Settings


def test_an_exhausted_connection_pool_is_a_retryable_503(settings: Settings) -> None:
    """A request that found no free database connection in time gets 503 and Retry-After."""
    app = create_app(settings)

    @app.get("/busy-probe")
    def busy() -> None:
        raise sqlalchemy.exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/busy-probe")

    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.headers["content-type"] == "application/problem+json"
    assert "too busy" in response.json()["detail"]
