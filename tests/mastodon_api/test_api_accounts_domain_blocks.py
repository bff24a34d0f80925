"""A person's own domain block across two real nodes, driven by Mastodon.py on both sides:
what Mastodon does when alice (first node) hides carol's server (second node). Their follows
end both ways (carol's server is told), carol's posts and boosts of them leave alice's
timelines (not bob's, on alice's node, who follows carol too), carol's mentions no longer
notify alice, carol cannot follow alice again; unblocking brings her posts back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mastodon import Mastodon

from tests.addresses import loopback
from tests.federation.helpers import prepare_node
from tests.mastodon_api.test_accounts_extras import eventually
from tests.mastodon_api.test_mastodon_py import logged_in
from tests.processes import NodeProcess, running

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("api_accounts_domain_blocks")]
EVERYTHING = ["read", "write", "follow"]
BLOCK = 41  # this module's loopback block


@pytest.fixture(scope="module")
def two_nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[NodeProcess, ...]]:
    root: Path = tmp_path_factory.mktemp("domain_blocks")
    first = prepare_node(root, loopback(BLOCK, 1), ["alice", "bob"])
    second = prepare_node(root, loopback(BLOCK, 2), ["carol"])
    with running(first, second) as started:
        yield started


def resolve(client: Mastodon, node: NodeProcess, username: str) -> Any:
    """The account `username@node` as `client`'s server knows it (looked up there)."""
    found = client.search_v2(f"{username}@{node.host}:{node.port}", resolve=True)
    assert found.accounts, f"{username} not found"
    return found.accounts[0]


def texts(statuses: list[Any]) -> list[str]:
    return [(s.reblog or s).content for s in statuses]


def shows(statuses: list[Any], words: str) -> bool:
    return any(words in text for text in texts(statuses))


def test_hiding_a_server(two_nodes: tuple[NodeProcess, NodeProcess]) -> None:
    first, second = two_nodes
    alice = logged_in(first, "alice", EVERYTHING)
    bob = logged_in(first, "bob", EVERYTHING)
    carol = logged_in(second, "carol", EVERYTHING)
    carol_here = resolve(alice, second, "carol")
    alice_there = resolve(carol, first, "alice")
    domain = f"{second.host}:{second.port}"

    alice.account_follow(carol_here.id)
    bob.account_follow(carol_here.id)
    carol.account_follow(alice_there.id)
    assert eventually(lambda: alice.account_relationships(carol_here.id)[0].following)
    assert eventually(lambda: carol.account_relationships(alice_there.id)[0].following)
    bob_id = bob.me().id
    alice.account_follow(bob_id)

    # What carol says of her account reaches alice's node with her profile's Update.
    carol.account_update_credentials(bot=True, discoverable=True)
    assert eventually(lambda: alice.account(carol_here.id).bot)
    assert carol_here.id in [a.id for a in alice.directory()]
    assert carol_here.id not in [a.id for a in alice.directory(local=True)]

    carol.status_post("carol before the block")
    assert eventually(lambda: shows(alice.timeline_home(), "carol before the block"))
    assert eventually(lambda: shows(alice.timeline_public(remote=True), "carol before"))
    assert eventually(lambda: shows(bob.timeline_home(), "carol before the block"))
    carols = next(s for s in bob.timeline_home() if "carol before" in s.content)
    reply = bob.status_post("bob answers carol", in_reply_to_id=carols.id)
    assert texts(alice.status_context(reply.id).ancestors) == [carols.content]

    alice.domain_block(domain)
    assert list(alice.domain_blocks()) == [domain]
    shown = alice.account_relationships(carol_here.id)[0]
    assert shown.domain_blocking and not shown.following and not shown.followed_by
    assert not bob.account_relationships(carol_here.id)[0].domain_blocking  # alice's alone
    # carol's server is told: she no longer follows alice, nor alice her.
    assert eventually(lambda: not carol.account_relationships(alice_there.id)[0].following)
    assert eventually(lambda: not carol.account_relationships(alice_there.id)[0].followed_by)
    assert not shows(alice.timeline_home(), "carol before")
    assert not shows(alice.timeline_public(remote=True), "carol before")
    assert carol_here.id not in [a.id for a in alice.directory()]
    assert carol_here.id in [a.id for a in bob.directory()]
    assert alice.status_context(reply.id).ancestors == []  # a thread leaves carol out too
    assert texts(bob.status_context(reply.id).ancestors) == [carols.content]

    # New posts reach the node through bob, who follows carol: not alice's timelines.
    carol.status_post("carol after the block")
    assert eventually(lambda: shows(bob.timeline_home(), "carol after the block"))
    boosted = next(s for s in bob.timeline_home() if "carol after" in s.content)
    bob.status_reblog(boosted.id)
    bob.status_post("bob's own words")
    assert eventually(lambda: shows(alice.timeline_home(), "bob's own words"))
    assert not shows(alice.timeline_home(), "carol after the block")  # nor bob's boost of it
    assert not shows(alice.timeline_public(), "carol after the block")

    # A mention from there notifies bob, not alice.
    here = f"{first.host}:{first.port}"
    carol.status_post(f"@alice@{here} and @bob@{here}, hello")
    assert eventually(
        lambda: any(n.type == "mention" for n in bob.notifications(types=["mention"]))
    )
    assert [n for n in alice.notifications() if n.account.id == carol_here.id] == []

    # carol cannot follow alice again while the block stands.
    carol.account_follow(alice_there.id)
    assert eventually(
        lambda: (
            not carol.account_relationships(alice_there.id)[0].requested
            and not carol.account_relationships(alice_there.id)[0].following
        )
    )
    assert not alice.account_relationships(carol_here.id)[0].followed_by

    alice.domain_unblock(domain)
    assert not alice.account_relationships(carol_here.id)[0].domain_blocking
    assert shows(alice.timeline_public(remote=True), "carol after the block")
    assert texts(alice.status_context(reply.id).ancestors) == [carols.content]
