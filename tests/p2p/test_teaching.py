"""What peers may make a node do and print, with real `bocage` nodes and servers played by
the test (tests/outsider.py), all on block 5 of the worker's loopback addresses:

- a malicious peer that signs its requests as a node teaches 200 addresses, all pointing at
  a sink that counts hits, both when it asks the node for its clock and when the node asks
  it: the node asks at most its bound of them, each once, never on every sync, while an
  honest node it names becomes a peer;
- the CLI prints what peers send as it is: a did (`did:key:` is not an emoji code) and a
  peer's refusal full of rich markup and emoji codes."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import orjson
import pytest
from aiohttp import web

from bocage.core.replication import peers
from tests.addresses import loopback
from tests.federation.helpers import Person, eventually, prepare_node
from tests.outsider import Outsider, document
from tests.p2p.helpers import follow
from tests.processes import NodeProcess, run_cli, start_all

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("p2p/test_teaching")]
HOME, READER, HONEST, PEER, SINK, LIAR = (loopback(5, n) for n in range(10, 16))
CLOCK = "/.well-known/apgateway/clock"
TAUGHT = 200


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, NodeProcess]]:
    """Alice's node, Carl's node (the one attacked, syncing every second: every sync counts)
    and an honest node nobody knows yet."""
    root = tmp_path_factory.mktemp("teaching")
    started = {
        "home": prepare_node(root, HOME, ["alice"]),
        "reader": prepare_node(root, READER, ["carl"]),
        "honest": prepare_node(root, HONEST, []),
    }
    started["reader"].env["BOCAGE_SYNC_INTERVAL_SECONDS"] = "1"
    try:
        start_all(*started.values())
        yield started
    finally:
        for node in started.values():
            node.stop()


def bocage(node: NodeProcess, *args: str) -> str:
    return run_cli(*args, "--data", str(node.data), env=node.env).stdout


async def in_thread(node: NodeProcess, *args: str) -> str:
    """A `bocage` command, run while this loop keeps serving the test's own servers."""
    return await asyncio.to_thread(bocage, node, *args)


class Sink:
    """A server listening on `TAUGHT` ports, counting the requests each one gets."""

    def __init__(self) -> None:
        self.hits: Counter[int] = Counter()
        self.ports: list[int] = []
        self._runner: web.AppRunner | None = None

    async def start(self) -> Sink:
        async def count(request: web.Request) -> web.Response:
            self.hits[request.url.port or 0] += 1
            return web.Response(status=404)

        app = web.Application()
        app.router.add_route("*", "/{path:.*}", count)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        for _ in range(TAUGHT):
            site = web.TCPSite(self._runner, SINK, 0)
            await site.start()
            self.ports.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        return self

    def urls(self) -> list[str]:
        return [f"http://{SINK}:{port}" for port in self.ports]

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@pytest.fixture
async def sink() -> AsyncIterator[Sink]:
    started = await Sink().start()
    yield started
    await started.close()


def teacher(taught: list[str]) -> Outsider:
    """A peer that signs as a node (its actor /users/peer) and lists `taught` as the nodes it
    knows in every clock answer."""

    async def clock(_request: web.Request) -> web.Response:
        return document({"clock": {}, "peers": taught, "node": server.url})

    server = Outsider(PEER, ("peer",), routes=[("POST", CLOCK, clock)])
    return server


async def introduce(peer: Outsider, node: NodeProcess, taught: list[str]) -> None:
    """The peer asks the node for its clock, signed as a node, naming `taught`: from then on
    it is one of the node's peers."""
    status, text = await peer.send(
        "POST", f"{node.url}{CLOCK}", f"{peer.actor('peer')}#main-key",
        {"clock": {}, "peers": taught},
    )  # fmt: skip
    assert status == 200, text


async def syncs_seen(peer: Outsider, count: int) -> None:
    """Until the node has asked `peer` for its clock `count` times: as many syncs."""

    async def seen() -> bool:
        return len(peer.requests("POST", CLOCK)) >= count

    await eventually(seen, what=f"{count} clock exchanges with {peer.url}")


