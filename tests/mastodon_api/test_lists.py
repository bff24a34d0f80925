"""Lists, list timelines and markers against a real node: Mastodon.py's own methods, raw
requests for bad input, and the answers checked against Mastodon's OpenAPI description."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from mastodon import Mastodon, MastodonAPIError, MastodonNotFoundError

from tests.mastodon_api.openapi import check
from tests.mastodon_api.test_mastodon_py import logged_in
from tests.processes import NodeProcess

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("mastodon_api/test_lists")]
OWN_NODE = True  # its tests look at everything on the node (tests/mastodon_api/conftest.py)
ALL = ["read", "write", "follow"]


def eventually(probe: Callable[[], Any], timeout: float = 10.0) -> Any:
    """`probe()` once it is truthy: the fan-out to lists runs in a background job."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def api(node: NodeProcess, client: Mastodon) -> httpx.Client:
    return httpx.Client(
        base_url=node.url, headers={"Authorization": f"Bearer {client.access_token}"}
    )


def test_lists_with_mastodon_py(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ALL)
    bob = logged_in(api_node, "bob", ALL)
    bob_id = bob.me().id
    alice.account_follow(bob_id)

    friends = alice.list_create("Friends")
    assert (friends.title, friends.replies_policy, friends.exclusive) == ("Friends", "list", False)
    assert [row.id for row in alice.lists()] == [friends.id]
    assert alice.list(friends.id).title == "Friends"
    changed = alice.list_update(
        friends.id, "Close friends", replies_policy="followed", exclusive=True
    )
    assert (changed.title, changed.replies_policy, changed.exclusive) == (
        "Close friends",
        "followed",
        True,
    )

    before = bob.status_post("Bob, before he was listed")
    alice.list_accounts_add(friends.id, [bob_id])
    assert [a.id for a in alice.list_accounts(friends.id)] == [bob_id]
    assert [row.id for row in alice.account_lists(bob_id)] == [friends.id]
    assert alice.account_lists(alice.me().id) == []
    # The backfill is immediate; the exclusive list took Bob out of Alice's home at once.
    assert [s.id for s in alice.timeline_list(friends.id)] == [before.id]
    assert before.id not in [s.id for s in alice.timeline_home()]

    after = bob.status_post("Bob, listed")
    assert eventually(lambda: len(alice.timeline_list(friends.id)) == 2)
    assert [s.id for s in alice.timeline_list(friends.id)] == [after.id, before.id]
    assert after.id not in [s.id for s in alice.timeline_home()]
    first = alice.timeline_list(friends.id, limit=1)
    assert [s.id for s in first] == [after.id]
    assert [s.id for s in alice.fetch_next(first)] == [before.id]

    alice.list_accounts_delete(friends.id, [bob_id])
    assert alice.list_accounts(friends.id) == []
    assert alice.timeline_list(friends.id) == []
    assert after.id in [s.id for s in alice.timeline_home()]  # back home: no longer exclusive

    alice.list_delete(friends.id)
    with pytest.raises(MastodonNotFoundError):
        alice.list(friends.id)
    alice.account_unfollow(bob_id)


def test_unfollowing_takes_an_account_off_lists(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ALL)
    bob_id = logged_in(api_node, "bob", ALL).me().id
    alice.account_follow(bob_id)
    row = alice.list_create("Followed for now")
    alice.list_accounts_add(row.id, [bob_id])
    alice.account_unfollow(bob_id)
    assert alice.list_accounts(row.id) == []
    assert alice.account_lists(bob_id) == []
    alice.list_delete(row.id)


def test_markers_with_mastodon_py(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ALL)
    posted = alice.status_post("A marker points here")
    assert alice.markers_get(["home", "notifications"]) == {}

    saved = alice.markers_set(["home", "notifications"], [posted.id, 1])
    assert (saved.home.last_read_id, saved.home.version) == (str(posted.id), 1)
    assert saved.notifications.version == 1
    again = alice.markers_set("home", posted.id)  # the same position: nothing changes
    assert again.home.version == 1
    moved = alice.markers_set("home", 5)
    assert (moved.home.last_read_id, moved.home.version) == ("5", 2)
    found = alice.markers_get(["home", "notifications"])
    assert set(found) == {"home", "notifications"} and found.home.version == 2
    assert list(alice.markers_get("notifications")) == ["notifications"]


