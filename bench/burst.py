"""Nothing accepted is lost, at scale: a remote server sends 10,000 signed Creates, all
published within one second (Mastodon's `published` has whole seconds), plus second Creates
of some of them under other activity ids, to a real `bocage serve` (web and worker in one
process, SQLite). Measured: how fast they are accepted (202), how fast they are applied, and
the accounting once the worker is idle: applied + refused (each with its reason) = accepted,
and every new post on the node. Before ids were made per millisecond with a counter, posts
of one second collided and about 750 of 10,000 vanished while their jobs said "done"."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import aiohttp
import orjson

from bench.federation import CLI, free_port, init_node, wait_until_serving
from bocage.core.accounts import accounts
from bocage.core.inbound import remote
from bocage.crypto import httpsig
from bocage.store import migrate
from bocage.store.db import Database

POSTS = int(os.environ.get("BENCH_BURST", "10000"))
AGAIN_EVERY = 20  # one Create in 20 is sent a second time under another activity id
SENDERS = 32
PUBLISHED = "2026-12-01T10:00:00Z"
HOST = "127.0.0.2"
SENDER = "http://127.0.0.9:9/users/sender"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def measure_burst() -> dict[str, float | int]:
    port = free_port()
    settings = init_node(port)
    migrate.upgrade(settings.effective_database_url)
    secrets = accounts.make_secrets("correct horse battery")
    db = Database(settings.effective_database_url)
    with db.transaction() as session:
        remote.upsert_actor(session, remote.ActorProfile(
            uri=SENDER, username="sender", domain="127.0.0.9:9", inbox=f"{SENDER}/inbox",
            key_id=f"{SENDER}#main-key", public_key_pem=secrets.rsa.public_pem,
            followers_url=f"{SENDER}/followers",
        ))  # fmt: skip
    db.close()
    bodies = _signed_creates(settings.base_url, secrets.rsa.private_pem)
    serve = [*CLI, "serve", "--data", str(settings.data_dir), "--host", HOST, "--port", str(port)]
    process = subprocess.Popen(serve, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        started = time.perf_counter()
        accepted, accept_seconds = asyncio.run(_post_all(settings.base_url, bodies))
        applied, refused, pending = _wait_for_verdicts(settings.data_dir / "bocage.db")
        total_seconds = time.perf_counter() - started
        posts = _posts(settings.data_dir / "bocage.db")
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(settings.data_dir.parent, ignore_errors=True)
    return {
        "sent": len(bodies), "accepted": accepted, "applied": applied, "refused": refused,
        "pending": pending, "posts": posts, "expected_posts": POSTS,
        "accepted_per_s": accepted / accept_seconds, "applied_per_s": len(bodies) / total_seconds,
    }  # fmt: skip


def _signed_creates(base: str, private_pem: str) -> list[tuple[bytes, dict[str, str]]]:
    key = httpsig.load_private_key(private_pem)
    activities = []
    for n in range(POSTS):
        activities.append(_create(n))
        if n % AGAIN_EVERY == 0:
            activities.append(_create(n, again=True))
    signed = []
    for activity in activities:
        body = orjson.dumps(activity)
        request = httpsig.Request("POST", f"{base}/inbox", {}, body)
        headers = httpsig.sign(request, f"{SENDER}#main-key", key, scheme="cavage")
        signed.append((body, {**headers, "Content-Type": "application/activity+json"}))
    return signed


def _create(n: int, *, again: bool = False) -> dict[str, object]:
    uri = f"{SENDER}/statuses/{n}"
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{uri}/activity{'#again' if again else ''}", "type": "Create", "actor": SENDER,
        "published": PUBLISHED, "to": [PUBLIC],
        "object": {"id": uri, "type": "Note", "attributedTo": SENDER, "to": [PUBLIC],
                   "content": f"<p>post {n}</p>", "published": PUBLISHED},
    }  # fmt: skip


async def _post_all(base: str, bodies: list[tuple[bytes, dict[str, str]]]) -> tuple[int, float]:
    async with aiohttp.ClientSession() as client:
        await wait_until_serving(client, base, tries=400)
        queue = list(reversed(bodies))
        accepted = 0

        async def sender() -> None:
            nonlocal accepted
            while queue:
                body, headers = queue.pop()
                async with client.post(f"{base}/inbox", data=body, headers=headers) as answer:
                    accepted += answer.status == 202

        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(SENDERS)))
        return accepted, time.perf_counter() - started


def _wait_for_verdicts(path: Path, limit: float = 900.0) -> tuple[int, int, int]:
    """(applied, refused, still without a verdict) once nothing has changed for 3 s."""
    deadline, last, still_since = time.monotonic() + limit, None, time.monotonic()
    while time.monotonic() < deadline:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            counts = dict(db.execute(
                "SELECT coalesce(outcome, 'none'), count(*) FROM inbound_activities GROUP BY 1"
            ).fetchall())  # fmt: skip
        now = (counts.get("applied", 0), counts.get("refused", 0), counts.get("none", 0))
        if now != last:
            last, still_since = now, time.monotonic()
        elif now[2] == 0 or time.monotonic() - still_since > 3:
            return now
        time.sleep(0.5)
    assert last is not None
    return last


def _posts(path: Path) -> int:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return int(db.execute("SELECT count(*) FROM posts").fetchone()[0])


def report(figures: dict[str, float | int]) -> list[tuple[str, str, str]]:
    lost = figures["accepted"] - figures["applied"] - figures["refused"] - figures["pending"]
    return [
        (f"burst: {POSTS:,} Creates published in 1 s (+1 in {AGAIN_EVERY} twice), accepted",
         "all 202", f"{figures['accepted']:,} of {figures['sent']:,}"),
        ("burst: applied + refused (with reason) = accepted", "0 lost",
         f"{figures['applied']:,} + {figures['refused']:,} = {figures['accepted']:,}"
         f" ({lost} lost, {figures['pending']} pending)"),
        ("burst: new posts on the node", f"{POSTS:,}", f"{figures['posts']:,}"),
        ("burst: accepted per second (32 senders)", "", f"{figures['accepted_per_s']:,.0f}/s"),
        ("burst: accepted and applied per second", "", f"{figures['applied_per_s']:,.0f}/s"),
    ]  # fmt: skip


if __name__ == "__main__":
    for row in report(measure_burst()):
        print(" | ".join(row))