async def test_a_peer_cannot_make_the_node_crawl_the_addresses_it_teaches(
    nodes: dict[str, NodeProcess], sink: Sink
) -> None:
    reader, honest = nodes["reader"], nodes["honest"]
    # It names 200 addresses when it introduces itself: an honest node and 199 at the sink;
    # and 200 at the sink in each of its clock answers.
    malicious = await teacher(sink.urls()).start()
    try:
        await introduce(malicious, reader, [honest.url, *sink.urls()[1:]])
        await syncs_seen(malicious, 4)
        asked = sink.hits.copy()
        await syncs_seen(malicious, 6)
    finally:
        await malicious.close()

    # Of the 600 addresses it was taught, the node asked its bound (20 waiting at once; the
    # honest node's place was taken by one more once it became a peer), each once: none on
    # every sync, none after the first syncs.
    assert set(asked.values()) == {1} and sink.hits == asked, sink.hits
    assert sum(asked.values()) == peers.TAUGHT_PER_PEER, asked
    # The honest node answered as a node: a peer now. The sink's addresses are not peers.
    listed = bocage(reader, "peer", "list")
    shown = {line.split()[0]: line for line in listed.splitlines() if line.startswith("http")}
    assert set(shown) == {malicious.url, honest.url}, listed
    assert re.match(rf"{re.escape(honest.url)}\s+exchange\s+", shown[honest.url]), listed
    assert "20 other nodes named by peers: candidates, not peers" in listed, listed


def liar(did: str, claimed: int) -> Outsider:
    """A peer that claims more of a log than it has and breaks down when asked for it."""

    async def clock(_request: web.Request) -> web.Response:
        return document({"clock": {did: claimed}, "peers": []})

    async def log(_request: web.Request) -> web.Response:
        return document({"error": "out of order"}, 500)

    routes: list[tuple[str, str, Any]] = [
        ("POST", CLOCK, clock),
        ("GET", f"/.well-known/apgateway/{did}/log", log),
    ]
    return Outsider(LIAR, ("peer",), routes=routes)


def grumpy(reason: str) -> Outsider:
    """A peer that refuses clock exchanges, with a reason full of rich markup and emoji."""

    async def clock(_request: web.Request) -> web.Response:
        return web.Response(body=orjson.dumps({"error": reason}), status=403,
                            content_type="application/json")  # fmt: skip

    return Outsider(LIAR, ("peer",), routes=[("POST", CLOCK, clock)])


async def test_what_peers_send_is_printed_as_it_is(nodes: dict[str, NodeProcess]) -> None:
    home, reader = nodes["home"], nodes["reader"]
    alice, carl = await Person(home, "alice").login(), await Person(reader, "carl").login()
    try:
        await follow(carl, alice)  # Carl's node replicates Alice's log from now on
    finally:
        await alice.close()
        await carl.close()
    did = bocage_did(home, "alice")
    assert did.startswith("did:key:z6Mk")
    # Markup and emoji codes, then a terminal escape (clear the screen) and a forged line.
    reason = "[bold]Go away[/bold] :smile: [link=https://evil.example]here[/link] :key:"
    forged = (
        f"\x1b[2J\nhttp://{loopback(5, 99)}:1  manual  last sync never  ok  0 entries  score 90"
    )
    shown = reason + forged.replace("\x1b", "\\x1b").replace("\n", "\\x0a")
    lying, refusing = await liar(did, 1000).start(), await grumpy(reason + forged).start()
    try:
        await introduce(lying, reader, [])
        await introduce(refusing, reader, [])
        await syncs_seen(lying, 1)
        await syncs_seen(refusing, 1)
        output = await in_thread(reader, "sync")
        listed = await in_thread(reader, "peer", "list")
    finally:
        await lying.close()
        await refusing.close()
    assert f"  {refusing.url}: the clock exchange answered 403: {shown}\n" in output, output
    assert f"(the log of {did} answered 500)" in listed, listed
    assert f"(the clock exchange answered 403: {shown[:80]}" in listed, listed
    for printed in (output, listed):
        assert not {"🔑", "😄", "\x1b"} & set(printed), printed
        assert not any(
            line.startswith(f"http://{loopback(5, 99)}") for line in printed.splitlines()
        )


def bocage_did(node: NodeProcess, username: str) -> str:
    """A local account's did, as its actor document publishes it."""
    actor = httpx.get(
        f"{node.url}/users/{username}", headers={"Accept": "application/activity+json"}
    ).json()
    return "did:key:" + actor["assertionMethod"][0]["publicKeyMultibase"]
