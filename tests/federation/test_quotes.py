"""Quote posts across servers (FEP-044f, as Mastodon 4.5 speaks it), with two real nodes on
block 17 of the worker's loopback addresses: Alice on node A quotes Bob's post on node B;
Bob's node answers her QuoteRequest by his post's policy (an Accept naming a
QuoteAuthorization it serves, or a Reject), and Alice's node shows the quote accepted or
rejected; Bob revokes it and Alice's node shows it revoked. Each node's Notes say who may
quote them (`interactionPolicy.canQuote`) and what they quote (`quote`, `quoteUri`,
`_misskey_quote`, `quoteAuthorization`). Mastodon's own payloads (tests/data/payloads, from
its spec) come from an outside server on the same block: its QuoteRequest answered by
policy, its quoting Notes shown accepted only once their authorization is verified."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mastodon import Mastodon

from tests.addresses import loopback
from tests.federation.helpers import eventually, prepare_node
from tests.fuzz import payloads
from tests.mastodon_api.test_quotes import client
from tests.outsider import PUBLIC, Outsider
from tests.processes import NodeProcess, running

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("federation/test_quotes")]

HOSTS = (loopback(17, 1), loopback(17, 2))
AS_JSON = "application/activity+json"


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[NodeProcess]]:
    root: Path = tmp_path_factory.mktemp("quotes")
    made = [prepare_node(root, HOSTS[0], ["alice"]), prepare_node(root, HOSTS[1], ["bob"])]
    with running(*made):
        yield made


@pytest.fixture(scope="module")
def alice(nodes: list[NodeProcess]) -> Mastodon:
    return client(nodes[0], "alice")


@pytest.fixture(scope="module")
def bob(nodes: list[NodeProcess]) -> Mastodon:
    return client(nodes[1], "bob")


async def resolved(who: Mastodon, url: str) -> Any:
    """The post at `url`, as `who`'s node knows it once it fetched it."""
    found = await asyncio.to_thread(who.search_v2, url, resolve=True, result_type="statuses")
    assert len(found.statuses) == 1, found
    return found.statuses[0]


async def quote_state(who: Mastodon, status_id: Any, wanted: str) -> Any:
    async def check() -> Any:
        status = await asyncio.to_thread(who.status, status_id)
        return status if status.quote is not None and status.quote.state == wanted else None

    return await eventually(check, what=f"the quote of {status_id} {wanted}")


async def fetched(url: str) -> httpx.Response:
    """What a server fetching `url` as ActivityStreams gets."""
    async with httpx.AsyncClient(timeout=20) as http:
        return await http.get(url, headers={"Accept": AS_JSON})


async def note_of(url: str) -> dict[str, Any]:
    answer = await fetched(url)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_a_quote_authorized_then_revoked_across_nodes(alice: Mastodon, bob: Mastodon) -> None:
    original = await asyncio.to_thread(bob.status_post, "Bob's words, quotable by anyone")
    served = await note_of(original.uri)
    assert served["interactionPolicy"] == {
        "canQuote": {"automaticApproval": ["https://www.w3.org/ns/activitystreams#Public"]}
    }
    on_a = await resolved(alice, original.uri)
    assert on_a.quote_approval.automatic == ["public"]
    quoting = await asyncio.to_thread(
        alice.status_post, "Alice quotes Bob", quoted_status_id=on_a.id
    )
    assert quoting.quote.state == "pending"  # until Bob's node answers
    assert quoting.quote.quoted_status is None

    accepted = await quote_state(alice, quoting.id, "accepted")
    assert accepted.quote.quoted_status.id == on_a.id
    alice_note = await note_of(quoting.uri)
    assert alice_note["quote"] == original.uri
    assert alice_note["quoteUri"] == alice_note["_misskey_quote"] == original.uri
    authorization_url = alice_note["quoteAuthorization"]
    assert authorization_url.startswith(f"http://{HOSTS[1]}:")
    authorization = (await fetched(authorization_url)).json()
    assert authorization["type"] == "QuoteAuthorization"
    assert authorization["attributedTo"] == original.account.url.replace("/@bob", "/users/bob")
    assert authorization["interactionTarget"] == original.uri
    assert authorization["interactingObject"] == quoting.uri

    # On Bob's node: the quoting post, its quote, and Bob told.
    async def quoted_on_b() -> Any:
        found = await asyncio.to_thread(bob.status_quotes, original.id)
        return found or None

    (on_b,) = await eventually(quoted_on_b, what="alice's quote listed on B")
    assert on_b.uri == quoting.uri
    notes = await asyncio.to_thread(bob.notifications, types=["quote"])
    assert [n.status.uri for n in notes] == [quoting.uri]

    revoked = await asyncio.to_thread(bob.status_quote_revoke, original.id, on_b.id)
    assert revoked.quote.state == "revoked"
    assert (await fetched(authorization_url)).status_code == 404
    gone = await quote_state(alice, quoting.id, "revoked")
    assert gone.quote.quoted_status is None

    async def unauthorized_note() -> bool:
        return "quoteAuthorization" not in await note_of(quoting.uri)

    await eventually(unauthorized_note, what="alice's Note without its authorization")


