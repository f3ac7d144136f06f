"""`matchmaker notify run`: what a delivery pass did, in words."""

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from matchmaker.cli.main import app
from matchmaker.partnering import worker
from matchmaker.partnering.delivery import Delivered, Digested
from matchmaker.partnering.fanout import Expanded
from matchmaker.partnering.webhooks import WebhooksDelivered


def test_notify_run_counts_one_of_each_in_the_singular(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One of each is said in the singular: it said "1 changes matched into 1 messages"."""
    env = {"MATCHMAKER_DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}"}
    assert CliRunner().invoke(app, ["db", "upgrade"], env=env).exit_code == 0
    one = worker.Pass(
        email=Delivered(sent=1),
        digests=Digested(digests=1, messages=1),
        webhooks=WebhooksDelivered(delivered=1),
        events=Expanded(jobs=1, messages=1, reminders=1),
        confirm_reminders=1,
        request_reminders=1,
        expiry_notices=1,
    )

    def deliver_once(*_args: Any, **_kwargs: Any) -> worker.Pass:
        return one

    monkeypatch.setattr(worker, "deliver_once", deliver_once)

    result = CliRunner().invoke(app, ["notify", "run"], env=env)

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:3] == [
        "Events: 1 change matched into 1 message; 1 deadline reminder; 1 reminder to confirm a "
        "profile; 1 reminder of requests about to expire, 1 notice of requests expired "
        "unanswered.",
        "Sent 1, skipped 0 (no address), failed 0.",
        "Muted 0 (e-mail off); 1 digest of 1 message; webhooks: delivered 1, failed 0.",
    ]
