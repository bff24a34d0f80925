"""Turns at SQLite's write lock for the processes that share one database file.

A SQLite writer that finds the write lock taken polls for it (its busy handler sleeps 1, 2,
5 … up to 100 ms between tries), while the process holding it takes it again as soon as it
commits. With `bocage serve --no-worker` and `bocage worker` both busy, each transaction
doing a millisecond of work, one process waited up to 2.2 s for a turn and wrote half as
often as the other (docs/decisions.md, section 9); a long enough burst would have made it
wait out its 30 s and fail with "database is locked".

So this node's writers queue for the lock on an exclusive `flock` of a file beside the
database, which the kernel hands to a waiting process as soon as it is released: turns
alternate and nobody polls. The threads of one process queue on a lock of their own first
(a `flock` is held per open file, not per thread). SQLite's lock and busy timeout still
stand between us and any other writer (the sqlite3 shell, an older node). A process that
dies holding its turn loses it with its open files; one stopped mid-transaction (SIGSTOP, a
debugger) keeps the others waiting until it goes on.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path


class WriteTurns:
    """One per database file and `Database`: `with turns:` around each write transaction.
    (A class, not a generator: it runs for every transaction, and costs ~5 µs.)"""

    def __init__(self, database: Path) -> None:
        self._path = f"{database}-writer"
        self._descriptor: int | None = None
        self._threads = threading.Lock()

    def __enter__(self) -> None:
        self._threads.acquire()
        try:
            if self._descriptor is None:
                self._descriptor = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._descriptor, fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise

    def __exit__(self, *_exc: object) -> None:
        try:
            assert self._descriptor is not None
            fcntl.flock(self._descriptor, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def close(self) -> None:
        with self._threads:
            if self._descriptor is not None:
                os.close(self._descriptor)
                self._descriptor = None
