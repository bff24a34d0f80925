"""Notifications, written by jobs: once per event, never for oneself or from the silenced."""

from __future__ import annotations

from sqlalchemy import select, update

from bocage.core import graph, notifications, posts
from bocage.core.clock import now
from bocage.node import Node
from bocage.store.models import Job, Notification
from tests.core.helpers import (
    all_notifications,
    boost,
    favourite,
    follow,
    jobs_by_state,
    notifications_of,
    post,
    reply,
    user,
)


async def run_jobs(node: Node) -> None:
    await node.worker.run_until_idle()
    assert set(await jobs_by_state(node)) <= {"done"}


async def requeue_everything(node: Node) -> int:
    """Pretend every job ran but its completion was lost (crash): they all run again."""
    async with node.db.write() as session:
        result = await session.execute(
            update(Job).values(state="queued", run_after=now(), finished_at=None)
        )
        return int(result.rowcount)


async def test_follow_and_follow_request(node: Node) -> None:
    alice = await user(node, "alice")
    bob = await user(node, "bob")
    await follow(node, alice, bob)
    await follow(node, alice, bob)  # already following: no new event
    await run_jobs(node)
    assert await notifications_of(node, bob) == [("follow", alice.id, None)]
    assert await notifications_of(node, alice) == []

    # A locked account is told of the request.
    carol = await user(node, "carol", locked=True)
    await follow(node, alice, carol)
    await run_jobs(node)
    assert await notifications_of(node, carol) == [("follow_request", alice.id, None)]
    async with node.db.write() as session:
        await graph.accept_request(session, node.ctx, carol, alice.id)
    await run_jobs(node)
    assert (await notifications_of(node, carol)).count(("follow_request", alice.id, None)) == 1
    assert await notifications_of(node, alice) == []


async def test_mention_and_reply(node: Node) -> None:
    alice = await user(node, "alice")
    bob = await user(node, "bob")
    carol = await user(node, "carol")
    root = await post(node, alice, "hello @bob and @bob again")
    answer = await reply(node, bob, root, "thanks, cc @carol")
    named = await reply(node, carol, root, "@alice you too")
    await run_jobs(node)
    assert await notifications_of(node, bob) == [("mention", alice.id, root.id)]
    assert await notifications_of(node, carol) == [("mention", bob.id, answer.id)]
    # A reply that also mentions the parent's author notifies once, as a mention.
    assert await notifications_of(node, alice) == [
        ("mention", carol.id, named.id),
        ("reply", bob.id, answer.id),
    ]

    # Mentions in followers-only and direct posts notify too.
    direct = await post(node, alice, "psst @carol", visibility="direct")
    private = await post(node, alice, "followers and @carol", visibility="private")
    await run_jobs(node)
    assert await notifications_of(node, carol) == [
        ("mention", alice.id, direct.id),
        ("mention", alice.id, private.id),
        ("mention", bob.id, answer.id),
    ]


async def test_favourite_reblog_and_reading(node: Node) -> None:
    alice = await user(node, "alice")
    bob = await user(node, "bob")
    liked = await post(node, alice, "like and boost me")
    await favourite(node, bob, liked.id)
    await favourite(node, bob, liked.id)
    await boost(node, bob, liked.id)
    await boost(node, bob, liked.id)
    await run_jobs(node)
    assert await notifications_of(node, alice) == [
        ("favourite", bob.id, liked.id),
        ("reblog", bob.id, liked.id),
    ]
    assert await notifications_of(node, bob) == []

    # Reading: newest first, unread count, mark all read.
    fans = [await user(node, f"fan{n}") for n in range(3)]
    liked = await post(node, alice, "like me too")
    for fan in fans:
        await favourite(node, fan, liked.id)
    await run_jobs(node)
    async with node.db.read() as session:
        page = await notifications.page(session, alice)
        # Jobs run concurrently, so the order among these three is the order they ran in.
        assert sorted(n.from_account_id for n in page[:3]) == sorted(fan.id for fan in fans)
        assert [n.id for n in page] == sorted((n.id for n in page), reverse=True)
        assert {(n.type, n.post_id, n.read) for n in page[:3]} == {("favourite", liked.id, False)}
        assert len(page) == 5
        older = await notifications.page(session, alice, max_id=page[0].id, limit=1)
        assert [n.id for n in older] == [page[1].id]
        assert await notifications.unread_count(session, alice.id) == 5
        assert await notifications.unread_count(session, fans[0].id) == 0
    async with node.db.write() as session:
        await notifications.mark_all_read(session, alice.id)
    async with node.db.read() as session:
        assert await notifications.unread_count(session, alice.id) == 0
        read = (await session.execute(select(Notification.read))).scalars().all()
        assert read == [True] * 5


