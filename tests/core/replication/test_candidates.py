"""What a peer may teach (core/replication/peers.py, docs/protocol.md "Discovery"), on both
databases: the nodes a peer names in a clock exchange are candidates, never peers; a bounded
number per teaching peer and in all; never an address the node must not contact; each asked
once; forgotten when never confirmed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from bocage.core.replication import peers
from bocage.federation.client import AddressPolicy
from bocage.kernel.clock import now
from bocage.node import Node
from bocage.p2p.sync import contactable
from bocage.store.models import PeerCandidate

OWN = "http://127.0.0.1:8000"
TEACHER = "https://teacher.example"
PUBLIC = AddressPolicy(allow_loopback=False)


def teach(
    node: Node, urls: list[str], teacher: str = TEACHER, policy: AddressPolicy = PUBLIC
) -> int:
    with node.db.transaction() as session:
        return peers.teach(session, contactable(urls, policy), teacher=teacher, own=OWN)


def waiting(node: Node) -> dict[str, str]:
    """Candidate URL -> the peer that taught it."""
    with node.db.snapshot() as session:
        return {c.url: c.taught_by for c in peers.candidates(session)}


def peer_urls(node: Node) -> set[str]:
    with node.db.snapshot() as session:
        return {peer.url for peer in peers.listed(session)}


def ask(node: Node) -> list[str]:
    with node.db.transaction() as session:
        return peers.candidates_to_ask(session)


def test_a_peer_teaches_candidates_never_peers_and_at_most_its_share(node: Node) -> None:
    taught = [f"https://node{n}.example/some/path" for n in range(200)]
    assert teach(node, taught) == peers.TAUGHT_PER_PEER
    assert peer_urls(node) == set()
    assert waiting(node) == {f"https://node{n}.example": TEACHER for n in range(20)}
    # The same list again, or another: nothing more from that peer while its share waits.
    assert teach(node, [f"https://other{n}.example" for n in range(50)]) == 0
    assert len(waiting(node)) == peers.TAUGHT_PER_PEER


def test_all_peers_together_teach_at_most_the_overall_bound(node: Node) -> None:
    for t in range(peers.MAX_CANDIDATES // peers.TAUGHT_PER_PEER + 3):
        teach(node, [f"https://t{t}-n{n}.example" for n in range(30)], f"https://t{t}.example")
    assert len(waiting(node)) == peers.MAX_CANDIDATES


def test_only_nodes_this_node_may_contact_are_taught(node: Node) -> None:
    with node.db.transaction() as session:
        peers.remember(session, "https://known.example", "manual", own=OWN)
    offered = [
        "https://10.0.0.8", "https://192.168.1.1:8443", "https://127.0.0.1", "https://[::1]",
        "https://169.254.169.254", "https://[64:ff9b::a00:1]", "http://plain.example",
        "ftp://files.example", "not a url", OWN, "https://known.example/x",
        "https://NEW.example/a", "https://new.example/b", "https://[2a00:1450::1]",
    ]  # fmt: skip
    assert teach(node, offered) == 2
    assert set(waiting(node)) == {"https://new.example", "https://[2a00:1450::1]"}
    # In development mode (insecure_loopback), loopback and plain http are nodes too.
    development = AddressPolicy(allow_loopback=True)
    assert teach(node, ["http://127.0.5.9:8000", "https://10.0.0.8"], "https://t2.example",
                 development) == 1  # fmt: skip


def test_each_candidate_is_asked_once_and_a_node_becomes_a_peer(node: Node) -> None:
    teach(node, [f"https://node{n:02d}.example" for n in range(20)])
    first, second = ask(node), ask(node)
    assert len(first) == len(second) == peers.ASKED_PER_SYNC
    assert set(first) | set(second) == set(waiting(node)) and ask(node) == []
    with node.db.transaction() as session:
        peers.confirmed(session, first[0], own=OWN)
        for url in first[1:]:
            peers.unconfirmed(session, url, "the clock exchange answered 404")
    assert peer_urls(node) == {first[0]}
    # Taught again, by anyone: still asked, never asked again, never a peer.
    assert teach(node, first, "https://another.example") == 0
    assert ask(node) == [] and peer_urls(node) == {first[0]}


def test_candidates_never_confirmed_are_forgotten(node: Node) -> None:
    teach(node, [f"https://node{n}.example" for n in range(20)])
    ask(node)
    with node.db.transaction() as session:
        old = now() - peers.CANDIDATE_LIFE - timedelta(minutes=1)
        session.execute(update(PeerCandidate).values(learned_at=old))
    assert ask(node) == [] and waiting(node) == {}
    # Its share is free again: the same peer may name nodes again (asked once more each).
    assert teach(node, ["https://node1.example"]) == 1 and ask(node) == ["https://node1.example"]


def test_a_known_peer_takes_its_strongest_reason(node: Node) -> None:
    """A pub first met when it asked for our clock, then found among a followed author's
    gateways, is listed as a gateway; a weaker reason never demotes it."""
    with node.db.transaction() as session:
        peers.remember(session, "https://pub.example", "exchange", own=OWN)
        peers.remember(session, "https://pub.example/x", "gateway", own=OWN)
        peers.remember(session, "https://pub.example", "lan", own=OWN)
        peers.remember(session, "https://pub.example", "exchange", own=OWN)
    with node.db.transaction() as session:
        assert [(p.url, p.source) for p in peers.listed(session)] == [
            ("https://pub.example", "gateway")
        ]
