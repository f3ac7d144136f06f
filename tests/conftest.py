"""Fixtures: every test gets its own migrated database and a client over the ASGI app.

Database-backed tests run once on SQLite and once on PostgreSQL (a server this test session
starts itself), except those marked `sqlite_only`: what they check is decided before any query
differs between the databases (validation, keys, headers, the OpenAPI document, wording), and
a second run on PostgreSQL would cost CI time and find nothing the first could not.
`MATCHMAKER_TEST_DATABASES=sqlite` limits a run to SQLite. Every test that needs the PostgreSQL
server is marked `postgres` here, so `-m "not postgres"` leaves them all out.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from matchmaker import db
from matchmaker.settings import Settings, get_settings
from tests import postgres
from tests.factories import create_organisation
from tests.helpers import app_for, keyed, settings_for, sharing
from tests.servers import ADMIN_TOKEN

BACKENDS = [
    name.strip()
    for name in os.environ.get("MATCHMAKER_TEST_DATABASES", "sqlite,postgres").split(",")
    if name.strip()
]
_deselected = 0  # tests left out by -m or -k, counted by pytest_deselected


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test on a database runs on each configured one, or on SQLite alone when it (or its
    module) is marked `sqlite_only`."""
    if "database_url" not in metafunc.fixturenames:
        return
    sqlite_only = metafunc.definition.get_closest_marker("sqlite_only") is not None
    metafunc.parametrize(
        "database_url",
        [
            pytest.param(name, marks=pytest.mark.postgres) if name == "postgres" else name
            for name in BACKENDS
            if name == "sqlite" or not sqlite_only
        ],
        indirect=True,
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `postgres` the tests that use the server directly (database_url's param has it),
    and order the suite for the processes sharing it out (`_shared_out`)."""
    for item in items:
        if "postgres_admin_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)
    items[:] = _shared_out(items, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))


def _shared_out(items: list[pytest.Item], processes: int) -> list[pytest.Item]:
    """The tests in the order that lets `processes` end together: the `slow` ones first, where
    a two-minute schemathesis run left last kept one process busy alone, and dealt out.

    pytest-xdist's work stealing first hands each process an equal run of the list, then moves
    tests from the end of a busy one's run to an idle one. With the slow tests all at the head
    of the list, the first process got every one of them (70% of the suite's time) and the
    others took its short tests; here each run begins with its share of the slow ones."""
    slow = [item for item in items if item.get_closest_marker("slow") is not None]
    fast = [item for item in items if item.get_closest_marker("slow") is None]
    ordered: list[pytest.Item] = []
    remaining = len(items)
    for process in range(processes):
        size = remaining // (processes - process)  # what xdist hands this process first
        dealt = slow[process::processes]
        taken = max(size - len(dealt), 0)
        ordered += dealt + fast[:taken]
        del fast[:taken]
        remaining -= size
    return ordered + fast


def pytest_deselected(items: list[pytest.Item]) -> None:
    """Count the tests `-m` or `-k` left out, for pytest_sessionfinish."""
    global _deselected
    _deselected += len(items)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A run whose every test a marker or keyword left out passes (pytest would exit 5)."""
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED and _deselected:
        session.exitstatus = pytest.ExitCode.OK


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """Each test reads its own environment: the command line reads its settings once per
    process (`get_settings`), so a CliRunner's `env` would otherwise be the first test's."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """One PostgreSQL server for the whole test session (skips if the run leaves PostgreSQL out)."""
    if "postgres" not in BACKENDS:
        pytest.skip("MATCHMAKER_TEST_DATABASES leaves PostgreSQL out")
    with postgres.running_server() as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once per test session, copied for every test."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = db.create_db_engine(Settings(database_url=f"sqlite:///{path}"))
    db.upgrade(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_admin_url: str) -> str:
    """A PostgreSQL database migrated once per test session, the template of every test's."""
    url = postgres.create_database(postgres_admin_url, "matchmaker_template")
    engine = db.create_db_engine(Settings(database_url=url))
    db.upgrade(engine)
    engine.dispose()
    return "matchmaker_template"


@pytest.fixture(scope="session")
def database_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of this test process's SQLite database, which each test gets afresh."""
    return tmp_path_factory.mktemp("database")


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a fresh database, already migrated, on each configured backend.

    Each test of one process gets the same URL, on a database made afresh for it (a copy of
    the migrated template): the settings of one test are then those of the next, so one app
    serves them all (`started`), where building an app's routes took a fifth of a test."""
    if request.param == "sqlite":
        folder = request.getfixturevalue("database_folder")
        shutil.rmtree(folder)
        folder.mkdir()
        path = folder / "test.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    template = request.getfixturevalue("postgres_template")
    name = f"test_{os.getpid()}"
    postgres.drop_database(admin_url, name)
    yield postgres.create_database(admin_url, name, template=template)
    postgres.drop_database(admin_url, name)


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings pointing at the test's own database, with a known admin token, no rate limit."""
    return settings_for(database_url)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    """An engine on the test's database (a copy of one migrated to the latest revision)."""
    engine = db.create_db_engine(settings)
    yield engine
    engine.dispose()


@pytest.fixture
def started(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    """The app, started (its lifespan runs around the test), with an anonymous client."""
    with TestClient(app_for(settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def client(started: TestClient) -> TestClient:
    """An HTTP client acting as an admin, through ASGI; permission tests use `anonymous`."""
    return keyed(started, ADMIN_TOKEN)


@pytest.fixture
def anonymous(started: TestClient) -> TestClient:
    """An HTTP client with no API key."""
    return sharing(started)


@pytest.fixture
def owner(client: TestClient) -> tuple[int, TestClient]:
    """An organisation and a client holding its key."""
    body = create_organisation(client)
    return body["id"], keyed(client, body["api_key"])
