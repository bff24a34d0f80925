"""Sealed private keys (crypto/sealing.py): what a sealed value holds and refuses. The node's
use of them (no plaintext in the database file, wrong secret, rotation, old databases) is
tested on real processes in tests/integration/test_sealed_keys.py."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bocage.crypto import sealing
from bocage.crypto.keys import IdentityKey
from bocage.crypto.sealing import SealingError, SealingKey
from tests.conftest import shared_secrets

SECRET = "a secret of the sealing tests"


def test_a_seed_and_a_pem_seal_and_open() -> None:
    ring = sealing.keyring(SECRET)
    identity, rsa = IdentityKey.generate(), shared_secrets().rsa
    sealed_seed, sealed_pem = ring.seal_seed(identity.seed), ring.seal_pem(rsa.private_pem)
    assert sealed_seed.startswith(b"sealed:v1:" + ring.current.key_id.encode() + b":")
    assert identity.seed not in sealed_seed
    assert "PRIVATE KEY" not in sealed_pem and rsa.private_pem[40:80] not in sealed_pem
    assert sealing.open_seed(sealed_seed) == identity.seed
    assert sealing.open_pem(sealed_pem) == rsa.private_pem
    assert ring.seal_seed(identity.seed) != sealed_seed  # a fresh nonce each time


def test_plain_values_from_before_sealing_are_taken_as_they_are() -> None:
    seed = IdentityKey.generate().seed
    assert sealing.open_seed(seed) == seed
    pem = shared_secrets().rsa.private_pem
    assert sealing.open_pem(pem) == pem
    assert sealing.key_id_of(seed) is None and sealing.key_id_of(pem) is None


def test_the_key_id_names_the_secret_and_tells_nothing_of_it() -> None:
    first, again = SealingKey.from_secret(SECRET), SealingKey.from_secret(SECRET)
    assert first.key_id == again.key_id and len(first.key_id) == 8
    assert SealingKey.from_secret(SECRET + "!").key_id != first.key_id
    assert first.key_id not in SECRET.encode().hex()


def test_another_secret_cannot_open_and_says_which_secret_is_needed() -> None:
    sealed = SealingKey.from_secret("a secret this process never installs").seal(b"x" * 32, "seed")
    with pytest.raises(SealingError, match="sealed with another secret_key") as refused:
        sealing.open_seed(sealed.encode())
    assert sealing.key_id_of(sealed) in str(refused.value)
    # With the wrong key itself (as the old secret after a rotation), AES-GCM refuses.
    with pytest.raises(SealingError, match="damaged"):
        SealingKey.from_secret(SECRET).open(sealed, "seed")


@given(st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=255))
def test_any_change_to_a_sealed_value_is_refused(position: int, flip: int) -> None:
    ring = sealing.keyring(SECRET)
    sealed = ring.seal(b"k" * 32, sealing.SEED)
    body_start = len(sealing.PREFIX) + 9
    index = body_start + position % (len(sealed) - body_start)
    changed = sealed[:index] + chr((ord(sealed[index]) + 1 + flip % 60) % 128) + sealed[index + 1 :]
    if changed == sealed:
        return
    with pytest.raises(SealingError):
        ring.current.open(changed, sealing.SEED)


def test_a_value_sealed_as_one_thing_does_not_open_as_another() -> None:
    ring = sealing.keyring(SECRET)
    sealed_seed = ring.seal(b"s" * 32, sealing.SEED)
    with pytest.raises(SealingError):
        ring.current.open(sealed_seed, sealing.PEM)


def test_a_rotation_keyring_opens_both_and_seals_with_the_new_secret() -> None:
    old_value = sealing.keyring("old secret of the tests").seal_seed(b"o" * 32)
    ring = sealing.keyring("new secret of the tests", "old secret of the tests")
    assert not ring.is_current(old_value)
    assert sealing.open_seed(old_value) == b"o" * 32
    resealed = ring.seal_seed(sealing.open_seed(old_value))
    assert ring.is_current(resealed) and sealing.open_seed(resealed) == b"o" * 32
