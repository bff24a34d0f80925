"""Rate limits with Mastodon's headers, on a real node whose general limit is set low."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest

from bocage.mastodon_api.ratelimit import MEDIA, FixedWindows, Limit, specific_limit
from tests.addresses import loopback
from tests.federation.helpers import PASSWORD, start_node
from tests.processes import NodeProcess

pytestmark = pytest.mark.xdist_group("mastodon_api/test_ratelimit")


def test_a_window_counts_down_and_starts_again() -> None:
    windows, limit = FixedWindows(), Limit("api", 3, 60)
    assert [windows.hit("a", limit, 100.0)[0] for _ in range(4)] == [2, 1, 0, -1]
    assert windows.hit("b", limit, 100.0) == (2, 160.0)  # another caller, another window
    assert windows.hit("a", limit, 160.0) == (2, 220.0)  # the window ended: a fresh one


def test_tighter_limits_of_some_endpoints() -> None:
    assert specific_limit("POST", "/api/v2/media") == MEDIA
    assert specific_limit("DELETE", "/api/v1/statuses/123").family == "deletes"
    # Sign-ups are limited per address in the core (tests/integration/test_guessing.py).
    assert specific_limit("POST", "/api/v1/accounts/") is None
    assert specific_limit("GET", "/api/v1/statuses/123") is None


@pytest.fixture(scope="module")
def limited_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    node = start_node(
        tmp_path_factory.mktemp("limits"),
        loopback(0, 8),
        ["alice"],
        {"BOCAGE_API_REQUESTS_PER_WINDOW": "5"},
    )
    try:
        yield node
    finally:
        node.stop()


def new_token(node: NodeProcess) -> str:
    """A token no request has used yet (Mastodon.py's log-in makes API calls with it)."""
    app = httpx.post(f"{node.url}/api/v1/apps", data={"client_name": "x", "scopes": "read"})
    answer = httpx.post(
        f"{node.url}/oauth/token",
        data={
            "grant_type": "password", "client_id": app.json()["client_id"],
            "client_secret": app.json()["client_secret"], "username": "alice@example.org",
            "password": PASSWORD, "scope": "read",
        },
    )  # fmt: skip
    return str(answer.json()["access_token"])


@pytest.mark.slow
def test_headers_count_down_then_429(limited_node: NodeProcess) -> None:
    token = new_token(limited_node)
    api = httpx.Client(base_url=limited_node.url, headers={"Authorization": f"Bearer {token}"})
    seen = [api.get("/api/v1/accounts/verify_credentials") for _ in range(5)]
    assert [int(r.headers["x-ratelimit-remaining"]) for r in seen] == [4, 3, 2, 1, 0]
    assert {r.headers["x-ratelimit-limit"] for r in seen} == {"5"}
    reset = datetime.fromisoformat(seen[0].headers["x-ratelimit-reset"].replace("Z", "+00:00"))
    assert reset.tzinfo is not None

    refused = api.get("/api/v1/accounts/verify_credentials")
    assert refused.status_code == 429 and refused.json() == {"error": "Too many requests"}
    assert int(refused.headers["retry-after"]) > 0
    assert refused.headers["x-ratelimit-remaining"] == "0"

    # Others are not affected: another token, and anyone without one (counted by address).
    other = new_token(limited_node)
    fresh = httpx.get(
        f"{limited_node.url}/api/v1/timelines/home",
        headers={"Authorization": f"Bearer {other}"},
    )
    assert fresh.status_code == 200 and fresh.headers["x-ratelimit-remaining"] == "4"
    # Without a token, requests are counted by address: this test's two /api/v1/apps calls.
    anonymous = httpx.get(f"{limited_node.url}/api/v1/instance")
    assert anonymous.status_code == 200 and anonymous.headers["x-ratelimit-remaining"] == "2"
    # The web pages are not the API: no limit there.
    assert "x-ratelimit-limit" not in httpx.get(f"{limited_node.url}/about").headers
