"""Fixtures: every test gets its own migrated SQLite file and a client over the ASGI app."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.main import create_app
from matchmaker import db
from matchmaker.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings pointing at a fresh SQLite file in the test's own folder."""
    return Settings(database_url=f"sqlite:///{tmp_path / 'test.db'}")


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    """An engine on a database migrated to the latest revision."""
    engine = db.create_db_engine(settings)
    db.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    """An HTTP client talking to the app through ASGI, lifespan included."""
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client
