"""`matchmaker serve`: what it logs."""

import subprocess
import sys

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
