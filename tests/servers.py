"""Real uvicorn processes of the app on loopback, for tests that need real HTTP."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.conftest import ADMIN_TOKEN
from tests.postgres import free_port


@contextmanager
def uvicorn_server(database_url: str, **env: str) -> Iterator[httpx.Client]:
    """Run one uvicorn process of the app; yield an admin client for it; stop it after."""
    port = free_port()
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
            "MATCHMAKER_WRITE_RATE_LIMIT": "0",
            **env,
        },
    )
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            timeout=30,
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        ) as client:
            deadline = time.monotonic() + 60
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
        process.wait(timeout=30)
