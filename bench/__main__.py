"""`make bench`: this machine's figures for the node's performance targets.

Sizes can be lowered for a quick look: BENCH_POSTS, BENCH_AUTHORS, BENCH_FOLLOWING.
PostgreSQL is measured when a server answers on 127.0.0.1:5432.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
from rich.console import Console
from rich.table import Table

from bench import burst, federation, mastodon_api, media, media_serving, p2p, seed, streaming
from bocage.config import Settings
from bocage.core.posts import posts
from bocage.core.timelines import timelines
from bocage.kernel.context import Context
from bocage.store import migrate
from bocage.store.db import Database

# Benchmarked nodes (processes inherit this) stay off the LAN: no mDNS beyond loopback.
os.environ["BOCAGE_LAN_DISCOVERY"] = "0"
POSTS = int(os.environ.get("BENCH_POSTS", "1000000"))
AUTHORS = int(os.environ.get("BENCH_AUTHORS", "20000"))
FOLLOWING = int(os.environ.get("BENCH_FOLLOWING", "500"))
TIMELINE_SAMPLES = 2000
POST_SAMPLES = 3000
CLIENTS = 64
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
console = Console()


@dataclass
class Row:
    name: str
    target: str
    values: dict[str, str]


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def settle(db: Database) -> None:
    """Fresh planner statistics; on PostgreSQL also the vacuum that autovacuum would soon run
    on a freshly loaded table (so that it does not run in the middle of a measurement)."""
    if db.dialect == "sqlite":
        with db.transaction() as session:
            session.connection().exec_driver_sql("ANALYZE")
        return
    with db.write_engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")


def measure_timeline(db: Database, reader_id: int) -> tuple[float, float]:
    """p50 and p99 (ms) of a 40-post home timeline page, first pages and deeper pages."""
    reader = db_account(db, reader_id)

    async def run() -> list[float]:
        samples = []
        first = await db.read(timelines.home, reader, timelines.Page(limit=40))
        max_ids = [None, first[-1].post.id if first else None]
        for n in range(TIMELINE_SAMPLES):
            page = timelines.Page(max_id=max_ids[n % 2], limit=40)
            started = time.perf_counter()
            views = await db.read(timelines.home, reader, page)
            samples.append((time.perf_counter() - started) * 1000)
            assert len(views) == 40, f"expected a full page, got {len(views)}"
        return samples

    samples = asyncio.run(run())
    return statistics.median(samples), percentile(samples, 0.99)


def db_account(db: Database, account_id: int):  # type: ignore[no-untyped-def]
    from bocage.store.models import Account

    with db.snapshot() as session:
        return session.get(Account, account_id)


def measure_post_creation(db: Database, ctx: Context, author_ids: list[int], clients: int) -> float:
    """Posts per second with `clients` writers at once, each writing as one of `author_ids`
    (round robin): validate, render, sign, store, log, enqueue, commit. One client measures
    latency-bound throughput; many clients let the SQLite writer commit queued posts
    together (store/db.py, group commit). One author's posts serialize on its log head."""
    authors = [db_account(db, account_id) for account_id in author_ids]

    async def client(first: int) -> None:
        author = authors[first % len(authors)]
        for n in range(first, POST_SAMPLES, clients):
            draft = posts.PostDraft(
                f"Benchmark post {n} about #gardening, see https://example.org/{n}"
            )
            await db.write(posts.publish, ctx, author, draft)

    async def run() -> float:
        started = time.perf_counter()
        await asyncio.gather(*(client(first) for first in range(clients)))
        return POST_SAMPLES / (time.perf_counter() - started)

    return asyncio.run(run())


