"""Collections across servers (Mastodon 4.6, FEP-7aa9), on an in-process node and the outside
server: what a curator here sends (the `Add` of a discoverable collection, the
`FeatureRequest` to another server's account, whose item waits as pending), what is served
at a collection's id and at a consent's, and what the node does with another server's
answers and requests (through the same receiving code as the inbox job)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bocage.activitypub.receive import Receiver
from bocage.core.collections.collections import Draft
from bocage.federation import normalize
from bocage.node import Node
from bocage.services.accounts import ProfileChange
from bocage.store.models import Account, CollectionItem, LogEntry
from tests.conftest import make_user
from tests.outsider import Outsider
from tests.services.conftest import client

AS_JSON = {"Accept": "application/activity+json"}


def logged(node: Node, account: Account, kind: str) -> list[dict[str, Any]]:
    """The activities of `kind` in the account's signed log, oldest first."""
    with node.db.snapshot() as session:
        rows = session.execute(
            select(LogEntry.activity)
            .where(LogEntry.account_id == account.id, LogEntry.activity_type == kind)
            .order_by(LogEntry.seq)
        ).scalars()
        return [json.loads(row) for row in rows if row]


def item_of(node: Node, item_id: int) -> CollectionItem:
    with node.db.snapshot() as session:
        found = session.get(CollectionItem, item_id)
        assert found is not None
        return found


async def receive(node: Node, activity: dict[str, Any]) -> Any:
    """What the inbox job does with a stored activity (its signature checked before)."""
    return await Receiver(node.federation, normalize.activity(activity)).apply()


async def test_a_collection_is_sent_served_and_asks_remote_consent(
    app_node: Node, outside: Outsider
) -> None:
    alice, bob = make_user(app_node, "alice"), make_user(app_node, "bob")
    await app_node.services.accounts.update_profile(bob, ProfileChange(discoverable=True))
    fern = await app_node.services.accounts.find(outside.handle("fern"))
    made = await app_node.services.collections.create(
        alice, Draft(name="Hedgers", discoverable=True, tag_name="hedge"), [bob.id, fern.id]
    )
    states = {account.username: item.state for item, account in made.items}
    assert states == {"bob": "accepted", "fern": "pending"}  # fern's server is asked first
    seen = await app_node.services.collections.get(made.collection.id, None)
    assert [account.username for _item, account in seen.items] == ["bob"]  # pending: curator's
    uri = app_node.ctx.urls.featured_collection("alice", made.collection.id)

    # fern is asked, with the collection as instrument; the followers told of the collection.
    [asked] = logged(app_node, alice, "FeatureRequest")
    assert (asked["object"], asked["instrument"], asked["to"]) == (fern.uri, uri, [fern.uri])
    [added] = logged(app_node, alice, "Add")
    assert added["object"]["type"] == "FeaturedCollection" and added["object"]["id"] == uri
    assert added["target"] == app_node.ctx.urls.featured_collections("alice")

    # Served at its id: the accepted items only, each with the consent that backs it.
    async with client(app_node) as web:
        document = (await web.get(uri.removeprefix(app_node.ctx.urls.base), headers=AS_JSON)).json()
        assert document["type"] == "FeaturedCollection" and document["attributedTo"] == alice.uri
        assert document["topic"]["name"] == "#hedge" and document["totalItems"] == 1
        [featured] = document["orderedItems"]
        assert featured["featuredObject"] == bob.uri
        stamp = featured["featureAuthorization"]
        consent = (
            await web.get(stamp.removeprefix(app_node.ctx.urls.base), headers=AS_JSON)
        ).json()
        assert consent["type"] == "FeatureAuthorization"
        assert (consent["interactingObject"], consent["interactionTarget"]) == (uri, bob.uri)
        listed = (await web.get("/users/alice/featured_collections", headers=AS_JSON)).json()
        assert listed["orderedItems"] == [uri]
        actor = (await web.get("/users/bob", headers=AS_JSON)).json()
        assert actor["featuredCollections"].endswith("/users/bob/featured_collections")
        assert actor["interactionPolicy"]["canFeature"]["automaticApproval"] == [
            "https://www.w3.org/ns/activitystreams#Public"  # bob is discoverable
        ]

        # fern's server accepts, with its authorization: the item is accepted.
        fern_item = next(item for item, account in made.items if account.id == fern.id)
        authorization = f"{outside.actor('fern')}/feature_authorizations/1"
        answer = outside.activity("fern", "Accept", asked["id"], result=authorization)
        assert (await receive(app_node, answer)).applied
        assert (
            item_of(app_node, fern_item.id).state,
            item_of(app_node, fern_item.id).approval_uri,
        ) == (
            "accepted",
            authorization,
        )
        added_item = logged(app_node, alice, "Add")[-1]  # the followers are told
        assert added_item["target"] == uri
        assert (added_item["object"]["type"], added_item["object"]["featureAuthorization"]) == (
            "FeaturedItem",
            authorization,
        )
        served = (await web.get(uri.removeprefix(app_node.ctx.urls.base), headers=AS_JSON)).json()
        assert [i["featureAuthorization"] for i in served["orderedItems"]][1] == authorization

        # Then it withdraws its consent (a Delete of the authorization): revoked.
        withdrawn = outside.activity("fern", "Delete", authorization)
        assert (await receive(app_node, withdrawn)).applied
        assert item_of(app_node, fern_item.id).state == "revoked"

        # bob takes himself out: his consent is no longer served, the followers are told.
        bob_item = next(item for item, account in made.items if account.id == bob.id)
        await app_node.services.collections.revoke(bob, made.collection.id, bob_item.id)
        gone = await web.get(stamp.removeprefix(app_node.ctx.urls.base), headers=AS_JSON)
        assert gone.status_code == 404
    [removed] = logged(app_node, alice, "Remove")
    assert removed["object"].endswith(f"/items/{bob_item.id}") and removed["target"] == uri


