"""Catch-up (docs/protocol.md, "Catch-up") with real `bocage serve` nodes, each on its own
loopback address: the home node of the authors is gone, and a node that was offline gets
their logs from the peers that hold them. The work is spread across those peers; a sync
killed halfway resumes where it stopped, with no duplicate and no gap; a peer that lies is
scored down and an honest one is used instead."""

from __future__ import annotations

import asyncio
import http.client
import os
import re
import signal
import sqlite3
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import orjson
import pytest

from tests.addresses import free_port, loopback
from tests.federation.helpers import PASSWORD, Person, eventually, prepare_node
from tests.p2p.helpers import follow, home_has
from tests.processes import BOCAGE, NodeProcess, run_cli, start_all

# Clear of the addresses other tests use.
HOSTS = [loopback(0, n) for n in range(10, 20)]
LOG_PATH = re.compile(r"/\.well-known/apgateway/[^/]+/log")


# --- Nodes ---------------------------------------------------------------------------------


def bocage(node: NodeProcess, *args: str) -> str:
    return run_cli(*args, "--data", str(node.data), env=node.env).stdout


def spawn(node: NodeProcess, output: Path, *args: str) -> subprocess.Popen[bytes]:
    """A `bocage` command left running, in its own process group (to be killed)."""
    with output.open("w") as out:
        return subprocess.Popen(
            [*BOCAGE, *args, "--data", str(node.data)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **node.env},
            start_new_session=True,
        )


def synced(output: str) -> int:
    """The number of new entries a `bocage sync` reports."""
    found = re.search(r"(\d+) new entries", output)
    assert found, output
    return int(found.group(1))


@dataclass(frozen=True)
class PeerShown:
    state: str
    entries: int
    score: int
    line: str


PEER_LINE = re.compile(r"^(\S+)\s+\w+\s+last sync .+?\s+(\w+)\s+(\d+) entries\s+score (-?\d+)")


def peer_list(node: NodeProcess) -> dict[str, PeerShown]:
    """`bocage peer list`, by peer URL."""
    shown: dict[str, PeerShown] = {}
    for line in bocage(node, "peer", "list").splitlines():
        found = PEER_LINE.match(line)
        if found:
            url, state, entries, score = found.groups()
            shown[url] = PeerShown(state, int(entries), int(score), line)
    return shown


# --- Reading a node's database directly ----------------------------------------------------


def query(node: NodeProcess, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(node.data / "bocage.db", timeout=30)) as db:
        return db.execute(sql, params).fetchall()


def did_of(node: NodeProcess, username: str) -> str:
    [(did,)] = query(
        node, "SELECT did FROM accounts WHERE username = ? AND domain IS NULL", username
    )
    return str(did)


def head(node: NodeProcess, did: str) -> int:
    """The seq a node holds of the log of `did` (0: none)."""
    rows = query(node, "SELECT log_seq FROM accounts WHERE did = ?", did)
    return int(rows[0][0]) if rows else 0


def log_of(node: NodeProcess, did: str) -> list[tuple[int, str, dict[str, Any]]]:
    """(seq, entry_hash, entry) of every entry a node holds of the log of `did`."""
    rows = query(
        node,
        "SELECT seq, entry_hash, entry FROM log_entries JOIN accounts ON accounts.id = account_id"
        " WHERE accounts.did = ? ORDER BY seq",
        did,
    )
    return [(seq, entry_hash, orjson.loads(entry)) for seq, entry_hash, entry in rows]


def assert_whole_log(node: NodeProcess, did: str, expected_head: int) -> None:
    """Entries 1 … head, each once, each chained to the one before: no gap, no duplicate."""
    entries = log_of(node, did)
    assert [seq for seq, _, _ in entries] == list(range(1, expected_head + 1))
    assert head(node, did) == expected_head
    previous = None
    for seq, entry_hash, entry in entries:
        assert entry["seq"] == seq and entry["author"] == did
        assert entry.get("prev") == previous, f"entry {seq} does not chain to entry {seq - 1}"
        previous = entry_hash


# --- People --------------------------------------------------------------------------------


async def logged_in(node: NodeProcess, username: str) -> Person:
    return await Person(node, username).login()


