"""Sliding-window limits for things people can abuse (log-in attempts).

In memory, per process: enough for one node process; with several web processes each keeps
its own window, which still bounds guessing to (processes × limit) per window.
"""

from __future__ import annotations

import time
from collections import deque

from bocage.core.errors import RateLimited


class SlidingWindow:
    def __init__(self, limit: int, window_seconds: float, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window_seconds
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}

    def check(self, *keys: str) -> None:
        """Raise RateLimited if any key has used up its window."""
        moment = time.monotonic()
        for key in keys:
            hits = self._recent(key, moment)
            if len(hits) >= self.limit:
                retry = self.window - (moment - hits[0])
                raise RateLimited(
                    f"Too many attempts. Please wait {int(retry) + 1} seconds and try again.",
                    retry_after=retry,
                )

    def hit(self, *keys: str) -> None:
        moment = time.monotonic()
        if len(self._hits) > self.max_keys:
            self._hits.clear()  # bounded memory beats perfect accounting under a flood
        for key in keys:
            self._recent(key, moment).append(moment)

    def reset(self, *keys: str) -> None:
        for key in keys:
            self._hits.pop(key, None)

    def _recent(self, key: str, moment: float) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        while hits and moment - hits[0] > self.window:
            hits.popleft()
        return hits