async def test_a_rejected_request_leaves_the_item_rejected(
    app_node: Node, outside: Outsider
) -> None:
    alice = make_user(app_node, "alice")
    gale = await app_node.services.accounts.find(outside.handle("gale"))
    made = await app_node.services.collections.create(alice, Draft(name="Quiet"), [gale.id])
    [asked] = logged(app_node, alice, "FeatureRequest")
    assert logged(app_node, alice, "Add") == []  # not discoverable: not announced
    refusal = outside.activity("gale", "Reject", asked["id"])
    assert (await receive(app_node, refusal)).applied
    [(item, _account)] = made.items
    assert item_of(app_node, item.id).state == "rejected"
    # Someone else's answer to that request is not taken.
    assert not (await receive(app_node, outside.activity("heath", "Accept", asked["id"]))).applied


async def test_a_request_from_another_server_is_answered_by_the_accounts_consent(
    app_node: Node, outside: Outsider
) -> None:
    bob, carol = make_user(app_node, "bob"), make_user(app_node, "carol")
    await app_node.services.accounts.update_profile(bob, ProfileChange(discoverable=True))
    collection = f"{outside.actor('fern')}/collections/1"
    asks_bob = outside.activity("fern", "FeatureRequest", bob.uri, instrument=collection)
    assert (await receive(app_node, asks_bob)).applied
    [accepted] = logged(app_node, bob, "Accept")
    assert (accepted["object"], accepted["to"]) == (asks_bob["id"], [outside.actor("fern")])
    async with client(app_node) as web:
        path = accepted["result"].removeprefix(app_node.ctx.urls.base)
        consent = (await web.get(path, headers=AS_JSON)).json()
    assert (consent["interactingObject"], consent["interactionTarget"]) == (collection, bob.uri)

    # carol is not discoverable: she has not agreed to be featured, and is not.
    asks_carol = outside.activity("fern", "FeatureRequest", carol.uri, instrument=collection)
    verdict = await receive(app_node, asks_carol)
    assert not verdict.applied and "does not consent" in verdict.reason
    [rejected] = logged(app_node, carol, "Reject")
    assert rejected["object"] == asks_carol["id"] and "result" not in rejected

    # A collection on another server than the asker's is not one it may ask for.
    elsewhere = outside.activity(
        "fern", "FeatureRequest", bob.uri, instrument="https://elsewhere.example/c/1"
    )
    assert not (await receive(app_node, elsewhere)).applied


