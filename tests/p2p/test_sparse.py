"""Sparse fetch: Carol does not follow Alice, so her node keeps no replica of Alice's log;
yet a link to one of Alice's posts opens while Alice's node is offline, fetched from Bob's
node (which replicates Alice) and taken only because Alice's key signed it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx

from tests.addresses import loopback
from tests.federation.helpers import PASSWORD, Person, eventually, prepare_node
from tests.p2p.helpers import follow, holds, log_length
from tests.processes import NodeProcess, run_cli, start_all

HOSTS = (loopback(0, 23), loopback(0, 24), loopback(0, 25))  # Alice, Bob, Carol


async def api_token(node: NodeProcess, username: str) -> str:
    async with httpx.AsyncClient(base_url=node.url, timeout=20.0) as client:
        app = (await client.post("/api/v1/apps", data={
            "client_name": "test", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read",
        })).json()  # fmt: skip
        token = await client.post("/oauth/token", data={
            "grant_type": "password", "username": f"{username}@example.org", "password": PASSWORD,
            "client_id": app["client_id"], "client_secret": app["client_secret"], "scope": "read",
        })  # fmt: skip
        return str(token.json()["access_token"])


async def resolve(node: NodeProcess, token: str, url: str) -> list[dict[str, object]]:
    async with httpx.AsyncClient(base_url=node.url, timeout=30.0) as client:
        found = await client.get(
            "/api/v2/search",
            params={"q": url, "resolve": "true", "type": "statuses"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert found.status_code == 200, found.text
        return found.json()["statuses"]  # type: ignore[no-any-return]


async def test_a_post_opens_from_a_peer_while_its_home_is_offline(tmp_path: Path) -> None:
    started = [
        prepare_node(tmp_path, host, [name])
        for host, name in zip(HOSTS, ("alice", "bob", "carol"), strict=True)
    ]
    start_all(*started)
    alice_node, bob_node, carol_node = started
    alice = await Person(alice_node, "alice").login()
    bob = await Person(bob_node, "bob").login()
    carol = await Person(carol_node, "carol").login()
    actor = f"{alice_node.url}/users/alice"
    try:
        await follow(bob, alice)  # Bob's node replicates Alice's log
        assert alice.handle in (await carol.get(f"/@{alice.handle}")).text  # Carol knows of her
        post_id = await alice.publish("Open me from anywhere")
        uri = f"{actor}/statuses/{post_id}"
        other_id = await alice.publish("Named by my key, not by my server")
        did = alice_did(alice_node)
        length = log_length(alice_node, actor)
        await eventually(lambda: holds(log_length(bob_node, actor) == length), what="on Bob's")
        alice_node.stop()

        token = await api_token(carol_node, "carol")
        assert await resolve(carol_node, token, uri) == []  # no peer known yet
        run_cli("peer", "add", bob_node.url, "--data", str(carol_node.data), env=carol_node.env)
        found = await resolve(carol_node, token, uri)
        assert [status["uri"] for status in found] == [uri]
        assert "Open me from anywhere" in str(found[0]["content"])
        # The same by its portable id (FEP-ef61): named by Alice's key, not by her server.
        portable = f"ap://{did}/users/alice/statuses/{other_id}"
        found = await resolve(carol_node, token, portable)
        assert [status["uri"] for status in found] == [f"{actor}/statuses/{other_id}"]
    finally:
        for person in (alice, bob, carol):
            await person.close()
        for node in started:
            node.stop()


def alice_did(node: NodeProcess) -> str:
    with sqlite3.connect(node.data / "bocage.db") as db:
        return str(db.execute("SELECT did FROM accounts WHERE username = 'alice'").fetchone()[0])


async def test_a_post_seen_in_passing_is_kept_signed_and_re_served(tmp_path: Path) -> None:
    """Bob does not follow Alice: his node only opened her post once, by its link. It kept
    the post as Alice signed it, and serves it to Carol's node when Alice's is offline."""
    hosts = (loopback(0, 28), loopback(0, 29), loopback(0, 30))
    started = [
        prepare_node(tmp_path, host, [name])
        for host, name in zip(hosts, ("alice", "bob", "carol"), strict=True)
    ]
    start_all(*started)
    alice_node, bob_node, carol_node = started
    alice = await Person(alice_node, "alice").login()
    carol = await Person(carol_node, "carol").login()
    actor = f"{alice_node.url}/users/alice"
    try:
        uri = f"{actor}/statuses/{await alice.publish('Seen once, kept signed')}"
        assert alice.handle in (await carol.get(f"/@{alice.handle}")).text
        bob_token = await api_token(bob_node, "bob")
        assert [s["uri"] for s in await resolve(bob_node, bob_token, uri)] == [uri]
        assert log_length(bob_node, actor) == 0  # no replica: only the post itself
        alice_node.stop()

        run_cli("peer", "add", bob_node.url, "--data", str(carol_node.data), env=carol_node.env)
        found = await resolve(carol_node, await api_token(carol_node, "carol"), uri)
        assert [status["uri"] for status in found] == [uri]
    finally:
        await alice.close()
        await carol.close()
        for node in started:
            node.stop()
