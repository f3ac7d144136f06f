"""At shutdown the matching service waits for a background refit only as long as it is told."""

import logging
import threading
import time
from typing import Any

import pytest
from sqlalchemy import Engine

from matchmaker.matching.service import MatchingService


class SlowRefits(MatchingService):
    """A matching service whose builds, once `slow` is set, wait for `release`."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.slow = False
        self.release = threading.Event()

    def _build(self) -> Any:
        if self.slow:
            self.release.wait(10)
        return super()._build()


def test_stop_abandons_a_refit_running_past_its_timeout_and_starts_no_other(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """stop() returns after its timeout, the late refit is never installed, none starts after,
    and nothing is logged as an error."""
    service = SlowRefits(engine=engine, refit_drift=0.2)
    service.start()
    fitted = service.stats().fitted_at
    service.slow = True
    assert service.request_refit() is True

    began = time.monotonic()
    with caplog.at_level(logging.INFO):
        assert service.stop(0.2) is False
        assert time.monotonic() - began < 1
        service.release.set()
        service.wait_for_refit(10)

    assert service.stats().fitted_at == fitted
    assert service.request_refit() is False
    assert [record.levelname for record in caplog.records] == ["WARNING"]
    assert "abandoned" in caplog.records[0].getMessage()


def test_stop_returns_as_soon_as_a_refit_ends_within_its_timeout(engine: Engine) -> None:
    """A refit that ends within the timeout: stop() returns then, saying nothing is left."""
    service = SlowRefits(engine=engine, refit_drift=0.2)
    service.start()
    service.slow = True
    service.request_refit()
    threading.Timer(0.1, service.release.set).start()
    began = time.monotonic()
    assert service.stop(5) is True
    assert time.monotonic() - began < 2
    assert service.stats().refitting is False
