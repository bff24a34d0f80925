"""Accepting what another server posts to an inbox: whose it is, and keeping it.

The order is the contract (docs/federation.md), after the face has capped the body's size:
JSON → the admin's domain rules → whose signature (the actor's HTTP signature, or an FEP-8b32
proof by the actor when the request is relayed) → the raw activity stored with its id by
`federation/intake.py` (a duplicate is a no-op; `StorageFull` when the disk is full: not
stored, so the sender retries). Applying it is the `inbox.process` job's
(`activitypub/receive.py`), later, so a slow or failing handler never loses an activity and
never keeps a remote server waiting."""

from __future__ import annotations

from dataclasses import dataclass

from bocage.crypto import httpsig
from bocage.federation import intake, normalize, signatures
from bocage.federation.client import FetchError
from bocage.kernel.context import Context
from bocage.services.ports import SignatureChecks
from bocage.services.unit import Service
from bocage.store.db import Database
from bocage.store.models import Account

REFUSED_SERVER = "This node does not federate with your server."


@dataclass(frozen=True)
class Sender:
    account: Account
    verified_by: str  # "signature" or "proof"


class InboxService(Service):
    def __init__(self, db: Database, ctx: Context, checks: SignatureChecks) -> None:
        super().__init__(db, ctx)
        self._checks = checks

    async def accept(self, request: httpsig.Request) -> None:
        """Store the activity `request` carries, vouched for by its actor, with the job that
        will apply it. `normalize.Malformed` if it is no activity; `SignatureError` (with the
        status to answer) if its server is refused or nobody vouches for it. An activity
        whose unknown signer deleted itself is accepted and dropped: nothing to do."""
        incoming = normalize.activity(normalize.loads(request.body))
        rules = await self._checks.domain_rules()
        if rules.refuses(normalize.host(incoming.actor)):
            raise httpsig.SignatureError(REFUSED_SERVER, 403)
        try:
            sender = await self.authenticate(request, incoming)
        except _Gone:
            return
        await self._db.write(intake.store, incoming, request.body, sender.verified_by)

    async def authenticate(self, request: httpsig.Request, incoming: normalize.Incoming) -> Sender:
        """Who vouches for this activity: the actor's HTTP signature, or else the actor's
        proof."""
        has_signature = signatures.is_signed(request)
        if not has_signature and "proof" not in incoming.raw:
            raise httpsig.SignatureError("This inbox accepts only signed requests.")
        signer: Account | None = None
        failure = "the request is not signed"
        if has_signature:
            try:
                signer = await self._verify_signature(request, incoming)
            except httpsig.SignatureError as refused:
                if refused.status != 401 or "proof" not in incoming.raw:
                    raise
                failure = str(refused)
        if signer is not None and signer.uri == incoming.actor:
            verdict = await self._proof_verdict(incoming) if "proof" in incoming.raw else None
            if verdict is not None and not verdict[0]:
                # A proof is a claim too: one that does not hold makes the activity suspect.
                raise httpsig.SignatureError("The activity's integrity proof does not verify.")
            return Sender(signer, "signature")
        # Relayed or forwarded: the server that sent it is not the author; the author's proof
        # is what counts (FEP-8b32).
        verdict = await self._proof_verdict(incoming)
        if verdict is not None and verdict[0]:
            return Sender(verdict[1], "proof")
        if signer is not None:
            failure = f"signed by {signer.uri}, not by the actor {incoming.actor}"
        raise httpsig.SignatureError(f"The activity is not vouched for by its actor: {failure}.")

    async def _verify_signature(
        self, request: httpsig.Request, incoming: normalize.Incoming
    ) -> Account:
        try:
            return await self._checks.signer(request)
        except signatures.KeyGone:
            if incoming.type == "Delete":
                raise _Gone() from None
            raise

    async def _proof_verdict(self, incoming: normalize.Incoming) -> tuple[bool, Account] | None:
        """Whether the FEP-8b32 proof holds, or None when it cannot be checked (no proof, or
        one by a key the actor does not publish as its `assertionMethod`)."""
        proof = incoming.raw.get("proof")
        if not isinstance(proof, dict) or not isinstance(proof.get("verificationMethod"), str):
            return None
        try:
            actor = await self._checks.actor(incoming.actor)
        except (FetchError, normalize.Malformed):
            return None
        verdict = await self._checks.proof_verdict(incoming.raw, actor)
        return None if verdict is None else (verdict, actor)


class _Gone(Exception):
    """The signer's key can no longer be fetched (404/410) and the activity is a Delete."""
