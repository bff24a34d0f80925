"""Sliding-window limits for things people can abuse (log-in attempts, sign-ups, peers'
requests), and the key a client address is counted under.

In memory, per process: enough for one node process; with several web processes each keeps
its own window, which still bounds guessing to (processes × limit) per window.
"""

from __future__ import annotations

import ipaddress
import time
from collections import deque
from itertools import islice

from bocage.kernel.errors import RateLimited

UNKNOWN_ADDRESS = "unknown"


def address_key(host: str | None) -> str:
    """The key a client address is counted under: an IPv4 address as is, an IPv6 address by
    its /64 (one subscriber's network, which hands out as many addresses as it likes; Mastodon
    counts the same way), an IPv4-mapped IPv6 address as its IPv4 address."""
    if not host:
        return UNKNOWN_ADDRESS
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host[:100]  # not an IP address (a test client's name): counted as given
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class SlidingWindow:
    """At most `limit` hits per key within any `window_seconds`. `reason` starts the message
    a refused person reads ("Too many attempts. Please wait 42 seconds and try again.")."""

    def __init__(
        self,
        limit: int,
        window_seconds: float,
        max_keys: int = 100_000,
        reason: str = "Too many attempts",
    ) -> None:
        self.limit = limit
        self.window = window_seconds
        self.max_keys = max_keys
        self.reason = reason
        self._hits: dict[str, deque[float]] = {}

    def check(self, *keys: str) -> None:
        """Raise RateLimited if any key has used up its window."""
        moment = time.monotonic()
        for key in keys:
            hits = self._recent(key, moment)
            if len(hits) >= self.limit:
                retry = self.window - (moment - hits[0])
                raise RateLimited(
                    f"{self.reason}. Please wait {int(retry) + 1} seconds and try again.",
                    retry_after=retry,
                )

    def hit(self, *keys: str) -> None:
        moment = time.monotonic()
        if len(self._hits) > self.max_keys:
            self._forget(moment)
        for key in keys:
            self._recent(key, moment).append(moment)

    def take(self, *keys: str) -> None:
        """Check, then count one hit: one step, so concurrent requests cannot all pass the
        check before any of them is counted."""
        self.check(*keys)
        self.hit(*keys)

    def forgive(self, key: str) -> None:
        """Take back one hit of `key` (an attempt that turned out well)."""
        hits = self._hits.get(key)
        if hits:
            hits.pop()

    def reset(self, *keys: str) -> None:
        for key in keys:
            self._hits.pop(key, None)

    def _recent(self, key: str, moment: float) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        while hits and moment - hits[0] > self.window:
            hits.popleft()
        return hits

    def _forget(self, moment: float) -> None:
        """Bounded memory under a flood of keys: windows that ended go first, then the
        oldest half (bounded memory beats perfect accounting)."""
        ended = [k for k, hits in self._hits.items() if not hits or moment - hits[-1] > self.window]
        for key in ended:
            del self._hits[key]
        if len(self._hits) > self.max_keys // 2:
            for key in list(islice(self._hits, len(self._hits) - self.max_keys // 2)):
                del self._hits[key]
