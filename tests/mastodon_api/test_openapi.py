"""Every answer the API gives, checked against Mastodon's published OpenAPI description:
clients are written against those shapes."""

from __future__ import annotations

import base64
import time

import httpx
import pytest

from tests.federation.helpers import PASSWORD
from tests.mastodon_api.openapi import check, problems
from tests.processes import NodeProcess

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("api_node")]


def test_the_checker_can_fail() -> None:
    assert problems("Account", {"id": 1})  # not a string id, and most fields missing
    assert problems("Error", {"error": "x"}) == []


def test_answers_match_the_published_schemas(api_node: NodeProcess) -> None:
    api = httpx.Client(base_url=api_node.url)
    app = api.post("/api/v1/apps", data={"client_name": "schema", "scopes": "read write follow"})
    check("CredentialApplication", app.json())
    token = api.post(
        "/oauth/token",
        data={
            "grant_type": "password", "client_id": app.json()["client_id"],
            "client_secret": app.json()["client_secret"], "username": "alice@example.org",
            "password": PASSWORD, "scope": "read write follow",
        },
    )  # fmt: skip
    check("Token", token.json())
    api.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

    check("V1Instance", api.get("/api/v1/instance").json())
    check("Instance", api.get("/api/v2/instance").json())
    me = api.get("/api/v1/accounts/verify_credentials").json()
    check("CredentialAccount", me)
    check("Account", api.get(f"/api/v1/accounts/{me['id']}").json())
    check("Account", api.get("/api/v1/accounts/lookup", params={"acct": "bob"}).json())
    check("Application", api.get("/api/v1/apps/verify_credentials").json())

    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    )
    upload = api.post("/api/v2/media", files={"file": ("dot.png", png, "image/png")})
    check("MediaAttachment", upload.json())
    posted = api.post(
        "/api/v1/statuses",
        json={"status": "Schema #check", "spoiler_text": "cw", "media_ids": [upload.json()["id"]]},
    )
    check("Status", posted.json())
    reply = api.post(
        "/api/v1/statuses", data={"status": "@bob hi", "in_reply_to_id": posted.json()["id"]}
    )
    check("Status", reply.json())
    check("Context", api.get(f"/api/v1/statuses/{posted.json()['id']}/context").json())
    # A retried request (same Idempotency-Key) gets the same post, not a second one.
    once = {"Idempotency-Key": "retry-1"}
    first = api.post("/api/v1/statuses", data={"status": "only once"}, headers=once).json()
    again = api.post("/api/v1/statuses", data={"status": "only once"}, headers=once).json()
    other = api.post("/api/v1/statuses", data={"status": "only once"}).json()
    assert first["id"] == again["id"] != other["id"]
    for status in api.get("/api/v1/timelines/home").json():
        check("Status", status)
    bob = api.get("/api/v1/accounts/lookup", params={"acct": "bob"}).json()
    check("Relationship", api.post(f"/api/v1/accounts/{bob['id']}/follow").json())
    for relation in api.get("/api/v1/accounts/relationships", params={"id[]": bob["id"]}).json():
        check("Relationship", relation)
    check("Error", api.get("/api/v1/statuses/1").json())
    as_bob = {"Authorization": f"Bearer {_token(api_node, 'bob')}"}
    httpx.post(f"{api_node.url}/api/v1/statuses/{posted.json()['id']}/favourite", headers=as_bob)
    deadline = time.monotonic() + 10
    while not (found := api.get("/api/v1/notifications").json()) and time.monotonic() < deadline:
        time.sleep(0.1)  # written by the job queue, just after
    assert found
    for notification in found:
        check("Notification", notification)


def _token(node: NodeProcess, who: str) -> str:
    app = httpx.post(f"{node.url}/api/v1/apps", data={"client_name": "t", "scopes": "read write"})
    answer = httpx.post(
        f"{node.url}/oauth/token",
        data={
            "grant_type": "password", "client_id": app.json()["client_id"],
            "client_secret": app.json()["client_secret"], "username": f"{who}@example.org",
            "password": PASSWORD, "scope": "read write",
        },
    )  # fmt: skip
    return str(answer.json()["access_token"])
