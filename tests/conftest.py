"""Fixtures: every test gets its own migrated database and a client over the ASGI app.

Database-backed tests run once on SQLite and once on PostgreSQL (a server this test session
starts itself). `MATCHMAKER_TEST_DATABASES=sqlite` limits a run to SQLite.
"""

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.main import create_app
from matchmaker import db
from matchmaker.settings import Settings
from tests import postgres

BACKENDS = [
    name.strip()
    for name in os.environ.get("MATCHMAKER_TEST_DATABASES", "sqlite,postgres").split(",")
    if name.strip()
]
_database_numbers = itertools.count()


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """One PostgreSQL server for the whole test session."""
    with postgres.running_server() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, empty database on each configured backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    name = f"test_{os.getpid()}_{next(_database_numbers)}"
    yield postgres.create_database(admin_url, name)
    postgres.drop_database(admin_url, name)


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings pointing at the test's own database."""
    return Settings(database_url=database_url)


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
