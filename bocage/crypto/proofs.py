"""FEP-8b32 Object Integrity Proofs with the ``eddsa-jcs-2022`` cryptosuite.

Implements "Create Proof" and "Verify Proof" of the W3C Data Integrity EdDSA
Cryptosuites v1.0 for eddsa-jcs-2022:

    proofConfig = proof options (no proofValue) + the document's @context
    hashData    = sha256(JCS(proofConfig)) || sha256(JCS(document without proof))
    proofValue  = "z" + base58btc(Ed25519-sign(hashData))

JSON canonicalization is RFC 8785 (JCS), delegated to the ``rfc8785`` package.
Key resolution (verificationMethod -> public key) is the caller's job: this module
never touches the network.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import rfc8785

from bocage.crypto.keys import (
    ED25519_KEY_LENGTH,
    ED25519_SIGNATURE_LENGTH,
    IdentityKey,
    KeyFormatError,
    decode_multibase_base58btc,
    encode_multibase_base58btc,
    verify_signature,
)

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"
CONTEXT = "@context"


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical UTF-8 bytes of a JSON value.

    Raises ``rfc8785.CanonicalizationError`` (a ``ValueError``) for values JCS cannot
    represent, e.g. NaN or integers beyond 2**53.

    Most documents hold only strings, booleans, nulls, integers and ASCII member names. For
    them, RFC 8785 is exactly orjson's output with sorted keys: UTF-16 order and byte order
    agree on ASCII, and both escape strings as ECMAScript does. That is ~10x faster than the
    ``rfc8785`` package, which serializes everything else (numbers with a fraction, other
    member names) and refuses what JCS cannot carry. tests/crypto/test_canonical_json.py
    checks that the two agree.
    """
    if _plain(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:  # e.g. a lone surrogate: rfc8785 decides
            pass
    return rfc8785.dumps(value)


_SAFE_INTEGER = 2**53 - 1  # beyond it JCS cannot carry an integer exactly (RFC 8785 §3.2.2.3)


def _plain(value: Any) -> bool:
    """Whether `value` holds only what orjson serializes exactly as RFC 8785 does."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return -_SAFE_INTEGER <= value <= _SAFE_INTEGER
    if kind is dict:
        return all(
            type(name) is str and name.isascii() and _plain(member)
            for name, member in value.items()
        )
    if kind is list:
        return all(_plain(item) for item in value)
    return False


def digest(value: Any) -> str:
    """``sha256:<hex>`` of the canonical form; stable across key order and spacing."""
    return "sha256:" + hashlib.sha256(canonical_json(value)).hexdigest()


def hash_data(unsecured_document: dict[str, Any], proof_config: dict[str, Any]) -> bytes:
    """The 64 bytes that get signed: hash of the proof config, then of the document."""
    proof_hash = hashlib.sha256(canonical_json(proof_config)).digest()
    document_hash = hashlib.sha256(canonical_json(unsecured_document)).digest()
    return proof_hash + document_hash


def format_timestamp(moment: datetime) -> str:
    """XML Schema dateTimeStamp in UTC with second precision, as in the W3C examples."""
    if moment.tzinfo is None:
        # A naive datetime would silently be signed as local time.
        raise ValueError("created must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class SignedObject:
    """A signed document and its RFC 8785 bytes (proof included), computed while signing."""

    document: dict[str, Any]
    canonical: bytes

    @property
    def digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.canonical).hexdigest()


def sign_object(
    document: dict[str, Any],
    key: IdentityKey,
    verification_method: str,
    *,
    created: datetime | None = None,
    proof_purpose: str = "assertionMethod",
) -> dict[str, Any]:
    """Return a copy of ``document`` carrying an eddsa-jcs-2022 ``proof``."""
    return sign_canonical(
        document, key, verification_method, created=created, proof_purpose=proof_purpose
    ).document


def sign_canonical(
    document: dict[str, Any],
    key: IdentityKey,
    verification_method: str,
    *,
    created: datetime | None = None,
    proof_purpose: str = "assertionMethod",
    embedded: SignedObject | None = None,
) -> SignedObject:
    """Sign like ``sign_object``, and also return the signed document's canonical bytes.

    Storing an activity needs both its signature and its digest. Canonicalizing is the
    costly part, so the document's members are canonicalized once and joined twice: without
    the proof (what is signed) and with it (what is digested). Joining members sorted by
    UTF-16 code units is exactly RFC 8785's serialization of an object (section 3.2.3).
    `embedded`: the signed object this document carries as its `object`, whose canonical
    bytes are already known (a Create of a signed Note): they are not computed again.
    """
    if "proof" in document:
        # Proof sets/chains change what is signed; we never produce them.
        raise ValueError("document already has a proof")
    if embedded is not None and document.get("object") is not embedded.document:
        raise ValueError("`embedded` must be the document's own `object`")
    # Canonicalizing first also refuses what JSON cannot carry (NaN, huge integers)...
    members = {
        name: _canonical_member(name, value)
        if embedded is None or name != "object"
        else canonical_json(name) + b":" + embedded.canonical
        for name, value in document.items()
    }
    # ...so a JSON round trip is then an exact deep copy (10x cheaper than copy.deepcopy):
    # later edits to the caller's dict cannot alter the signed one.
    signed = orjson.loads(orjson.dumps(document))
    proof_config: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
        "created": format_timestamp(created or datetime.now(UTC)),
    }
    if CONTEXT in signed:
        proof_config[CONTEXT] = signed[CONTEXT]
    proof_hash = hashlib.sha256(canonical_json(proof_config)).digest()
    document_hash = hashlib.sha256(_join_members(members)).digest()
    signature = key.sign(proof_hash + document_hash)
    proof = {**proof_config, "proofValue": encode_multibase_base58btc(signature)}
    if CONTEXT in proof:
        proof[CONTEXT] = copy.deepcopy(proof[CONTEXT])  # the proof owns its own copy
    signed["proof"] = proof
    members["proof"] = _canonical_member("proof", proof)
    return SignedObject(signed, _join_members(members))


def _canonical_member(name: str, value: Any) -> bytes:
    return canonical_json(name) + b":" + canonical_json(value)


def _join_members(members: dict[str, bytes]) -> bytes:
    ordered = sorted(members, key=lambda name: name.encode("utf-16-be"))
    return b"{" + b",".join(members[name] for name in ordered) + b"}"


@dataclass(frozen=True)
class ProofVerdict:
    """Outcome of ``verify_object``; ``reason`` is empty exactly when ``valid``."""

    valid: bool
    reason: str
    verification_method: str | None


class _Invalid(Exception):
    """Internal: carries the human-readable reason of a failed check."""


def _proof_of(document: Any) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise _Invalid("document is not a JSON object")
    if "proof" not in document:
        raise _Invalid("no proof")
    proof = document["proof"]
    if isinstance(proof, list):
        raise _Invalid("proof sets are not supported")
    if not isinstance(proof, dict):
        raise _Invalid("proof is not a JSON object")
    return proof


def _check_proof_options(proof: dict[str, Any], expected_purpose: str | None) -> None:
    if proof.get("type") != PROOF_TYPE:
        raise _Invalid(f"unsupported proof type {proof.get('type')!r}")
    if proof.get("cryptosuite") != CRYPTOSUITE:
        raise _Invalid(f"unsupported cryptosuite {proof.get('cryptosuite')!r}")
    purpose = proof.get("proofPurpose")
    if not isinstance(purpose, str) or not purpose:
        raise _Invalid("missing proofPurpose")
    if expected_purpose is not None and purpose != expected_purpose:
        raise _Invalid(f"unexpected proofPurpose {purpose!r}")
    if "created" in proof and not _is_timestamp(proof["created"]):
        raise _Invalid("malformed created timestamp")


def _is_timestamp(value: Any) -> bool:
    """True for an ISO 8601 date-time with a time zone (XML Schema dateTimeStamp)."""
    if not isinstance(value, str) or "T" not in value:
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def _signature_of(proof: dict[str, Any]) -> bytes:
    try:
        signature = decode_multibase_base58btc(proof.get("proofValue"))
    except KeyFormatError as exc:
        raise _Invalid(f"malformed proofValue: {exc}") from None
    if len(signature) != ED25519_SIGNATURE_LENGTH:
        raise _Invalid(f"malformed proofValue: signature is {len(signature)} bytes, not 64")
    return signature


def _check_context(document: dict[str, Any], proof: dict[str, Any]) -> None:
    # The spec lets the proof carry @context so the proof can be read on its own as
    # JSON-LD; it must then be the document's context. The W3C text only asks for a
    # prefix; we require equality so the verified document is exactly the one signed.
    if CONTEXT not in proof:
        return
    try:
        same = proof[CONTEXT] == document.get(CONTEXT)
    except RecursionError:  # absurdly nested contexts are not worth comparing
        same = False
    if not same:
        raise _Invalid("@context mismatch")


def _hash_for_verification(document: dict[str, Any], proof: dict[str, Any]) -> bytes:
    unsecured = {name: value for name, value in document.items() if name != "proof"}
    proof_config = {name: value for name, value in proof.items() if name != "proofValue"}
    # Proof configuration step: the document's @context is always part of what is signed.
    if CONTEXT in document:
        proof_config[CONTEXT] = document[CONTEXT]
    try:
        return hash_data(unsecured, proof_config)
    except (ValueError, TypeError, RecursionError):
        # Not representable in JCS (NaN, huge integers, absurd nesting...).
        raise _Invalid("document cannot be canonicalized") from None


def _verification_method_of(document: Any) -> str | None:
    """The proof's verificationMethod if there is a usable one, for reporting."""
    proof = document.get("proof") if isinstance(document, dict) else None
    method = proof.get("verificationMethod") if isinstance(proof, dict) else None
    return method if isinstance(method, str) and method else None


def _verify(document: Any, public_key: bytes, expected_purpose: str | None) -> None:
    """Raise ``_Invalid`` with the reason of the first check the proof fails.

    Cheap structural checks come first so that junk is refused before any hashing.
    """
    proof = _proof_of(document)
    if _verification_method_of(document) is None:
        raise _Invalid("missing verificationMethod")
    _check_proof_options(proof, expected_purpose)
    signature = _signature_of(proof)
    _check_context(document, proof)
    if not isinstance(public_key, bytes) or len(public_key) != ED25519_KEY_LENGTH:
        raise _Invalid("malformed public key")
    if not verify_signature(public_key, _hash_for_verification(document, proof), signature):
        raise _Invalid("signature does not match")


def verify_object(
    document: dict[str, Any], public_key: bytes, *, proof_purpose: str | None = None
) -> ProofVerdict:
    """Verify the eddsa-jcs-2022 proof of ``document`` against a raw Ed25519 key.

    Never raises on bad input: remote servers send anything. ``proof_purpose``, when
    given, must match the proof's ``proofPurpose`` (e.g. "assertionMethod").
    """
    method = _verification_method_of(document)
    try:
        _verify(document, public_key, proof_purpose)
    except _Invalid as failure:
        return ProofVerdict(valid=False, reason=str(failure), verification_method=method)
    return ProofVerdict(valid=True, reason="", verification_method=method)
