"""Filters through the API, against a real node: the v2 API with Mastodon.py's own methods,
the v1 API older clients use, filters applied to timelines, threads and notifications, and
the refusals Mastodon gives (raw httpx), every answer checked against the OpenAPI schema."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from mastodon import Mastodon

from tests.federation.helpers import PASSWORD
from tests.mastodon_api.openapi import check
from tests.mastodon_api.test_mastodon_py import logged_in
from tests.processes import NodeProcess

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("api_node")]
SCOPES = ["read", "write", "follow"]


def api(node: NodeProcess, who: str, scope: str = "read write follow") -> httpx.Client:
    """An httpx client with a token of `who` for `scope`."""
    app = httpx.post(f"{node.url}/api/v1/apps", data={"client_name": "f", "scopes": scope})
    token = httpx.post(
        f"{node.url}/oauth/token",
        data={
            "grant_type": "password", "client_id": app.json()["client_id"],
            "client_secret": app.json()["client_secret"], "username": f"{who}@example.org",
            "password": PASSWORD, "scope": scope,
        },
    ).json()["access_token"]  # fmt: skip
    return httpx.Client(base_url=node.url, headers={"Authorization": f"Bearer {token}"})


def raw(node: NodeProcess, client: Mastodon) -> httpx.Client:
    """The JSON itself, with a Mastodon.py client's token (Mastodon.py parses dates)."""
    bearer = {"Authorization": f"Bearer {client.access_token}"}
    return httpx.Client(base_url=node.url, headers=bearer)


