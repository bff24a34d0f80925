"""Who may see what: one rule (`visibility.visible_to`) for every face and timeline."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import bocage
from bocage.core.authorship import activities
from bocage.core.graph import graph
from bocage.core.posts import posts
from bocage.core.reading.visibility import OPEN, Visibility, can_see
from bocage.core.timelines import timelines
from bocage.kernel.errors import InvalidInput, NotFound
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


def test_visibility_is_one_enum_parsed_at_the_edge() -> None:
    assert [str(v) for v in Visibility] == ["public", "unlisted", "private", "direct"]
    assert Visibility.parse("private") is Visibility.PRIVATE
    assert Visibility.PRIVATE == "private"  # the database column keeps the plain string
    for typed in ("everyone", "Public", ""):
        with pytest.raises(InvalidInput, match="choose one of public, unlisted, private, direct"):
            Visibility.parse(typed)
    assert [v for v in Visibility if v.is_open] == list(OPEN)
    assert Visibility.DIRECT.label == "Mentioned people only"


def test_addressing_written_for_a_visibility_reads_back_as_it(node: Node) -> None:
    """`activities.audience` writes `to`/`cc` for a visibility, `visibility_of` reads them
    (Mastodon's reading, which remote posts are stored by): each gives back the other."""
    alice = user(node, "alice")
    followers = node.ctx.urls.followers("alice")
    for visibility in Visibility:
        to, cc = activities.audience(node.ctx.urls, alice, visibility, ["https://x.example/u/b"])
        assert activities.visibility_of(tuple(to), tuple(cc), followers) is visibility


BARE = re.compile(
    r"""visibility\)?\s*(?:==|!=|\bin\b|\bnot in\b|\.in_\()\s*\(?\s*"""
    r"""["'](?:public|unlisted|private|direct)["']"""
)


def test_no_face_or_rule_compares_a_visibility_with_a_bare_string() -> None:
    """The rules name `Visibility` members: a bare "public" compared with a visibility (in
    code or a template) is a rule restated outside the enum."""
    root = Path(bocage.__file__).parent
    found = [
        f"{path.relative_to(root)}:{number}"
        for path in [*root.rglob("*.py"), *root.rglob("*.html")]
        if "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if BARE.search(line)
    ]
    assert found == []
