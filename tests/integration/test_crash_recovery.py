"""Acceptance: jobs survive a crash.

A real `bocage serve` is killed with SIGKILL while it works through a large batch of jobs;
after a restart every job finishes, and finishes exactly once in effect: each post has exactly
one mention notification, no job is dead, and no job that had finished before the crash ran
again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bocage.store.db import Database
from bocage.store.models import Account, Job, Notification, Post
from tests.databases import DatabaseFactory
from tests.integration.helpers import (
    backend_env,
    make_node_dir,
    publish_many,
)
from tests.processes import NodeProcess

# Each job takes a few milliseconds (claim, handler and completion are three transactions), so
# 500 jobs keep a node busy for several seconds: the kill, after a tenth of them, lands mid-work.
POSTS = 500
USERS = ("alice", "bob", "carol")
# A short lease so that the jobs the killed process held are claimed again quickly.
WORKER_ENV = {"BOCAGE_JOB_LEASE_SECONDS": "2", "BOCAGE_JOB_CONCURRENCY": "4"}


def job_states(db: Database) -> dict[int, tuple[str, int, str | None]]:
    """{post id: (state, attempts, locked_by)} of each `post.created` job."""
    with db.snapshot() as session:
        rows = session.execute(
            select(Job.payload, Job.state, Job.attempts, Job.locked_by).where(
                Job.kind == "post.created"
            )
        )
        return {payload["post_id"]: (state, attempts, by) for payload, state, attempts, by in rows}


def count_by_state(db: Database) -> dict[str, int]:
    """States of the `post.created` jobs (the ones this test counts)."""
    with db.snapshot() as session:
        rows = session.execute(
            select(Job.state, func.count()).where(Job.kind == "post.created").group_by(Job.state)
        )
        return dict(rows.all())


async def wait_for(
    db: Database, condition: Callable[[dict[str, int]], bool], within: float, poll: float = 0.01
) -> dict[str, int]:
    """Poll the jobs table until `condition(counts by state)` holds."""
    deadline = time.monotonic() + within
    while True:
        counts = count_by_state(db)
        if condition(counts):
            return counts
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out; jobs by state: {counts}")
        await asyncio.sleep(poll)


@pytest.mark.slow
async def test_jobs_finish_exactly_once_after_sigkill(
    backend: str, databases: DatabaseFactory, tmp_path: Path
) -> None:
    env = {**backend_env(backend, databases), **WORKER_ENV}
    data = tmp_path / "node"
    settings = make_node_dir(data, env)

    # A large batch of work, written through the core while no worker runs: each post mentions
    # the next user, so each one's `post.created` job must write one mention notification.
    work = [(USERS[i % 3], f"note {i} for @{USERS[(i + 1) % 3]} #crash") for i in range(POSTS)]
    post_ids = await publish_many(settings, work, new_users=USERS)
    db = Database(settings.effective_database_url)
    try:
        before = job_states(db)
        assert len(before) == POSTS
        assert {state for state, _, _ in before.values()} == {"queued"}

        node = NodeProcess(data, env=env)
        try:
            node.start()
            # Kill it mid-work: some jobs done, most not, and a batch claimed and in flight
            # (between two batches nothing is claimed, and that would prove less).
            await wait_for(
                db,
                lambda c: c.get("done", 0) >= POSTS // 10 and c.get("running", 0) > 0,
                within=60,
            )
        finally:
            node.kill()
        at_kill = job_states(db)
        done_at_kill = {i for i, (state, _, _) in at_kill.items() if state == "done"}
        running_at_kill = {i for i, (state, _, _) in at_kill.items() if state == "running"}
        queued_at_kill = {i for i, (state, _, _) in at_kill.items() if state == "queued"}
        with db.snapshot() as session:
            notified_at_kill = set((session.execute(select(Notification.post_id))).scalars())
        print(
            f"\n[{backend}] at SIGKILL: {len(done_at_kill)} done, {len(running_at_kill)} running,"
            f" {len(queued_at_kill)} queued of {POSTS}; notifications {len(notified_at_kill)}"
        )
        assert 0 < len(done_at_kill) < POSTS, "the kill did not land mid-work"
        assert len(queued_at_kill) > 0
        assert len(done_at_kill) + len(running_at_kill) + len(queued_at_kill) == POSTS
        # A job is marked done only after its handler committed.
        assert done_at_kill <= notified_at_kill
        # The dead process held claimed jobs; only their lease expiring can free them.
        assert running_at_kill, "no job was in flight at the kill"
        killed_worker = {at_kill[i][2] for i in running_at_kill}

        restarted = NodeProcess(data, env=env)
        try:
            restarted.start()
            final = await wait_for(
                db,
                lambda c: c.get("queued", 0) == 0 and c.get("running", 0) == 0,
                within=90,
                poll=0.1,
            )
        finally:
            restarted.stop()
        assert final == {"done": POSTS}, final

        after = job_states(db)
        # Jobs finished before the crash did not run again; the ones the dead process held
        # ran once more in the new process; queued ones ran once.
        assert all(after[i][1] == 1 for i in done_at_kill)
        assert all(after[i][1] == 1 for i in queued_at_kill)
        for i in running_at_kill:
            assert after[i][1] == 2, after[i]
            assert after[i][2] not in killed_worker

        with db.snapshot() as session:
            per_post = dict(
                (
                    session.execute(
                        select(Notification.post_id, func.count())
                        .where(Notification.type == "mention")
                        .group_by(Notification.post_id)
                    )
                ).all()
            )
            total = (session.execute(select(func.count()).select_from(Notification))).scalar_one()
            rows = (
                session.execute(
                    select(
                        Notification.post_id,
                        Account.username,
                        Notification.from_account_id == Post.account_id,
                    )
                    .join(Account, Account.id == Notification.account_id)
                    .join(Post, Post.id == Notification.post_id)
                )
            ).all()
        assert set(per_post) == set(post_ids)
        assert set(per_post.values()) == {1}
        assert total == POSTS
        # Each notification went to the user the post mentioned, from the post's author.
        expected = {post_id: USERS[(i + 1) % 3] for i, post_id in enumerate(post_ids)}
        assert {post_id: username for post_id, username, _ in rows} == expected
        assert all(from_author for _, _, from_author in rows)
        rerun = running_at_kill & notified_at_kill
        print(
            f"[{backend}] {len(running_at_kill)} jobs re-claimed after the lease,"
            f" {len(rerun)} of which had already written their notification"
        )
    finally:
        db.close()
