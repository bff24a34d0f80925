"""Web Push against a real node: subscriptions through Mastodon.py's own methods and raw
requests, and the pushes themselves received by a push service this test runs (aiohttp on
loopback), which checks each request's VAPID signature and decrypts its body with the
subscription's private key, as a browser's push service and the browser would."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import http_ece
import httpx
import pytest
from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from mastodon import MastodonAPIError, MastodonNotFoundError

from tests.addresses import free_port, loopback
from tests.mastodon_api.openapi import check
from tests.mastodon_api.test_mastodon_py import logged_in
from tests.processes import NodeProcess

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("api_node")]
SCOPES = ["read", "write", "follow", "push"]
PUSH_BLOCK = 24  # the loopback block of this module's push service


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class PushService:
    """A push service on loopback: it keeps what it receives, and answers each path with
    the status set for it (201, as push services do, unless told otherwise)."""

    host: str
    port: int
    received: list[Received] = field(default_factory=list)
    answers: dict[str, int] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def on(self, path: str) -> list[Received]:
        return [one for one in self.received if one.path == path]

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.received.append(Received(request.path, dict(request.headers), body))
        return web.Response(status=self.answers.get(request.path, 201))


@pytest.fixture(scope="module")
def push_service() -> Iterator[PushService]:
    host = loopback(PUSH_BLOCK, 1)
    service = PushService(host, free_port(host))
    loop = asyncio.new_event_loop()
    started = threading.Event()
    runner: list[web.AppRunner] = []

    async def serve() -> None:
        app = web.Application()
        app.router.add_post("/{tail:.*}", service.handle)
        runner.append(web.AppRunner(app))
        await runner[0].setup()
        await web.TCPSite(runner[0], service.host, service.port).start()
        started.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(serve(), loop).result(10)
    assert started.wait(10)
    try:
        yield service
    finally:
        asyncio.run_coroutine_threadsafe(runner[0].cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def eventually(probe: Callable[[], Any], timeout: float = 20.0) -> Any:
    """`probe()` once it is truthy: pushes are sent by a background job."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


@dataclass(frozen=True)
class Keys:
    """A browser's side of a subscription: a P-256 key pair and a 16-byte auth secret."""

    private: ec.EllipticCurvePrivateKey
    auth: bytes

    @classmethod
    def make(cls) -> Keys:
        return cls(ec.generate_private_key(ec.SECP256R1()), os.urandom(16))

    @property
    def p256dh(self) -> str:
        point = self.private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(point)

    def decrypt(self, received: Received) -> dict[str, Any]:
        """RFC 8291 (aes128gcm): the salt and the sender's key are in the body's header."""
        plain = http_ece.decrypt(
            received.body, private_key=self.private, auth_secret=self.auth, version="aes128gcm"
        )
        return json.loads(plain)