async def test_editing_a_boosted_post_notifies_the_boosters(node: Node) -> None:
    alice = await user(node, "alice")
    bob = await user(node, "bob")
    carol = await user(node, "carol")
    dave = await user(node, "dave")
    edited = await post(node, alice, "first version")
    await boost(node, bob, edited.id)
    await boost(node, carol, edited.id)
    await boost(node, alice, edited.id)  # her own boost: no notification for herself
    await favourite(node, dave, edited.id)  # likes are not told about edits
    await run_jobs(node)
    async with node.db.write() as session:
        await posts.edit(session, node.ctx, alice, edited.id, posts.PostDraft("second version"))
    await run_jobs(node)
    assert await notifications_of(node, bob) == [("update", alice.id, edited.id)]
    assert await notifications_of(node, carol) == [("update", alice.id, edited.id)]
    assert await notifications_of(node, dave) == []
    assert await notifications_of(node, alice) == sorted(
        [
            ("favourite", dave.id, edited.id),
            ("reblog", bob.id, edited.id),
            ("reblog", carol.id, edited.id),
        ],
        key=lambda n: (n[0], n[1]),
    )
    async with node.db.write() as session:
        await posts.edit(session, node.ctx, alice, edited.id, posts.PostDraft("third version"))
    await run_jobs(node)
    assert await notifications_of(node, bob) == [("update", alice.id, edited.id)] * 2


async def test_no_notifications_for_ones_own_actions_or_deleted_posts(node: Node) -> None:
    alice = await user(node, "alice")
    mine = await post(node, alice, "talking to myself @alice")
    await reply(node, alice, mine, "still me")
    await favourite(node, alice, mine.id)
    await boost(node, alice, mine.id)
    async with node.db.write() as session:
        await posts.edit(session, node.ctx, alice, mine.id, posts.PostDraft("edited @alice"))
    await run_jobs(node)
    assert await all_notifications(node) == []

    # Nor about a post deleted before its job ran.
    bob = await user(node, "bob")
    doomed = await post(node, alice, "hey @bob")
    await favourite(node, bob, doomed.id)
    async with node.db.write() as session:
        await posts.delete_post(session, node.ctx, alice, doomed.id)
    await run_jobs(node)
    assert await all_notifications(node) == []
    assert await jobs_by_state(node) == {"done": 5}


async def test_no_notifications_from_muted_or_blocked_accounts(node: Node) -> None:
    alice = await user(node, "alice")
    bob = await user(node, "bob")
    async with node.db.write() as session:
        await graph.mute(session, alice, bob)
    mine = await post(node, alice, "hello")
    await follow(node, bob, alice)
    await post(node, bob, "hey @alice")
    await reply(node, bob, mine, "a reply")
    await favourite(node, bob, mine.id)
    await boost(node, bob, mine.id)
    await run_jobs(node)
    assert await notifications_of(node, alice) == []
    # Muting is one-way: Bob still hears from Alice.
    await post(node, alice, "hi @bob")
    await run_jobs(node)
    assert [n[0] for n in await notifications_of(node, bob)] == ["mention"]

    # Across a block nothing is notified, in either direction.
    carol = await user(node, "carol")
    dave = await user(node, "dave")
    carols = await post(node, carol, "hello")
    await favourite(node, dave, carols.id)  # enqueued before the block, runs after it
    async with node.db.write() as session:
        await graph.block(session, node.ctx, carol, dave)
    await post(node, dave, "hey @carol")
    await post(node, carol, "and you @dave")
    await run_jobs(node)
    assert await notifications_of(node, carol) == []
    assert await notifications_of(node, dave) == []


async def test_running_the_same_jobs_again_creates_no_duplicates(node: Node) -> None:
    alice = await user(node, "alice")
    bob = await user(node, "bob")
    carol = await user(node, "carol", locked=True)
    await follow(node, bob, alice)
    await follow(node, bob, carol)
    root = await post(node, alice, "hello @bob")
    await reply(node, bob, root, "hi back")
    await favourite(node, bob, root.id)
    await boost(node, bob, root.id)
    async with node.db.write() as session:
        await posts.edit(session, node.ctx, alice, root.id, posts.PostDraft("edited @bob"))
    await run_jobs(node)
    first = await all_notifications(node)
    assert sorted((kind, to == alice.id) for to, kind, _, _ in first) == [
        ("favourite", True),
        ("follow", True),
        ("follow_request", False),
        ("mention", False),
        ("reblog", True),
        ("reply", True),
        ("update", False),
    ]
    for _ in range(2):
        # notify ×4 (follow, follow_request, favourite, reblog), post.created ×2, post.updated
        assert await requeue_everything(node) == 7
        await run_jobs(node)
        assert await all_notifications(node) == first
