"""Enqueue, claim, finish and retry jobs.

Jobs are enqueued inside the caller's transaction (transactional outbox): if the change
commits, its jobs exist; if it rolls back, they never did. A claimed job carries a lease;
a worker that dies (SIGKILL, power loss) simply lets the lease run out and another claim
picks the job up again. A handler's database effects commit in the same transaction that
marks its job done, so a job takes effect exactly once.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from bocage.kernel import events
from bocage.kernel.clock import now
from bocage.kernel.ids import new_id
from bocage.store.db import Database
from bocage.store.models import Job
from bocage.store.prepared import Prepared
from bocage.store.sql import changed, update_rows

# Every post and activity enqueues a job: compiled once (see store/prepared.py).
ADD_JOB = Prepared(
    insert(Job.__table__),
    keys=("id", "kind", "payload", "state", "run_after", "attempts", "max_attempts", "created_at"),
)
JOBS_QUEUED = "jobs.queued"

# What a job kind runs: a plain function `(session, payload)`, run inside the transaction that
# marks its job done, or a coroutine function `(db, payload)` for work that waits on the network.
SyncHandler = Callable[[Session, dict[str, Any]], None]
AsyncHandler = Callable[[Database, dict[str, Any]], Awaitable[None]]
Handler = SyncHandler | AsyncHandler
BACKOFF_BASE_SECONDS = 15.0
BACKOFF_CAP_SECONDS = 6 * 3600.0


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    *,
    delay: float = 0.0,
    max_attempts: int = 12,
) -> int:
    """Add a job to the caller's transaction; returns its id."""
    moment, job_id = now(), new_id()
    values = {
        "id": job_id,
        "kind": kind,
        "payload": payload,
        "state": "queued",
        "run_after": moment + timedelta(seconds=delay),
        "attempts": 0,
        "max_attempts": max_attempts,
        "created_at": moment,
    }
    ADD_JOB.execute(session, values)
    # Once committed, the event wakes the worker (node.py): no waiting for its next poll.
    events.emit(session, JOBS_QUEUED)
    return job_id


class PermanentJobError(Exception):
    """Raised by a handler when retrying cannot help: the job goes straight to dead letters."""


class LeaseLost(Exception):
    """Another worker took this job over (our lease ran out): our result must not count."""


def claim(session: Session, worker: str, limit: int, lease_seconds: float) -> list[ClaimedJob]:
    """Take up to `limit` due jobs: queued ones, and running ones whose lease has expired."""
    moment = now()
    _bury_crash_loops(session, moment)
    due = or_(
        and_(Job.state == "queued", Job.run_after <= moment),
        and_(Job.state == "running", Job.locked_until < moment),
    )
    candidates = select(Job.id).where(due).order_by(Job.run_after).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        # Several worker processes: each skips rows another one is claiming right now.
        candidates = candidates.with_for_update(skip_locked=True)
    ids = list(session.execute(candidates).scalars())
    if not ids:
        return []
    result = session.execute(
        update_rows(Job)
        .where(Job.id.in_(ids), due)
        .values(
            state="running",
            attempts=Job.attempts + 1,
            locked_by=worker,
            locked_until=moment + timedelta(seconds=lease_seconds),
        )
        .returning(Job.id, Job.kind, Job.payload, Job.attempts, Job.max_attempts)
    )
    return [ClaimedJob(*row) for row in result.all()]


def _bury_crash_loops(session: Session, moment: datetime) -> None:
    """A job whose worker died on every attempt (lease ran out each time) goes dead, not
    around forever: it may be the job that kills the worker."""
    session.execute(
        update_rows(Job)
        .where(
            Job.state == "running",
            Job.locked_until < moment,
            Job.attempts >= Job.max_attempts,
        )
        .values(
            state="dead",
            locked_until=None,
            finished_at=moment,
            last_error="the worker stopped while running this job, on every attempt",
        )
    )


JOBS = Job.__table__
# Every job ends here: built and compiled once (see store/prepared.py).
MARK_DONE = Prepared(
    update(JOBS)
    .where(
        JOBS.c.id == bindparam("job"),
        JOBS.c.state == "running",
        JOBS.c.locked_by == bindparam("worker"),
    )
    .values(
        state="done",
        finished_at=bindparam("finished"),
        locked_until=None,
        last_error=None,
        duration_ms=bindparam("duration_ms"),
    )
)


def complete(session: Session, job_id: int, started: datetime, worker: str) -> None:
    finished = now()
    duration_ms = (finished - started).total_seconds() * 1000
    params = {"job": job_id, "worker": worker, "finished": finished, "duration_ms": duration_ms}
    if not MARK_DONE.execute(session, params).rowcount:
        raise LeaseLost(f"job {job_id} was taken over by another worker")


def release(session: Session, job_ids: list[int], worker: str) -> None:
    """Give claimed jobs back, due now, their attempt not counted: they did not fail, the
    worker could not run them (a full disk)."""
    session.execute(
        update_rows(Job)
        .where(Job.id.in_(job_ids), Job.state == "running", Job.locked_by == worker)
        .values(state="queued", attempts=Job.attempts - 1, locked_by=None, locked_until=None)
    )


def fail(
    session: Session, job: ClaimedJob, worker: str, error: str, *, permanent: bool = False
) -> str:
    """Record a failure: back off and retry, or move to the dead letters. Returns the state."""
    dead = permanent or job.attempts >= job.max_attempts
    session.execute(
        update_rows(Job)
        .where(Job.id == job.id, Job.state == "running", Job.locked_by == worker)
        .values(
            state="dead" if dead else "queued",
            run_after=now() + timedelta(seconds=backoff(job.attempts)),
            locked_until=None,
            last_error=error[:2000],
            finished_at=now() if dead else None,
        )
    )
    return "dead" if dead else "queued"


def backoff(attempts: int) -> float:
    """Exponential with jitter in [0.5, 1.5): 15 s, 30 s, 1 min … capped at 6 h.

    The default twelve attempts span about 8.5 hours; deliveries ask for more attempts so
    that an unreachable server gets two days to come back (`delivery.DELIVERY_ATTEMPTS`).
    """
    return _backoff_base(attempts) * (0.5 + random.random())


def backoff_floor(attempts: int) -> float:
    """The shortest wait `backoff` can draw after this attempt."""
    return _backoff_base(attempts) * 0.5


def _backoff_base(attempts: int) -> float:
    return min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_CAP_SECONDS)


def retry_dead(session: Session, job_id: int) -> bool:
    retried = changed(
        session,
        update_rows(Job)
        .where(Job.id == job_id, Job.state == "dead")
        .values(state="queued", run_after=now(), attempts=0, finished_at=None),
    )
    return bool(retried)


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Job.state, func.count()).group_by(Job.state))
    return {state: count for state, count in rows.all()}


def dead_letters(session: Session, limit: int = 100) -> list[Job]:
    rows = session.execute(
        select(Job).where(Job.state == "dead").order_by(Job.id.desc()).limit(limit)
    )
    return list(rows.scalars())


def purge_done(session: Session, older_than: timedelta) -> int:
    return changed(
        session, delete(Job).where(Job.state == "done", Job.finished_at < now() - older_than)
    )