def check_vapid(received: Received, server_key: str, endpoint_origin: str) -> dict[str, Any]:
    """RFC 8292: `vapid t=<JWT>,k=<key>`, the JWT an ES256 signature by the node's key, for
    the push service's origin; its claims."""
    scheme, _, params = received.headers["Authorization"].partition(" ")
    assert scheme == "vapid"
    parts = dict(part.strip().split("=", 1) for part in params.split(","))
    assert parts["k"] == server_key
    header_b64, claims_b64, signature_b64 = parts["t"].split(".")
    assert json.loads(unb64url(header_b64)) == {"typ": "JWT", "alg": "ES256"}
    raw = unb64url(signature_b64)
    signature = encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:]))
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(server_key))
    try:
        public.verify(signature, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        pytest.fail("the VAPID token is not signed by the node's key")
    claims: dict[str, Any] = json.loads(unb64url(claims_b64))
    assert claims["aud"] == endpoint_origin
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600
    assert claims["sub"]
    return claims


def subscribe(
    node: NodeProcess, token: str, endpoint: str, keys: Keys, **data: Any
) -> httpx.Response:
    body = {
        "subscription": {
            "endpoint": endpoint,
            "keys": {"p256dh": keys.p256dh, "auth": b64url(keys.auth)},
            "standard": True,
        },
        "data": data,
    }
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.post(f"{node.url}/api/v1/push/subscription", json=body, headers=headers)


def server_key(node: NodeProcess) -> str:
    key: str = httpx.get(f"{node.url}/api/v2/instance").json()["configuration"]["vapid"][
        "public_key"
    ]
    return key


def test_the_vapid_key_is_the_nodes_one_key(api_node: NodeProcess) -> None:
    key = server_key(api_node)
    assert len(unb64url(key)) == 65 and unb64url(key)[0] == 4  # an uncompressed P-256 point
    app = httpx.post(
        f"{api_node.url}/api/v1/apps",
        data={"client_name": "push test", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"},
    ).json()
    assert app["vapid_key"] == key
    assert server_key(api_node) == key  # made once, kept


def test_subscribe_read_change_and_remove_with_mastodon_py(
    api_node: NodeProcess, push_service: PushService
) -> None:
    alice = logged_in(api_node, "alice", SCOPES)
    _private, public = alice.push_subscription_generate_keys()
    endpoint = push_service.url("/mastodon-py")
    made = alice.push_subscription_set(
        endpoint, public, mention_events=True, follow_events=False, policy="follower"
    )
    assert made.endpoint == endpoint
    assert made.alerts.mention is True and made.alerts.follow is False
    assert made.alerts.favourite is False  # not asked for: off
    assert made.policy == "follower"  # Mastodon.py sends it outside `data`
    assert made.server_key == server_key(api_node)

    assert alice.push_subscription().id == made.id

    # As Mastodon's: what an update does not name is off again.
    changed = alice.push_subscription_update(favourite_events=True, policy="followed")
    assert changed.id == made.id
    assert changed.alerts.favourite is True and changed.alerts.mention is False
    assert changed.policy == "followed"
    assert changed.endpoint == endpoint

    # One subscription per token: a new one replaces it.
    again = alice.push_subscription_set(endpoint, public, reblog_events=True)
    assert again.id != made.id
    assert alice.push_subscription().id == again.id

    alice.push_subscription_delete()
    with pytest.raises(MastodonNotFoundError):
        alice.push_subscription()
    with pytest.raises(MastodonNotFoundError):
        alice.push_subscription_update(favourite_events=True)


def test_each_token_has_its_own_subscription_and_needs_the_push_scope(
    api_node: NodeProcess, push_service: PushService
) -> None:
    one = logged_in(api_node, "alice", SCOPES)
    other = logged_in(api_node, "alice", SCOPES)
    keys = Keys.make()
    answer = subscribe(api_node, one.access_token, push_service.url("/one"), keys, alerts={})
    assert answer.status_code == 200, answer.text
    check("WebPushSubscription", answer.json())
    assert answer.json()["standard"] is True
    with pytest.raises(MastodonNotFoundError):
        other.push_subscription()

    no_push = logged_in(api_node, "alice", ["read", "write"])
    with pytest.raises(MastodonAPIError) as refused:
        no_push.push_subscription()
    assert refused.value.args[1] == 403


def test_bad_subscriptions_are_refused_with_reasons(
    api_node: NodeProcess, push_service: PushService
) -> None:
    alice = logged_in(api_node, "alice", SCOPES)
    keys = Keys.make()
    url = f"{api_node.url}/api/v1/push/subscription"
    headers = {"Authorization": f"Bearer {alice.access_token}"}

    missing = httpx.post(url, json={}, headers=headers)
    assert missing.status_code == 400
    assert "subscription" in missing.json()["error"]

    good_keys = {"p256dh": keys.p256dh, "auth": b64url(keys.auth)}
    endpoint = push_service.url("/bad")

    def refusal(endpoint: str, keys: dict[str, str]) -> httpx.Response:
        body = {"subscription": {"endpoint": endpoint, "keys": keys}}
        return httpx.post(url, json=body, headers=headers)

    not_a_point = refusal(endpoint, {**good_keys, "p256dh": b64url(b"\x04" + b"\x01" * 64)})
    assert not_a_point.status_code == 422
    assert not_a_point.json()["error"].startswith("Validation failed: ")
    assert "p256dh" in not_a_point.json()["error"]

    short_auth = refusal(endpoint, {**good_keys, "auth": "AAAA"})
    assert short_auth.status_code == 422 and "auth" in short_auth.json()["error"]

    not_a_url = refusal("push service", good_keys)
    assert not_a_url.status_code == 422 and "endpoint" in not_a_url.json()["error"]

    bad_policy = subscribe(api_node, alice.access_token, push_service.url("/p"), keys, policy="x")
    assert bad_policy.status_code == 422 and "policy" in bad_policy.json()["error"]


def test_a_mention_is_pushed_encrypted_and_signed(
    api_node: NodeProcess, push_service: PushService
) -> None:
    alice = logged_in(api_node, "alice", SCOPES)
    bob = logged_in(api_node, "bob", SCOPES)
    keys = Keys.make()
    path = "/mention"
    answer = subscribe(
        api_node, alice.access_token, push_service.url(path), keys, alerts={"mention": True}
    )
    assert answer.status_code == 200, answer.text

    bob.status_post("@alice hello from the push test")
    received = eventually(lambda: push_service.on(path))
    assert received, "no push arrived"
    push = received[0]
    assert push.headers["Content-Encoding"] == "aes128gcm"
    assert push.headers["Content-Type"] == "application/octet-stream"
    assert push.headers["TTL"] == str(48 * 3600)
    assert push.headers["Urgency"] == "normal"
    check_vapid(push, server_key(api_node), f"http://{push_service.host}:{push_service.port}")

    message = keys.decrypt(push)
    mention = alice.notifications(types=["mention"], limit=1)[0]
    assert message == {
        "access_token": alice.access_token,
        "preferred_locale": "en",
        "notification_id": int(mention.id),
        "notification_type": "mention",
        "icon": message["icon"],
        "title": "bob mentioned you",
        "body": "@alice hello from the push test",
    }
    assert message["icon"].startswith(api_node.url)


def test_mastodon_py_decrypts_a_legacy_push(
    api_node: NodeProcess, push_service: PushService
) -> None:
    """Mastodon.py subscribes without `standard`: the older `aesgcm` draft, with its
    `Encryption` and `Crypto-Key` headers, which Mastodon.py's own decryption reads."""
    alice = logged_in(api_node, "alice", SCOPES)
    bob = logged_in(api_node, "bob", SCOPES)
    private, public = alice.push_subscription_generate_keys()
    path = "/legacy"
    made = alice.push_subscription_set(push_service.url(path), public, favourite_events=True)
    assert made.standard is False
    post = alice.status_post("a post for bob to like")
    bob.status_favourite(post.id)

    received = eventually(lambda: push_service.on(path))
    assert received, "no push arrived"
    push = received[0]
    assert push.headers["Content-Encoding"] == "aesgcm"
    assert push.headers["Authorization"].startswith("WebPush ")
    assert f"p256ecdsa={server_key(api_node)}" in push.headers["Crypto-Key"]
    message = alice.push_subscription_decrypt_push(
        push.body, private, push.headers["Encryption"], push.headers["Crypto-Key"]
    )
    assert message.notification_type == "favourite"
    assert message.title == "bob favourited your post"
    assert message.body == "a post for bob to like"
    assert message.access_token == alice.access_token


def test_only_what_the_alerts_and_policy_ask_for_is_pushed(
    api_node: NodeProcess, push_service: PushService
) -> None:
    alice = logged_in(api_node, "alice", SCOPES)
    bob = logged_in(api_node, "bob", SCOPES)
    keys = Keys.make()
    path = "/chosen"
    alerts = {"mention": False, "favourite": True, "reblog": True}
    answer = subscribe(
        api_node, alice.access_token, push_service.url(path), keys, alerts=alerts, policy="followed"
    )
    assert answer.status_code == 200, answer.text
    bob_account = alice.account_lookup("bob")
    alice.account_unfollow(bob_account.id)
    post = alice.status_post("a post for alerts")

    bob.status_post("@alice a mention nobody asked to be pushed")  # alerts: mention off
    bob.status_favourite(post.id)  # policy: alice does not follow bob
    # Notifications are written by a job: the favourite's, before alice follows bob.
    assert eventually(
        lambda: [n for n in alice.notifications(types=["favourite"]) if n.status.id == post.id]
    )
    alice.account_follow(bob_account.id)
    bob.status_reblog(post.id)  # alice follows bob now, and reblogs are pushed

    received = eventually(lambda: push_service.on(path))
    assert received, "no push arrived"
    time.sleep(1.0)  # what else was queued before the reblog has had its turn
    types = [keys.decrypt(push)["notification_type"] for push in push_service.on(path)]
    assert types == ["reblog"]
    alice.account_unfollow(bob_account.id)


def test_a_subscription_the_push_service_says_is_gone_is_removed(
    api_node: NodeProcess, push_service: PushService
) -> None:
    alice = logged_in(api_node, "alice", SCOPES)
    bob = logged_in(api_node, "bob", SCOPES)
    keys = Keys.make()
    path = "/gone"
    push_service.answers[path] = 410
    answer = subscribe(
        api_node, alice.access_token, push_service.url(path), keys, alerts={"mention": True}
    )
    assert answer.status_code == 200, answer.text

    bob.status_post("@alice this push finds nobody")
    assert eventually(lambda: push_service.on(path)), "no push arrived"

    def removed() -> bool:
        try:
            alice.push_subscription()
        except MastodonNotFoundError:
            return True
        return False

    assert eventually(removed), "the subscription is still there after a 410"


def test_a_busy_push_service_is_asked_again_later(
    api_node: NodeProcess, push_service: PushService
) -> None:
    """A 503 is not the end: the job is tried again with the queue's backoff (15 s, give or
    take half), and the same message arrives."""
    alice = logged_in(api_node, "alice", SCOPES)
    bob = logged_in(api_node, "bob", SCOPES)
    keys = Keys.make()
    path = "/busy"
    push_service.answers[path] = 503
    answer = subscribe(
        api_node, alice.access_token, push_service.url(path), keys, alerts={"mention": True}
    )
    assert answer.status_code == 200, answer.text

    bob.status_post("@alice are you there?")
    assert eventually(lambda: push_service.on(path)), "no push arrived"
    push_service.answers[path] = 201
    assert eventually(lambda: len(push_service.on(path)) >= 2, timeout=45.0), "not retried"
    first, second = (keys.decrypt(push) for push in push_service.on(path)[:2])
    assert first["notification_id"] == second["notification_id"]
    assert second["body"] == "@alice are you there?"
    assert alice.push_subscription().endpoint == push_service.url(path)  # kept
