"""The Mastodon client API over HTTP, against a real `bocage serve` (one process, SQLite)
holding the benchmark's posts: home timeline pages and status creation, as apps call them."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time

import aiohttp

from bench import seed
from bench.federation import CLI, free_port, init_node, percentile
from bocage.config import Settings
from bocage.core.accounts import accounts
from bocage.core.auth import oauth
from bocage.kernel.context import Context
from bocage.store import migrate
from bocage.store.db import Database

CLIENTS = 16
TIMELINE_REQUESTS = 4000
POST_REQUESTS = 2000
WARM_UP = 200


def measure_api(posts: int, authors: int, following: int) -> tuple[float, float, float]:
    """(home timeline pages/s, their p99 in ms, statuses created/s), 16 clients at once."""
    port = free_port()
    settings = init_node(port)
    data = settings.data_dir
    token = _seed(settings, posts, authors, following)
    serve = [*CLI, "serve", "--data", str(data), "--host", "127.0.0.2", "--port", str(port)]
    # One token makes thousands of requests here: Mastodon's 300 per 5 minutes would stop it.
    unlimited = {**os.environ, "BOCAGE_API_REQUESTS_PER_WINDOW": "0"}
    process = subprocess.Popen(
        serve, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=unlimited
    )
    try:
        return asyncio.run(_load(settings.base_url, token))
    finally:
        process.terminate()
        process.wait(timeout=20)
        shutil.rmtree(data.parent, ignore_errors=True)


def _seed(settings: Settings, posts: int, authors: int, following: int) -> str:
    migrate.upgrade(settings.effective_database_url)
    ctx = Context.from_settings(settings)
    db = Database(settings.effective_database_url)
    try:
        author_ids = seed.seed_authors(db, authors, ctx.urls.base)
        seed.seed_posts(db, author_ids, posts, ctx.urls.base)
        seed.seed_reader(db, ctx, author_ids, following)
        with db.transaction() as session:  # fresh planner statistics, as the other benches
            session.connection().exec_driver_sql("ANALYZE")
        with db.transaction() as session:
            app = oauth.register_app(session, "bench", [oauth.OOB], "read write", None)
            reader = accounts.password_holder(session, "reader@example.org")
            assert reader is not None
            token, _row = oauth.password_grant(session, app, reader[0], "read write")
    finally:
        db.close()
    return token


async def _load(base: str, token: str) -> tuple[float, float, float]:
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers) as client:
        for _ in range(200):  # wait for the server
            try:
                async with client.get(f"{base}/api/v1/instance") as answer:
                    if answer.status == 200:
                        break
            except aiohttp.ClientError:
                await asyncio.sleep(0.05)
        home = f"{base}/api/v1/timelines/home?limit=40"
        statuses, form = f"{base}/api/v1/statuses", {"status": "From the bench"}
        # Steady state is measured, as a running node serves: the first requests after a
        # start fill its caches (token, rendered statuses, SQLite's pages) and are not timed.
        await _run(client, "GET", home, None, WARM_UP)
        pages, latencies = await _run(client, "GET", home, None, TIMELINE_REQUESTS)
        await _run(client, "POST", statuses, form, WARM_UP)
        created, _ = await _run(client, "POST", statuses, form, POST_REQUESTS)
    return pages, percentile(latencies, 0.99) * 1000, created


async def _run(
    client: aiohttp.ClientSession, method: str, url: str, form: dict[str, str] | None, total: int
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    left = [total]

    async def one_client() -> None:
        while left[0] > 0:
            left[0] -= 1
            started = time.perf_counter()
            async with client.request(method, url, data=form) as answer:
                await answer.read()
                assert answer.status == 200, (answer.status, await answer.text())
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(CLIENTS)))
    return total / (time.perf_counter() - started), latencies