async def test_a_quote_rejected_by_the_quoted_post_policy(alice: Mastodon, bob: Mastodon) -> None:
    original = await asyncio.to_thread(bob.status_post, "Quotable for now")
    on_a = await resolved(alice, original.uri)
    # Bob closes his post after Alice's node read it: her node still thinks it open, and
    # asks; Bob's node refuses by the policy it holds.
    await asyncio.to_thread(bob.status_update_quote_approval_policy, original.id, "nobody")
    assert (await note_of(original.uri))["interactionPolicy"]["canQuote"] == {
        "automaticApproval": [original.account.url.replace("/@bob", "/users/bob")]
    }
    quoting = await asyncio.to_thread(
        alice.status_post, "Trying to quote", quoted_status_id=on_a.id
    )
    assert quoting.quote.state == "pending"
    rejected = await quote_state(alice, quoting.id, "rejected")
    assert rejected.quote.quoted_status is None
    assert "quoteAuthorization" not in await note_of(quoting.uri)


# --- Mastodon's payloads, fed through the inbound path ----------------------------------------

MASTODON_HOST = loopback(17, 10)
(REQUEST, AUTHORIZATION, QUOTING_NOTE) = payloads(
    "mastodon/quote_request.json", "mastodon/quote_authorization.json", "mastodon/note_quote.json"
)


def filled(document: dict[str, Any], places: dict[str, str]) -> dict[str, Any]:
    """A payload with its placeholder URLs replaced (longest first)."""
    text = json.dumps(document)
    for placeholder in sorted(places, key=len, reverse=True):
        text = text.replace(placeholder, places[placeholder])
    return dict(json.loads(text))


@pytest.fixture
async def mastodon() -> AsyncIterator[Outsider]:
    """A Mastodon server as these payloads come from: its people answer at their actors."""
    server = await Outsider(MASTODON_HOST, users=("sender", "quoted", "quoting")).start()
    yield server
    await server.close()


async def test_mastodons_quote_request_is_answered_by_policy(
    nodes: list[NodeProcess], bob: Mastodon, mastodon: Outsider
) -> None:
    bob_uri = f"{nodes[1].url}/users/bob"
    asked: dict[str, dict[str, Any]] = {}
    for policy, answer in (("public", "Accept"), ("nobody", "Reject")):
        post = await asyncio.to_thread(
            bob.status_post, f"Bob's {policy} post", quote_approval_policy=policy
        )
        sender = mastodon.actor("sender")
        request = filled(
            REQUEST,
            {
                "https://example.com/missing-ui": f"{sender}#quote_requests/{policy}",
                "https://example.com/unknown-status": f"{sender}/statuses/{policy}",
                "https://example.com": mastodon.url,
                "https://cb6e6126.ngrok.io/users/recipient/statuses/1": post.uri,
            },
        )
        asked[answer] = request
        status, text = await mastodon.send(
            "POST", f"{bob_uri}/inbox", mastodon.key_id("sender"), request
        )
        assert status == 202, text

    async def answered(kind: str) -> dict[str, Any] | None:
        found = [a for a in mastodon.received(kind) if a["object"]["id"] == asked[kind]["id"]]
        return found[0] if found else None

    accept = await eventually(lambda: answered("Accept"), what="an Accept of the QuoteRequest")
    assert accept["actor"] == bob_uri
    echoed = accept["object"]
    assert echoed["type"] == "QuoteRequest"
    assert (echoed["actor"], echoed["object"]) == (
        asked["Accept"]["actor"],
        asked["Accept"]["object"],
    )
    assert echoed["instrument"] == asked["Accept"]["instrument"]["id"]
    authorization = (await fetched(accept["result"])).json()
    assert authorization["type"] == "QuoteAuthorization"
    assert authorization["attributedTo"] == bob_uri
    assert authorization["interactingObject"] == asked["Accept"]["instrument"]["id"]
    assert authorization["interactionTarget"] == asked["Accept"]["object"]

    reject = await eventually(lambda: answered("Reject"), what="a Reject of the QuoteRequest")
    assert reject["actor"] == bob_uri
    assert reject["object"]["instrument"] == asked["Reject"]["instrument"]["id"]
    assert "result" not in reject


