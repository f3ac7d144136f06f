"""Schemathesis against the service's own OpenAPI schema: no 5xx, every answer as documented.

Every operation, every check (`--checks all`) and every phase, the stateful one included (its
links are inferred from the schema: an id a response returns feeds the operations that take
it), on each database. Two passes: the key of an organisation that registered itself, which
reaches what admins do not (drafts, the inbox, contact requests), then an admin's key.
Deterministic generation and bounded examples keep the run reproducible and short.
"""

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from matchmaker.importers.demo import load_demo
from tests.servers import ADMIN_TOKEN, uvicorn_server

PHASES = "examples,coverage,fuzzing,stateful"
EXAMPLES_PER_OPERATION = 20
# `positive_data_acceptance` sends requests the schema allows and expects them accepted. Two
# answers to such a request are documented and right: 412 for an If-Match naming another
# version (any string fits the header's schema), and 422 for the rules JSON Schema cannot
# state, each with a problem document naming the field: a country code that exists, text
# without control or invisible characters, a deadline not before the opening date, ids that
# exist. Every other check keeps its defaults.
CONFIG = """\
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "412", "422", "429"]
"""

# The operations by which an organisation's key ends itself (deleting the organisation,
# rotating or revoking the key). Answered, they leave the rest of the organisation's pass with
# a dead key (only 401s); now that the schema's id bounds are JSON Schema's own keywords,
# schemathesis draws the real ids and does answer them. The admin's pass runs them.
ENDS_OWN_KEY = (
    "delete_organisation",
    "rotate_key",
    "revoke_key",
    "redeem_key_recovery",
)

pytestmark = pytest.mark.slow


def _run(
    base_url: str, token: str, report_dir: Path, config: Path, excluded: tuple[str, ...]
) -> str:
    """One schemathesis run with this key, leaving out the `excluded` operation ids; the whole
    output (failures fail the test)."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(config),
            "run",
            f"{base_url}/openapi.json",
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            "all",
            "--phases",
            PHASES,
            "--max-examples",
            str(EXAMPLES_PER_OPERATION),
            "--generation-deterministic",
            "--no-color",
            "--report-dir",
            str(report_dir),
            *(argument for name in excluded for argument in ("--exclude-operation-id", name)),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = result.stdout + result.stderr
    (report_dir / "output.txt").write_text(output)
    assert result.returncode == 0, output[-20000:]
    return output


def test_schemathesis_finds_no_server_error_or_schema_violation(
    database_url: str, engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Deterministic schemathesis runs over every operation and phase report zero failures."""
    load_demo(engine)
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    with uvicorn_server(database_url) as server:
        base_url = str(server.base_url).rstrip("/")
        registered = httpx.post(
            f"{base_url}/organisations",
            json={"name": "Schemathesis Lab", "stakeholder_type": "academia", "country": "NL"},
            timeout=30,
        )
        assert registered.status_code == 201, registered.text
        # The organisation's pass first: the admin's may delete the organisation, and its key.
        passes = {
            "organisation": (registered.json()["api_key"], ENDS_OWN_KEY),
            "admin": (ADMIN_TOKEN, ()),
        }
        outputs = {}
        for name, (token, excluded) in passes.items():
            (tmp_path / name).mkdir()
            outputs[name] = _run(base_url, token, tmp_path / name, config, excluded)
    for name, output in outputs.items():
        summary = output[output.rfind("SUMMARY") :] if "SUMMARY" in output else output[-3000:]
        with capsys.disabled():
            print(f"\nschemathesis ({engine.dialect.name}, {name} key):\n{summary}")
        tested = re.search(r"Tested: (\d+)", output)
        assert tested is not None
        assert int(tested.group(1)) >= 45, summary
        assert re.search(r"(\d+) generated, \1 passed", output), summary
        # The key was taken and stayed alive: a refused key answers 401 everywhere. With a
        # good one, admins' operations (for the organisation's key) and other organisations'
        # ids (schemathesis draws them) answer 403, which says nothing about the key.
        unauthorised = re.search(r"401 Unauthorized \((\d+) operations?\)", output)
        assert unauthorised is None, summary
        assert "Stateful" in output, summary
        assert "Scenarios:" in output, summary
