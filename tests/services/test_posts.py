"""PostService: a post that @mentions a remote account has it looked up by the service,
before the unit of work, whether the post is written by calling the service, from the web
compose form or through the Mastodon API (and when it is edited); and Mastodon's "a post you
cannot see is not found, even to undo" is the service's `seen_first`."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bocage.core.posts.posts import PostDraft
from bocage.kernel.errors import NotFound
from bocage.node import Node
from bocage.store.models import Account, Mention, Post
from tests.conftest import make_user
from tests.outsider import Outsider
from tests.services.conftest import api_token, client, csrf, log_in


def mentioned(node: Node, post_id: int) -> list[str]:
    """The actor ids a post's mentions link to."""
    with node.db.snapshot() as session:
        rows = session.execute(
            select(Account.uri)
            .join(Mention, Mention.account_id == Account.id)
            .where(Mention.post_id == post_id)
        )
        return list(rows.scalars())


def latest_post(node: Node, account: Account) -> int:
    with node.db.snapshot() as session:
        found = session.scalars(
            select(Post.id).where(Post.account_id == account.id).order_by(Post.id.desc())
        ).first()
        assert found is not None
        return found


def looked_up(outside: Outsider, name: str) -> bool:
    return any(
        (seen.path.startswith("/.well-known/webfinger") and name in seen.path)
        or seen.path == f"/users/{name}"
        for seen in outside.seen
    )


async def test_a_remote_mention_is_learned_whichever_face_writes(
    app_node: Node, outside: Outsider
) -> None:
    alice = make_user(app_node, "alice")
    # Called directly.
    post_id = await app_node.services.posts.publish(
        alice, PostDraft(text=f"hello @{outside.handle('fern')}")
    )
    assert mentioned(app_node, post_id) == [outside.actor("fern")]
    # From the web compose form.
    async with client(app_node) as browser:
        await log_in(browser, "alice")
        form = {"text": f"hi @{outside.handle('gale')}", "visibility": "public"}
        answer = await browser.post("/posts", data={**form, **await csrf(browser)})
        assert answer.status_code == 303, answer.text
    assert mentioned(app_node, latest_post(app_node, alice)) == [outside.actor("gale")]
    # Through the Mastodon API, and an edit through it.
    async with client(app_node, api_token(app_node, alice)) as api:
        answer = await api.post(
            "/api/v1/statuses", data={"status": f"@{outside.handle('heath')} hey"}
        )
        assert answer.status_code == 200, answer.text
        written = int(answer.json()["id"])
        assert answer.json()["mentions"][0]["url"] == outside.actor("heath")
        edited = await api.put(
            f"/api/v1/statuses/{written}", data={"status": f"@{outside.handle('iris')} now"}
        )
        assert edited.status_code == 200, edited.text
    assert mentioned(app_node, written) == [outside.actor("iris")]
    for name in ("fern", "gale", "heath", "iris"):
        assert looked_up(outside, name), f"{name} was not looked up on its server"


async def test_a_remote_mention_that_cannot_be_found_stays_text(
    app_node: Node, outside: Outsider
) -> None:
    alice = make_user(app_node, "alice")
    handle = f"nobody@{outside.host}:{outside.port}"
    post_id = await app_node.services.posts.publish(alice, PostDraft(text=f"hi @{handle}"))
    assert mentioned(app_node, post_id) == []


async def test_seen_first_refuses_an_unseen_post_even_to_undo(app_node: Node) -> None:
    alice, bob = make_user(app_node, "alice"), make_user(app_node, "bob")
    posts = app_node.services.posts
    private = await posts.publish(alice, PostDraft(text="mine", visibility="direct"))
    # The web's way: undoing what was never done is nothing.
    assert await posts.unfavourite(bob, private) == private
    # The API's way: not found, in Mastodon's words.
    with pytest.raises(NotFound) as refused:
        await posts.unfavourite(bob, private, seen_first=True)
    assert refused.value.message == "Record not found"
    # Doing it is refused either way (the core's rule).
    with pytest.raises(NotFound):
        await posts.favourite(bob, private)


async def test_a_boost_answers_the_boost_and_reads_present_in_the_same_read(
    app_node: Node,
) -> None:
    alice, bob = make_user(app_node, "alice"), make_user(app_node, "bob")
    posts = app_node.services.posts
    original = await posts.publish(alice, PostDraft(text="boost me"))
    boost = await posts.boost(bob, original)
    assert boost != original
    views = await posts.seen(bob, boost)
    assert [view.reblog.post.id for view in views if view.reblog] == [original]
    rendered = await posts.seen(bob, original).present(
        lambda reader, found: (
            reader.get(Post, found[0].post.id).reblogs_count,
            found[0].reblogged,
        )
    )
    assert rendered == (1, True)
