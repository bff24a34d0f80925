"""Pubs (docs/protocol.md, "Pubs"): an always-on node keeps the full logs of the accounts
that registered it as their gateway, with consent signed by the account's own key, so their
posts stay reachable while their own node (a laptop) is offline.

Both sides live here: an account registering a pub (`register`, on its home node) and a pub
receiving the consent (`consent`, the route)."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from bocage.core.accounts import accounts
from bocage.core.authorship import authoring
from bocage.core.authorship.activities import AS_CONTEXT, iso
from bocage.core.replication import peers
from bocage.crypto.keys import KeyFormatError, public_key_from_did
from bocage.crypto.proofs import verify_object
from bocage.edge import BodyTooLarge, read_body
from bocage.federation import normalize
from bocage.federation.client import FetchError
from bocage.federation.responses import error, json_response, node_of
from bocage.kernel.clock import now
from bocage.kernel.errors import DomainError, NotFound
from bocage.p2p.host import Peering
from bocage.store.models import Account, GatewayConsent

CONSENT = "GatewayConsent"
PROOF_CONTEXT = "https://w3id.org/security/data-integrity/v2"
MAX_CONSENT_BYTES = 16 * 1024


class PubRefused(DomainError):
    """The pub did not take the registration; the message says why."""


# --- on the account's home node ------------------------------------------------------------


async def register(node: Peering, username: str, pub_url: str) -> str:
    """Ask the pub at `pub_url` to keep `username`'s log; on success it is listed among the
    account's gateways (an Update of its actor). Returns the pub's base URL."""
    pub = peers.base_url(pub_url)
    consent = await node.db.read(_signed_consent, node, username, pub)
    signer = await node.federation.resolver.instance_signer()
    try:
        answer = await node.federation.client.signed_request(
            "POST", f"{pub}/.well-known/apgateway/consent", signer, body=orjson.dumps(consent)
        )
    except FetchError as failed:
        raise PubRefused(f"The pub could not be reached: {failed}") from None
    if answer.status != 200:
        raise PubRefused(f"The pub refused ({answer.status}): {_message(answer.body)}")
    await node.db.write(_add_gateway, node, username, pub)
    return pub


def _signed_consent(session: Session, node: Peering, username: str, pub: str) -> dict[str, Any]:
    account = accounts.by_username(session, username)
    if account.domain is not None or account.suspended:
        raise NotFound(f"@{username} is not an active account of this node.")
    consent = {
        "@context": [AS_CONTEXT, PROOF_CONTEXT],
        "type": CONSENT,
        "actor": account.uri,
        "gateway": pub,
        "published": iso(now()),
    }
    return authoring.sign(account, consent).document


def _add_gateway(session: Session, node: Peering, username: str, pub: str) -> None:
    accounts.add_gateway(session, node.ctx, accounts.by_username(session, username), pub)
    peers.remember(session, pub, "gateway", own=node.ctx.urls.base)


def _message(body: bytes) -> str:
    try:
        return str(orjson.loads(body).get("error", ""))[:300]
    except (orjson.JSONDecodeError, AttributeError):
        return body[:300].decode("utf-8", "replace")


# --- on the pub ------------------------------------------------------------------------------


async def consent(request: Request) -> Response:
    """An account registers this pub as its gateway, with consent signed by its key."""
    node = node_of(request)
    if not node.settings.pub:
        return error("This node is not a pub (it runs without --pub).", 404)
    try:
        body = await read_body(request, MAX_CONSENT_BYTES)
    except BodyTooLarge:
        return error("A consent is a small document.", 413)
    try:
        document = _consent_document(orjson.loads(body), node.ctx.urls.base)
    except (orjson.JSONDecodeError, ValueError) as bad:
        return error(f"This is not a consent this pub can take: {bad}", 400)
    if (await node.federation.domain_rules()).refuses(normalize.host(document["actor"])):
        return error("This pub does not serve accounts of that server.", 403)
    try:
        actor = await node.federation.resolver.actor(document["actor"], refresh=True)
    except (FetchError, normalize.Malformed) as failed:
        return error(f"The actor could not be fetched: {failed}", 400)
    refusal = _proof_refusal(document, actor)
    if refusal:
        return error(refusal, 401)
    await node.db.write(_keep, actor.id, body)
    return json_response({"actor": actor.uri, "did": actor.did, "gateway": document["gateway"]})


def _consent_document(document: Any, own: str) -> dict[str, Any]:
    if not isinstance(document, dict) or document.get("type") != CONSENT:
        raise ValueError(f"a {CONSENT} document is expected")
    if not isinstance(document.get("actor"), str) or not document["actor"].startswith("http"):
        raise ValueError("its actor is not an actor id")
    if document.get("gateway") != own:
        raise ValueError(f"it names {str(document.get('gateway'))[:200]}, not this pub ({own})")
    return document


def _proof_refusal(document: dict[str, Any], actor: Account) -> str | None:
    """Why the consent is not the actor's own words, or None when it is."""
    proof = document.get("proof")
    method = proof.get("verificationMethod") if isinstance(proof, dict) else None
    if not isinstance(method, str):
        return "The consent carries no proof."
    if actor.did is None or method.split("#", 1)[0] != actor.did:
        return "The consent is not signed by the actor's key (its did:key)."
    try:
        key = public_key_from_did(actor.did)
    except KeyFormatError:
        return "The actor's did:key is not an Ed25519 key."
    verdict = verify_object(document, key, proof_purpose="assertionMethod")
    return None if verdict.valid else f"The consent's proof does not verify: {verdict.reason}"


def _keep(session: Session, account_id: int, body: bytes) -> None:
    kept = session.get(GatewayConsent, account_id)
    if kept is None:
        session.add(GatewayConsent(account_id=account_id, consent=body.decode(), received_at=now()))
    else:
        kept.consent, kept.received_at = body.decode(), now()
