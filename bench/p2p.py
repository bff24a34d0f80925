"""Peer replication between two real `bocage serve` processes (SQLite), each on its own
loopback address: how soon a new entry reaches a peer subscribed live, and how fast a node
that was offline catches up with an author's log (docs/protocol.md, sections 3, 4 and 6).

Alice is on node A, Bob on node B. Bob follows her through the Mastodon API (search with
`resolve`, then follow); once the follow is accepted, B's serve process syncs her log and
stays subscribed to it over A's live WebSocket (the `replica.wanted` event, then
`live_links.follow`). Then:

1. **Live**: alice posts through A's API, one post at a time; timed from A's answer to the
   moment B's database holds the new entry (`accounts.log_seq`, polled read-only).
2. **Catch-up**: B goes offline; alice's log grows by N entries, real posts written by the
   core on A's data directory while A is stopped (`posts.publish`: signed as the API signs
   them). Both come back as `serve --no-worker`, so that the `bocage sync` run on B is the
   only thing at work: B's serve neither syncs by itself nor applies jobs, and A's queued
   deliveries of those posts to Bob stay queued (they would race the sync to B's inbox).
   The whole `bocage sync` run is timed (start-up, clock exchange, log pages fetched, every
   entry verified and stored, then what arrived applied: posts, home feeds), and the moment
   its last entry was committed.

Sizes: BENCH_P2P_ENTRIES (default 5,000) entries to catch up, BENCH_P2P_LIVE (50) posts.
Run alone: `python -m bench.p2p`.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.federation import free_port
from bocage.config import Settings, load_settings, write_config_file
from bocage.core.accounts import accounts
from bocage.core.auth import oauth
from bocage.core.posts import posts
from bocage.kernel.context import Context
from bocage.store import migrate
from bocage.store.db import Database
from bocage.store.models import Account

ENTRIES = int(os.environ.get("BENCH_P2P_ENTRIES", "5000"))
LIVE_POSTS = int(os.environ.get("BENCH_P2P_LIVE", "50"))
WARM_UP_POSTS = 3  # the first of them waits for B's live subscription
HOSTS = ("127.0.0.41", "127.0.0.42")  # clear of the other benches' and the tests' addresses
CLI = [sys.executable, "-m", "bocage.cli"]
PASSWORD = "correct horse battery"
FILL_BATCH = 250  # posts per transaction while filling a log
POLL_SECONDS = 0.002  # how often B's database is looked at
NODE_ENV = {
    "BOCAGE_LAN_DISCOVERY": "0",  # never on the LAN: loopback only
    "BOCAGE_INSECURE_LOOPBACK": "1",
    "BOCAGE_JOB_POLL_SECONDS": "0.05",
    # Syncs happen when the bench makes them (start, accepted follow, `bocage sync`), not
    # on a timer in the middle of a measurement.
    "BOCAGE_SYNC_INTERVAL_SECONDS": "3600",
}


@dataclass
class Figures:
    entries: int = 0  # caught up by `bocage sync`
    sync_seconds: float = 0.0  # the whole `bocage sync` run
    stored_seconds: float = 0.0  # its start → its last entry committed
    live: list[float] = field(default_factory=list)  # seconds, one per post

    @property
    def sync_rate(self) -> float:
        return self.entries / self.sync_seconds

    @property
    def stored_rate(self) -> float:
        return self.entries / self.stored_seconds

    def live_ms(self, fraction: float) -> float:
        ordered = sorted(self.live)
        return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000


def measure_p2p(entries: int = ENTRIES, live_posts: int = LIVE_POSTS) -> Figures:
    """`live_posts` live entries, then a catch-up of `entries` entries (see above)."""
    root = Path(tempfile.mkdtemp(prefix="bocage-bench-p2p-"))
    home, reader = _Node(root, HOSTS[0], "alice"), _Node(root, HOSTS[1], "bob")
    figures = Figures()
    try:
        for node in (home, reader):
            node.prepare()
        _start(home, reader)
        with _Client(home) as alice, _Client(reader) as bob:
            _follow(bob, reader, home)
            figures.live = _live(alice, reader, home, live_posts)
        reader.wait_idle()  # nothing of the live phase left for `bocage sync` to apply
        reader.stop()  # Bob's node goes offline; alice writes on
        home.stop()
        home.fill(entries)
        _start(home, reader, worker=False)
        figures.entries, figures.sync_seconds, figures.stored_seconds = _sync(reader, home)
        _check_whole(reader, home)
    except Exception as failed:
        for node in (home, reader):
            failed.add_note(f"--- {node.url} ---\n{node.log_tail()}")
        raise
    finally:
        for node in (reader, home):
            node.stop()
        shutil.rmtree(root, ignore_errors=True)
    return figures


# --- nodes ---------------------------------------------------------------------------------


class _Node:
    """A data directory with one user and its API token, and the `bocage serve` on it."""

    def __init__(self, root: Path, host: str, username: str) -> None:
        self.host, self.username = host, username
        self.port = free_port(host)
        self.data = root / host
        self.log_path = root / f"{host}-serve.log"
        self.env = {**os.environ, **NODE_ENV}
        self.process: subprocess.Popen[bytes] | None = None
        self.token = ""
        self.did = ""

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def database(self) -> Path:
        return self.data / "bocage.db"

    def settings(self) -> Settings:
        return load_settings(self.data)

    def prepare(self) -> None:
        """`bocage init`, the user and a token, in this process (no start-up to wait for)."""
        write_config_file(self.data, f"{self.host}:{self.port}", insecure_loopback=True)
        settings = self.settings()
        migrate.upgrade(settings.effective_database_url)
        ctx = Context.from_settings(settings)
        form = accounts.Registration(self.username, f"{self.username}@example.org", PASSWORD)
        secrets = accounts.make_secrets(PASSWORD)
        db = Database(settings.effective_database_url)
        try:
            with db.transaction() as session:
                user = accounts.register(session, ctx, form, secrets, bypass_mode=True)
                app = oauth.register_app(session, "bench", [oauth.OOB], "read write follow", None)
                self.token, _row = oauth.token_for_new_user(session, app, user)
                account = session.get(Account, user.account_id)
                assert account is not None and account.did
                self.did = account.did
        finally:
            db.close()

    def fill(self, count: int) -> None:
        """`count` posts by the user, each a signed entry of their log, written by the core
        (`posts.publish`, as the API does) on the data directory of the stopped node."""
        assert self.process is None or self.process.poll() is not None
        settings = self.settings()
        ctx = Context.from_settings(settings)
        db = Database(settings.effective_database_url)
        try:
            for offset in range(0, count, FILL_BATCH):
                with db.transaction() as session:
                    author = accounts.by_username(session, self.username)
                    for n in range(offset, min(count, offset + FILL_BATCH)):
                        text = f"Entry {n} of the log, about #gardening: https://example.org/{n}"
                        posts.publish(session, ctx, author, posts.PostDraft(text))
        finally:
            db.close()

    def start(self, worker: bool = True) -> None:
        serve = [*CLI, "serve", "--data", str(self.data), "--host", self.host,
                 "--port", str(self.port), *([] if worker else ["--no-worker"])]  # fmt: skip
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                serve, stdout=log, stderr=subprocess.STDOUT, env=self.env, start_new_session=True
            )

        def answers() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"bocage serve on {self.url} exited early")
            try:
                return httpx.get(f"{self.url}/about", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        _wait(answers, 60, f"{self.url} to answer")

    def wait_idle(self, timeout: float = 60) -> None:
        """Until the node's job queue has nothing due (what arrived is applied)."""
        sql = ("SELECT count(*) FROM jobs WHERE state = 'running'"
               " OR (state = 'queued' AND run_after <= datetime('now'))")  # fmt: skip

        def idle() -> bool:
            with closing(self.reader()) as connection:
                return connection.execute(sql).fetchall()[0][0] == 0

        _wait(idle, timeout, f"the jobs of {self.url} to be done")

    def stop(self) -> None:
        """SIGTERM (a clean shutdown), SIGKILL if it takes more than 20 s."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    # Reading the node's database from the outside: read-only, one statement at a time.

    def reader(self) -> sqlite3.Connection:
        connection = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=30)
        connection.isolation_level = None  # autocommit: every poll sees the latest commit
        return connection

    def head(self, did: str, connection: sqlite3.Connection | None = None) -> int:
        """The seq this node holds of the log of `did` (0: none)."""
        sql = "SELECT log_seq FROM accounts WHERE did = ?"
        if connection is not None:
            rows = connection.execute(sql, (did,)).fetchall()
        else:
            with closing(self.reader()) as own:
                rows = own.execute(sql, (did,)).fetchall()
        return int(rows[0][0]) if rows else 0

    def hashes(self, did: str) -> list[tuple[int, str]]:
        with closing(self.reader()) as connection:
            return connection.execute(
                "SELECT seq, entry_hash FROM log_entries JOIN accounts ON accounts.id = account_id"
                " WHERE accounts.did = ? ORDER BY seq",
                (did,),
            ).fetchall()


def _start(*nodes: _Node, worker: bool = True) -> None:
    """Start nodes side by side (a start is mostly waiting for imports)."""
    with ThreadPoolExecutor(len(nodes)) as pool:
        list(pool.map(lambda node: node.start(worker), nodes))


class _Client:
    """A node's user on its Mastodon API."""

    def __init__(self, node: _Node) -> None:
        headers = {"Authorization": f"Bearer {node.token}"}
        self.http = httpx.Client(base_url=node.url, headers=headers, timeout=30)

    def __enter__(self) -> _Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.http.close()

    def call(self, method: str, path: str, **options: Any) -> Any:
        answer = self.http.request(method, path, **options)
        if answer.status_code != 200:
            raise RuntimeError(f"{method} {path}: {answer.status_code} {answer.text[:300]}")
        return answer.json()


