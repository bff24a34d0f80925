"""Time-sortable 63-bit IDs (milliseconds << 16 | sequence), like Mastodon's snowflakes.

Sorting by ID sorts by creation time, which is what makes timeline pages a single index scan.

Within one process, ids never repeat by construction: each millisecond has its own counter,
shared by ids made now and by back-dated ones (a remote post takes the id of its `published`
time, which often has whole seconds only: 10,000 posts published in one second take 10,000
sequence numbers of that second's first millisecond). A millisecond whose 65,536 numbers are
used up lends from the next one. The counters of the last 16,384 milliseconds used are kept.

Two ids can still meet across processes (a web process and `bocage worker`, several workers
on PostgreSQL), or in a millisecond this process has forgotten; each millisecond's counter
starts at a random point, which makes it rare, and an insert of a row that others may insert
concurrently checks what a clash was about: a clash on the primary key takes a fresh id and
tries again (`core.remote.receive_post`); only a clash on the object's URI is "already stored".
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from datetime import UTC, datetime

SEQUENCE_BITS = 16
SEQUENCE_SPAN = 1 << SEQUENCE_BITS
MAX_ID = (1 << 63) - 1  # ids are signed 64-bit integers in both databases
REMEMBERED_MILLISECONDS = 16_384  # back-dated milliseconds whose counters are kept


class _Allocator:
    """The next free sequence number of each recently used millisecond."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next: OrderedDict[int, int] = OrderedDict()
        self._live_ms = 0  # ids made "now" never go back in time, even if the clock does

    def live(self, ms: int) -> int:
        with self._lock:
            identifier = self._take(max(ms, self._live_ms))
            self._live_ms = identifier >> SEQUENCE_BITS
            return identifier

    def back_dated(self, ms: int) -> int:
        with self._lock:
            return self._take(ms)

    def _take(self, ms: int) -> int:
        while True:
            sequence = self._next.pop(ms, None)
            if sequence is None:
                # A millisecond not in memory (new, or forgotten) starts at a random point,
                # so that another process, or this one before it forgot, rarely met it.
                sequence = secrets.randbelow(SEQUENCE_SPAN // 2)
            if sequence < SEQUENCE_SPAN:
                self._next[ms] = sequence + 1
                if len(self._next) > REMEMBERED_MILLISECONDS:
                    self._next.popitem(last=False)
                return (ms << SEQUENCE_BITS) | sequence
            self._next[ms] = sequence  # used up: the next millisecond lends
            ms += 1


_allocator = _Allocator()


def new_id(at: datetime | None = None) -> int:
    """A fresh id for now, or for the moment `at` (a remote post's publication time)."""
    if at is None:
        return _allocator.live(int(time.time() * 1000))
    return _allocator.back_dated(int(at.timestamp() * 1000))


def new_id_after(identifier: int) -> int:
    """A fresh id greater than `identifier` (a reply stored right after its parent)."""
    return _allocator.back_dated((identifier >> SEQUENCE_BITS) + 1)


def id_time(identifier: int) -> datetime:
    return datetime.fromtimestamp((identifier >> SEQUENCE_BITS) / 1000, tz=UTC)


def lowest_id_at(at: datetime) -> int:
    return int(at.timestamp() * 1000) << SEQUENCE_BITS
