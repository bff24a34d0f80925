"""A full disk, whoever noticed it, as one domain error: `StorageFull` (507, "The server is
out of disk space; try again later.").

SQLite says `SQLITE_FULL` ("database or disk is full") and rolls the transaction back by
itself; PostgreSQL says `disk_full` (SQLSTATE 53100, "could not extend file"); writing a file
fails with `ENOSPC` (or `EDQUOT` over a quota). Each reaches us raised by the driver, or
wrapped by SQLAlchemy, or as the cause of another error. Write units of work (`store/db.py`)
and media files (`adapters/storage.py`) translate them here, below the faces, so every face
answers a full disk the same way through its usual `DomainError` handling, and nothing is
answered as stored that was not.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from bocage.kernel.errors import StorageFull

log = logging.getLogger("bocage.store")
NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT})
COMPLAINT_SECONDS = 60.0  # at most one log line a minute however many writes fail
DISK_FULL_SQLSTATE = "53100"  # PostgreSQL's disk_full
SQLITE_FULL = 13


def is_full(error: BaseException) -> bool:
    """Does `error` (or what it wraps, or what caused it) say there is no room left?"""
    return _saying_full(error) is not None


def _saying_full(error: BaseException) -> BaseException | None:
    """The error in `error`'s chain that says there is no room left, if any."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if _says_full(current):
            return current
        pending += [getattr(current, "orig", None), current.__cause__, current.__context__]
    return None


def _says_full(error: BaseException) -> bool:
    if isinstance(error, StorageFull):
        return True
    if isinstance(error, sqlite3.Error):
        return (getattr(error, "sqlite_errorcode", 0) & 0xFF) == SQLITE_FULL
    if getattr(error, "sqlstate", None) == DISK_FULL_SQLSTATE:  # psycopg's errors
        return True
    return isinstance(error, OSError) and error.errno in NO_ROOM


@contextmanager
def translated() -> Iterator[None]:
    """Raise `StorageFull` for any error that means the disk is full; others pass as they
    are."""
    try:
        yield
    except StorageFull:
        raise
    except Exception as error:
        said = _saying_full(error)
        if said is None:
            raise
        _complain(said)
        raise StorageFull() from error


_last_complaint = 0.0
_complaining = threading.Lock()


def _complain(said: BaseException) -> None:
    """Tell the admin, once a minute at most (every write fails while the disk is full)."""
    global _last_complaint
    with _complaining:
        if time.monotonic() - _last_complaint < COMPLAINT_SECONDS:
            return
        _last_complaint = time.monotonic()
    reason = str(said).strip().splitlines()[0] if str(said).strip() else type(said).__name__
    log.error(
        "Out of disk space (%s): writes are refused with 507 and jobs wait until there is"
        " room again; nothing already stored is lost.",
        reason,
    )
