"""How other servers find this node: WebFinger, host-meta, NodeInfo, actors and objects."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from cryptography.hazmat.primitives import serialization

from bocage.crypto.keys import public_key_from_did, public_key_from_multibase
from tests.core import helpers
from tests.web.conftest import Browser

AP = {"accept": "application/activity+json"}
LD = {"accept": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'}
HTML = {"accept": "text/html,application/xhtml+xml"}
BASE = "http://127.0.0.1:8000"
SCHEMAS = Path(__file__).parent.parent / "data" / "nodeinfo"


async def test_webfinger_finds_an_account_by_handle_and_by_url(browser: Browser) -> None:
    helpers.user(browser.node, "alice")
    for resource in (
        "acct:alice@127.0.0.1:8000",
        "acct:Alice@127.0.0.1:8000",
        "alice@127.0.0.1:8000",
        f"{BASE}/users/alice",
        f"{BASE}/@alice",
    ):
        response = await browser.get("/.well-known/webfinger", params={"resource": resource})
        assert response.status_code == 200, resource
        assert response.headers["content-type"].startswith("application/jrd+json")
        jrd = response.json()
        assert jrd["subject"] == "acct:alice@127.0.0.1:8000"
        [self_link] = [link for link in jrd["links"] if link["rel"] == "self"]
        assert self_link == {
            "rel": "self",
            "type": "application/activity+json",
            "href": f"{BASE}/users/alice",
        }


@pytest.mark.parametrize(
    ("resource", "status"),
    [
        ("acct:nobody@127.0.0.1:8000", 404),
        ("acct:alice@elsewhere.example", 404),
        ("https://elsewhere.example/users/alice", 404),
        ("", 400),
    ],
)
async def test_webfinger_says_clearly_what_it_cannot_find(
    browser: Browser, resource: str, status: int
) -> None:
    helpers.user(browser.node, "alice")
    response = await browser.get("/.well-known/webfinger", params={"resource": resource})
    assert response.status_code == status
    assert response.json()["error"]


async def test_webfinger_hides_suspended_accounts(browser: Browser) -> None:
    helpers.suspend(browser.node, helpers.user(browser.node, "mallory"))
    response = await browser.get(
        "/.well-known/webfinger", params={"resource": "acct:mallory@127.0.0.1:8000"}
    )
    assert response.status_code == 410


async def test_host_meta_points_to_webfinger(browser: Browser) -> None:
    xml = await browser.get("/.well-known/host-meta")
    assert xml.headers["content-type"].startswith("application/xrd+xml")
    template = f"{BASE}/.well-known/webfinger?resource={{uri}}"
    assert f'template="{template}"' in xml.text
    as_json = await browser.get("/.well-known/host-meta.json")
    assert as_json.json() == {"links": [{"rel": "lrdd", "template": template}]}


@pytest.mark.parametrize("version", ["2.0", "2.1"])
async def test_nodeinfo_is_valid_and_counts_people_and_posts(
    browser: Browser, version: str
) -> None:
    alice = helpers.user(browser.node, "alice")
    helpers.user(browser.node, "bob")
    helpers.post(browser.node, alice, "first")
    helpers.post(browser.node, alice, "second")
    links = (await browser.get("/.well-known/nodeinfo")).json()["links"]
    rel = f"http://nodeinfo.diaspora.software/ns/schema/{version}"
    [href] = [link["href"] for link in links if link["rel"] == rel]
    response = await browser.get(href.removeprefix(BASE))
    assert response.status_code == 200
    assert f'schema/{version}#"' in response.headers["content-type"]
    document = response.json()
    schema = json.loads((SCHEMAS / version / "schema.json").read_text())
    jsonschema.validate(document, schema)
    assert document["software"]["name"] == "bocage"
    assert document["protocols"] == ["activitypub"]
    assert document["usage"]["users"]["total"] == 2
    assert document["usage"]["users"]["activeMonth"] == 1  # alice posted; bob never did
    assert document["usage"]["localPosts"] == 2


async def test_an_unknown_nodeinfo_version_is_a_clear_404(browser: Browser) -> None:
    response = await browser.get("/nodeinfo/9.9")
    assert response.status_code == 404
    assert "2.0 or 2.1" in response.json()["error"]


@pytest.mark.parametrize("accept", [AP, LD])
async def test_the_actor_carries_both_keys(browser: Browser, accept: dict[str, str]) -> None:
    alice = helpers.user(browser.node, "alice")
    response = await browser.get("/users/alice", headers=accept)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/activity+json")
    actor = response.json()
    assert actor["id"] == f"{BASE}/users/alice"
    assert actor["type"] == "Person"
    assert actor["preferredUsername"] == "alice"
    assert actor["inbox"] == f"{BASE}/users/alice/inbox"
    assert actor["endpoints"]["sharedInbox"] == f"{BASE}/inbox"
    assert actor["manuallyApprovesFollowers"] is False
    key = actor["publicKey"]
    assert key["id"] == f"{BASE}/users/alice#main-key"
    assert key["owner"] == actor["id"]
    assert key["publicKeyPem"] == alice.rsa_public_pem
    serialization.load_pem_public_key(key["publicKeyPem"].encode())
    [multikey] = actor["assertionMethod"]
    assert multikey["type"] == "Multikey"
    assert multikey["controller"] == actor["id"]
    assert alice.did is not None
    assert public_key_from_multibase(multikey["publicKeyMultibase"]) == public_key_from_did(
        alice.did
    )


async def test_a_browser_asking_for_an_actor_gets_the_profile_page(browser: Browser) -> None:
    helpers.user(browser.node, "alice")
    response = await browser.get("/users/alice", headers=HTML)
    assert response.status_code == 302
    assert response.headers["location"] == "/@alice"


async def test_unknown_and_suspended_actors(browser: Browser) -> None:
    helpers.suspend(browser.node, helpers.user(browser.node, "mallory"))
    assert (await browser.get("/users/nobody", headers=AP)).status_code == 404
    assert (await browser.get("/users/mallory", headers=AP)).status_code == 410


async def test_the_instance_actor_has_one_stable_key(browser: Browser) -> None:
    first = (await browser.get("/actor", headers=AP)).json()
    second = (await browser.get("/actor", headers=AP)).json()
    assert first["type"] == "Application"
    assert first["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert first["publicKey"] == second["publicKey"]


async def test_public_posts_are_served_as_their_signed_note(browser: Browser) -> None:
    alice = helpers.user(browser.node, "alice")
    post = helpers.post(browser.node, alice, "Hello #fediverse")
    path = post.uri.removeprefix(BASE)
    note = (await browser.get(path, headers=AP)).json()
    assert note["id"] == post.uri
    assert note["type"] == "Note"
    assert note["attributedTo"] == f"{BASE}/users/alice"
    assert "Hello" in note["content"]
    assert "https://www.w3.org/ns/activitystreams#Public" in note["to"]
    html = await browser.get(path, headers=HTML)
    assert html.status_code == 302
    assert html.headers["location"] == f"/@alice/{post.id}"


async def test_followers_only_posts_are_not_served_unsigned(browser: Browser) -> None:
    alice = helpers.user(browser.node, "alice")
    post = helpers.post(browser.node, alice, "friends only", visibility="private")
    response = await browser.get(post.uri.removeprefix(BASE), headers=AP)
    assert response.status_code == 404


async def test_collections_count_what_they_hold(browser: Browser) -> None:
    alice = helpers.user(browser.node, "alice")
    bob = helpers.user(browser.node, "bob")
    helpers.follow(browser.node, bob, alice)
    helpers.post(browser.node, alice, "one")
    followers = (await browser.get("/users/alice/followers", headers=AP)).json()
    assert followers["type"] == "OrderedCollection"
    assert followers["totalItems"] == 1
    assert (await browser.get("/users/bob/following", headers=AP)).json()["totalItems"] == 1
    assert (await browser.get("/users/alice/outbox", headers=AP)).json()["totalItems"] == 1
