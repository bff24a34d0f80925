"""The worker: claims due jobs and runs their handlers with bounded concurrency.

Runs inside `bocage serve` (one process) or alone as `bocage worker`. A handler is either
a plain function `(session, payload)`, run inside the transaction that marks its job done,
or a coroutine function `(db, payload)` for work that waits on the network; the latter must
be idempotent. `stop()` lets running jobs finish (up to a grace period); a job cut short is
simply claimed again when its lease runs out.

A full disk is not a job's failure: the jobs it stopped are given back with their attempt
not counted, and the worker pauses (5 s, doubling to a minute) before claiming again, with
one clear line in the log instead of a traceback per poll.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import socket
import traceback
import uuid
from collections.abc import Mapping
from typing import TypeGuard

from sqlalchemy.orm import Session

from bocage.kernel import events
from bocage.kernel.clock import now
from bocage.kernel.errors import StorageFull
from bocage.store import full, queue
from bocage.store.db import Database
from bocage.store.queue import AsyncHandler, Handler, PermanentJobError, SyncHandler

log = logging.getLogger("bocage.jobs")

FULL_DISK_PAUSE = (5.0, 60.0)  # first pause, longest pause (seconds)


def is_async(handler: Handler | None) -> TypeGuard[AsyncHandler]:
    """A coroutine function `(db, payload)`, run as a task of its own."""
    return inspect.iscoroutinefunction(handler)


def is_sync(handler: Handler) -> TypeGuard[SyncHandler]:
    """A plain function `(session, payload)`, run in the transaction that marks its job done."""
    return not is_async(handler)


class Worker:
    def __init__(
        self,
        db: Database,
        handlers: Mapping[str, Handler],
        *,
        concurrency: int = 8,
        lease_seconds: float = 60.0,
        poll_seconds: float = 1.0,
        batch_size: int = 64,
    ) -> None:
        self.db = db
        self.handlers = handlers
        self.concurrency = concurrency  # coroutine (network) jobs in flight at once
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._slots = asyncio.Semaphore(concurrency)
        self._running: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._full_pause = 0.0  # the current pause for a full disk (0: there is room)
        self._resume_at = 0.0  # no claims before this time (loop.time())
        self._stranded: list[queue.ClaimedJob] = []  # stopped by a full disk, not released

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
        while jobs := await self._claim():
            await self._dispatch(jobs)
            if self._running:
                await asyncio.wait(self._running)

    async def _loop(self) -> None:
        while not self._stopping.is_set():
            # Clear before claiming, not before sleeping: a wake() (or stop()) that arrives
            # while a claim is in flight must cut the next sleep short, not be forgotten.
            self._wake.clear()
            await self._room()
            await self._until_resumed()
            jobs = await self._claim()
            await self._dispatch(jobs)
            if len(jobs) < self.batch_size:
                await self._sleep()

    async def _room(self) -> None:
        """Claim no more while every network slot is busy: claimed jobs would sit waiting
        for a slot while their leases ran out."""
        while len(self._running) >= self.concurrency:
            await asyncio.wait(self._running, return_when=asyncio.FIRST_COMPLETED)

    async def _claim(self) -> list[queue.ClaimedJob]:
        if self._stranded and not await self._give_back([]):
            self._disk_full()
            return []
        try:
            jobs = await self.db.write(queue.claim, self.name, self.batch_size, self.lease_seconds)
        except StorageFull:
            self._disk_full()
            return []
        except Exception:
            log.exception("claiming jobs failed; retrying after a pause")
            return []
        if jobs:
            self._disk_has_room()
        return jobs

    def _disk_full(self) -> None:
        """Pause claiming, longer each time up to a minute (cut short when this process
        commits something meanwhile: there is room again). The store said why
        (store/full.py)."""
        first, longest = FULL_DISK_PAUSE
        if not self._full_pause:
            log.warning("Jobs paused for want of disk space; tried again every %d to %d s.",
                        first, longest)  # fmt: skip
        self._full_pause = min(self._full_pause * 2, longest) if self._full_pause else first
        self._resume_at = asyncio.get_running_loop().time() + self._full_pause

    def _disk_has_room(self) -> None:
        if self._full_pause:
            log.warning("There is disk space again: jobs run.")
            self._full_pause = 0.0
            self._resume_at = 0.0

    async def _until_resumed(self) -> None:
        """While paused for a full disk: until the pause ends, a wake-up (something was
        committed, so there is room), or `stop()`."""
        wait = self._resume_at - asyncio.get_running_loop().time()
        if wait > 0:
            waits = [asyncio.ensure_future(e.wait()) for e in (self._wake, self._stopping)]
            await asyncio.wait(waits, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
            for waiting in waits:
                waiting.cancel()

    async def _give_back(self, jobs: list[queue.ClaimedJob]) -> bool:
        """Release jobs a full disk stopped: now, or else before anything else is claimed
        (their leases would free them only after a minute). False if the disk is still
        full."""
        self._stranded.extend(jobs)
        try:
            await self.db.write(queue.release, [job.id for job in self._stranded], self.name)
        except StorageFull:
            return False
        except Exception:
            log.exception("jobs stopped by a full disk could not be released")
            return False
        self._stranded.clear()
        return True

    async def _sleep(self) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
        except TimeoutError:
            pass

    async def _dispatch(self, jobs: list[queue.ClaimedJob]) -> None:
        """Database-only jobs: one transaction for the batch. Network jobs: tasks."""
        in_database = [job for job in jobs if not self._is_coroutine(job)]
        if in_database:
            try:
                await self.db.write(self._run_batch, in_database)
            except StorageFull:
                self._disk_full()
                await self._give_back(in_database)
            except Exception:  # the batch's commit failed: its leases will expire, retried
                log.exception("a batch of %d jobs could not be committed", len(in_database))
        for job in jobs:
            if self._is_coroutine(job):
                task = asyncio.create_task(self._run_coroutine(job))
                self._running.add(task)
                task.add_done_callback(self._running.discard)

    def _is_coroutine(self, job: queue.ClaimedJob) -> bool:
        return is_async(self.handlers.get(job.kind))

    def _run_batch(self, session: Session, jobs: list[queue.ClaimedJob]) -> None:
        """Each job in its own savepoint: one failing job rolls back alone, and a job's
        effects commit together with the mark that it is done (exactly once)."""
        for job in jobs:
            started = now()
            emitted = events.mark(session)
            try:
                with session.begin_nested():
                    handler = self.handlers.get(job.kind)
                    if handler is None:
                        raise PermanentJobError(f"no handler for job kind {job.kind!r}")
                    assert is_sync(handler)  # `_dispatch` sent the coroutine handlers elsewhere
                    handler(session, job.payload)
                    queue.complete(session, job.id, started, self.name)
            except queue.LeaseLost:
                events.discard_since(session, emitted)
                log.warning(
                    "job %s (%s) outlived its lease; its new owner decides", job.id, job.kind
                )
            except PermanentJobError as exc:
                events.discard_since(session, emitted)
                queue.fail(session, job, self.name, str(exc), permanent=True)
            except Exception as exc:
                if full.is_full(exc):
                    raise  # not this job's failure: the whole batch is given back
                events.discard_since(session, emitted)  # its savepoint was rolled back
                state = queue.fail(session, job, self.name, traceback.format_exc(limit=5))
                log.warning("job %s (%s) failed, now %s", job.id, job.kind, state)

    async def _run_coroutine(self, job: queue.ClaimedJob) -> None:
        handler = self.handlers[job.kind]
        assert is_async(handler)  # `_dispatch` sends only coroutine handlers here
        started = now()
        async with self._slots:
            try:
                await handler(self.db, job.payload)
                await self.db.write(queue.complete, job.id, started, self.name)
                self._disk_has_room()
            except asyncio.CancelledError:
                raise
            except StorageFull:
                self._disk_full()
                await self._give_back([job])
            except queue.LeaseLost:
                log.warning("job %s (%s) outlived its lease", job.id, job.kind)
            except PermanentJobError as exc:
                await self.db.write(queue.fail, job, self.name, str(exc), permanent=True)
            except Exception:
                error = traceback.format_exc(limit=5)
                state = await self.db.write(queue.fail, job, self.name, error)
                log.warning("job %s (%s) failed, now %s", job.id, job.kind, state)
