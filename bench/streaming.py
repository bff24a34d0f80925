"""Streaming: how long a new post takes to reach 1,000 connected clients of a real
`bocage serve` (one process, SQLite), from the moment its author sends it.

Two audiences: 1,000 followers of the author each on their own `user` stream (the post is
rendered for each of them, as their home feed shows it), and 1,000 people on the
`public:local` stream (one rendering, sent to all).
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import subprocess
import time
from datetime import UTC, datetime

import aiohttp
import orjson

from bench.federation import CLI, free_port, init_node
from bench.seed import _insert
from bocage.config import Settings
from bocage.core.accounts import accounts
from bocage.core.auth import oauth
from bocage.crypto.keys import IdentityKey
from bocage.kernel.context import Context
from bocage.store import migrate
from bocage.store.db import Database
from bocage.store.models import Follow, User

LISTENERS = 1000
ROUNDS = 5


def measure_streaming(listeners: int = LISTENERS) -> dict[str, tuple[float, float]]:
    """{stream: (median, worst) seconds until the last of `listeners` clients got the post}."""
    port = free_port()
    settings = init_node(port)
    author_token, tokens = _seed(settings, listeners)
    serve = [
        *CLI, "serve", "--data", str(settings.data_dir), "--host", "127.0.0.2", "--port", str(port)
    ]  # fmt: skip
    process = subprocess.Popen(serve, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return asyncio.run(_measure(settings.base_url, author_token, tokens))
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(settings.data_dir.parent, ignore_errors=True)


def _seed(settings: Settings, listeners: int) -> tuple[str, list[str]]:
    """An author, `listeners` people who follow them, and an access token for each."""
    migrate.upgrade(settings.effective_database_url)
    ctx = Context.from_settings(settings)
    db = Database(settings.effective_database_url)
    shared = accounts.make_secrets("correct horse battery")
    try:
        with db.transaction() as session:
            app = oauth.register_app(session, "bench", [oauth.OOB], "read write", None)
            users = []
            for n in range(listeners + 1):
                name = "author" if n == 0 else f"listener{n}"
                form = accounts.Registration(name, f"{name}@example.org", "unused-pass")
                secrets = accounts.AccountSecrets(
                    IdentityKey.generate(), shared.rsa, shared.password_hash
                )
                users.append(accounts.register(session, ctx, form, secrets, bypass_mode=True))
            tokens = [oauth.token_for_new_user(session, app, user)[0] for user in users]
            author = users[0].account_id
        now = datetime.now(UTC)
        follows = [
            {"follower_id": user.account_id, "target_id": author, "accepted": True,
             "created_at": now, "uri": f"{ctx.urls.base}/follows/{user.account_id}"}
            for user in users[1:]
        ]  # fmt: skip
        _insert(db, Follow, follows)
    finally:
        db.close()
    assert all(isinstance(user, User) for user in users)
    return tokens[0], tokens[1:]


async def _measure(
    base: str, author_token: str, tokens: list[str]
) -> dict[str, tuple[float, float]]:
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as client:
        await _wait_for_server(client, base)
        results = {}
        for stream in ("user", "public/local"):
            results[stream] = await _rounds(client, base, stream, author_token, tokens)
    return results


async def _rounds(
    client: aiohttp.ClientSession, base: str, stream: str, author_token: str, tokens: list[str]
) -> tuple[float, float]:
    listeners = [_Listener(client, f"{base}/api/v1/streaming/{stream}", token) for token in tokens]
    await asyncio.gather(*(listener.connect() for listener in listeners))
    await asyncio.sleep(1.0)  # every subscription registered
    reached = []
    try:
        for n in range(ROUNDS):
            for listener in listeners:
                listener.arrived.clear()
            started = time.perf_counter()
            post_id = await _post(client, base, author_token, f"Streamed post {n}")
            await asyncio.wait_for(
                asyncio.gather(*(listener.wait_for(post_id) for listener in listeners)), 30
            )
            reached.append(time.perf_counter() - started)
            await asyncio.sleep(0.5)
    finally:
        for listener in listeners:
            listener.close()
    return statistics.median(reached), max(reached)


async def _post(client: aiohttp.ClientSession, base: str, token: str, text: str) -> str:
    headers = {"Authorization": f"Bearer {token}"}
    async with client.post(f"{base}/api/v1/statuses", data={"status": text}, headers=headers) as r:
        assert r.status == 200, await r.text()
        return str((await r.json())["id"])


class _Listener:
    """One SSE client: keeps the ids of the statuses it has been sent."""

    def __init__(self, client: aiohttp.ClientSession, url: str, token: str) -> None:
        self.client, self.url, self.token = client, url, token
        self.arrived: set[str] = set()
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def connect(self) -> None:
        self._task = asyncio.create_task(self._read())
        await asyncio.wait_for(self._ready.wait(), 60)

    async def _read(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with self.client.get(self.url, headers=headers, timeout=None) as response:
            assert response.status == 200, await response.text()
            event = ""
            async for raw in response.content:
                self._ready.set()
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == "update":
                    self.arrived.add(str(orjson.loads(line[6:])["id"]))
                    self._changed.set()

    async def wait_for(self, post_id: str) -> None:
        while post_id not in self.arrived:
            self._changed.clear()
            await self._changed.wait()

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()


async def _wait_for_server(client: aiohttp.ClientSession, base: str) -> None:
    for _ in range(400):
        try:
            async with client.get(f"{base}/api/v1/instance") as answer:
                if answer.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.05)
    raise TimeoutError("the node did not answer")


if __name__ == "__main__":
    for name, (median, worst) in measure_streaming().items():
        print(f"{name}: median {median * 1000:.0f} ms, worst {worst * 1000:.0f} ms")
