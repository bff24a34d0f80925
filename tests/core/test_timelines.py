"""Timelines: home, local, profile, hashtag, pagination and threads."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bocage.core.graph import graph, lists
from bocage.core.inbound import remote
from bocage.core.messaging import conversations
from bocage.core.moderation import domain_blocks
from bocage.core.timelines import timelines
from bocage.core.timelines.timelines import Page, PostView
from bocage.kernel.errors import NotFound
from bocage.node import Node
from bocage.store.models import Account
from tests.core.helpers import boost, favourite, follow, post, remote_user, reply, user


def shown(views: list[PostView]) -> list[str]:
    """What a reader sees, newest first: the text, or "↻ text" for a boost."""
    return [f"↻ {view.reblog.post.source}" if view.reblog else view.post.source for view in views]


async def home(node: Node, viewer: Account, page: Page | None = None) -> list[PostView]:
    """The home timeline once background jobs (the fan-out to followers' feeds) have run."""
    await node.worker.run_until_idle()
    with node.db.snapshot() as session:
        return timelines.home(session, viewer, page or Page())


def local(node: Node, viewer: Account | None, page: Page | None = None) -> list[PostView]:
    with node.db.snapshot() as session:
        return timelines.local(session, viewer, page or Page())


def profile(
    node: Node, viewer: Account | None, account: Account, *, with_replies: bool = False
) -> list[PostView]:
    with node.db.snapshot() as session:
        return timelines.profile(session, viewer, account, Page(), with_replies=with_replies)


async def test_home(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob")
    carol = user(node, "carol", locked=True)
    dave = user(node, "dave")
    eve = user(node, "eve")
    follow(node, alice, bob)
    follow(node, alice, carol)  # a request, never accepted
    follow(node, alice, eve)
    with node.db.transaction() as session:
        graph.mute(session, alice, eve)

    post(node, alice, "alice own")
    post(node, bob, "bob public")
    post(node, bob, "bob followers", visibility="private")
    post(node, bob, "bob unlisted", visibility="unlisted")
    post(node, bob, "bob to dave @dave", visibility="direct")
    post(node, carol, "carol public")
    post(node, carol, "carol followers", visibility="private")
    from_dave = post(node, dave, "dave public")
    post(node, dave, "dave to alice @alice", visibility="direct")
    post(node, eve, "eve muted")
    boost(node, bob, from_dave.id)
    post(node, dave, "dave mentions @alice publicly")

    assert shown(await home(node, alice)) == [
        "dave mentions @alice publicly",
        "↻ dave public",
        "dave to alice @alice",
        "bob unlisted",
        "bob followers",
        "bob public",
        "alice own",
    ]
    # Dave follows nobody: his own posts (direct ones too, as on Mastodon) and what
    # mentions him.
    assert shown(await home(node, dave)) == [
        "dave mentions @alice publicly",
        "dave to alice @alice",
        "dave public",
        "bob to dave @dave",
    ]


async def test_home_view_carries_the_viewers_flags(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob")
    follow(node, alice, bob)
    liked = post(node, bob, "liked and boosted by alice @alice")
    favourite(node, alice, liked.id)
    boost(node, alice, liked.id)
    views = await home(node, alice)
    assert shown(views) == [
        "↻ liked and boosted by alice @alice",
        "liked and boosted by alice @alice",
    ]
    boost_view, original_view = views
    assert boost_view.author.id == alice.id
    assert boost_view.shown.author.id == bob.id
    assert boost_view.shown.favourited and boost_view.shown.reblogged
    assert original_view.favourited and original_view.reblogged
    assert not original_view.bookmarked
    assert original_view.mentions == []  # loaded only where a page needs them
    with node.db.snapshot() as session:
        timelines.with_mentions(session, [original_view])
    assert [a.id for a in original_view.mentions] == [alice.id]
    assert original_view.post.favourites_count == 1
    assert original_view.post.reblogs_count == 1
    # Someone else sees the same post without alice's flags.
    with node.db.snapshot() as session:
        [seen] = timelines.profile(session, bob, bob, Page())
    assert not seen.favourited and not seen.reblogged


def test_local_and_tag_timelines_show_only_public_posts(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob")
    root = post(node, alice, "public")
    post(node, alice, "unlisted", visibility="unlisted")
    post(node, alice, "private", visibility="private")
    post(node, alice, "direct @bob", visibility="direct")
    boost(node, bob, root.id)
    reply(node, bob, root, "public reply")  # replies to others stay off, as on Mastodon
    reply(node, alice, root, "a thread of her own")
    expected = ["a thread of her own", "public"]
    assert shown(local(node, None)) == expected
    assert shown(local(node, alice)) == expected
    assert shown(local(node, bob)) == expected
    with node.db.transaction() as session:
        graph.mute(session, alice, bob)
    assert shown(local(node, alice)) == expected

    # Hashtag timelines: public posts only, whatever the case of the tag.
    post(node, alice, "I love #Gardens")
    post(node, bob, "#gardens again")
    post(node, alice, "quiet #gardens", visibility="unlisted")
    post(node, alice, "secret #gardens", visibility="private")
    post(node, alice, "#trees only")
    with node.db.snapshot() as session:
        for name in ("gardens", "GARDENS"):
            views = timelines.tag(session, None, name, Page())
            assert shown(views) == ["#gardens again", "I love #Gardens"]
        assert shown(timelines.tag(session, bob, "trees", Page())) == ["#trees only"]
        # Alice muted Bob above.
        assert shown(timelines.tag(session, alice, "gardens", Page())) == ["I love #Gardens"]
        assert timelines.tag(session, alice, "nothing", Page()) == []


def test_profile(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob")
    theirs = post(node, bob, "bob's")
    mine = post(node, alice, "alice's")
    reply(node, alice, theirs, "reply to bob")
    reply(node, alice, mine, "reply to self")
    boost(node, alice, theirs.id)
    post(node, alice, "followers only", visibility="private")
    assert shown(profile(node, None, alice)) == ["↻ bob's", "reply to self", "alice's"]
    assert shown(profile(node, None, alice, with_replies=True)) == [
        "↻ bob's",
        "reply to self",
        "reply to bob",
        "alice's",
    ]
    assert shown(profile(node, alice, alice)) == [
        "followers only",
        "↻ bob's",
        "reply to self",
        "alice's",
    ]
    follow(node, bob, alice)
    assert shown(profile(node, bob, alice))[0] == "followers only"


def test_pagination(node: Node) -> None:
    alice = user(node, "alice")
    made = [post(node, alice, f"post {n}") for n in range(42)]
    newest_first = [p.id for p in reversed(made)]

    def page(**values: int) -> list[int]:
        with node.db.snapshot() as session:
            views = timelines.profile(session, None, alice, Page(**values))
        return [v.post.id for v in views]

    assert page() == newest_first[:20]
    assert page(limit=5) == newest_first[:5]
    assert page(limit=100) == newest_first[:40]  # capped
    assert page(limit=0) == newest_first[:1]
    assert page(limit=-3) == newest_first[:1]
    assert page(max_id=newest_first[19], limit=20) == newest_first[20:40]
    assert page(max_id=newest_first[39], limit=20) == newest_first[40:]  # the last two
    assert page(max_id=made[0].id) == []
    assert page(min_id=newest_first[3]) == newest_first[:3]
    assert page(min_id=newest_first[0]) == []
    assert page(max_id=newest_first[2], min_id=newest_first[6]) == newest_first[3:6]
    # Walking with max_id visits every post exactly once.
    seen: list[int] = []
    cursor: dict[str, int] = {"limit": 7}
    while batch := page(**cursor):
        seen += batch
        cursor = {"limit": 7, "max_id": batch[-1]}
    assert seen == newest_first


# --- threads -------------------------------------------------------------------------------


def tree(views: list[PostView]) -> list[tuple[str, list]]:  # type: ignore[type-arg]
    return [(view.post.source, tree(view.children)) for view in views]


def test_thread(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob")
    carol = user(node, "carol")
    dave = user(node, "dave")
    root = post(node, alice, "root")
    first = reply(node, bob, root, "first")
    nested = reply(node, alice, first, "nested")
    reply(node, carol, root, "second")
    deeper = reply(node, bob, nested, "deeper")
    hidden = reply(node, dave, first, "dave followers only", visibility="private")
    reply(node, dave, hidden, "under the hidden one")
    post(node, alice, "unrelated")

    with node.db.snapshot() as session:
        whole = timelines.thread(session, alice, root.id)
        middle = timelines.thread(session, alice, nested.id)
        leaf = timelines.thread(session, None, deeper.id)
        as_follower = None
    assert whole.ancestors == []
    assert whole.focus.post.id == root.id
    assert tree(whole.replies) == [
        ("first", [("nested", [("deeper", [])])]),
        ("second", []),
    ]
    assert [v.post.source for v in middle.ancestors] == ["root", "first"]
    assert tree(middle.replies) == [("deeper", [])]
    assert [v.post.source for v in leaf.ancestors] == ["root", "first", "nested"]
    assert leaf.replies == []

    follow(node, alice, dave)
    with node.db.snapshot() as session:
        as_follower = timelines.thread(session, alice, root.id)
    assert tree(as_follower.replies) == [
        (
            "first",
            [
                ("nested", [("deeper", [])]),
                ("dave followers only", [("under the hidden one", [])]),
            ],
        ),
        ("second", []),
    ]


def test_thread_hides_invisible_ancestors_and_muted_replies(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob")
    carol = user(node, "carol")
    secret = post(node, alice, "followers only", visibility="private")
    follow(node, bob, alice)
    answer = reply(node, bob, secret, "public answer")
    reply(node, carol, answer, "carol says")
    reply(node, alice, answer, "alice says")
    with node.db.transaction() as session:
        graph.mute(session, bob, carol)
    with node.db.snapshot() as session:
        for_stranger = timelines.thread(session, None, answer.id)
        for_bob = timelines.thread(session, bob, answer.id)
    assert for_stranger.ancestors == []
    assert tree(for_stranger.replies) == [("carol says", []), ("alice says", [])]
    assert [v.post.source for v in for_bob.ancestors] == ["followers only"]
    assert tree(for_bob.replies) == [("alice says", [])]

    # The thread of a boost, of an invisible or of a missing post is not found.
    original = post(node, alice, "hello")
    reblog = boost(node, bob, original.id)
    secret = post(node, alice, "psst", visibility="direct")
    with node.db.snapshot() as session:
        for viewer, post_id in ((bob, reblog.id), (bob, secret.id), (None, secret.id), (None, 1)):
            with pytest.raises(NotFound):
                timelines.thread(session, viewer, post_id)
        assert (timelines.thread(session, alice, secret.id)).focus.post.id == secret.id


def test_a_post_as_each_reader_sees_it(node: Node) -> None:
    """Streaming loads a post once for all its readers: each still gets their own flags."""
    alice, bob, carol = user(node, "alice"), user(node, "bob"), user(node, "carol")
    root = post(node, alice, "root")
    favourite(node, bob, root.id)
    boosted = boost(node, carol, root.id)
    with node.db.transaction() as session:
        me = session.get(Account, bob.id)
        assert me is not None
        conversations.mute_thread(session, node.ctx, me, root.id)
    with node.db.snapshot() as session:
        seen = timelines.as_readers_see_it(session, boosted.id, [alice.id, bob.id, carol.id])
    flags = {
        reader: (v.reblog.favourited, v.reblog.reblogged, v.reblog.muted)
        for reader, v in seen.items()
        if v.reblog is not None
    }
    assert flags == {
        alice.id: (False, False, False),
        bob.id: (True, False, True),
        carol.id: (False, True, False),
    }
    assert all(view.post.id == boosted.id for view in seen.values())


async def test_muting_someone_hides_boosts_of_their_posts_everywhere(node: Node) -> None:
    """Mastodon's rule: a muted account's posts, its boosts, and others' boosts of its
    posts are hidden, in home, lists, profiles and the streams that follow them."""
    alice, bob, eve = user(node, "alice"), user(node, "bob"), user(node, "eve")
    follow(node, alice, bob)
    with node.db.transaction() as session:
        friends = lists.create(session, alice.id, "friends")
        lists.add_members(session, alice.id, friends.id, [bob.id])
        graph.mute(session, alice, eve)
    from_eve = post(node, eve, "eve speaks")
    post(node, bob, "bob speaks")
    boosted = boost(node, bob, from_eve.id)
    await node.worker.run_until_idle()

    assert shown(await home(node, alice)) == ["bob speaks"]
    with node.db.snapshot() as session:
        in_list = lists.timeline(session, alice, friends.id, Page())
        assert shown(in_list) == ["bob speaks"]
        assert shown(timelines.profile(session, alice, bob, Page())) == ["bob speaks"]
        # The streams ask the same question of each connected reader.
        assert timelines.home_readers(session, boosted.id, [alice.id, bob.id]) == [bob.id]
        assert timelines.list_readers(session, boosted, [alice.id, bob.id]) == [bob.id]
    # Someone who mutes nobody still sees the boost.
    assert shown(await home(node, bob))[0] == "↻ eve speaks"


def test_silenced_servers_stay_off_tag_timelines_but_for_their_followers(node: Node) -> None:
    alice, bob = user(node, "alice"), user(node, "bob")
    quiet = remote_user(node, "https://quiet.example/users/mo")
    follow_remote(node, bob, quiet)
    remote_public_post(node, quiet, "#hedges from a silenced server", ("hedges",))
    post(node, alice, "local #hedges")
    with node.db.transaction() as session:
        domain_blocks.block(session, "quiet.example", "silence")

    def tagged(viewer: Account | None) -> list[int]:
        """The authors of the #hedges timeline, newest first."""
        with node.db.snapshot() as session:
            found = timelines.tag(session, viewer, "hedges", Page())
            return [view.post.account_id for view in found]

    def public(viewer: Account | None) -> list[int]:
        with node.db.snapshot() as session:
            return [view.post.account_id for view in timelines.public(session, viewer, Page())]

    assert tagged(alice) == tagged(None) == public(alice) == [alice.id]
    # bob follows the silenced account: he still sees it there, as on Mastodon.
    assert tagged(bob) == public(bob) == [alice.id, quiet.id]


def follow_remote(node: Node, follower: Account, target: Account) -> None:
    with node.db.transaction() as session:
        graph.follow(session, node.ctx, follower, target)
        graph.follow_answered(session, follower, target, True)


def remote_public_post(node: Node, author: Account, text: str, tags: tuple[str, ...]) -> None:
    note = remote.RemotePost(
        uri=f"{author.uri}/notes/{abs(hash(text))}",
        author_uri=author.uri,
        content=f"<p>{text}</p>",
        published=datetime.now(UTC),
        to=("https://www.w3.org/ns/activitystreams#Public",),
        tags=tags,
    )
    with node.db.transaction() as session:
        remote.receive_post(session, author, note)
