"""The worker: claims due jobs and runs their handlers with bounded concurrency.

Runs inside `bocage serve` (one process) or alone as `bocage worker`. `stop()` lets running
jobs finish (up to a grace period); a job cut short is simply claimed again later.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import traceback
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bocage.core.clock import now
from bocage.jobs import queue
from bocage.store.db import Database

log = logging.getLogger("bocage.jobs")

Handler = Callable[[Database, dict[str, Any]], Awaitable[None]]


class PermanentJobError(Exception):
    """Raised by a handler when retrying cannot help: the job goes straight to dead letters."""


class Worker:
    def __init__(
        self,
        db: Database,
        handlers: Mapping[str, Handler],
        *,
        concurrency: int = 8,
        lease_seconds: float = 60.0,
        poll_seconds: float = 1.0,
    ) -> None:
        self.db = db
        self.handlers = handlers
        self.concurrency = concurrency
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._running: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._loop_task = asyncio.create_task(self._loop(), name="bocage-worker")

    def wake(self) -> None:
        """Tell the worker new jobs were committed (saves waiting for the next poll)."""
        self._wake.set()

    async def stop(self, grace_seconds: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._loop_task:
            await self._loop_task
        if self._running:
            await asyncio.wait(self._running, timeout=grace_seconds)
        for task in self._running:
            task.cancel()

    async def run_until_idle(self) -> None:
        """Run every due job, then return (tests and `bocage worker --once`)."""
        while jobs := await queue.claim(self.db, self.name, self.concurrency, self.lease_seconds):
            await asyncio.gather(*(self._run(job) for job in jobs))

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            # Clear before claiming, not before sleeping: a wake() (or stop()) that arrives
            # while a claim is in flight must cut the next sleep short, not be forgotten.
            self._wake.clear()
            free = self.concurrency - len(self._running)
            jobs = await self._claim(free) if free > 0 else []
            for job in jobs:
                task = asyncio.create_task(self._run(job))
                self._running.add(task)
                task.add_done_callback(self._running.discard)
            if free <= 0:
                await asyncio.wait(self._running, return_when=asyncio.FIRST_COMPLETED)
            elif len(jobs) < free:
                await self._sleep()

    async def _claim(self, limit: int) -> list[queue.ClaimedJob]:
        try:
            return await queue.claim(self.db, self.name, limit, self.lease_seconds)
        except Exception:
            log.exception("claiming jobs failed; retrying after a pause")
            return []

    async def _sleep(self) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
        except TimeoutError:
            pass

    async def _run(self, job: queue.ClaimedJob) -> None:
        handler = self.handlers.get(job.kind)
        started = now()
        try:
            if handler is None:
                raise PermanentJobError(f"no handler for job kind {job.kind!r}")
            await handler(self.db, job.payload)
            async with self.db.write() as session:
                await queue.complete(session, job.id, started)
        except asyncio.CancelledError:
            raise
        except PermanentJobError as exc:
            await queue.fail(self.db, _final(job), str(exc))
        except Exception:
            state = await queue.fail(self.db, job, traceback.format_exc(limit=5))
            log.warning("job %s (%s) failed, now %s", job.id, job.kind, state)


def _final(job: queue.ClaimedJob) -> queue.ClaimedJob:
    return queue.ClaimedJob(job.id, job.kind, job.payload, job.max_attempts, job.max_attempts)
