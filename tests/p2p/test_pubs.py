"""A pub: an always-on node that keeps the logs of the accounts that registered it, with
consent signed by their own key. Carol's node finds it in Alice's actor (`gateways`) and
gets Alice's posts from it while Alice's laptop is closed."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from bocage.crypto.keys import IdentityKey
from bocage.crypto.proofs import sign_object
from tests.addresses import loopback
from tests.federation.helpers import Person, eventually, prepare_node
from tests.p2p.helpers import follow, holds, home_has, sync
from tests.processes import NodeProcess, run_cli, running

HOSTS = (loopback(0, 20), loopback(0, 21), loopback(0, 22))  # Alice, the pub, Carol


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[list[NodeProcess]]:
    """Alice's node, the pub (nobody on it) and Carol's node."""
    made = [
        prepare_node(tmp_path, HOSTS[0], ["alice"]),
        prepare_node(tmp_path, HOSTS[1], [], serve_options=("--pub",)),
        prepare_node(tmp_path, HOSTS[2], ["carol"]),
    ]
    with running(*made):
        yield made


def gateways_known(node: NodeProcess, actor: str) -> list[str]:
    with sqlite3.connect(node.data / "bocage.db") as db:
        row = db.execute("SELECT gateways FROM accounts WHERE uri = ?", (actor,)).fetchone()
    return orjson.loads(row[0]) if row and row[0] else []


async def test_carol_gets_alices_posts_from_her_pub(nodes: list[NodeProcess]) -> None:
    alice_node, pub, carol_node = nodes
    alice = await Person(alice_node, "alice").login()
    carol = await Person(carol_node, "carol").login()
    actor = f"{alice_node.url}/users/alice"
    try:
        await follow(carol, alice)
        registered = run_cli("user", "gateway-add", "alice", pub.url, "--data",
                             str(alice_node.data), env=alice_node.env)  # fmt: skip
        assert pub.url in registered.stdout
        await eventually(
            lambda: holds(pub.url in gateways_known(carol_node, actor)),
            what="Carol's node learns Alice's pub from her actor",
        )
        carol_node.stop()
        await alice.publish("Kept by my pub while I sleep")
        sync(pub)  # the pub also syncs by itself; this makes it now
        alice_node.stop()

        carol_node.start()
        carol.client = httpx.AsyncClient(base_url=carol_node.url, timeout=20.0)
        await carol.login()
        sync(carol_node)  # no `peer add`: the pub is found in Alice's gateways
        await eventually(lambda: home_has(carol, "Kept by my pub while I sleep"),
                         what="Alice's post on Carol's home, from the pub")  # fmt: skip
        listed = run_cli("peer", "list", "--data", str(carol_node.data), env=carol_node.env)
        line = next(line for line in listed.stdout.splitlines() if pub.url in line)
        assert " gateway " in line and " ok " in line
    finally:
        await alice.close()
        await carol.close()


async def test_a_pub_takes_only_consent_signed_by_the_account(nodes: list[NodeProcess]) -> None:
    alice_node, pub, carol_node = nodes
    actor = f"{alice_node.url}/users/alice"
    stranger = IdentityKey.generate()
    consent = {
        "@context": ["https://www.w3.org/ns/activitystreams"],
        "type": "GatewayConsent",
        "actor": actor,
        "gateway": pub.url,
        "published": "2026-12-06T10:00:00Z",
    }
    forged = sign_object(consent, stranger, f"{stranger.did}#{stranger.did[8:]}")
    async with httpx.AsyncClient(timeout=20.0) as client:
        at_pub = f"{pub.url}/.well-known/apgateway/consent"
        refused = await client.post(at_pub, content=orjson.dumps(forged))
        assert refused.status_code == 401
        assert "not signed by the actor's key" in refused.json()["error"]
        elsewhere = {**consent, "gateway": "https://other.example"}
        assert (await client.post(at_pub, content=orjson.dumps(elsewhere))).status_code == 400
        assert (await client.post(at_pub, content=b"{nope")).status_code == 400
        not_a_pub = f"{carol_node.url}/.well-known/apgateway/consent"
        assert (await client.post(not_a_pub, content=orjson.dumps(consent))).status_code == 404
    failed = run_cli("user", "gateway-add", "alice", carol_node.url, "--data",
                     str(alice_node.data), env=alice_node.env, check=False)  # fmt: skip
    assert failed.returncode == 1 and "not a pub" in failed.stderr
