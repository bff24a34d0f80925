"""Who may see what: one rule (`visibility.visible_to`) for every face and timeline."""

from __future__ import annotations

import pytest

from bocage.core import graph, posts, timelines
from bocage.core.errors import NotFound
from bocage.core.visibility import can_see
from bocage.node import Node
from bocage.store.models import Account, Post
from tests.core.helpers import boost, follow, post, suspend, user


async def sees(node: Node, viewer: Account | None, target: Post) -> bool:
    """Ask both the single-post check and `get_visible`, and require them to agree."""
    viewer_id = viewer.id if viewer else None
    async with node.db.read() as session:
        fresh = await session.get(Post, target.id)
        assert fresh is not None
        allowed = await can_see(session, viewer_id, fresh)
        try:
            await posts.get_visible(session, viewer_id, target.id)
            fetched = True
        except NotFound:
            fetched = False
    assert allowed == fetched
    return allowed


async def test_public_unlisted_and_direct_posts(node: Node) -> None:
    alice = await user(node, "alice")
    bob = await user(node, "bob")
    for visibility in ("public", "unlisted"):
        shown = await post(node, alice, visibility, visibility=visibility)
        assert await sees(node, alice, shown)
        assert await sees(node, bob, shown)
        assert await sees(node, None, shown)

    # A direct post: only the author and the mentioned.
    follower = await user(node, "follower")
    stranger = await user(node, "stranger")
    await follow(node, follower, alice)
    direct = await post(node, alice, "psst @bob", visibility="direct")
    assert await sees(node, alice, direct)
    assert await sees(node, bob, direct)
    assert not await sees(node, follower, direct)
    assert not await sees(node, stranger, direct)
    assert not await sees(node, None, direct)


async def test_followers_only_post(node: Node) -> None:
    alice = await user(node, "alice", locked=True)
    follower = await user(node, "follower")
    requester = await user(node, "requester")
    mentioned = await user(node, "mentioned")
    stranger = await user(node, "stranger")
    async with node.db.write() as session:
        await graph.follow(session, node.ctx, follower, alice)
        await graph.follow(session, node.ctx, requester, alice)
        await graph.accept_request(session, node.ctx, alice, follower.id)
    secret = await post(node, alice, "for my followers and @mentioned", visibility="private")
    assert await sees(node, alice, secret)
    assert await sees(node, follower, secret)
    assert await sees(node, mentioned, secret)
    assert not await sees(node, requester, secret)
    assert not await sees(node, stranger, secret)
    assert not await sees(node, None, secret)
    # Unfollowing takes the access away again.
    async with node.db.write() as session:
        await graph.unfollow(session, node.ctx, follower, alice)
    assert not await sees(node, follower, secret)


async def test_blocks_hide_posts_both_ways(node: Node) -> None:
    alice = await user(node, "alice")
    bob = await user(node, "bob")
    carol = await user(node, "carol")
    from_alice = await post(node, alice, "alice speaks")
    from_bob = await post(node, bob, "bob speaks")
    mentions_bob = await post(node, alice, "hey @bob", visibility="direct")
    async with node.db.write() as session:
        await graph.block(session, node.ctx, alice, bob)
    assert not await sees(node, bob, from_alice)  # the blocked cannot see the blocker
    assert not await sees(node, alice, from_bob)  # nor the blocker the blocked
    assert not await sees(node, bob, mentions_bob)  # even where mentioned
    assert await sees(node, carol, from_alice)
    assert await sees(node, carol, from_bob)
    assert await sees(node, None, from_alice)
    async with node.db.write() as session:
        await graph.unblock(session, node.ctx, alice, bob)
    assert await sees(node, bob, from_alice)
    assert await sees(node, alice, from_bob)


async def test_suspended_authors_posts_are_hidden(node: Node) -> None:
    alice = await user(node, "alice")
    bob = await user(node, "bob")
    shown = await post(node, alice, "soon gone")
    assert await sees(node, bob, shown)
    async with node.db.read() as session:
        before = await timelines.local(session, None, timelines.Page())
        assert [v.post.id for v in before] == [shown.id]
    await suspend(node, alice)
    assert not await sees(node, bob, shown)
    assert not await sees(node, None, shown)
    async with node.db.read() as session:
        assert await timelines.local(session, None, timelines.Page()) == []
        assert await timelines.profile(session, bob, alice, timelines.Page()) == []
    # A missing post is simply not found.
    async with node.db.read() as session:
        with pytest.raises(NotFound):
            await posts.get_visible(session, None, 42)


# --- boosts show their original only where the original itself is visible ------------------


async def test_boosts_show_their_original_only_where_it_is_visible(node: Node) -> None:
    bob = await user(node, "bob")
    viewer = await user(node, "viewer")
    suspended = await user(node, "suspended")
    blocked = await user(node, "blocked")
    blocker = await user(node, "blocker")
    await follow(node, viewer, bob)
    for author in (suspended, blocked, blocker):
        original = await post(node, author, f"by {author.username}")
        await boost(node, bob, original.id)
    await post(node, bob, "bob's own")
    await suspend(node, suspended)
    async with node.db.write() as session:
        await graph.block(session, node.ctx, viewer, blocked)
        await graph.block(session, node.ctx, blocker, viewer)
    async with node.db.read() as session:
        home = await timelines.home(session, viewer, timelines.Page())
        profile = await timelines.profile(session, viewer, bob, timelines.Page())
        anonymous = await timelines.profile(session, None, bob, timelines.Page())
    assert [v.shown.post.source for v in home] == ["bob's own"]
    assert [v.shown.post.source for v in profile] == ["bob's own"]
    assert [v.shown.post.source for v in anonymous] == ["bob's own", "by blocker", "by blocked"]
