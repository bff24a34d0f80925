"""Timelines: home, local, profile, hashtag, pagination and threads."""

from __future__ import annotations

import pytest

from bocage.core import graph, timelines
from bocage.core.errors import NotFound
from bocage.core.timelines import Page, PostView
from bocage.node import Node
from bocage.store.models import Account
from tests.core.helpers import boost, favourite, follow, post, reply, user


def shown(views: list[PostView]) -> list[str]:
    """What a reader sees, newest first: the text, or "↻ text" for a boost."""
    return [f"↻ {view.reblog.post.source}" if view.reblog else view.post.source for view in views]


async def home(node: Node, viewer: Account, page: Page | None = None) -> list[PostView]:
    async with node.db.read() as session:
        return await timelines.home(session, viewer, page or Page())


async def local(node: Node, viewer: Account | None, page: Page | None = None) -> list[PostView]:
    async with node.db.read() as session:
        return await timelines.local(session, viewer, page or Page())


async def profile(
    node: Node, viewer: Account | None, account: Account, *, with_replies: bool = False
) -> list[PostView]:
    async with node.db.read() as session:
        return await timelines.profile(session, viewer, account, Page(), with_replies=with_replies)


async def test_home(node: Node) -> None:
    alice = await user(node, "alice")
    bob = await user(node, "bob")
    carol = await user(node, "carol", locked=True)
    dave = await user(node, "dave")
    eve = await user(node, "eve")
    await follow(node, alice, bob)
    await follow(node, alice, carol)  # a request, never accepted
    await follow(node, alice, eve)
    async with node.db.write() as session:
        await graph.mute(session, alice, eve)

    await post(node, alice, "alice own")
    await post(node, bob, "bob public")
    await post(node, bob, "bob followers", visibility="private")
    await post(node, bob, "bob unlisted", visibility="unlisted")
    await post(node, bob, "bob to dave @dave", visibility="direct")
    await post(node, carol, "carol public")
    await post(node, carol, "carol followers", visibility="private")
    from_dave = await post(node, dave, "dave public")
    await post(node, dave, "dave to alice @alice", visibility="direct")
    await post(node, eve, "eve muted")
    await boost(node, bob, from_dave.id)
    await post(node, dave, "dave mentions @alice publicly")

    assert shown(await home(node, alice)) == [
        "dave mentions @alice publicly",
        "↻ dave public",
        "dave to alice @alice",
        "bob unlisted",
        "bob followers",
        "bob public",
        "alice own",
    ]
    # Dave follows nobody: his own posts and what mentions him. His own direct posts are in
    # his conversations, not in his home timeline.
    assert shown(await home(node, dave)) == [
        "dave mentions @alice publicly",
        "dave public",
        "bob to dave @dave",
    ]


async def test_home_view_carries_the_viewers_flags(node: Node) -> None:
    alice = await user(node, "alice")
    bob = await user(node, "bob")
    await follow(node, alice, bob)
    liked = await post(node, bob, "liked and boosted by alice @alice")
    await favourite(node, alice, liked.id)
    await boost(node, alice, liked.id)
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
    assert [a.id for a in original_view.mentions] == [alice.id]
    assert original_view.post.favourites_count == 1
    assert original_view.post.reblogs_count == 1
    # Someone else sees the same post without alice's flags.
    async with node.db.read() as session:
        [seen] = await timelines.profile(session, bob, bob, Page())
    assert not seen.favourited and not seen.reblogged


async def test_local_and_tag_timelines_show_only_public_posts(node: Node) -> None:
    alice = await user(node, "alice")
    bob = await user(node, "bob")
    root = await post(node, alice, "public")
    await post(node, alice, "unlisted", visibility="unlisted")
    await post(node, alice, "private", visibility="private")
    await post(node, alice, "direct @bob", visibility="direct")
    await boost(node, bob, root.id)
    await reply(node, bob, root, "public reply")
    expected = ["public reply", "public"]
    assert shown(await local(node, None)) == expected
    assert shown(await local(node, alice)) == expected
    assert shown(await local(node, bob)) == expected
    async with node.db.write() as session:
        await graph.mute(session, alice, bob)
    assert shown(await local(node, alice)) == ["public"]

    # Hashtag timelines: public posts only, whatever the case of the tag.
    await post(node, alice, "I love #Gardens")
    await post(node, bob, "#gardens again")
    await post(node, alice, "quiet #gardens", visibility="unlisted")
    await post(node, alice, "secret #gardens", visibility="private")
    await post(node, alice, "#trees only")
    async with node.db.read() as session:
        for name in ("gardens", "GARDENS"):
            views = await timelines.tag(session, None, name, Page())
            assert shown(views) == ["#gardens again", "I love #Gardens"]
        assert shown(await timelines.tag(session, bob, "trees", Page())) == ["#trees only"]
        # Alice muted Bob above.
        assert shown(await timelines.tag(session, alice, "gardens", Page())) == ["I love #Gardens"]
        assert await timelines.tag(session, alice, "nothing", Page()) == []


