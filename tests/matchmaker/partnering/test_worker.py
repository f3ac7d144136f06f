"""The delivery worker in a database outage: one line a pass, no traceback."""

import logging
import shutil
from pathlib import Path

import httpx
import pytest

from matchmaker.db import create_db_engine
from matchmaker.partnering.worker import DeliveryWorker
from matchmaker.settings import Settings


def test_a_pass_in_an_outage_says_so_in_one_line_not_a_traceback(
    sqlite_template: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The database gone, a delivery pass stops with a warning naming the next try; the
    engine has already logged the outage itself, once."""
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copyfile(sqlite_template, folder / "m.db")
    settings = Settings(database_url=f"sqlite:///{folder / 'm.db'}")
    engine = create_db_engine(settings)
    folder.rename(tmp_path / "away")
    worker = DeliveryWorker(engine=engine, settings=settings, interval=60)
    refused = httpx.MockTransport(lambda request: httpx.Response(500))
    with (
        httpx.Client(transport=refused) as client,
        caplog.at_level(logging.WARNING, logger="matchmaker.partnering.worker"),
    ):
        worker._pass(None, client)
    engine.dispose()
    (record,) = [r for r in caplog.records if r.name == "matchmaker.partnering.worker"]
    assert (record.levelno, record.exc_info) == (logging.WARNING, None)
    assert record.getMessage() == (
        "Notification delivery pass skipped: the database cannot be reached; tried again in 60 s"
    )
