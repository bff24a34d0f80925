"""The heart of Bocage, with three real nodes: Bob and Carol follow Alice; Alice posts and
closes her laptop; Carol, offline until then, gets Alice's posts from Bob's node, verified as
Alice's own words; what Alice deleted never comes back."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.addresses import loopback
from tests.federation.helpers import Person, eventually, prepare_node
from tests.p2p.helpers import follow, holds, home_has, log_length, sync
from tests.processes import NodeProcess, run_cli, running

HOSTS = (loopback(0, 5), loopback(0, 6), loopback(0, 7))


@pytest.fixture
def three(tmp_path: Path) -> Iterator[list[NodeProcess]]:
    made = [
        prepare_node(tmp_path, host, [user])
        for host, user in zip(HOSTS, ("alice", "bob", "carol"), strict=True)
    ]
    with running(*made):
        yield made


def new_entries(output: str) -> int:
    found = re.search(r"(\d+) new entries", output)
    assert found, output
    return int(found.group(1))


async def test_carol_gets_alices_posts_from_bob_while_alice_is_offline(
    three: list[NodeProcess],
) -> None:
    alice_node, bob_node, carol_node = three
    alice, bob, carol = [
        await Person(node, name).login()
        for node, name in zip(three, ("alice", "bob", "carol"), strict=True)
    ]
    try:
        await follow(bob, alice)
        await follow(carol, alice)
        carol_node.stop()  # Carol goes offline

        for n in range(3):
            await alice.publish(f"Alice's words number {n}")
        deleted = await alice.publish("Alice will take this back")
        await alice.post(f"/posts/{deleted}/delete")
        # Bob's node replicates Alice's log: live since Bob followed her, or by this sync.
        sync(bob_node)
        actor = f"{alice_node.url}/users/alice"
        alice_length = log_length(alice_node, actor)
        assert alice_length >= 6  # accepts, 4 posts, a Delete
        await eventually(lambda: holds(log_length(bob_node, actor) == alice_length),
                         what="Alice's whole log on Bob's node")  # fmt: skip

        alice_node.stop()  # Alice closes her laptop
        carol_node.start()
        carol.client = httpx.AsyncClient(base_url=carol_node.url, timeout=20.0)
        await carol.login()
        run_cli("peer", "add", bob_node.url, "--data", str(carol_node.data), env=carol_node.env)
        # Carol's node also syncs by itself after starting: either run may fetch the entries.
        sync(carol_node)
        for n in range(3):
            text = f"Alice's words number {n}"
            await eventually(lambda t=text: home_has(carol, t), what=f"{text} on Carol's home")
        assert not await home_has(carol, "Alice will take this back")

        # Syncing again brings nothing new, and never the deleted post.
        assert new_entries(sync(carol_node)) == 0
        assert not await home_has(carol, "Alice will take this back")
        listed = run_cli("peer", "list", "--data", str(carol_node.data), env=carol_node.env)
        assert bob_node.url in listed.stdout and "ok" in listed.stdout
    finally:
        for person in (alice, bob, carol):
            await person.close()


@pytest.mark.xdist_group("lan")  # mDNS on loopback: one LAN test at a time (tests/conftest.py)
async def test_two_nodes_on_one_network_find_each_other(tmp_path: Path) -> None:
    """DNS-SD over mDNS (on loopback here): no address given, no internet needed."""
    lan = {"BOCAGE_LAN_DISCOVERY": "1", "BOCAGE_LAN_INTERFACES": '["127.0.0.1"]'}

    async def listed_by(node: NodeProcess, other: NodeProcess) -> bool:
        shown = run_cli("peer", "list", "--data", str(node.data), env=node.env).stdout
        return any(other.url in line and " lan " in line for line in shown.splitlines())

    first = prepare_node(tmp_path, HOSTS[0], ["ann"], lan)
    second = prepare_node(tmp_path, HOSTS[1], ["ben"], lan)
    try:
        # One after the other, not side by side (`start_all`): a node that first meets the
        # other when it asks for its clock lists it as "exchange", a stronger reason than
        # "lan" (bocage/p2p/peers.py), as two nodes starting at once often do.
        first.start()
        second.start()
        # Each look is a `bocage peer list` (a cold start): generous on a loaded machine.
        await eventually(lambda: listed_by(first, second), within=60, what="second on first")
        await eventually(lambda: listed_by(second, first), within=60, what="first on second")
    finally:
        first.stop()
        second.stop()


async def test_following_starts_replication_and_new_entries_arrive_live(tmp_path: Path) -> None:
    """No periodic sync here (an hour apart): following syncs at once, then the follower's
    node stays subscribed to Alice's log over a WebSocket."""
    hourly = {"BOCAGE_SYNC_INTERVAL_SECONDS": "3600"}
    made = [
        prepare_node(tmp_path, HOSTS[0], ["alice"], hourly),
        prepare_node(tmp_path, HOSTS[1], ["bob"], hourly),
    ]
    with running(*made) as (alice_node, bob_node):
        alice = await Person(alice_node, "alice").login()
        bob = await Person(bob_node, "bob").login()
        actor = f"{alice_node.url}/users/alice"
        try:
            await follow(bob, alice)
            await eventually(lambda: holds(log_length(bob_node, actor) >= 1), what="first sync")
            before = log_length(bob_node, actor)
            for n in range(3):
                await alice.publish(f"live words {n}")
            await eventually(
                lambda: holds(log_length(bob_node, actor) == before + 3),
                within=10,
                what="three new entries on Bob's node, live",
            )
        finally:
            await alice.close()
            await bob.close()