# --- measures ------------------------------------------------------------------------------


def _follow(bob: _Client, reader: _Node, home: _Node) -> None:
    """Bob follows alice (as an app does: search with `resolve`, then follow); returns once
    B holds her log as A does, synced by B's serve process when the follow was accepted."""
    handle = f"{home.username}@{home.host}:{home.port}"
    found = bob.call("GET", "/api/v2/search", params={"q": handle, "resolve": "true",
                                                      "type": "accounts"})  # fmt: skip
    [account] = [a for a in found["accounts"] if a["acct"] == handle]
    bob.call("POST", f"/api/v1/accounts/{account['id']}/follow")
    _wait(lambda: reader.head(home.did) >= home.head(home.did) > 0, 60,
          "B to sync alice's log after the follow")  # fmt: skip


def _live(alice: _Client, reader: _Node, home: _Node, count: int) -> list[float]:
    """Seconds from A's answer to `POST /api/v1/statuses` until B holds the entry, per post
    (a few first posts, not timed, wait for B's live subscription)."""
    latencies: list[float] = []
    with closing(reader.reader()) as connection:
        for n in range(WARM_UP_POSTS + count):
            seq = home.head(home.did) + 1  # the post's entry: nothing else writes her log
            alice.call("POST", "/api/v1/statuses", data={"status": f"Live entry number {n}"})
            answered = time.perf_counter()

            def held(seq: int = seq) -> bool:
                return reader.head(home.did, connection) >= seq

            within = 30 if n < WARM_UP_POSTS else 10
            _wait(held, within, f"B to hold live entry {seq}", POLL_SECONDS)
            if n >= WARM_UP_POSTS:
                latencies.append(time.perf_counter() - answered)
            time.sleep(0.05)  # posts a moment apart, as people write
    return latencies


