"""Pubs (docs/protocol.md, "Pubs"): an always-on node keeps the full logs of the accounts
that registered it as their gateway, with consent signed by the account's own key.

The rules of both sides: on the account's home node, the consent it signs and the gateway
it then lists; on the pub, what a consent must say and prove, and the consent kept (which
also spares the account's content from the budgets, `budget.py`). Sending the consent and
fetching the actor are the p2p face's."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bocage.core.accounts import accounts
from bocage.core.authorship import authoring
from bocage.core.authorship.activities import AS_CONTEXT, iso
from bocage.core.replication import peers
from bocage.crypto.keys import KeyFormatError, public_key_from_did
from bocage.crypto.proofs import verify_object
from bocage.kernel.clock import now
from bocage.kernel.context import Context
from bocage.kernel.errors import NotFound
from bocage.store.models import Account, GatewayConsent

CONSENT = "GatewayConsent"
PROOF_CONTEXT = "https://w3id.org/security/data-integrity/v2"


# --- on the account's home node ------------------------------------------------------------


def signed_consent(session: Session, username: str, pub: str) -> dict[str, Any]:
    """`username`'s consent that the pub at `pub` keeps its log, signed by its key."""
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


def add_gateway(session: Session, ctx: Context, username: str, pub: str) -> None:
    """The pub took the consent: listed among the account's gateways, and a peer."""
    accounts.add_gateway(session, ctx, accounts.by_username(session, username), pub)
    peers.remember(session, pub, "gateway", own=ctx.urls.base)


# --- on the pub ------------------------------------------------------------------------------


def consent_document(document: Any, own: str) -> dict[str, Any]:
    """`document` if it is a consent naming this pub (`own`); ValueError says why not."""
    if not isinstance(document, dict) or document.get("type") != CONSENT:
        raise ValueError(f"a {CONSENT} document is expected")
    if not isinstance(document.get("actor"), str) or not document["actor"].startswith("http"):
        raise ValueError("its actor is not an actor id")
    if document.get("gateway") != own:
        raise ValueError(f"it names {str(document.get('gateway'))[:200]}, not this pub ({own})")
    return document


def proof_refusal(document: dict[str, Any], actor: Account) -> str | None:
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


def keep_consent(session: Session, account_id: int, body: bytes) -> None:
    """A verified consent, kept as received (the latest one of an account)."""
    kept = session.get(GatewayConsent, account_id)
    if kept is None:
        session.add(GatewayConsent(account_id=account_id, consent=body.decode(), received_at=now()))
    else:
        kept.consent, kept.received_at = body.decode(), now()
