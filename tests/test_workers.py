"""Several worker processes of a real uvicorn stay consistent with the database."""

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from tests.factories import call_payload, organisation_payload
from tests.servers import uvicorn_server

# Each test starts uvicorn with several workers, each fitting the matcher index.
pytestmark = pytest.mark.slow


def _within_a_second(check: Callable[[], bool]) -> float:
    """Poll until check() holds; return how long it took, failing after one second."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < 1.0, "not visible within a second"
        time.sleep(0.02)
    return time.monotonic() - start


def _names(client: httpx.Client, call_id: int) -> list[str]:
    body: dict[str, Any] = client.get(f"/calls/{call_id}/suggestions").json()
    return [item["organisation"]["name"] for item in body["items"]]


def test_write_through_one_worker_is_visible_through_another(
    database_url: str, engine: Engine
) -> None:
    """Creating, editing and deleting through worker A shows in worker B's next answers."""
    with uvicorn_server(database_url) as first, uvicorn_server(database_url) as second:
        call = first.post("/calls", json=call_payload(opening_date=None, deadline=None)).json()
        created = first.post(
            "/organisations",
            json=organisation_payload(
                name="Liquid Biopsy SME",
                description="Early cancer detection with liquid biopsy.",
                keywords=[],
                activities=[],
            ),
        ).json()
        _within_a_second(lambda: "Liquid Biopsy SME" in _names(second, call["id"]))

        second.patch(f"/organisations/{created['id']}", json={"name": "Renamed SME"})
        _within_a_second(lambda: "Renamed SME" in _names(first, call["id"]))

        first.delete(f"/organisations/{created['id']}")
        _within_a_second(lambda: _names(second, call["id"]) == [])


def test_workers_of_one_machine_fit_once_and_share_the_saved_index(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    """Two workers starting together: one fits and saves, both serve that mapped copy."""
    elsewhere = str(tmp_path / "elsewhere")
    with uvicorn_server(database_url, MATCHMAKER_INDEX_DIR=elsewhere) as writer:
        call = writer.post("/calls", json=call_payload(opening_date=None, deadline=None)).json()
        writer.post("/organisations", json=organisation_payload(name="Liquid Biopsy SME"))
    folder = tmp_path / "index"
    with uvicorn_server(database_url, workers=2, MATCHMAKER_INDEX_DIR=str(folder)) as both:
        fits = set()
        for _ in range(20):  # a new connection each time, so both workers answer
            index = both.get("/health", headers={"Connection": "close"}).json()["index"]
            assert index["mapped"] is True
            assert index["documents"] == 1
            fits.add(index["fitted_at"])
        assert _names(both, call["id"]) == ["Liquid Biopsy SME"]
    assert len(fits) == 1
    assert len(list(folder.glob("tfidf-*"))) == 1
