"""Remote posts are stored once each, whatever their ids meet: ids never repeat within a
process, a clash on an id (another process took it) takes a fresh one, and only the post's
URI means "already here" (kernel/ids.py, core/remote.receive_post)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bocage.core.inbound import remote
from bocage.core.inbound.verdicts import Verdict
from bocage.kernel import ids
from bocage.node import Node
from bocage.store.models import Account, Post
from tests.core.helpers import remote_user

AUTHOR = "http://127.0.0.9:9/users/mallory"
ONE_SECOND = datetime(2026, 12, 1, 10, 0, 0, tzinfo=UTC)  # Mastodon's `published`: whole seconds
BURST = 10_000


def note(n: int, published: datetime = ONE_SECOND) -> remote.RemotePost:
    return remote.RemotePost(
        uri=f"{AUTHOR}/statuses/{n}", author_uri=AUTHOR, content=f"<p>{n}</p>", published=published
    )


def receive(node: Node, author: Account, notes: list[remote.RemotePost]) -> list[Post | Verdict]:
    with node.db.transaction() as session:
        return [remote.receive_post(session, author, one) for one in notes]


def stored(node: Node) -> tuple[int, int]:
    """(posts, distinct ids) of the author."""
    with node.db.snapshot() as session:
        count = session.scalar(
            select(func.count(Post.id.distinct())).where(Post.uri.like(f"{AUTHOR}/%"))
        )
        uris = session.scalar(
            select(func.count(Post.uri.distinct())).where(Post.uri.like(f"{AUTHOR}/%"))
        )
        return int(count or 0), int(uris or 0)


def test_back_dated_ids_of_one_millisecond_never_repeat_and_lend_from_the_next() -> None:
    made = [ids.new_id(ONE_SECOND) for _ in range(10_000)]  # more than one millisecond holds
    assert len(set(made)) == len(made)
    first_ms = int(ONE_SECOND.timestamp() * 1000)
    used = {identifier >> ids.LOW_BITS for identifier in made}
    assert used == set(range(first_ms, first_ms + len(used)))
    assert len(used) <= 10_000 // (ids.SEQUENCE_SPAN // 2) + 1
    assert all(0 < identifier <= ids.MAX_ID for identifier in made)


def test_ids_carry_the_slot_of_the_process_that_made_them() -> None:
    with ids.in_slot(5):
        made = [ids.new_id(), ids.new_id(ONE_SECOND), ids.new_id_after(ids.new_id())]
    assert {identifier % ids.SLOTS for identifier in made} == {5}


def test_live_and_back_dated_ids_share_their_milliseconds() -> None:
    """A remote post published "now" takes an id of the same millisecond as local ones."""
    moment = datetime.now(UTC)
    made = [ids.new_id() for _ in range(2_000)] + [ids.new_id(moment) for _ in range(2_000)]
    assert len(set(made)) == len(made)


def test_a_reply_sorts_after_its_parent() -> None:
    parent = ids.new_id()
    assert ids.new_id_after(parent) > parent


# Ids are made the same way for both databases: 10,000 posts once is enough.
@pytest.mark.parametrize("backend", ["sqlite"])
async def test_ten_thousand_posts_published_within_one_second_are_all_stored(node: Node) -> None:
    author = remote_user(node, AUTHOR)
    for start in range(0, BURST, 1_000):
        results = receive(node, author, [note(n) for n in range(start, start + 1_000)])
        assert not [r for r in results if isinstance(r, Verdict)], "a new post was refused"
    assert stored(node) == (BURST, BURST)


async def test_an_id_taken_elsewhere_is_not_taken_for_the_post_being_here(node: Node) -> None:
    """Another process stored a post with the very id this one is about to use: the insert
    fails on the id, not on the URI, and the post takes the next free id."""
    author = remote_user(node, AUTHOR)
    published = datetime(2026, 12, 2, 8, 30, 0, tzinfo=UTC)
    [first] = receive(node, author, [note(1, published)])
    assert isinstance(first, Post)
    taken = first.id + (1 << ids.SLOT_BITS)  # the next id this process makes in that ms
    with node.db.transaction() as session:
        session.add(Post(id=taken, account_id=author.id, uri=f"{AUTHOR}/elsewhere", content="",
                         visibility="public", created_at=published))  # fmt: skip
    [second] = receive(node, author, [note(2, published)])
    assert isinstance(second, Post) and second.id not in (first.id, taken)
    assert stored(node) == (3, 3)


@pytest.mark.parametrize("deleted", [False, True])
async def test_a_post_already_here_or_deleted_is_refused_with_its_reason(
    node: Node, deleted: bool
) -> None:
    author = remote_user(node, AUTHOR)
    if deleted:
        with node.db.transaction() as session:
            remote.delete_post(session, author, note(1).uri)
    else:
        receive(node, author, [note(1)])
    [again] = receive(node, author, [note(1)])
    assert isinstance(again, Verdict) and not again.applied
    assert ("deleted by its author" if deleted else "already here") in again.reason
