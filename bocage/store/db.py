"""Engines and units of work for SQLite (default) and PostgreSQL.

Each unit of work is plain synchronous SQLAlchemy, run whole in a worker thread: one thread
hop per transaction. (SQLAlchemy's asyncio adapters cost 3–4 thread hops per *statement*;
measured here 0.9 ms per statement on aiosqlite against ~0.02 ms in a thread, which put a
post at 18 ms.) The event loop never waits on the database.

SQLite allows one writer at a time: writes run on a single writer thread with a single
connection opened with BEGIN IMMEDIATE (no lock-upgrade deadlocks), which commits whatever
units of work queued up meanwhile together (group commit, see `SerialWriter`); reads use a
small pool of threads and connections that run in parallel under WAL. Another process on
the same file (`bocage worker` beside `bocage serve --no-worker`) takes the write lock in
turn: the writers of all processes queue for it (`store/write_turns.py`), and BEGIN
IMMEDIATE still waits up to 30 s (busy_timeout) for any other writer.

Every write transaction makes its ids in this process's slot of the database
(`store/id_slots.py`), and fails with `StorageFull` when the disk is full (`store/full.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

import orjson
from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from bocage.kernel import events, ids
from bocage.store import eventbus, full, id_slots
from bocage.store.write_turns import WriteTurns

P = ParamSpec("P")
T = TypeVar("T")


def committed_cache(session: Session, name: str, make: Callable[[], T]) -> T | None:
    """The per-process cache `name` of what the session's database committed (made by
    `make` at first use, kept in `Database.memo`), for the sessions of read units (`read`,
    `snapshot`), which see committed data only; None in a write transaction, whose rows may
    still roll back."""
    memo: dict[str, Any] | None = session.info.get("memo")
    if memo is None:
        return None
    found: T | None = memo.get(name)
    if found is None:
        found = memo.setdefault(name, make())
    return found


READERS = 4
MAX_GROUP = 64  # units of work committed together, at most
# PostgreSQL runs writers side by side: two units that check for a row, then insert it (two
# clicks on "follow"), can both pass the check; the second fails on the unique key. Run
# again, it sees the first one's row, as it would have had it come a moment later. So do a
# deadlock and a serialization failure (SQLSTATE 23505, 40P01, 40001).
RACE_ATTEMPTS = 3
RACE_STATES = frozenset({"23505", "40P01", "40001"})


def lost_a_race(failed: Exception) -> bool:
    """Did a PostgreSQL unit of work fail only because another one committed first? The
    driver's own error (psycopg's, raised by statements run on the raw cursor:
    store/prepared.py) or SQLAlchemy's wrapping of it."""
    driver_error = failed.orig if isinstance(failed, DBAPIError) else failed
    return getattr(driver_error, "sqlstate", None) in RACE_STATES


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sync_url(url: str) -> str:
    """Accept the async spellings people know and use the sync drivers behind them."""
    for prefix in ("sqlite+aiosqlite://", "sqlite+pysqlite://"):
        if url.startswith(prefix):
            return "sqlite://" + url[len(prefix) :]
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def sqlite_driver(connection: Connection) -> sqlite3.Connection:
    """The sqlite3 connection under a SQLAlchemy connection of a SQLite engine."""
    return cast(sqlite3.Connection, connection.connection.driver_connection)


