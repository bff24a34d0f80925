"""Mastodon.py, the Python library most bots and scripts use, against a real node: app
registration, password login (with the e-mail address, as Mastodon expects), posting,
reading, deleting, and the errors it must understand."""

from __future__ import annotations

import base64
import time
from typing import Any

import httpx
import pytest
from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonIllegalArgumentError,
    MastodonNotFoundError,
    MastodonUnauthorizedError,
)

from tests.federation.helpers import PASSWORD
from tests.processes import NodeProcess

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("api_node")]
PNG_1x1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def logged_in(node: NodeProcess, who: str, scopes: list[str]) -> Mastodon:
    client_id, client_secret = Mastodon.create_app(
        "Bocage tests", api_base_url=node.url, scopes=scopes
    )
    client = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=node.url)
    client.log_in(f"{who}@example.org", PASSWORD, scopes=scopes, allow_http=True)
    return client


def home_until(client: Mastodon, post_id: object, timeout: float = 10.0) -> list[Any]:
    """The client's home page once it shows `post_id`: followers' feeds are written by a
    background job just after the post (as on Mastodon), not by the request itself."""
    deadline = time.monotonic() + timeout
    while True:
        page = client.timeline_home(limit=5)
        if post_id in [status.id for status in page] or time.monotonic() > deadline:
            return page
        time.sleep(0.05)


def test_log_in_post_read_and_delete(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ["read", "write", "follow"])
    me = alice.account_verify_credentials()
    assert (me.username, me.acct, me.source.privacy) == ("alice", "alice", "public")

    posted = alice.status_post("Hello from Mastodon.py #bocage", visibility="unlisted")
    assert "Hello from Mastodon.py" in posted.content
    assert posted.visibility == "unlisted" and [t.name for t in posted.tags] == ["bocage"]
    assert posted.account.id == me.id and isinstance(posted.id, int | str)

    home = alice.timeline_home(limit=5)
    assert home[0].id == posted.id
    assert alice.status(posted.id).content == posted.content
    public = alice.timeline_public(local=True)
    assert posted.id not in [status.id for status in public]  # unlisted stays off it

    alice.status_delete(posted.id)
    with pytest.raises(MastodonNotFoundError):
        alice.status(posted.id)


def test_paging_follows_link_headers(api_node: NodeProcess) -> None:
    bob = logged_in(api_node, "bob", ["read", "write"])
    posted = [bob.status_post(f"page test {n}").id for n in range(5)]
    first = bob.account_statuses(bob.me().id, limit=2)
    assert [s.id for s in first] == posted[:-3:-1]
    second = bob.fetch_next(first)
    assert [s.id for s in second] == posted[-3:-5:-1]


def test_refusals_are_mastodons(api_node: NodeProcess) -> None:
    client_id, client_secret = Mastodon.create_app(
        "Bocage tests", api_base_url=api_node.url, scopes=["read"]
    )
    client = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=api_node.url)
    with pytest.raises(MastodonIllegalArgumentError):
        client.log_in("alice@example.org", "not the password", scopes=["read"], allow_http=True)
    with pytest.raises(MastodonIllegalArgumentError):  # more than the app registered
        client.log_in("alice@example.org", PASSWORD, scopes=["read", "write"], allow_http=True)

    reader = logged_in(api_node, "alice", ["read"])
    with pytest.raises(MastodonAPIError) as outside:
        reader.status_post("not allowed")
    assert outside.value.args[1] == 403
    stranger = Mastodon(access_token="not-a-token", api_base_url=api_node.url)
    with pytest.raises(MastodonUnauthorizedError):
        stranger.account_verify_credentials()

    raw = httpx.post(
        f"{api_node.url}/api/v1/statuses",
        headers={"Authorization": f"Bearer {logged_in(api_node, 'alice', ['write']).access_token}"},
        json={"status": "", "visibility": "everyone"},
    )
    assert raw.status_code == 422 and "Visibility" in raw.json()["error"]
    missing = httpx.get(f"{api_node.url}/api/v1/statuses/12345")
    assert missing.status_code == 404 and missing.json() == {"error": "Record not found"}


