"""Schemathesis against the service's own OpenAPI schema: no 5xx, every answer as documented.

Every operation, every check (`--checks all`) and every phase, the stateful one included (its
links are inferred from the schema: an id a response returns feeds the operations that take
it), on each database (PostgreSQL with valid requests only and without the random phase:
`POSTGRES`). Two passes:
the key of an organisation that registered itself, which reaches what admins do not (drafts,
the inbox, contact requests), then an admin's key. Each pass leaves out the operations that
refuse its key on every request and that the other pass answers, so that every operation is
run by at least one pass that can be let in. Deterministic generation and bounded examples
keep the run reproducible and short.
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

SQLITE = ("--phases", "examples,coverage,fuzzing,stateful", "--mode", "all")
# On PostgreSQL, what reaches the database: requests the schema allows (`--mode positive`), in
# every phase but the random one. What a database takes differently is in the coverage phase's
# boundary values (NUL and other control characters, the largest numbers, the longest texts),
# which both databases get. Requests the schema refuses, and the fuzzing phase's random ones,
# exercise validation, the same code whatever the database, decided before any query: SQLite's
# run has them. They were most of PostgreSQL's cases, which took over three minutes of a CI
# run held under fifteen.
POSTGRES = ("--phases", "examples,coverage,stateful", "--mode", "positive")
# Random and stateful cases per operation. The coverage phase's boundary values do not depend
# on it; at 20 the two runs took 170 s of a CI run held under 15 minutes, at 10 about 100 s, for
# 7,191 cases on SQLite where 20 made 8,251.
EXAMPLES_PER_OPERATION = 10
# `positive_data_acceptance` sends requests the schema allows and expects them accepted. Two
# answers to such a request are documented and right: 412 for an If-Match naming another
# version, or any version of what has none (any string fits the header's schema), and 422
# for the rules JSON Schema cannot state, each with a problem document naming the field: a
# country code that exists, text without control or invisible characters, a deadline not
# before the opening date, ids that exist. Every other check keeps its defaults.
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
# What an organisation's key may never do (admins' and publishers' work), and what only the
# organisation itself or an admin may do with an organisation's settings: schemathesis never
# draws the registered organisation's own id, so its key is refused on every request there.
# The admin's pass answers them; the organisation's pass would only ever see 401 and 403.
NOT_FOR_AN_ORGANISATION = (
    "list_claims",
    "confirm_claim",
    "create_country_status",
    "read_outbox",
    "create_key",
    "list_keys",
    "merge_organisations",
    "verify_organisation_type",
    "unverify_organisation_type",
    "refit_index",
    "create_call",
    "update_call",
    "delete_call",
    "export_organisation",
    "create_organisation_key",
    "list_organisation_keys",
    "confirm_organisation",
    "list_organisation_claims",
    "read_notification_preferences",
    "set_notification_preferences",
    "create_saved_search",
    "list_saved_searches",
    "read_saved_search",
    "delete_saved_search",
    "create_webhook",
    "list_webhooks",
    "read_webhook",
    "delete_webhook",
    "list_webhook_deliveries",
)
# What only an organisation's key does (drafts, partner and contact requests, its inbox): an
# admin's key is refused on each, and the organisation's pass answers them.
ONLY_AN_ORGANISATION = (
    "create_consortium",
    "create_partner_request",
    "publish_draft_gaps",
    "withdraw_partner_request",
    "express_interest",
    "create_contact_request",
    "read_contact_request",
    "withdraw_contact_request",
    "accept_contact_request",
    "decline_contact_request",
    "create_block",
    "list_blocks",
    "delete_block",
    "count_waiting_requests",
    "read_inbox",
)

pytestmark = pytest.mark.slow


def _run(
    base_url: str,
    token: str,
    report_dir: Path,
    config: Path,
    excluded: tuple[str, ...],
    options: tuple[str, ...],
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
            *options,
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
        # Schemathesis keeps the cases that failed in `.schemathesis/` under its working folder
        # and replays them first on its next run there: run from the test's own folder, it
        # judges this code alone, not a case recorded against a schema since changed.
        cwd=report_dir,
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
        schema = httpx.get(f"{base_url}/openapi.json", timeout=30).json()
        operation_ids = {
            o["operationId"] for path in schema["paths"].values() for o in path.values()
        }
        # Every excluded operation exists, and no operation is left out of both passes.
        assert set(ENDS_OWN_KEY + NOT_FOR_AN_ORGANISATION + ONLY_AN_ORGANISATION) <= operation_ids
        assert not set(ENDS_OWN_KEY + NOT_FOR_AN_ORGANISATION) & set(ONLY_AN_ORGANISATION)
        # The organisation's pass first: the admin's may delete the organisation, and its key.
        passes = {
            "organisation": (
                registered.json()["api_key"],
                ENDS_OWN_KEY + NOT_FOR_AN_ORGANISATION,
            ),
            "admin": (ADMIN_TOKEN, ONLY_AN_ORGANISATION),
        }
        options = POSTGRES if engine.dialect.name == "postgresql" else SQLITE
        outputs = {}
        for name, (token, excluded) in passes.items():
            (tmp_path / name).mkdir()
            outputs[name] = _run(base_url, token, tmp_path / name, config, excluded, options)
    for name, output in outputs.items():
        summary = output[output.rfind("SUMMARY") :] if "SUMMARY" in output else output[-3000:]
        with capsys.disabled():
            print(f"\nschemathesis ({engine.dialect.name}, {name} key):\n{summary}")
        # Every operation but the excluded ones was selected and tested.
        selected = re.search(r"Selected: (\d+)/(\d+)", output)
        tested = re.search(r"Tested: (\d+)", output)
        assert selected is not None, summary
        assert tested is not None, summary
        operations, left_out = int(selected.group(2)), len(passes[name][1])
        assert int(selected.group(1)) == int(tested.group(1)) == operations - left_out, summary
        assert re.search(r"(\d+) generated, \1 passed", output), summary
        # The key was taken and stayed alive: a refused key answers 401 everywhere. With a
        # good one, admins' operations (for the organisation's key) and other organisations'
        # ids (schemathesis draws them) answer 403, which says nothing about the key.
        unauthorised = re.search(r"401 Unauthorized \((\d+) operations?\)", output)
        assert unauthorised is None, summary
        assert "Stateful" in output, summary
        assert "Scenarios:" in output, summary
