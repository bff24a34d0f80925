"""Publishing queues the `post.created` job only when it has something to write
(feeds.fan_out_needed); otherwise it tells streaming clients itself."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bocage.core.graph import lists
from bocage.core.posts import posts
from bocage.kernel import events
from bocage.node import Node
from bocage.store.models import Account, Job
from tests.core.helpers import follow, post, user


def publish(node: Node, author: Account, text: str, **draft: Any) -> tuple[bool, list[str]]:
    """(whether a post.created job was queued, the events the transaction emitted)."""
    with node.db.transaction() as session:
        before = _created_jobs(session)
        posts.publish(session, node.ctx, author, posts.PostDraft(text, **draft))
        emitted = [event.kind for event in events.pending(session)]
        return _created_jobs(session) > before, emitted


def _created_jobs(session: Any) -> int:
    kinds = session.execute(select(Job.kind)).scalars()
    return sum(kind == "post.created" for kind in kinds)


async def test_a_post_nobody_here_gets_queues_nothing(node: Node) -> None:
    alice = user(node, "alice")
    user(node, "bob")  # on the node, but not following alice
    queued, emitted = publish(node, alice, "only my feed, and other servers")
    assert not queued
    assert "post.published" in emitted  # streaming clients still hear of it
    assert "post.published" not in publish(node, alice, "hi @bob")[1]  # the job tells them
    thread = post(node, alice, "a thread")
    queued, _ = publish(node, alice, "my own thread goes on", in_reply_to_id=thread.id)
    assert not queued


async def test_each_reason_to_fan_out_queues_the_job(node: Node) -> None:
    alice, bob, carol = user(node, "alice"), user(node, "bob"), user(node, "carol")
    assert publish(node, alice, "hi @bob")[0]  # a mention
    assert publish(node, alice, "psst", visibility="direct")[0]  # a conversation
    bobs = post(node, bob, "bob asks")
    assert publish(node, alice, "an answer", in_reply_to_id=bobs.id)[0]  # bob is notified

    with node.db.transaction() as session:  # alice lists herself: her list gets her posts
        own = lists.create(session, alice.id, "me")
        lists.add_members(session, alice.id, own.id, [alice.id])
    assert publish(node, alice, "for my list")[0]

    assert not publish(node, carol, "nobody follows carol yet")[0]
    follow(node, bob, carol)
    assert publish(node, carol, "bob follows carol now")[0]
