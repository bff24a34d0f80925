"""Account keys.

* ``IdentityKey``: the Ed25519 key that identifies an account and signs FEP-8b32
  object integrity proofs. Its public half is published as a FEP-521a ``Multikey``
  (``publicKeyMultibase = "z6Mk..."``) and can be written as a ``did:key``.
* ``RsaKey``: an RSA key used only for draft-cavage HTTP signatures, because that
  is what Mastodon and most of the fediverse still verify.

Everything that parses key material coming from the network raises
``KeyFormatError`` (a ``ValueError``) so that callers have a single thing to catch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import base58
import nacl.exceptions
import nacl.signing

ED25519_KEY_LENGTH = 32
ED25519_SIGNATURE_LENGTH = 64

# Multicodec varint prefixes (https://github.com/multiformats/multicodec):
# 0xed = ed25519-pub, 0x1300 = ed25519-priv, both encoded as unsigned varints.
ED25519_PUB_MULTICODEC = b"\xed\x01"
ED25519_PRIV_MULTICODEC = b"\x80\x26"

# Multibase prefix for base58btc, the only base FEP-521a and eddsa-jcs-2022 use.
BASE58BTC_PREFIX = "z"
_BASE58_ALPHABET = frozenset(base58.BITCOIN_ALPHABET.decode("ascii"))
# The longest value we ever decode is a 64-byte signature (at most 88 characters).
# Refusing longer input keeps base58's quadratic big-integer decoding away from
# megabyte-sized strings sent by a hostile server.
_MAX_BASE58_CHARS = 128

DID_KEY_PREFIX = "did:key:"


class KeyFormatError(ValueError):
    """Key material (multibase, did:key, seed) is malformed."""


def decode_multibase_base58btc(value: object) -> bytes:
    """Decode a ``z...`` multibase string strictly.

    Unlike ``base58.b58decode`` this rejects surrounding whitespace, so a value has
    exactly one accepted spelling. Raises ``KeyFormatError``.
    """
    if not isinstance(value, str) or not value.startswith(BASE58BTC_PREFIX):
        raise KeyFormatError("expected a base58btc multibase string starting with 'z'")
    body = value[len(BASE58BTC_PREFIX) :]
    if not body or len(body) > _MAX_BASE58_CHARS:
        raise KeyFormatError("base58btc value has an implausible length")
    if not _BASE58_ALPHABET.issuperset(body):
        raise KeyFormatError("value contains characters outside the base58btc alphabet")
    return base58.b58decode(body)


def encode_multibase_base58btc(data: bytes) -> str:
    """Encode bytes as a ``z...`` multibase string."""
    return BASE58BTC_PREFIX + base58.b58encode(data).decode("ascii")


def _strip_multicodec(decoded: bytes, prefix: bytes, what: str) -> bytes:
    """Check the multicodec prefix and the key length, return the raw key."""
    if not decoded.startswith(prefix):
        raise KeyFormatError(f"not an {what} multicodec value")
    raw = decoded[len(prefix) :]
    if len(raw) != ED25519_KEY_LENGTH:
        raise KeyFormatError(f"{what} must be {ED25519_KEY_LENGTH} bytes, got {len(raw)}")
    return raw


def public_key_from_multibase(value: str) -> bytes:
    """Raw 32-byte Ed25519 public key from a FEP-521a ``publicKeyMultibase``."""
    decoded = decode_multibase_base58btc(value)
    return _strip_multicodec(decoded, ED25519_PUB_MULTICODEC, "ed25519-pub")


def seed_from_multibase(value: str) -> bytes:
    """Raw 32-byte Ed25519 seed from a ``secretKeyMultibase`` (multicodec 0x1300)."""
    decoded = decode_multibase_base58btc(value)
    return _strip_multicodec(decoded, ED25519_PRIV_MULTICODEC, "ed25519-priv")


def public_key_from_did(did: str) -> bytes:
    """Raw public key from ``did:key:z6Mk...`` or ``did:key:z6Mk...#z6Mk...``.

    For did:key the fragment names the key by its own multibase value, so any
    other fragment means the identifier is not what it claims to be.
    """
    if not isinstance(did, str) or not did.startswith(DID_KEY_PREFIX):
        raise KeyFormatError("not a did:key identifier")
    identifier, has_fragment, fragment = did[len(DID_KEY_PREFIX) :].partition("#")
    if has_fragment and fragment != identifier:
        raise KeyFormatError("did:key fragment does not match the key")
    return public_key_from_multibase(identifier)


def verify_signature(public: bytes, data: bytes, signature: bytes) -> bool:
    """Check an Ed25519 signature; ``False`` for bad signatures *and* bad keys.

    Callers check remote data, so "cannot verify" and "does not verify" must both
    be a plain refusal rather than an exception escaping into request handling.
    """
    if not isinstance(public, bytes) or len(public) != ED25519_KEY_LENGTH:
        return False
    if not isinstance(signature, bytes) or len(signature) != ED25519_SIGNATURE_LENGTH:
        return False
    try:
        nacl.signing.VerifyKey(public).verify(data, signature)
    except (nacl.exceptions.CryptoError, ValueError, TypeError):
        return False
    return True


@dataclass(frozen=True)
class IdentityKey:
    """Ed25519 identity key of an account."""

    # repr=False: keep the private seed out of logs and tracebacks.
    seed: bytes = field(repr=False)
    public: bytes

    def __post_init__(self) -> None:
        if len(self.seed) != ED25519_KEY_LENGTH:
            raise KeyFormatError(f"Ed25519 seed must be {ED25519_KEY_LENGTH} bytes")
        # A mismatched pair would sign with one key and advertise another.
        if bytes(nacl.signing.SigningKey(self.seed).verify_key) != self.public:
            raise KeyFormatError("public key does not belong to the seed")

    @classmethod
    def generate(cls) -> IdentityKey:
        return cls.from_seed(bytes(nacl.signing.SigningKey.generate()))

    @classmethod
    def from_seed(cls, seed: bytes) -> IdentityKey:
        if not isinstance(seed, bytes) or len(seed) != ED25519_KEY_LENGTH:
            raise KeyFormatError(f"Ed25519 seed must be {ED25519_KEY_LENGTH} bytes")
        public = bytes(nacl.signing.SigningKey(seed).verify_key)
        return cls(seed=seed, public=public)

    @classmethod
    def from_private_multibase(cls, value: str) -> IdentityKey:
        """Load a ``secretKeyMultibase`` (``z3u2...``), as used in the W3C vectors."""
        return cls.from_seed(seed_from_multibase(value))

    @property
    def public_multibase(self) -> str:
        return encode_multibase_base58btc(ED25519_PUB_MULTICODEC + self.public)

    @property
    def private_multibase(self) -> str:
        return encode_multibase_base58btc(ED25519_PRIV_MULTICODEC + self.seed)

    @property
    def did(self) -> str:
        return DID_KEY_PREFIX + self.public_multibase

    @cached_property
    def _signing_key(self) -> nacl.signing.SigningKey:
        # Expanding the seed costs as much as a signature; do it once per key.
        return nacl.signing.SigningKey(self.seed)

    def sign(self, data: bytes) -> bytes:
        # PyNaCl returns signature || message; only the 64-byte signature is wanted.
        return self._signing_key.sign(data).signature


@dataclass(frozen=True)
class RsaKey:
    """RSA-2048 key pair for draft-cavage HTTP signatures, as PEM text."""

    private_pem: str = field(repr=False)
    public_pem: str

    @classmethod
    def generate(cls) -> RsaKey:
        # Imported here: only account creation needs it, and it weighs ~6 MB resident.
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private_pem = private.private_bytes(
            encoding=serialization.Encoding.PEM,
            format=serialization.PrivateFormat.PKCS8,
            encryption_algorithm=serialization.NoEncryption(),
        )
        public_pem = private.public_key().public_bytes(
            encoding=serialization.Encoding.PEM,
            format=serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        return cls(private_pem=private_pem.decode("ascii"), public_pem=public_pem.decode("ascii"))