async def test_another_servers_collection_is_kept_with_the_consents_that_hold(
    app_node: Node, outside: Outsider
) -> None:
    bob = make_user(app_node, "bob")
    await app_node.services.accounts.update_profile(bob, ProfileChange(discoverable=True))
    collection = f"{outside.actor('fern')}/collections/7"
    # fern's server asked bob first, and bob's consent was given.
    asks_bob = outside.activity("fern", "FeatureRequest", bob.uri, instrument=collection)
    assert (await receive(app_node, asks_bob)).applied
    [accepted] = logged(app_node, bob, "Accept")
    bobs_stamp = accepted["result"]
    gales_stamp = f"{outside.actor('gale')}/feature_authorizations/3"
    outside.serve(
        {
            "id": gales_stamp,
            "type": "FeatureAuthorization",
            "interactingObject": collection,
            "interactionTarget": outside.actor("gale"),
        }
    )

    def item(member: str, stamp: str) -> dict[str, Any]:
        return {"type": "FeaturedItem", "featuredObject": member, "featureAuthorization": stamp}

    document = {
        "id": collection,
        "type": "FeaturedCollection",
        "attributedTo": outside.actor("fern"),
        "name": "Hedge people",
        "summaryMap": {"en": "<p>They <script>x</script>plant</p>"},
        "topic": {"type": "Hashtag", "name": "#hedges"},
        "sensitive": False,
        "discoverable": True,
        "orderedItems": [
            item(bob.uri, bobs_stamp),
            item(outside.actor("gale"), gales_stamp),
            item(outside.actor("heath"), f"{outside.actor('heath')}/feature_authorizations/9"),
        ],
    }
    outside.serve(document)
    added = outside.activity("fern", "Add", document, target=f"{outside.actor('fern')}/fc")
    assert (await receive(app_node, added)).applied

    fern = await app_node.services.accounts.find(outside.handle("fern"))
    [kept], more = await app_node.services.collections.of_account(fern.id, None, offset=0, limit=40)
    assert not more and kept.collection.uri == collection
    assert (kept.collection.name, kept.collection.language, kept.collection.tag_name) == (
        "Hedge people",
        "en",
        "hedges",
    )
    assert "<script>" not in kept.collection.description
    # heath's consent is not served by its server: heath is not shown as in it.
    assert [account.username for _item, account in kept.items] == ["bob", "gale"]
    [featuring_bob], _more = await app_node.services.collections.featuring(
        bob.id, bob, offset=0, limit=40
    )
    assert featuring_bob.collection.uri == collection

    # bob takes himself out: fern's server is told, his consent is no longer served.
    bob_item = next(item for item, account in kept.items if account.id == bob.id)
    await app_node.services.collections.revoke(bob, kept.collection.id, bob_item.id)
    [deleted] = logged(app_node, bob, "Delete")
    assert (deleted["object"], deleted["to"]) == (bobs_stamp, [outside.actor("fern")])
    async with client(app_node) as web:
        gone = await web.get(bobs_stamp.removeprefix(app_node.ctx.urls.base), headers=AS_JSON)
        assert gone.status_code == 404
    assert item_of(app_node, bob_item.id).state == "revoked"

    # Removed on its server: forgotten here.
    removed = outside.activity("fern", "Remove", collection, target=f"{outside.actor('fern')}/fc")
    assert (await receive(app_node, removed)).applied
    assert (await app_node.services.collections.of_account(fern.id, None, offset=0, limit=40)) == (
        [],
        False,
    )
