"""The account-side endpoints, against a real node with Mastodon.py (and raw httpx for bad
input): follow options and the Relationship they show, `status` notifications, familiar
followers, featured tags (and the actor's `featuredTags`), endorsements, private notes,
several accounts at once, account search, and the profile filters."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from mastodon import Mastodon, MastodonAPIError, MastodonNotFoundError

from tests.mastodon_api.openapi import check
from tests.mastodon_api.test_mastodon_py import PNG_1x1, logged_in
from tests.processes import NodeProcess

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("api_node")]
EVERYTHING = ["read", "write", "follow"]


def eventually(probe: Callable[[], Any], seconds: float = 10.0) -> Any:
    """`probe()` once it is truthy: what the job queue writes comes just after the answer."""
    deadline = time.monotonic() + seconds
    while not (found := probe()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def api(node: NodeProcess, client: Mastodon) -> httpx.Client:
    """Raw HTTP as `client`'s user, for what Mastodon.py cannot send."""
    return httpx.Client(
        base_url=node.url, headers={"Authorization": f"Bearer {client.access_token}"}
    )


def test_follow_options_reach_the_home_feed_and_notifications(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", EVERYTHING)
    bob = logged_in(api_node, "bob", EVERYTHING)
    root = logged_in(api_node, "root", EVERYTHING)
    bob_id = bob.me().id
    relation = alice.account_follow(bob_id, reblogs=False, notify=True)
    assert (relation.following, relation.showing_reblogs, relation.notifying) == (True, False, True)
    unchanged = api(api_node, alice).post(f"/api/v1/accounts/{bob_id}/follow").json()
    assert (unchanged["showing_reblogs"], unchanged["notifying"]) == (False, True)
    check("Relationship", unchanged)

    from_root = root.status_post("root says hi")
    bob.status_reblog(from_root.id)
    posted = bob.status_post("bob's news")
    bob.status_post("@root a reply to someone else", in_reply_to_id=from_root.id)

    def status_notices() -> list[Any]:
        return [n for n in alice.notifications(types=["status"]) if n.account.id == bob_id]

    notices = eventually(status_notices)
    assert [n.status.id for n in notices] == [posted.id]
    check("Notification", api(api_node, alice).get(f"/api/v1/notifications/{notices[0].id}").json())
    home = [s.id for s in eventually(lambda: alice.timeline_home(limit=40))]
    assert posted.id in home
    assert not [s for s in alice.timeline_home(limit=40) if s.reblog]  # bob's boost stays out

    # Following again changes the options (Mastodon.py always sends both).
    again = alice.account_follow(bob_id, reblogs=True)
    assert (again.showing_reblogs, again.notifying) == (True, False)
    raw = api(api_node, alice)
    languages = raw.post(f"/api/v1/accounts/{bob_id}/follow", json={"languages": ["en", "fr"]})
    assert languages.json()["languages"] == ["en", "fr"]
    assert languages.json()["showing_reblogs"] is True  # left out: unchanged
    [seen] = alice.account_relationships([bob_id])
    assert (seen.following, seen.languages, seen.notifying) == (True, ["en", "fr"], False)
    cleared = raw.post(f"/api/v1/accounts/{bob_id}/follow", data={"languages[]": ""}).json()
    assert cleared["languages"] is None

    bad = raw.post(f"/api/v1/accounts/{bob_id}/follow", json={"languages": ["not a language"]})
    assert bad.status_code == 422
    assert bad.json()["error"].startswith("Validation failed: Languages is invalid")
    bad = raw.post(f"/api/v1/accounts/{bob_id}/follow", json={"languages": [1, 2]})
    assert bad.status_code == 422
    missing = raw.post("/api/v1/accounts/404/follow")
    assert (missing.status_code, missing.json()) == (404, {"error": "Record not found"})
    reader = api(api_node, logged_in(api_node, "alice", ["read"]))
    assert reader.post(f"/api/v1/accounts/{bob_id}/follow").status_code == 403
    alice.account_unfollow(bob_id)
    [after] = alice.account_relationships([bob_id])
    assert (after.following, after.showing_reblogs, after.languages) == (False, False, None)


def test_familiar_followers(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", EVERYTHING)
    bob = logged_in(api_node, "bob", EVERYTHING)
    root = logged_in(api_node, "root", EVERYTHING)
    alice_id, bob_id, root_id = alice.me().id, bob.me().id, root.me().id
    alice.account_follow(root_id)
    root.account_follow(bob_id)
    found = alice.account_familiar_followers([bob_id, alice_id])  # a GET with a JSON body
    assert [(f.id, [a.id for a in f.accounts]) for f in found] == [
        (bob_id, [root_id]),
        (alice_id, []),
    ]
    raw = api(api_node, alice).get(
        "/api/v1/accounts/familiar_followers", params={"id[]": [str(bob_id), "999999"]}
    )
    assert [f["id"] for f in raw.json()] == [str(bob_id)]  # unknown accounts are left out
    for familiar in raw.json():
        check("FamiliarFollowers", familiar)
    anonymous = httpx.get(f"{api_node.url}/api/v1/accounts/familiar_followers?id[]={bob_id}")
    assert anonymous.status_code == 401
    alice.account_unfollow(root_id)
    root.account_unfollow(bob_id)


def test_featured_tags(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", EVERYTHING)
    bob = logged_in(api_node, "bob", EVERYTHING)
    alice_id = alice.me().id
    alice.status_post("Planting #Hawthorn in the #hedgerow")
    alice.status_post("More #hawthorn")
    alice.status_post("Only my followers see this #hawthorn", visibility="private")
    suggested = alice.featured_tag_suggestions()
    assert [t.name for t in suggested][:2] == ["hawthorn", "hedgerow"]
    raw = api(api_node, alice)
    for tag in raw.get("/api/v1/featured_tags/suggestions").json():
        check("Tag", tag)

    featured = alice.featured_tag_create("#Hawthorn")
    assert featured.name == "Hawthorn"
    shown = raw.get("/api/v1/featured_tags").json()
    assert [(t["name"], t["statuses_count"]) for t in shown] == [("Hawthorn", "2")]
    check("FeaturedTag", shown[0])
    assert shown[0]["url"] == f"{api_node.url}/@alice/tagged/hawthorn"
    assert httpx.get(shown[0]["url"]).status_code == 200  # the profile, filtered
    assert [t.name for t in alice.featured_tag_suggestions()][:1] == ["hedgerow"]
    public = httpx.get(f"{api_node.url}/api/v1/accounts/{alice_id}/featured_tags").json()
    assert public == shown
    assert [t.name for t in bob.account_featured_tags(alice_id)] == ["Hawthorn"]

    # Other servers read them from the actor's `featuredTags` collection.
    as_activity = {"Accept": "application/activity+json"}
    actor = httpx.get(f"{api_node.url}/users/alice", headers=as_activity).json()
    collection = httpx.get(actor["featuredTags"], headers=as_activity).json()
    assert collection["type"] == "Collection" and collection["totalItems"] == 1
    assert collection["items"] == [
        {"type": "Hashtag", "href": f"{api_node.url}/tags/hawthorn", "name": "#Hawthorn"}
    ]

    missing = raw.post("/api/v1/featured_tags", data={})
    assert missing.status_code == 400 and "name" in missing.json()["error"]
    invalid = raw.post("/api/v1/featured_tags", data={"name": "asj&*!"})
    assert invalid.json() == {"error": "Validation failed: Name is invalid"}
    taken = raw.post("/api/v1/featured_tags", json={"name": "HAWTHORN"})
    assert (taken.status_code, taken.json()["error"]) == (
        422,
        "Validation failed: Name has already been taken",
    )
    not_bobs = api(api_node, bob).delete(f"/api/v1/featured_tags/{featured.id}")
    assert (not_bobs.status_code, not_bobs.json()) == (404, {"error": "Record not found"})
    reader = api(api_node, logged_in(api_node, "alice", ["read"]))
    assert reader.post("/api/v1/featured_tags", data={"name": "x"}).status_code == 403
    alice.featured_tag_delete(featured.id)
    assert alice.featured_tags() == []
    gone = httpx.get(actor["featuredTags"], headers=as_activity).json()
    assert gone["totalItems"] == 0


def test_endorsements(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", EVERYTHING)
    bob = logged_in(api_node, "bob", EVERYTHING)
    root = logged_in(api_node, "root", EVERYTHING)
    alice_id, bob_id, root_id = alice.me().id, bob.me().id, root.me().id
    with pytest.raises(MastodonAPIError) as not_followed:
        alice.account_pin(bob_id)
    assert not_followed.value.args[1] == 422
    assert "following" in str(not_followed.value.args[-1])
    alice.account_follow(bob_id)
    alice.account_follow(root_id)
    assert alice.account_pin(bob_id).endorsed
    raw = api(api_node, alice)
    endorsed = raw.post(f"/api/v1/accounts/{root_id}/endorse")  # Mastodon 4.4's name
    assert endorsed.json()["endorsed"] is True
    check("Relationship", endorsed.json())
    assert [a.id for a in alice.endorsements()] == [root_id, bob_id]

    first = raw.get("/api/v1/endorsements", params={"limit": 1})
    assert [a["id"] for a in first.json()] == [str(root_id)]
    for account in first.json():
        check("Account", account)
    older = first.links["next"]["url"]
    assert [a["id"] for a in raw.get(older).json()] == [str(bob_id)]
    public = httpx.get(f"{api_node.url}/api/v1/accounts/{alice_id}/endorsements")
    assert [a["id"] for a in public.json()] == [str(root_id), str(bob_id)]

    assert not alice.account_unpin(root_id).endorsed
    alice.account_unfollow(bob_id)  # an endorsement goes with its follow
    assert alice.endorsements() == []
    assert raw.post("/api/v1/accounts/999999/pin").status_code == 404
    assert httpx.get(f"{api_node.url}/api/v1/endorsements").status_code == 401
    alice.account_unfollow(root_id)


def test_private_notes(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", EVERYTHING)
    bob_id = logged_in(api_node, "bob", ["read"]).me().id
    noted = alice.account_note_set(bob_id, "Knows about hedges")
    assert noted.note == "Knows about hedges"
    assert alice.account_relationships([bob_id])[0].note == "Knows about hedges"
    raw = api(api_node, alice)
    too_long = raw.post(f"/api/v1/accounts/{bob_id}/note", data={"comment": "x" * 2001})
    assert too_long.status_code == 422
    assert too_long.json()["error"].startswith("Validation failed: Comment is too long")
    cleared = raw.post(f"/api/v1/accounts/{bob_id}/note", data={"comment": ""}).json()
    assert cleared["note"] == ""
    check("Relationship", cleared)


def test_several_accounts_and_account_search(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", EVERYTHING)
    bob_id = logged_in(api_node, "bob", ["read"]).me().id
    alice_id = alice.me().id
    found = alice.accounts([bob_id, alice_id])
    assert [a.id for a in found] == [bob_id, alice_id]
    raw = httpx.get(
        f"{api_node.url}/api/v1/accounts", params={"id[]": [str(alice_id), "123456789"]}
    )
    assert [a["id"] for a in raw.json()] == [str(alice_id)]  # no token needed
    for account in raw.json():
        check("Account", account)
    too_many = httpx.get(f"{api_node.url}/api/v1/accounts", params={"id[]": list(range(1, 42))})
    assert too_many.status_code == 422

    assert [a.acct for a in alice.account_search("bo")] == ["bob"]
    assert [a.acct for a in alice.account_search("@root@" + api_node.url.split("//")[1])] == [
        "root"
    ]
    assert alice.account_search("bo", following=True) == []
    alice.account_follow(bob_id)
    assert [a.acct for a in alice.account_search("bo", following=True)] == ["bob"]
    assert alice.account_search("b", limit=1, offset=5) == []
    for account in api(api_node, alice).get("/api/v1/accounts/search", params={"q": "r"}).json():
        check("Account", account)
    assert httpx.get(f"{api_node.url}/api/v1/accounts/search?q=bob").status_code == 401
    alice.account_unfollow(bob_id)


def test_profile_filters(api_node: NodeProcess) -> None:
    bob = logged_in(api_node, "bob", EVERYTHING)
    root = logged_in(api_node, "root", EVERYTHING)
    bob_id = bob.me().id
    first = bob.status_post("before the others")
    plain = bob.status_post("plain words")
    tagged = bob.status_post("about #Coppicing")
    uploaded = bob.media_post(PNG_1x1, mime_type="image/png")
    with_media = bob.status_post("a picture", media_ids=[uploaded.id])
    boosted = bob.status_reblog(root.status_post("root's post").id)
    bob.status_pin(tagged.id)

    def ids(**filters: Any) -> list[Any]:
        """The newest of bob's statuses with `filters`, down to his first post here."""
        found = root.account_statuses(bob_id, min_id=first.id, limit=40, **filters)
        return [s.id for s in sorted(found, key=lambda s: s.id, reverse=True)]

    assert ids() == [boosted.id, with_media.id, tagged.id, plain.id]
    assert ids(exclude_reblogs=True) == [with_media.id, tagged.id, plain.id]
    assert ids(only_media=True) == [with_media.id]
    assert ids(pinned=True) == [tagged.id]
    assert ids(tagged="coppicing") == [tagged.id]
    assert ids(tagged="nothing") == []
    with pytest.raises(MastodonNotFoundError):
        root.account_statuses(999999)
