"""Committed events, handed to whoever listens in this process (the streaming server).

SQLite: one process writes, so the writer thread hands each committed transaction's events
straight to the event loop.

PostgreSQL: several processes may write (web processes, `bocage worker`), so events travel
through `NOTIFY`: sent inside the transaction that emits them, which PostgreSQL delivers
only if and when it commits, and received by a `LISTEN`ing thread in every process that
has listeners. Notifications are small (ids, not rendered JSON: PostgreSQL caps a payload
at 8,000 bytes).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session

from bocage.kernel.events import Event

log = logging.getLogger("bocage.events")
CHANNEL = "bocage_events"
MAX_PAYLOAD = 7900
NOTIFY = text("SELECT pg_notify(:channel, :payload)")

Listener = Callable[[list[Event]], None]


def encode(event: Event) -> str:
    return orjson.dumps({"k": event.kind, "d": event.data}).decode()


def decode(payload: str) -> Event:
    document = orjson.loads(payload)
    return Event(document["k"], document["d"])


def notify(session: Session, events: list[Event]) -> None:
    """PostgreSQL: send the transaction's events with it (delivered at commit, or never).
    Identical events are sent once (a transaction may enqueue a thousand deliveries)."""
    for payload in dict.fromkeys(map(encode, events)):
        if len(payload) > MAX_PAYLOAD:
            log.warning(
                "event too large for NOTIFY (%d bytes): dropped: %s", len(payload), payload[:200]
            )
            continue
        session.execute(NOTIFY, {"channel": CHANNEL, "payload": payload})


class EventBus:
    """Delivers committed events to listeners on the event loop that `attach`ed."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    @property
    def listened(self) -> bool:
        return bool(self._listeners) and self._loop is not None

    def committed(self, events: list[Event]) -> None:
        """Called from any thread once `events` are durable."""
        if not events or not self.listened:
            return
        assert self._loop is not None
        with contextlib.suppress(RuntimeError):  # the loop is closed: the node is stopping
            self._loop.call_soon_threadsafe(self._deliver, events)

    def _deliver(self, events: list[Event]) -> None:
        for listener in self._listeners:
            try:
                listener(events)
            except Exception:
                log.exception("event listener failed")


class PostgresListener:
    """A thread that LISTENs for other transactions' events and hands them to the bus."""

    def __init__(self, conninfo: str, bus: EventBus) -> None:
        self.conninfo = conninfo
        self.bus = bus
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-listen", daemon=True)
        self._ready = threading.Event()
        # A channel only this listener hears: `stop` notifies it, so the thread wakes at once
        # instead of at the end of its wait (a node stops in milliseconds, not half a second).
        self._wake = f"bocage_stop_{uuid.uuid4().hex}"

    def start(self, timeout: float = 10.0) -> None:
        self._thread.start()
        self._ready.wait(timeout)

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive() and self._ready.is_set():
            self._wake_listener()
        self._thread.join(timeout=5)

    def _wake_listener(self) -> None:
        import psycopg

        try:
            with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=2) as connection:
                connection.execute(f"NOTIFY {self._wake}")
        except psycopg.Error as exc:  # the wait still ends on its own within half a second
            log.debug("could not wake the event listener (%s)", exc)

    def _run(self) -> None:
        import psycopg  # only with PostgreSQL: SQLite nodes never load it (~8 MB, 0.15 s)

        while not self._stopping.is_set():
            try:
                self._listen(psycopg)
            except psycopg.Error as exc:
                log.warning("event listener lost its connection (%s); reconnecting", exc)
                self._stopping.wait(1.0)

    def _listen(self, psycopg: Any) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as connection:
            connection.execute(f"LISTEN {CHANNEL}")
            connection.execute(f"LISTEN {self._wake}")
            self._ready.set()
            while not self._stopping.is_set():
                # Each wait ends after half a second, or at once when `stop` wakes it.
                for notice in connection.notifies(timeout=0.5):
                    if notice.channel == self._wake:
                        return
                    self.bus.committed([decode(notice.payload)])
