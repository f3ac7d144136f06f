"""compose.yaml's service, as its image installs it, starts and serves on PostgreSQL.

There is no container engine here, so the test does what the image and compose would: it
builds the wheel the Dockerfile installs (`pip install .`), installs it apart from the
checkout, and runs compose's `command` with compose's `environment` against a real
PostgreSQL server, `db` being that server and the volume a temporary folder.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import psycopg
import pytest
import yaml

from tests.postgres import free_port
from tests.servers import stop, wait_until_healthy

ROOT = Path(__file__).resolve().parent.parent
ADMIN_TOKEN = "compose-admin-token-0123456789abcdef"
PASSWORD = "compose-password"
# Compose's interpolation forms used in compose.yaml: ${NAME:-default} and ${NAME:?error}.
_VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?::(?P<kind>[-?])(?P<rest>[^}]*))?\}")

# What the Dockerfile copies into the image before `pip install .`.
_COPY = re.compile(r"^COPY (?P<sources>.+?) \S+$", re.MULTILINE)
_NOT_COPIED = shutil.ignore_patterns("__pycache__")

# Building and installing the wheel takes seconds; the compose test also starts the service.
pytestmark = pytest.mark.slow


def interpolate(value: str, environment: dict[str, str]) -> str:
    """Expand compose's variables in `value` the way `docker compose` does."""

    def expand(found: re.Match[str]) -> str:
        name, kind, rest = found.group("name", "kind", "rest")
        if environment.get(name):
            return environment[name]
        if kind == "?":
            raise ValueError(f"{name}: {rest}")
        return rest or ""

    return _VARIABLE.sub(expand, value)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of the checkout installed into its own folder, as the image's `pip install .`."""
    folder = tmp_path_factory.mktemp("image")
    # The Dockerfile's COPY lines, into a folder of this process's own: building in the
    # checkout wrote its build/ folder, where two test processes building at once collided.
    source = folder / "source"
    source.mkdir()
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    for name in (name for line in _COPY.finditer(dockerfile) for name in line["sources"].split()):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=_NOT_COPIED)
        else:
            shutil.copy2(ROOT / name, source / name)
    wheels = folder / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", wheels, source], check=True)
    (wheel,) = wheels.glob("*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", folder / "site", wheel], check=True)
    return folder / "site"


def test_the_wheel_ships_every_file_the_service_reads(installed: Path) -> None:
    """Templates, static files, demo data and migrations are in the package, not only in git."""
    needed = [
        path.relative_to(ROOT)
        for top in ("api", "matchmaker", "models", "migrations")
        for path in (ROOT / top).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    ]
    missing = [str(path) for path in needed if not (installed / path).is_file()]
    assert len(needed) > 50
    assert missing == []


def test_composes_service_starts_its_workers_on_postgresql_and_serves(
    installed: Path, postgres_admin_url: str, tmp_path: Path
) -> None:
    """compose's app command and environment, the database being `db`, the volume a folder."""
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    app, database = compose["services"]["app"], compose["services"]["db"]
    outer = {"POSTGRES_PASSWORD": PASSWORD, "MATCHMAKER_ADMIN_TOKEN": ADMIN_TOKEN}
    with pytest.raises(ValueError, match="MATCHMAKER_ADMIN_TOKEN"):
        interpolate(app["environment"]["MATCHMAKER_ADMIN_TOKEN"], {})

    # The db service's own settings create the role and database the app connects to.
    db_env = {key: interpolate(value, outer) for key, value in database["environment"].items()}
    admin = postgres_admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as connection:
        user, password = db_env["POSTGRES_USER"], db_env["POSTGRES_PASSWORD"]
        connection.execute(f"CREATE ROLE {user} LOGIN PASSWORD '{password}'")
        connection.execute(f"CREATE DATABASE {db_env['POSTGRES_DB']} OWNER {user}")

    server = postgres_admin_url.split("@", 1)[1].split("/", 1)[0]
    (volume,) = app["volumes"]
    volume_name, mount = volume.split(":")
    port = free_port()
    environment = {key: interpolate(value, outer) for key, value in app["environment"].items()}
    environment["MATCHMAKER_DATABASE_URL"] = environment["MATCHMAKER_DATABASE_URL"].replace(
        "@db/", f"@{server}/"
    )
    assert environment["MATCHMAKER_INDEX_DIR"] == mount
    assert volume_name in compose["volumes"]
    environment["MATCHMAKER_INDEX_DIR"] = str(tmp_path / volume_name)
    command = [str(installed / "bin" / app["command"][0]), *app["command"][1:]]
    command[command.index("--port") + 1] = str(port)
    command[command.index("--host") + 1] = "127.0.0.1"
    workers = int(command[command.index("--workers") + 1])
    assert workers > 1
    env = {key: value for key, value in os.environ.items() if not key.startswith("MATCHMAKER_")}
    process = subprocess.Popen(
        command,
        env={**env, **environment, "PYTHONPATH": str(installed)},
        cwd=tmp_path,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, process, seconds=120)
        with httpx.Client(
            base_url=base, timeout=30, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        ) as client:
            health = client.get("/health").json()
            assert health["database"] == "postgresql"
            assert health["schema_revision"] == health["latest_revision"]
            assert health["index"]["mapped"]
            assert health["index"]["documents"] == 0  # --no-demo
            created = client.post(
                "/organisations",
                json={
                    "name": "Compose Biobank",
                    "stakeholder_type": "sme",
                    "country": "NL",
                    "description": "Liquid biopsy biobank for early cancer detection.",
                },
            )
            assert created.status_code == 201, created.text
            found = client.post("/search", json={"text": "liquid biopsy biobank"})
            assert found.status_code == 200, found.text
            names = [item["organisation"]["name"] for item in found.json()["items"]]
            assert names == ["Compose Biobank"]
        assert list((tmp_path / volume_name).glob("*"))  # the index was saved on the volume
    finally:
        stop(process)
