"""`matchmaker serve`: what it logs."""

import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from matchmaker.cli.main import app
from tests.servers import LOG_LINE

SHOW_LOGS = """
import logging.config
from matchmaker.cli.logs import log_config
logging.config.dictConfig(log_config())
logging.getLogger("matchmaker.matching.service").info("Matching index ready")
logging.getLogger("matchmaker.db").warning("The database cannot be reached")
logging.getLogger("elsewhere").info("not ours")
logging.getLogger("elsewhere").warning("A library's warning")
"""


def test_serve_logs_the_services_info_and_warnings_in_uvicorns_format() -> None:
    """The service's loggers print INFO and up with uvicorn's level prefix, on stderr, each
    line after the time in UTC and the process id (before, INFO lines were dropped and warnings
    printed bare, and no line said when or which worker wrote it); another library's warnings
    are in it too, its INFO lines not."""
    before = datetime.now(UTC)
    process = subprocess.Popen(
        [sys.executable, "-c", SHOW_LOGS], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    stdout, stderr = process.communicate(timeout=60)
    after = datetime.now(UTC)

    assert process.returncode == 0, stderr
    lines = [LOG_LINE.fullmatch(line) for line in stderr.splitlines()]
    assert all(lines), stderr
    assert [(line["pid"], line["rest"]) for line in lines if line] == [
        (str(process.pid), "INFO:     Matching index ready"),
        (str(process.pid), "WARNING:  The database cannot be reached"),
        (str(process.pid), "WARNING:  A library's warning"),
    ]
    times = [datetime.fromisoformat(line["time"]) for line in lines if line]
    assert all(before - timedelta(seconds=1) <= time <= after for time in times), times
    assert stdout == ""


ACCESS_LINES = """
import logging.config
from matchmaker.cli.logs import log_config
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
