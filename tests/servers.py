"""Real uvicorn processes of the app on loopback, for tests that need real HTTP."""

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.postgres import free_port

ADMIN_TOKEN = "test-admin-token-0123456789abcdef"
# A line as `matchmaker serve` logs it: the time in UTC (ISO 8601, to the millisecond), the id
# of the process that wrote it, then uvicorn's format (`INFO:     ...`).
LOG_LINE = re.compile(
    r"(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) \[(?P<pid>\d+)\] (?P<rest>.*)"
)


def wait_until_healthy(base_url: str, process: subprocess.Popen[Any], *, seconds: float) -> None:
    """Poll /health until it answers 200; fail if the process exits or time runs out.

    One client for all the polls: each new client loads the system's certificates (tens of
    milliseconds), and a server takes a second or two to start.
    """
    deadline = time.monotonic() + seconds
    with httpx.Client(timeout=5) as client:
        while not _healthy(client, f"{base_url}/health"):
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer within {seconds} s")
            time.sleep(0.1)


def _healthy(client: httpx.Client, url: str) -> bool:
    try:
        return client.get(url).status_code == 200
    except httpx.TransportError:
        return False


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


@dataclass
class Server:
    """A running uvicorn: its admin client, its process and what it has logged so far."""

    client: httpx.Client
    process: subprocess.Popen[str]
    port: int
    lines: list[str] = field(default_factory=list)

    @property
    def log(self) -> str:
        """Everything the server wrote to its standard error (and, started as `matchmaker
        serve`, its standard output) so far."""
        return "".join(self.lines)

    def workers(self) -> list[int]:
        """The process ids of the worker processes of a server started with several."""
        return sorted(pid for pid in _children(self.process.pid) if b"spawn_main" in _cmdline(pid))

    def serving(self, client_port: int) -> int | None:
        """The process that accepted the connection from `client_port` (None: not yet)."""
        inode = _socket_inode(self.port, client_port)
        if inode is None:
            return None
        target = f"socket:[{inode}]"
        for pid in [self.process.pid, *_children(self.process.pid)]:
            with contextlib.suppress(OSError):
                for fd in os.listdir(f"/proc/{pid}/fd"):
                    with contextlib.suppress(OSError):
                        if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                            return pid
        return None


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                # The command name may hold spaces and parentheses: fields follow the last ")".
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry))
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _socket_inode(server_port: int, client_port: int) -> str | None:
    """The inode of the server's end of a loopback TCP connection, from /proc/net/tcp."""
    with Path("/proc/net/tcp").open() as handle:
        next(handle)
        for line in handle:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if int(local.split(":")[1], 16) == server_port and (
                int(remote.split(":")[1], 16) == client_port
            ):
                return inode
    return None


@contextmanager
def uvicorn_server(database_url: str, *, workers: int = 1, **env: str) -> Iterator[httpx.Client]:
    """Run uvicorn with the app (one worker unless told); yield an admin client; stop it after."""
    with running_server(database_url, workers=workers, env=env) as server:
        yield server.client


@contextmanager
def running_server(
    database_url: str,
    *,
    workers: int = 1,
    preexec_fn: Callable[[], None] | None = None,
    env: dict[str, str] | None = None,
    cli: bool = False,
) -> Iterator[Server]:
    """Like `uvicorn_server`, yielding the `Server`; `preexec_fn` runs in the child before exec;
    with `cli`, started as deployed, by `matchmaker serve --no-demo` (which migrates first).

    The server's standard error is collected (a pipe, so a file-size limit on the server does
    not stop its log); with `cli`, the command's standard output too.
    """
    port = free_port()
    where = ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    if cli:
        command = ["-m", "matchmaker.cli.main", "serve", "--no-demo", *where]
    else:
        command = ["-m", "uvicorn", "api.main:create_app", "--factory", "--log-level", "warning"]
        command += where
    process = subprocess.Popen(
        [sys.executable, *command],
        env={
            **os.environ,
            "MATCHMAKER_DATABASE_URL": database_url,
            "MATCHMAKER_ADMIN_TOKEN": ADMIN_TOKEN,
            "MATCHMAKER_WRITE_RATE_LIMIT": "0",
            **(env or {}),
        },
        start_new_session=True,
        stdout=subprocess.PIPE if cli else None,
        stderr=subprocess.STDOUT if cli else subprocess.PIPE,
        text=True,
        preexec_fn=preexec_fn,
    )
    lines: list[str] = []
    log = process.stdout if cli else process.stderr
    assert log is not None
    reader = threading.Thread(target=lines.extend, args=(log,), daemon=True)
    reader.start()
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            timeout=30,
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        ) as client:
            try:
                wait_until_healthy(str(client.base_url).rstrip("/"), process, seconds=60)
            except RuntimeError as error:
                raise RuntimeError(f"{error}; it logged:\n{''.join(lines)}") from error
            yield Server(client=client, process=process, port=port, lines=lines)
    finally:
        stop(process)
        reader.join(timeout=10)
        log.close()


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve an app object with a real uvicorn in a thread of this process; yield its base URL.

    For tests that need a real HTTP/1.1 server (kept-alive connections, chunked bodies) around
    an app they built themselves, routes of their own included.
    """
    import threading

    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the in-process server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
