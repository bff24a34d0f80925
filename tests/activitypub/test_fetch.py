"""Serving posts to other servers: public ones to anyone; in authorized-fetch mode, only to
signed requests, and followers-only or direct ones to the servers of those who may see them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bocage.core.moderation import domain_blocks
from bocage.crypto import httpsig
from bocage.crypto.keys import public_key_from_did
from bocage.crypto.proofs import verify_object
from bocage.kernel.clock import now
from bocage.store.models import Account, Follow
from tests.activitypub.helpers import BASE, REMOTE
from tests.conftest import shared_secrets
from tests.core import helpers
from tests.web.conftest import Browser

AP = {"accept": "application/activity+json"}


async def fetch(browser: Browser, path: str, *, signed: bool) -> Any:
    headers = dict(AP)
    if signed:
        request = httpsig.Request("GET", BASE + path, dict(AP), b"")
        private = httpsig.load_private_key(shared_secrets().rsa.private_pem)
        headers |= httpsig.sign(request, f"{REMOTE}#main-key", private, scheme="cavage")
    return await browser.client.get(path, headers=headers)


async def test_authorized_fetch_serves_each_post_to_the_servers_that_may_see_it(
    browser: Browser, sender: Account
) -> None:
    node = browser.node
    alice = _alice(browser)
    public = helpers.post(node, alice, "for everyone")
    private = helpers.post(node, alice, "for my followers", visibility="private")
    paths = {p.id: f"/users/alice/statuses/{p.id}" for p in (public, private)}

    # The default: public posts to anyone, nothing else to anybody.
    assert (await fetch(browser, paths[public.id], signed=False)).status_code == 200
    assert (await fetch(browser, paths[private.id], signed=True)).status_code == 404

    node.settings.authorized_fetch = True
    unsigned = await fetch(browser, paths[public.id], signed=False)
    assert unsigned.status_code == 401 and "signed requests" in unsigned.json()["error"]
    assert (await fetch(browser, paths[public.id], signed=True)).status_code == 200
    assert (await fetch(browser, paths[private.id], signed=True)).status_code == 404

    # Once someone on the signer's server follows alice, her followers-only post is theirs.
    with node.db.transaction() as session:
        session.add(
            Follow(follower_id=sender.id, target_id=alice.id, accepted=True, created_at=now(),
                   uri=f"{REMOTE}/follows/2")
        )  # fmt: skip
    served = await fetch(browser, paths[private.id], signed=True)
    assert served.status_code == 200 and served.json()["content"].find("for my followers") > 0

    with node.db.transaction() as session:
        domain_blocks.block(session, "127.0.0.9", "suspend")
    node.federation.forget_domain_rules()
    assert (await fetch(browser, paths[public.id], signed=True)).status_code == 403


def _alice(browser: Browser) -> Account:
    with browser.node.db.snapshot() as session:
        return session.execute(select(Account).where(Account.username == "alice")).scalar_one()


async def test_a_served_note_carries_its_authors_proof(browser: Browser, sender: Account) -> None:
    alice = _alice(browser)
    note = helpers.post(browser.node, alice, "signed on its own")
    response = await fetch(browser, f"/users/alice/statuses/{note.id}", signed=False)
    document = response.json()
    assert alice.did and document["proof"]["verificationMethod"].startswith(alice.did)
    key = public_key_from_did(alice.did)
    assert verify_object(document, key, proof_purpose="assertionMethod").valid
    document["content"] = "<p>words she never wrote</p>"
    assert not verify_object(document, key, proof_purpose="assertionMethod").valid
