"""Tests for bocage.crypto.keys: Ed25519 identity keys, multibase/did:key, RSA keys."""

import json
from pathlib import Path

import base58
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bocage.crypto.keys import (
    ED25519_PRIV_MULTICODEC,
    ED25519_PUB_MULTICODEC,
    IdentityKey,
    KeyFormatError,
    RsaKey,
    public_key_from_did,
    public_key_from_multibase,
    seed_from_multibase,
    verify_signature,
)

VECTORS = Path(__file__).parent.parent / "data" / "vectors" / "eddsa-jcs-2022"
KEY_PAIR = json.loads((VECTORS / "keyPair.json").read_text())
VECTOR_PUBLIC = KEY_PAIR["publicKeyMultibase"]
VECTOR_SECRET = KEY_PAIR["privateKeyMultibase"]
OTHER_PUBLIC = IdentityKey.from_seed(b"\x07" * 32).public_multibase


def _multibase(data: bytes) -> str:
    return "z" + base58.b58encode(data).decode()


@pytest.fixture(scope="module")
def key() -> IdentityKey:
    return IdentityKey.generate()


# --- IdentityKey -------------------------------------------------------------------


def test_generate_gives_32_byte_halves_that_match(key: IdentityKey) -> None:
    assert len(key.seed) == 32
    assert len(key.public) == 32
    assert IdentityKey.from_seed(key.seed) == key


def test_generate_is_random() -> None:
    assert IdentityKey.generate().seed != IdentityKey.generate().seed


def test_public_multibase_is_a_fep_521a_multikey(key: IdentityKey) -> None:
    assert key.public_multibase.startswith("z6Mk")
    decoded = base58.b58decode(key.public_multibase[1:])
    assert decoded == ED25519_PUB_MULTICODEC + key.public


def test_did_is_did_key_of_the_multibase(key: IdentityKey) -> None:
    assert key.did == "did:key:" + key.public_multibase
    assert key.did.startswith("did:key:z6Mk")


def test_vector_secret_key_derives_vector_public_key() -> None:
    key = IdentityKey.from_private_multibase(VECTOR_SECRET)
    assert key.public_multibase == VECTOR_PUBLIC
    assert key.private_multibase == VECTOR_SECRET


def test_vector_secret_key_is_multicodec_ed25519_priv() -> None:
    # The W3C secret key is not a bare seed: it is multicodec 0x1300 (varint 80 26)
    # followed by the 32-byte seed, base58btc with the "z" multibase prefix.
    decoded = base58.b58decode(VECTOR_SECRET[1:])
    assert decoded[:2] == ED25519_PRIV_MULTICODEC
    assert seed_from_multibase(VECTOR_SECRET) == decoded[2:]


def test_from_seed_is_deterministic(key: IdentityKey) -> None:
    assert IdentityKey.from_seed(key.seed).public == key.public


@pytest.mark.parametrize("seed", [b"", b"\x00" * 31, b"\x00" * 33, "a" * 32])
def test_from_seed_rejects_bad_seeds(seed: bytes) -> None:
    with pytest.raises(KeyFormatError):
        IdentityKey.from_seed(seed)


def test_constructor_rejects_a_public_key_from_another_seed(key: IdentityKey) -> None:
    other = IdentityKey.generate()
    with pytest.raises(KeyFormatError):
        IdentityKey(seed=key.seed, public=other.public)


def test_repr_does_not_leak_the_seed(key: IdentityKey) -> None:
    assert repr(key.seed) not in repr(key)
    assert "seed" not in repr(key)


def test_key_is_frozen(key: IdentityKey) -> None:
    with pytest.raises(AttributeError):
        key.seed = b"\x00" * 32  # type: ignore[misc]


# --- sign / verify -----------------------------------------------------------------


def test_sign_produces_a_verifiable_64_byte_signature(key: IdentityKey) -> None:
    signature = key.sign(b"hello")
    assert len(signature) == 64
    assert verify_signature(key.public, b"hello", signature)


def test_sign_is_deterministic(key: IdentityKey) -> None:
    assert key.sign(b"same") == key.sign(b"same")


def test_verify_rejects_other_data(key: IdentityKey) -> None:
    assert not verify_signature(key.public, b"hellO", key.sign(b"hello"))


def test_verify_rejects_other_key(key: IdentityKey) -> None:
    other = IdentityKey.generate()
    assert not verify_signature(other.public, b"hello", key.sign(b"hello"))


def test_verify_rejects_flipped_signature_bit(key: IdentityKey) -> None:
    signature = bytearray(key.sign(b"hello"))
    signature[10] ^= 1
    assert not verify_signature(key.public, b"hello", bytes(signature))


@pytest.mark.parametrize(
    "public",
    [b"", b"\x00" * 31, b"\x00" * 33, "not bytes", None],
    ids=["empty", "short", "long", "str", "none"],
)
def test_verify_returns_false_for_malformed_keys(key: IdentityKey, public: bytes) -> None:
    assert verify_signature(public, b"hello", key.sign(b"hello")) is False


@pytest.mark.parametrize(
    "signature", [b"", b"\x00" * 63, b"\x00" * 65, b"\x00" * 64, None], ids=str
)
def test_verify_returns_false_for_malformed_signatures(key: IdentityKey, signature: bytes) -> None:
    assert verify_signature(key.public, b"hello", signature) is False


