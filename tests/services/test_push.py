"""Web Push's rules in process, on each database: what a revoked token and a rotated secret
do to subscriptions, and which alert covers which notification."""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from bocage.core.accounts import keystore
from bocage.core.auth import oauth
from bocage.core.push import push
from bocage.crypto import sealing
from bocage.node import Node
from bocage.store.models import Account, InstanceSetting, OAuthToken, User, WebPushSubscription
from tests.conftest import make_user


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def a_request(**alerts: bool) -> push.Request:
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return push.Request(
        "https://push.example/abc", b64url(point), b64url(os.urandom(16)), True, alerts, "all"
    )


def a_token(node: Node, account: Account) -> tuple[str, OAuthToken]:
    with node.db.transaction() as session:
        app = oauth.register_app(session, "push", [], "read push", None)
        user = session.scalars(select(User).where(User.account_id == account.id)).one()
        return oauth.token_for_new_user(session, app, user)


def subscriptions(node: Node) -> list[WebPushSubscription]:
    with node.db.snapshot() as session:
        return list(session.scalars(select(WebPushSubscription)))


async def test_revoking_the_token_removes_its_subscription(node: Node) -> None:
    alice = make_user(node, "alice")
    token, row = a_token(node, alice)
    made = await node.services.push.subscribe(row.id, alice, token, a_request(mention=True))
    assert [found.id for found in subscriptions(node)] == [made.id]
    with node.db.transaction() as session:
        oauth.revoke_for_user(session, row.user_id or 0, row.id)
    assert subscriptions(node) == []


async def test_a_rotated_secret_reseals_the_vapid_key_and_the_tokens(node: Node) -> None:
    alice = make_user(node, "alice")
    token, row = a_token(node, alice)
    public_key = await node.services.push.server_key()
    await node.services.push.subscribe(row.id, alice, token, a_request(mention=True))
    with node.db.snapshot() as session:
        before = push.vapid_key(session)
    old = node.settings.secret_key
    ring = sealing.keyring("a new secret for the push test", old)
    with node.db.transaction() as session:
        assert keystore.seal_all(session, ring) >= 2
    with node.db.snapshot() as session:
        stored = session.get(InstanceSetting, push.VAPID_KEY)
        assert stored is not None
        assert sealing.key_id_of(stored.value["private_pem"]) == ring.current.key_id
        assert push.vapid_key(session) == before
        assert before is not None and before.public_key == public_key
        (subscription,) = session.scalars(select(WebPushSubscription))
        assert sealing.key_id_of(subscription.access_token) == ring.current.key_id
        assert sealing.open_token(subscription.access_token) == token
        assert keystore.seal_all(session, ring) == 0  # nothing left to do


async def test_a_reply_is_pushed_to_those_who_want_mentions(node: Node) -> None:
    alice, bob = make_user(node, "alice"), make_user(node, "bob")
    token, row = a_token(node, alice)
    await node.services.push.subscribe(row.id, alice, token, a_request(mention=True))
    with node.db.transaction() as session:
        assert push.enqueue_for(session, 1, alice.id, "reply", bob.id) == 1
        assert push.enqueue_for(session, 2, alice.id, "mention", bob.id) == 1
        assert push.enqueue_for(session, 3, alice.id, "favourite", bob.id) == 0
        assert push.enqueue_for(session, 4, bob.id, "mention", alice.id) == 0