async def test_profile(node: Node) -> None:
    alice = await user(node, "alice")
    bob = await user(node, "bob")
    theirs = await post(node, bob, "bob's")
    mine = await post(node, alice, "alice's")
    await reply(node, alice, theirs, "reply to bob")
    await reply(node, alice, mine, "reply to self")
    await boost(node, alice, theirs.id)
    await post(node, alice, "followers only", visibility="private")
    assert shown(await profile(node, None, alice)) == ["↻ bob's", "reply to self", "alice's"]
    assert shown(await profile(node, None, alice, with_replies=True)) == [
        "↻ bob's",
        "reply to self",
        "reply to bob",
        "alice's",
    ]
    assert shown(await profile(node, alice, alice)) == [
        "followers only",
        "↻ bob's",
        "reply to self",
        "alice's",
    ]
    await follow(node, bob, alice)
    assert shown(await profile(node, bob, alice))[0] == "followers only"


async def test_pagination(node: Node) -> None:
    alice = await user(node, "alice")
    made = [await post(node, alice, f"post {n}") for n in range(42)]
    newest_first = [p.id for p in reversed(made)]

    async def page(**values: int) -> list[int]:
        async with node.db.read() as session:
            views = await timelines.profile(session, None, alice, Page(**values))
        return [v.post.id for v in views]

    assert await page() == newest_first[:20]
    assert await page(limit=5) == newest_first[:5]
    assert await page(limit=100) == newest_first[:40]  # capped
    assert await page(limit=0) == newest_first[:1]
    assert await page(limit=-3) == newest_first[:1]
    assert await page(max_id=newest_first[19], limit=20) == newest_first[20:40]
    assert await page(max_id=newest_first[39], limit=20) == newest_first[40:]  # the last two
    assert await page(max_id=made[0].id) == []
    assert await page(min_id=newest_first[3]) == newest_first[:3]
    assert await page(min_id=newest_first[0]) == []
    assert await page(max_id=newest_first[2], min_id=newest_first[6]) == newest_first[3:6]
    # Walking with max_id visits every post exactly once.
    seen: list[int] = []
    cursor: dict[str, int] = {"limit": 7}
    while batch := await page(**cursor):
        seen += batch
        cursor = {"limit": 7, "max_id": batch[-1]}
    assert seen == newest_first


# --- threads -------------------------------------------------------------------------------


def tree(views: list[PostView]) -> list[tuple[str, list]]:  # type: ignore[type-arg]
    return [(view.post.source, tree(view.children)) for view in views]


async def test_thread(node: Node) -> None:
    alice = await user(node, "alice")
    bob = await user(node, "bob")
    carol = await user(node, "carol")
    dave = await user(node, "dave")
    root = await post(node, alice, "root")
    first = await reply(node, bob, root, "first")
    nested = await reply(node, alice, first, "nested")
    await reply(node, carol, root, "second")
    deeper = await reply(node, bob, nested, "deeper")
    hidden = await reply(node, dave, first, "dave followers only", visibility="private")
    await reply(node, dave, hidden, "under the hidden one")
    await post(node, alice, "unrelated")

    async with node.db.read() as session:
        whole = await timelines.thread(session, alice, root.id)
        middle = await timelines.thread(session, alice, nested.id)
        leaf = await timelines.thread(session, None, deeper.id)
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

    await follow(node, alice, dave)
    async with node.db.read() as session:
        as_follower = await timelines.thread(session, alice, root.id)
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


async def test_thread_hides_invisible_ancestors_and_muted_replies(node: Node) -> None:
    alice = await user(node, "alice")
    bob = await user(node, "bob")
    carol = await user(node, "carol")
    secret = await post(node, alice, "followers only", visibility="private")
    await follow(node, bob, alice)
    answer = await reply(node, bob, secret, "public answer")
    await reply(node, carol, answer, "carol says")
    await reply(node, alice, answer, "alice says")
    async with node.db.write() as session:
        await graph.mute(session, bob, carol)
    async with node.db.read() as session:
        for_stranger = await timelines.thread(session, None, answer.id)
        for_bob = await timelines.thread(session, bob, answer.id)
    assert for_stranger.ancestors == []
    assert tree(for_stranger.replies) == [("carol says", []), ("alice says", [])]
    assert [v.post.source for v in for_bob.ancestors] == ["followers only"]
    assert tree(for_bob.replies) == [("alice says", [])]

    # The thread of a boost, of an invisible or of a missing post is not found.
    original = await post(node, alice, "hello")
    reblog = await boost(node, bob, original.id)
    secret = await post(node, alice, "psst", visibility="direct")
    async with node.db.read() as session:
        for viewer, post_id in ((bob, reblog.id), (bob, secret.id), (None, secret.id), (None, 1)):
            with pytest.raises(NotFound):
                await timelines.thread(session, viewer, post_id)
        assert (await timelines.thread(session, alice, secret.id)).focus.post.id == secret.id
