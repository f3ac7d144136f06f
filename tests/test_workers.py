"""Several worker processes of a real uvicorn stay consistent with the database."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import Engine

from tests.conftest import ADMIN_TOKEN
from tests.factories import call_payload, organisation_payload


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def uvicorn_worker(database_url: str) -> Iterator[httpx.Client]:
    """Run one uvicorn process of the app on loopback; yield a client for it."""
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.main:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env={
            **os.environ,
            "MATCHMAKER_DATABASE_URL": database_url,
            "MATCHMAKER_ADMIN_TOKEN": ADMIN_TOKEN,
        },
    )
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            timeout=10,
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        ) as client:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert process.poll() is None, "uvicorn exited"
                assert time.monotonic() < deadline, "uvicorn did not start"
                time.sleep(0.1)
            yield client
    finally:
        process.terminate()
        process.wait(timeout=10)


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
    with uvicorn_worker(database_url) as first, uvicorn_worker(database_url) as second:
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
