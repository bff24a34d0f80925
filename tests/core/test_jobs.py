"""The durable job queue and its worker: claim, lease, retry with backoff, dead letters."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from bocage.jobs.worker import Worker
from bocage.kernel.clock import now
from bocage.node import Node
from bocage.store import queue
from bocage.store.db import Database
from bocage.store.models import Job
from bocage.store.queue import PermanentJobError


def enqueue(node: Node, kind: str, payload: dict[str, Any] | None = None, **kw: Any) -> int:
    with node.db.transaction() as session:
        return queue.enqueue(session, kind, payload or {}, **kw)


def job(node: Node, job_id: int) -> Job:
    with node.db.snapshot() as session:
        found = session.get(Job, job_id)
        assert found is not None
        return found


def make_due(node: Node, job_id: int) -> None:
    with node.db.transaction() as session:
        session.execute(update(Job).where(Job.id == job_id).values(run_after=now()))


def worker(node: Node, handlers: dict[str, Any], **options: Any) -> Worker:
    return Worker(node.db, handlers, **options)


def claim(node: Node, name: str, limit: int, lease: float) -> list[queue.ClaimedJob]:
    with node.db.transaction() as session:
        return queue.claim(session, name, limit, lease)


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    for _ in range(50):
        assert 7.5 <= queue.backoff(1) < 22.5
        assert 15 <= queue.backoff(2) < 45
        assert 60 <= queue.backoff(4) < 180
        assert 3 * 3600 <= queue.backoff(40) < 9 * 3600
        assert 7.5 <= queue.backoff(0) < 22.5


def test_enqueue_claim_complete(node: Node) -> None:
    job_id = enqueue(node, "demo", {"n": 1, "text": "é"})
    queued = job(node, job_id)
    assert (queued.state, queued.attempts, queued.max_attempts) == ("queued", 0, 12)
    before = now()
    [claimed] = claim(node, "worker-a", 10, 60)
    assert claimed == queue.ClaimedJob(job_id, "demo", {"n": 1, "text": "é"}, 1, 12)
    running = job(node, job_id)
    assert running.state == "running"
    assert running.locked_by == "worker-a"
    assert running.locked_until is not None
    assert before + timedelta(seconds=59) < running.locked_until <= now() + timedelta(seconds=60)
    # Leased: nobody else gets it.
    assert claim(node, "worker-b", 10, 60) == []
    with node.db.transaction() as session:
        queue.complete(session, job_id, before, "worker-a")
    done = job(node, job_id)
    assert done.state == "done"
    assert done.finished_at is not None and done.finished_at >= before
    assert done.locked_until is None
    assert done.duration_ms is not None and done.duration_ms >= 0
    assert claim(node, "worker-b", 10, 60) == []
    with node.db.snapshot() as session:
        assert queue.counts(session) == {"done": 1}

    # A job enqueued in a transaction that rolls back never existed.
    with pytest.raises(RuntimeError):
        with node.db.transaction() as session:
            queue.enqueue(session, "demo", {})
            raise RuntimeError("the change failed")
    assert claim(node, "w", 10, 60) == []


def test_released_jobs_are_due_again_with_their_attempt_not_counted(node: Node) -> None:
    """What a full disk stopped (jobs/worker.py) is given back as if never claimed; a job
    another worker holds is not given back by this one."""
    mine, theirs = enqueue(node, "demo"), enqueue(node, "demo")
    claim(node, "worker-a", 1, 60)
    claim(node, "worker-b", 1, 60)
    with node.db.transaction() as session:
        queue.release(session, [mine, theirs], "worker-a")
    held = {job(node, i).locked_by: job(node, i) for i in (mine, theirs)}
    given_back = held.pop(None)
    assert (given_back.state, given_back.attempts, given_back.locked_until) == ("queued", 0, None)
    assert [(j.state, j.attempts) for j in held.values()] == [("running", 1)]
    assert [c.id for c in claim(node, "worker-c", 10, 60)] == [given_back.id]


async def test_claims_respect_delays_limits_and_each_other(node: Node) -> None:
    later = enqueue(node, "demo", delay=3600)
    soon = [enqueue(node, "demo", {"n": n}) for n in range(3)]
    first = claim(node, "w", 2, 60)
    second = claim(node, "w", 2, 60)
    assert len(first) == 2 and len(second) == 1
    assert sorted(j.id for j in first + second) == sorted(soon)
    assert claim(node, "w", 2, 60) == []
    assert (job(node, later)).state == "queued"

    # Concurrent claims never hand out the same job twice.
    ids = {enqueue(node, "demo", {"n": n}) for n in range(8)}
    batches = await asyncio.gather(
        *(node.db.write(queue.claim, f"w{n}", 3, 60) for n in range(4)), return_exceptions=False
    )
    claimed = [j.id for batch in batches for j in batch]
    assert len(claimed) == len(set(claimed))
    assert set(claimed) == ids


async def test_a_failing_job_is_retried_with_backoff_then_dead(node: Node) -> None:
    calls: list[dict[str, Any]] = []

    async def flaky(session: Session, payload: dict[str, Any]) -> None:
        calls.append(payload)
        raise ValueError(f"remote said no ({len(calls)})")

    runner = worker(node, {"flaky": flaky})
    job_id = enqueue(node, "flaky", {"to": "x"}, max_attempts=3)
    for attempt in (1, 2):
        started = now()
        await runner.run_until_idle()
        retried = job(node, job_id)
        assert retried.state == "queued"
        assert retried.attempts == attempt
        assert retried.last_error is not None
        assert "ValueError" in retried.last_error
        assert f"remote said no ({attempt})" in retried.last_error
        assert retried.locked_until is None
        assert retried.finished_at is None
        low = queue.BACKOFF_BASE_SECONDS * 2 ** (attempt - 1) * 0.5
        assert retried.run_after >= started + timedelta(seconds=low)
        assert retried.run_after <= now() + timedelta(seconds=low * 3)
        # Not due yet: running the worker again does nothing.
        await runner.run_until_idle()
        assert len(calls) == attempt
        make_due(node, job_id)
    await runner.run_until_idle()
    dead = job(node, job_id)
    assert dead.state == "dead"
    assert dead.attempts == 3
    assert dead.finished_at is not None
    assert dead.last_error is not None and "remote said no (3)" in dead.last_error
    assert len(calls) == 3
    make_due(node, job_id)
    await runner.run_until_idle()
    assert len(calls) == 3  # dead jobs are not claimed
    with node.db.snapshot() as session:
        assert [j.id for j in queue.dead_letters(session)] == [job_id]
        assert queue.counts(session) == {"dead": 1}


async def test_a_dead_job_can_be_retried_and_old_jobs_purged(node: Node) -> None:
    seen: list[int] = []

    def once_broken(session: Session, payload: dict[str, Any]) -> None:
        seen.append(payload["n"])
        if len(seen) == 1:
            raise PermanentJobError("fix me first")

    runner = worker(node, {"once": once_broken})
    job_id = enqueue(node, "once", {"n": 7})
    await runner.run_until_idle()
    assert (job(node, job_id)).state == "dead"
    assert await node.db.write(queue.retry_dead, job_id) is True
    retried = job(node, job_id)
    assert (retried.state, retried.attempts, retried.finished_at) == ("queued", 0, None)
    await runner.run_until_idle()
    assert (job(node, job_id)).state == "done"
    assert (job(node, job_id)).last_error is None
    assert seen == [7, 7]
    assert await node.db.write(queue.retry_dead, job_id) is False  # only dead jobs

    # Old finished jobs can be purged.
    def ok(session: Session, payload: dict[str, Any]) -> None:
        return None

    old = enqueue(node, "ok")
    recent = enqueue(node, "ok")
    waiting = enqueue(node, "ok", delay=3600)
    await worker(node, {"ok": ok}).run_until_idle()
    with node.db.transaction() as session:
        session.execute(
            update(Job).where(Job.id == old).values(finished_at=now() - timedelta(days=8))
        )
    assert await node.db.write(queue.purge_done, timedelta(days=7)) == 1  # only `old`
    with node.db.snapshot() as session:
        assert session.get(Job, old) is None
        assert (session.get(Job, recent)).state == "done"  # type: ignore[union-attr]
        assert (session.get(Job, waiting)).state == "queued"  # type: ignore[union-attr]


async def test_permanent_error_goes_straight_to_dead(node: Node) -> None:
    def hopeless(session: Session, payload: dict[str, Any]) -> None:
        raise PermanentJobError("the remote account is gone")

    job_id = enqueue(node, "hopeless")
    await worker(node, {"hopeless": hopeless}).run_until_idle()
    dead = job(node, job_id)
    assert dead.state == "dead"
    assert dead.attempts == 1
    assert dead.max_attempts == 12
    assert dead.last_error == "the remote account is gone"

    # A job nobody knows how to run is a dead letter too.
    unknown = enqueue(node, "no.such.kind")
    await worker(node, {}).run_until_idle()
    dead = job(node, unknown)
    assert dead.state == "dead"
    assert dead.last_error is not None and "no.such.kind" in dead.last_error


async def test_an_expired_lease_is_claimed_again(node: Node) -> None:
    job_id = enqueue(node, "demo", {"n": 1})
    [first] = claim(node, "crashed-worker", 10, 60)
    assert first.attempts == 1
    assert claim(node, "other", 10, 60) == []
    with node.db.transaction() as session:
        session.execute(
            update(Job).where(Job.id == job_id).values(locked_until=now() - timedelta(seconds=1))
        )
    [again] = claim(node, "other", 10, 60)
    assert (again.id, again.attempts, again.payload) == (job_id, 2, {"n": 1})
    taken = job(node, job_id)
    assert (taken.state, taken.locked_by) == ("running", "other")
    assert taken.locked_until is not None and taken.locked_until > now()

    # The worker finishes a job whose lease ran out.
    done: list[int] = []

    def record(session: Session, payload: dict[str, Any]) -> None:
        done.append(payload["n"])

    orphan = enqueue(node, "record", {"n": 5})
    claim(node, "crashed-worker", 10, 0.001)
    await asyncio.sleep(0.01)
    await worker(node, {"record": record}).run_until_idle()
    assert done == [5]
    finished = job(node, orphan)
    assert (finished.state, finished.attempts) == ("done", 2)


async def test_started_worker_processes_jobs_enqueued_while_it_runs(node: Node) -> None:
    handled: list[int] = []
    arrived = asyncio.Event()
    loop = asyncio.get_running_loop()

    async def record(session: Session, payload: dict[str, Any]) -> None:  # runs in a writer thread
        handled.append(payload["n"])
        if len(handled) == 3:
            loop.call_soon_threadsafe(arrived.set)

    # A long poll: only wake() can make it notice new jobs within the test's patience.
    runner = worker(node, {"record": record}, poll_seconds=30, concurrency=2)
    runner.start()
    try:
        await asyncio.sleep(0.05)  # let it find the queue empty and go to sleep
        ids = [enqueue(node, "record", {"n": n}) for n in range(3)]
        runner.wake()
        await asyncio.wait_for(arrived.wait(), timeout=10)
    finally:
        await runner.stop()
    assert sorted(handled) == [0, 1, 2]
    for job_id in ids:
        assert (job(node, job_id)).state == "done"
    assert runner._loop_task is not None and runner._loop_task.done()


async def test_stop(node: Node) -> None:
    runner = worker(node, {}, poll_seconds=30)
    runner.start()
    await asyncio.sleep(0)  # the loop is now inside its first (empty) claim
    # stop() wakes the loop; it must not then sleep through a whole poll period.
    await asyncio.wait_for(runner.stop(), timeout=5)

    # stop() lets a running job finish.
    started = asyncio.Event()
    finished: list[datetime] = []

    async def slow(db: Database, payload: dict[str, Any]) -> None:
        started.set()
        await asyncio.sleep(0.3)
        finished.append(now())

    runner = worker(node, {"slow": slow}, poll_seconds=30)
    job_id = enqueue(node, "slow")
    runner.start()
    await asyncio.wait_for(started.wait(), timeout=10)
    await runner.stop(grace_seconds=10)
    assert len(finished) == 1
    assert (job(node, job_id)).state == "done"
