"""Sealing the keys stored in the database (core/accounts/keystore.py) on both databases: plain rows
from before sealing, rows of an unfinished rotation, rows sealed with a secret the node does
not hold. (The same on real processes, with the raw database file read:
tests/integration/test_sealed_keys.py.)"""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from bocage.core.accounts import keystore
from bocage.core.authorship import authoring
from bocage.core.instance import instance
from bocage.core.posts import posts
from bocage.crypto import sealing
from bocage.crypto.sealing import SealingError
from bocage.node import Node
from bocage.store.models import Account, InstanceSetting
from tests.core.helpers import user


def stored(node: Node, account_id: int) -> tuple[bytes, str]:
    with node.db.snapshot() as session:
        row = session.execute(
            select(Account.identity_seed, Account.rsa_private_pem).where(Account.id == account_id)
        ).one()
    return row[0], row[1]


def make_plain(node: Node, account_id: int) -> tuple[bytes, str]:
    """The account's keys as a node from before sealing stored them."""
    seed, pem = stored(node, account_id)
    plain = sealing.open_seed(seed), sealing.open_pem(pem)
    with node.db.transaction() as session:
        session.execute(
            update(Account)
            .where(Account.id == account_id)
            .values(identity_seed=plain[0], rsa_private_pem=plain[1])
        )
    return plain


def test_plain_keys_are_sealed_once_and_still_sign(node: Node) -> None:
    alice, bob = user(node, "alice"), user(node, "bob")
    plain_seed, plain_pem = make_plain(node, alice.id)
    with node.db.transaction() as session:
        instance.make_instance_key(session, node.ctx.keyring)
        row = session.get(InstanceSetting, instance.INSTANCE_KEY)
        assert row is not None
        plain_instance = sealing.open_pem(row.value["private_pem"])
        row.value = {**row.value, "private_pem": plain_instance}
    assert keystore.seal_stored(node.db, node.ctx.keyring) == 2  # alice's row, the instance key
    seed, pem = stored(node, alice.id)
    assert node.ctx.keyring.is_current(seed) and node.ctx.keyring.is_current(pem)
    assert sealing.open_seed(seed) == plain_seed and sealing.open_pem(pem) == plain_pem
    assert stored(node, bob.id)[0] != plain_seed
    with node.db.snapshot() as session:
        key = instance.instance_key(session)
    assert key is not None and key.private_pem == plain_instance
    assert keystore.seal_stored(node.db, node.ctx.keyring) == 0  # idempotent
    with node.db.transaction() as session:
        author = session.get(Account, alice.id)
        assert author is not None
        post = posts.publish(session, node.ctx, author, posts.PostDraft("signed"))
        assert authoring.signed_object(session, post.uri) is not None


def test_an_unfinished_rotation_is_finished(node: Node) -> None:
    alice = user(node, "alice")
    old = node.ctx.keyring
    ring = sealing.keyring("the next secret of the keystore tests", node.settings.secret_key)
    assert ring.previous is not None and ring.previous.key_id == old.current.key_id
    assert keystore.seal_stored(node.db, ring) == 1
    seed, pem = stored(node, alice.id)
    assert ring.is_current(seed) and ring.is_current(pem) and not old.is_current(seed)
    assert keystore.seal_stored(node.db, ring) == 0


def test_keys_sealed_with_an_unknown_secret_stop_the_sealing(node: Node) -> None:
    alice = user(node, "alice")
    foreign = sealing.SealingKey.from_secret("a secret this process never saw")
    with node.db.transaction() as session:
        session.execute(
            update(Account)
            .where(Account.id == alice.id)
            .values(identity_seed=foreign.seal(b"f" * 32, sealing.SEED).encode())
        )
    with pytest.raises(SealingError, match=f"key id {foreign.key_id}"):
        keystore.seal_stored(node.db, node.ctx.keyring)
