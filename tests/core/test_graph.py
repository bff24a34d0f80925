"""The social graph: follows, follow requests, blocks, mutes and relationships."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bocage.core.graph import graph
from bocage.kernel.errors import Forbidden, InvalidInput, NotFound
from bocage.node import Node
from bocage.store.models import Account, Follow, LogEntry
from tests.core.helpers import fresh, suspend, user


def counts(node: Node, account: Account) -> tuple[int, int]:
    stored = fresh(node, account)
    return stored.followers_count, stored.following_count


def relation(node: Node, viewer: Account, target: Account) -> graph.Relationship:
    with node.db.snapshot() as session:
        return graph.relationship(session, viewer.id, target.id)


def follow_row(node: Node, follower: Account, target: Account) -> Follow | None:
    with node.db.snapshot() as session:
        return session.get(Follow, (follower.id, target.id))


def log_types(node: Node, account: Account) -> list[str]:
    with node.db.snapshot() as session:
        rows = session.execute(
            select(LogEntry.activity_type)
            .where(LogEntry.account_id == account.id)
            .order_by(LogEntry.seq)
        )
        return list(rows.scalars())


def test_follow_and_unfollow_an_unlocked_account(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob")
    with node.db.transaction() as session:
        row = graph.follow(session, node.ctx, alice, bob)
        again = graph.follow(session, node.ctx, alice, bob)
    assert row.accepted is True
    assert again is row
    assert counts(node, bob) == (1, 0)
    assert counts(node, alice) == (0, 1)
    assert relation(node, alice, bob) == graph.Relationship(following=True, showing_reblogs=True)
    assert relation(node, bob, alice) == graph.Relationship(followed_by=True)
    assert log_types(node, alice) == ["Follow"]
    assert log_types(node, bob) == ["Accept"]
    with node.db.snapshot() as session:
        assert [a.id for a in graph.followers(session, bob)] == [alice.id]
        assert [a.id for a in graph.following(session, alice)] == [bob.id]
        assert graph.followers(session, alice) == []

    # Following again changes nothing; unfollowing (twice) undoes it.
    for _ in range(2):
        with node.db.transaction() as session:
            graph.unfollow(session, node.ctx, alice, bob)
    assert follow_row(node, alice, bob) is None
    assert counts(node, bob) == (0, 0)
    assert counts(node, alice) == (0, 0)
    assert log_types(node, alice) == ["Follow", "Undo"]

    # Nobody can follow themselves or a suspended account.
    carol = user(node, "carol")
    suspend(node, carol)
    carol = fresh(node, carol)
    with node.db.transaction() as session:
        with pytest.raises(InvalidInput):
            graph.follow(session, node.ctx, alice, alice)
        with pytest.raises(NotFound):
            graph.follow(session, node.ctx, alice, carol)
    assert counts(node, alice) == (0, 0)


def test_follow_requests_on_a_locked_account(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob", locked=True)
    with node.db.transaction() as session:
        row = graph.follow(session, node.ctx, alice, bob)
    assert row.accepted is False
    assert counts(node, bob) == (0, 0)
    assert counts(node, alice) == (0, 0)
    assert relation(node, alice, bob) == graph.Relationship(requested=True, showing_reblogs=True)
    assert relation(node, bob, alice) == graph.Relationship(requested_by=True)
    with node.db.snapshot() as session:
        assert [a.id for a in graph.pending_requests(session, bob)] == [alice.id]
        assert graph.followers(session, bob) == []

    with node.db.transaction() as session:
        graph.accept_request(session, node.ctx, bob, alice.id)
    assert counts(node, bob) == (1, 0)
    assert counts(node, alice) == (0, 1)
    assert relation(node, alice, bob) == graph.Relationship(following=True, showing_reblogs=True)
    assert log_types(node, bob) == ["Accept"]
    with node.db.snapshot() as session:
        assert graph.pending_requests(session, bob) == []
    # There is nothing left to accept.
    with node.db.transaction() as session:
        with pytest.raises(NotFound):
            graph.accept_request(session, node.ctx, bob, alice.id)

    # A rejected request is gone, and can be made again.
    dave = user(node, "dave")
    with node.db.transaction() as session:
        graph.follow(session, node.ctx, dave, bob)
    with node.db.transaction() as session:
        graph.reject_request(session, node.ctx, bob, dave.id)
    assert follow_row(node, dave, bob) is None
    assert counts(node, bob) == (1, 0)  # alice only
    assert counts(node, dave) == (0, 0)
    assert relation(node, dave, bob) == graph.Relationship()
    assert log_types(node, bob) == ["Accept", "Reject"]
    with node.db.transaction() as session:
        with pytest.raises(NotFound):
            graph.reject_request(session, node.ctx, bob, dave.id)
    # A new request can be made afterwards.
    with node.db.transaction() as session:
        assert (graph.follow(session, node.ctx, dave, bob)).accepted is False

    # Withdrawing a request changes no counts.
    erin = user(node, "erin")
    frank = user(node, "frank")
    with node.db.transaction() as session:
        graph.follow(session, node.ctx, erin, bob)
        graph.accept_request(session, node.ctx, bob, erin.id)
        graph.follow(session, node.ctx, frank, bob)
        graph.unfollow(session, node.ctx, frank, bob)
    assert follow_row(node, frank, bob) is None
    assert counts(node, bob) == (2, 0)  # alice and erin
    assert counts(node, frank) == (0, 0)


def test_block_removes_follows_both_ways_and_forbids_following(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob")
    with node.db.transaction() as session:
        graph.follow(session, node.ctx, alice, bob)
        graph.follow(session, node.ctx, bob, alice)
    assert counts(node, alice) == (1, 1)
    with node.db.transaction() as session:
        graph.block(session, node.ctx, alice, bob)
        graph.block(session, node.ctx, alice, bob)  # idempotent
    assert follow_row(node, alice, bob) is None
    assert follow_row(node, bob, alice) is None
    assert counts(node, alice) == (0, 0)
    assert counts(node, bob) == (0, 0)
    assert relation(node, alice, bob) == graph.Relationship(blocking=True)
    assert relation(node, bob, alice) == graph.Relationship(blocked_by=True)
    assert (log_types(node, alice))[-1] == "Block"
    assert (log_types(node, alice)).count("Block") == 1
    for follower, target in ((bob, alice), (alice, bob)):
        with node.db.transaction() as session:
            with pytest.raises(Forbidden):
                graph.follow(session, node.ctx, follower, target)
    with node.db.transaction() as session:
        with pytest.raises(InvalidInput):
            graph.block(session, node.ctx, alice, alice)

    for _ in range(2):
        with node.db.transaction() as session:
            graph.unblock(session, node.ctx, alice, bob)
    assert relation(node, alice, bob) == graph.Relationship()
    assert (log_types(node, alice))[-2:] == ["Block", "Undo"]
    with node.db.transaction() as session:
        assert (graph.follow(session, node.ctx, bob, alice)).accepted is True

    # A block also removes a pending request.
    locked = user(node, "locked", locked=True)
    carol = user(node, "carol")
    with node.db.transaction() as session:
        graph.follow(session, node.ctx, carol, locked)
    with node.db.transaction() as session:
        graph.block(session, node.ctx, locked, carol)
    assert follow_row(node, carol, locked) is None
    assert counts(node, locked) == (0, 0)
    with node.db.snapshot() as session:
        assert graph.pending_requests(session, locked) == []


def test_mute_and_relationships(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob")
    with node.db.transaction() as session:
        graph.follow(session, node.ctx, alice, bob)
        graph.mute(session, alice, bob)
        graph.mute(session, alice, bob)  # idempotent
        with pytest.raises(InvalidInput):
            graph.mute(session, alice, alice)
    # A mute is private: it is not signed, and it leaves the follow alone.
    assert relation(node, alice, bob) == graph.Relationship(
        following=True, showing_reblogs=True, muting=True, muting_notifications=True
    )
    assert relation(node, bob, alice) == graph.Relationship(followed_by=True)
    assert log_types(node, alice) == ["Follow"]
    with node.db.transaction() as session:
        graph.unmute(session, alice, bob)
    assert relation(node, alice, bob) == graph.Relationship(following=True, showing_reblogs=True)

    # Relationship flags of a request answered by a follow.
    carol = user(node, "carol")
    dave = user(node, "dave", locked=True)
    with node.db.transaction() as session:
        graph.follow(session, node.ctx, dave, carol)
        graph.follow(session, node.ctx, carol, dave)
    assert relation(node, carol, dave) == graph.Relationship(
        requested=True, showing_reblogs=True, followed_by=True
    )
    assert relation(node, dave, carol) == graph.Relationship(
        following=True, showing_reblogs=True, requested_by=True
    )
