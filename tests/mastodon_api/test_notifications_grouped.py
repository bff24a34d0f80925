"""Mastodon 4.3's notifications against a real node, with Mastodon.py and raw httpx for the
exact JSON: the sibling routes of `/api/v1/notifications/{id}`, grouped notifications
(`/api/v2/notifications`: group keys, counts, samples, paging, one group, its accounts,
dismissing it, unread counts after the marker), the notification policy (v1 and v2) and the
requests holding what it filtered (accept, dismiss, one or several)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from mastodon import Mastodon

from tests.mastodon_api.openapi import check
from tests.mastodon_api.test_mastodon_py import logged_in
from tests.mastodon_api.test_streaming import Collector, close_soon
from tests.processes import NodeProcess

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("notifications_node")]
OWN_NODE = True  # the tests count everything in alice's, bob's and root's notifications
EVERYTHING = ["read", "write", "follow"]
GROUP_FIELDS = {
    "group_key", "notifications_count", "type", "most_recent_notification_id", "page_min_id",
    "page_max_id", "latest_page_notification_at", "sample_account_ids",
}  # fmt: skip


def eventually(probe: Callable[[], Any], seconds: float = 10.0) -> Any:
    """`probe()` once it is truthy: notifications are written by the job queue."""
    deadline = time.monotonic() + seconds
    while not (found := probe()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def raw(node: NodeProcess, client: Mastodon) -> httpx.Client:
    return httpx.Client(
        base_url=node.url, headers={"Authorization": f"Bearer {client.access_token}"}
    )


@pytest.fixture(scope="module")
def people(api_node: NodeProcess) -> dict[str, Mastodon]:
    return {name: logged_in(api_node, name, EVERYTHING) for name in ("alice", "bob", "root")}


def test_sibling_routes_are_not_taken_for_an_id(
    api_node: NodeProcess, people: dict[str, Mastodon]
) -> None:
    alice = raw(api_node, people["alice"])
    counted = alice.get("/api/v1/notifications/unread_count")
    assert counted.status_code == 200 and set(counted.json()) == {"count"}
    assert alice.get("/api/v1/notifications/requests").json() == []
    assert alice.get("/api/v1/notifications/requests/merged").json() == {"merged": True}
    assert alice.get("/api/v1/notifications/policy").status_code == 200
    for path in (
        "/api/v1/notifications/nonsense",
        "/api/v1/notifications/requests/nonsense",
        "/api/v2/notifications/favourite-1-1",
        "/api/v2/notifications/ungrouped-12",
        "/api/v1/notifications/requests/12",
    ):
        missing = alice.get(path)
        assert missing.status_code == 404, path
        assert missing.json() == {"error": "Record not found"}
    assert people["alice"].notifications_unread_count().count >= 0


def test_grouped_notifications(api_node: NodeProcess, people: dict[str, Mastodon]) -> None:
    alice, bob, root = people["alice"], people["bob"], people["root"]
    http = raw(api_node, alice)
    alice.notifications_clear()
    ids = {name: str(client.me().id) for name, client in people.items()}
    post = alice.status_post("group me")
    other = alice.status_post("and me")
    actions: list[Callable[[], Any]] = [
        lambda: bob.status_favourite(post.id),
        lambda: root.status_favourite(post.id),
        lambda: bob.status_reblog(post.id),
        lambda: root.status_favourite(other.id),
        lambda: root.status_post("@alice an ungrouped mention"),
    ]
    for count, action in enumerate(actions, 1):  # one at a time: their order is the test's
        action()
        assert eventually(lambda: len(alice.notifications()) == count)  # noqa: B023

    answer = http.get("/api/v2/notifications").json()
    check("GroupedNotificationsResults", {**answer, "notification_groups": []})
    groups = answer["notification_groups"]
    kinds = [group["type"] for group in groups]
    assert kinds == ["mention", "favourite", "reblog", "favourite"]  # newest first
    mention, favourite_other, reblog, favourites = groups
    assert re.fullmatch(rf"favourite-{post.id}-\d+", favourites["group_key"])
    assert re.fullmatch(rf"reblog-{post.id}-\d+", reblog["group_key"])
    assert re.fullmatch(r"ungrouped-\d+", mention["group_key"])
    assert mention["group_key"] == f"ungrouped-{mention['most_recent_notification_id']}"
    assert set(favourites) == GROUP_FIELDS | {"status_id"}
    assert favourites["notifications_count"] == 2
    assert favourites["sample_account_ids"] == [ids["root"], ids["bob"]]  # newest first
    assert favourites["status_id"] == str(post.id)
    assert favourites["page_max_id"] == favourites["most_recent_notification_id"]
    assert int(favourites["page_min_id"]) < int(favourites["page_max_id"])
    assert (reblog["notifications_count"], reblog["sample_account_ids"]) == (1, [ids["bob"]])
    assert favourite_other["status_id"] == str(other.id)
    assert {account["id"] for account in answer["accounts"]} == {ids["bob"], ids["root"]}
    assert sorted(status["id"] for status in answer["statuses"]) == sorted(
        str(i) for i in (post.id, other.id, mention["status_id"])
    )  # each once, though two groups name `post`
    assert "partial_accounts" not in answer

    # The v1 list gives each notification its group's key.
    v1 = http.get("/api/v1/notifications", params={"types[]": "favourite"}).json()
    assert {n["group_key"] for n in v1} == {favourites["group_key"], favourite_other["group_key"]}

    # Mastodon.py reads the same.
    through = alice.grouped_notifications()
    assert [g.group_key for g in through.notification_groups] == [g["group_key"] for g in groups]

    partial = http.get("/api/v2/notifications", params={"expand_accounts": "partial_avatars"})
    assert [a["id"] for a in partial.json()["accounts"]] == [ids["root"], ids["bob"]]
    assert partial.json()["partial_accounts"] == []  # bob is first of the reblog group
    # Without the boost, bob is only the second of the favourites.
    no_boost = {"expand_accounts": "partial_avatars", "exclude_types[]": "reblog"}
    partial = http.get("/api/v2/notifications", params=no_boost).json()
    assert [a["id"] for a in partial["accounts"]] == [ids["root"]]
    assert [a["id"] for a in partial["partial_accounts"]] == [ids["bob"]]
    check("PartialAccountWithAvatar", partial["partial_accounts"][0])
    assert set(partial["partial_accounts"][0]) == {
        "id", "acct", "locked", "bot", "url", "avatar", "avatar_static"
    }  # fmt: skip
    refused = http.get("/api/v2/notifications", params={"expand_accounts": "everything"})
    assert refused.status_code == 400 and "expand_accounts" in refused.json()["error"]

    # A client that groups only boosts sees each favourite on its own.
    only = http.get("/api/v2/notifications", params={"grouped_types[]": "reblog"}).json()
    keys = [group["group_key"] for group in only["notification_groups"]]
    assert len(keys) == 5 and sum(key.startswith("ungrouped-") for key in keys) == 4
    assert reblog["group_key"] in keys

    # Paging: one group a page, the Link header to the next.
    first = http.get("/api/v2/notifications", params={"limit": 2})
    assert [g["group_key"] for g in first.json()["notification_groups"]] == [
        mention["group_key"], favourite_other["group_key"]
    ]  # fmt: skip
    following = first.links["next"]["url"]
    second = http.get(following).json()["notification_groups"]
    assert [g["group_key"] for g in second] == [reblog["group_key"], favourites["group_key"]]
    assert http.get(first.links["prev"]["url"]).json()["notification_groups"] == []
    assert alice.grouped_notifications(types=["reblog"]).notification_groups[0].type == "reblog"

    # One group, counted whole; its accounts; no page bounds.
    one = http.get(f"/api/v2/notifications/{favourites['group_key']}").json()
    [alone] = one["notification_groups"]
    assert set(alone) == GROUP_FIELDS - {"page_min_id", "page_max_id"} - {
        "latest_page_notification_at"
    } | {"status_id"}
    assert alone["notifications_count"] == 2 and [s["id"] for s in one["statuses"]] == [
        str(post.id)
    ]
    senders = alice.grouped_notification_accounts(favourites["group_key"])
    assert [str(account.id) for account in senders] == [ids["root"], ids["bob"]]
    check("GroupedNotificationsResults", {**one, "notification_groups": []})

    # Unread, after the notifications marker: groups on v2, notifications on v1.
    assert alice.unread_grouped_notifications_count() == 4
    assert http.get("/api/v1/notifications/unread_count").json() == {"count": 5}
    assert http.get("/api/v1/notifications/unread_count", params={"limit": 2}).json() == {
        "count": 2
    }
    alice.markers_set(["notifications"], [int(favourites["page_min_id"])])  # bob's favourite
    assert alice.unread_grouped_notifications_count() == 4
    assert alice.notifications_unread_count().count == 4

    # Dismissing a group takes all of it.
    alice.dismiss_grouped_notification(favourites["group_key"])
    left = http.get("/api/v2/notifications").json()["notification_groups"]
    assert favourites["group_key"] not in [group["group_key"] for group in left]
    assert http.get(f"/api/v2/notifications/{favourites['group_key']}").status_code == 404
    assert len(alice.notifications(types=["favourite"])) == 1


def test_the_policy_filters_into_requests(
    api_node: NodeProcess, people: dict[str, Mastodon]
) -> None:
    alice, bob, root = people["alice"], people["bob"], people["root"]
    http = raw(api_node, alice)
    alice.notifications_clear()
    bob_id = bob.me().id

    policy = alice.notifications_policy()
    assert (policy.for_not_following, policy.for_private_mentions) == ("accept", "filter")
    assert (policy.for_limited_accounts, policy.summary.pending_requests_count) == ("filter", 0)
    check("NotificationPolicy", http.get("/api/v2/notifications/policy").json())
    check("V1NotificationPolicy", http.get("/api/v1/notifications/policy").json())
    assert http.get("/api/v1/notifications/policy").json() == {
        "filter_not_following": False, "filter_not_followers": False,
        "filter_new_accounts": False, "filter_private_mentions": True,
        "summary": {"pending_requests_count": 0, "pending_notifications_count": 0},
    }  # fmt: skip
    changed = alice.update_notifications_policy(for_not_following="filter")
    assert (changed.for_not_following, changed.for_private_mentions) == ("filter", "filter")
    refused = http.patch("/api/v2/notifications/policy", data={"for_new_accounts": "maybe"})
    assert refused.status_code == 422 and "for_new_accounts" in refused.json()["error"]

    # Bob, whom alice does not follow: his mentions and favourites are held back.
    mine = alice.status_post("a post of alice's")
    first = bob.status_post("@alice hello from a stranger")
    bob.status_favourite(mine.id)
    requests = eventually(alice.notification_requests)
    assert [str(r.account.id) for r in requests] == [str(bob_id)]
    request = eventually(
        lambda: (
            (found := http.get(f"/api/v1/notifications/requests/{requests[0].id}").json())
            and found["notifications_count"] == "1"
            and found
        )
    )
    assert request["last_status"]["id"] == str(first.id)
    check("NotificationRequest", request)
    eventually(
        lambda: (
            len(http.get("/api/v1/notifications", params={"include_filtered": "true"}).json()) == 2
        )
    )
    assert alice.notifications() == []
    assert http.get("/api/v2/notifications").json()["notification_groups"] == []
    assert http.get("/api/v1/notifications/unread_count").json() == {"count": 0}
    held = http.get("/api/v2/notifications", params={"include_filtered": "true"}).json()
    assert sorted(g["type"] for g in held["notification_groups"]) == ["favourite", "mention"]
    summary = alice.notifications_policy().summary
    assert (summary.pending_requests_count, summary.pending_notifications_count) == (1, 1)
    assert http.get("/api/v1/notifications/policy").json()["filter_not_following"] is True

    # Accepting it moves them into the list, and bob is not held back again.
    alice.accept_notification_request(requests[0].id)
    assert alice.notification_requests() == []
    assert sorted(n.type for n in alice.notifications()) == ["favourite", "mention"]
    again = bob.status_post("@alice and again")
    eventually(lambda: [n for n in alice.notifications() if n.status and n.status.id == again.id])
    assert alice.notifications_merged() is True

    # `drop`: nothing is kept at all (root is a moderator, but only a message passes for that).
    alice.update_notifications_policy(for_not_following="drop")
    root.status_favourite(mine.id)
    staff = root.status_post("@alice a word from the moderators")
    eventually(lambda: [n for n in alice.notifications() if n.status and n.status.id == staff.id])
    everything = http.get("/api/v1/notifications", params={"include_filtered": "true"}).json()
    assert not [
        n
        for n in everything
        if n["type"] == "favourite" and n["account"]["id"] == str(root.me().id)
    ]


def test_requests_dismissed_and_private_mentions(
    api_node: NodeProcess, people: dict[str, Mastodon]
) -> None:
    alice, bob, root = people["alice"], people["bob"], people["root"]
    http = raw(api_node, bob)
    bob.update_notifications_policy(for_not_following="filter")
    alice.status_post("@bob one")
    alice.status_post("@bob two")
    found = eventually(
        lambda: [r for r in bob.notification_requests() if r.notifications_count == "2"]
    )
    bob.dismiss_notification_request(found[0].id)
    assert bob.notification_requests() == []
    kept = http.get("/api/v1/notifications", params={"include_filtered": "true"}).json()
    assert not [n for n in kept if n["type"] == "mention" and "@bob one" in n["status"]["content"]]
    assert http.post(f"/api/v1/notifications/requests/{found[0].id}/accept").status_code == 404

    alice.status_post("@bob three")
    found = eventually(bob.notification_requests)
    bob.dismiss_multiple_notification_requests([found[0].id])
    assert bob.notification_requests() == []
    alice.status_post("@bob four")
    found = eventually(bob.notification_requests)
    bob.accept_multiple_notification_requests([found[0].id])
    assert bob.notification_requests() == []
    assert [n.type for n in bob.notifications(types=["mention"])]

    # Root's default policy filters a direct message from a stranger, but not a public
    # mention, nor a direct answer to root's own direct message to that stranger.
    root_http = raw(api_node, root)
    root.notifications_clear()
    bob.status_post("@root a public hello")
    private = bob.status_post("@root a private hello", visibility="direct")
    eventually(lambda: root.notifications(types=["mention"]))
    eventually(root.notification_requests)
    shown = [n.status.id for n in root.notifications(types=["mention"])]
    assert private.id not in shown and len(shown) == 1
    asked = root.status_post("@bob a private question", visibility="direct")
    answered = bob.status_post("@root the answer", visibility="direct", in_reply_to_id=asked.id)
    eventually(lambda: answered.id in [n.status.id for n in root.notifications(types=["mention"])])
    everything = root_http.get("/api/v1/notifications", params={"include_filtered": "1"}).json()
    assert str(private.id) in [n["status"]["id"] for n in everything if n["status"]]


def test_a_filtered_notification_is_not_streamed(
    api_node: NodeProcess, people: dict[str, Mastodon]
) -> None:
    bob, root = people["bob"], people["root"]
    http = raw(api_node, root)
    heard = Collector()
    stream = root.stream_user(heard, run_async=True)
    try:
        time.sleep(0.3)  # the subscription is registered once the response has started
        held = bob.status_post("@root psst, streamed?", visibility="direct")

        def filtered() -> bool:
            found = http.get("/api/v1/notifications", params={"include_filtered": "true"})
            return str(held.id) in [n["status"]["id"] for n in found.json() if n["status"]]

        assert eventually(filtered)
        told = bob.status_post("@root out loud")
        heard.wait_for(lambda name, data: name == "notification" and data.status.id == told.id)
        streamed = [data.status.id for name, data in heard.events if name == "notification"]
        assert held.id not in streamed
    finally:
        close_soon(stream)
