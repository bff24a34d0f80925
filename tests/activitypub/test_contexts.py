"""A thread's context, as other servers read it (both databases): every Note of a thread
carries one `context` (and Mastodon's `conversation`), inside what its author signed; a
thread started here serves it as a collection; a reply to a remote post keeps the context
its server gave the thread; captured payloads' contexts are read at the edge."""

from __future__ import annotations

import copy
from typing import Any

import orjson
from sqlalchemy import select

from bocage.crypto.keys import public_key_from_did
from bocage.crypto.proofs import verify_object
from bocage.federation import normalize
from bocage.store.models import Account, Post
from tests.activitypub.helpers import BASE, REMOTE, deliver, payload, signed_headers
from tests.activitypub.test_collections import AS_JSON, get, walk
from tests.core import helpers
from tests.web.conftest import Browser

PLEROMA_CONTEXT = "https://greenish.red/contexts/f6244742-0526-4b84-ac4f-ceadf1fb4e56"


async def note_of(browser: Browser, post: Post) -> dict[str, Any]:
    return await get(browser, post.uri)


async def test_a_thread_started_here_carries_and_serves_its_context(browser: Browser) -> None:
    node = browser.node
    alice, bob = helpers.user(node, "alice"), helpers.user(node, "bob")
    root = helpers.post(node, alice, "a thread")
    answer = helpers.reply(node, bob, root, "@alice an answer")
    again = helpers.reply(node, alice, answer, "@bob and back")
    helpers.reply(node, bob, root, "@alice between us", visibility="private")
    elsewhere = helpers.post(node, bob, "another thread")
    context = f"{BASE}/contexts/{root.id}"

    for post in (root, answer, again):
        note = await note_of(browser, post)
        assert note["context"] == note["conversation"] == context
        author = alice if post.account_id == alice.id else bob
        key = public_key_from_did(author.did or "")
        assert verify_object(note, key, proof_purpose="assertionMethod").valid  # signed in
    assert (await note_of(browser, elsewhere))["context"] == f"{BASE}/contexts/{elsewhere.id}"

    collection, pages = await walk(browser, context)
    assert collection["attributedTo"] == alice.uri
    listed = [uri for found in pages for uri in found["orderedItems"]]
    assert collection["totalItems"] == len(listed) == 3
    assert listed == [root.uri, answer.uri, again.uri]  # the thread's order; never the private


async def test_a_private_or_unknown_thread_has_no_context_to_serve(browser: Browser) -> None:
    alice = helpers.user(browser.node, "alice")
    secret = helpers.post(browser.node, alice, "just followers", visibility="private")
    for path in (f"/contexts/{secret.id}", "/contexts/12345", "/contexts/99999999999999999999"):
        response = await browser.get(path, headers=AS_JSON)
        assert response.status_code == 404, path


async def test_a_reply_to_a_remote_post_keeps_its_servers_context(
    browser: Browser, sender: Account
) -> None:
    """A Pleroma post (captured) names its thread's context; alice's reply gives it back,
    as microblog.pub and Pleroma expect to thread it."""
    create = copy.deepcopy(payload("pleroma/create_note_reply.json"))
    text = orjson.dumps(create).decode().replace("https://greenish.red/users/nutomic", REMOTE)
    create = orjson.loads(text.replace("https://greenish.red/objects/", f"{REMOTE}/objects/"))
    create["id"] = f"{REMOTE}/activities/1"
    create["object"]["inReplyTo"] = None
    body = orjson.dumps(create)
    assert (await deliver(browser, body, signed_headers(body))).status_code == 202
    await browser.node.worker.run_until_idle()

    with browser.node.db.snapshot() as session:
        stored = session.execute(select(Post).where(Post.account_id == sender.id)).scalar_one()
    assert stored.context == PLEROMA_CONTEXT
    alice = session_alice(browser)
    reply = helpers.reply(browser.node, alice, stored, "answering Pleroma")
    note = await note_of(browser, reply)
    assert note["context"] == note["conversation"] == PLEROMA_CONTEXT
    assert note["inReplyTo"] == stored.uri


def test_contexts_are_read_from_captured_payloads() -> None:
    pleroma = payload("pleroma/create_note_reply.json")["object"]
    mastodon = payload("mastodon/create_reply_unlisted.json")["object"]
    assert normalize.post(pleroma).context == PLEROMA_CONTEXT
    assert normalize.post(mastodon).context == mastodon["conversation"]  # a tag: URI
    assert normalize.post(payload("misskey/create_note.json")["object"]).context is None
    odd = {**pleroma, "context": {"id": PLEROMA_CONTEXT, "type": "Collection"}}
    assert normalize.post(odd).context == PLEROMA_CONTEXT
    for junk in (42, "javascript:alert(1)", "https://x/" + "y" * 600, ["a", "b"]):
        assert normalize.post({**pleroma, "context": junk, "conversation": None}).context is None


def session_alice(browser: Browser) -> Account:
    with browser.node.db.snapshot() as session:
        found = session.execute(select(Account).where(Account.username == "alice"))
        return found.scalar_one()
