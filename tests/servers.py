"""Real uvicorn processes of the app on loopback, for tests that need real HTTP."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from tests.postgres import free_port

ADMIN_TOKEN = "test-admin-token"


def wait_until_healthy(base_url: str, process: subprocess.Popen[Any], *, seconds: float) -> None:
    """Poll /health until it answers 200; fail if the process exits or time runs out."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{base_url}/health", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server did not answer within {seconds} s")
        time.sleep(0.1)


def stop(process: subprocess.Popen[Any], *, seconds: float = 30) -> None:
    """Stop a server started with `start_new_session=True`, its worker processes included.

    SIGTERM to the whole process group, then SIGKILL to whatever outlived it: a worker still in
    its start-up (fitting an index) can miss the supervisor's shutdown and be left orphaned.
    """
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=seconds)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=seconds)


@contextmanager
def uvicorn_server(database_url: str, *, workers: int = 1, **env: str) -> Iterator[httpx.Client]:
    """Run uvicorn with the app (one worker unless told); yield an admin client; stop it after."""
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
            "--workers",
            str(workers),
        ],
        env={
            **os.environ,
            "MATCHMAKER_DATABASE_URL": database_url,
            "MATCHMAKER_ADMIN_TOKEN": ADMIN_TOKEN,
            "MATCHMAKER_WRITE_RATE_LIMIT": "0",
            **env,
        },
        start_new_session=True,
    )
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            timeout=30,
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        ) as client:
            wait_until_healthy(str(client.base_url).rstrip("/"), process, seconds=60)
            yield client
    finally:
        stop(process)
