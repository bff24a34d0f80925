"""The social graph: follows, follow requests, blocks, mutes and relationships."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bocage.core import graph
from bocage.core.errors import Forbidden, InvalidInput, NotFound
from bocage.node import Node
from bocage.store.models import Account, Follow, LogEntry
from tests.core.helpers import fresh, suspend, user


async def counts(node: Node, account: Account) -> tuple[int, int]:
    stored = await fresh(node, account)
    return stored.followers_count, stored.following_count


async def relation(node: Node, viewer: Account, target: Account) -> graph.Relationship:
    async with node.db.read() as session:
        return await graph.relationship(session, viewer.id, target.id)


async def follow_row(node: Node, follower: Account, target: Account) -> Follow | None:
    async with node.db.read() as session:
        return await session.get(Follow, (follower.id, target.id))


async def log_types(node: Node, account: Account) -> list[str]:
    async with node.db.read() as session:
        rows = await session.execute(
            select(LogEntry.activity_type)
            .where(LogEntry.account_id == account.id)
            .order_by(LogEntry.seq)
        )
        return list(rows.scalars())


async def test_follow_and_unfollow_an_unlocked_account(node: Node) -> None:
    alice = await user(node, "alice")
    bob = await user(node, "bob")
    async with node.db.write() as session:
        row = await graph.follow(session, node.ctx, alice, bob)
        again = await graph.follow(session, node.ctx, alice, bob)
    assert row.accepted is True
    assert again is row
    assert await counts(node, bob) == (1, 0)
    assert await counts(node, alice) == (0, 1)
    assert await relation(node, alice, bob) == graph.Relationship(following=True)
    assert await relation(node, bob, alice) == graph.Relationship(followed_by=True)
    assert await log_types(node, alice) == ["Follow"]
    assert await log_types(node, bob) == ["Accept"]
    async with node.db.read() as session:
        assert [a.id for a in await graph.followers(session, bob)] == [alice.id]
        assert [a.id for a in await graph.following(session, alice)] == [bob.id]
        assert await graph.followers(session, alice) == []

    # Following again changes nothing; unfollowing (twice) undoes it.
    for _ in range(2):
        async with node.db.write() as session:
            await graph.unfollow(session, node.ctx, alice, bob)
    assert await follow_row(node, alice, bob) is None
    assert await counts(node, bob) == (0, 0)
    assert await counts(node, alice) == (0, 0)
    assert await log_types(node, alice) == ["Follow", "Undo"]

    # Nobody can follow themselves or a suspended account.
    carol = await user(node, "carol")
    await suspend(node, carol)
    carol = await fresh(node, carol)
    async with node.db.write() as session:
        with pytest.raises(InvalidInput):
            await graph.follow(session, node.ctx, alice, alice)
        with pytest.raises(NotFound):
            await graph.follow(session, node.ctx, alice, carol)
    assert await counts(node, alice) == (0, 0)


async def test_follow_requests_on_a_locked_account(node: Node) -> None:
    alice = await user(node, "alice")
    bob = await user(node, "bob", locked=True)
    async with node.db.write() as session:
        row = await graph.follow(session, node.ctx, alice, bob)
    assert row.accepted is False
    assert await counts(node, bob) == (0, 0)
    assert await counts(node, alice) == (0, 0)
    assert await relation(node, alice, bob) == graph.Relationship(requested=True)
    assert await relation(node, bob, alice) == graph.Relationship()
    async with node.db.read() as session:
        assert [a.id for a in await graph.pending_requests(session, bob)] == [alice.id]
        assert await graph.followers(session, bob) == []

    async with node.db.write() as session:
        await graph.accept_request(session, node.ctx, bob, alice.id)
    assert await counts(node, bob) == (1, 0)
    assert await counts(node, alice) == (0, 1)
    assert await relation(node, alice, bob) == graph.Relationship(following=True)
    assert await log_types(node, bob) == ["Accept"]
    async with node.db.read() as session:
        assert await graph.pending_requests(session, bob) == []
    # There is nothing left to accept.
    async with node.db.write() as session:
        with pytest.raises(NotFound):
            await graph.accept_request(session, node.ctx, bob, alice.id)

    # A rejected request is gone, and can be made again.
    dave = await user(node, "dave")
    async with node.db.write() as session:
        await graph.follow(session, node.ctx, dave, bob)
    async with node.db.write() as session:
        await graph.reject_request(session, node.ctx, bob, dave.id)
    assert await follow_row(node, dave, bob) is None
    assert await counts(node, bob) == (1, 0)  # alice only
    assert await counts(node, dave) == (0, 0)
    assert await relation(node, dave, bob) == graph.Relationship()
    assert await log_types(node, bob) == ["Accept", "Reject"]
    async with node.db.write() as session:
        with pytest.raises(NotFound):
            await graph.reject_request(session, node.ctx, bob, dave.id)
    # A new request can be made afterwards.
    async with node.db.write() as session:
        assert (await graph.follow(session, node.ctx, dave, bob)).accepted is False

    # Withdrawing a request changes no counts.
    erin = await user(node, "erin")
    frank = await user(node, "frank")
    async with node.db.write() as session:
        await graph.follow(session, node.ctx, erin, bob)
        await graph.accept_request(session, node.ctx, bob, erin.id)
        await graph.follow(session, node.ctx, frank, bob)
        await graph.unfollow(session, node.ctx, frank, bob)
    assert await follow_row(node, frank, bob) is None
    assert await counts(node, bob) == (2, 0)  # alice and erin
    assert await counts(node, frank) == (0, 0)


async def test_block_removes_follows_both_ways_and_forbids_following(node: Node) -> None:
    alice = await user(node, "alice")
    bob = await user(node, "bob")
    async with node.db.write() as session:
        await graph.follow(session, node.ctx, alice, bob)
        await graph.follow(session, node.ctx, bob, alice)
    assert await counts(node, alice) == (1, 1)
    async with node.db.write() as session:
        await graph.block(session, node.ctx, alice, bob)
        await graph.block(session, node.ctx, alice, bob)  # idempotent
    assert await follow_row(node, alice, bob) is None
    assert await follow_row(node, bob, alice) is None
    assert await counts(node, alice) == (0, 0)
    assert await counts(node, bob) == (0, 0)
    assert await relation(node, alice, bob) == graph.Relationship(blocking=True)
    assert await relation(node, bob, alice) == graph.Relationship(blocked_by=True)
    assert (await log_types(node, alice))[-1] == "Block"
    assert (await log_types(node, alice)).count("Block") == 1
    for follower, target in ((bob, alice), (alice, bob)):
        async with node.db.write() as session:
            with pytest.raises(Forbidden):
                await graph.follow(session, node.ctx, follower, target)
    async with node.db.write() as session:
        with pytest.raises(InvalidInput):
            await graph.block(session, node.ctx, alice, alice)

    for _ in range(2):
        async with node.db.write() as session:
            await graph.unblock(session, node.ctx, alice, bob)
    assert await relation(node, alice, bob) == graph.Relationship()
    assert (await log_types(node, alice))[-2:] == ["Block", "Undo"]
    async with node.db.write() as session:
        assert (await graph.follow(session, node.ctx, bob, alice)).accepted is True

    # A block also removes a pending request.
    locked = await user(node, "locked", locked=True)
    carol = await user(node, "carol")
    async with node.db.write() as session:
        await graph.follow(session, node.ctx, carol, locked)
    async with node.db.write() as session:
        await graph.block(session, node.ctx, locked, carol)
    assert await follow_row(node, carol, locked) is None
    assert await counts(node, locked) == (0, 0)
    async with node.db.read() as session:
        assert await graph.pending_requests(session, locked) == []


async def test_mute_and_relationships(node: Node) -> None:
    alice = await user(node, "alice")
    bob = await user(node, "bob")
    async with node.db.write() as session:
        await graph.follow(session, node.ctx, alice, bob)
        await graph.mute(session, alice, bob)
        await graph.mute(session, alice, bob)  # idempotent
        with pytest.raises(InvalidInput):
            await graph.mute(session, alice, alice)
    # A mute is private: it is not signed, and it leaves the follow alone.
    assert await relation(node, alice, bob) == graph.Relationship(following=True, muting=True)
    assert await relation(node, bob, alice) == graph.Relationship(followed_by=True)
    assert await log_types(node, alice) == ["Follow"]
    async with node.db.write() as session:
        await graph.unmute(session, alice, bob)
    assert await relation(node, alice, bob) == graph.Relationship(following=True)

    # Relationship flags of a request answered by a follow.
    carol = await user(node, "carol")
    dave = await user(node, "dave", locked=True)
    async with node.db.write() as session:
        await graph.follow(session, node.ctx, dave, carol)
        await graph.follow(session, node.ctx, carol, dave)
    assert await relation(node, carol, dave) == graph.Relationship(requested=True, followed_by=True)
    assert await relation(node, dave, carol) == graph.Relationship(following=True)
