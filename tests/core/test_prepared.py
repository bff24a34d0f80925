"""store/prepared.py: hot statements run on the driver's cursor, with SQLAlchemy's SQL and types."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import bindparam, insert, select, update

from bocage.node import Node
from bocage.store.models import Account, Job
from bocage.store.prepared import Prepared
from bocage.store.queue import ADD_JOB
from tests.conftest import make_user

JOBS = Job.__table__
MOMENT = datetime(2026, 11, 22, 10, 30, 15, 123456, tzinfo=UTC)


def job_values(job_id: int) -> dict[str, object]:
    return {
        "id": job_id,
        "kind": "demo",
        "payload": {"text": "é ✓", "n": [1, 2]},
        "state": "queued",
        "run_after": MOMENT,
        "attempts": 0,
        "max_attempts": 12,
        "created_at": MOMENT - timedelta(days=1),
    }


async def test_a_prepared_insert_stores_what_sqlalchemy_would(node: Node) -> None:
    with node.db.transaction() as session:
        ADD_JOB.execute(session, job_values(1))
        session.execute(insert(JOBS), job_values(2))
    with node.db.snapshot() as session:
        mine, theirs = session.execute(select(Job).order_by(Job.id)).scalars()
        assert mine.payload == theirs.payload == {"text": "é ✓", "n": [1, 2]}
        assert mine.run_after == theirs.run_after == MOMENT  # timezone-aware, to the µs
        stored = session.connection().exec_driver_sql(
            "SELECT run_after, CAST(payload AS TEXT) FROM jobs"
        )
        assert len(set(stored.all())) == 1  # the very same stored values


async def test_literal_values_and_rows_come_through(node: Node) -> None:
    account = make_user(node, "ada")
    bump = Prepared(
        update(Account.__table__)
        .where(Account.__table__.c.id == bindparam("account"))
        .values(statuses_count=Account.__table__.c.statuses_count + 5)  # 5 is a bound literal
    )
    read = Prepared(
        select(Account.__table__.c.statuses_count, Account.__table__.c.username).where(
            Account.__table__.c.id == bindparam("account")
        )
    )
    with node.db.transaction() as session:
        bump.execute(session, {"account": account.id})
        assert read.execute(session, {"account": account.id}).fetchone() == (5, "ada")


async def test_a_missing_value_is_refused_before_reaching_the_database(node: Node) -> None:
    with node.db.transaction() as session, pytest.raises(KeyError, match="account"):
        Prepared(select(Account.id).where(Account.id == bindparam("account"))).execute(session, {})


async def test_an_insert_that_relies_on_column_defaults_is_refused(node: Node) -> None:
    # SQLAlchemy applies Python-side defaults while executing; a Prepared skips that step.
    incomplete = Prepared(insert(JOBS), keys=("id", "kind", "payload", "run_after", "created_at"))
    with node.db.transaction() as session, pytest.raises(ValueError, match="state"):
        incomplete.execute(session, job_values(3))


async def test_prepared_rows_are_converted_as_sqlalchemy_converts_them(node: Node) -> None:
    with node.db.transaction() as session:
        finished = {"finished_at": MOMENT, "duration_ms": 1.5}
        session.execute(insert(JOBS), {**job_values(1), **finished})
        session.execute(insert(JOBS), job_values(2))
    query = select(JOBS.c.id, JOBS.c.payload, JOBS.c.finished_at, JOBS.c.duration_ms).order_by(
        JOBS.c.id
    )
    with node.db.snapshot() as session:
        mine = Prepared(query).rows(session, {})
        theirs = [tuple(row) for row in session.execute(query)]
    assert mine == theirs
    assert mine[0][1:] == ({"text": "é ✓", "n": [1, 2]}, MOMENT, 1.5)  # JSON parsed, dates aware
    assert mine[1][2:] == (None, None)


async def test_lists_for_in_are_written_out_per_length(node: Node) -> None:
    """An expanding bind (`IN :ids`) gets one placeholder per value, the statement compiled
    once per length; the other binds keep their places around it."""
    queued = [job_values(job_id) for job_id in (1, 2, 3, 4)]
    queued[2]["state"] = "done"
    with node.db.transaction() as session:
        for values in queued:
            ADD_JOB.execute(session, values)
    jobs_in = Prepared(
        select(JOBS.c.id, JOBS.c.run_after)
        .where(JOBS.c.state == bindparam("state"), JOBS.c.id.in_(bindparam("ids", expanding=True)))
        .where(JOBS.c.attempts < bindparam("attempts"))
        .order_by(JOBS.c.id)
    )
    with node.db.snapshot() as session:
        found = jobs_in.rows(session, {"state": "queued", "ids": [4, 3, 1], "attempts": 1})
        assert found == [(1, MOMENT), (4, MOMENT)]  # converted as SQLAlchemy would
        assert jobs_in.rows(session, {"state": "done", "ids": [3], "attempts": 1}) == [(3, MOMENT)]
        assert jobs_in.rows(session, {"state": "queued", "ids": [2, 9, 1], "attempts": 1}) == [
            (1, MOMENT),
            (2, MOMENT),
        ]
        with pytest.raises(ValueError, match="empty list"):
            jobs_in.rows(session, {"state": "queued", "ids": [], "attempts": 1})