def eventually(read: Callable[[], Any], until: Callable[[Any], bool]) -> Any:
    """`read()` once `until` holds of it (the job queue fans posts out just after)."""
    deadline = time.monotonic() + 10
    while not until(found := read()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert until(found), found
    return found


def test_v2_filters_with_mastodon_py(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", SCOPES)
    made = alice.create_filter_v2(
        "Food",
        ["home", "public"],
        "warn",
        expires_in=3600,
        keywords_attributes=[
            {"keyword": "pizza", "whole_word": False},
            {"keyword": "pie", "whole_word": True},
        ],
    )
    assert (made.title, made.context, made.filter_action) == ("Food", ["home", "public"], "warn")
    assert made.expires_at is not None and made.statuses == []
    pizza, pie = made.keywords
    assert (pizza.keyword, pizza.whole_word, pie.keyword, pie.whole_word) == (
        "pizza", False, "pie", True,
    )  # fmt: skip
    assert [f.id for f in alice.filters_v2()] == [made.id]

    changed = alice.update_filter_v2(
        made.id,
        title="Desserts",
        filter_action="blur",
        keywords_attributes=[
            {"id": pizza.id, "_destroy": True},
            {"id": pie.id, "keyword": "tart"},
            {"keyword": "cake", "whole_word": False},
        ],
    )
    assert (changed.title, changed.filter_action) == ("Desserts", "blur")
    assert [(k.keyword, k.whole_word) for k in changed.keywords] == [
        ("tart", True), ("cake", False),
    ]  # fmt: skip
    assert changed.keywords[0].id == pie.id
    assert alice.filter_v2(made.id).title == "Desserts"

    added = alice.add_filter_keyword_v2(made.id, "crumble", whole_word=True)
    keywords = alice.filter_keywords_v2(made.id)
    assert [k.keyword for k in keywords] == ["tart", "cake", "crumble"]
    alice.delete_filter_keyword_v2(added.id)
    assert [k.keyword for k in alice.filter_keywords_v2(made.id)] == ["tart", "cake"]

    status = alice.status_post("a post to filter")
    listed = alice.add_filter_status_v2(made.id, status.id)
    assert str(listed.status_id) == str(status.id)
    assert [s.id for s in alice.filter_statuses_v2(made.id)] == [listed.id]
    assert [s.id for s in alice.filter_v2(made.id).statuses] == [listed.id]
    as_json = raw(api_node, alice)
    whole = as_json.get(f"/api/v2/filters/{made.id}").json()
    check("Filter", whole)
    assert len(whole["keywords"]) == 2 and len(whole["statuses"]) == 1
    for keyword in as_json.get(f"/api/v2/filters/{made.id}/keywords").json():
        check("FilterKeyword", keyword)
    check("FilterStatus", as_json.get(f"/api/v2/filters/statuses/{listed.id}").json())
    alice.delete_filter_status_v2(listed.id)
    assert alice.filter_statuses_v2(made.id) == []

    alice.delete_filter_v2(made.id)
    assert alice.filters_v2() == []
    alice.status_delete(status.id)


def test_v1_filters_with_mastodon_py(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", SCOPES)
    made = alice.filter_create("Eurovision", ["home", "notifications"], irreversible=True)
    assert (made.phrase, made.context, made.irreversible, made.whole_word) == (
        "Eurovision", ["home", "notifications"], True, True,
    )  # fmt: skip
    assert [f.id for f in alice.filters()] == [made.id]
    as_json = raw(api_node, alice)
    check("V1Filter", as_json.get(f"/api/v1/filters/{made.id}").json())
    for each in as_json.get("/api/v1/filters").json():
        check("V1Filter", each)
    # In v2 it is a filter titled by its phrase, with that one keyword.
    [as_v2] = alice.filters_v2()
    assert (as_v2.title, as_v2.filter_action) == ("Eurovision", "hide")
    assert [k.id for k in as_v2.keywords] == [made.id]

    changed = alice.filter_update(made.id, phrase="Song contest", whole_word=False, expires_in=600)
    assert (changed.phrase, changed.whole_word, changed.irreversible) == (
        "Song contest", False, True,
    )  # fmt: skip
    assert changed.expires_at is not None
    assert alice.filter_v2(as_v2.id).title == "Song contest"

    alice.filter_delete(made.id)
    assert alice.filters() == []
    # Only the keyword went: the v2 filter stays, empty (as on Mastodon).
    assert [(f.id, f.keywords) for f in alice.filters_v2()] == [(as_v2.id, [])]
    alice.delete_filter_v2(as_v2.id)


def test_filters_apply_to_timelines_threads_and_notifications(api_node: NodeProcess) -> None:
    alice, bob = api(api_node, "alice"), api(api_node, "bob")
    bob_id = bob.get("/api/v1/accounts/verify_credentials").json()["id"]
    assert alice.post(f"/api/v1/accounts/{bob_id}/follow").json()["following"]

    def posted(text: str, **more: Any) -> dict[str, Any]:
        answer = bob.post("/api/v1/statuses", json={"status": text, **more})
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    pizza = posted("PIZZA tonight")
    finale = posted("The finale was great")
    cw = posted("no words here", spoiler_text="Finale inside")
    boost = alice.post(f"/api/v1/statuses/{finale['id']}/reblog").json()
    mention = posted("@alice the finale!")
    newest = [mention["id"], boost["id"], cw["id"], finale["id"], pizza["id"]]

    def home(**paging: Any) -> list[dict[str, Any]]:
        found = alice.get("/api/v1/timelines/home", params={"limit": 40, **paging}).json()
        return [status for status in found if status["id"] in newest]

    def mentions() -> list[str]:
        found = alice.get("/api/v1/notifications", params={"types[]": "mention"}).json()
        return [n["status"]["id"] for n in found if n["status"]]

    # Everything has reached her home and her notifications before she filters anything.
    eventually(home, lambda found: len(found) == len(newest))
    eventually(mentions, lambda found: mention["id"] in found)
    warn = alice.post(
        "/api/v2/filters",
        json={
            "title": "Food", "context": ["home", "public", "thread"],
            "keywords_attributes": [{"keyword": "pizza", "whole_word": True}],
        },
    ).json()  # fmt: skip
    hide = alice.post(
        "/api/v2/filters",
        data={
            "title": "Spoilers", "context[]": ["home", "notifications"], "filter_action": "hide",
            "keywords_attributes[][keyword]": "finale",
        },
    ).json()  # fmt: skip
    assert [k["keyword"] for k in hide["keywords"]] == ["finale"]

    # Home: the hidden ones are left out, except her own boost; the warned one is flagged.
    shown = home()
    assert [s["id"] for s in shown] == [boost["id"], pizza["id"]]
    for status in shown:
        check("Status", status)
    [food] = shown[1]["filtered"]
    check("FilterResult", food)
    assert food == {
        "filter": {k: warn[k] for k in ("id", "title", "context", "expires_at", "filter_action")},
        "keyword_matches": ["PIZZA"],
        "status_matches": None,
    }
    assert [r["filter"]["title"] for r in shown[0]["filtered"]] == ["Spoilers"]
    assert shown[0]["reblog"]["filtered"] == shown[0]["filtered"]

    # Paging goes on past a page whose posts were all hidden.
    hidden_page = alice.get("/api/v1/timelines/home", params={"limit": 2, "max_id": boost["id"]})
    assert hidden_page.json() == [] and 'rel="next"' in hidden_page.headers["link"]
    after = alice.get(hidden_page.links["next"]["url"]).json()
    assert after[0]["id"] == pizza["id"]

    # Public and the thread: out of the hide filter's contexts, flagged but shown.
    public = alice.get("/api/v1/timelines/public", params={"local": "true"}).json()
    flagged = {s["id"]: [r["filter"]["title"] for r in s["filtered"]] for s in public}
    assert flagged[finale["id"]] == ["Spoilers"] and flagged[cw["id"]] == ["Spoilers"]
    assert flagged[pizza["id"]] == ["Food"]
    reply = bob.post(
        "/api/v1/statuses", data={"status": "more finale talk", "in_reply_to_id": pizza["id"]}
    ).json()
    thread = alice.get(f"/api/v1/statuses/{pizza['id']}/context").json()
    assert [r["filter"]["title"] for r in thread["descendants"][0]["filtered"]] == ["Spoilers"]
    check("Context", thread)
    # One post asked for by id is answered, flagged.
    single = alice.get(f"/api/v1/statuses/{finale['id']}").json()
    assert [r["filter"]["filter_action"] for r in single["filtered"]] == ["hide"]
    check("Status", single)
    # Nobody else's pages are touched.
    bob_public = bob.get("/api/v1/timelines/public", params={"local": "true"}).json()
    assert all(s["filtered"] == [] for s in bob_public)

    # Notifications: the mention a hide filter matches is left out of the list; asked for by
    # id, it is answered with its status flagged.
    assert mention["id"] not in mentions()
    listed = alice.get("/api/v1/notifications", params={"types[]": ["mention", "poll"]})
    assert 'rel="next"' in listed.headers["link"]
    assert "?types%5B%5D=mention&types%5B%5D=poll&max_id=" in listed.headers["link"]
    alice.delete(f"/api/v2/filters/{hide['id']}")
    found = alice.get("/api/v1/notifications", params={"types[]": "mention"}).json()
    [about] = [n for n in found if n["status"] and n["status"]["id"] == mention["id"]]
    hide = alice.post(
        "/api/v2/filters", json={"title": "Again", "context": ["notifications"],
                                 "filter_action": "hide", "keywords_attributes": [
                                     {"keyword": "finale"}]},
    ).json()  # fmt: skip
    assert mention["id"] not in mentions()
    again = alice.get(f"/api/v1/notifications/{about['id']}").json()
    assert [r["filter"]["title"] for r in again["status"]["filtered"]] == ["Again"]
    check("Notification", again)

    # A change applies at once: without the hide filters the hidden posts come back.
    assert alice.delete(f"/api/v2/filters/{hide['id']}").json() == {}
    assert [s["id"] for s in home()] == newest
    assert mention["id"] in mentions()
    alice.delete(f"/api/v2/filters/{warn['id']}")
    alice.post(f"/api/v1/accounts/{bob_id}/unfollow")
    bob.delete(f"/api/v1/statuses/{reply['id']}")


def test_refusals_are_mastodons(api_node: NodeProcess) -> None:
    alice, bob = api(api_node, "alice"), api(api_node, "bob")
    base = {"title": "t", "context": ["home"]}

    def refused(answer: httpx.Response, status: int, message: str) -> None:
        assert (answer.status_code, answer.json()) == (status, {"error": message})
        check("Error", answer.json())

    refused(
        alice.post("/api/v2/filters", json={}),
        422,
        "Validation failed: Title can't be blank, Context can't be blank, "
        "Context None or invalid context supplied",
    )
    refused(
        alice.post("/api/v2/filters", data={"title": "t", "context[]": ["home", "timeline"]}),
        422,
        "Validation failed: Context None or invalid context supplied",
    )
    refused(
        alice.post("/api/v2/filters", json={**base, "filter_action": "delete"}),
        422,
        "Validation failed: Filter action is not included in the list",
    )
    refused(
        alice.post("/api/v2/filters", json={**base, "expires_in": "soon"}),
        422,
        "Validation failed: Expires in is not a number",
    )
    refused(
        alice.post("/api/v2/filters", json={**base, "keywords_attributes": [{"id": "1"}]}),
        404,
        "Record not found",
    )
    refused(
        alice.post("/api/v2/filters", json={**base, "keywords_attributes": "pizza"}),
        422,
        "keywords_attributes must be an array of objects.",
    )
    refused(
        alice.post("/api/v2/filters", json={**base, "context": "home", "title": ["x"]}),
        422,
        "title must be a string.",
    )
    made = alice.post(
        "/api/v2/filters",
        data={
            **base,
            "keywords_attributes[0][keyword]": "one",
            "keywords_attributes[1][keyword]": "two",
            "keywords_attributes[1][whole_word]": "false",
        },
    ).json()
    assert [(k["keyword"], k["whole_word"]) for k in made["keywords"]] == [
        ("one", True), ("two", False),
    ]  # fmt: skip
    one, two = (k["id"] for k in made["keywords"])
    refused(
        alice.put(f"/api/v2/filters/{made['id']}", json={"keywords_attributes": [{"id": "7"}]}),
        404,
        "Record not found",
    )
    refused(
        alice.put(f"/api/v2/filters/{made['id']}", json={"title": " ", "context": []}),
        422,
        "Validation failed: Title can't be blank, Context can't be blank, "
        "Context None or invalid context supplied",
    )
    refused(
        alice.post(f"/api/v2/filters/{made['id']}/keywords", data={"keyword": ""}),
        422,
        "Validation failed: Keyword can't be blank",
    )
    refused(
        alice.post(f"/api/v2/filters/{made['id']}/statuses", data={"status_id": "42"}),
        422,
        "Validation failed: Status must exist",
    )
    refused(alice.get("/api/v2/filters/abc"), 404, "Record not found")

    # Someone else's filter, keyword or status filter does not exist for you.
    status = alice.post("/api/v1/statuses", data={"status": "mine"}).json()
    listed = alice.post(
        f"/api/v2/filters/{made['id']}/statuses", data={"status_id": status["id"]}
    ).json()
    refused(
        alice.post(f"/api/v2/filters/{made['id']}/statuses", data={"status_id": status["id"]}),
        422,
        "Validation failed: Status has already been taken",
    )
    for method, path in [
        ("GET", f"/api/v2/filters/{made['id']}"),
        ("PUT", f"/api/v2/filters/{made['id']}"),
        ("DELETE", f"/api/v2/filters/{made['id']}"),
        ("GET", f"/api/v2/filters/{made['id']}/keywords"),
        ("POST", f"/api/v2/filters/{made['id']}/keywords"),
        ("GET", f"/api/v2/filters/keywords/{one}"),
        ("PUT", f"/api/v2/filters/keywords/{one}"),
        ("DELETE", f"/api/v2/filters/keywords/{one}"),
        ("GET", f"/api/v2/filters/{made['id']}/statuses"),
        ("POST", f"/api/v2/filters/{made['id']}/statuses"),
        ("GET", f"/api/v2/filters/statuses/{listed['id']}"),
        ("DELETE", f"/api/v2/filters/statuses/{listed['id']}"),
        ("GET", f"/api/v1/filters/{one}"),
        ("PUT", f"/api/v1/filters/{one}"),
        ("DELETE", f"/api/v1/filters/{one}"),
    ]:
        refused(bob.request(method, path, data={"keyword": "x"}), 404, "Record not found")
    assert bob.get("/api/v2/filters").json() == [] and bob.get("/api/v1/filters").json() == []

    # v1 may not change what applies to a filter's other keywords too.
    refused(
        alice.put(f"/api/v1/filters/{two}", data={"phrase": "two", "context[]": ["public"]}),
        422,
        "These parameters cannot be changed from this application because they apply to "
        "more than one filter keyword. Use a more recent application or the web interface.",
    )
    refused(
        alice.post("/api/v1/filters", data={"phrase": "", "context[]": ["home"]}),
        422,
        "Validation failed: Phrase can't be blank",
    )
    assert alice.put(f"/api/v1/filters/{two}", data={"phrase": "deux"}).json()["phrase"] == "deux"

    # Scopes: read:filters to read, write:filters to change; a token, always.
    reader = api(api_node, "alice", "read:filters")
    assert reader.get("/api/v2/filters").status_code == 200
    outside = "This action is outside the authorized scopes"
    refused(reader.post("/api/v2/filters", json=base), 403, outside)
    writer = api(api_node, "alice", "write:filters")
    refused(writer.get("/api/v1/filters"), 403, outside)
    assert writer.delete(f"/api/v2/filters/keywords/{two}").json() == {}
    refused(httpx.get(f"{api_node.url}/api/v2/filters"), 401, "The access token is invalid")

    # Rails' arrays of objects in a query or a form, as Mastodon's documentation shows them.
    # (Encoded by hand: httpx would group the parameters by name, and the order matters.)
    query = urlencode(
        [
            ("keywords_attributes[][id]", one),
            ("keywords_attributes[][_destroy]", "true"),
            ("keywords_attributes[][id]", ""),
            ("keywords_attributes[][keyword]", "uno"),
        ]
    )
    changed = alice.put(f"/api/v2/filters/{made['id']}?{query}").json()
    assert [k["keyword"] for k in changed["keywords"]] == ["uno"]

    assert alice.delete(f"/api/v2/filters/{made['id']}").json() == {}
    refused(alice.get(f"/api/v2/filters/keywords/{one}"), 404, "Record not found")
    refused(alice.get(f"/api/v2/filters/statuses/{listed['id']}"), 404, "Record not found")