def measure_database(label: str, url: str, rows: list[Row]) -> None:
    console.print(
        f"[bold]{label}[/]: migrating and seeding {POSTS:,} posts by {AUTHORS:,} authors…"
    )
    migrate.upgrade(url)
    settings = Settings(domain="bench.example", secret_key="bench", database_url=url)
    ctx = Context.from_settings(settings)
    db = Database(url)
    try:
        started = time.perf_counter()
        authors = seed.seed_authors(db, AUTHORS, ctx.urls.base)
        seed.seed_posts(db, authors, POSTS, ctx.urls.base)
        reader = seed.seed_reader(db, ctx, authors, FOLLOWING)
        settle(db)
        console.print(f"  seeded in {time.perf_counter() - started:.0f} s")
        p50, p99 = measure_timeline(db, reader.id)
        alone = measure_post_creation(db, ctx, [reader.id], clients=1)
        together = measure_post_creation(db, ctx, [reader.id], clients=CLIENTS)
        writers = seed.seed_writers(db, ctx, CLIENTS)
        many = measure_post_creation(db, ctx, writers, clients=CLIENTS)
    finally:
        db.close()
    record(rows, "home timeline page (40 posts), p50", "", label, f"{p50:.2f} ms")
    record(rows, "home timeline page (40 posts), p99", "< 5 ms", label, f"{p99:.2f} ms")
    record(rows, "post creation, 1 client (sign+store+log+enqueue)", "", label, f"{alone:,.0f}/s")
    record(
        rows,
        f"post creation, {CLIENTS} clients at once, one author",
        "≥ 1,000/s",
        label,
        f"{together:,.0f}/s",
    )
    record(
        rows, f"post creation, {CLIENTS} clients, {CLIENTS} authors", "", label, f"{many:,.0f}/s"
    )


def record(rows: list[Row], name: str, target: str, column: str, value: str) -> None:
    for row in rows:
        if row.name == name:
            row.values[column] = value
            return
    rows.append(Row(name, target, {column: value}))


def measure_process(rows: list[Row]) -> None:
    """Start-up time and idle memory of a real `bocage serve`."""
    data = Path(tempfile.mkdtemp(prefix="bocage-bench-")) / "data"
    port = federation.free_port("127.0.0.1")
    cli = [sys.executable, "-m", "bocage.cli"]
    domain = f"127.0.0.1:{port}"
    subprocess.run(
        [*cli, "init", "--data", str(data), "--domain", domain], check=True, capture_output=True
    )
    started = time.perf_counter()
    process = subprocess.Popen(
        [*cli, "serve", "--data", str(data), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: httpx.get(f"http://{domain}/about", timeout=1).status_code == 200)
        startup = time.perf_counter() - started
        time.sleep(3)
        rss = resident_mb(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=20)
        shutil.rmtree(data.parent, ignore_errors=True)
    record(
        rows, "start-up of `bocage serve` (to first page)", "< 2 s", "process", f"{startup:.2f} s"
    )
    record(rows, "idle resident memory of `bocage serve`", "< 100 MB", "process", f"{rss:.0f} MB")


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_until(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.02)
    raise TimeoutError("the node did not answer")


def postgres_url() -> str | None:
    try:
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=2) as connection:
            connection.execute("DROP DATABASE IF EXISTS bocage_bench WITH (FORCE)")
            connection.execute("CREATE DATABASE bocage_bench")
    except psycopg.Error:
        return None
    return "postgresql+psycopg://postgres@127.0.0.1:5432/bocage_bench"


def main() -> None:
    rows: list[Row] = []
    measure_process(rows)
    workdir = Path(tempfile.mkdtemp(prefix="bocage-bench-"))
    try:
        measure_database("SQLite", f"sqlite:///{workdir / 'bench.db'}", rows)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if url := postgres_url():
        measure_database("PostgreSQL", url, rows)
    else:
        console.print("PostgreSQL not reachable on 127.0.0.1:5432: skipped")
    measure_federation(rows)
    measure_burst(rows)
    measure_mastodon_api(rows)
    measure_media_serving(rows)
    measure_streaming(rows)
    measure_p2p(rows)
    measure_media(rows)
    show(rows)


