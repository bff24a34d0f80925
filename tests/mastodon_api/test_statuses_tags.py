"""Statuses, timelines and hashtags as Mastodon answers them (issue 19, the statuses slice),
with real clients (Mastodon.py, httpx) against a real node: the flags of a reblog's answer,
several statuses at once, `any[]`/`all[]`/`none[]` on hashtag timelines, followed and
featured tags (and followed tags' posts in the home feed), edits of attachments and polls,
translation answered as a server without a translation service, link timelines, and a
`#tag` search."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest
from mastodon import Mastodon, MastodonAPIError, MastodonNotFoundError

from tests.mastodon_api.test_mastodon_py import PNG_1x1, logged_in
from tests.mastodon_api.test_streaming import Collector, close_soon
from tests.processes import NodeProcess

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("api_node")]
SCOPES = ["read", "write", "follow"]


def _tag() -> str:
    """A hashtag no other test of the shared node uses."""
    return "t" + uuid.uuid4().hex[:10]


def _get(node: NodeProcess, client: Mastodon | None, path: str, **kw: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {client.access_token}"} if client else {}
    return httpx.get(f"{node.url}{path}", headers=headers, timeout=10, **kw)


def _post(node: NodeProcess, client: Mastodon, path: str, **kw: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {client.access_token}"}
    return httpx.post(f"{node.url}{path}", headers=headers, timeout=10, **kw)


def _ids(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [status["id"] for status in answer.json()]


# --- 1. the flags of what an action answers ---------------------------------------------


def test_a_reblog_answers_the_wrapper_with_reblogged_true(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", SCOPES)
    bob = logged_in(api_node, "bob", SCOPES)
    original = alice.status_post("Boost me, as Mastodon answers")

    wrapper = bob.status_reblog(original.id)
    assert wrapper.reblog.id == original.id and wrapper.id != original.id
    assert (wrapper.reblogged, wrapper.reblog.reblogged) == (True, True)
    # The wrapper asked for alone says the same (Mastodon's serializer asks of `proper`).
    shown = bob.status(wrapper.id)
    assert (shown.reblogged, shown.reblog.reblogged) == (True, True)

    liked = bob.status_favourite(original.id)
    assert liked.favourited is True and liked.reblogged is True
    marked = bob.status_bookmark(original.id)
    assert marked.bookmarked is True and marked.favourited is True
    # The wrapper shown after those: the original's flags, as Mastodon shows one status.
    shown = bob.status(wrapper.id)
    assert (shown.favourited, shown.bookmarked, shown.reblogged) == (True, True, True)

    undone = bob.status_unreblog(original.id)
    assert undone.id == original.id and undone.reblog is None
    assert undone.reblogged is False and undone.favourited is True
    with pytest.raises(MastodonNotFoundError):
        bob.status(wrapper.id)

    pinned = alice.status_pin(original.id)
    assert pinned.pinned is True
    assert alice.status_unpin(original.id).pinned is False


# --- 2. several statuses at once ---------------------------------------------------------


def test_several_statuses_in_the_order_asked_without_the_hidden(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", SCOPES)
    bob = logged_in(api_node, "bob", SCOPES)
    alice.account_unfollow(bob.me().id)
    first = alice.status_post("First of several", visibility="public")
    second = alice.status_post("Second of several", visibility="unlisted")
    mine = bob.status_post("Bob's own, only for his followers", visibility="private")
    unknown = str(int(first.id) + 12345)

    asked = [second.id, mine.id, unknown, first.id]
    assert [s.id for s in bob.statuses(asked)] == [second.id, mine.id, first.id]
    # Alice does not follow bob: his followers-only post is left out, not an error.
    assert [s.id for s in alice.statuses(asked)] == [second.id, first.id]
    # Nobody logged in: public and unlisted posts only, as Mastodon.
    answer = _get(api_node, None, "/api/v1/statuses", params=[("id[]", i) for i in asked])
    assert _ids(answer) == [str(second.id), str(first.id)]
    assert answer.json()[0]["content"].endswith("Second of several</p>")

    too_many = [("id[]", str(int(first.id) + n)) for n in range(21)]
    refused = _get(api_node, bob, "/api/v1/statuses", params=too_many)
    assert refused.status_code == 422 and "at most 20" in refused.json()["error"]


# --- 3. any[], all[], none[], local, remote on a hashtag timeline -------------------------


def test_hashtag_timeline_any_all_none(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", SCOPES)
    one, two, three = _tag(), _tag(), _tag()
    only_one = alice.status_post(f"Only #{one}")
    one_two = alice.status_post(f"Both #{one} and #{two}")
    one_three = alice.status_post(f"Both #{one} and #{three.upper()}")
    only_two = alice.status_post(f"Only #{two}")
    newest_first = [one_three.id, one_two.id, only_one.id]

    def tagged(*params: tuple[str, str]) -> list[str]:
        return _ids(_get(api_node, alice, f"/api/v1/timelines/tag/{one}", params=list(params)))

    as_strings = [str(i) for i in newest_first]
    assert tagged() == as_strings
    assert tagged(("any[]", two)) == [str(only_two.id), *as_strings]
    assert tagged(("all[]", two)) == [str(one_two.id)]
    assert tagged(("all[]", two), ("all[]", three)) == []
    assert tagged(("none[]", three)) == [str(one_two.id), str(only_one.id)]
    assert tagged(("none[]", f"#{three}"), ("none[]", two)) == [str(only_one.id)]
    assert tagged(("any[]", two), ("none[]", one)) == [str(only_two.id)]
    # This node's posts only: none from other servers; both switches: all of them.
    assert tagged(("local", "true")) == as_strings
    assert tagged(("remote", "true")) == []
    assert tagged(("local", "true"), ("remote", "true")) == as_strings
    # Mastodon.py's own call, with `remote`.
    assert alice.timeline_hashtag(one, remote=True) == []
    assert [s.id for s in alice.timeline_hashtag(one)] == newest_first


# --- 4. tags: show, follow, followed_tags, home feed, feature --------------------------


def test_follow_a_tag_and_its_public_posts_come_home(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", SCOPES)
    bob = logged_in(api_node, "root", SCOPES)  # someone alice does not follow
    alice.account_unfollow(bob.me().id)
    name = _tag()

    shown = alice.tag(name)
    assert (shown.name, shown.following, shown.featuring) == (name, False, False)
    assert len(shown.history) == 7 and shown.url.endswith(f"/tags/{name}")
    followed = alice.tag_follow(name)
    assert followed.following is True and alice.tag_follow(name).following is True
    assert name in [tag.name for tag in alice.followed_tags()]
    assert alice.tag(name).following is True

    public = bob.status_post(f"Hedges and #{name.upper()}", visibility="public")
    unlisted = bob.status_post(f"Quietly #{name}", visibility="unlisted")
    untagged = bob.status_post("No tag at all", visibility="public")
    home = _home_until(alice, public.id)
    assert public.id in home and unlisted.id not in home and untagged.id not in home
    # The post counts in the tag's week.
    assert int(alice.tag(name).history[0].uses) >= 1

    unfollowed = alice.tag_unfollow(name)
    assert unfollowed.following is False
    assert name not in [tag.name for tag in alice.followed_tags()]
    later = bob.status_post(f"After the unfollow #{name}", visibility="public")
    time.sleep(1.0)
    assert later.id not in [s.id for s in alice.timeline_home(limit=40)]

    # Nobody logged in: the Tag without `following` and `featuring`, as Mastodon.
    anonymous = _get(api_node, None, f"/api/v1/tags/{name}")
    assert anonymous.status_code == 200
    assert {"following", "featuring"} & anonymous.json().keys() == set()
    assert anonymous.json()["name"] == name
    # A name no #hashtag could be: 404, as Mastodon.
    assert _get(api_node, alice, "/api/v1/tags/not-a-tag").status_code == 404
    assert _post(api_node, alice, "/api/v1/tags/not-a-tag/follow").status_code == 404


def test_a_followed_tags_post_comes_on_the_home_stream(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", SCOPES)
    root = logged_in(api_node, "root", SCOPES)
    alice.account_unfollow(root.me().id)
    name = _tag()
    alice.tag_follow(name)
    heard = Collector()
    stream = alice.stream_user(heard, run_async=True)
    try:
        time.sleep(0.3)  # the subscription is registered once the response has started
        posted = root.status_post(f"Live #{name}", visibility="public")
        update = heard.wait_for(lambda event, data: event == "update" and data.id == posted.id)
        assert update.account.acct == "root"
    finally:
        close_soon(stream)
        alice.tag_unfollow(name)


def _home_until(client: Mastodon, post_id: Any, timeout: float = 10.0) -> list[Any]:
    deadline = time.monotonic() + timeout
    while True:
        ids = [status.id for status in client.timeline_home(limit=40)]
        if post_id in ids or time.monotonic() > deadline:
            return ids
        time.sleep(0.1)


def test_followed_tags_are_paged(api_node: NodeProcess) -> None:
    bob = logged_in(api_node, "bob", SCOPES)
    names = [_tag() for _ in range(3)]
    for name in names:
        bob.tag_follow(name)
    first = _get(api_node, bob, "/api/v1/followed_tags", params={"limit": 2})
    assert [tag["name"] for tag in first.json()] == names[::-1][:2]
    assert all(tag["following"] is True for tag in first.json())
    assert 'rel="next"' in first.headers["Link"]
    older = bob.fetch_next(bob.followed_tags(limit=2))
    assert names[0] in [tag.name for tag in older]
    unauthorized = httpx.get(f"{api_node.url}/api/v1/followed_tags", timeout=10)
    assert unauthorized.status_code == 401
    for name in names:
        bob.tag_unfollow(name)


def test_feature_a_tag_by_name(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", SCOPES)
    name = _tag()
    featured = alice.tag_feature(name)
    assert (featured.name, featured.featuring, featured.following) == (name, True, False)
    assert name in [tag.name for tag in alice.featured_tags()]
    assert alice.tag_feature(name).featuring is True  # again: nothing changes
    assert [tag.name for tag in alice.featured_tags()].count(name) == 1
    assert alice.tag(name).featuring is True
    unfeatured = alice.tag_unfeature(name)
    assert unfeatured.featuring is False
    assert name not in [tag.name for tag in alice.featured_tags()]


# --- 5. edits: media_attributes[], media_ids[], poll -------------------------------------


def test_edit_changes_alt_text_focus_and_attachments(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", SCOPES)
    first = alice.media_post(PNG_1x1, mime_type="image/png", description="Old alt")
    second = alice.media_post(PNG_1x1, mime_type="image/png", description="Second")
    posted = alice.status_post("With two pictures", media_ids=[first.id, second.id])

    change = alice.generate_media_edit_attributes(
        first.id, description="A hedge at dawn", focus=(0.5, -0.25)
    )
    both = alice.status_update(posted.id, "Still two", media_ids=None, media_attributes=[change])
    # Mastodon.py sends the ids of `media_attributes` as `media_ids`: only the first stays.
    assert [m.id for m in both.media_attachments] == [first.id]
    shown = alice.status(posted.id).media_attachments[0]
    assert shown.description == "A hedge at dawn"
    assert (shown.meta.focus.x, shown.meta.focus.y) == (0.5, -0.25)

    third = alice.media_post(PNG_1x1, mime_type="image/png", description="Third")
    again = alice.status_update(posted.id, "A new one added", media_ids=[first.id, third.id])
    assert [m.id for m in again.media_attachments] == [first.id, third.id]
    assert again.media_attachments[0].description == "A hedge at dawn"
    # Without media_ids, the attachments stay (Bocage's choice: see docs/mastodon_api.md).
    kept = alice.status_update(posted.id, "Text only")
    assert [m.id for m in kept.media_attachments] == [first.id, third.id]
    # Form-encoded, as other clients send it.
    answer = httpx.put(
        f"{api_node.url}/api/v1/statuses/{posted.id}",
        headers={"Authorization": f"Bearer {alice.access_token}"},
        data={
            "status": "By form",
            "media_ids[]": [str(third.id)],
            "media_attributes[][id]": str(third.id),
            "media_attributes[][description]": "Third, described again",
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    attachments = answer.json()["media_attachments"]
    assert [(m["id"], m["description"]) for m in attachments] == [
        (str(third.id), "Third, described again")
    ]
    assert [h.content for h in alice.status_history(posted.id)][-1] == "<p>By form</p>"

    someone_elses = logged_in(api_node, "bob", SCOPES).media_post(PNG_1x1, mime_type="image/png")
    with pytest.raises(MastodonAPIError):
        alice.status_update(posted.id, "Not bob's picture", media_ids=[someone_elses.id])


def test_edit_a_poll_as_mastodon(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", SCOPES)
    bob = logged_in(api_node, "bob", SCOPES)
    poll = alice.make_poll(["Hawthorn", "Blackthorn"], expires_in=3600)
    posted = alice.status_post("Which hedge?", poll=poll)
    bob.poll_vote(posted.poll.id, [0])

    # The same options and `multiple`: the votes stay, the end moves.
    same = alice.make_poll(["Hawthorn", "Blackthorn"], expires_in=7200)
    kept = alice.status_update(posted.id, "Which hedge, again?", poll=same)
    assert kept.poll.votes_count == 1 and kept.poll.expires_at > posted.poll.expires_at
    # Other options: the votes no longer mean anything and go, as on Mastodon.
    other = alice.make_poll(["Hazel", "Holly", "Yew"], expires_in=3600)
    changed = alice.status_update(posted.id, "Which hedge now?", poll=other)
    assert [o.title for o in changed.poll.options] == ["Hazel", "Holly", "Yew"]
    assert changed.poll.votes_count == 0
    assert bob.status(posted.id).poll.voted is False
    # No poll sent: it stays (Bocage's choice, as for attachments).
    assert alice.status_update(posted.id, "Text only").poll.options[0].title == "Hazel"
    # A poll and attachments together: refused as on a new post.
    upload = alice.media_post(PNG_1x1, mime_type="image/png", description="x")
    with pytest.raises(MastodonAPIError):
        alice.status_update(posted.id, "With a picture too", media_ids=[upload.id])
    # A post without a poll gets one.
    plain = alice.status_post("No poll yet")
    given = alice.status_update(plain.id, "A poll now", poll=other)
    assert given.poll is not None and len(given.poll.options) == 3


# --- 6. translation, as a server without a translation service ----------------------------


def test_translation_as_a_server_without_a_translation_service(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", SCOPES)
    bob = logged_in(api_node, "bob", SCOPES)
    assert alice.instance_translation_languages() == {}
    anonymous = _get(api_node, None, "/api/v1/instance/translation_languages")
    assert (anonymous.status_code, anonymous.json()) == (200, {})
    v2 = _get(api_node, None, "/api/v2/instance").json()
    assert v2["configuration"]["translation"] == {"enabled": False}

    posted = bob.status_post("Ceci est une haie", language="fr")
    refused = _post(api_node, alice, f"/api/v1/statuses/{posted.id}/translate")
    assert (refused.status_code, refused.json()) == (403, {"error": "This action is not allowed"})
    with pytest.raises(MastodonAPIError):
        alice.status_translate(posted.id, lang="en")
    hidden = bob.status_post("Rien que pour mes abonnés", visibility="direct")
    not_seen = _post(api_node, alice, f"/api/v1/statuses/{hidden.id}/translate")
    assert (not_seen.status_code, not_seen.json()) == (404, {"error": "Record not found"})
    no_token = httpx.post(f"{api_node.url}/api/v1/statuses/{posted.id}/translate", timeout=10)
    assert no_token.status_code == 401


# --- 7. link timelines and the removed card endpoint -------------------------------------


def test_link_timeline_and_card_as_mastodon_without_link_trends(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", SCOPES)
    posted = alice.status_post("A link: https://example.com/hedges")
    answer = _get(
        api_node, alice, "/api/v1/timelines/link", params={"url": "https://example.com/hedges"}
    )
    assert (answer.status_code, answer.json()) == (404, {"error": "Record not found"})
    assert _get(api_node, None, "/api/v1/timelines/link").status_code == 404
    with pytest.raises(MastodonNotFoundError):
        alice.timeline_link("https://example.com/hedges")
    assert _get(api_node, None, "/api/v1/trends/links").json() == []
    # Removed from Mastodon in 3.0 (the status's `card` replaced it): no such route.
    assert _get(api_node, alice, f"/api/v1/statuses/{posted.id}/card").status_code == 404


# --- 8. a #tag search finds hashtags only ------------------------------------------------


def test_a_hashtag_search_finds_only_hashtags(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", SCOPES)
    name = _tag()
    alice.status_post(f"Searching for #{name} in words")

    found = alice.search_v2(f"#{name}", resolve=False)
    assert [tag.name for tag in found.hashtags] == [name]
    assert (found.statuses, found.accounts) == ([], [])
    typed = _get(api_node, alice, "/api/v2/search", params={"q": f"#{name}", "type": "statuses"})
    assert typed.json() == {"accounts": [], "statuses": [], "hashtags": []}
    typed = _get(api_node, alice, "/api/v2/search", params={"q": f"#{name}", "type": "hashtags"})
    assert [tag["name"] for tag in typed.json()["hashtags"]] == [name]
    assert typed.json()["statuses"] == [] and typed.json()["accounts"] == []
    # Several words, one a #tag: posts are searched too (Mastodon's rule).
    words = alice.search_v2(f"#{name} words", resolve=False, result_type="statuses")
    assert len(words.statuses) == 1
    # A handle: no hashtags, and alone no posts.
    handle = alice.search_v2("@alice", resolve=False)
    assert handle.hashtags == [] and handle.statuses == []
    assert "alice" in [account.acct for account in handle.accounts]
