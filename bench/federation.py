"""Federation figures: inbox acceptance (verify + durable store) of a real `bocage serve` on
one core, and delivery of one post to 10,000 remote followers through a local sink."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from bench.sink import host_address
from bocage.config import Settings, load_settings
from bocage.core.accounts import accounts
from bocage.core.inbound import remote
from bocage.core.posts import posts
from bocage.crypto import httpsig
from bocage.crypto.keys import IdentityKey
from bocage.kernel.context import Context
from bocage.kernel.ids import new_id
from bocage.node import Node
from bocage.store import migrate
from bocage.store.db import Database
from bocage.store.models import Account, Follow, RemoteActor

INBOX_ACTIVITIES = int(os.environ.get("BENCH_INBOX", "6000"))
INBOX_CLIENTS = 32
FOLLOWERS = 10_000
SERVERS = 500
CLI = [sys.executable, "-m", "bocage.cli"]


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


# --- inbox -----------------------------------------------------------------------------------


def init_node(port: int) -> Settings:
    """`bocage init` of a fresh data directory for a node on 127.0.0.2:`port`; its settings
    as its `bocage serve` reads them (the keys seeded here are sealed with its secret)."""
    data = Path(tempfile.mkdtemp(prefix="bocage-bench-")) / "data"
    domain = f"127.0.0.2:{port}"
    subprocess.run(
        [*CLI, "init", "--data", str(data), "--domain", domain, "--insecure-loopback"],
        check=True,
        capture_output=True,
    )
    return load_settings(data)


def measure_inbox(port: int) -> tuple[float, float]:
    """(accepted per second, p99 ms) for signed Likes posted by 32 concurrent clients to a
    `bocage serve --no-worker` pinned to one core: signature check and durable store only."""
    settings = init_node(port)
    data = settings.data_dir
    migrate.upgrade(settings.effective_database_url)
    secrets = accounts.make_secrets("correct horse battery")
    sender = "http://127.0.0.9:9/users/sender"
    db = Database(settings.effective_database_url)
    with db.transaction() as session:
        form = accounts.Registration("alice", "alice@example.org", "correct horse battery")
        ctx = Context.from_settings(settings)
        accounts.register(session, ctx, form, secrets, bypass_mode=True)
        remote.upsert_actor(
            session,
            remote.ActorProfile(
                uri=sender,
                username="sender",
                domain="127.0.0.9:9",
                inbox=f"{sender}/inbox",
                key_id=f"{sender}#main-key",
                public_key_pem=secrets.rsa.public_pem,
            ),
        )
    db.close()
    bodies = _signed_likes(settings.base_url, sender, secrets.rsa.private_pem)
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    serve = [*CLI, "serve", "--data", str(data), "--host", "127.0.0.2", "--port", str(port)]
    process = subprocess.Popen(
        [*pin, *serve, "--no-worker"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    # The senders run on the other core(s): the server's core is the one being measured.
    affinity = os.sched_getaffinity(0)
    if pin and len(affinity) > 1:
        os.sched_setaffinity(0, affinity - {0})
    try:
        return asyncio.run(_post_all(settings.base_url, bodies))
    finally:
        os.sched_setaffinity(0, affinity)
        process.terminate()
        process.wait(timeout=20)
        shutil.rmtree(data.parent, ignore_errors=True)


def _signed_likes(base: str, sender: str, private_pem: str) -> list[tuple[bytes, dict[str, str]]]:
    key = httpsig.load_private_key(private_pem)
    signed = []
    for n in range(INBOX_ACTIVITIES):
        body = orjson.dumps(
            {
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": f"{sender}/likes/{n}",
                "type": "Like",
                "actor": sender,
                "object": f"{base}/users/alice/statuses/1",
            }
        )
        request = httpsig.Request("POST", f"{base}/inbox", {}, body)
        headers = httpsig.sign(request, f"{sender}#main-key", key, scheme="cavage")
        signed.append((body, {**headers, "Content-Type": "application/activity+json"}))
    return signed


async def wait_until_serving(client: aiohttp.ClientSession, base: str, tries: int = 200) -> None:
    """Until the node at `base` answers its about page (a started `bocage serve`)."""
    for _ in range(tries):
        try:
            async with client.get(f"{base}/about") as answer:
                if answer.status == 200:
                    return
        except aiohttp.ClientError:
            await asyncio.sleep(0.05)


async def _post_all(base: str, bodies: list[tuple[bytes, dict[str, str]]]) -> tuple[float, float]:
    async with aiohttp.ClientSession() as client:
        await wait_until_serving(client, base)
        latencies: list[float] = []
        queue = list(reversed(bodies))

        async def client_loop() -> None:
            while queue:
                body, headers = queue.pop()
                started = time.perf_counter()
                async with client.post(f"{base}/inbox", data=body, headers=headers) as answer:
                    assert answer.status == 202, (answer.status, await answer.text())
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(client_loop() for _ in range(INBOX_CLIENTS)))
        elapsed = time.perf_counter() - started
    return len(bodies) / elapsed, percentile(latencies, 0.99) * 1000


# --- delivery --------------------------------------------------------------------------------


def measure_delivery(shared: bool) -> tuple[float, int]:
    """(seconds, requests) to deliver one post to 10,000 followers on 500 servers: through
    their 500 shared inboxes, or (shared=False) to 10,000 personal inboxes."""
    port = free_port()
    sink = subprocess.Popen(
        [sys.executable, "-m", "bench.sink", str(SERVERS), str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sink.stdout and sink.stdin
    assert sink.stdout.readline().strip() == "ready"
    workdir = Path(tempfile.mkdtemp(prefix="bocage-bench-"))
    try:
        return asyncio.run(_deliver(workdir, port, shared, sink))
    finally:
        sink.terminate()
        sink.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def _count(sink: subprocess.Popen[str]) -> int:
    assert sink.stdin and sink.stdout
    sink.stdin.write("\n")
    sink.stdin.flush()
    return int(sink.stdout.readline())


async def _deliver(
    workdir: Path, port: int, shared: bool, sink: subprocess.Popen[str]
) -> tuple[float, int]:
    settings = Settings(
        data_dir=workdir, domain="127.0.0.2:8000", secret_key="x", insecure_loopback=True,
        job_poll_seconds=0.05,
    )  # fmt: skip
    node = Node(settings)
    await node.start()
    try:
        author = await node.db.write(_seed_followers, node, port, shared)
        started = time.perf_counter()
        await node.db.write(posts.publish, node.ctx, author, posts.PostDraft("Hello, everyone"))
        expected = SERVERS if shared else FOLLOWERS
        deadline = time.monotonic() + 120
        while _count(sink) < expected and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.02)  # the sink is another process: polling is the way
        elapsed = time.perf_counter() - started
        await asyncio.sleep(0.5)  # any extra request would show now
        return elapsed, _count(sink)
    finally:
        await node.stop()


def _seed_followers(session: Any, node: Node, port: int, shared: bool) -> Account:
    secrets = accounts.make_secrets("correct horse battery")
    form = accounts.Registration("author", "author@example.org", "correct horse battery")
    user = accounts.register(
        session, node.ctx, form, accounts.AccountSecrets(IdentityKey.generate(), secrets.rsa,
        secrets.password_hash), bypass_mode=True,
    )  # fmt: skip
    moment = datetime.now(UTC)
    people, actors, follows = [], [], []
    for n in range(FOLLOWERS):
        host = f"{host_address(n % SERVERS)}:{port}"
        account_id = new_id()
        uri = f"http://{host}/users/f{n}"
        people.append(
            {"id": account_id, "username": f"f{n}", "domain": host, "uri": uri,
             "created_at": moment, "fields": []}
        )  # fmt: skip
        actors.append(
            {"account_id": account_id, "inbox": f"{uri}/inbox", "fetched_at": moment,
             "shared_inbox": f"http://{host}/inbox" if shared else None}
        )  # fmt: skip
        follows.append(
            {"follower_id": account_id, "target_id": user.account_id, "accepted": True,
             "created_at": moment, "uri": f"{uri}/follow"}
        )  # fmt: skip
    session.bulk_insert_mappings(Account, people)
    session.bulk_insert_mappings(RemoteActor, actors)
    session.bulk_insert_mappings(Follow, follows)
    author = session.get(Account, user.account_id)
    assert author is not None
    return author


def free_port(host: str = "127.0.0.2") -> int:
    """A port nothing listens on at `host` now (every bench asks here)."""
    import socket

    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
