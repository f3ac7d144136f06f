"""A token-bucket limit on writes, per key or client, within one process."""

import math
import threading
import time
from collections.abc import Callable

from matchmaker.errors import RateLimited

# Buckets idle this long are full again, so they can be forgotten (bounds memory).
_FORGET_AFTER_SECONDS = 300.0


class WriteRateLimit:
    """Allow `per_minute` writes per identity, in bursts of up to `per_minute`; 0 disables."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, identity: str) -> None:
        """Spend one write for the identity, or raise RateLimited with the wait in seconds."""
        if self.per_minute <= 0:
            return
        rate = self.per_minute / 60.0
        now = self.clock()
        with self._lock:
            if len(self._buckets) > 10_000:
                self._buckets = {
                    key: value
                    for key, value in self._buckets.items()
                    if now - value[1] < _FORGET_AFTER_SECONDS
                }
            tokens, last = self._buckets.get(identity, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[identity] = (tokens, now)
                wait = math.ceil((1.0 - tokens) / rate)
                raise RateLimited(
                    f"More than {self.per_minute} writes a minute; retry in {wait} s.",
                    retry_after=wait,
                )
            self._buckets[identity] = (tokens - 1.0, now)
