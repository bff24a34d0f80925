"""FEP-c390 identity proofs: a did:key's holder says, with a proof by that key, which actor
it is.

An actor document that lists an Ed25519 key under `assertionMethod` only *claims* it: any
server can copy someone else's public key into its own actor. A `VerifiableIdentityStatement`
in the actor's `attachment`, whose `alsoKnownAs` is the actor's id and whose eddsa-jcs-2022
proof is made by the `subject` did's key, proves possession: it cannot be made without the
private key, and it cannot be moved to another actor without breaking the proof. Bocage binds
a did to a remote actor only with such proof (or with another object the did's key signed
as that actor, see `core/inbound/remote.py`).

Pure functions: no database, no network. FEP text: https://w3id.org/fep/c390
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bocage.crypto.keys import IdentityKey, KeyFormatError, public_key_from_did
from bocage.crypto.proofs import sign_object, verify_object

STATEMENT_TYPE = "VerifiableIdentityStatement"
MAX_STATEMENTS = 5  # looked at, at most, in one actor document
CONTEXT_TERMS = {
    "fep": "https://w3id.org/fep#",
    "VerifiableIdentityStatement": "fep:VerifiableIdentityStatement",
    "subject": "fep:subject",
}


def statement(key: IdentityKey, actor_id: str, created: datetime) -> dict[str, Any]:
    """The identity proof of `key`'s did for `actor_id`. `created` is fixed (the account's
    creation time) so that the same account always publishes the same bytes."""
    did = key.did
    document = {"type": STATEMENT_TYPE, "subject": did, "alsoKnownAs": actor_id}
    return sign_object(document, key, did, created=created, proof_purpose="assertionMethod")


def proven_did(actor: dict[str, Any]) -> str | None:
    """The did that an identity proof in the actor's `attachment` binds to the actor's id,
    if one verifies (the first that does)."""
    actor_id = actor.get("id")
    attachments = actor.get("attachment")
    if not isinstance(actor_id, str) or not isinstance(attachments, list):
        return None
    candidates = [
        item
        for item in attachments
        if isinstance(item, dict) and item.get("type") == STATEMENT_TYPE
    ]
    for candidate in candidates[:MAX_STATEMENTS]:
        did = verified_subject(candidate, actor_id)
        if did is not None:
            return did
    return None


def verified_subject(candidate: dict[str, Any], actor_id: str) -> str | None:
    """`subject` of one statement, if the statement names `actor_id` and its proof is by
    the subject's own key (FEP-c390, "Proof verification")."""
    subject = candidate.get("subject")
    proof = candidate.get("proof")
    if candidate.get("alsoKnownAs") != actor_id or not isinstance(subject, str):
        return None
    method = proof.get("verificationMethod") if isinstance(proof, dict) else None
    # The FEP names the key by the bare did; `did#fragment` (as FEP-8b32 proofs do) is the
    # same key, which `public_key_from_did` checks.
    if not isinstance(method, str) or method.split("#", 1)[0] != subject:
        return None
    try:
        public_key = public_key_from_did(method)
    except KeyFormatError:
        return None
    verdict = verify_object(candidate, public_key, proof_purpose="assertionMethod")
    return subject if verdict.valid else None
