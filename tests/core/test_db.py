"""Units of work: concurrent writes, and SQLite's group commit (store/db.py SerialWriter)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bocage.kernel.errors import InvalidInput
from bocage.node import Node
from bocage.store.models import Job
from bocage.store.queue import enqueue


def add_job(session: Session, n: int) -> int:
    return enqueue(session, "demo", {"n": n})


def add_job_then_fail(session: Session, n: int) -> int:
    enqueue(session, "demo", {"n": n})
    raise InvalidInput(f"unit {n} refuses")


def add_duplicate_job(session: Session, n: int) -> None:
    job_id = add_job(session, n)
    session.execute(insert(Job.__table__), {**job_row(session, job_id), "id": job_id})


def job_row(session: Session, job_id: int) -> dict[str, object]:
    job = session.get(Job, job_id)
    assert job is not None
    return {column.name: getattr(job, column.key) for column in Job.__table__.columns}


def hold_the_writer(session: Session, seconds: float) -> None:
    time.sleep(seconds)  # the writer is busy: the next units queue up behind it


def add_job_and_name_transaction(session: Session, n: int) -> int:
    add_job(session, n)
    return id(session.get_transaction())


def stored_numbers(node: Node) -> list[int]:
    with node.db.snapshot() as session:
        return sorted(job.payload["n"] for job in session.execute(select(Job)).scalars())


async def test_concurrent_writes_each_commit_and_return_their_own_result(node: Node) -> None:
    ids = await asyncio.gather(*(node.db.write(add_job, n) for n in range(50)))
    assert len(set(ids)) == 50
    assert stored_numbers(node) == list(range(50))


async def test_a_failing_unit_is_rolled_back_alone(node: Node) -> None:
    busy = asyncio.ensure_future(node.db.write(hold_the_writer, 0.2))
    await asyncio.sleep(0.05)
    outcomes = await asyncio.gather(
        node.db.write(add_job, 1),
        node.db.write(add_job_then_fail, 2),
        node.db.write(add_job, 3),
        return_exceptions=True,
    )
    await busy
    assert isinstance(outcomes[1], InvalidInput)
    assert str(outcomes[1]) == "unit 2 refuses"
    assert isinstance(outcomes[0], int) and isinstance(outcomes[2], int)
    assert stored_numbers(node) == [1, 3]  # each once: a rolled-back group leaves nothing


def lock_two_jobs(
    session: Session, first: int, second: int, both_hold_one: threading.Barrier, tries: list[int]
) -> int:
    """Lock `first`, wait until the other unit holds its own first row, then lock `second`:
    two of these in opposite orders deadlock on their first try. Locked through the raw
    driver cursor, as store/prepared.py runs the author log's head lock (where a boost and a
    follow deadlocked in the outside-input walk)."""
    tries.append(first)
    cursor = session.connection().connection.driver_connection.cursor()
    cursor.execute("SELECT id FROM jobs WHERE id = %s FOR UPDATE", (first,))
    if tries.count(first) == 1:
        both_hold_one.wait(timeout=10)
    cursor.execute("SELECT id FROM jobs WHERE id = %s FOR UPDATE", (second,))
    return first


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_a_unit_that_lost_a_deadlock_runs_again(node: Node) -> None:
    one, two = await node.db.write(add_job, 1), await node.db.write(add_job, 2)
    both_hold_one, tries = threading.Barrier(2), []
    done = await asyncio.gather(
        node.db.write(lock_two_jobs, one, two, both_hold_one, tries),
        node.db.write(lock_two_jobs, two, one, both_hold_one, tries),
    )
    assert sorted(done) == sorted([one, two])
    assert len(tries) == 3  # PostgreSQL chose one victim; it ran again and committed


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_sqlite_commits_queued_units_together(node: Node) -> None:
    busy = asyncio.ensure_future(node.db.write(hold_the_writer, 0.2))
    await asyncio.sleep(0.05)
    transactions = await asyncio.gather(
        *(node.db.write(add_job_and_name_transaction, n) for n in range(10))
    )
    await busy
    assert len(set(transactions)) == 1  # queued meanwhile: committed together
    assert stored_numbers(node) == list(range(10))


async def test_a_failing_unit_in_a_group_does_not_spoil_the_session_of_others(
    node: Node,
) -> None:
    busy = asyncio.ensure_future(node.db.write(hold_the_writer, 0.2))
    await asyncio.sleep(0.05)
    outcomes = await asyncio.gather(
        node.db.write(add_job, 1),
        node.db.write(add_duplicate_job, 2),  # a database error, not a domain error
        node.db.write(add_job, 3),
        return_exceptions=True,
    )
    await busy
    assert isinstance(outcomes[1], IntegrityError)
    assert stored_numbers(node) == [1, 3]
