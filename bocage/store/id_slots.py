"""Id slots: which of `ids.SLOTS` bit patterns the ids a process makes for one database end
with, held for as long as the process writes to it.

Ids are made in each process (kernel/ids.py), so two processes writing to one database made
equal ids in the same millisecond: with `bocage serve --no-worker` and `bocage worker` under
load on PostgreSQL, an insert in a few hundred failed (a 500, or a failed job). A process
therefore claims a slot of the database before its first write, and the ids of two
processes differ in their slot bits by construction.

A slot is held by a lock that the operating system or the database server drops when the
process ends, `kill -9` included: on SQLite an exclusive `flock` on a small file beside the
database (SQLite's processes share one machine); on PostgreSQL a session advisory lock, on a
connection kept open for it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from sqlalchemy import Connection, Engine, NullPool, create_engine, make_url, text

from bocage.kernel.ids import SLOTS

ADVISORY_CLASS = 0x62636964  # "bcid": the advisory locks of id slots, objid = the slot


class SlotsTaken(Exception):
    """Every slot of the database is held by another process."""

    def __init__(self) -> None:
        super().__init__(
            f"{SLOTS} Bocage processes already write to this database; stop one (a `bocage "
            "worker`, a web process) before starting another."
        )


@dataclass
class Slot:
    number: int
    release: Callable[[], None]


def claim(url: str) -> Slot:
    """A slot of the database at `url` (SQLAlchemy's sync spelling), held until `release`."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if not database or database == ":memory:":
            return Slot(0, lambda: None)  # no other process can open it
        return _claim_file(Path(database))
    return _claim_advisory(url)


def _claim_file(database: Path) -> Slot:
    for number in range(SLOTS):
        descriptor = os.open(f"{database}-slot{number}", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            continue
        return Slot(number, partial(os.close, descriptor))
    raise SlotsTaken()


def _claim_advisory(url: str) -> Slot:
    engine = create_engine(url, poolclass=NullPool)
    connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        for number in range(SLOTS):
            taken = connection.execute(
                text("SELECT pg_try_advisory_lock(:class, :slot)"),
                {"class": ADVISORY_CLASS, "slot": number},
            ).scalar_one()
            if taken:
                return Slot(number, lambda: _close(connection, engine))
    except BaseException:
        _close(connection, engine)
        raise
    _close(connection, engine)
    raise SlotsTaken()


def _close(connection: Connection, engine: Engine) -> None:
    with contextlib.suppress(Exception):  # the server may be gone: so is the lock
        connection.close()
    engine.dispose()
