"""A throwaway PostgreSQL server for the test session, started from the installed binaries."""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg


def find_bindir() -> Path | None:
    """The folder holding initdb and pg_ctl, or None when PostgreSQL is not installed."""
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    return candidates[0].parent if candidates else None


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_user(command: list[str], user: str | None) -> list[str]:
    # PostgreSQL refuses to run as root, so as root the server runs as the postgres user.
    return ["runuser", "-u", user, "--", *command] if user else command


@dataclass(frozen=True)
class Cluster:
    """A running throwaway server: its admin URL, and how to stop and start it again."""

    url: str
    bindir: Path
    data: Path
    options: str
    log: Path
    user: str | None

    def _pg_ctl(self, *arguments: str) -> None:
        subprocess.run(
            _as_user([str(self.bindir / "pg_ctl"), "-D", str(self.data), *arguments], self.user),
            check=True,
            capture_output=True,
        )

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server (`immediate`: as a crash would, no shutdown checkpoint)."""
        self._pg_ctl("-m", mode, "stop")

    def start(self) -> None:
        """Start the server again on the same port and wait until it accepts connections."""
        self._pg_ctl("-o", self.options, "-l", str(self.log), "-w", "start")


# Where the server keeps its files when the machine has room in memory (and scripts/test the
# tests' own files): each test's database is a copy of the migrated template, and copying on a
# disk took 70 to 500 ms a test on the same machine (the disk's speed varies), in memory about
# 30 ms.
SHARED_MEMORY = Path("/dev/shm")
# The password of the tests' server's role: characters a URL must escape, and a space.
PASSWORD = "pg s3cret@/:%"
MEMORY_NEEDED = 2 * 1024**3


def in_memory_folder() -> str | None:
    """A folder in shared memory with `MEMORY_NEEDED` free, or None (the system's temp folder)."""
    try:
        usage = shutil.disk_usage(SHARED_MEMORY)
    except OSError:
        return None
    return str(SHARED_MEMORY) if usage.free >= MEMORY_NEEDED else None


@contextmanager
def running_cluster() -> Iterator[Cluster]:
    """Start a server on loopback in a temporary folder; yield it; stop it after."""
    bindir = find_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL is not installed (scripts/test installs it).")
    user = "postgres" if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="matchmaker-pg-", dir=in_memory_folder()))
    data = folder / "data"
    if user:
        record = pwd.getpwnam(user)
        os.chown(folder, record.pw_uid, record.pw_gid)
    role = user or pwd.getpwuid(os.geteuid()).pw_name
    # Connections over TCP, the tests' and the service's, give a password, as in a deployment:
    # a service that lost the URL's password on the way would be refused, not let in.
    password_file = folder / "password"
    password_file.write_text(PASSWORD)
    if user:
        os.chown(password_file, record.pw_uid, record.pw_gid)
    initdb = [str(bindir / "initdb"), "-D", str(data), "-U", role, "-E", "UTF8"]
    initdb += ["--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={password_file}"]
    subprocess.run(_as_user(initdb, user), check=True, capture_output=True)
    port = free_port()
    options = f"-h 127.0.0.1 -p {port} -k {folder} -F -c fsync=off -c full_page_writes=off"
    url = f"postgresql+psycopg://{role}:{quote(PASSWORD, safe='')}@127.0.0.1:{port}/postgres"
    cluster = Cluster(url, bindir, data, options, folder / "log", user)
    cluster.start()
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(
                    host="127.0.0.1", port=port, user=role, password=PASSWORD, dbname="postgres"
                ).close()
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield cluster
    finally:
        subprocess.run(
            _as_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], user),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def running_server() -> Iterator[str]:
    """Start a server on loopback in a temporary folder; yield its admin URL; stop it after."""
    with running_cluster() as cluster:
        yield cluster.url


def create_database(admin_url: str, name: str, *, template: str | None = None) -> str:
    """Create a database (empty, or a copy of a template) and return its URL."""
    conninfo = admin_url.replace("postgresql+psycopg://", "postgresql://")
    copy = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"{copy}')
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def drop_database(admin_url: str, name: str) -> None:
    """Drop a database, closing any connection still open to it."""
    conninfo = admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
