"""Polls over ActivityPub with captured payloads: Mastodon's Question (created, then updated
with new counts and closed) and Mastodon's vote (a Create of a Note with a `name`), delivered
signed to this node's inbox and processed by the job queue."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import func, select

from bocage.core.polls.polls import PollDraft
from bocage.store.models import Account, Notification, Poll, PollVote, Post
from tests.activitypub.helpers import BASE, REMOTE, deliver, payload, signed_headers
from tests.core import helpers
from tests.web.conftest import Browser


async def deliver_and_process(browser: Browser, document: dict[str, Any]) -> None:
    body = orjson.dumps(document)
    response = await deliver(browser, body, signed_headers(body))
    assert response.status_code == 202, response.text
    await browser.node.worker.run_until_idle()


def question_from_sender(end: datetime) -> dict[str, Any]:
    """Mastodon's captured Create(Question), as if the known sender had just posted it."""
    document = copy.deepcopy(payload("mastodon/create_question.json"))
    question = document["object"]
    document["id"] = f"{REMOTE}/statuses/1/activity"
    document["actor"] = question["attributedTo"] = REMOTE
    question["id"] = f"{REMOTE}/statuses/1"
    question["cc"] = document["cc"] = [f"{REMOTE}/followers", f"{BASE}/users/alice"]
    question["endTime"] = end.strftime("%Y-%m-%dT%H:%M:%SZ")
    return document


def poll_of(browser: Browser, uri: str) -> tuple[Post, Poll] | None:
    with browser.node.db.snapshot() as session:
        found = session.execute(
            select(Post, Poll).join(Poll, Poll.post_id == Post.id).where(Post.uri == uri)
        ).first()
        return (found[0], found[1]) if found else None


async def test_a_mastodon_question_arrives_then_its_counts_and_its_end(
    browser: Browser, sender: Account
) -> None:
    end = datetime.now(UTC) + timedelta(hours=1)
    create = question_from_sender(end)
    await deliver_and_process(browser, create)
    found = poll_of(browser, f"{REMOTE}/statuses/1")
    assert found is not None, "the Question was not stored with its poll"
    post, poll = found
    assert poll.options == [o["name"] for o in create["object"]["oneOf"]]
    assert (poll.tallies, poll.multiple, poll.closed_at) == ([0, 1, 0, 1], False, None)
    assert poll.expires_at == end.replace(microsecond=0)
    assert "<li>" not in post.content

    # Mastodon's Update of the Question: new counts, then the end.
    update = {
        "@context": create["@context"],
        "id": f"{REMOTE}/statuses/1#updates/1",
        "type": "Update",
        "actor": REMOTE,
        "to": create["to"],
        "cc": create["cc"],
        "object": {**create["object"], "votersCount": 4},
    }
    update["object"]["oneOf"] = copy.deepcopy(create["object"]["oneOf"])
    update["object"]["oneOf"][0]["replies"]["totalItems"] = 2
    await deliver_and_process(browser, update)
    found = poll_of(browser, f"{REMOTE}/statuses/1")
    assert found is not None
    assert (found[1].tallies, found[1].voters_count, found[1].closed_at) == ([2, 1, 0, 1], 4, None)
    assert found[0].edited_at is None

    closing = copy.deepcopy(update)
    closing["id"] = f"{REMOTE}/statuses/1#updates/2"
    closing["object"]["closed"] = closing["object"]["endTime"]
    await deliver_and_process(browser, closing)
    found = poll_of(browser, f"{REMOTE}/statuses/1")
    assert found is not None and found[1].closed_at is not None


async def test_a_mastodon_vote_is_counted_not_shown_as_a_post(
    browser: Browser, sender: Account
) -> None:
    node = browser.node
    alice = helpers.fresh(node, helpers.user(node, "alice2"))
    published = helpers.post(node, alice, "Ready?", poll=PollDraft(("suya..", "not yet"), 3600))
    vote = copy.deepcopy(payload("mastodon/create_poll_vote.json"))
    vote["actor"] = vote["object"]["attributedTo"] = REMOTE
    vote["id"] = f"{REMOTE}#votes/387/activity"
    vote["object"]["id"] = f"{REMOTE}#votes/387"
    vote["object"]["inReplyTo"] = published.uri
    vote["to"] = vote["object"]["to"] = alice.uri

    def counts() -> tuple[int, list[Any], int]:
        with node.db.snapshot() as session:
            poll = session.get(Poll, published.poll_id)
            assert poll is not None
            posts = session.execute(select(func.count()).select_from(Post)).scalar_one()
            return int(posts), list(poll.tallies), int(poll.votes_count)

    posts_before = counts()[0]
    await deliver_and_process(browser, vote)
    await deliver_and_process(browser, {**vote, "id": f"{REMOTE}#votes/387/again"})
    assert counts() == (posts_before, [1, 0], 1)
    with node.db.snapshot() as session:
        voters = session.execute(select(PollVote.account_id, PollVote.uri)).all()
        assert [tuple(row) for row in voters] == [(sender.id, f"{REMOTE}#votes/387")]
        told = session.execute(select(func.count()).select_from(Notification)).scalar_one()
        assert told == 0  # a vote is not a reply or a mention
