"""Pubs (docs/protocol.md, "Pubs"): an always-on node keeps the full logs of the accounts
that registered it as their gateway, with consent signed by the account's own key, so their
posts stay reachable while their own node (a laptop) is offline.

Both sides of the transport live here: an account registering a pub (`register`, on its
home node) and a pub receiving the consent (`consent`, the route). What a consent says and
proves, and what each side keeps, are rules: `core/replication/pubs.py`, through the
replication service."""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response

from bocage.core.replication import peers
from bocage.core.replication.pubs import consent_document, proof_refusal
from bocage.edge import BodyTooLarge, read_body
from bocage.federation import normalize
from bocage.federation.client import FetchError
from bocage.federation.responses import error, json_response
from bocage.kernel.errors import DomainError
from bocage.p2p.host import Peering, host_of

MAX_CONSENT_BYTES = 16 * 1024


class PubRefused(DomainError):
    """The pub did not take the registration; the message says why."""


# --- on the account's home node ------------------------------------------------------------


async def register(node: Peering, username: str, pub_url: str) -> str:
    """Ask the pub at `pub_url` to keep `username`'s log; on success it is listed among the
    account's gateways (an Update of its actor). Returns the pub's base URL."""
    pub = peers.base_url(pub_url)
    replication = node.services.replication
    consent = await replication.consent(username, pub)
    signer = await node.federation.resolver.instance_signer()
    try:
        answer = await node.federation.client.signed_request(
            "POST", f"{pub}/.well-known/apgateway/consent", signer, body=orjson.dumps(consent)
        )
    except FetchError as failed:
        raise PubRefused(f"The pub could not be reached: {failed}") from None
    if answer.status != 200:
        raise PubRefused(f"The pub refused ({answer.status}): {_message(answer.body)}")
    await replication.add_gateway(username, pub)
    return pub


def _message(body: bytes) -> str:
    try:
        return str(orjson.loads(body).get("error", ""))[:300]
    except (orjson.JSONDecodeError, AttributeError):
        return body[:300].decode("utf-8", "replace")


# --- on the pub ------------------------------------------------------------------------------


async def consent(request: Request) -> Response:
    """An account registers this pub as its gateway, with consent signed by its key."""
    node = host_of(request)
    if not node.settings.pub:
        return error("This node is not a pub (it runs without --pub).", 404)
    try:
        body = await read_body(request, MAX_CONSENT_BYTES)
    except BodyTooLarge:
        return error("A consent is a small document.", 413)
    try:
        document = consent_document(orjson.loads(body), node.ctx.urls.base)
    except (orjson.JSONDecodeError, ValueError) as bad:
        return error(f"This is not a consent this pub can take: {bad}", 400)
    if (await node.federation.domain_rules()).refuses(normalize.host(document["actor"])):
        return error("This pub does not serve accounts of that server.", 403)
    try:
        actor = await node.federation.resolver.actor(document["actor"], refresh=True)
    except (FetchError, normalize.Malformed) as failed:
        return error(f"The actor could not be fetched: {failed}", 400)
    refusal = proof_refusal(document, actor)
    if refusal:
        return error(refusal, 401)
    await node.services.replication.keep_consent(actor.id, body)
    return json_response({"actor": actor.uri, "did": actor.did, "gateway": document["gateway"]})
