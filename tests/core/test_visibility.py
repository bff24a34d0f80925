"""Who may see what: one rule (`visibility.visible_to`) for every face and timeline."""

from __future__ import annotations

import pytest

from bocage.core.graph import graph
from bocage.core.posts import posts
from bocage.core.reading.visibility import can_see
from bocage.core.timelines import timelines
from bocage.kernel.errors import NotFound
from bocage.node import Node
from bocage.store.models import Account, Post
from tests.core.helpers import boost, follow, post, suspend, user


def sees(node: Node, viewer: Account | None, target: Post) -> bool:
    """Ask both the single-post check and `get_visible`, and require them to agree."""
    viewer_id = viewer.id if viewer else None
    with node.db.snapshot() as session:
        fresh = session.get(Post, target.id)
        assert fresh is not None
        allowed = can_see(session, viewer_id, fresh)
        try:
            posts.get_visible(session, viewer_id, target.id)
            fetched = True
        except NotFound:
            fetched = False
    assert allowed == fetched
    return allowed


def test_public_unlisted_and_direct_posts(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob")
    for visibility in ("public", "unlisted"):
        shown = post(node, alice, visibility, visibility=visibility)
        assert sees(node, alice, shown)
        assert sees(node, bob, shown)
        assert sees(node, None, shown)

    # A direct post: only the author and the mentioned.
    follower = user(node, "follower")
    stranger = user(node, "stranger")
    follow(node, follower, alice)
    direct = post(node, alice, "psst @bob", visibility="direct")
    assert sees(node, alice, direct)
    assert sees(node, bob, direct)
    assert not sees(node, follower, direct)
    assert not sees(node, stranger, direct)
    assert not sees(node, None, direct)


def test_followers_only_post(node: Node) -> None:
    alice = user(node, "alice", locked=True)
    follower = user(node, "follower")
    requester = user(node, "requester")
    mentioned = user(node, "mentioned")
    stranger = user(node, "stranger")
    with node.db.transaction() as session:
        graph.follow(session, node.ctx, follower, alice)
        graph.follow(session, node.ctx, requester, alice)
        graph.accept_request(session, node.ctx, alice, follower.id)
    secret = post(node, alice, "for my followers and @mentioned", visibility="private")
    assert sees(node, alice, secret)
    assert sees(node, follower, secret)
    assert sees(node, mentioned, secret)
    assert not sees(node, requester, secret)
    assert not sees(node, stranger, secret)
    assert not sees(node, None, secret)
    # Unfollowing takes the access away again.
    with node.db.transaction() as session:
        graph.unfollow(session, node.ctx, follower, alice)
    assert not sees(node, follower, secret)


def test_blocks_hide_posts_both_ways(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob")
    carol = user(node, "carol")
    from_alice = post(node, alice, "alice speaks")
    from_bob = post(node, bob, "bob speaks")
    mentions_bob = post(node, alice, "hey @bob", visibility="direct")
    with node.db.transaction() as session:
        graph.block(session, node.ctx, alice, bob)
    assert not sees(node, bob, from_alice)  # the blocked cannot see the blocker
    assert not sees(node, alice, from_bob)  # nor the blocker the blocked
    assert not sees(node, bob, mentions_bob)  # even where mentioned
    assert sees(node, carol, from_alice)
    assert sees(node, carol, from_bob)
    assert sees(node, None, from_alice)
    with node.db.transaction() as session:
        graph.unblock(session, node.ctx, alice, bob)
    assert sees(node, bob, from_alice)
    assert sees(node, alice, from_bob)


def test_suspended_authors_posts_are_hidden(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob")
    shown = post(node, alice, "soon gone")
    assert sees(node, bob, shown)
    with node.db.snapshot() as session:
        before = timelines.local(session, None, timelines.Page())
        assert [v.post.id for v in before] == [shown.id]
    suspend(node, alice)
    assert not sees(node, bob, shown)
    assert not sees(node, None, shown)
    with node.db.snapshot() as session:
        assert timelines.local(session, None, timelines.Page()) == []
        assert timelines.profile(session, bob, alice, timelines.Page()) == []
    # A missing post is simply not found.
    with node.db.snapshot() as session:
        with pytest.raises(NotFound):
            posts.get_visible(session, None, 42)


# --- boosts show their original only where the original itself is visible ------------------


async def test_boosts_show_their_original_only_where_it_is_visible(node: Node) -> None:
    bob = user(node, "bob")
    viewer = user(node, "viewer")
    suspended = user(node, "suspended")
    blocked = user(node, "blocked")
    blocker = user(node, "blocker")
    follow(node, viewer, bob)
    for author in (suspended, blocked, blocker):
        original = post(node, author, f"by {author.username}")
        boost(node, bob, original.id)
    post(node, bob, "bob's own")
    suspend(node, suspended)
    with node.db.transaction() as session:
        graph.block(session, node.ctx, viewer, blocked)
        graph.block(session, node.ctx, blocker, viewer)
    await node.worker.run_until_idle()  # fan-out of the posts and boosts to home feeds
    with node.db.snapshot() as session:
        home = timelines.home(session, viewer, timelines.Page())
        profile = timelines.profile(session, viewer, bob, timelines.Page())
        anonymous = timelines.profile(session, None, bob, timelines.Page())
    assert [v.shown.post.source for v in home] == ["bob's own"]
    assert [v.shown.post.source for v in profile] == ["bob's own"]
    assert [v.shown.post.source for v in anonymous] == ["bob's own", "by blocker", "by blocked"]
