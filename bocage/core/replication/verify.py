"""Checks on every log entry received from any peer, before it is stored or re-served
(docs/protocol.md, "Verification"). Pure functions: no database, no network."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import base58

from bocage.crypto.keys import verify_signature
from bocage.crypto.proofs import canonical_json, digest, verify_object

T = TypeVar("T")
ENTRY_FIELDS = {"author": str, "seq": int, "id": str, "digest": str, "signature": str}


@dataclass(frozen=True)
class Head:
    """The last entry held of a log: its seq (0: none yet) and its hash (None: none yet)."""

    seq: int
    hash: str | None


class Rejected(Exception):
    """An entry that must not be stored; the message is the logged reason."""


class Unbound(Rejected):
    """An entry that is genuine (signed, and its activity proven, by the did's key) but whose
    activity names another actor than the one bound to the did here. What is wrong is this
    node's binding of the did (squatted, or bound before its actor proved it), not the peer
    that served the author's own log: a sync must not score that peer down for it."""


def entry_hash(entry: dict[str, Any]) -> str:
    return digest(entry)


def check_signed(entry: Any, did: str, public_key: bytes) -> dict[str, Any]:
    """The entry, if it is well formed, about `did`, and signed by the did's key."""
    if not isinstance(entry, dict):
        raise Rejected("the entry is not a JSON object")
    for name, kind in ENTRY_FIELDS.items():
        if not isinstance(entry.get(name), kind) or isinstance(entry.get(name), bool):
            raise Rejected(f"the entry's {name!r} is missing or not a {kind.__name__}")
    if entry.get("prev") is not None and not isinstance(entry.get("prev"), str):
        raise Rejected("the entry's 'prev' is neither a hash nor null")
    if entry["seq"] < 1:
        raise Rejected("the entry's seq is below 1")
    if entry["author"] != did:
        raise Rejected(f"the entry is by {entry['author'][:80]}, not by {did}")
    signature = entry["signature"]
    try:
        raw = base58.b58decode(signature[1:]) if signature.startswith("z") else b""
    except ValueError:
        raw = b""
    unsigned = {key: value for key, value in entry.items() if key != "signature"}
    if not raw or not verify_signature(public_key, _jcs(canonical_json, unsigned, entry), raw):
        raise Rejected(f"the signature of entry {entry['seq']} does not verify")
    return entry


def _jcs(compute: Callable[[Any], T], value: Any, entry: dict[str, Any]) -> T:
    """`compute` (RFC 8785 bytes, or their digest) of what an entry signs; `Rejected` for JSON
    that JCS cannot carry (an integer beyond 2**53, say): nobody can have signed it."""
    try:
        return compute(value)
    except ValueError as bad:
        raise Rejected(f"entry {entry['seq']} holds what JSON cannot sign: {bad}") from None


def check_next(entry: dict[str, Any], head: Head) -> None:
    """The entry continues the log held: the next seq, chained to the head."""
    if entry["seq"] != head.seq + 1:
        raise Rejected(f"entry {entry['seq']} does not follow {head.seq}: a gap")
    if entry.get("prev") != head.hash:
        raise Rejected(f"entry {entry['seq']} does not chain to entry {head.seq}")


def check_activity(
    entry: dict[str, Any], activity: Any, public_key: bytes, actor_uri: str
) -> dict[str, Any]:
    """The activity is the one the entry signs: same digest, same id, proof by the author's
    key, and its actor is the account that owns the did. The proof is checked before the
    actor, so that `Unbound` is raised only for content the did's key did sign."""
    if not isinstance(activity, dict):
        raise Rejected(f"the activity of entry {entry['seq']} is not a JSON object")
    if _jcs(digest, activity, entry) != entry["digest"]:
        raise Rejected(f"the activity of entry {entry['seq']} does not match its digest")
    if activity.get("id") != entry["id"]:
        raise Rejected(f"entry {entry['seq']} names {entry['id'][:200]}, not this activity")
    verdict = verify_object(activity, public_key, proof_purpose="assertionMethod")
    if not verdict.valid:
        raise Rejected(f"the proof of entry {entry['seq']} does not verify: {verdict.reason}")
    actor = activity.get("actor")
    actor_id = actor.get("id") if isinstance(actor, dict) else actor
    if actor_id != actor_uri:
        raise Unbound(f"the activity of entry {entry['seq']} is not by {actor_uri}")
    return activity