async def test_a_mastodon_quote_shown_once_its_authorization_is_verified(
    nodes: list[NodeProcess], alice: Mastodon, mastodon: Outsider
) -> None:
    """Three Notes of a Mastodon server quoting one of its posts, each naming an authorization
    at that server: one that holds, one for another post (left pending, as Mastodon leaves
    it), one that is gone (404: rejected)."""
    quoted = mastodon.note("quoted", "The post being quoted")
    quoted["interactionPolicy"] = {"canQuote": {"automaticApproval": [PUBLIC]}}
    mastodon.serve(quoted)
    alice_inbox = f"{nodes[0].url}/users/alice/inbox"
    states = {}
    for case, expected in (("holds", "accepted"), ("elsewhere", "pending"), ("gone", "rejected")):
        quoting_uri = f"{mastodon.url}/users/quoting/statuses/{case}"
        approval = f"{mastodon.url}/approvals/{case}"
        places = {
            "https://a.example.com/users/quoting/statuses/1": quoting_uri,
            "https://b.example.com/users/quoted/statuses/1": quoted["id"],
            "https://b.example.com/approvals/1234": approval,
            "https://a.example.com/users/quoting": mastodon.actor("quoting"),
            "https://b.example.com/users/quoted": mastodon.actor("quoted"),
        }
        if case != "gone":
            stamp = filled(AUTHORIZATION, places)
            if case == "elsewhere":
                stamp["interactingObject"] = f"{mastodon.url}/users/quoting/statuses/other"
            mastodon.serve(stamp)
        note = filled(QUOTING_NOTE, places)
        # Mastodon's spec Note has no addressing; the Create carries it, as Mastodon's do.
        note.update(to=[PUBLIC], cc=[f"{mastodon.actor('quoting')}/followers"])
        mastodon.serve(note)
        status, text = await mastodon.send(
            "POST", alice_inbox, mastodon.key_id("quoting"), mastodon.create(note)
        )
        assert status == 202, text
        states[quoting_uri] = expected

    for uri, expected in states.items():
        on_a = await resolved(alice, uri)
        shown = await quote_state(alice, on_a.id, expected)
        if expected == "accepted":
            assert shown.quote.quoted_status.uri == quoted["id"]
            assert shown.quote.quoted_status.quote_approval.automatic == ["public"]
        else:
            assert shown.quote.quoted_status is None


async def test_quoting_a_mastodon_post_asks_and_is_answered(
    nodes: list[NodeProcess], alice: Mastodon, mastodon: Outsider
) -> None:
    """Alice quotes a post of the Mastodon server: her node sends the QuoteRequest Mastodon
    reads (`object` the quoted post, `instrument` her Note, which names it in `quote`), and
    takes Mastodon's Accept (AcceptQuoteRequestSerializer: the request as `object`, the
    authorization as `result`)."""
    quoted = mastodon.note("quoted", "A Mastodon post, quotable by anyone")
    quoted["interactionPolicy"] = {"canQuote": {"automaticApproval": [PUBLIC]}}
    mastodon.serve(quoted)
    on_a = await resolved(alice, quoted["id"])
    quoting = await asyncio.to_thread(
        alice.status_post, "Alice quotes Mastodon", quoted_status_id=on_a.id
    )
    assert quoting.quote.state == "pending"

    async def asked() -> dict[str, Any] | None:
        found = [a for a in mastodon.received("QuoteRequest") if a["object"] == quoted["id"]]
        return found[0] if found else None

    request = await eventually(asked, what="alice's QuoteRequest at the Mastodon server")
    alice_uri = f"{nodes[0].url}/users/alice"
    assert request["actor"] == alice_uri
    assert {"QuoteRequest": "https://w3id.org/fep/044f#QuoteRequest"} in request["@context"]
    instrument = request["instrument"]
    assert (instrument["id"], instrument["quote"]) == (quoting.uri, quoted["id"])

    approval = f"{mastodon.url}/users/quoted/quote_authorizations/1"
    accept = mastodon.activity("quoted", "Accept", request, result=approval)
    accept["id"] = f"{mastodon.actor('quoted')}#accepts/quote_requests/1"
    status, text = await mastodon.send(
        "POST", f"{alice_uri}/inbox", mastodon.key_id("quoted"), accept
    )
    assert status == 202, text
    accepted = await quote_state(alice, quoting.id, "accepted")
    assert accepted.quote.quoted_status.uri == quoted["id"]
    assert (await note_of(quoting.uri))["quoteAuthorization"] == approval
