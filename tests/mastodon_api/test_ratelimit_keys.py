"""Rate limits keyed as Mastodon's rack-attack rules key them: per token, per person over all
their tokens, per address without a person, paging per person, uploads and deletions per
person; sign-ups per address whatever the token. Unit checks of which limits apply, then a
real node whose general limit is set low."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from bocage.config import Settings
from bocage.mastodon_api.ratelimit import (
    DELETES,
    MEDIA,
    Caller,
    RateLimits,
    is_paging,
    specific_limit,
)
from tests.addresses import loopback
from tests.federation.helpers import PASSWORD, start_node
from tests.processes import NodeProcess

pytestmark = pytest.mark.xdist_group("mastodon_api/test_ratelimit_keys")


async def _app(_scope: object, _receive: object, _send: object) -> None:
    return None


def limits_of(method: str, path: str, caller: Caller, query: bytes = b"") -> list[tuple[str, str]]:
    limiter = RateLimits(_app, Settings(domain="127.0.0.1:8000"))
    scope = {"method": method, "path": path, "query_string": query}
    return [(limit.family, key) for limit, key in limiter.applying(scope, caller)]


def test_which_limits_count_a_request_and_by_what() -> None:
    person = Caller(token="7", person=42, address="203.0.113.5")
    app_only = Caller(token="8", person=None, address="203.0.113.5")
    anyone = Caller(token=None, person=None, address="203.0.113.5")
    # A person's token: the token's 300, and the person's 1,500 over all their tokens.
    assert limits_of("GET", "/api/v1/timelines/home", person) == [
        ("api", "token:7"), ("person", "person:42"),
    ]  # fmt: skip
    # No person (an app's own token, or none): by address, as Mastodon's unauthenticated rule.
    assert limits_of("GET", "/api/v1/instance", app_only) == [
        ("api", "token:8"),
        ("api", "ip:203.0.113.5"),
    ]
    assert limits_of("GET", "/api/v1/instance", anyone) == [("api", "ip:203.0.113.5")]
    # Paging: by person, else by address.
    assert ("paging", "person:42") in limits_of(
        "GET", "/api/v1/timelines/home", person, b"max_id=5"
    )
    assert ("paging", "ip:203.0.113.5") in limits_of(
        "GET", "/api/v1/timelines/public", anyone, b"min_id=1"
    )
    assert all(family != "paging" for family, _ in limits_of("GET", "/x", anyone, b"max_id="))
    # Uploads and deletions: by person, not by token.
    assert ("media", "person:42") in limits_of("POST", "/api/v2/media", person)
    assert ("deletes", "person:42") in limits_of("POST", "/api/v1/statuses/12/unreblog", person)
    # Sign-ups are the core's, per address (tests/integration/test_guessing.py): no token key.
    assert limits_of("POST", "/api/v1/accounts", app_only) == [
        ("api", "token:8"),
        ("api", "ip:203.0.113.5"),
    ]


def test_the_tighter_endpoints_are_mastodons() -> None:
    assert specific_limit("POST", "/api/v1/media") == MEDIA
    assert specific_limit("DELETE", "/api/v1/statuses/123") == DELETES
    assert specific_limit("POST", "/api/v1/statuses/123/unreblog") == DELETES
    # Not deletions of a status: its reactions, its pin, a scheduled status.
    assert specific_limit("DELETE", "/api/v1/statuses/123/pin") is None
    assert specific_limit("POST", "/api/v1/statuses/123/reblog") is None
    assert is_paging(b"page=2") and is_paging(b"since_id=1&limit=5") and not is_paging(b"limit=5")


@pytest.fixture(scope="module")
def limited_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    node = start_node(
        tmp_path_factory.mktemp("keys"),
        loopback(0, 6),
        ["alice", "bob"],
        {"BOCAGE_API_REQUESTS_PER_WINDOW": "4"},
    )
    try:
        yield node
    finally:
        node.stop()


_apps: dict[str, dict[str, str]] = {}


def token_for(node: NodeProcess, who: str) -> str:
    """A fresh token for `who`, of one app made once: making apps is counted by address (no
    person), which this node allows only 4 times a window."""
    if node.url not in _apps:
        made = httpx.post(f"{node.url}/api/v1/apps", data={"client_name": "x", "scopes": "read"})
        _apps[node.url] = made.json()
    app = _apps[node.url]
    answer = httpx.post(
        f"{node.url}/oauth/token",
        data={
            "grant_type": "password", "client_id": app["client_id"],
            "client_secret": app["client_secret"], "username": f"{who}@example.org",
            "password": PASSWORD, "scope": "read",
        },
    )  # fmt: skip
    return str(answer.json()["access_token"])


def get(node: NodeProcess, token: str, path: str) -> httpx.Response:
    return httpx.get(f"{node.url}{path}", headers={"Authorization": f"Bearer {token}"})


@pytest.mark.slow
def test_new_tokens_do_not_escape_the_persons_limit(limited_node: NodeProcess) -> None:
    # 4 per token, 20 per person: five fresh tokens of alice's use it up.
    tokens = [token_for(limited_node, "alice") for _ in range(6)]
    for token in tokens[:5]:
        answers = [
            get(limited_node, token, "/api/v1/accounts/verify_credentials") for _ in range(4)
        ]
        assert [a.status_code for a in answers] == [200] * 4
    refused = get(limited_node, tokens[5], "/api/v1/accounts/verify_credentials")
    assert refused.status_code == 429 and refused.headers["x-ratelimit-limit"] == "20"
    assert refused.headers["x-ratelimit-remaining"] == "0"
    # Someone else is not affected.
    bob = token_for(limited_node, "bob")
    assert get(limited_node, bob, "/api/v1/accounts/verify_credentials").status_code == 200


@pytest.mark.slow
def test_paging_is_counted_per_person(limited_node: NodeProcess) -> None:
    # 4 pages per 3 windows per person, whichever token asks.
    tokens = [token_for(limited_node, "bob") for _ in range(3)]
    pages = [
        get(limited_node, tokens[n % 2], "/api/v1/timelines/home?max_id=99999999") for n in range(3)
    ]
    assert [page.status_code for page in pages] == [200, 200, 200]
    # bob's verify_credentials above and these: the fresh token still has its own 4 left, but
    # the person's pages are 3 of 4; one more page goes, the next is refused.
    assert get(limited_node, tokens[2], "/api/v1/timelines/home?max_id=99999999").status_code == 200
    refused = get(limited_node, tokens[2], "/api/v1/timelines/home?min_id=1")
    assert refused.status_code == 429
    # A request that pages nothing is still served to that token.
    assert get(limited_node, tokens[2], "/api/v1/timelines/home").status_code == 200
