"""Direct conversations (one per thread and participants, per account) and muted threads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import update

from bocage.core.graph import graph
from bocage.core.inbound import remote
from bocage.core.messaging import conversations
from bocage.core.posts import posts
from bocage.core.timelines import timelines
from bocage.core.timelines.timelines import Page
from bocage.kernel import events
from bocage.kernel.errors import NotFound
from bocage.node import Node
from bocage.store.models import Account, AccountConversation, Job, Post
from tests.core.helpers import (
    favourite,
    notifications_of,
    post,
    remote_user,
    reply,
    user,
)


async def run_jobs(node: Node) -> None:
    await node.worker.run_until_idle()


def listed(node: Node, account: Account, page: Page | None = None) -> list[tuple[Any, ...]]:
    """(last status text, participants' names, unread) of the account's conversations."""
    with node.db.snapshot() as session:
        rows = conversations.page(session, account, page or Page())
        people = conversations.participants(session, rows)
        found = []
        for row in rows:
            last = session.get(Post, row.last_status_id)
            assert last is not None
            names = sorted(person.username for person in people[row.id])
            found.append((last.source or last.content, names, row.unread))
        return found


def conversation_ids(node: Node, account: Account) -> list[int]:
    with node.db.snapshot() as session:
        return [row.id for row in conversations.page(session, account, Page())]


def delete(node: Node, author: Account, post_id: int) -> None:
    with node.db.transaction() as session:
        me = session.get(Account, author.id)
        assert me is not None
        posts.delete_post(session, node.ctx, me, post_id)


async def test_a_direct_thread_between_two(node: Node) -> None:
    alice, bob, carol = user(node, "alice"), user(node, "bob"), user(node, "carol")
    first = post(node, alice, "@bob psst", visibility="direct")
    post(node, alice, "public @bob")  # not direct: no conversation
    post(node, alice, "followers @bob", visibility="private")
    await run_jobs(node)
    assert listed(node, alice) == [("@bob psst", ["bob"], False)]
    assert listed(node, bob) == [("@bob psst", ["alice"], True)]
    assert listed(node, carol) == []

    answer = reply(node, bob, first, "@alice hi back", visibility="direct")
    await run_jobs(node)
    assert listed(node, alice) == [("@alice hi back", ["bob"], True)]  # same conversation
    assert listed(node, bob) == [("@alice hi back", ["alice"], False)]

    # Someone else joins: another conversation (Mastodon's: same thread, other people).
    reply(node, alice, answer, "@bob @carol joining", visibility="direct")
    # A new thread: another conversation, listed first (the newest last status).
    post(node, bob, "@alice new topic", visibility="direct")
    await run_jobs(node)
    assert listed(node, alice) == [
        ("@alice new topic", ["bob"], True),
        ("@bob @carol joining", ["bob", "carol"], False),
        ("@alice hi back", ["bob"], True),
    ]
    assert listed(node, carol) == [("@bob @carol joining", ["alice", "bob"], True)]
    # Paged by the id of their last status.
    with node.db.snapshot() as session:
        newest = session.get(AccountConversation, conversation_ids(node, alice)[0])
        assert newest is not None
    assert listed(node, alice, Page(max_id=newest.last_status_id, limit=1)) == [
        ("@bob @carol joining", ["bob", "carol"], False)
    ]

    # A note to oneself: the account itself is the participant, as on Mastodon.
    post(node, carol, "note to self", visibility="direct")
    await run_jobs(node)
    assert listed(node, carol)[0] == ("note to self", ["carol"], False)


async def test_idempotent_and_events(node: Node) -> None:
    alice, bob = user(node, "alice"), user(node, "bob")
    first = post(node, alice, "@bob once", visibility="direct")
    with node.db.transaction() as session:
        stored = session.get(Post, first.id)
        assert stored is not None
        conversations.add_post(session, stored)
        emitted = [e for e in session.info.get(events.PENDING, []) if e.kind == "conversation"]
        conversations.add_post(session, stored)  # a second run: nothing changes, nobody told
        again = [e for e in session.info.get(events.PENDING, []) if e.kind == "conversation"]
    assert sorted(e.data["account_id"] for e in emitted) == sorted([alice.id, bob.id])
    assert again == emitted
    await run_jobs(node)  # the post.created job itself: nothing new
    with node.db.transaction() as session:  # and once more, as after a lost completion
        session.execute(update(Job).where(Job.kind == "post.created").values(state="queued"))
    await run_jobs(node)
    assert listed(node, bob) == [("@bob once", ["alice"], True)]
    assert len(conversation_ids(node, alice)) == 1

    with node.db.transaction() as session:
        row = conversations.mark_read(session, bob, conversation_ids(node, bob)[0])
        told = session.info[events.PENDING][-1]
    assert (told.kind, told.data) == (
        "conversation",
        {"account_id": bob.id, "conversation_id": row.id},
    )
    assert listed(node, bob) == [("@bob once", ["alice"], False)]


async def test_deleting_falls_back_then_removes(node: Node) -> None:
    alice, bob = user(node, "alice"), user(node, "bob")
    first = post(node, alice, "@bob one", visibility="direct")
    second = reply(node, bob, first, "@alice two", visibility="direct")
    third = reply(node, alice, second, "@bob three", visibility="direct")
    await run_jobs(node)
    with node.db.transaction() as session:
        gone = session.get(Post, third.id)
        assert gone is not None
        posts.forget(session, gone)
        told = [e.data for e in session.info[events.PENDING] if e.kind == "conversation"]
    assert sorted(d["account_id"] for d in told) == sorted([alice.id, bob.id])
    # Falls back to the previous direct post; read or unread as it was (as Mastodon).
    assert listed(node, bob) == [("@alice two", ["alice"], True)]
    assert listed(node, alice) == [("@alice two", ["bob"], False)]
    delete(node, bob, second.id)
    delete(node, alice, first.id)
    assert listed(node, alice) == listed(node, bob) == []


async def test_removed_or_read_for_one_only(node: Node) -> None:
    alice, bob = user(node, "alice"), user(node, "bob")
    first = post(node, alice, "@bob hello", visibility="direct")
    await run_jobs(node)
    with node.db.transaction() as session:
        conversations.remove(session, bob, conversation_ids(node, bob)[0])
    assert listed(node, bob) == []
    assert listed(node, alice) == [("@bob hello", ["bob"], False)]
    # The next message in the thread brings it back, unread.
    reply(node, alice, first, "@bob still there?", visibility="direct")
    await run_jobs(node)
    assert listed(node, bob) == [("@bob still there?", ["alice"], True)]


async def test_not_for_those_who_would_not_be_told(node: Node) -> None:
    alice, bob, carol = user(node, "alice"), user(node, "bob"), user(node, "carol")
    with node.db.transaction() as session:
        graph.mute(session, bob, alice)
        graph.block(session, node.ctx, carol, alice)
    post(node, alice, "@bob @carol hello", visibility="direct")
    await run_jobs(node)
    assert listed(node, alice) == [("@bob @carol hello", ["bob", "carol"], False)]
    assert listed(node, bob) == listed(node, carol) == []


async def test_a_remote_direct_message(node: Node) -> None:
    alice = user(node, "alice")
    stranger = remote_user(node, "https://remote.example/users/zed")
    note = remote.RemotePost(
        uri="https://remote.example/notes/1",
        author_uri=stranger.uri,
        content="<p>@alice hello from afar</p>",
        published=datetime.now(UTC),
        to=(alice.uri,),
        mentions=(alice.uri,),
    )
    with node.db.transaction() as session:
        author = session.get(Account, stranger.id)
        assert author is not None
        assert remote.receive_post(session, author, note) is not None
    await run_jobs(node)
    assert listed(node, alice) == [("<p>@alice hello from afar</p>", ["zed"], True)]
    assert listed(node, stranger) == []  # remote people keep theirs on their own server


async def test_muted_thread_tells_nothing(node: Node) -> None:
    alice, bob, carol = user(node, "alice"), user(node, "bob"), user(node, "carol")
    root = post(node, alice, "a thread")
    answer = reply(node, bob, root, "@alice an answer")
    await run_jobs(node)
    assert notifications_of(node, alice) == [("mention", bob.id, answer.id)]

    with node.db.transaction() as session:
        conversations.mute_thread(session, node.ctx, alice, answer.id)  # any post of it
    deeper = reply(node, carol, answer, "@alice deeper")
    favourite(node, bob, root.id)
    private = reply(node, bob, root, "@alice privately", visibility="direct")
    other = post(node, bob, "@alice elsewhere")
    await run_jobs(node)
    assert notifications_of(node, alice) == sorted(
        [("mention", bob.id, answer.id), ("mention", bob.id, other.id)]
    )
    assert listed(node, alice) == []  # the direct reply in the muted thread too
    shown = (root, deeper, private, other)
    assert muted_threads(node, alice, shown) == {root.id}  # as pages show it (Status.muted)
    assert muted_threads(node, bob, shown) == set()

    with node.db.transaction() as session:
        conversations.unmute_thread(session, node.ctx, alice, root.id)
    again = reply(node, carol, root, "@alice again")
    await run_jobs(node)
    assert ("mention", carol.id, again.id) in notifications_of(node, alice)


def muted_threads(node: Node, viewer: Account, shown: Sequence[Post]) -> set[int]:
    """The threads, among those of `shown`, that `viewer` sees as muted."""
    with node.db.snapshot() as session:
        views = timelines.hydrate(session, viewer, [post.id for post in shown])
        return {timelines.thread_of(view.post) for view in views if view.muted}


async def test_only_visible_threads_can_be_muted(node: Node) -> None:
    alice, bob = user(node, "alice"), user(node, "bob")
    secret = post(node, bob, "@bob to myself", visibility="direct")
    with node.db.transaction() as session, pytest.raises(NotFound):
        conversations.mute_thread(session, node.ctx, alice, secret.id)
    assert muted_threads(node, alice, [secret]) == set()
