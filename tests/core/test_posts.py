"""Publishing, replying, editing, deleting, boosting, favouriting and bookmarking posts."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from sqlalchemy import func, select

from bocage.core.posts import posts
from bocage.core.timelines import timelines
from bocage.kernel.errors import Forbidden, InvalidInput, NotFound
from bocage.node import Node
from bocage.store.models import (
    Bookmark,
    Favourite,
    LogEntry,
    Mention,
    Post,
    PostEdit,
    PostTag,
    Tombstone,
)
from tests.core.helpers import boost, favourite, follow, fresh, get_post, post, reply, user

BASE = "http://127.0.0.1:8000"


def log_of(node: Node, account_id: int) -> list[LogEntry]:
    with node.db.snapshot() as session:
        rows = session.execute(
            select(LogEntry).where(LogEntry.account_id == account_id).order_by(LogEntry.seq)
        )
        return list(rows.scalars())


def count(node: Node, model: type, *conditions: object) -> int:
    with node.db.snapshot() as session:
        query = select(func.count()).select_from(model)
        if conditions:
            query = query.where(*conditions)  # type: ignore[arg-type]
        return int((session.execute(query)).scalar_one())


# --- publishing ----------------------------------------------------------------------------


def test_publish_stores_the_post_and_counts_it(node: Node) -> None:
    alice = user(node, "alice")
    published = post(node, alice, "hello world", language="en")
    stored = get_post(node, published.id)
    assert stored is not None
    assert stored.content == "<p>hello world</p>"
    assert stored.source == "hello world"
    assert stored.visibility == "public"
    assert stored.language == "en"
    assert stored.uri == f"{BASE}/users/alice/statuses/{published.id}"
    assert stored.in_reply_to_id is None and stored.thread_root_id is None
    assert (stored.replies_count, stored.favourites_count, stored.reblogs_count) == (0, 0, 0)
    author = fresh(node, alice)
    assert author.statuses_count == 1
    assert author.last_status_at == stored.created_at
    [entry] = log_of(node, alice.id)
    assert entry.activity_type == "Create"
    assert entry.activity_id == f"{stored.uri}/activity"
    assert entry.object_id == stored.uri
    activity = orjson.loads(entry.activity or "null")
    assert activity["object"]["content"] == "<p>hello world</p>"
    assert activity["object"]["contentMap"] == {"en": "<p>hello world</p>"}
    assert activity["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
    assert activity["cc"] == [f"{BASE}/users/alice/followers"]

    published = post(node, alice, "spoilers", spoiler_text="  film ending  ")
    assert published.spoiler_text == "film ending"
    entry = (log_of(node, alice.id))[-1]
    note = orjson.loads(entry.activity or "null")["object"]
    assert note["sensitive"] is True
    assert note["summary"] == "film ending"
    source = "<script>alert('x')</script> <b>bold</b> & <a href=\"javascript:x()\">y</a>"
    published = post(node, alice, source)
    assert "<script" not in published.content
    assert "<b>" not in published.content
    assert "<a href=" not in published.content
    assert "&lt;script&gt;" in published.content
    assert "&amp;" in published.content
    assert published.source == source


def test_publish_validation(node: Node) -> None:
    alice = user(node, "alice")
    url = "https://example.org/" + "long/" * 40
    refused = [
        posts.PostDraft(""),
        posts.PostDraft("   \n\t  "),
        posts.PostDraft("x" * 501),
        posts.PostDraft("x" * 477 + " " + url),  # 477 + 1 + 23 = 501
        posts.PostDraft("hello", spoiler_text="w" * 501),
        posts.PostDraft("x" * 400, spoiler_text="w" * 101),  # the warning counts too
        posts.PostDraft("hello", language="e"),
    ]
    for draft in refused:
        with node.db.transaction() as session:
            with pytest.raises(InvalidInput):
                posts.publish(session, node.ctx, alice, draft)
    assert count(node, Post) == 0
    assert count(node, LogEntry) == 0
    assert (fresh(node, alice)).statuses_count == 0
    # The limits themselves are allowed.
    accepted = [
        posts.PostDraft("x" * 500),
        posts.PostDraft("x" * 476 + " " + url),  # 476 + 1 + 23 = 500
        posts.PostDraft("x" * 400, spoiler_text="w" * 100),
        posts.PostDraft("y" * 493 + " @alice@remote.example"),  # the host does not count
    ]
    for draft in accepted:
        with node.db.transaction() as session:
            posts.publish(session, node.ctx, alice, draft)
    assert count(node, Post) == 4
    assert (fresh(node, alice)).statuses_count == 4


def test_mentions_and_hashtags_are_recognised_and_linked(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "Bob")
    user(node, "carol", suspended=True)
    published = post(
        node,
        alice,
        "hi @bob and @BOB, @carol, @nobody and @dan@remote.example #Garden #garden #Trees",
    )
    content = published.content
    assert (
        f'<span class="h-card"><a href="{BASE}/@Bob" class="u-url mention">'
        "@<span>bob</span></a></span>"
    ) in content
    assert "@carol" in content and f"{BASE}/@carol" not in content  # suspended: plain text
    assert "@nobody" in content and "/@nobody" not in content
    assert "@dan@remote.example" in content
    assert (
        f'<a href="{BASE}/tags/garden" class="mention hashtag" rel="tag">#<span>Garden</span></a>'
        in content
    )
    assert f'<a href="{BASE}/tags/trees"' in content
    with node.db.snapshot() as session:
        mentions = (
            session.execute(select(Mention.account_id).where(Mention.post_id == published.id))
        ).scalars()
        assert list(mentions) == [bob.id]
        tags = (
            session.execute(
                select(PostTag.tag).where(PostTag.post_id == published.id).order_by(PostTag.tag)
            )
        ).scalars()
        assert list(tags) == ["garden", "trees"]
    [entry] = log_of(node, alice.id)
    note = orjson.loads(entry.activity or "null")["object"]
    assert {"type": "Mention", "href": bob.uri, "name": "@Bob"} in note["tag"]
    assert {"type": "Hashtag", "href": f"{BASE}/tags/garden", "name": "#garden"} in note["tag"]
    assert bob.uri in note["cc"]


def test_mentions_with_a_host(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob")
    published = post(node, alice, "@bob meet @bob@remote.example")
    assert published.content.count(f"{BASE}/@bob") == 1
    assert published.content.endswith("meet @bob@remote.example</p>")
    # With this node's own domain, the mention is local.
    local_host = post(node, alice, "hi @bob@127.0.0.1:8000")
    with node.db.snapshot() as session:
        mentioned = session.execute(
            select(Mention.account_id).where(Mention.post_id == local_host.id)
        )
        assert list(mentioned.scalars()) == [bob.id]
    assert f'href="{BASE}/@bob"' in local_host.content


# --- replies -------------------------------------------------------------------------------


def test_replies_set_the_thread_root_and_count(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob")
    root = post(node, alice, "root")
    first = reply(node, bob, root, "first")
    second = reply(node, alice, first, "second")
    also = reply(node, bob, root, "also")
    assert (first.in_reply_to_id, first.in_reply_to_account_id) == (root.id, alice.id)
    assert first.thread_root_id == root.id
    assert (second.in_reply_to_id, second.in_reply_to_account_id) == (first.id, bob.id)
    assert second.thread_root_id == root.id
    assert also.thread_root_id == root.id
    assert (get_post(node, root.id)).replies_count == 2  # type: ignore[union-attr]
    assert (get_post(node, first.id)).replies_count == 1  # type: ignore[union-attr]
    entry = (log_of(node, alice.id))[-1]
    assert orjson.loads(entry.activity or "null")["object"]["inReplyTo"] == first.uri
    # One cannot reply to what one cannot see, nor to a boost.
    secret = post(node, alice, "followers only", visibility="private")
    public = post(node, alice, "public")
    reblog = boost(node, bob, public.id)
    with node.db.transaction() as session:
        with pytest.raises(NotFound):
            posts.publish(session, node.ctx, bob, posts.PostDraft("hi", in_reply_to_id=secret.id))
    with node.db.transaction() as session:
        with pytest.raises(NotFound):
            posts.publish(session, node.ctx, bob, posts.PostDraft("hi", in_reply_to_id=1))
    with node.db.transaction() as session:
        with pytest.raises(InvalidInput):
            posts.publish(session, node.ctx, alice, posts.PostDraft("hi", in_reply_to_id=reblog.id))
    assert (get_post(node, secret.id)).replies_count == 0  # type: ignore[union-attr]


# --- editing -------------------------------------------------------------------------------


def test_edit_keeps_history_and_only_the_author_can_edit(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob")
    original = post(node, alice, "first #one", visibility="unlisted", spoiler_text="cw")
    with node.db.transaction() as session:
        posts.edit(session, node.ctx, alice, original.id, posts.PostDraft("second @bob #two"))
    with node.db.transaction() as session:
        edited = posts.edit(
            session,
            node.ctx,
            alice,
            original.id,
            posts.PostDraft("third", visibility="public", spoiler_text="new cw"),
        )
    stored = get_post(node, original.id)
    assert stored is not None
    assert stored.source == "third"
    assert stored.content == "<p>third</p>"
    assert stored.spoiler_text == "new cw"
    assert stored.visibility == "unlisted"  # an edit cannot change who may see the post
    assert stored.edited_at is not None and stored.edited_at > stored.created_at
    assert edited.edited_at == stored.edited_at
    with node.db.snapshot() as session:
        history = posts.history(session, None, original.id)
        mentions = (
            session.execute(select(Mention.account_id).where(Mention.post_id == stored.id))
        ).all()
        tags = (session.execute(select(PostTag.tag))).scalars().all()
    assert [(h.source, h.spoiler_text) for h in history] == [
        ("first #one", "cw"),
        ("second @bob #two", ""),
    ]
    assert history[0].created_at == stored.created_at
    assert history[1].created_at > history[0].created_at
    assert f'href="{BASE}/@bob"' in history[1].content
    assert mentions == []  # bob is no longer mentioned
    assert tags == []
    assert count(node, PostEdit) == 2
    entries = log_of(node, alice.id)
    assert [e.activity_type for e in entries] == ["Create", "Update", "Update"]
    update = orjson.loads(entries[-1].activity or "null")
    assert update["object"]["id"] == original.uri
    assert update["object"]["content"] == "<p>third</p>"
    assert "updated" in update["object"]

    # Only the author can edit; a boost is not editable; an edit is validated.
    mine = post(node, alice, "mine")
    mine_boosted = boost(node, bob, mine.id)
    with node.db.transaction() as session:
        with pytest.raises(Forbidden):
            posts.edit(session, node.ctx, bob, mine.id, posts.PostDraft("yours"))
    with node.db.transaction() as session:
        with pytest.raises(NotFound):
            posts.edit(session, node.ctx, bob, mine_boosted.id, posts.PostDraft("boost"))
    with node.db.transaction() as session:
        with pytest.raises(InvalidInput):
            posts.edit(session, node.ctx, alice, mine.id, posts.PostDraft(" "))
    stored = get_post(node, mine.id)
    assert stored is not None and stored.source == "mine" and stored.edited_at is None
    assert count(node, PostEdit) == 2  # still only the two versions above


# --- deleting ------------------------------------------------------------------------------


def test_delete_by_author_leaves_a_tombstone_and_purges_the_content(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob")
    doomed = post(node, alice, "regrettable #oops")
    with node.db.transaction() as session:
        posts.edit(session, node.ctx, alice, doomed.id, posts.PostDraft("still bad"))
    favourite(node, bob, doomed.id)
    boost(node, bob, doomed.id)
    kept = post(node, alice, "kept")
    with node.db.transaction() as session:
        posts.delete_post(session, node.ctx, alice, doomed.id)
    assert get_post(node, doomed.id) is None
    assert get_post(node, kept.id) is not None
    assert count(node, Post, Post.reblog_of_id == doomed.id) == 0
    assert count(node, Favourite) == 0
    assert count(node, PostEdit) == 0
    assert count(node, PostTag) == 0
    with node.db.snapshot() as session:
        tombstone = session.get(Tombstone, doomed.uri)
    assert tombstone is not None
    assert (fresh(node, alice)).statuses_count == 1
    entries = log_of(node, alice.id)
    assert [(e.seq, e.activity_type) for e in entries] == [
        (1, "Create"),
        (2, "Update"),
        (3, "Create"),
        (4, "Delete"),
    ]
    create, update, other, delete = entries
    assert create.activity is None
    assert update.activity is None
    assert create.digest.startswith("sha256:") and create.entry  # the chain stays
    assert other.activity is not None and "kept" in other.activity
    assert delete.activity is not None
    activity = orjson.loads(delete.activity)
    assert activity["type"] == "Delete"
    assert activity["object"] == {"id": doomed.uri, "type": "Tombstone"}
    assert "regrettable" not in delete.activity
    # Bob's Like and Announce name the post by URI only; they stay in his log.
    assert [e.activity_type for e in log_of(node, bob.id)] == ["Like", "Announce"]


def test_others_cannot_delete_but_an_admin_can(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob")
    admin = user(node, "boss", admin=True)
    target = post(node, alice, "hello")
    with node.db.transaction() as session:
        with pytest.raises(Forbidden):
            posts.delete_post(session, node.ctx, bob, target.id)
    with node.db.transaction() as session:
        with pytest.raises(Forbidden):
            posts.delete_post(session, node.ctx, admin, target.id)
    assert get_post(node, target.id) is not None
    with node.db.transaction() as session:
        posts.delete_post(session, node.ctx, admin, target.id, as_admin=True)
    assert get_post(node, target.id) is None
    # The Delete is the author's: it goes into Alice's log, signed with her key.
    entries = log_of(node, alice.id)
    assert [e.activity_type for e in entries] == ["Create", "Delete"]
    assert log_of(node, admin.id) == []
    with node.db.transaction() as session:
        with pytest.raises(NotFound):
            posts.delete_post(session, node.ctx, alice, target.id)

    # Deleting a reply decrements its parent.
    root = post(node, alice, "root")
    answer = reply(node, bob, root, "answer")
    assert (get_post(node, root.id)).replies_count == 1  # type: ignore[union-attr]
    with node.db.transaction() as session:
        posts.delete_post(session, node.ctx, bob, answer.id)
    assert (get_post(node, root.id)).replies_count == 0  # type: ignore[union-attr]

    # A boost is undone, not deleted.
    original = post(node, alice, "hello")
    reblog = boost(node, bob, original.id)
    with node.db.transaction() as session:
        with pytest.raises(NotFound):
            posts.delete_post(session, node.ctx, bob, reblog.id)


# --- boosts --------------------------------------------------------------------------------


def test_boost_and_unboost(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob")
    carol = user(node, "carol")
    original = post(node, alice, "boost me")
    first = boost(node, bob, original.id)
    again = boost(node, bob, original.id)
    assert again.id == first.id
    assert first.reblog_of_id == original.id
    assert first.visibility == "public"
    assert first.content == "" and first.account_id == bob.id
    # Boosting a boost boosts the original.
    carols = boost(node, carol, first.id)
    assert carols.reblog_of_id == original.id
    assert (get_post(node, original.id)).reblogs_count == 2  # type: ignore[union-attr]
    assert count(node, Post, Post.reblog_of_id == original.id) == 2
    [announce] = log_of(node, bob.id)
    activity = orjson.loads(announce.activity or "null")
    assert (activity["type"], activity["object"]) == ("Announce", original.uri)
    assert alice.uri in activity["cc"]

    for _ in range(2):
        with node.db.transaction() as session:
            posts.unboost(session, node.ctx, bob, original.id)
    assert (get_post(node, original.id)).reblogs_count == 1  # type: ignore[union-attr]
    assert get_post(node, first.id) is None
    assert [e.activity_type for e in log_of(node, bob.id)] == ["Announce", "Undo"]
    undo = orjson.loads((log_of(node, bob.id))[1].activity or "null")
    assert undo["object"]["id"] == first.uri
    assert undo["object"]["type"] == "Announce"

    # An unlisted post is boosted unlisted.
    original = post(node, alice, "quiet", visibility="unlisted")
    assert (boost(node, bob, original.id)).visibility == "unlisted"


def test_boost_restrictions(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob")
    follow(node, bob, alice)
    private = post(node, alice, "followers only", visibility="private")
    direct = post(node, alice, "just you @bob", visibility="direct")
    for target in (private, direct):
        with node.db.transaction() as session:
            with pytest.raises(Forbidden):
                posts.boost(session, node.ctx, bob, target.id)
    assert (get_post(node, private.id)).reblogs_count == 0  # type: ignore[union-attr]
    assert count(node, Post, Post.reblog_of_id.is_not(None)) == 0

    # Nor what one cannot see, nor what does not exist.
    hidden = post(node, alice, "for nobody", visibility="direct")
    for post_id in (hidden.id, 12345):
        with node.db.transaction() as session:
            with pytest.raises(NotFound):
                posts.boost(session, node.ctx, bob, post_id)

    # The author may boost her own followers-only post; the boost stays followers-only.
    stranger = user(node, "stranger")
    reblog = boost(node, alice, private.id)
    assert reblog.reblog_of_id == private.id
    with node.db.snapshot() as session:
        seen = timelines.profile(session, stranger, alice, timelines.Page())
        anonymous = timelines.profile(session, None, alice, timelines.Page())
    assert [v.shown.post.source for v in seen] == []
    assert [v.shown.post.source for v in anonymous] == []
    assert reblog.visibility == "private"


# --- favourites and bookmarks --------------------------------------------------------------


def test_favourite_and_unfavourite_are_idempotent(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob")
    carol = user(node, "carol")
    liked = post(node, alice, "like me")
    for _ in range(2):
        favourite(node, bob, liked.id)
    favourite(node, carol, liked.id)
    assert (get_post(node, liked.id)).favourites_count == 2  # type: ignore[union-attr]
    assert count(node, Favourite) == 2
    assert [e.activity_type for e in log_of(node, bob.id)] == ["Like"]
    like = orjson.loads((log_of(node, bob.id))[0].activity or "null")
    assert (like["object"], like["to"]) == (liked.uri, [alice.uri])

    for _ in range(2):
        with node.db.transaction() as session:
            posts.unfavourite(session, node.ctx, bob, liked.id)
    assert (get_post(node, liked.id)).favourites_count == 1  # type: ignore[union-attr]
    assert count(node, Favourite, Favourite.account_id == bob.id) == 0
    assert [e.activity_type for e in log_of(node, bob.id)] == ["Like", "Undo"]
    with node.db.snapshot() as session:
        views = timelines.favourites(session, carol, timelines.Page())
    assert [v.post.id for v in views] == [liked.id]
    assert views[0].favourited is True

    # What one cannot see cannot be liked.
    private = post(node, alice, "followers only", visibility="private")
    with node.db.transaction() as session:
        with pytest.raises(NotFound):
            posts.favourite(session, node.ctx, bob, private.id)
    assert (get_post(node, private.id)).favourites_count == 0  # type: ignore[union-attr]


def test_bookmarks(node: Node) -> None:
    alice = user(node, "alice")
    bob = user(node, "bob")
    first = post(node, alice, "first")
    second = post(node, alice, "second")
    private = post(node, alice, "private", visibility="private")
    with node.db.transaction() as session:
        for post_id in (first.id, second.id, first.id):
            posts.bookmark(session, bob, post_id)
        with pytest.raises(NotFound):
            posts.bookmark(session, bob, private.id)
    assert count(node, Bookmark) == 2
    with node.db.snapshot() as session:
        views = timelines.bookmarks(session, bob, timelines.Page())
        assert [v.post.id for v in views] == [second.id, first.id]
        assert all(v.bookmarked for v in views)
        assert timelines.bookmarks(session, alice, timelines.Page()) == []
    with node.db.transaction() as session:
        posts.unbookmark(session, bob, first.id)
        posts.unbookmark(session, bob, first.id)
    with node.db.snapshot() as session:
        views = timelines.bookmarks(session, bob, timelines.Page())
    assert [v.post.id for v in views] == [second.id]
    # Bookmarks are private: nothing is signed or logged.
    assert log_of(node, bob.id) == []


async def test_two_simultaneous_boosts_make_one(node: Node) -> None:
    """Two writer threads boost the same post at once (truly concurrent on PostgreSQL):
    one boost row, one Announce in the log, a count of one, and both calls succeed."""
    alice = user(node, "alice")
    bob = user(node, "bob")
    original = post(node, alice, "boost me")
    first, second = await asyncio.gather(
        node.db.write(posts.boost, node.ctx, bob, original.id),
        node.db.write(posts.boost, node.ctx, bob, original.id),
    )
    assert first.id == second.id
    with node.db.snapshot() as session:
        boosts = session.execute(select(Post.id).where(Post.reblog_of_id == original.id)).all()
        announces = session.execute(
            select(LogEntry.seq).where(
                LogEntry.account_id == bob.id, LogEntry.activity_type == "Announce"
            )
        ).all()
        counted = session.get(Post, original.id)
    assert len(boosts) == 1
    assert len(announces) == 1
    assert counted is not None and counted.reblogs_count == 1