async def back_online(person: Person) -> Person:
    """A new session with a node that was restarted."""
    await person.close()
    return await logged_in(person.node, person.username)


async def come_back(node: NodeProcess, person: Person, gone: NodeProcess) -> Person:
    """Restart an offline node, knowing no peer but the authors' home node `gone` (down), and
    wait for the sync it runs by itself soon after start (which finds that peer unreachable), so
    that the test's own syncs are the only ones in the next five minutes. The node must be
    up even for `bocage sync`: peers fetch its instance actor's key to check the signatures
    of its requests (with the node down, they answer 401)."""
    for (url,) in query(node, "SELECT url FROM peers"):  # learned earlier, from `gone`
        if url != gone.url:
            bocage(node, "peer", "remove", url)
    node.start()

    async def tried() -> bool:
        rows = query(node, "SELECT state FROM peers WHERE url = ?", gone.url)
        return rows == [("unreachable",)]

    await eventually(tried, what=f"the sync after start of {node.url} tried {gone.url}")
    return await back_online(person)


def api(node: NodeProcess, username: str) -> httpx.AsyncClient:
    """A Mastodon API client of `username`, with a token from the password grant."""
    app = httpx.post(f"{node.url}/api/v1/apps", data={"client_name": "t", "scopes": "write"})
    token = httpx.post(
        f"{node.url}/oauth/token",
        data={
            "grant_type": "password", "client_id": app.json()["client_id"],
            "client_secret": app.json()["client_secret"], "username": f"{username}@example.org",
            "password": PASSWORD, "scope": "write",
        },
    ).json()["access_token"]  # fmt: skip
    bearer = {"Authorization": f"Bearer {token}"}
    return httpx.AsyncClient(base_url=node.url, headers=bearer, timeout=30.0)


async def post_many(client: httpx.AsyncClient, texts: list[str], at_once: int = 6) -> None:
    limit = asyncio.Semaphore(at_once)

    async def one(text: str) -> None:
        async with limit:
            posted = await client.post("/api/v1/statuses", data={"status": text})
            assert posted.status_code == 200, posted.text

    await asyncio.gather(*(one(text) for text in texts))


async def home_counts(person: Person, pattern: re.Pattern[str]) -> Counter[str]:
    """How many times each match of `pattern` is on the person's /home, all pages."""
    seen: Counter[str] = Counter()
    path: str | None = "/home?limit=40"
    while path:
        page = (await person.get(path)).text
        found = pattern.findall(page)
        seen.update(found)
        older = re.search(r'href="\?max_id=(\d+)"', page)
        path = f"/home?limit=40&max_id={older[1]}" if older and found else None
    return seen


async def every_post_once(person: Person, pattern: re.Pattern[str], count: int) -> None:
    """Posts numbered 000 … count - 1, each once on the person's home (soon: the posts
    that arrive are made by the job worker)."""
    expected = Counter(f"{n:03d}" for n in range(count))
    seen: list[Counter[str]] = []

    async def all_there() -> bool:
        seen.append(await home_counts(person, pattern))
        return sum(seen[-1].values()) >= count

    await eventually(all_there, what=f"{count} posts on the home of {person.handle}")
    assert seen[-1] == expected


# --- Peers played by the test --------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, headers, content = self.server.answer(self, body)
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _any

    def log_message(self, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, port: int) -> None:
        super().__init__((host, port), _Handler)
        self.url = f"http://{host}:{port}"
        self.log_requests: list[int] = []  # `after` of each log page asked, in order
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    def answer(self, request: _Handler, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        raise NotImplementedError

    def close(self) -> None:
        self.shutdown()
        self.server_close()


HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}


