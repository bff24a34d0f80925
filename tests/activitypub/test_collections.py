"""An account's outbox, followers and following, walked page by page as a server backfilling
a profile walks them (both databases): what they list, in what order, what they never list,
and that `totalItems` is what the pages hold."""

from __future__ import annotations

from typing import Any

from bocage.core.graph import graph
from bocage.core.posts import posts
from bocage.crypto.keys import public_key_from_did
from bocage.crypto.proofs import verify_object
from tests.activitypub.helpers import BASE
from tests.core import helpers
from tests.web.conftest import Browser

AS_JSON = {"accept": "application/activity+json"}


async def get(browser: Browser, url: str) -> dict[str, Any]:
    response = await browser.get(url.removeprefix(BASE), headers=AS_JSON)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/activity+json"
    return response.json()  # type: ignore[no-any-return]


async def walk(browser: Browser, url: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The collection at `url` and its pages, `first` then each `next`."""
    collection = await get(browser, url)
    assert collection["type"] == "OrderedCollection" and collection["id"] == url
    pages, link = [], collection.get("first")
    while link:
        found = await get(browser, link)
        assert found["type"] == "OrderedCollectionPage" and found["partOf"] == url
        pages.append(found)
        link = found.get("next")
        assert len(pages) < 20, "the pages do not end"
    return collection, pages


async def test_the_outbox_lists_what_anyone_may_see_as_signed_newest_first(
    browser: Browser,
) -> None:
    node = browser.node
    alice, bob = helpers.user(node, "alice"), helpers.user(node, "bob")
    public = [helpers.post(node, alice, f"public {n}") for n in range(21)]
    unlisted = helpers.post(node, alice, "unlisted", visibility="unlisted")
    helpers.post(node, alice, "followers only", visibility="private")
    helpers.post(node, alice, "to bob only @bob", visibility="direct")
    boosted = helpers.boost(node, alice, helpers.post(node, bob, "bob's post").id)
    helpers.boost(node, alice, helpers.post(node, alice, "mine, private", visibility="private").id)
    with node.db.transaction() as session:
        posts.edit(session, node.ctx, alice, public[0].id, posts.PostDraft("public 0, edited"))

    collection, pages = await walk(browser, f"{BASE}/users/alice/outbox")

    items = [item for found in pages for item in found["orderedItems"]]
    assert collection["totalItems"] == len(items) == 23
    assert [len(found["orderedItems"]) for found in pages] == [20, 3]
    assert [item["type"] for item in items[:2]] == ["Announce", "Create"]
    assert items[0]["id"] == boosted.uri
    created = [item["object"]["id"] for item in items if item["type"] == "Create"]
    assert created == [unlisted.uri, *(p.uri for p in reversed(public))]  # newest first
    shown = str(items)
    assert "followers only" not in shown and "to bob only" not in shown and "mine," not in shown
    # As signed: each Create's proof holds, and the edited post's latest object its own.
    key = public_key_from_did(alice.did or "")
    for item in items[1:-1]:
        assert verify_object(item, key, proof_purpose="assertionMethod").valid
    edited = items[-1]
    assert edited["object"]["content"] == "<p>public 0, edited</p>"
    assert verify_object(edited["object"], key, proof_purpose="assertionMethod").valid
    # The last page links back, and min_id pages go the other way.
    back = await get(browser, pages[1]["prev"])
    assert [item["id"] for item in back["orderedItems"]] == [item["id"] for item in items[:20]]


async def test_followers_and_following_list_actors_in_numbered_pages(browser: Browser) -> None:
    node = browser.node
    alice = helpers.user(node, "alice")
    fans = [helpers.remote_user(node, f"https://far{n}.example/users/fan{n}") for n in range(43)]
    pending = helpers.remote_user(node, "https://slow.example/users/waiting")
    with node.db.transaction() as session:
        for fan in fans:
            graph.follow(session, node.ctx, fan, alice, uri=f"{fan.uri}#follows/1")
        graph.follow(session, node.ctx, alice, pending)  # a request, not accepted yet
        graph.follow(session, node.ctx, alice, fans[0])
        graph.follow_answered(session, alice, fans[0], True)

    followers, pages = await walk(browser, f"{BASE}/users/alice/followers")
    listed = [uri for found in pages for uri in found["orderedItems"]]
    assert followers["totalItems"] == len(listed) == 43
    assert [len(found["orderedItems"]) for found in pages] == [40, 3]
    assert listed[0] == fans[-1].uri and set(listed) == {fan.uri for fan in fans}
    assert pages[1]["prev"] == f"{BASE}/users/alice/followers?page=1"

    following, pages = await walk(browser, f"{BASE}/users/alice/following")
    assert following["totalItems"] == 1 and pages[0]["orderedItems"] == [fans[0].uri]


async def test_bad_paging_parameters_are_refused_with_a_reason(browser: Browser) -> None:
    helpers.user(browser.node, "alice")
    for path in (
        "/users/alice/outbox?page=true&max_id=99999999999999999999",
        "/users/alice/outbox?page=true&min_id=-1",
        "/users/alice/followers?page=0",
        "/users/alice/following?page=abc",
    ):
        response = await browser.get(path, headers=AS_JSON)
        assert response.status_code == 400, path
        assert "must be" in response.json()["error"]
    missing = await browser.get("/users/nobody/outbox?page=true", headers=AS_JSON)
    assert missing.status_code == 404
