"""Acceptance: a web process and a worker process on one database, under load, lose nothing.

`bocage serve --no-worker` and `bocage worker` share one data directory: one SQLite file
(two processes, two writers taking turns on one file lock), and the same on PostgreSQL. For
a few seconds four people post, favourite and read their home timelines through the client
API while a remote server of the test's own delivers signed Creates (some mentioning them)
and Likes of their posts to the inbox. Then: no answer is a 5xx and no database error
reaches anyone (answers and both processes' logs), everything answered 2xx (or 202 at the
inbox) is applied, and every job the load made ends done.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import re
import time
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bocage.config import Settings
from bocage.core.accounts import accounts
from bocage.core.auth import oauth
from bocage.core.graph import graph
from bocage.crypto.keys import RsaKey
from bocage.node import Node
from bocage.store.db import Database
from bocage.store.models import Account, Favourite, InboundActivity, Post
from tests.addresses import loopback
from tests.conftest import shared_secrets
from tests.databases import DatabaseFactory
from tests.integration.helpers import (
    PASSWORD,
    backend_env,
    jobs_settled,
    make_node_dir,
)
from tests.outsider import Outsider
from tests.processes import NodeProcess, WorkerProcess

pytestmark = pytest.mark.slow

USERS = ("alice", "bob", "carol", "dave")
LOAD_SECONDS = 8.0
SENDERS = 2  # the remote server's concurrent deliveries
NODE_HOST, REMOTE_HOST = loopback(6, 1), loopback(6, 2)
MALLORY = "mallory"  # the remote server's account
ENV = {
    "BOCAGE_INSECURE_LOOPBACK": "1",
    "BOCAGE_JOB_POLL_SECONDS": "0.2",
    "BOCAGE_API_REQUESTS_PER_WINDOW": "0",  # the load, not the rate limiter, is under test
}
# What must never reach a person or a log: the database refusing or failing work.
DATABASE_TROUBLE = re.compile(
    r"database is locked|OperationalError|SQLITE_BUSY|Traceback|deadlock", re.IGNORECASE
)


@dataclass
class Answer:
    what: str
    status: int
    text: str
    seconds: float


@dataclass
class Load:
    """What was asked under load and what was answered."""

    answers: list[Answer] = field(default_factory=list)
    posted: dict[int, str] = field(default_factory=dict)  # local post id → text
    post_uris: list[str] = field(default_factory=list)
    favourited: set[tuple[str, int]] = field(default_factory=set)  # (username, post id)
    created: set[str] = field(default_factory=set)  # remote note URIs answered 202
    liked: set[str] = field(default_factory=set)  # local post URIs liked, answered 202
    activities: set[str] = field(default_factory=set)  # activity ids answered 202

    async def ask(self, what: str, request: Awaitable[httpx.Response]) -> httpx.Response:
        started = time.perf_counter()
        response = await request
        self.answers.append(
            Answer(what, response.status_code, response.text, time.perf_counter() - started)
        )
        return response

    async def deliver(self, server: Outsider, inbox: str, activity: dict[str, Any]) -> int:
        """`activity` at `inbox`, signed by mallory as Mastodon signs deliveries; the status."""
        started = time.perf_counter()
        status, text = await server.send("POST", inbox, server.key_id(MALLORY), activity)
        self.answers.append(Answer("inbox", status, text, time.perf_counter() - started))
        return status


async def people(settings: Settings) -> dict[str, str]:
    """USERS, following each other (so that their posts make fan-out jobs), and a client API
    token each: made through the core before the node starts (password grants would cost
    an Argon2 check each)."""
    node = Node(settings, run_worker=False)
    await node.start()
    try:
        with node.db.transaction() as session:
            app = oauth.register_app(session, "load", [], "read write follow", None)
            tokens, members = {}, {}
            for name in USERS:
                form = accounts.Registration(name, f"{name}@example.org", PASSWORD)
                user = accounts.register(
                    session, node.ctx, form, shared_secrets(), bypass_mode=True
                )
                session.flush()
                tokens[name] = oauth.token_for_new_user(session, app, user)[0]
                members[name] = accounts.by_username(session, name)
            for follower, target in itertools.permutations(members.values(), 2):
                graph.follow(session, node.ctx, follower, target)
    finally:
        await node.stop()
    return tokens


@pytest.fixture
async def remote() -> AsyncIterator[Outsider]:
    server = await Outsider(REMOTE_HOST, (MALLORY,), key=RsaKey.generate()).start()
    yield server
    await server.close()


async def person(
    client: httpx.AsyncClient, username: str, load: Load, until: float, seed: int
) -> None:
    """Post, favourite someone else's post, now and then read the home timeline."""
    chance = random.Random(seed)
    n = 0
    while time.monotonic() < until:
        n += 1
        text = f"{username} says {n} under load"
        answer = await load.ask("post", client.post("/api/v1/statuses", data={"status": text}))
        if answer.status_code == 200:
            load.posted[int(answer.json()["id"])] = text
            load.post_uris.append(answer.json()["uri"])
        others = [i for i, said in load.posted.items() if not said.startswith(username)]
        if others:
            target = chance.choice(others)
            favourite = client.post(f"/api/v1/statuses/{target}/favourite")
            if (await load.ask("favourite", favourite)).status_code == 200:
                load.favourited.add((username, target))
        if n % 4 == 0:
            await load.ask("home", client.get("/api/v1/timelines/home"))


