"""Fixtures shared by the import tests."""

import pytest

from matchmaker.settings import Settings


@pytest.fixture
def cli_env(settings: Settings) -> dict[str, str]:
    """Environment pointing the CLI at the test database."""
    return {"MATCHMAKER_DATABASE_URL": settings.database_url}
