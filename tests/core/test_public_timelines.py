"""Public timelines (all, local, remote, media) and silenced servers; trends; post search."""

from __future__ import annotations

from datetime import UTC, datetime

from bocage.core.inbound import remote
from bocage.core.instance import domains
from bocage.core.moderation import domain_blocks
from bocage.core.search import search
from bocage.core.timelines import timelines, trends
from bocage.core.timelines.timelines import Page
from bocage.node import Node
from bocage.store.models import Account
from tests.core.helpers import favourite, post, remote_user, reply, user

PUBLIC = ("https://www.w3.org/ns/activitystreams#Public",)


def remote_post(
    node: Node, author: Account, text: str, to: tuple[str, ...] = PUBLIC, cc: tuple[str, ...] = ()
) -> None:
    note = remote.RemotePost(
        uri=f"{author.uri}/notes/{abs(hash(text))}",
        author_uri=author.uri,
        content=f"<p>{text}</p>",
        published=datetime.now(UTC),
        to=to,
        cc=cc,
    )
    with node.db.transaction() as session:
        stored = session.get(Account, author.id)
        assert stored is not None and remote.receive_post(session, stored, note) is not None


def texts(node: Node, viewer: Account | None, **options: object) -> list[str]:
    with node.db.snapshot() as session:
        views = timelines.public(session, viewer, Page(), **options)  # type: ignore[arg-type]
        return [view.post.source or view.post.content for view in views]


def test_public_timelines_by_origin(node: Node) -> None:
    alice = user(node, "alice")
    faraway = remote_user(node, "https://far.example/users/zed")
    quiet = remote_user(node, "https://sub.quiet.example/users/mo")
    post(node, alice, "local hello")
    remote_post(node, faraway, "remote hello")
    remote_post(node, quiet, "from a silenced server")
    remote_post(node, faraway, "unlisted", to=(), cc=PUBLIC)

    assert texts(node, alice) == [
        "<p>from a silenced server</p>", "<p>remote hello</p>", "local hello",
    ]  # fmt: skip
    assert texts(node, alice, where="local") == ["local hello"]
    assert texts(node, None, where="remote")[-1] == "<p>remote hello</p>"
    assert texts(node, alice, only_media=True) == []

    with node.db.transaction() as session:
        domain_blocks.block(session, "quiet.example", "silence")
    assert texts(node, alice) == ["<p>remote hello</p>", "local hello"]
    assert texts(node, alice, where="remote") == ["<p>remote hello</p>"]


def test_trending_tags_and_posts(node: Node) -> None:
    alice, bob, carol = user(node, "alice"), user(node, "bob"), user(node, "carol")
    liked = post(node, alice, "#Hedges are #trees")
    post(node, bob, "more #hedges")
    post(node, carol, "#hedges forever")
    post(node, carol, "secret #trees", visibility="private")
    post(node, alice, "unpopular")
    favourite(node, bob, liked.id)
    with node.db.snapshot() as session:
        found = trends.tags(session)
        assert [(t.name, t.accounts) for t in found] == [("hedges", 3), ("trees", 1)]
        assert len(found[0].history) == trends.TAG_DAYS and found[0].history[0].uses == 3
        assert [t.name for t in trends.tags(session, limit=1, offset=1)] == ["trees"]
        assert trends.statuses(session, None) == [liked.id]


def test_search_finds_words_in_posts_one_has_a_reason_to_search(node: Node) -> None:
    alice, bob = user(node, "alice"), user(node, "bob")
    own = post(node, alice, "Planting a Hawthorn hedge")
    liked = post(node, bob, "hawthorn berries in autumn")
    elsewhere = post(node, bob, "hawthorn is everywhere")  # nothing to do with alice
    mention = post(node, bob, "@alice look: a hawthorn", visibility="direct")
    reply(node, bob, own, "nice hedge")
    favourite(node, alice, liked.id)
    with node.db.snapshot() as session:
        found = search.statuses(session, alice.id, "HAWTHORN")
        assert found == [mention.id, liked.id, own.id]
        assert search.statuses(session, alice.id, "hawthorn hedge") == [own.id]
        assert search.statuses(session, alice.id, "hawthorn", account_id=bob.id) == [
            mention.id, liked.id,
        ]  # fmt: skip
        assert search.statuses(session, alice.id, "100%") == []
        # Bob's own three, newest first, one page at a time.
        assert search.statuses(session, bob.id, "hawthorn", limit=1, offset=1) == [elsewhere.id]


def test_a_silenced_server_is_silenced_on_any_port(node: Node) -> None:
    """A block names a host; its accounts on a port are on it too (as `domains.is_silenced`
    and the federation rules read it), on the pages as on the streams."""
    alice = user(node, "alice")
    on_a_port = remote_user(node, "https://sub.quiet.example:8443/users/pip")
    named_port = remote_user(node, "https://loud.example:8443/users/kit")
    other_port = remote_user(node, "https://loud.example:9000/users/max")
    remote_post(node, on_a_port, "silenced on a port")
    remote_post(node, named_port, "silenced on the port blocked")
    remote_post(node, other_port, "on another port")
    with node.db.transaction() as session:
        domain_blocks.block(session, "quiet.example", "silence")
        domain_blocks.block(session, "loud.example:8443", "silence")
        assert domains.is_silenced(session, "sub.quiet.example:8443")
    assert texts(node, alice) == ["<p>on another port</p>"]
