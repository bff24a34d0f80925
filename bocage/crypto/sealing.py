"""Private keys sealed at rest, so that a database (or a backup of it) that leaks does not
leak the identities it holds: an account's Ed25519 seed and RSA key, the instance actor's
RSA key are stored encrypted with a key derived from the settings' `secret_key`, which
lives in `bocage.toml`, not in the database.

- The sealing key is HKDF-SHA256 of the secret; values are sealed with AES-256-GCM (both
  from `cryptography`), a fresh 96-bit nonce each, with what the value is ("seed", "pem") as
  associated data so that one cannot be passed off as another.
- A sealed value reads `sealed:v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`. The key id
  (8 hex digits, another HKDF output of the secret, which tells nothing of it) names the
  secret that sealed it: a node started with another secret says so instead of failing
  to sign, and a rotation can hold two secrets at once (`previous_secret_key`).
- A value without the prefix is plain, from before sealing existed (a 32-byte seed, a PEM):
  it is used as it is, and sealed when the node starts (`core/accounts/keystore.py`).

Every key derived in this process is kept by its id, so a value opens wherever it is used
without passing a key around (signing happens deep in the core); opened values are kept
(a few thousand, by their sealed text) so that signing costs no decryption.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = "v1"
PREFIX = f"sealed:{VERSION}:"
PREFIX_BYTES = PREFIX.encode("ascii")
SEED = "seed"
PEM = "pem"
TOKEN = "token"  # an access token a push message carries (core/push)
_SALT = b"bocage sealed keys"
_NONCE_BYTES = 12
_KNOWN: dict[str, SealingKey] = {}


class SealingError(Exception):
    """A sealed value this process cannot open; the message says why and what to do."""


@dataclass(frozen=True)
class SealingKey:
    key_id: str
    aead: AESGCM

    @classmethod
    def from_secret(cls, secret: str) -> SealingKey:
        material = secret.encode("utf-8")
        key = _derive(material, b"AES-256-GCM key " + VERSION.encode(), 32)
        key_id = _derive(material, b"key id " + VERSION.encode(), 4).hex()
        return cls(key_id, AESGCM(key))

    def seal(self, plain: bytes, purpose: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self.aead.encrypt(nonce, plain, purpose.encode("ascii"))
        body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return f"{PREFIX}{self.key_id}:{body}"

    def open(self, value: str, purpose: str) -> bytes:
        try:
            raw = base64.urlsafe_b64decode(value.rsplit(":", 1)[1])
            return self.aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], purpose.encode())
        except (InvalidTag, ValueError, IndexError) as damaged:
            raise SealingError(
                f"a sealed private key (key id {self.key_id}) is damaged and cannot be opened"
            ) from damaged


def _derive(secret: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=_SALT, info=info).derive(secret)


@dataclass(frozen=True)
class Keyring:
    """The key new values are sealed with, and the one an unfinished rotation left."""

    current: SealingKey
    previous: SealingKey | None = None

    def seal(self, plain: bytes, purpose: str) -> str:
        return self.current.seal(plain, purpose)

    def seal_seed(self, seed: bytes) -> bytes:
        return self.seal(seed, SEED).encode("ascii")

    def seal_pem(self, pem: str) -> str:
        return self.seal(pem.encode("ascii"), PEM)

    def seal_token(self, token: str) -> str:
        return self.seal(token.encode("utf-8"), TOKEN)

    def is_current(self, stored: str | bytes) -> bool:
        """Sealed with the current key already (nothing to do at start or in a rotation)."""
        text = stored.decode("latin-1") if isinstance(stored, bytes) else stored
        return text.startswith(f"{PREFIX}{self.current.key_id}:")


@lru_cache(maxsize=16)
def keyring(secret: str, previous: str = "") -> Keyring:
    """The keyring of a node's settings; its keys can open values from then on."""
    if not secret:
        raise SealingError("no secret_key: private keys cannot be sealed or opened")
    current = SealingKey.from_secret(secret)
    older = SealingKey.from_secret(previous) if previous and previous != secret else None
    for key in (current, older):
        if key is not None:
            _KNOWN[key.key_id] = key
    return Keyring(current, older)


def key_id_of(stored: str | bytes) -> str | None:
    """The id of the key a stored value is sealed with; None for a plain value."""
    text = stored.decode("latin-1") if isinstance(stored, bytes) else stored
    if not text.startswith(PREFIX):
        return None
    return text[len(PREFIX) :].split(":", 1)[0]


def open_seed(stored: bytes) -> bytes:
    """An Ed25519 seed as stored: sealed, or plain (32 bytes) from before sealing."""
    if not stored.startswith(PREFIX_BYTES):
        return stored
    return _opened(stored.decode("ascii"), SEED)


def open_pem(stored: str) -> str:
    """A PEM private key as stored: sealed, or plain from before sealing."""
    if not stored.startswith(PREFIX):
        return stored
    return _opened(stored, PEM).decode("ascii")


def open_token(stored: str) -> str:
    """An access token sealed with `Keyring.seal_token`."""
    return _opened(stored, TOKEN).decode("utf-8")


@lru_cache(maxsize=4096)
def _opened(value: str, purpose: str) -> bytes:
    key_id = key_id_of(value)
    key = _KNOWN.get(key_id or "")
    if key is None:
        known = ", ".join(sorted(_KNOWN)) or "none"
        raise SealingError(
            f"the private keys in the database are sealed with another secret_key (key id "
            f"{key_id}) than this node's (key id {known}): start it with the secret_key they "
            "were sealed with (bocage.toml's, or BOCAGE_SECRET_KEY), e.g. the one of the node "
            "a backup came from"
        )
    return key.open(value, purpose)
