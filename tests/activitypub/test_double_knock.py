"""A real node and a server that crashes on RFC 9421 signatures (a 500, as was seen from a
real fediverse server) but takes draft-cavage ones: its users can still deliver to the node
(the node fetches their keys), and the node can deliver to them, because every signed
request that is not answered with a success is asked once more with the other scheme.
The scheme that worked is remembered: later requests use it at once."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.addresses import loopback
from tests.federation.helpers import Person, eventually, start_node
from tests.outsider import Outsider, Seen
from tests.processes import NodeProcess

pytestmark = pytest.mark.slow
NODE_HOST, OUTSIDER_HOST = loopback(5, 1), loopback(5, 2)


@pytest.fixture
async def node(tmp_path: Path) -> AsyncIterator[NodeProcess]:
    started = start_node(tmp_path, NODE_HOST, ["alice"], {})
    yield started
    started.stop()


@pytest.fixture
async def crashing() -> AsyncIterator[Outsider]:
    server = Outsider(OUTSIDER_HOST, ("fern", "gale"), crash_on=frozenset({"rfc9421"}))
    await server.start()
    yield server
    await server.close()


def follow(actor: str, target: str) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor}/follows/1",
        "type": "Follow",
        "actor": actor,
        "object": target,
    }


def knocks(seen: list[Seen]) -> list[tuple[str, int]]:
    return [(request.scheme, request.status) for request in seen]


def delivered(server: Outsider, kind: str) -> list[tuple[str, int]] | None:
    """The knocks of the delivery of an activity of type `kind` to fern's inbox (scheme and
    answer), once one was taken: before, the first may be seen without the second."""
    found = knocks(
        [s for s in server.requests("POST", "/users/fern/inbox") if f'"type":"{kind}"' in
         s.body.decode()]
    )  # fmt: skip
    return found if any(status == 202 for _scheme, status in found) else None


async def test_a_server_that_crashes_on_rfc9421_federates_both_ways(
    node: NodeProcess, crashing: Outsider
) -> None:
    alice_uri = f"{node.url}/users/alice"
    fern, gale = crashing.actor("fern"), crashing.actor("gale")

    # Fern follows Alice: the node fetches fern's key, signed with RFC 9421 first (the server
    # crashes), then with draft-cavage, and accepts the delivery.
    status, text = await crashing.send(
        "POST", f"{alice_uri}/inbox", f"{fern}#main-key", follow(fern, alice_uri)
    )
    assert status == 202, text
    assert knocks(crashing.requests("GET", "/users/fern"))[:2] == [
        ("rfc9421", 500),
        ("cavage", 200),
    ]

    # The node's Accept reaches fern the same way.
    async def accepted() -> list[tuple[str, int]] | None:
        return delivered(crashing, "Accept")

    assert await eventually(accepted, what="the Accept at fern's inbox") == [
        ("rfc9421", 500),
        ("cavage", 202),
    ]

    # From then on the node signs for that server with draft-cavage at once: a post goes out
    # in one request, and gale's key is fetched in one request.
    alice = await Person(node, "alice").login()
    try:
        await alice.publish("Hello fern, across the hedge")
    finally:
        await alice.close()

    async def created() -> list[tuple[str, int]] | None:
        return delivered(crashing, "Create")

    assert await eventually(created, what="alice's post at fern's inbox") == [("cavage", 202)]
    status, text = await crashing.send(
        "POST", f"{alice_uri}/inbox", f"{gale}#main-key", follow(gale, alice_uri)
    )
    assert status == 202, text
    assert knocks(crashing.requests("GET", "/users/gale"))[:1] == [("cavage", 200)]
    with closing(sqlite3.connect(node.data / "bocage.db")) as db:
        remembered = db.execute(
            "SELECT signature_scheme FROM remote_hosts WHERE domain = ?",
            (f"{OUTSIDER_HOST}:{crashing.port}",),
        ).fetchall()
    assert remembered == [("cavage",)]