class SlowLink(_Server):
    """A reverse proxy in front of a node, as on a poor link: every log page comes back
    shortened to `page` entries (a short page is allowed: the client asks again from its new
    head), and from `hold_from` on, log requests hang until `release` is set. Requests pass
    unchanged, so their signatures still verify at the node (it signs for its public URL,
    which is this proxy's)."""

    def __init__(self, host: str, port: int, upstream_port: int, page: int) -> None:
        super().__init__(host, port)
        self.upstream = (host, upstream_port)
        self.page = page
        self.hold_from: int | None = None
        self.held = threading.Event()
        self.release = threading.Event()

    def answer(self, request: _Handler, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        path = urlsplit(request.path)
        is_log = LOG_PATH.fullmatch(path.path) is not None
        if is_log:
            after = int(parse_qs(path.query).get("after", ["0"])[0])
            self.log_requests.append(after)
            if self.hold_from is not None and after >= self.hold_from:
                self.held.set()
                self.release.wait(60)
                return 503, [], b"held"
        upstream = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            return self._relay(upstream, request, body, is_log)
        except OSError as failed:  # the node is not listening (yet, or any more)
            return 502, [], str(failed).encode()
        finally:
            upstream.close()

    def _relay(
        self, upstream: http.client.HTTPConnection, request: _Handler, body: bytes, is_log: bool
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        upstream.putrequest(request.command, request.path, skip_host=True,
                            skip_accept_encoding=True)  # fmt: skip
        for name, value in request.headers.items():
            if name.lower() not in HOP_BY_HOP:
                upstream.putheader(name, value)
        upstream.endheaders(body or None)
        answer = upstream.getresponse()
        status, content = answer.status, answer.read()
        dropped = HOP_BY_HOP | {"content-length", "date", "server", "link"}
        headers = [
            (name, value) for name, value in answer.getheaders() if name.lower() not in dropped
        ]
        if is_log and status == 200:
            content = b"".join(content.splitlines(keepends=True)[: self.page])
        return status, headers, content


class LyingPeer(_Server):
    """A peer that claims to hold more of a log than anyone, and serves it with the text of
    every post changed (each entry still carries the author's real signature)."""

    def __init__(self, host: str, did: str, claimed: int, lines: list[bytes]) -> None:
        super().__init__(host, free_port(host))
        self.did, self.claimed, self.lines = did, claimed, lines

    def answer(self, request: _Handler, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        path = urlsplit(request.path)
        json = [("Content-Type", "application/json")]
        if path.path == "/.well-known/apgateway/clock" and request.command == "POST":
            return 200, json, orjson.dumps({"clock": {self.did: self.claimed}, "peers": []})
        if path.path == f"/.well-known/apgateway/{self.did}/log":
            after = int(parse_qs(path.query).get("after", ["0"])[0])
            self.log_requests.append(after)
            ndjson = [("Content-Type", "application/x-ndjson")]
            return 200, ndjson, b"".join(line + b"\n" for line in self.lines[after:])
        return 404, json, b'{"error": "not here"}'


def tampered_log(node: NodeProcess, did: str, lie: str) -> list[bytes]:
    """The log of `did` as `node` holds it, each post's text replaced by `lie`."""
    lines = []
    for _, _, entry in log_of(node, did):
        [(activity,)] = query(
            node,
            "SELECT activity FROM log_entries JOIN accounts ON accounts.id = account_id"
            " WHERE accounts.did = ? AND seq = ?",
            did,
            entry["seq"],
        )
        document = orjson.loads(activity) if activity else None
        if document and document.get("type") == "Create":
            document["object"]["content"] = f"<p>{lie}</p>"
        lines.append(orjson.dumps({"entry": entry, "activity": document}))
    return lines


# --- Tests ---------------------------------------------------------------------------------


@pytest.fixture
def nodes() -> Iterator[list[NodeProcess]]:
    """Nodes a test starts; all stopped at the end, whatever happened."""
    started: list[NodeProcess] = []
    try:
        yield started
    finally:
        for node in started:
            node.stop()


async def test_catch_up_is_spread_across_the_peers_that_hold_the_logs(
    tmp_path: Path, nodes: list[NodeProcess]
) -> None:
    """Alice and Amy post while Carl is offline; Pia's and Pat's nodes replicate their logs;
    their home node is gone when Carl comes back: Carl's node gets one author from each."""
    home, first, second, carls = (
        prepare_node(tmp_path, HOSTS[0], ["alice", "amy"]),
        prepare_node(tmp_path, HOSTS[1], ["pia"]),
        prepare_node(tmp_path, HOSTS[2], ["pat"]),
        prepare_node(tmp_path, HOSTS[3], ["carl"]),
    )
    nodes.extend((home, first, second, carls))
    start_all(*nodes)
    alice, amy = await logged_in(home, "alice"), await logged_in(home, "amy")
    pia, pat = await logged_in(first, "pia"), await logged_in(second, "pat")
    carl = await logged_in(carls, "carl")
    people = [alice, amy, pia, pat, carl]
    try:
        await asyncio.gather(
            *(follow(who, author) for who in (pia, pat, carl) for author in (alice, amy))
        )
        carls.stop()  # Carl goes offline

        texts = [
            f"{who.username} writes number {n} today" for who in (alice, amy) for n in range(3)
        ]
        for text in texts:
            await (alice if text.startswith("alice") else amy).publish(text)
        # Both peers replicate both logs (live as they are written, or by this sync).
        await asyncio.gather(
            asyncio.to_thread(bocage, first, "sync"), asyncio.to_thread(bocage, second, "sync")
        )
        dids = {name: did_of(home, name) for name in ("alice", "amy")}
        heads = {name: head(home, did) for name, did in dids.items()}
        assert all(seq >= 3 for seq in heads.values()), heads

        async def both_whole() -> bool:
            held = [
                {name: head(peer, did) for name, did in dids.items()} for peer in (first, second)
            ]
            return held == [heads, heads]

        await eventually(both_whole, what=f"both logs whole on both peers ({heads})")

        home.stop()  # the home node of Alice and Amy is gone
        carl = people[-1] = await come_back(carls, carl, home)
        before = {name: head(carls, did) for name, did in dids.items()}
        missing = {name: heads[name] - before[name] for name in dids}
        assert all(missing.values()), (heads, before)
        bocage(carls, "peer", "add", first.url)
        bocage(carls, "peer", "add", second.url)
        output = bocage(carls, "sync")
        assert synced(output) == sum(missing.values()), output
        assert "from 2 authors" in output and "0 rejected" in output, output
        assert "Synced with 2 of 3 peers" in output, output  # the home node does not answer

        for text in texts:
            await eventually(lambda t=text: home_has(carl, t), what=f"{text} on Carl's home")
        for name, did in dids.items():
            assert_whole_log(carls, did, heads[name])
        shown = peer_list(carls)
        assert shown[home.url].state == "unreachable", shown
        # One author from each peer: the two equally complete peers share the work.
        received = sorted(shown[peer.url].entries for peer in (first, second))
        assert received == sorted(missing.values()) and min(received) > 0, (shown, missing)
        for peer in (first, second):
            assert shown[peer.url].state == "ok" and shown[peer.url].score > 0, shown
    finally:
        for person in people:
            await person.close()


async def test_a_sync_killed_halfway_resumes_with_no_duplicate_and_no_gap(
    tmp_path: Path, nodes: list[NodeProcess]
) -> None:
    """Alice posts 60 times while Carl is offline; Pia's node holds her log, behind a slow
    link that serves 10 entries a page. Carl's sync is killed (SIGKILL) while it waits for
    the fourth page; the next sync starts at the last committed seq and ends with the whole
    log, every entry once and chained, and every post once on Carl's home."""
    public, inner = free_port(HOSTS[5]), free_port(HOSTS[5])
    home = prepare_node(tmp_path, HOSTS[4], ["alice"])
    pias = prepare_node(
        tmp_path, HOSTS[5], ["pia"], port=public, serve_options=("--port", str(inner))
    )
    carls = prepare_node(tmp_path, HOSTS[6], ["carl"])
    link = SlowLink(HOSTS[5], public, inner, page=10)  # Pia's node, as others reach it
    nodes.extend((home, pias, carls))
    start_all(*nodes)
    alice = await logged_in(home, "alice")
    pia, carl = await logged_in(pias, "pia"), await logged_in(carls, "carl")
    people = [alice, pia, carl]
    writer = api(home, "alice")
    try:
        await asyncio.gather(follow(pia, alice), follow(carl, alice))
        carls.stop()  # Carl goes offline

        texts = [f"Alice on the long road, step {n:03d} done" for n in range(60)]
        await post_many(writer, texts)
        bocage(pias, "sync")
        did = did_of(home, "alice")
        whole = head(home, did)
        assert whole >= 60 and head(pias, did) == whole
        home.stop()

        carl = people[-1] = await come_back(carls, carl, home)
        bocage(carls, "peer", "add", link.url)
        start_seq = head(carls, did)  # the Accept of Carl's follow may be here already
        link.hold_from = start_seq + 30
        killed_log = tmp_path / "killed-sync.log"
        syncing = spawn(carls, killed_log, "sync")
        try:
            held = await asyncio.to_thread(link.held.wait, 60)
            assert held, f"the sync never asked for the fourth page:\n{killed_log.read_text()}"
            assert syncing.poll() is None
            # Pages are committed one by one: three are, the fourth is being fetched.
            assert_whole_log(carls, did, start_seq + 30)
            os.killpg(syncing.pid, signal.SIGKILL)
            syncing.wait(10)
        finally:
            if syncing.poll() is None:
                os.killpg(syncing.pid, signal.SIGKILL)
                syncing.wait(10)
            link.release.set()
        assert link.log_requests == [start_seq + 10 * n for n in range(4)]
        assert_whole_log(carls, did, start_seq + 30)  # nothing half-written by the kill

        link.hold_from = None
        link.log_requests.clear()
        output = bocage(carls, "sync")
        assert synced(output) == whole - start_seq - 30, output
        assert link.log_requests[0] == start_seq + 30  # resumed, not started over
        assert_whole_log(carls, did, whole)
        assert [h for _, h, _ in log_of(carls, did)] == [h for _, h, _ in log_of(pias, did)]

        await every_post_once(carl, re.compile(r"Alice on the long road, step (\d{3}) done"), 60)
    finally:
        await writer.aclose()
        for person in people:
            await person.close()
        link.close()


async def test_a_peer_that_lies_is_scored_down_and_another_peer_is_used(
    tmp_path: Path, nodes: list[NodeProcess]
) -> None:
    """A peer claims to hold more of Alice's log than anyone, and serves her entries with
    other words in her posts. Carl's node rejects them, marks that peer down, and gets
    Alice's real log from Pia's node."""
    home = prepare_node(tmp_path, HOSTS[7], ["alice"])
    pias = prepare_node(tmp_path, HOSTS[8], ["pia"])
    carls = prepare_node(tmp_path, HOSTS[9], ["carl"])
    nodes.extend((home, pias, carls))
    start_all(*nodes)
    alice = await logged_in(home, "alice")
    pia, carl = await logged_in(pias, "pia"), await logged_in(carls, "carl")
    people = [alice, pia, carl]
    liar: LyingPeer | None = None
    try:
        await asyncio.gather(follow(pia, alice), follow(carl, alice))
        carls.stop()
        texts = [f"Alice really said this, part {n}" for n in range(3)]
        for text in texts:
            await alice.publish(text)
        bocage(pias, "sync")
        did = did_of(home, "alice")
        whole = head(home, did)
        assert head(pias, did) == whole
        lie = "Alice says: send your savings to the fake peer"
        liar = LyingPeer(HOSTS[6], did, whole + 5, tampered_log(home, did, lie))
        home.stop()

        carl = people[-1] = await come_back(carls, carl, home)
        start_seq = head(carls, did)
        bocage(carls, "peer", "add", liar.url)
        bocage(carls, "peer", "add", pias.url)
        output = bocage(carls, "sync")
        assert synced(output) == whole - start_seq, output
        assert "1 rejected" in output, output
        assert liar.log_requests, "the lying peer, which claimed the most, was not asked first"
        shown = peer_list(carls)
        assert shown[liar.url].score < 0, shown
        assert "digest" in shown[liar.url].line, shown
        assert shown[pias.url].score > 0, shown
        assert sum(shown[url].entries for url in (liar.url, pias.url)) == whole - start_seq
        # What is held is Alice's own log, entry for entry.
        assert_whole_log(carls, did, whole)
        assert [h for _, h, _ in log_of(carls, did)] == [h for _, h, _ in log_of(pias, did)]

        for text in texts:
            await eventually(lambda t=text: home_has(carl, t), what=f"{text} on Carl's home")
        assert lie not in (await carl.get("/home")).text
    finally:
        for person in people:
            await person.close()
        if liar is not None:
            liar.close()
