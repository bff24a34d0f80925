"""The inbox's contract: only activities vouched for by their actor are accepted, each is
stored once before the 202, and bad requests get a clear refusal that loses nothing.

The sender here is a remote actor this node already knows (its key cached), so each case
tests the inbox, not a key fetch. Real captured payloads drive the processing tests.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from bocage.core.authorship import activities
from bocage.core.instance import domains
from bocage.core.moderation import domain_blocks
from bocage.core.reading.visibility import Visibility
from bocage.crypto.keys import IdentityKey, RsaKey
from bocage.crypto.proofs import sign_canonical
from bocage.federation import normalize
from bocage.node import Node
from bocage.store.models import Account, Follow, InboundActivity
from tests.activitypub.helpers import (
    BASE,
    PAYLOADS,
    REMOTE,
    deliver,
    know_remote_actor,
    payload,
    signed_headers,
)
from tests.web.conftest import Browser

_OTHER_KEY: list[RsaKey] = []


def other_key() -> RsaKey:
    if not _OTHER_KEY:
        _OTHER_KEY.append(RsaKey.generate())
    return _OTHER_KEY[0]


def follow_activity(actor: str = REMOTE, target: str = f"{BASE}/users/alice") -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor}/follows/1",
        "type": "Follow",
        "actor": actor,
        "object": target,
    }


def stored_count(node: Node) -> int:
    with node.db.snapshot() as session:
        return int(session.execute(select(func.count()).select_from(InboundActivity)).scalar())


def followers_of(node: Node, username: str) -> int:
    with node.db.snapshot() as session:
        account = session.execute(select(Account).where(Account.username == username)).scalar()
        return int(
            session.execute(
                select(func.count()).select_from(Follow).where(Follow.target_id == account.id)
            ).scalar()
        )


async def test_a_signed_follow_is_stored_then_applied_once(
    browser: Browser, sender: Account
) -> None:
    node = browser.node
    body = orjson.dumps(follow_activity())
    for scheme in ("cavage", "rfc9421"):
        response = await deliver(browser, body, signed_headers(body, scheme=scheme))
        assert response.status_code == 202, response.text
    assert stored_count(node) == 1  # the second delivery of the same id was a no-op
    await node.worker.run_until_idle()
    await node.worker.run_until_idle()
    assert followers_of(node, "alice") == 1
    # The same activity again, after processing: still one follow, still one stored copy.
    response = await deliver(browser, body, signed_headers(body))
    assert response.status_code == 202
    await node.worker.run_until_idle()
    assert (stored_count(node), followers_of(node, "alice")) == (1, 1)


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("unsigned", "only signed requests"),
        ("another key", "does not match"),
        ("wrong digest", "Digest header does not match the body"),
        ("stale date", "too far in the past"),
        ("another actor", "not by the actor"),
    ],
)
async def test_requests_not_vouched_for_by_their_actor_are_refused(
    browser: Browser, sender: Account, case: str, expected: str
) -> None:
    node = browser.node
    body = orjson.dumps(follow_activity())
    headers = signed_headers(body)
    if case == "unsigned":
        headers = {"content-type": "application/activity+json"}
    elif case == "another key":
        headers = signed_headers(body, key=other_key())
    elif case == "wrong digest":
        headers = signed_headers(orjson.dumps({**follow_activity(), "id": f"{REMOTE}/other"}))
    elif case == "stale date":
        headers = signed_headers(body, now=datetime.now(UTC) - timedelta(hours=13))
    elif case == "another actor":
        know_remote_actor(node, "http://127.0.0.9:9/users/trudy")
        body = orjson.dumps(follow_activity(actor="http://127.0.0.9:9/users/trudy"))
        headers = signed_headers(body)  # signed by mallory, claims to be trudy
    response = await deliver(browser, body, headers)
    assert response.status_code == 401, response.text
    assert expected in response.json()["error"]
    assert stored_count(node) == 0
    await node.worker.run_until_idle()
    assert followers_of(node, "alice") == 0


async def test_malformed_requests_get_clear_errors_and_lose_nothing(
    browser: Browser, sender: Account
) -> None:
    node = browser.node
    accepted = orjson.dumps(follow_activity())
    assert (await deliver(browser, accepted, signed_headers(accepted))).status_code == 202
    cases = [
        (b"{not json", 400, "not JSON"),
        (orjson.dumps({"type": "Follow"}), 400, "no id"),
        (orjson.dumps({**follow_activity(), "id": "http://elsewhere.example/1"}), 400, "id"),
        (b'{"a": "' + b"x" * (1024 * 1024) + b'"}', 413, "at most"),
    ]
    for body, status, message in cases:
        response = await deliver(browser, body, signed_headers(body))
        assert response.status_code == status, (body[:40], response.text)
        assert message in response.json()["error"]
    # A malformed RFC 9421 Content-Digest is a bad request, not a bad signature.
    body = orjson.dumps({**follow_activity(), "id": f"{REMOTE}/follows/2"})
    headers = {
        name: value
        for name, value in signed_headers(body, scheme="rfc9421").items()
        if name.lower() != "content-digest"
    }
    headers["content-digest"] = "sha-256=not-a-byte-sequence"
    assert (await deliver(browser, body, headers)).status_code == 400
    # Unknown inbox owner.
    response = await deliver(browser, body, signed_headers(body), "/users/nobody/inbox")
    assert response.status_code == 404
    assert stored_count(node) == 1  # the one accepted before is still there
    await node.worker.run_until_idle()
    assert followers_of(node, "alice") == 1


@pytest.mark.parametrize(
    "name",
    sorted(str(p.relative_to(PAYLOADS)) for p in PAYLOADS.glob("*/*.json")),
)
def test_every_captured_payload_normalizes_or_is_refused_with_a_reason(name: str) -> None:
    document = payload(name)
    kind = normalize.type_of(document)
    try:
        if kind in normalize.ACTOR_TYPES:
            profile = normalize.actor(document, fetched_from=document["id"])
            assert profile.inbox.startswith("http") and profile.username
            assert profile.key_id and profile.public_key_pem
        elif kind in normalize.POST_TYPES:
            note = normalize.post(document)
            assert note.author_uri.startswith("http")
            assert "<script" not in note.content
        else:
            incoming = normalize.activity(document)
            assert incoming.actor.startswith("http") and incoming.type
    except normalize.Malformed as refused:
        assert str(refused)  # a reason a person can read


def test_visibility_follows_mastodons_reading_of_addressing() -> None:
    followers = "https://fedi.aeracode.org/users/andrew/followers"
    cases = {
        "mastodon/note_single_attachment.json": Visibility.PUBLIC,
        "mastodon/note_unlisted_cw_emoji.json": Visibility.UNLISTED,
        "mastodon/note_direct.json": Visibility.DIRECT,
    }
    for name, expected in cases.items():
        note = normalize.post(payload(name))
        assert activities.visibility_of(note.to, note.cc, followers) is expected, name
    create = normalize.activity(payload("mastodon/create_note_followers_only.json"))
    assert isinstance(create.object, dict)
    note = normalize.post(create.object)
    own_followers = "https://fedi.aeracode.org/users/testmover/followers"
    assert activities.visibility_of(note.to, note.cc, own_followers) is Visibility.PRIVATE


async def test_servers_the_admin_refuses_get_403_and_nothing_is_stored(
    browser: Browser, sender: Account
) -> None:
    node = browser.node
    body = orjson.dumps(follow_activity())

    async def answer_after(*changes: tuple[Any, ...]) -> int:
        with node.db.transaction() as session:
            for action, *args in changes:
                action(session, *args)
        node.federation.forget_domain_rules()
        response = await deliver(browser, body, signed_headers(body))
        if response.status_code == 403:
            assert response.json()["error"] == "This node does not federate with your server."
        return int(response.status_code)

    assert await answer_after((domain_blocks.block, "127.0.0.9", "suspend")) == 403
    assert (
        await answer_after((domain_blocks.unblock, "127.0.0.9"), (domains.set_mode, "allowlist"))
        == 403
    )
    assert stored_count(node) == 0
    assert await answer_after((domains.allow, "127.0.0.9:9")) == 202
    assert stored_count(node) == 1


async def test_integrity_proofs_vouch_for_relayed_activities_and_must_hold(
    browser: Browser, sender: Account
) -> None:
    """trudy's Follow, with her FEP-8b32 proof, relayed by mallory (whose HTTP signature is
    not trudy's): the proof vouches for it. A proof that does not hold is refused, even on
    an activity its actor signed itself."""
    node = browser.node
    trudy_key = IdentityKey.generate()
    trudy = "http://127.0.0.9:9/users/trudy"
    know_remote_actor(node, trudy, did=trudy_key.did)
    method = f"{trudy_key.did}#{trudy_key.public_multibase}"
    signed = sign_canonical(follow_activity(actor=trudy), trudy_key, method).document
    tampered = {**signed, "object": f"{BASE}/users/bob"}

    relayed = orjson.dumps(tampered)
    refused = await deliver(browser, relayed, signed_headers(relayed))
    assert refused.status_code == 401 and "not vouched for" in refused.json()["error"]
    own = await deliver(browser, relayed, signed_headers(relayed, key_id=f"{trudy}#main-key"))
    assert own.status_code == 401 and "proof does not verify" in own.json()["error"]
    assert stored_count(node) == 0

    relayed = orjson.dumps(signed)
    assert (await deliver(browser, relayed, signed_headers(relayed))).status_code == 202
    await node.worker.run_until_idle()
    assert followers_of(node, "alice") == 1
