"""Time-sortable 63-bit IDs (milliseconds << 16 | sequence << 4 | slot), like Mastodon's
snowflakes.

Sorting by ID sorts by creation time, which is what makes timeline pages a single index scan.

Ids never repeat, by construction:
- across processes: each process writing to a database holds a slot of its own there
  (`store/id_slots.py`, 16 of them), and the write transactions of that database make their
  ids in it (`in_slot`): the 4 low bits. (Two processes, `bocage serve` and `bocage worker`
  or several workers on PostgreSQL, made equal ids in the same millisecond before.)
- within a process: each millisecond has its own counter (12 bits, 4,096 ids), shared by ids
  made now and by back-dated ones (a remote post takes the id of its `published` time, which
  often has whole seconds only: 10,000 posts published in one second take the numbers of
  that second's first milliseconds). A millisecond whose numbers are used up lends from the
  next one. The counters of the last 16,384 milliseconds used are kept; a millisecond not in
  memory (new, or forgotten) starts at a random point of its lower half.

Only a forgotten millisecond can give an id twice, and rarely: an insert of a row that may
meet one checks what a clash was about. A clash on the primary key takes a fresh id and
tries again (`core.remote.receive_post`); only a clash on the object's URI is "already here".
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

LOW_BITS = 16  # below the millisecond
SLOT_BITS = 4
SLOTS = 1 << SLOT_BITS  # processes that can write to one database at once
SEQUENCE_SPAN = 1 << (LOW_BITS - SLOT_BITS)  # ids per millisecond and process
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
            self._live_ms = identifier >> LOW_BITS
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
                return (ms << LOW_BITS) | (sequence << SLOT_BITS) | _slot.get()
            self._next[ms] = sequence  # used up: the next millisecond lends
            ms += 1


_allocator = _Allocator()
_slot: ContextVar[int] = ContextVar("id_slot", default=0)


def new_id(at: datetime | None = None) -> int:
    """A fresh id for now, or for the moment `at` (a remote post's publication time)."""
    if at is None:
        return _allocator.live(int(time.time() * 1000))
    return _allocator.back_dated(int(at.timestamp() * 1000))


def new_id_after(identifier: int) -> int:
    """A fresh id greater than `identifier` (a reply stored right after its parent)."""
    return _allocator.back_dated((identifier >> LOW_BITS) + 1)


@contextmanager
def in_slot(slot: int) -> Iterator[None]:
    """Ids made meanwhile (in this thread or task) carry `slot`."""
    token = _slot.set(slot)
    try:
        yield
    finally:
        _slot.reset(token)


def id_time(identifier: int) -> datetime:
    return datetime.fromtimestamp((identifier >> LOW_BITS) / 1000, tz=UTC)


def lowest_id_at(at: datetime) -> int:
    return int(at.timestamp() * 1000) << LOW_BITS
