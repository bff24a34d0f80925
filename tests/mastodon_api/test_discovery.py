"""Public timelines, trends and post search through Mastodon.py, answers checked against the
OpenAPI description."""

from __future__ import annotations

import httpx
import pytest

from tests.mastodon_api.openapi import check
from tests.mastodon_api.test_mastodon_py import logged_in
from tests.processes import NodeProcess

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("mastodon_api/test_discovery")]
OWN_NODE = True  # its tests look at everything on the node (tests/mastodon_api/conftest.py)


def test_public_timelines_trends_and_search(api_node: NodeProcess) -> None:
    alice = logged_in(api_node, "alice", ["read", "write"])
    bob = logged_in(api_node, "bob", ["read", "write"])
    popular = alice.status_post("Laying a #Quickthorn hedge")
    bob.status_post("#quickthorn cuttings", visibility="unlisted")
    bob.status_favourite(popular.id)

    local = [s.id for s in bob.timeline_local()]
    assert popular.id in local and local == [s.id for s in bob.timeline_public()]
    assert bob.timeline_public(remote=True) == []  # this node knows no other server

    tags = bob.trending_tags()
    assert tags[0].name == "quickthorn" and int(tags[0].history[0].accounts) == 1
    assert popular.id in [s.id for s in bob.trending_statuses()]
    assert bob.trending_links() == []

    found = bob.search_v2("quickthorn hedge", result_type="statuses")
    assert [s.id for s in found.statuses] == [popular.id]  # bob favourited it
    assert alice.search_v2("cuttings", result_type="statuses").statuses == []  # not hers

    api = httpx.Client(
        base_url=api_node.url, headers={"Authorization": f"Bearer {bob.access_token}"}
    )
    for tag in api.get("/api/v1/trends/tags").json():
        check("Tag", tag)
    for status in api.get("/api/v1/trends/statuses").json():
        check("Status", status)
    for tag in api.get("/api/v2/search", params={"q": "#quick", "type": "hashtags"}).json()[
        "hashtags"
    ]:
        check("Tag", tag)
    paged = api.get("/api/v1/trends/tags", params={"limit": 1})
    assert "offset=1" in paged.headers["link"]
    assert api.get("/api/v1/trends/tags", params={"limit": "many"}).status_code == 422


def test_trailing_slashes_are_served_not_redirected(api_node: NodeProcess) -> None:
    token = logged_in(api_node, "alice", ["read", "write"]).access_token
    api = httpx.Client(base_url=api_node.url, headers={"Authorization": f"Bearer {token}"})
    assert api.get("/api/v1/timelines/home/").status_code == 200
    posted = api.post("/api/v1/statuses/", data={"status": "slash"})
    assert posted.status_code == 200 and posted.json()["content"] == "<p>slash</p>"
    assert api.get(f"/api/v1/statuses/{posted.json()['id']}/").json()["id"] == posted.json()["id"]


def test_browser_apps_may_call_the_api_from_their_own_origin(api_node: NodeProcess) -> None:
    """Elk, Phanpy and other web apps run on their own origin: the API, the token endpoint
    and discovery answer them with CORS headers (never the web pages, never credentials)."""
    origin = {"Origin": "https://elk.example"}
    preflight = httpx.options(
        f"{api_node.url}/api/v1/apps",
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["access-control-allow-headers"] == "authorization, content-type"
    assert "access-control-allow-credentials" not in preflight.headers

    token = logged_in(api_node, "alice", ["read"]).access_token
    page = httpx.get(
        f"{api_node.url}/api/v1/timelines/home",
        headers={**origin, "Authorization": f"Bearer {token}"},
    )
    assert page.headers["access-control-allow-origin"] == "*"
    assert "Link" in page.headers["access-control-expose-headers"]
    refused = httpx.get(f"{api_node.url}/api/v1/timelines/home", headers=origin)
    assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == "*"
    for path in ("/.well-known/nodeinfo", "/oauth/token"):
        answer = httpx.options(
            f"{api_node.url}{path}", headers={**origin, "Access-Control-Request-Method": "POST"}
        )
        assert answer.headers["access-control-allow-origin"] == "*", path
    assert (
        "access-control-allow-origin"
        not in httpx.get(f"{api_node.url}/about", headers=origin).headers
    )
