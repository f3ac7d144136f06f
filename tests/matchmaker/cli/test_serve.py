"""`matchmaker serve`: what it logs."""

import socket
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from matchmaker.cli.main import app

SHOW_LOGS = """
import logging.config
from matchmaker.cli.main import log_config
logging.config.dictConfig(log_config())
logging.getLogger("matchmaker.matching.service").info("Matching index ready")
logging.getLogger("matchmaker.db").warning("The database cannot be reached")
logging.getLogger("elsewhere").info("not ours")
"""


def test_serve_logs_the_services_info_and_warnings_in_uvicorns_format() -> None:
    """The service's loggers print INFO and up with uvicorn's level prefix, on stderr; before,
    INFO lines were dropped and warnings printed bare."""
    shown = subprocess.run(
        [sys.executable, "-c", SHOW_LOGS], capture_output=True, text=True, check=True, timeout=60
    )

    assert shown.stderr == (
        "INFO:     Matching index ready\nWARNING:  The database cannot be reached\n"
    )
    assert shown.stdout == ""


ACCESS_LINES = """
import logging.config
from matchmaker.cli.main import log_config
logging.config.dictConfig(log_config())
access = logging.getLogger("uvicorn.access")
for path in [
    "/ui/key-recovery/53/C4FlUipjLpWY2VJkdKFiHJUH7-mPxfgvBLVD2Aboq1I",
    "/organisations/53/key-recovery/C4FlUipjLpWY2VJkdKFiHJUH7-mPxfgvBLVD2Aboq1I",
    "/ui/claims/7/Zm9vYmFyYmF6cXV4",
    "/claims/7/confirmation/Zm9vYmFyYmF6cXV4",
    "/unsubscribe/dW5zdWJzY3JpYmU?utm_source=mail",
    "/ui/key-recovery?organisation=53",
    "/organisations/53/claims",
]:
    access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:41734", "GET", path, "1.1", 200)
"""


def test_the_access_log_hides_the_secrets_of_e_mailed_links() -> None:
    """A link that carries a one-time secret in its path (key recovery, a claim, unsubscribe)
    is logged with `<token>` in its place, so that reading the log gives no key; other paths
    are logged as they came."""
    shown = subprocess.run(
        [sys.executable, "-c", ACCESS_LINES], capture_output=True, text=True, check=True, timeout=60
    )

    logged = [line.split('"GET ')[1].split(" HTTP/")[0] for line in shown.stdout.splitlines()]
    assert logged == [
        "/ui/key-recovery/53/<token>",
        "/organisations/53/key-recovery/<token>",
        "/ui/claims/7/<token>",
        "/claims/7/confirmation/<token>",
        "/unsubscribe/<token>?utm_source=mail",
        "/ui/key-recovery?organisation=53",
        "/organisations/53/claims",
    ]
    assert "C4FlUip" not in shown.stdout + shown.stderr


def test_serve_refuses_a_port_in_use_before_touching_the_database(tmp_path: Path) -> None:
    """A port another server listens on ends `serve` at once, in one line, before migrating
    the database and fitting the index (uvicorn found out only after both)."""
    database = tmp_path / "m.db"
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        result = CliRunner().invoke(
            app,
            ["serve", "--port", str(port)],
            env={"MATCHMAKER_DATABASE_URL": f"sqlite:///{database}"},
        )

    assert (result.exit_code, result.output) == (
        1,
        f"Error: cannot listen on 127.0.0.1:{port} (Address already in use); stop what uses "
        "it or choose another --port.\n",
    )
    assert not database.exists()


def test_serve_names_an_address_it_cannot_listen_on(tmp_path: Path) -> None:
    """An address of no interface of this machine is refused with a hint at --host."""
    result = CliRunner().invoke(
        app,
        ["serve", "--host", "192.0.2.1", "--port", "8000"],
        env={"MATCHMAKER_DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}"},
    )

    assert (result.exit_code, result.output) == (
        1,
        "Error: cannot listen on 192.0.2.1:8000 (Cannot assign requested address); check --host.\n",
    )


def test_serve_refuses_a_port_out_of_range(tmp_path: Path) -> None:
    """A port past 65535 is a usage error (exit code 2), not an OverflowError traceback."""
    result = CliRunner().invoke(
        app,
        ["serve", "--port", "99999"],
        env={"MATCHMAKER_DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}"},
    )

    assert result.exit_code == 2
    assert (
        "Invalid value for '--port': Input should be less than or equal to 65535" in result.output
    )
    assert not (tmp_path / "m.db").exists()
