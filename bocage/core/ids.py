"""Time-sortable 63-bit IDs (milliseconds << 16 | sequence and slot), like Mastodon's
snowflakes.

Sorting by ID sorts by creation time, which is what makes timeline pages a single index scan.

The 16 low bits of an id made now are a counter of this process (12 bits: 4,096 ids per
millisecond, then the next millisecond) and the process's slot in the database (4 bits):
two processes writing to one database (`bocage serve` and `bocage worker`, several workers
on PostgreSQL) made equal ids in the same millisecond, and one of the two inserts failed.
Each process holds a slot of its own for each database it writes to (`store/id_slots.py`);
the write transactions of a database make their ids in its slot (`in_slot`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

SLOT_BITS = 4
SLOTS = 1 << SLOT_BITS  # processes that can write to one database at once
_SEQUENCES = 1 << (16 - SLOT_BITS)

_lock = threading.Lock()
_last_ms = 0
_sequence = 0
_slot: ContextVar[int] = ContextVar("id_slot", default=0)


def new_id(at: datetime | None = None) -> int:
    global _last_ms, _sequence
    ms = int((at.timestamp() if at else time.time()) * 1000)
    with _lock:
        if at is None and ms <= _last_ms:
            ms = _last_ms
            _sequence = (_sequence + 1) % _SEQUENCES
            if _sequence == 0:
                ms += 1
        elif at is None:
            _sequence = 0
        if at is None:
            _last_ms = ms
            return (ms << 16) | (_sequence << SLOT_BITS) | _slot.get()
    # Back-dated IDs (imports, benchmarks) take random low bits to stay unique.
    import secrets

    return (ms << 16) | secrets.randbits(16)


@contextmanager
def in_slot(slot: int) -> Iterator[None]:
    """Ids made meanwhile (in this thread or task) carry `slot`."""
    token = _slot.set(slot)
    try:
        yield
    finally:
        _slot.reset(token)


def id_time(identifier: int) -> datetime:
    return datetime.fromtimestamp((identifier >> 16) / 1000, tz=UTC)


def lowest_id_at(at: datetime) -> int:
    return int(at.timestamp() * 1000) << 16