def measure_mastodon_api(rows: list[Row]) -> None:
    console.print(f"[bold]Mastodon API[/]: a node with {POSTS:,} posts, over HTTP…")
    pages, p99, created = mastodon_api.measure_api(POSTS, AUTHORS, FOLLOWING)
    label = "SQLite"
    record(rows, "API: GET /api/v1/timelines/home?limit=40, 16 clients", "≥ 500/s", label,
           f"{pages:,.0f}/s")  # fmt: skip
    record(rows, "API: home timeline p99, 16 clients", "< 50 ms", label, f"{p99:.1f} ms")
    record(rows, "API: POST /api/v1/statuses, 16 clients", "≥ 300/s", label, f"{created:,.0f}/s")


def measure_media_serving(rows: list[Row]) -> None:
    connections = media_serving.CONNECTIONS
    console.print(f"[bold]Media[/]: a cached preview, {connections} connections…")
    rate, p99, size = media_serving.measure_media()
    record(rows, f"GET /media: cached preview ({size // 1024} KiB), {connections} "
           "connections", "≥ 2,000/s", "SQLite", f"{rate:,.0f}/s, p99 {p99:.1f} ms")  # fmt: skip


def measure_streaming(rows: list[Row]) -> None:
    console.print(f"[bold]Streaming[/]: {streaming.LISTENERS:,} clients connected over SSE…")
    for stream, (median, worst) in streaming.measure_streaming().items():
        record(
            rows, f"API: new post to {streaming.LISTENERS:,} `{stream}` streams (median, worst)",
            "< 1 s", "SQLite", f"{median * 1000:.0f} ms, {worst * 1000:.0f} ms",
        )  # fmt: skip


def measure_p2p(rows: list[Row]) -> None:
    console.print(f"[bold]Peer replication[/]: two nodes, {p2p.ENTRIES:,} entries to catch up…")
    for name, target, value in p2p.report(p2p.measure_p2p()):
        record(rows, name, target, "SQLite", value)


def measure_media(rows: list[Row]) -> None:
    console.print("[bold]Media[/]: a 12-MP photo uploaded, a 50-MP one processed…")
    for name, target, value in media.report():
        record(rows, name, target, "process", value)


def measure_federation(rows: list[Row]) -> None:
    """Inbox acceptance and delivery fan-out, on the default SQLite setup."""
    accepted, p99 = federation.measure_inbox(federation.free_port())
    record(
        rows, "inbox: signed activities accepted, 1 core", ">= 2,000/s", "SQLite",
        f"{accepted:,.0f}/s",
    )  # fmt: skip
    record(rows, "inbox: p99 at 32 concurrent senders", "< 50 ms", "SQLite", f"{p99:.1f} ms")
    seconds, requests = federation.measure_delivery(shared=True)
    record(
        rows, "deliver to 10k followers, 500 shared inboxes", "< 3 s, 500 req", "SQLite",
        f"{seconds:.2f} s, {requests} req",
    )  # fmt: skip
    seconds, requests = federation.measure_delivery(shared=False)
    record(
        rows, "deliver to 10k followers, 10k inboxes", "< 30 s", "SQLite",
        f"{seconds:.2f} s, {requests} req",
    )  # fmt: skip


def measure_burst(rows: list[Row]) -> None:
    console.print(f"[bold]Burst[/]: {burst.POSTS:,} Creates published within one second…")
    for name, target, value in burst.report(burst.measure_burst()):
        record(rows, name, target, "SQLite", value)


def show(rows: list[Row]) -> None:
    columns = ["process", "SQLite", "PostgreSQL"]
    table = Table(
        title=f"Bocage on {os.cpu_count()} cores — {POSTS:,} posts, {AUTHORS:,} "
        f"authors, reader follows {FOLLOWING}"
    )
    table.add_column("measure")
    table.add_column("target")
    for column in columns:
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(row.name, row.target, *(row.values.get(c, "") for c in columns))
    console.print(table)


if __name__ == "__main__":
    main()