def _sqlite_engine(url: str, *, writer: bool, begins: bool = True) -> Engine:
    engine = create_engine(
        url,
        pool_size=1 if writer or not begins else READERS,
        max_overflow=0,
        pool_timeout=60,
        connect_args={"check_same_thread": False, "timeout": 30},
        json_deserializer=orjson.loads,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so that we can say BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA cache_size=-64000")
        cursor.execute("PRAGMA temp_store=MEMORY")
        # What is deleted or overwritten (a sealed key's plain value, a deleted post) is
        # zeroed, not left in free space (Debian's SQLite does this by default, not all do).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    if not begins:
        return engine  # the caller says BEGIN and COMMIT itself (`Database._read_here`)
    begin = "BEGIN IMMEDIATE" if writer else "BEGIN"

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # On the driver's connection: through SQLAlchemy's execution this cost ~100 µs,
        # as much as a page's query (every unit of work begins here).
        connection.connection.driver_connection.execute(begin)

    return engine


@dataclass
class _Unit:
    work: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    future: asyncio.Future[Any]
    outcome: tuple[bool, Any] = (False, None)  # (succeeded, result or exception)

    def settle(self) -> None:
        if self.future.done():  # the caller was cancelled: the work still happened
            return
        succeeded, value = self.outcome
        if succeeded:
            self.future.set_result(value)
        else:
            self.future.set_exception(value)


def _postgres_engine(url: str, pool_size: int, **options: Any) -> Engine:
    # orjson parses JSON columns about 4x faster than the json module psycopg uses.
    return create_engine(
        url, pool_size=pool_size, max_overflow=pool_size, json_deserializer=orjson.loads, **options
    )


class SerialWriter:
    """SQLite's one writer thread, with group commit.

    A SQLite write transaction costs ~0.6 ms to begin and commit, about as much as the work
    of publishing a post. Units of work that queue up while the writer is busy therefore run
    back to back in ONE transaction that commits once. If any of them fails, that
    transaction is rolled back and each unit of the group runs again alone, so every unit
    commits, or fails with its own exception, exactly as if it had run by itself. (Savepoints
    per unit would do the same at ~0.15 ms each in SQLAlchemy, and a failed ORM flush spoils
    the whole session anyway.) Hence the rule for units of work: act only through the
    session, since a unit may run twice. A lone unit runs at once: nothing waits for company.
    """

    def __init__(self, transaction: Callable[[], AbstractContextManager[Session]]) -> None:
        self._transaction = transaction
        self._queue: queue.SimpleQueue[_Unit | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="db-write", daemon=True)
        self._started = False
        self._lock = threading.Lock()

    def submit(
        self, work: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> asyncio.Future[T]:
        with self._lock:
            if not self._started:
                self._thread.start()
                self._started = True
        unit = _Unit(work, args, kwargs, asyncio.get_running_loop().create_future())
        self._queue.put(unit)
        return unit.future

    def close(self) -> None:
        with self._lock:
            if self._started:
                self._queue.put(None)  # after every unit already queued
                self._thread.join()

    def _loop(self) -> None:
        while (first := self._queue.get()) is not None:
            group = [first]
            while len(group) < MAX_GROUP:
                try:
                    unit = self._queue.get_nowait()
                except queue.Empty:
                    break
                if unit is None:
                    self._run(group)
                    return
                group.append(unit)
            self._run(group)

    def _run(self, group: list[_Unit]) -> None:
        if len(group) == 1 or not self._run_together(group):
            for unit in group:
                self._run_alone(unit)
        # One wake-up of each event loop per group, not one per unit.
        loops = {unit.future.get_loop() for unit in group}
        for loop in loops:
            mine = [unit for unit in group if unit.future.get_loop() is loop]
            with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits
                loop.call_soon_threadsafe(_settle_all, mine)

    def _run_together(self, group: list[_Unit]) -> bool:
        """Every unit in one transaction; False, with nothing stored, if any of them failed."""
        try:
            with self._transaction() as session:
                results = [unit.work(session, *unit.args, **unit.kwargs) for unit in group]
        except Exception:
            return False
        for unit, result in zip(group, results, strict=True):
            unit.outcome = (True, result)
        return True

    def _run_alone(self, unit: _Unit) -> None:
        try:
            with self._transaction() as session:
                unit.outcome = (True, unit.work(session, *unit.args, **unit.kwargs))
        except Exception as exc:
            unit.outcome = (False, exc)


def _settle_all(units: list[_Unit]) -> None:
    for unit in units:
        unit.settle()


class Database:
    """Owns engines and threads; hands out units of work (transactions)."""

    def __init__(self, url: str, *, pool_size: int = 8) -> None:
        self.url = sync_url(url)
        # Committed transactions' events (kernel/events.py), for this process's listeners.
        self.events = eventbus.EventBus()
        self._listener: eventbus.PostgresListener | None = None
        self._here_engine: Engine | None = None
        self._here: Connection | None = None
        self._serial_writer: SerialWriter | None = None
        self._write_threads: ThreadPoolExecutor | None = None
        # The slot of this database's id space that this process's writes take (claimed at
        # the first write, see store/id_slots.py).
        self._id_slot: id_slots.Slot | None = None
        self._id_slot_lock = threading.Lock()
        self._turns: WriteTurns | None = None  # SQLite files: writers of all processes queue
        if is_sqlite(self.url):
            self.write_engine = _sqlite_engine(self.url, writer=True)
            self.read_engine = _sqlite_engine(self.url, writer=False)
            # The event loop's own connection, for reads in the calling thread: kept open,
            # its transactions begun and ended on the driver (SQLAlchemy's transaction
            # bookkeeping cost ~90 µs a read, a tenth of a home page).
            self._here_engine = _sqlite_engine(self.url, writer=False, begins=False)
            self._serial_writer = SerialWriter(self.transaction)
            path = make_url(self.url).database
            if path and path != ":memory:":
                self._turns = WriteTurns(Path(path))
        else:
            # PostgreSQL takes writers in parallel (row locks, not a database lock); grouping
            # them across threads could deadlock two groups on each other's row locks.
            self.write_engine = _postgres_engine(self.url, pool_size)
            # Reads without BEGIN/COMMIT: two round trips (~0.4 ms) less per page. Under READ
            # COMMITTED a read transaction gave no common snapshot anyway; a reader that
            # needs one asks for it (backup: REPEATABLE READ). An engine of its own, not
            # execution options: those switch each connection to autocommit and back at
            # every checkout.
            self.read_engine = _postgres_engine(self.url, READERS, isolation_level="AUTOCOMMIT")
            self._write_threads = ThreadPoolExecutor(pool_size, thread_name_prefix="db-write")
        self._writer = sessionmaker(self.write_engine, expire_on_commit=False)
        # Caches of committed rows, kept by read units (see `committed_cache`).
        self.memo: dict[str, Any] = {}
        self._reader = sessionmaker(
            self.read_engine, expire_on_commit=False, info={"memo": self.memo}
        )
        self._read_threads = ThreadPoolExecutor(READERS, thread_name_prefix="db-read")

    @property
    def dialect(self) -> str:
        return self.write_engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write transaction, in the calling thread: committed at the end, or rolled back.
        The events it emitted are published once it has committed, never before. A full disk
        fails it with `StorageFull` (store/full.py)."""
        turn = self._turns or contextlib.nullcontext()
        with full.translated(), ids.in_slot(self.id_slot()), turn, self._writer() as session:
            with session.begin():
                yield session
                if not is_sqlite(self.url):  # other processes may be listening
                    eventbus.notify(session, events.take_pending(session))
            self.events.committed(events.take_pending(session))

    def id_slot(self) -> int:
        """This process's slot for ids in this database, claimed on first use."""
        if self._id_slot is None:
            with self._id_slot_lock:
                if self._id_slot is None:
                    self._id_slot = id_slots.claim(self.url)
        return self._id_slot.number

    def scrub(self, tables: list[str]) -> None:
        """Leave no overwritten value of `tables` readable in the database's files (after
        private keys were sealed or re-sealed). SQLite zeroes what it overwrites
        (`secure_delete`, set on every connection); the WAL still holds the pages as they
        were, so it is checkpointed into the file and emptied. PostgreSQL keeps old row
        versions until a vacuum: `tables` are rewritten (VACUUM FULL). Not inside a
        transaction, and best while nothing else runs (at start)."""
        with self.write_engine.connect() as connection:
            if is_sqlite(self.url):
                sqlite_driver(connection).execute("PRAGMA wal_checkpoint(TRUNCATE)")
                return
            autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
            for table in tables:
                autocommit.exec_driver_sql(f'VACUUM FULL "{table}"')

    def listen(self) -> None:
        """Receive the events other processes commit (PostgreSQL; with SQLite, events do not
        cross processes: docs/decisions.md, section 7)."""
        if is_sqlite(self.url) or self._listener is not None:
            return
        conninfo = make_url(self.url).set(drivername="postgresql")
        self._listener = eventbus.PostgresListener(
            conninfo.render_as_string(hide_password=False), self.events
        )
        self._listener.start()

    @contextmanager
    def snapshot(self) -> Iterator[Session]:
        """A read transaction in the calling thread (PostgreSQL's sorts and hashes may spill
        to disk: a full one fails it with `StorageFull`)."""
        with full.translated(), self._reader() as session, session.begin():
            yield session

    async def write(
        self, work: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `work(session, …)` in one write transaction on a writer thread.

        On SQLite it may share its transaction with other units (group commit); its effects
        commit, or roll back, as if it ran alone. On PostgreSQL a unit that lost a race with
        another (see `lost_a_race`) runs again. `work` must act only through the session:
        it may run twice (see `SerialWriter`).
        """
        if self._serial_writer is not None:
            return await self._serial_writer.submit(work, args, kwargs)
        assert self._write_threads is not None
        attempt = 1
        while True:
            try:
                return await self._run(self._write_threads, self.transaction, work, args, kwargs)
            except Exception as failed:
                if attempt >= RACE_ATTEMPTS or not lost_a_race(failed):
                    raise
                attempt += 1

    async def read(
        self, work: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run `work(session, …)` in one read transaction.

        On SQLite, in the calling thread: a read takes well under a millisecond of SQLite's
        time, and handing it to another thread cost more than the read itself. Each hand-off
        moves the GIL between cores: a home page measured 6.1 ms of CPU through a reader
        thread against 3.7 ms here (docs/decisions.md, 6). Reads that may take long use
        `read_off_loop`. PostgreSQL reads wait on the network: they run on reader threads.
        """
        if self._here_engine is not None:
            return self._read_here(work, args, kwargs)
        return await self._run(self._read_threads, self.snapshot, work, args, kwargs)

    def _read_here(
        self, work: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> T:
        """A read in the calling thread (the event loop's): one read transaction on the kept
        connection, begun on the driver; SQLAlchemy sees an autocommit connection and only
        ends it (a rollback, when the session closes). A unit of work never awaits, so these
        never overlap."""
        if self._here is None:
            assert self._here_engine is not None
            connection = self._here_engine.connect()
            self._here = connection.execution_options(isolation_level="AUTOCOMMIT")
        driver = sqlite_driver(self._here)
        driver.execute("BEGIN")
        session = Session(bind=self._here, expire_on_commit=False, info={"memo": self.memo})
        try:
            return work(session, *args, **kwargs)
        finally:
            session.close()
            if driver.in_transaction:  # the session never used the connection
                driver.execute("COMMIT")

    async def read_off_loop(
        self, work: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """`read`, always on a reader thread: for reads that may take long (searching text,
        rendering for a thousand streaming clients), which must not hold up the event loop."""
        return await self._run(self._read_threads, self.snapshot, work, args, kwargs)

    async def _run(
        self,
        threads: ThreadPoolExecutor,
        unit: Callable[[], AbstractContextManager[Session]],
        work: Callable[..., T],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> T:
        def in_thread() -> T:
            with unit() as session:
                return work(session, *args, **kwargs)

        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(threads, functools.partial(in_thread))

    def close(self) -> None:
        if self._listener is not None:
            self._listener.stop()
        if self._here is not None:
            self._here.close()
        if self._here_engine is not None:
            self._here_engine.dispose()
        if self._serial_writer is not None:
            self._serial_writer.close()
        if self._write_threads is not None:
            self._write_threads.shutdown(wait=True)
        self._read_threads.shutdown(wait=True)
        self.write_engine.dispose()
        self.read_engine.dispose()
        if self._turns is not None:
            self._turns.close()
        if self._id_slot is not None:
            self._id_slot.release()
            self._id_slot = None