async def sender(
    server: Outsider, inbox: str, mentions: list[str], load: Load, until: float
) -> None:
    """The remote server's deliveries: Creates of notes (every third mentions someone here)
    and Likes of the posts people here made."""
    n = 0
    while time.monotonic() < until:
        n += 1
        if n % 2 and load.post_uris:
            liked = random.choice(load.post_uris)
            activity = server.activity(MALLORY, "Like", liked)
        else:
            liked = None
            mention = mentions[n % len(mentions)] if n % 3 == 0 else None
            activity = server.create(server.note(MALLORY, f"remote {n}", mention=mention))
        if await load.deliver(server, inbox, activity) == 202:
            load.activities.add(activity["id"])
            if liked:
                load.liked.add(liked)
            else:
                load.created.add(activity["object"]["id"])


def summary(answers: list[Answer]) -> str:
    lines = []
    for what in sorted({a.what for a in answers}):
        times = sorted(a.seconds for a in answers if a.what == what)
        p50, p99 = times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))]
        lines.append(f"{what}: {len(times)} p50 {p50 * 1000:.0f} ms p99 {p99 * 1000:.0f} ms")
    return "; ".join(lines)


async def test_serve_and_worker_share_one_database_under_load(
    backend: str, databases: DatabaseFactory, tmp_path: Path, remote: Outsider
) -> None:
    env = {**ENV, **backend_env(backend, databases)}
    data = tmp_path / "node"
    web = NodeProcess(data, host=NODE_HOST, env=env, serve_options=("--no-worker",))
    settings = make_node_dir(data, env, domain=f"{NODE_HOST}:{web.port}")
    tokens = await people(settings)
    worker = WorkerProcess(data, env=env)
    db = Database(settings.effective_database_url)
    load = Load()
    try:
        worker.start()
        web.start()
        clients = {
            name: httpx.AsyncClient(
                base_url=web.url, timeout=30.0, headers={"Authorization": f"Bearer {tokens[name]}"}
            )
            for name in USERS
        }
        try:
            mentions = [f"{web.url}/users/{name}" for name in USERS]
            until = time.monotonic() + LOAD_SECONDS
            await asyncio.gather(
                *(
                    person(client, name, load, until, seed)
                    for seed, (name, client) in enumerate(clients.items())
                ),
                *(
                    sender(remote, f"{web.url}/inbox", mentions, load, until)
                    for _ in range(SENDERS)
                ),
            )
        finally:
            for client in clients.values():
                await client.aclose()
        jobs = await jobs_settled(db, within=30)
    finally:
        web.stop()
        worker.stop()
    try:
        print(f"\n[{backend}] {summary(load.answers)}; jobs {jobs}")
        failed = [a for a in load.answers if a.status >= 500]
        assert not failed, failed[:5]
        troubled = [a for a in load.answers if DATABASE_TROUBLE.search(a.text)]
        assert not troubled, troubled[:5]
        for process, log in (("serve", web.log()), ("worker", worker.log())):
            found = DATABASE_TROUBLE.search(log)
            assert not found, f"{process} log:\n{log[max(0, found.start() - 2000) :][:4000]}"
        refused = [a for a in load.answers if a.status >= 300]
        assert not refused, refused[:5]
        assert len(load.posted) > 20 and len(load.activities) > 20, summary(load.answers)
        assert set(jobs) == {"done"}, jobs

        with db.snapshot() as session:
            local = dict(
                session.execute(
                    select(Post.id, Post.source)
                    .join(Account, Account.id == Post.account_id)
                    .where(Account.domain.is_(None))
                ).all()
            )
            assert local == load.posted
            faves = session.execute(
                select(Account.username, Account.domain, Favourite.post_id, Post.uri)
                .join(Account, Account.id == Favourite.account_id)
                .join(Post, Post.id == Favourite.post_id)
            ).all()
            assert {(u, p) for u, d, p, _ in faves if d is None} == load.favourited
            assert {uri for _, d, _, uri in faves if d is not None} == load.liked
            remote_posts = set(
                session.execute(
                    select(Post.uri)
                    .join(Account, Account.id == Post.account_id)
                    .where(Account.uri == remote.actor(MALLORY))
                ).scalars()
            )
            assert remote_posts == load.created
            inbound = set(session.execute(select(InboundActivity.activity_id)).scalars())
            assert inbound == load.activities
    finally:
        db.close()