def test_follow_favourite_reblog_reply_and_context(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ["read", "write", "follow"])
    bob = logged_in(api_node, "bob", ["read", "write", "follow"])
    alice_id = alice.me().id
    relation = bob.account_follow(alice_id)
    assert relation.following and not relation.requested
    assert bob.account_relationships([alice_id])[0].following
    assert alice_id in [a.id for a in bob.account_following(bob.me().id)]

    original = alice.status_post("Who likes hedges?")
    assert original.id in [s.id for s in home_until(bob, original.id)]
    liked = bob.status_favourite(original.id)
    assert liked.favourited and liked.favourites_count == 1
    boost = bob.status_reblog(original.id)
    assert boost.reblog.id == original.id and boost.reblog.reblogs_count == 1
    assert [a.acct for a in alice.status_favourited_by(original.id)] == ["bob"]
    assert [a.acct for a in alice.status_reblogged_by(original.id)] == ["bob"]
    assert bob.status_bookmark(original.id).bookmarked
    answer = bob.status_post("I do!", in_reply_to_id=original.id)
    assert answer.in_reply_to_id == original.id

    thread = alice.status_context(original.id)
    assert [s.id for s in thread.descendants] == [answer.id]
    assert [s.id for s in bob.status_context(answer.id).ancestors] == [original.id]
    assert alice.status_pin(original.id).pinned

    assert not bob.status_unreblog(original.id).reblogged
    assert bob.status_unfavourite(original.id).favourites_count == 0
    assert not bob.account_unfollow(alice_id).following


def test_notifications_bookmarks_favourites_and_tags(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ["read", "write", "follow"])
    bob = logged_in(api_node, "bob", ["read", "write", "follow"])
    alice.notifications_clear()
    post = alice.status_post("Notify me about #hedgerows")
    bob.status_favourite(post.id)
    bob.status_bookmark(post.id)
    bob.status_post("@alice nice hedge", in_reply_to_id=post.id)

    def kinds() -> list[str]:
        return sorted(n.type for n in alice.notifications())

    for _ in range(50):  # notifications are written by the job queue, just after
        if kinds() == ["favourite", "mention"]:
            break
        time.sleep(0.1)
    assert kinds() == ["favourite", "mention"]
    favourites = alice.notifications(types=["favourite"])
    assert [n.status.id for n in favourites] == [post.id]
    assert favourites[0].account.acct == "bob"
    alice.notifications_dismiss(favourites[0].id)
    assert kinds() == ["mention"]

    assert post.id in [s.id for s in bob.bookmarks()]
    assert post.id in [s.id for s in bob.favourites()]
    assert post.id in [s.id for s in bob.timeline_hashtag("hedgerows")]


def test_profile_edit_history_search_and_preferences(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ["read", "write", "follow"])
    me = alice.account_update_credentials(
        display_name="Alice Hedge", note="Gardener", fields=[("Site", "https://hedge.example")]
    )
    assert me.display_name == "Alice Hedge" and me.source.note == "Gardener"
    assert [(f.name, f.value) for f in me.fields] == [("Site", "https://hedge.example")]
    png = PNG_1x1
    with_avatar = alice.account_update_credentials(avatar=png, avatar_mime_type="image/png")
    assert "/media/" in with_avatar.avatar and with_avatar.display_name == "Alice Hedge"

    post = alice.status_post("First words")
    edited = alice.status_update(post.id, "Better words")
    assert "Better words" in edited.content and edited.edited_at is not None
    history = alice.status_history(post.id)
    assert ["First words" in h.content for h in history] == [True, False]
    assert alice.status_source(post.id).text == "Better words"

    alice.status_post("More about #hedgerows")
    found = alice.search_v2("alice", result_type="accounts")
    assert [a.acct for a in found.accounts] == ["alice"]
    assert alice.search_v2("#hedger", result_type="hashtags").hashtags[0].name == "hedgerows"
    assert alice.preferences()["posting:default:visibility"] == "public"


def test_post_with_an_image(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ["read", "write"])
    bob = logged_in(api_node, "bob", ["read", "write"])
    uploaded = alice.media_post(PNG_1x1, mime_type="image/png", description="A dot", focus=(0.5, 0))
    assert uploaded.type == "image" and uploaded.description == "A dot"
    assert uploaded.meta.focus.x == 0.5
    described = alice.media_update(uploaded.id, description="A small dot")
    assert described.description == "A small dot"
    with pytest.raises(MastodonNotFoundError):  # someone else's upload
        bob.status_post("mine now", media_ids=[uploaded.id])

    posted = alice.status_post("Look", media_ids=[uploaded.id])
    assert [m.id for m in posted.media_attachments] == [uploaded.id]
    image = httpx.get(posted.media_attachments[0].url)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    web_page = httpx.get(f"{api_node.url}/@alice/{posted.id}").text
    assert 'alt="A small dot"' in web_page  # the web face shows it too
    with pytest.raises(MastodonAPIError):  # attached once, it cannot move to another post
        alice.status_post("again", media_ids=[uploaded.id])
    with pytest.raises(MastodonAPIError) as not_image:
        alice.media_post(b"not an image", mime_type="image/png")
    assert not_image.value.args[1] == 422
