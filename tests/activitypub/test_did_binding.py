"""A did:key is bound to a remote actor only with proof that the actor's side holds its key
(FEP-c390 identity proofs, or an object the key signed as that actor): listing someone
else's public key in one's own actor document takes nothing from them (did:key squatting).
The attack with real nodes and a fake server is in tests/p2p/test_squatting.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import select

from bocage.core.inbound import remote
from bocage.crypto import identity_proofs
from bocage.crypto.keys import IdentityKey
from bocage.crypto.proofs import sign_canonical
from bocage.federation import normalize
from bocage.node import Node
from bocage.store.models import Account
from tests.activitypub.helpers import BASE, deliver, know_remote_actor, signed_headers
from tests.web.conftest import Browser

CAROL = "http://127.0.0.9:7/users/carol"
SQUATTER = "http://127.0.0.9:8/users/carol"  # another server, the same name
CREATED = datetime(2025, 3, 1, tzinfo=UTC)


def person(
    uri: str, key: IdentityKey, *, statement: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An actor document listing `key` as its assertion key, with `statement` attached."""
    return {
        "id": uri,
        "type": "Person",
        "preferredUsername": "carol",
        "inbox": f"{uri}/inbox",
        "assertionMethod": [
            {
                "id": f"{uri}#ed25519-key",
                "type": "Multikey",
                "controller": uri,
                "publicKeyMultibase": key.public_multibase,
            }
        ],
        "attachment": [statement] if statement else [],
    }


def save(node: Node, document: dict[str, Any]) -> Account:
    profile = normalize.actor(document, fetched_from=document["id"])
    with node.db.transaction() as session:
        return remote.upsert_actor(session, profile)


def did_of(node: Node, uri: str) -> tuple[str | None, bool]:
    with node.db.snapshot() as session:
        account = session.scalars(select(Account).where(Account.uri == uri)).one()
        return account.did, account.did_proven


def test_an_identity_proof_binds_only_the_actor_it_names() -> None:
    key = IdentityKey.generate()
    statement = identity_proofs.statement(key, CAROL, CREATED)
    assert normalize.actor(person(CAROL, key, statement=statement), CAROL).did_proven
    # Carol's own statement, copied into the squatter's document, names Carol, not it.
    copied = normalize.actor(person(SQUATTER, key, statement=statement), SQUATTER)
    assert (copied.did, copied.did_proven) == (key.did, False)
    # A statement by another key than its subject's proves nothing either.
    forged = identity_proofs.statement(IdentityKey.generate(), SQUATTER, CREATED)
    forged = {**forged, "subject": key.did}
    assert not normalize.actor(person(SQUATTER, key, statement=forged), SQUATTER).did_proven


async def test_a_claim_without_proof_takes_nothing_from_the_actor_that_proves_it(
    browser: Browser,
) -> None:
    node = browser.node
    key = IdentityKey.generate()
    save(node, person(SQUATTER, key))  # first come, with Carol's public key, no proof
    assert did_of(node, SQUATTER) == (None, False)
    save(node, person(CAROL, key, statement=identity_proofs.statement(key, CAROL, CREATED)))
    assert did_of(node, CAROL) == (key.did, True)
    assert did_of(node, SQUATTER) == (None, False)


async def test_a_proven_claim_replaces_a_binding_made_without_proof(browser: Browser) -> None:
    """A node upgraded from before proofs holds a squatter's unproven binding: the real
    owner's proof takes the did back; a second proven claim does not take it again."""
    node = browser.node
    key = IdentityKey.generate()
    squatter = save(node, person(SQUATTER, key))
    with node.db.transaction() as session:
        stale = session.get(Account, squatter.id)
        assert stale is not None
        stale.did = key.did  # as the old first-come rule left it
    save(node, person(CAROL, key, statement=identity_proofs.statement(key, CAROL, CREATED)))
    assert did_of(node, CAROL) == (key.did, True)
    assert did_of(node, SQUATTER) == (None, False)
    third = "http://127.0.0.9:6/users/carol"  # the same key proven again, elsewhere
    save(node, person(third, key, statement=identity_proofs.statement(key, third, CREATED)))
    assert did_of(node, CAROL) == (key.did, True)
    assert did_of(node, third) == (None, False)


async def test_a_claimed_did_is_bound_by_a_valid_proof_on_an_activity_of_the_actor(
    browser: Browser, sender: Account
) -> None:
    """An actor that lists its key without an identity proof (other implementations of
    FEP-521a) proves it by signing: a relayed activity with a valid proof by that key, as
    that actor, is accepted and binds the did."""
    node = browser.node  # `sender` (mallory) relays it, with her own HTTP signature
    key = IdentityKey.generate()
    trudy = "http://127.0.0.9:9/users/trudy"
    know_remote_actor(node, trudy, did=key.did, proven=False)
    assert did_of(node, trudy) == (None, False)
    follow = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{trudy}/follows/1",
              "type": "Follow", "actor": trudy, "object": f"{BASE}/users/alice"}  # fmt: skip
    signed = sign_canonical(follow, key, f"{key.did}#{key.public_multibase}").document
    body = orjson.dumps(signed)
    assert (await deliver(browser, body, signed_headers(body))).status_code == 202
    assert did_of(node, trudy) == (key.did, True)


async def test_our_actors_carry_an_identity_proof_that_verifies(browser: Browser) -> None:
    from tests.core.helpers import user

    alice = user(browser.node, "alice")
    answer = await browser.get("/users/alice", headers={"accept": "application/activity+json"})
    document = answer.json()
    assert identity_proofs.proven_did(document) == alice.did
    again = await browser.get("/users/alice", headers={"accept": "application/activity+json"})
    assert again.json()["attachment"] == document["attachment"]  # the same bytes each time
