"""The last endpoints of the checklist against a real node, through Mastodon.py (with
`version_check_mode="none"`: these are 4.4–4.6 methods, and the version Bocage claims is
another slice's) and httpx for exact answers: collections (4.6) with their consent rules,
the Profile (4.6), the old notification dismissal (1.3–2.9.2), and the three answered as a
Mastodon server answers when there is nothing to do (e-mail confirmation, annual report
generation, asynchronous refreshes)."""

from __future__ import annotations

import base64
import time
from typing import Any

import httpx
import pytest
from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonNotFoundError,
)

from tests.federation.helpers import PASSWORD
from tests.processes import NodeProcess

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("mastodon_api/test_api_rest")]
OWN_NODE = True  # profiles change here (tests/mastodon_api/conftest.py)
ALL = ["read", "write", "follow"]
PNG_1x1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def client_of(node: NodeProcess, who: str, scopes: list[str] = ALL) -> Mastodon:
    client_id, client_secret = Mastodon.create_app(
        "Bocage tests", api_base_url=node.url, scopes=scopes
    )
    client = Mastodon(
        client_id=client_id,
        client_secret=client_secret,
        api_base_url=node.url,
        version_check_mode="none",
    )
    client.log_in(f"{who}@example.org", PASSWORD, scopes=scopes, allow_http=True)
    return client