def test_refusals_are_mastodons(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ALL)
    bob = logged_in(api_node, "bob", ALL)
    root_id = logged_in(api_node, "root", ["read"]).me().id
    raw = api(api_node, alice)
    mine = alice.list_create("Mine")

    blank = raw.post("/api/v1/lists", data={"title": "  "})
    assert (blank.status_code, blank.json()) == (
        422,
        {"error": "Validation failed: Title can't be blank"},
    )
    policy = raw.post("/api/v1/lists", json={"title": "x", "replies_policy": "some"})
    assert (policy.status_code, policy.json()) == (
        422,
        {"error": "'some' is not a valid replies_policy"},
    )
    with pytest.raises(MastodonNotFoundError):  # someone else's list
        bob.list(mine.id)
    for path in (f"/api/v1/lists/{mine.id}", f"/api/v1/timelines/list/{mine.id}"):
        theirs = api(api_node, bob).get(path)
        assert (theirs.status_code, theirs.json()) == (404, {"error": "Record not found"})
    assert raw.get("/api/v1/lists/not-an-id").status_code == 404
    assert raw.delete("/api/v1/lists/12345").json() == {"error": "Record not found"}

    members = f"/api/v1/lists/{mine.id}/accounts"
    stranger = raw.post(members, data={"account_ids[]": [str(root_id)]})
    assert (stranger.status_code, stranger.json()) == (
        422,
        {"error": "Validation failed: Account must be a followed account"},
    )
    unknown = raw.post(members, json={"account_ids": ["12345"]})
    assert (unknown.status_code, unknown.json()) == (404, {"error": "Record not found"})
    assert raw.get("/api/v1/accounts/12345/lists").status_code == 404
    alice.account_follow(root_id)
    assert raw.post(members, json={"account_ids": [str(root_id)]}).json() == {}
    twice = raw.post(members, data={"account_ids[]": str(root_id)})
    assert (twice.status_code, twice.json()) == (
        422,
        {"error": "Validation failed: Account is already on the list"},
    )
    gone = raw.request("DELETE", members, data={"account_ids[]": ["12345"]})
    assert (gone.status_code, gone.json()) == (200, {})  # not on the list: nothing to do

    reader = api(api_node, logged_in(api_node, "alice", ["read"]))
    refused = reader.post("/api/v1/lists", data={"title": "nope"})
    assert (refused.status_code, refused.json()) == (
        403,
        {"error": "This action is outside the authorized scopes"},
    )
    statuses_only = api(api_node, logged_in(api_node, "alice", ["read:statuses"]))
    assert statuses_only.get("/api/v1/lists").status_code == 403
    assert statuses_only.get("/api/v1/markers").json() == {}
    assert httpx.get(f"{api_node.url}/api/v1/lists").status_code == 401

    bad = raw.post("/api/v1/markers", data={"home[last_read_id]": "abc"})
    assert bad.status_code == 422 and "last_read_id" in bad.json()["error"]
    form = raw.post("/api/v1/markers", data={"home[last_read_id]": "42", "other[x]": "1"})
    assert form.status_code == 200 and form.json()["home"]["last_read_id"] == "42"
    assert list(form.json()) == ["home"]
    alice.account_unfollow(root_id)
    alice.list_delete(mine.id)


def test_list_members_are_paged_as_mastodon_pages_them(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ALL)
    people = [logged_in(api_node, name, ["read"]).me().id for name in ("bob", "root")]
    for person in people:
        alice.account_follow(person)
    row = alice.list_create("Everyone")
    alice.list_accounts_add(row.id, people)
    raw = api(api_node, alice)
    newest_first = sorted(people, key=int, reverse=True)

    first = raw.get(f"/api/v1/lists/{row.id}/accounts", params={"limit": 1})
    assert [a["id"] for a in first.json()] == [str(newest_first[0])]
    assert 'rel="next"' in first.headers["link"]
    following = first.links["next"]["url"]
    assert [a["id"] for a in raw.get(following).json()] == [str(newest_first[1])]
    everyone = raw.get(f"/api/v1/lists/{row.id}/accounts", params={"limit": 0})
    assert [a["id"] for a in everyone.json()] == [str(p) for p in newest_first]
    assert "link" not in everyone.headers
    for person in people:
        alice.account_unfollow(person)
    alice.list_delete(row.id)


def test_answers_match_the_published_schemas(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ALL)
    bob = logged_in(api_node, "bob", ALL)
    bob_id = bob.me().id
    alice.account_follow(bob_id)
    raw = api(api_node, alice)

    created = raw.post("/api/v1/lists", data={"title": "Schema", "exclusive": "true"})
    check("List", created.json())
    list_id = created.json()["id"]
    check("List", raw.get(f"/api/v1/lists/{list_id}").json())
    check("List", raw.put(f"/api/v1/lists/{list_id}", json={"replies_policy": "none"}).json())
    for row in raw.get("/api/v1/lists").json():
        check("List", row)
    raw.post(f"/api/v1/lists/{list_id}/accounts", data={"account_ids[]": str(bob_id)})
    for row in raw.get(f"/api/v1/accounts/{bob_id}/lists").json():
        check("List", row)
    for account in raw.get(f"/api/v1/lists/{list_id}/accounts").json():
        check("Account", account)

    posted = bob.status_post("Schema check for lists")

    def newest() -> list[Any]:  # the list's backfill holds bob's older posts already
        page = raw.get(f"/api/v1/timelines/list/{list_id}").json()
        return page if page and page[0]["id"] == str(posted.id) else []

    timeline = eventually(newest)
    assert timeline and timeline[0]["id"] == str(posted.id)
    for status in timeline:
        check("Status", status)

    saved = raw.post("/api/v1/markers", json={"notifications": {"last_read_id": "7"}})
    for marker in saved.json().values():
        check("Marker", marker)
    found = raw.get("/api/v1/markers", params={"timeline[]": ["home", "notifications"]})
    assert "notifications" in found.json()
    for marker in found.json().values():
        check("Marker", marker)
    assert raw.delete(f"/api/v1/lists/{list_id}").json() == {}
    alice.account_unfollow(bob_id)


def test_a_list_update_keeps_what_is_not_sent(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ALL)
    raw = api(api_node, alice)
    row = raw.post(
        "/api/v1/lists", json={"title": "Kept", "replies_policy": "none", "exclusive": True}
    ).json()
    renamed = raw.put(f"/api/v1/lists/{row['id']}", data={"title": "Renamed"}).json()
    assert renamed == {**row, "title": "Renamed"}
    with pytest.raises(MastodonAPIError):
        alice.list_update(row["id"], "")
    alice.list_delete(row["id"])
