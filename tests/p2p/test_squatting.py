"""did:key squatting, attempted as an outside server would: a fake server publishes an actor
that lists Carol's public key (and a copy of Carol's own identity proof) as its own. Bob's
node meets it before it meets Carol, and Bob even follows it.

Before dids needed proof of possession, the squatter took Carol's did (first come, first
served): Carol's log was never replicated to Bob's node, and every sync asked Carol's honest
home node for the squatter's log, got Carol's genuine entries, and docked it 10 points, until
it was no longer asked at all. Now the did is Carol's, whoever came first."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.addresses import loopback
from tests.federation.helpers import Person, eventually, prepare_node
from tests.outsider import AS_JSON, Outsider, actor_document
from tests.p2p.helpers import follow, holds, log_length, sync
from tests.processes import NodeProcess, start_all

pytestmark = pytest.mark.slow
HOSTS = (loopback(1, 1), loopback(1, 2), loopback(1, 3))


def squat(squatter: Outsider, carols: dict[str, Any]) -> None:
    """The squatter's `carol` claims the real Carol's key, with her proof copied."""
    uri = squatter.actor("carol")
    statement = next(a for a in carols["attachment"]
                     if a.get("type") == "VerifiableIdentityStatement")  # fmt: skip
    squatter.serve(actor_document(
        uri,
        assertionMethod=[{**carols["assertionMethod"][0], "id": f"{uri}#ed25519-key",
                          "controller": uri}],
        attachment=[statement],
    ))  # fmt: skip


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[NodeProcess, NodeProcess, Outsider]]:
    home = prepare_node(tmp_path, HOSTS[0], ["carol"])
    bobs = prepare_node(tmp_path, HOSTS[1], ["bob"])
    squatter = await Outsider(HOSTS[2], users=("carol",)).start()
    try:
        start_all(home, bobs)
        yield home, bobs, squatter
    finally:
        home.stop()
        bobs.stop()
        await squatter.close()


def account_row(node: NodeProcess, uri: str) -> tuple[str | None, int]:
    with sqlite3.connect(node.data / "bocage.db") as db:
        row = db.execute("SELECT did, did_proven FROM accounts WHERE uri = ?", (uri,)).fetchone()
    assert row is not None, f"{uri} is not known to {node.url}"
    return row[0], row[1]


def peer_score(node: NodeProcess, url: str) -> int:
    with sqlite3.connect(node.data / "bocage.db") as db:
        row = db.execute("SELECT score FROM peers WHERE url = ?", (url,)).fetchone()
    assert row is not None, f"{url} is not a peer of {node.url}"
    return int(row[0])


async def test_a_squatter_of_carols_key_takes_nothing_from_her(
    world: tuple[NodeProcess, NodeProcess, Outsider],
) -> None:
    home, bobs, squatter = world
    carol_uri = f"{home.url}/users/carol"
    async with httpx.AsyncClient() as client:
        carols = await client.get(carol_uri, headers={"accept": AS_JSON})
    squat(squatter, carols.json())
    carol_did = carols.json()["attachment"][-1]["subject"]
    bob, carol = await Person(bobs, "bob").login(), await Person(home, "carol").login()
    try:
        # Bob meets the squatter first, follows it, and it accepts.
        await bob.post(f"/@carol@{HOSTS[2]}:{squatter.port}/follow")
        deliveries = await eventually(
            lambda: holds(squatter.requests("POST", "/users/carol/inbox")),
            what="Bob's Follow at the squatter's inbox",
        )
        follow_activity = orjson.loads(deliveries[0].body)
        accept = {"id": f"{squatter.actor('carol')}#accepts/1", "type": "Accept",
                  "actor": squatter.actor("carol"), "object": follow_activity}  # fmt: skip
        key_id = f"{squatter.actor('carol')}#main-key"
        status, text = await squatter.send("POST", f"{bobs.url}/users/bob/inbox", key_id, accept)
        assert status == 202, text
        assert account_row(bobs, squatter.actor("carol")) == (None, 0)

        await follow(bob, carol)  # then Bob follows the real Carol
        for n in range(3):
            await carol.publish(f"Carol's own words {n}")
        for _ in range(3):
            sync(bobs)
        assert account_row(bobs, carol_uri) == (carol_did, 1)
        assert account_row(bobs, squatter.actor("carol")) == (None, 0)
        length = log_length(home, carol_uri)
        await eventually(lambda: holds(log_length(bobs, carol_uri) == length),
                         what="Carol's whole log on Bob's node")  # fmt: skip
        assert peer_score(bobs, home.url) >= 0  # Carol's honest node was never docked
    finally:
        await bob.close()
        await carol.close()