def raw(node: NodeProcess, client: Mastodon | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {client.access_token}"} if client else {}
    return httpx.Client(base_url=node.url, headers=headers)


def status_of(error: MastodonAPIError) -> int:
    return int(error.args[1])


# --- collections ---------------------------------------------------------------------------


def test_collections_make_read_change_and_delete(api_node: NodeProcess) -> None:
    alice, bob = client_of(api_node, "alice"), client_of(api_node, "bob")
    me, bob_id = alice.me(), bob.me().id
    bob.account_update_credentials(discoverable=True)

    made = alice.collection_create(
        "Gardeners",
        description="People who grow things",
        language="en",
        tag_name="gardening",
        discoverable=True,
        account_ids=[bob_id],
    ).collection
    assert (made.name, made.description, made.language) == (
        "Gardeners",
        "People who grow things",
        "en",
    )
    assert made.account_id == me.id and made.local and made.discoverable and not made.sensitive
    assert made.tag.name == "gardening" and made.tag.url.endswith("/tags/gardening")
    assert made.item_count == 1
    [item] = made.collection_items
    assert (item.account_id, item.state) == (bob_id, "accepted")  # a local, discoverable one

    # Anyone may read it, with its accounts: the curator first, then those in it.
    shown = Mastodon(api_base_url=api_node.url, version_check_mode="none").collection(made.id)
    assert shown.collection.id == made.id
    assert [a.id for a in shown.accounts] == [me.id, bob_id]

    changed = alice.collection_update(made.id, name="Growers", sensitive=True).collection
    assert (changed.name, changed.sensitive, changed.description) == (
        "Growers",
        True,
        "People who grow things",  # what was not sent stays
    )
    assert changed.discoverable  # a boolean not sent stays too

    listed = bob.account_collections(me.id)
    assert [c.id for c in listed.collections] == [made.id]

    # Someone else's collection cannot be changed or deleted (403), a missing one is 404.
    with pytest.raises(MastodonAPIError) as refused:
        bob.collection_update(made.id, name="Mine now")
    assert status_of(refused.value) == 403
    with pytest.raises(MastodonAPIError) as refused:
        bob.collection_delete(made.id)
    assert status_of(refused.value) == 403
    with pytest.raises(MastodonNotFoundError):
        alice.collection(123456789)

    alice.collection_delete(made.id)
    with pytest.raises(MastodonNotFoundError):
        alice.collection(made.id)
    assert alice.account_collections(me.id).collections == []


def test_collection_refusals(api_node: NodeProcess) -> None:
    alice, root = client_of(api_node, "alice"), client_of(api_node, "root")
    root.account_update_credentials(discoverable=False)
    with raw(api_node, alice) as http:
        # Mastodon's collections controller nests its ValidationErrorFormatter under `error`.
        blank = http.post("/api/v1/collections", data={"name": "  "})
        assert (blank.status_code, blank.json()) == (
            422,
            {
                "error": {
                    "error": "Validation failed: Name can't be blank",
                    "details": {"name": [{"error": "ERR_BLANK", "description": "can't be blank"}]},
                }
            },
        )
        long = http.post("/api/v1/collections", data={"name": "x" * 41})
        assert long.status_code == 422
        assert long.json()["error"]["details"]["name"][0]["error"] == "ERR_TOO_LONG"
        wordy = http.post("/api/v1/collections", data={"name": "ok", "description": "d" * 101})
        assert wordy.status_code == 422
        assert "Description is too long" in wordy.json()["error"]["error"]
        # An account that is not discoverable has not agreed to be featured.
        shy = http.post(
            "/api/v1/collections", data={"name": "Shy", "account_ids[]": str(root.me().id)}
        )
        assert shy.status_code == 403
        assert shy.json() == {"error": "This account cannot be added to collections."}
        made = http.post("/api/v1/collections", data={"name": "Empty"}).json()["collection"]
        missing = http.post(f"/api/v1/collections/{made['id']}/items", data={})
        assert missing.status_code == 422
        assert missing.json() == {"error": "`account_id` parameter is missing"}
        nobody = http.post(f"/api/v1/collections/{made['id']}/items", data={"account_id": "99"})
        assert nobody.status_code == 404
        assert http.delete(f"/api/v1/collections/{made['id']}").status_code == 200
    # Reading and writing need the collections scopes (or read / write).
    narrow = client_of(api_node, "alice", ["read:accounts"])
    with raw(api_node, narrow) as http:
        assert http.post("/api/v1/collections", data={"name": "x"}).status_code == 403
    with raw(api_node) as anonymous:
        assert anonymous.post("/api/v1/collections", data={"name": "x"}).status_code == 401


def test_items_added_removed_and_revoked_by_the_account_in_them(api_node: NodeProcess) -> None:
    alice, bob = client_of(api_node, "alice"), client_of(api_node, "bob")
    bob.account_update_credentials(discoverable=True)
    me, bob_id = alice.me(), bob.me().id
    made = alice.collection_create("Friends", discoverable=False).collection
    assert made.collection_items == [] and made.item_count == 0

    item = alice.collection_item_add(made.id, bob_id).collection_item
    assert (item.account_id, item.state) == (bob_id, "accepted")
    with pytest.raises(MastodonAPIError) as twice:
        alice.collection_item_add(made.id, bob_id)
    assert status_of(twice.value) == 422

    # Not discoverable: only its curator lists it; its link still shows it.
    assert bob.account_collections(me.id).collections == []
    assert [c.id for c in alice.account_collections(me.id).collections] == [made.id]
    assert bob.collection(made.id).collection.id == made.id

    # Bob sees the collections he is in; nobody else may ask for them.
    assert [c.id for c in bob.account_in_collections(bob_id).collections] == [made.id]
    with pytest.raises(MastodonAPIError) as other:
        alice.account_in_collections(bob_id)
    assert status_of(other.value) == 403

    # Only the account in an item may revoke it; the curator may not.
    with pytest.raises(MastodonAPIError) as curator:
        alice.collection_item_revoke(made.id, item.id)
    assert status_of(curator.value) == 403
    bob.collection_item_revoke(made.id, item.id)
    assert alice.collection(made.id).collection.collection_items == []
    assert bob.account_in_collections(bob_id).collections == []
    # Revoked stays revoked: the curator cannot put bob back.
    with pytest.raises(MastodonAPIError) as back:
        alice.collection_item_add(made.id, bob_id)
    assert status_of(back.value) == 403

    # The curator removes an item by deleting it: then the account may be added again.
    alice.collection_item_delete(made.id, item.id)
    again = alice.collection_item_add(made.id, bob_id).collection_item
    assert again.state == "accepted"
    alice.collection_item_delete(made.id, again.id)
    assert alice.collection(made.id).collection.collection_items == []
    with pytest.raises(MastodonNotFoundError):
        alice.collection_item_delete(made.id, again.id)


def test_blocks_shut_collections(api_node: NodeProcess) -> None:
    alice, bob = client_of(api_node, "alice"), client_of(api_node, "bob")
    bob.account_update_credentials(discoverable=True)
    me, bob_id = alice.me(), bob.me().id
    made = alice.collection_create("Open", discoverable=True).collection
    alice.account_block(bob_id)
    try:
        # The curator blocks bob: bob can neither read it nor list alice's collections,
        # and alice cannot feature bob.
        with pytest.raises(MastodonNotFoundError):
            bob.collection(made.id)
        assert bob.account_collections(me.id).collections == []
        with pytest.raises(MastodonAPIError) as refused:
            alice.collection_item_add(made.id, bob_id)
        assert status_of(refused.value) == 403
    finally:
        alice.account_unblock(bob_id)
    assert [c.id for c in bob.account_collections(me.id).collections] == [made.id]
    alice.collection_delete(made.id)


def test_account_collections_page_by_offset(api_node: NodeProcess) -> None:
    alice = client_of(api_node, "alice")
    me = alice.me()
    made = [alice.collection_create(f"Page {n}", discoverable=True).collection for n in range(3)]
    try:
        first = alice.account_collections(me.id, limit=2)
        assert [c.id for c in first.collections] == [made[2].id, made[1].id]  # newest first
        second = alice.fetch_next(first)
        assert second is not None and made[0].id in [c.id for c in second.collections]
        with raw(api_node, alice) as http:
            page = http.get(f"/api/v1/accounts/{me.id}/collections", params={"limit": 2})
            assert 'rel="next"' in page.headers["link"] and "offset=2" in page.headers["link"]
    finally:
        for collection in made:
            alice.collection_delete(collection.id)


# --- the profile ---------------------------------------------------------------------------


def test_profile_read_and_updated_as_update_credentials_does(api_node: NodeProcess) -> None:
    alice = client_of(api_node, "alice")
    alice.featured_tag_create("gardening")
    updated = alice.profile_update(
        display_name="Alice P.",
        note="I grow #tomatoes",
        locked=True,
        bot=False,
        fields=[("Site", "https://example.org")],
        avatar=PNG_1x1,
        avatar_mime_type="image/png",
        show_media=True,
    )
    assert (updated.display_name, updated.note, updated.locked) == (
        "Alice P.",
        "I grow #tomatoes",  # as written, not HTML
        True,
    )
    assert [(f.name, f.value) for f in updated.fields] == [("Site", "https://example.org")]
    assert updated.avatar and updated.avatar == updated.avatar_static
    assert updated.header is None  # none set: null, not the placeholder
    assert "tomatoes" in updated.formatted_note and updated.formatted_note != updated.note
    assert [t.name for t in updated.featured_tags] == ["gardening"]
    assert (updated.show_media, updated.show_featured, updated.attribution_domains) == (
        True,
        True,
        [],
    )

    # The same account as update_credentials and verify_credentials see it.
    mine = alice.account_verify_credentials()
    assert (mine.display_name, mine.source.note, mine.locked) == (
        "Alice P.",
        "I grow #tomatoes",
        True,
    )
    again = alice.profile()
    assert again.id == mine.id and again.display_name == "Alice P."
    alice.profile_update(locked=False)
    assert alice.profile().locked is False

    # What Bocage does not keep is refused naming the field, never silently dropped.
    with raw(api_node, alice) as http:
        refused = http.patch("/api/v1/profile", data={"avatar_description": "A cat"})
        assert refused.status_code == 422
        assert "avatar_description" in refused.json()["details"]
        refused = http.patch("/api/v1/profile", data={"show_featured": "false"})
        assert refused.status_code == 422 and "show_featured" in refused.json()["details"]
        refused = http.patch("/api/v1/profile", data={"attribution_domains[]": "example.org"})
        assert refused.status_code == 422 and "attribution_domains" in refused.json()["details"]
        kept = http.patch("/api/v1/profile", data={"show_media": "true", "locked": "false"})
        assert kept.status_code == 200  # Bocage's own values are taken
        refused = http.patch("/api/v1/profile", data={"bot": "maybe"})
        assert refused.status_code == 422 and "bot" in refused.json()["details"]
        assert alice.profile().locked is False  # nothing applied


def test_profile_scopes(api_node: NodeProcess) -> None:
    only_profile = client_of(api_node, "bob", ["profile"])
    with raw(api_node, only_profile) as http:
        assert http.get("/api/v1/profile").json()["display_name"] is not None
        assert http.patch("/api/v1/profile", data={"note": "x"}).status_code == 403
    with raw(api_node) as anonymous:
        assert anonymous.get("/api/v1/profile").status_code == 401


# --- the rest --------------------------------------------------------------------------------


def _mention_bob(api_node: NodeProcess) -> tuple[Mastodon, Any]:
    alice, bob = client_of(api_node, "alice"), client_of(api_node, "bob")
    alice.status_post("@bob hello there", visibility="public")
    for _ in range(100):
        found = bob.notifications(types=["mention"], limit=1)
        if found:
            return bob, found[0]
        time.sleep(0.05)
    raise AssertionError("no mention arrived")


def test_old_dismiss_with_the_id_in_the_body(api_node: NodeProcess) -> None:
    bob, notification = _mention_bob(api_node)
    with raw(api_node, bob) as http:
        answer = http.post("/api/v1/notifications/dismiss", data={"id": str(notification.id)})
        assert (answer.status_code, answer.json()) == (200, {})
        assert http.get(f"/api/v1/notifications/{notification.id}").status_code == 404
        assert http.post("/api/v1/notifications/dismiss", data={}).status_code == 404
        assert http.post("/api/v1/notifications/dismiss", data={"id": "x"}).status_code == 422


def test_dismiss_as_mastodon_py_sends_it_to_an_old_server(api_node: NodeProcess) -> None:
    bob, notification = _mention_bob(api_node)
    # As if the server had said it was 2.9.0: Mastodon.py then sends the old form.
    bob.mastodon_major, bob.mastodon_minor, bob.mastodon_patch = 2, 9, 0
    bob._Mastodon__version_check_tried = True  # type: ignore[attr-defined]
    bob._Mastodon__version_check_worked = True  # type: ignore[attr-defined]
    bob.notifications_dismiss(notification.id)  # POST /api/v1/notifications/dismiss, id=…
    with pytest.raises(MastodonNotFoundError):
        bob.notifications(id=notification.id)


def test_email_confirmation_is_refused_as_for_a_confirmed_address(api_node: NodeProcess) -> None:
    alice = client_of(api_node, "alice")
    with pytest.raises(MastodonAPIError) as refused:
        alice.email_resend_confirmation()
    assert status_of(refused.value) == 403
    with raw(api_node, alice) as http:
        answer = http.post("/api/v1/emails/confirmations")
        assert answer.json() == {
            "error": "This method is only available while the e-mail is awaiting confirmation"
        }
    with raw(api_node, client_of(api_node, "alice", ["read"])) as http:
        assert http.post("/api/v1/emails/confirmations").status_code == 403  # scope


def test_annual_report_generation_and_async_refreshes(api_node: NodeProcess) -> None:
    alice = client_of(api_node, "alice")
    assert not alice.annual_report_generate(2025)
    with raw(api_node, alice) as http:
        answer = http.post("/api/v1/annual_reports/2025/generate")
        assert (answer.status_code, answer.content) == (204, b"")
        assert "mastodon-async-refresh" not in {k.lower() for k in answer.headers}
        gone = http.get("/api/v1_alpha/async_refreshes/wrapstodon:1:2025")
        assert (gone.status_code, gone.json()) == (404, {"error": "Record not found"})
    with pytest.raises(MastodonNotFoundError):
        alice.get_async_refresh_status("wrapstodon:1:2025")
    with raw(api_node) as anonymous:
        assert anonymous.get("/api/v1_alpha/async_refreshes/x").status_code == 401
        assert anonymous.post("/api/v1/annual_reports/2025/generate").status_code == 401
