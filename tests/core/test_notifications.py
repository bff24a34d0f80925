"""Notifications, written by jobs: once per event, never for oneself or from the silenced."""

from __future__ import annotations

from sqlalchemy import select, update

from bocage.core.graph import graph
from bocage.core.notifications import notifications
from bocage.core.posts import posts
from bocage.kernel.clock import now
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
    assert set(jobs_by_state(node)) <= {"done"}


def requeue_everything(node: Node) -> int:
    """Pretend every job ran but its completion was lost (crash): they all run again."""
    with node.db.transaction() as session:
        result = session.execute(
            update(Job)
            .where(Job.kind != "federate")
            .values(state="queued", run_after=now(), finished_at=None)
        )
        return int(result.rowcount)


async def test_follow_and_follow_request(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob")
    follow(node, alice, bob)
    follow(node, alice, bob)  # already following: no new event
    await run_jobs(node)
    assert notifications_of(node, bob) == [("follow", alice.id, None)]
    assert notifications_of(node, alice) == []

    # A locked account is told of the request.
    carol = user(node, "carol", locked=True)
    follow(node, alice, carol)
    await run_jobs(node)
    assert notifications_of(node, carol) == [("follow_request", alice.id, None)]
    with node.db.transaction() as session:
        graph.accept_request(session, node.ctx, carol, alice.id)
    await run_jobs(node)
    assert (notifications_of(node, carol)).count(("follow_request", alice.id, None)) == 1
    assert notifications_of(node, alice) == []


async def test_mention_and_reply(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob")
    carol = user(node, "carol")
    root = post(node, alice, "hello @bob and @bob again")
    answer = reply(node, bob, root, "thanks, cc @carol")
    named = reply(node, carol, root, "@alice you too")
    await run_jobs(node)
    assert notifications_of(node, bob) == [("mention", alice.id, root.id)]
    assert notifications_of(node, carol) == [("mention", bob.id, answer.id)]
    # A reply that also mentions the parent's author notifies once, as a mention.
    assert notifications_of(node, alice) == [
        ("mention", carol.id, named.id),
        ("reply", bob.id, answer.id),
    ]

    # Mentions in followers-only and direct posts notify too.
    direct = post(node, alice, "psst @carol", visibility="direct")
    private = post(node, alice, "followers and @carol", visibility="private")
    await run_jobs(node)
    assert notifications_of(node, carol) == [
        ("mention", alice.id, private.id),
        ("mention", bob.id, answer.id),
    ]
    # The direct one from someone carol does not follow is held back for her to accept
    # (Mastodon 4.3's default policy: `for_private_mentions` filters).
    assert notifications_of(node, carol, filtered=True) == [("mention", alice.id, direct.id)]


async def test_favourite_reblog_and_reading(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob")
    liked = post(node, alice, "like and boost me")
    favourite(node, bob, liked.id)
    favourite(node, bob, liked.id)
    boost(node, bob, liked.id)
    boost(node, bob, liked.id)
    await run_jobs(node)
    assert notifications_of(node, alice) == [
        ("favourite", bob.id, liked.id),
        ("reblog", bob.id, liked.id),
    ]
    assert notifications_of(node, bob) == []

    # Reading: newest first, unread count, mark all read.
    fans = [user(node, f"fan{n}") for n in range(3)]
    liked = post(node, alice, "like me too")
    for fan in fans:
        favourite(node, fan, liked.id)
    await run_jobs(node)
    with node.db.snapshot() as session:
        page = notifications.page(session, alice)
        # Jobs run concurrently, so the order among these three is the order they ran in.
        assert sorted(n.from_account_id for n in page[:3]) == sorted(fan.id for fan in fans)
        assert [n.id for n in page] == sorted((n.id for n in page), reverse=True)
        assert {(n.type, n.post_id, n.read) for n in page[:3]} == {("favourite", liked.id, False)}
        assert len(page) == 5
        older = notifications.page(session, alice, max_id=page[0].id, limit=1)
        assert [n.id for n in older] == [page[1].id]
        assert notifications.unread_count(session, alice.id) == 5
        assert notifications.unread_count(session, fans[0].id) == 0
    with node.db.transaction() as session:
        notifications.mark_all_read(session, alice.id)
    with node.db.snapshot() as session:
        assert notifications.unread_count(session, alice.id) == 0
        read = (session.execute(select(Notification.read))).scalars().all()
        assert read == [True] * 5


async def test_editing_a_boosted_post_notifies_the_boosters(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob")
    carol = user(node, "carol")
    dave = user(node, "dave")
    edited = post(node, alice, "first version")
    boost(node, bob, edited.id)
    boost(node, carol, edited.id)
    boost(node, alice, edited.id)  # her own boost: no notification for herself
    favourite(node, dave, edited.id)  # likes are not told about edits
    await run_jobs(node)
    with node.db.transaction() as session:
        posts.edit(session, node.ctx, alice, edited.id, posts.PostDraft("second version"))
    await run_jobs(node)
    assert notifications_of(node, bob) == [("update", alice.id, edited.id)]
    assert notifications_of(node, carol) == [("update", alice.id, edited.id)]
    assert notifications_of(node, dave) == []
    assert notifications_of(node, alice) == sorted(
        [
            ("favourite", dave.id, edited.id),
            ("reblog", bob.id, edited.id),
            ("reblog", carol.id, edited.id),
        ],
        key=lambda n: (n[0], n[1]),
    )
    with node.db.transaction() as session:
        posts.edit(session, node.ctx, alice, edited.id, posts.PostDraft("third version"))
    await run_jobs(node)
    assert notifications_of(node, bob) == [("update", alice.id, edited.id)] * 2


async def test_no_notifications_for_ones_own_actions_or_deleted_posts(node: Node) -> None:
    alice = user(node, "alice")
    mine = post(node, alice, "talking to myself @alice")
    reply(node, alice, mine, "still me")
    favourite(node, alice, mine.id)
    boost(node, alice, mine.id)
    with node.db.transaction() as session:
        posts.edit(session, node.ctx, alice, mine.id, posts.PostDraft("edited @alice"))
    await run_jobs(node)
    assert all_notifications(node) == []

    # Nor about a post deleted before its job ran.
    bob = user(node, "bob")
    doomed = post(node, alice, "hey @bob")
    favourite(node, bob, doomed.id)
    with node.db.transaction() as session:
        posts.delete_post(session, node.ctx, alice, doomed.id)
    await run_jobs(node)
    assert all_notifications(node) == []
    # The two mentioning posts' fan-out, the edit, bob's favourite. A reply in one's own
    # thread and a boost, by someone nobody here follows, queue none (feeds.fan_out_needed).
    assert jobs_by_state(node) == {"done": 4}


async def test_no_notifications_from_muted_or_blocked_accounts(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob")
    with node.db.transaction() as session:
        graph.mute(session, alice, bob)
    mine = post(node, alice, "hello")
    follow(node, bob, alice)
    post(node, bob, "hey @alice")
    reply(node, bob, mine, "a reply")
    favourite(node, bob, mine.id)
    boost(node, bob, mine.id)
    await run_jobs(node)
    assert notifications_of(node, alice) == []
    # Muting is one-way: Bob still hears from Alice.
    post(node, alice, "hi @bob")
    await run_jobs(node)
    assert [n[0] for n in notifications_of(node, bob)] == ["mention"]

    # Across a block nothing is notified, in either direction.
    carol = user(node, "carol")
    dave = user(node, "dave")
    carols = post(node, carol, "hello")
    favourite(node, dave, carols.id)  # enqueued before the block, runs after it
    with node.db.transaction() as session:
        graph.block(session, node.ctx, carol, dave)
    post(node, dave, "hey @carol")
    post(node, carol, "and you @dave")
    await run_jobs(node)
    assert notifications_of(node, carol) == []
    assert notifications_of(node, dave) == []


async def test_running_the_same_jobs_again_creates_no_duplicates(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob")
    carol = user(node, "carol", locked=True)
    follow(node, bob, alice)
    follow(node, bob, carol)
    root = post(node, alice, "hello @bob")
    reply(node, bob, root, "hi back")
    favourite(node, bob, root.id)
    boost(node, bob, root.id)
    with node.db.transaction() as session:
        posts.edit(session, node.ctx, alice, root.id, posts.PostDraft("edited @bob"))
    await run_jobs(node)
    first = all_notifications(node)
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
        # notify ×4 (follow, follow_request, favourite, reblog), post.created ×2 (two posts;
        # bob's boost, which nobody here follows bob to see, queues none), post.updated
        assert requeue_everything(node) == 7
        await run_jobs(node)
        assert all_notifications(node) == first