def test_verify_returns_false_for_small_order_public_key(key: IdentityKey) -> None:
    # The all-zero point encoding is a small-order point; libsodium refuses it.
    assert verify_signature(b"\x01" + b"\x00" * 31, b"hello", key.sign(b"hello")) is False


# --- multibase / did:key parsing ---------------------------------------------------


def test_public_key_round_trips_through_multibase(key: IdentityKey) -> None:
    assert public_key_from_multibase(key.public_multibase) == key.public


def test_public_key_from_vector_multibase() -> None:
    expected = IdentityKey.from_private_multibase(VECTOR_SECRET).public
    assert public_key_from_multibase(VECTOR_PUBLIC) == expected


MALFORMED_MULTIBASE = {
    "empty": "",
    "prefix only": "z",
    "no multibase prefix": VECTOR_PUBLIC[1:],
    "base64url prefix": "u" + VECTOR_PUBLIC[1:],
    "invalid base58 characters": "z6Mk0OIl" + VECTOR_PUBLIC[8:],
    "trailing whitespace": VECTOR_PUBLIC + " ",
    "leading whitespace": " " + VECTOR_PUBLIC,
    "secret key multicodec": VECTOR_SECRET,
    "x25519 multicodec": _multibase(b"\xec\x01" + b"\x01" * 32),
    "31-byte key": _multibase(ED25519_PUB_MULTICODEC + b"\x01" * 31),
    "33-byte key": _multibase(ED25519_PUB_MULTICODEC + b"\x01" * 33),
    "bare key without multicodec": _multibase(b"\x01" * 32),
    "absurdly long": "z" + "2" * 100_000,
    "non-ascii": "z6Mkπ",
    "none": None,
    "bytes": VECTOR_PUBLIC.encode(),
}


@pytest.mark.parametrize("value", MALFORMED_MULTIBASE.values(), ids=MALFORMED_MULTIBASE.keys())
def test_public_key_from_multibase_rejects_malformed(value: str) -> None:
    with pytest.raises(KeyFormatError):
        public_key_from_multibase(value)


def test_key_format_error_is_a_value_error() -> None:
    assert issubclass(KeyFormatError, ValueError)


def test_public_key_from_did(key: IdentityKey) -> None:
    assert public_key_from_did(key.did) == key.public


def test_public_key_from_did_with_fragment(key: IdentityKey) -> None:
    assert public_key_from_did(f"{key.did}#{key.public_multibase}") == key.public


def test_public_key_from_vector_verification_method() -> None:
    did = f"did:key:{VECTOR_PUBLIC}#{VECTOR_PUBLIC}"
    assert public_key_from_did(did) == public_key_from_multibase(VECTOR_PUBLIC)


GARBAGE_DIDS = {
    "empty": "",
    "did:key without value": "did:key:",
    "garbage value": "did:key:garbage",
    "not base58": "did:key:z0000",
    "other did method": f"did:web:{VECTOR_PUBLIC}",
    "bare multibase": VECTOR_PUBLIC,
    "uppercase method": f"DID:KEY:{VECTOR_PUBLIC}",
    "fragment of another key": f"did:key:{VECTOR_PUBLIC}#{OTHER_PUBLIC}",
    "arbitrary fragment": f"did:key:{VECTOR_PUBLIC}#key-1",
    "empty fragment": f"did:key:{VECTOR_PUBLIC}#",
    "secret key": f"did:key:{VECTOR_SECRET}",
    "none": None,
}


@pytest.mark.parametrize("did", GARBAGE_DIDS.values(), ids=GARBAGE_DIDS.keys())
def test_public_key_from_did_rejects_garbage(did: str) -> None:
    with pytest.raises(KeyFormatError):
        public_key_from_did(did)


@pytest.mark.parametrize(
    "value", [VECTOR_PUBLIC, "z", "", _multibase(b"\x80\x26" + b"\x00" * 31)], ids=str
)
def test_seed_from_multibase_rejects_non_secret_keys(value: str) -> None:
    with pytest.raises(KeyFormatError):
        seed_from_multibase(value)


# --- RsaKey ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rsa_key() -> RsaKey:
    return RsaKey.generate()


def test_rsa_key_is_2048_bits_e_65537(rsa_key: RsaKey) -> None:
    private = serialization.load_pem_private_key(rsa_key.private_pem.encode(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    assert private.key_size == 2048
    assert private.public_key().public_numbers().e == 65537


def test_rsa_pem_formats(rsa_key: RsaKey) -> None:
    # PKCS8 ("PRIVATE KEY", not "RSA PRIVATE KEY") and SubjectPublicKeyInfo ("PUBLIC KEY").
    assert rsa_key.private_pem.startswith("-----BEGIN PRIVATE KEY-----\n")
    assert rsa_key.public_pem.startswith("-----BEGIN PUBLIC KEY-----\n")


def test_rsa_public_pem_belongs_to_private(rsa_key: RsaKey) -> None:
    private = serialization.load_pem_private_key(rsa_key.private_pem.encode(), password=None)
    public = serialization.load_pem_public_key(rsa_key.public_pem.encode())
    assert isinstance(public, rsa.RSAPublicKey)
    assert public.public_numbers() == private.public_key().public_numbers()


def test_rsa_repr_does_not_leak_private_key(rsa_key: RsaKey) -> None:
    assert "PRIVATE" not in repr(rsa_key)
