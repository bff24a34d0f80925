"""Time-sortable 63-bit IDs (milliseconds << 16 | sequence), like Mastodon's snowflakes.

Sorting by ID sorts by creation time, which is what makes timeline pages a single index scan.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

_lock = threading.Lock()
_last_ms = 0
_sequence = 0


def new_id(at: datetime | None = None) -> int:
    global _last_ms, _sequence
    ms = int((at.timestamp() if at else time.time()) * 1000)
    with _lock:
        if at is None and ms <= _last_ms:
            ms = _last_ms
            _sequence = (_sequence + 1) & 0xFFFF
            if _sequence == 0:
                ms += 1
        elif at is None:
            _sequence = 0
        if at is None:
            _last_ms = ms
            return (ms << 16) | _sequence
    # Back-dated IDs (imports, benchmarks) take random low bits to stay unique.
    import secrets

    return (ms << 16) | secrets.randbits(16)


def id_time(identifier: int) -> datetime:
    return datetime.fromtimestamp((identifier >> 16) / 1000, tz=UTC)


def lowest_id_at(at: datetime) -> int:
    return int(at.timestamp() * 1000) << 16