def _sync(reader: _Node, home: _Node) -> tuple[int, float, float]:
    """(entries, seconds of the whole run, seconds to its last commit) of `bocage sync`."""
    target, before = home.head(home.did), reader.head(home.did)
    assert before < target
    stored_at: list[float] = []
    stop = threading.Event()

    def watch() -> None:
        with closing(reader.reader()) as connection:
            while not stop.is_set():
                if reader.head(home.did, connection) >= target:
                    stored_at.append(time.perf_counter())
                    return
                time.sleep(POLL_SECONDS)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [*CLI, "sync", "--data", str(reader.data)],
            env={**reader.env, "COLUMNS": "200"},
            capture_output=True,
            text=True,
            timeout=300,
        )
        elapsed = time.perf_counter() - started
    finally:
        stop.set()
        watcher.join(5)
    output = done.stdout + done.stderr
    found = re.search(r"(\d+) new entries", output)
    if done.returncode != 0 or not found or not stored_at:
        raise RuntimeError(f"bocage sync failed ({done.returncode}):\n{output[-2000:]}")
    if int(found.group(1)) != target - before:
        raise RuntimeError(f"expected {target - before} new entries:\n{output[-2000:]}")
    return target - before, elapsed, stored_at[0] - started


def _check_whole(reader: _Node, home: _Node) -> None:
    """B holds alice's log exactly as A does, entry for entry."""
    held, written = reader.hashes(home.did), home.hashes(home.did)
    if held != written:
        raise AssertionError(f"B holds {len(held)} entries, A wrote {len(written)}")


# --- helpers -------------------------------------------------------------------------------


def _wait(check: Callable[[], bool], timeout: float, what: str, every: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:.0f} s for {what}")
        time.sleep(every)


def report(figures: Figures) -> list[tuple[str, str, str]]:
    """(measure, target, value) rows for `make bench`."""
    n, live = f"{figures.entries:,}", len(figures.live)
    return [
        (f"p2p catch-up: `bocage sync` of {n} entries, whole run incl. apply", "—",
         f"{figures.sync_rate:,.0f}/s ({figures.sync_seconds:.1f} s)"),
        (f"p2p catch-up: `bocage sync` start → {n} entries verified+stored", "≥ 1,000/s",
         f"{figures.stored_rate:,.0f}/s ({figures.stored_seconds:.1f} s)"),
        (f"p2p live entry: A's API answer → held by B, p50, p95 ({live} posts)", "p95 < 1 s",
         f"{figures.live_ms(0.5):.0f} ms, {figures.live_ms(0.95):.0f} ms"),
    ]  # fmt: skip


if __name__ == "__main__":
    started = time.perf_counter()
    measured = measure_p2p()
    for name, target, value in report(measured):
        print(f"{name:<70} {target:>10} {value:>18}")
    milliseconds = sorted(round(seconds * 1000, 1) for seconds in measured.live)
    print(f"live (ms): {milliseconds}")
    print(f"whole p2p bench: {time.perf_counter() - started:.0f} s")
