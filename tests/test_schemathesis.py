"""Schemathesis against the service's own OpenAPI schema: no 5xx, every answer as documented."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from matchmaker.importers.demo import load_demo
from tests.servers import ADMIN_TOKEN, uvicorn_server

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)
EXAMPLES_PER_OPERATION = 20

pytestmark = pytest.mark.slow


def test_schemathesis_finds_no_server_error_or_schema_violation(
    database_url: str, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A deterministic schemathesis run over every operation reports zero failures."""
    load_demo(engine)
    with uvicorn_server(database_url) as server:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "schemathesis.cli",
                "run",
                f"{server.base_url}/openapi.json",
                "--header",
                f"Authorization: Bearer {ADMIN_TOKEN}",
                "--max-examples",
                str(EXAMPLES_PER_OPERATION),
                "--generation-deterministic",
                "--checks",
                CHECKS,
                "--no-color",
                "--report-dir",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    output = result.stdout + result.stderr
    summary = output[output.rfind("SUMMARY") :] if "SUMMARY" in output else output[-3000:]
    with capsys.disabled():
        print(f"\nschemathesis ({engine.dialect.name}):\n{summary}")
    assert result.returncode == 0, output[-20000:]
    tested = re.search(r"Tested: (\d+)", output)
    assert tested is not None
    assert int(tested.group(1)) >= 30
    assert re.search(r"(\d+) generated, \1 passed", output), summary
