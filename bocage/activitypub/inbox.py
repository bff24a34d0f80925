"""Inboxes (per user and shared): accept signed activities, store them, answer 202.

The order is the contract (docs/federation.md): size cap → JSON → whose signature (HTTP
signature, or an FEP-8b32 proof by the actor when the request is relayed) → the raw activity
stored with its id (a duplicate is a no-op) → 202 (507 if the disk is full: not stored, so
the sender retries). Processing happens later, in the `inbox.process` job (`receive.py`), so
a slow or failing handler never loses an activity and never keeps a remote server waiting.
Storing is `federation/intake.py`, shared with peer replication.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bocage.core.accounts import accounts
from bocage.core.instance.domains import DomainRules
from bocage.crypto import httpsig
from bocage.edge import BodyTooLarge, read_body
from bocage.federation import intake, normalize, signatures
from bocage.federation.client import FetchError
from bocage.federation.responses import error, node_of
from bocage.kernel.context import Context
from bocage.kernel.errors import NotFound, StorageFull
from bocage.store.db import Database
from bocage.store.models import Account

log = logging.getLogger("bocage.activitypub")
MAX_ACTIVITY_BYTES = 1024 * 1024  # Mastodon's limit too; a bigger activity is not a post
REFUSED_SERVER = "This node does not federate with your server."


class InboxResolver(signatures.KeyResolver, Protocol):
    async def actor(self, uri: str, *, refresh: bool = False) -> Account: ...

    async def proof_verdict(self, document: dict[str, Any], author: Account) -> bool | None: ...


class InboxFederation(Protocol):
    @property
    def resolver(self) -> InboxResolver: ...

    async def domain_rules(self) -> DomainRules: ...


class Receiver(Protocol):
    """What an inbox needs of the node: the signature checks' (`signatures.Verifier`), the
    actors' proofs, and the database the activity is stored in."""

    @property
    def ctx(self) -> Context: ...

    @property
    def db(self) -> Database: ...

    @property
    def federation(self) -> InboxFederation: ...


@dataclass(frozen=True)
class Sender:
    account: Account
    verified_by: str  # "signature" or "proof"


async def shared_inbox(request: Request) -> Response:
    return await _receive(request)


async def user_inbox(request: Request) -> Response:
    node = node_of(request)
    try:
        account = await node.db.read(accounts.by_username, request.path_params["username"])
    except NotFound as missing:
        return error(missing.message, 404)
    if account.suspended:
        return error("This account is suspended.", 410)
    return await _receive(request)


async def _receive(request: Request) -> Response:
    try:
        return await _accept(request)
    except StorageFull as full:
        # Not stored, so not accepted: the sender keeps the activity and tries again later.
        refused = error(full.message, full.status)
        refused.headers["retry-after"] = full.retry_after_header
        return refused


async def _accept(request: Request) -> Response:
    node = node_of(request)
    try:
        body = await read_body(request, MAX_ACTIVITY_BYTES)
    except BodyTooLarge:
        return error(f"An activity can be at most {MAX_ACTIVITY_BYTES} bytes.", 413)
    try:
        incoming = normalize.activity(normalize.loads(body))
    except normalize.Malformed as bad:
        return error(f"This is not an activity we can read: {bad}.", 400)
    rules = await node.federation.domain_rules()
    if rules.refuses(normalize.host(incoming.actor)):
        return error(REFUSED_SERVER, 403)
    try:
        sender = await authenticate(node, signatures.as_signed(node, request, body), incoming)
    except httpsig.SignatureError as refused:
        return error(str(refused), refused.status)
    except _Gone:
        return Response(status_code=202)  # an actor we never knew deleted itself: nothing to do
    await node.db.write(intake.store, incoming, body, sender.verified_by)
    return Response(status_code=202)


class _Gone(Exception):
    """The signer's key can no longer be fetched (404/410) and the activity is a Delete."""


async def authenticate(
    node: Receiver, request: httpsig.Request, incoming: normalize.Incoming
) -> Sender:
    """Who vouches for this activity: the actor's HTTP signature, or else the actor's proof."""
    has_signature = signatures.is_signed(request)
    if not has_signature and "proof" not in incoming.raw:
        raise httpsig.SignatureError("This inbox accepts only signed requests.")
    signer: Account | None = None
    failure = "the request is not signed"
    if has_signature:
        try:
            signer = await _verify_signature(node, request, incoming)
        except httpsig.SignatureError as refused:
            if refused.status != 401 or "proof" not in incoming.raw:
                raise
            failure = str(refused)
    if signer is not None and signer.uri == incoming.actor:
        verdict = await _proof_verdict(node, incoming) if "proof" in incoming.raw else None
        if verdict is not None and not verdict[0]:
            # A proof is a claim too: one that does not hold makes the activity suspect.
            raise httpsig.SignatureError("The activity's integrity proof does not verify.")
        return Sender(signer, "signature")
    # Relayed or forwarded: the server that sent it is not the author; the author's proof
    # is what counts (FEP-8b32).
    actor = await _proof_signer(node, incoming)
    if actor is not None:
        return Sender(actor, "proof")
    if signer is not None:
        failure = f"signed by {signer.uri}, not by the actor {incoming.actor}"
    raise httpsig.SignatureError(f"The activity is not vouched for by its actor: {failure}.")


async def _verify_signature(
    node: Receiver, request: httpsig.Request, incoming: normalize.Incoming
) -> Account:
    try:
        return await signatures.signer(node, request)
    except signatures.KeyGone:
        if incoming.type == "Delete":
            raise _Gone() from None
        raise


async def _proof_signer(node: Receiver, incoming: normalize.Incoming) -> Account | None:
    """The actor, if the activity carries a valid proof by the actor's Ed25519 key."""
    verdict = await _proof_verdict(node, incoming)
    return verdict[1] if verdict is not None and verdict[0] else None


async def _proof_verdict(
    node: Receiver, incoming: normalize.Incoming
) -> tuple[bool, Account] | None:
    """Whether the FEP-8b32 proof holds, or None when it cannot be checked (no proof, or one
    by a key the actor does not publish as its `assertionMethod`)."""
    proof = incoming.raw.get("proof")
    if not isinstance(proof, dict) or not isinstance(proof.get("verificationMethod"), str):
        return None
    try:
        actor = await node.federation.resolver.actor(incoming.actor)
    except (FetchError, normalize.Malformed):
        return None
    verdict = await node.federation.resolver.proof_verdict(incoming.raw, actor)
    return None if verdict is None else (verdict, actor)


routes = [
    Route("/inbox", shared_inbox, methods=["POST"]),
    Route("/users/{username}/inbox", user_inbox, methods=["POST"]),
]
